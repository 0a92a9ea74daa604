package erpsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/connectors/simulation"
)

// API_BUSINESS_PARTNER: A_BusinessPartner (read, deep create) with
// to_BusinessPartnerAddress/to_PhoneNumber, to_BusinessPartnerTax and
// to_Customer/to_CustomerSalesArea; A_CustomerSalesArea (read, update with
// If-Match). One sales area per customer, 1010/10/00.

const (
	salesOrg, distChannel, division = "1010", "10", "00"
)

var customerStamps = map[string]bool{"LastChangeDate": true, "CreationDate": true}

func (s *Sim) customerTable() *table[*customer] {
	return &table[*customer]{
		n:          s.opts.Customers,
		gen:        s.customerAt,
		firstAt:    func(b time.Time) int { return simulation.FirstIndex(b, s.genStart, s.custStep) },
		changedIdx: s.cust.changedIdx,
		changed:    s.cust.isChanged,
		keys:       s.cust.keys,
		explicit:   s.cust.byKey,
		stamps:     customerStamps,
		keyProp:    "Customer",
		genIndex:   simulation.IndexOf("1", 7),
		sortProp:   "BusinessPartner",
		genKey:     genCustomerKey,
	}
}

// customerAt is generated customer i as it stands now; callers hold s.mu.
func (s *Sim) customerAt(i int) *customer {
	return s.cust.at(s.genCustomer, i)
}

// customerByCode finds any customer; callers hold s.mu.
func (s *Sim) customerByCode(code string) *customer {
	if c, ok := s.cust.explicit[code]; ok {
		return c
	}
	if i, ok := simulation.IndexOf("1", 7)(code); ok && i < s.opts.Customers {
		return s.customerAt(i)
	}
	return nil
}

// saveCustomer stores a changed customer at its place; callers hold s.mu.
func (s *Sim) saveCustomer(c *customer) {
	s.cust.put(c, c.index, c.code, c.version, c.changed)
}

func (c *customer) etag() string {
	return fmt.Sprintf(`W/"datetimeoffset'%s'"`, c.stamp().Format("2006-01-02T15:04:05")+fmt.Sprintf(".%07d", c.version))
}

func (s *Sim) getBusinessPartners(c *reqCtx) {
	t := s.customerTable()
	if c.key != nil {
		q, ok := c.parseQuery()
		if !ok {
			return
		}
		if _, b, ok := entity(c, "A_BusinessPartnerType", func() *customer { return s.bpByNumber(c.key[""]) },
			func(j *jbuf, cust *customer) { s.writeBP(j, c.base, cust, q) }); ok {
			c.writeJSON(http.StatusOK, b)
		}
		return
	}
	serveCollection(c, t, func(j *jbuf, r *customer, q query) { s.writeBP(j, c.base, r, q) })
}

func (s *Sim) bpByNumber(bp string) *customer {
	for _, c := range s.cust.explicit {
		if c.bp == bp {
			return c
		}
	}
	return s.customerByCode(bp)
}

// writeBP encodes a business partner with the expansions asked for.
func (s *Sim) writeBP(j *jbuf, base string, c *customer, q query) {
	uri := base + "A_BusinessPartner('" + c.bp + "')"
	j.open()
	j.meta(uri, "API_BUSINESS_PARTNER.A_BusinessPartnerType", "")
	j.str("BusinessPartner", c.bp)
	j.str("Customer", c.code)
	j.str("BusinessPartnerCategory", "2")
	j.str("BusinessPartnerFullName", strings.TrimSpace(c.name1+" "+c.name2))
	j.str("OrganizationBPName1", c.name1)
	j.str("OrganizationBPName2", c.name2)
	if c.malformed == 1 {
		j.str("BusinessPartnerIsBlocked", "X") // a string where Edm.Boolean belongs
	} else {
		j.boolean("BusinessPartnerIsBlocked", c.blocked)
	}
	j.str("BusinessPartnerIDByExtSystem", c.extID)
	j.date("CreationDate", day(c.created))
	j.str("CreationTime", sap.FormatTime(timeOfDay(c.created)))
	if c.malformed == 3 {
		j.str("LastChangeDate", "/Date(yesterday)/")
		j.str("LastChangeTime", "PT00H00M00S")
	} else if c.changed.IsZero() {
		j.null("LastChangeDate")
		j.null("LastChangeTime")
	} else {
		j.date("LastChangeDate", day(c.changed))
		j.str("LastChangeTime", sap.FormatTime(timeOfDay(c.changed)))
	}
	if q.expand["to_BusinessPartnerAddress"] {
		j.results("to_BusinessPartnerAddress", func() {
			j.elem()
			auri := base + "A_BusinessPartnerAddress(BusinessPartner='" + c.bp + "',AddressID='" + c.bp[max(0, len(c.bp)-6):] + "')"
			j.open()
			j.meta(auri, "API_BUSINESS_PARTNER.A_BusinessPartnerAddressType", "")
			j.str("BusinessPartner", c.bp)
			j.str("AddressID", c.bp[max(0, len(c.bp)-6):])
			j.str("StreetName", c.street)
			j.str("HouseNumber", c.house)
			j.str("CityName", c.city)
			j.str("PostalCode", c.postal)
			j.str("Country", c.country)
			if q.expand["to_BusinessPartnerAddress/to_PhoneNumber"] {
				j.results("to_PhoneNumber", func() {
					if c.phone != "" {
						j.elem()
						j.open()
						j.meta(base+"A_AddressPhoneNumber(AddressID='"+c.bp[max(0, len(c.bp)-6):]+"',Person='',OrdinalNumber='1')",
							"API_BUSINESS_PARTNER.A_AddressPhoneNumberType", "")
						j.str("PhoneNumber", c.phone)
						j.boolean("IsDefaultPhoneNumber", true)
						j.close()
					}
				})
			} else {
				j.deferred("to_PhoneNumber", auri+"/to_PhoneNumber")
			}
			j.close()
		})
	} else {
		j.deferred("to_BusinessPartnerAddress", uri+"/to_BusinessPartnerAddress")
	}
	if q.expand["to_BusinessPartnerTax"] {
		j.results("to_BusinessPartnerTax", func() {
			if c.taxNo != "" {
				j.elem()
				j.open()
				j.meta(base+"A_BusinessPartnerTaxNumber(BusinessPartner='"+c.bp+"',BPTaxType='"+c.taxType+"')",
					"API_BUSINESS_PARTNER.A_BusinessPartnerTaxNumberType", "")
				j.str("BPTaxType", c.taxType)
				j.str("BPTaxNumber", c.taxNo)
				j.close()
			}
		})
	} else {
		j.deferred("to_BusinessPartnerTax", uri+"/to_BusinessPartnerTax")
	}
	if q.expand["to_Customer"] {
		curi := base + "A_Customer('" + c.code + "')"
		j.key("to_Customer")
		j.open()
		j.meta(curi, "API_BUSINESS_PARTNER.A_CustomerType", "")
		j.str("Customer", c.code)
		j.str("OrderIsBlockedForCustomer", "")
		j.boolean("DeletionIndicator", false)
		if q.expand["to_Customer/to_CustomerSalesArea"] {
			j.results("to_CustomerSalesArea", func() {
				j.elem()
				s.writeSalesArea(j, base, c)
			})
		} else {
			j.deferred("to_CustomerSalesArea", curi+"/to_CustomerSalesArea")
		}
		j.close()
	} else {
		j.deferred("to_Customer", uri+"/to_Customer")
	}
	j.close()
}

func salesAreaURI(base, code string) string {
	return base + "A_CustomerSalesArea(Customer='" + code + "',SalesOrganization='" + salesOrg +
		"',DistributionChannel='" + distChannel + "',Division='" + division + "')"
}

func (s *Sim) writeSalesArea(j *jbuf, base string, c *customer) {
	j.open()
	j.meta(salesAreaURI(base, c.code), "API_BUSINESS_PARTNER.A_CustomerSalesAreaType", c.etag())
	j.str("Customer", c.code)
	j.str("SalesOrganization", salesOrg)
	j.str("DistributionChannel", distChannel)
	j.str("Division", division)
	j.str("CustomerPaymentTerms", c.paymentTerms)
	if c.malformed == 2 {
		j.str("Currency", "RENMINBI")
	} else {
		j.str("Currency", c.currency)
	}
	if c.minDiscount == "" {
		j.null(s.opts.MinDiscountField)
	} else {
		j.str(s.opts.MinDiscountField, c.minDiscount)
	}
	if c.creditLimit == "" {
		j.null(s.opts.CreditLimitField)
	} else {
		j.str(s.opts.CreditLimitField, c.creditLimit)
	}
	j.close()
}

// salesAreaCustomer resolves an A_CustomerSalesArea key; callers hold s.mu.
func (s *Sim) salesAreaCustomer(c *reqCtx) *customer {
	k := c.key
	if k == nil || k["SalesOrganization"] != salesOrg || k["DistributionChannel"] != distChannel || k["Division"] != division {
		return nil
	}
	return s.customerByCode(k["Customer"])
}

func (s *Sim) getSalesArea(c *reqCtx) {
	if cust, b, ok := entity(c, "A_CustomerSalesAreaType", func() *customer { return s.salesAreaCustomer(c) },
		func(j *jbuf, cust *customer) { s.writeSalesArea(j, c.base, cust) }); ok {
		c.w.Header().Set("ETag", cust.etag())
		c.writeJSON(http.StatusOK, b)
	}
}

// patchSalesArea updates terms under optimistic locking: 428 without
// If-Match, 412 when it does not match, and nothing changes in either case.
func (s *Sim) patchSalesArea(c *reqCtx) {
	ifMatch := c.r.Header.Get("If-Match")
	if ifMatch == "" {
		c.fail(http.StatusPreconditionRequired, "Precondition required: send If-Match with the ETag you read")
		return
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, 1<<20)).Decode(&body); err != nil {
		c.fail(http.StatusBadRequest, "Malformed request body: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.salesAreaCustomer(c)
	if cur == nil {
		c.fail(http.StatusNotFound, "Resource not found for segment 'A_CustomerSalesAreaType'")
		return
	}
	if s.dice.Roll(s.faults.StaleETagRate) {
		cur = s.touch(cur) // someone else saved the customer a moment ago
	}
	if ifMatch != "*" && ifMatch != cur.etag() {
		c.fail(http.StatusPreconditionFailed, "The entity was changed by another user; read it again (ETag mismatch)")
		return
	}
	next := *cur
	for k, raw := range body {
		var v *string
		if err := json.Unmarshal(raw, &v); err != nil {
			c.fail(http.StatusBadRequest, fmt.Sprintf("Property '%s' has an invalid value", k))
			return
		}
		val := ""
		if v != nil {
			val = *v
		}
		switch k {
		case "CustomerPaymentTerms":
			if len(val) > 4 {
				c.fail(http.StatusBadRequest, "CustomerPaymentTerms: at most 4 characters")
				return
			}
			next.paymentTerms = val
		case s.opts.MinDiscountField, s.opts.CreditLimitField:
			if val != "" {
				if _, err := sap.ParseDecimal(val); err != nil {
					c.fail(http.StatusBadRequest, fmt.Sprintf("Property '%s': %v", k, err))
					return
				}
			}
			if k == s.opts.MinDiscountField {
				next.minDiscount = val
			} else {
				next.creditLimit = val
			}
		case "Customer", "SalesOrganization", "DistributionChannel", "Division", "__metadata":
			// key properties may be repeated, not changed
			if k != "__metadata" && val != c.key[k] {
				c.fail(http.StatusBadRequest, "Key property '"+k+"' cannot be changed")
				return
			}
		default:
			c.fail(http.StatusBadRequest, fmt.Sprintf("Property '%s' is invalid or not updatable", k))
			return
		}
	}
	next.version++
	next.changed = s.now()
	s.saveCustomer(&next)
	c.w.Header().Set("ETag", next.etag())
	c.w.WriteHeader(http.StatusNoContent)
}

// touch records an edit by "someone else" (a phone number typed in SAP GUI);
// callers hold s.mu.
func (s *Sim) touch(cur *customer) *customer {
	next := *cur
	next.version++
	next.changed = s.now()
	next.phone = fmt.Sprintf("0512-%08d", simulation.Mix(uint64(next.version)^uint64(len(next.code)))%100000000)
	s.saveCustomer(&next)
	return &next
}

// TouchCustomer changes a customer as another ERP user would, so an ETag
// read before is stale. It reports whether the customer exists.
func (s *Sim) TouchCustomer(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.customerByCode(code)
	if cur == nil {
		return false
	}
	s.touch(cur)
	return true
}

// ChangeCustomers changes n generated customers (chosen evenly over the table,
// starting at offset) as ERP users would, stamping them now. It returns their
// codes.
func (s *Sim) ChangeCustomers(n, offset int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cust.changeSpread(s.opts.Customers, n, offset, s.now(), genCustomerKey, func(ov *customer) { s.touch(ov) })
}

// createBusinessPartner is the deep insert of a customer: the partner, its
// roles, address, tax number and customer sales area.
func (s *Sim) createBusinessPartner(c *reqCtx) (int, []byte) {
	var in sap.BusinessPartner
	if err := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, 1<<20)).Decode(&in); err != nil {
		return errBody(http.StatusBadRequest, "Malformed request body: "+err.Error())
	}
	name := strings.TrimSpace(in.OrganizationBPName1)
	if name == "" {
		return errBody(http.StatusBadRequest, "OrganizationBPName1 is mandatory for an organization")
	}
	if len([]rune(in.OrganizationBPName1)) > 40 || len([]rune(in.OrganizationBPName2)) > 40 {
		return errBody(http.StatusBadRequest, "OrganizationBPName1/2: at most 40 characters")
	}
	if len(in.BusinessPartnerIDByExtSystem) > 20 {
		return errBody(http.StatusBadRequest, "BusinessPartnerIDByExtSystem: at most 20 characters")
	}
	s.mu.Lock()
	n := s.nextSeq()
	code := "2" + simulation.Pad(n, 9)
	cust := &customer{index: -1, bp: code, code: code, name1: in.OrganizationBPName1, name2: in.OrganizationBPName2,
		extID: in.BusinessPartnerIDByExtSystem, country: "CN", currency: "CNY", created: s.now()}
	if len(in.Addresses.Results) > 0 {
		a := in.Addresses.Results[0]
		cust.street, cust.house, cust.city, cust.postal = a.StreetName, a.HouseNumber, a.CityName, a.PostalCode
		if a.Country != "" {
			cust.country = a.Country
		}
		if len(a.Phones.Results) > 0 {
			cust.phone = a.Phones.Results[0].PhoneNumber
		}
	}
	if len(in.TaxNumbers.Results) > 0 {
		cust.taxType, cust.taxNo = in.TaxNumbers.Results[0].BPTaxType, in.TaxNumbers.Results[0].BPTaxNumber
	}
	if in.CustomerData != nil && len(in.CustomerData.SalesAreas.Results) > 0 {
		sa := in.CustomerData.SalesAreas.Results[0]
		cust.paymentTerms = sa.CustomerPaymentTerms
		if sa.Currency != "" {
			cust.currency = sa.Currency
		}
		for k, raw := range sa.Ext {
			var v string
			if json.Unmarshal(raw, &v) == nil {
				switch k {
				case s.opts.MinDiscountField:
					cust.minDiscount = v
				case s.opts.CreditLimitField:
					cust.creditLimit = v
				}
			}
		}
	}
	s.saveCustomer(cust)
	var j jbuf
	j.b = append(j.b, `{"d":`...)
	s.writeBP(&j, c.base, cust, query{expand: map[string]bool{}})
	j.b = append(j.b, '}')
	s.mu.Unlock()
	c.w.Header().Set("Location", c.base+"A_BusinessPartner('"+code+"')")
	return http.StatusCreated, j.b
}

func errBody(status int, msg string) (int, []byte) {
	b, _ := json.Marshal(sap.NewErrorBody("/IWBEP/CM_MGW_RT/000", msg))
	return status, b
}
