package sap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors"
)

// Customers come from A_BusinessPartner, the entity that carries the change
// stamps (A_Customer has none), expanded to the customer, its sales areas,
// addresses (with phone numbers) and tax numbers. Names are those of SAP's
// $metadata for API_BUSINESS_PARTNER.

// BusinessPartner is an A_BusinessPartner row with the expansions l2c reads.
type BusinessPartner struct {
	Meta                         Meta                  `json:"__metadata"`
	BusinessPartner              string                `json:"BusinessPartner"`
	Customer                     string                `json:"Customer"`
	BusinessPartnerCategory      string                `json:"BusinessPartnerCategory,omitempty"`
	BusinessPartnerFullName      string                `json:"BusinessPartnerFullName"`
	OrganizationBPName1          string                `json:"OrganizationBPName1"`
	OrganizationBPName2          string                `json:"OrganizationBPName2"`
	BusinessPartnerIsBlocked     bool                  `json:"BusinessPartnerIsBlocked"`
	BusinessPartnerIDByExtSystem string                `json:"BusinessPartnerIDByExtSystem"`
	CreationDate                 *string               `json:"CreationDate"`
	CreationTime                 string                `json:"CreationTime"`
	LastChangeDate               *string               `json:"LastChangeDate"`
	LastChangeTime               string                `json:"LastChangeTime"`
	Addresses                    Deferred[BPAddress]   `json:"to_BusinessPartnerAddress"`
	TaxNumbers                   Deferred[BPTaxNumber] `json:"to_BusinessPartnerTax"`
	Roles                        *Deferred[BPRole]     `json:"to_BusinessPartnerRole,omitempty"`
	CustomerData                 *CustomerEntity       `json:"to_Customer"`
}

// BPRole is A_BusinessPartnerRole (FLCU00: customer financial, FLCU01: customer sales).
type BPRole struct {
	BusinessPartnerRole string `json:"BusinessPartnerRole"`
}

// BPAddress is A_BusinessPartnerAddress with its phone numbers.
type BPAddress struct {
	AddressID   string                       `json:"AddressID,omitempty"`
	StreetName  string                       `json:"StreetName"`
	HouseNumber string                       `json:"HouseNumber"`
	CityName    string                       `json:"CityName"`
	PostalCode  string                       `json:"PostalCode"`
	Country     string                       `json:"Country"`
	Region      string                       `json:"Region,omitempty"`
	Phones      Deferred[AddressPhoneNumber] `json:"to_PhoneNumber"`
}

// AddressPhoneNumber is A_AddressPhoneNumber.
type AddressPhoneNumber struct {
	PhoneNumber          string `json:"PhoneNumber"`
	IsDefaultPhoneNumber bool   `json:"IsDefaultPhoneNumber"`
}

// BPTaxNumber is A_BusinessPartnerTaxNumber. In China the unified social
// credit code is filed under a CN* tax type.
type BPTaxNumber struct {
	BPTaxType   string `json:"BPTaxType"`
	BPTaxNumber string `json:"BPTaxNumber"`
}

// CustomerEntity is A_Customer with its sales areas.
type CustomerEntity struct {
	Meta                      Meta                        `json:"__metadata"`
	Customer                  string                      `json:"Customer"`
	OrderIsBlockedForCustomer string                      `json:"OrderIsBlockedForCustomer"`
	DeletionIndicator         bool                        `json:"DeletionIndicator"`
	SalesAreas                Deferred[CustomerSalesArea] `json:"to_CustomerSalesArea"`
}

// CustomerSalesArea is A_CustomerSalesArea. Extension fields (YY1_…) are kept
// in Ext because their names are configured, not compiled in.
type CustomerSalesArea struct {
	Meta                 Meta                       `json:"__metadata"`
	Customer             string                     `json:"Customer"`
	SalesOrganization    string                     `json:"SalesOrganization"`
	DistributionChannel  string                     `json:"DistributionChannel"`
	Division             string                     `json:"Division"`
	CustomerPaymentTerms string                     `json:"CustomerPaymentTerms"`
	Currency             string                     `json:"Currency"`
	Ext                  map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps the named properties and every YY1_ extension field.
func (s *CustomerSalesArea) UnmarshalJSON(b []byte) error {
	type plain CustomerSalesArea
	if err := json.Unmarshal(b, (*plain)(s)); err != nil {
		return err
	}
	if !strings.Contains(string(b), `"YY1_`) {
		return nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, v := range all {
		if strings.HasPrefix(k, "YY1_") {
			if s.Ext == nil {
				s.Ext = map[string]json.RawMessage{}
			}
			s.Ext[k] = v
		}
	}
	return nil
}

// MarshalJSON writes the named properties and the extension fields flat, as
// SAP does.
func (s CustomerSalesArea) MarshalJSON() ([]byte, error) {
	type plain CustomerSalesArea
	b, err := json.Marshal(plain(s))
	if err != nil || len(s.Ext) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range s.Ext {
		all[k] = v
	}
	return json.Marshal(all)
}

// customerSelect and customerExpand are what a customer read asks for: only the
// properties l2c uses, which keeps pages small.
func (c *Client) customerQuery() url.Values {
	sa := "to_Customer/to_CustomerSalesArea/"
	sel := []string{"BusinessPartner", "Customer", "BusinessPartnerFullName", "OrganizationBPName1",
		"OrganizationBPName2", "BusinessPartnerIsBlocked", "BusinessPartnerIDByExtSystem", "CreationDate", "CreationTime",
		"LastChangeDate", "LastChangeTime",
		"to_BusinessPartnerAddress/StreetName", "to_BusinessPartnerAddress/HouseNumber",
		"to_BusinessPartnerAddress/CityName", "to_BusinessPartnerAddress/PostalCode",
		"to_BusinessPartnerAddress/Country", "to_BusinessPartnerAddress/to_PhoneNumber/PhoneNumber",
		"to_BusinessPartnerAddress/to_PhoneNumber/IsDefaultPhoneNumber",
		"to_BusinessPartnerTax/BPTaxType", "to_BusinessPartnerTax/BPTaxNumber",
		"to_Customer/Customer", "to_Customer/OrderIsBlockedForCustomer", "to_Customer/DeletionIndicator",
		sa + "SalesOrganization", sa + "DistributionChannel", sa + "Division", sa + "CustomerPaymentTerms", sa + "Currency"}
	if f := c.cfg.MinDiscountField; f != "" {
		sel = append(sel, sa+f)
	}
	if f := c.cfg.CreditLimitField; f != "" {
		sel = append(sel, sa+f)
	}
	return url.Values{
		"$select": {strings.Join(sel, ",")},
		"$expand": {"to_BusinessPartnerAddress/to_PhoneNumber,to_BusinessPartnerTax,to_Customer/to_CustomerSalesArea"},
	}
}

// ChangedFilter is the $filter for business partners changed at or after
// since. SAP keeps the change stamp as a date and a time of day in the
// system's zone, and leaves LastChangeDate null until the first change, so a
// new partner is found by its creation stamp.
func ChangedFilter(since time.Time, loc *time.Location) string {
	day, tod := SplitStamp(since, loc)
	d, t := DateTimeLit(day), TimeLit(tod)
	return fmt.Sprintf("(LastChangeDate gt %s or (LastChangeDate eq %s and LastChangeTime ge %s)) or "+
		"(LastChangeDate eq null and (CreationDate gt %s or (CreationDate eq %s and CreationTime ge %s)))",
		d, d, t, d, d, t)
}

// ChangedDayFilter is the $filter for business partners changed or created
// on or after since's day (in loc): date comparisons only, which every OData
// v2 server accepts, where some refuse Edm.Time literals. It reads the rest
// of since's day again; the sync skips rows it already has unchanged, so the
// overlap costs reads, not writes.
func ChangedDayFilter(since time.Time, loc *time.Location) string {
	day, _ := SplitStamp(since, loc)
	d := DateTimeLit(day)
	return fmt.Sprintf("LastChangeDate ge %s or (LastChangeDate eq null and CreationDate ge %s)", d, d)
}

func (c *Client) customerListing() listing {
	return listing{op: "GET A_BusinessPartner", service: ServiceBusinessPartner, path: "/A_BusinessPartner",
		query: c.customerQuery, probe: true, keys: []string{"BusinessPartner"},
		changed: func(since time.Time, byDay bool) string {
			if byDay {
				return ChangedDayFilter(since, c.cfg.TimeZone)
			}
			return ChangedFilter(since, c.cfg.TimeZone)
		}}
}

// CustomersChanged implements connectors.ChangeReader.
func (c *Client) CustomersChanged(ctx context.Context, since time.Time, cursor string) (connectors.Page[connectors.Customer], error) {
	return readPage(ctx, c, c.customerListing(), since, cursor, func(r *row, bp *BusinessPartner, keys *keyTracker) string {
		c.scanBusinessPartner(r, bp)
		keys.see(bp.BusinessPartner)
		return bp.BusinessPartner
	}, c.toCustomer)
}

// toCustomer maps a business partner; ok is false for partners that are not
// customers (suppliers, contact persons), which are skipped, not rejected.
func (c *Client) toCustomer(bp *BusinessPartner) (connectors.Customer, bool, error) {
	code := bp.Customer
	if bp.CustomerData != nil && bp.CustomerData.Customer != "" {
		code = bp.CustomerData.Customer
	}
	if code == "" {
		return connectors.Customer{}, false, nil
	}
	out := connectors.Customer{Code: code, BusinessPartner: bp.BusinessPartner, Blocked: bp.BusinessPartnerIsBlocked}
	out.Name = strings.TrimSpace(strings.TrimSpace(bp.OrganizationBPName1) + " " + strings.TrimSpace(bp.OrganizationBPName2))
	if out.Name == "" {
		out.Name = strings.TrimSpace(bp.BusinessPartnerFullName)
	}
	if out.Name == "" {
		return out, false, errors.New("customer " + code + " has no name (OrganizationBPName1 and BusinessPartnerFullName are empty)")
	}
	stamp, err := c.stamp(bp)
	if err != nil {
		return out, false, fmt.Errorf("customer %s: %w", code, err)
	}
	out.ChangedAt = stamp
	for _, t := range bp.TaxNumbers.Results {
		if strings.HasPrefix(t.BPTaxType, "CN") && t.BPTaxNumber != "" {
			out.TaxID = t.BPTaxNumber
			break
		}
	}
	if len(bp.Addresses.Results) > 0 {
		a := bp.Addresses.Results[0]
		out.Address = joinNonEmpty(", ", strings.TrimSpace(a.StreetName+" "+a.HouseNumber), a.CityName, a.PostalCode, a.Country)
		for _, p := range a.Phones.Results {
			if out.Phone == "" || p.IsDefaultPhoneNumber {
				out.Phone = p.PhoneNumber
			}
		}
	}
	if cd := bp.CustomerData; cd != nil {
		out.Blocked = out.Blocked || cd.OrderIsBlockedForCustomer != "" || cd.DeletionIndicator
		if sa := c.salesArea(cd.SalesAreas.Results); sa != nil {
			if err := c.readTerms(sa, &out); err != nil {
				return out, false, fmt.Errorf("customer %s: %w", code, err)
			}
		}
	}
	return out, true, nil
}

// stamp is the partner's last change, or its creation if never changed.
func (c *Client) stamp(bp *BusinessPartner) (time.Time, error) {
	dateS, timeS, what := bp.LastChangeDate, bp.LastChangeTime, "LastChangeDate"
	if dateS == nil || *dateS == "" {
		dateS, timeS, what = bp.CreationDate, bp.CreationTime, "CreationDate"
	}
	if dateS == nil || *dateS == "" {
		return time.Time{}, errors.New("neither LastChangeDate nor CreationDate is set")
	}
	day, err := ParseDate(*dateS)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", what, err)
	}
	var tod time.Duration
	if timeS != "" {
		if tod, err = ParseTime(timeS); err != nil {
			return time.Time{}, fmt.Errorf("%s time: %w", what, err)
		}
	}
	return JoinStamp(day, tod, c.cfg.TimeZone), nil
}

// salesArea picks the configured sales area, or the only one there is.
func (c *Client) salesArea(areas []CustomerSalesArea) *CustomerSalesArea {
	for i := range areas {
		a := &areas[i]
		if a.SalesOrganization == c.cfg.SalesOrganization && a.DistributionChannel == c.cfg.DistributionChannel &&
			a.Division == c.cfg.Division {
			return a
		}
	}
	if len(areas) == 1 {
		return &areas[0]
	}
	return nil
}

// readTerms copies the sales area's terms and ETag onto out.
func (c *Client) readTerms(sa *CustomerSalesArea, out *connectors.Customer) error {
	out.PaymentTerms = sa.CustomerPaymentTerms
	out.Currency = sa.Currency
	out.ETag = sa.Meta.ETag
	if len(out.Currency) > 3 {
		return fmt.Errorf("currency %q is not an ISO 4217 code", out.Currency)
	}
	if f := c.cfg.MinDiscountField; f != "" {
		v, ok, err := extDecimal(sa.Ext, f)
		if err != nil {
			return err
		}
		if ok {
			bp := v // percent with two decimals = basis points
			if bp < 1 || bp > 10000 {
				return fmt.Errorf("%s %s%% is not between 0.01 and 100", f, FormatDecimal(v))
			}
			out.MinDiscountBP = &bp
		}
	}
	if f := c.cfg.CreditLimitField; f != "" {
		v, ok, err := extDecimal(sa.Ext, f)
		if err != nil {
			return err
		}
		if ok {
			if v < 0 {
				return fmt.Errorf("%s %s is negative", f, FormatDecimal(v))
			}
			out.CreditLimit = &v
		}
	}
	return nil
}

// extDecimal reads an Edm.Decimal extension field; ok is false when it is
// absent, null or empty.
func extDecimal(ext map[string]json.RawMessage, name string) (int64, bool, error) {
	raw, ok := ext[name]
	if !ok || string(raw) == "null" {
		return 0, false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, false, fmt.Errorf("%s: want a decimal string, got %s", name, raw)
	}
	if s == "" {
		return 0, false, nil
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", name, err)
	}
	return v, true, nil
}

func joinNonEmpty(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// Customer implements connectors.CustomerWriter: one customer by number.
func (c *Client) Customer(ctx context.Context, code string) (connectors.Customer, error) {
	q := c.customerQuery()
	q.Set("$filter", "Customer eq "+StringLit(code))
	return c.oneCustomer(ctx, "read customer "+code, q)
}

// CustomerByKey finds the partner l2c created with key, through
// BusinessPartnerIDByExtSystem, where CreateCustomer files the key.
func (c *Client) CustomerByKey(ctx context.Context, key string) (connectors.Customer, error) {
	q := c.customerQuery()
	q.Set("$filter", "BusinessPartnerIDByExtSystem eq "+StringLit(ExtID(key)))
	return c.oneCustomer(ctx, "find customer by key "+key, q)
}

func (c *Client) oneCustomer(ctx context.Context, op string, q url.Values) (connectors.Customer, error) {
	bps, err := getResults[BusinessPartner](ctx, c, op, c.serviceURL(ServiceBusinessPartner, "/A_BusinessPartner", q))
	if err != nil {
		return connectors.Customer{}, err
	}
	for i := range bps {
		cust, ok, err := c.toCustomer(&bps[i])
		if err != nil {
			return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: err.Error()}
		}
		if ok {
			return cust, nil
		}
	}
	return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrNotFound, Op: op}
}

// ExtID fits an idempotency key into BusinessPartnerIDByExtSystem (20
// characters, upper case): short keys as they are, long ones hashed.
func ExtID(key string) string {
	k := strings.ToUpper(key)
	if len(k) <= 20 {
		return k
	}
	return strings.ToUpper(strings.ReplaceAll(RequestID(key), "-", ""))[:20]
}

// CreateCustomer creates a business partner in the customer roles with one
// address and one sales area (deep insert), filed under the key.
func (c *Client) CreateCustomer(ctx context.Context, idem connectors.Idempotency, nc connectors.NewCustomer) (connectors.Customer, error) {
	op := "create customer " + idem.Key
	country := nc.Country
	if country == "" {
		country = "CN"
	}
	name1, name2 := splitName(nc.Name, 40)
	sa := CustomerSalesArea{SalesOrganization: c.cfg.SalesOrganization, DistributionChannel: c.cfg.DistributionChannel,
		Division: c.cfg.Division, CustomerPaymentTerms: nc.PaymentTerms, Currency: nc.Currency}
	if t := nc.Terms.PaymentTerms; t != nil {
		sa.CustomerPaymentTerms = *t
	}
	if err := c.writeExt(&sa, nc.Terms); err != nil {
		return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: err.Error()}
	}
	bp := BusinessPartner{BusinessPartnerCategory: "2", OrganizationBPName1: name1, OrganizationBPName2: name2,
		BusinessPartnerIDByExtSystem: ExtID(idem.Key),
		Roles:                        &Deferred[BPRole]{Results: []BPRole{{"FLCU00"}, {"FLCU01"}}},
		Addresses: Deferred[BPAddress]{Results: []BPAddress{{StreetName: nc.Street, CityName: nc.City,
			PostalCode: nc.PostalCode, Country: country,
			Phones: Deferred[AddressPhoneNumber]{Results: phones(nc.Phone)}}}},
		CustomerData: &CustomerEntity{SalesAreas: Deferred[CustomerSalesArea]{Results: []CustomerSalesArea{sa}}},
	}
	if nc.TaxID != "" {
		bp.TaxNumbers = Deferred[BPTaxNumber]{Results: []BPTaxNumber{{BPTaxType: "CN5", BPTaxNumber: nc.TaxID}}}
	}
	res, err := c.do(ctx, request{op: op, method: http.MethodPost,
		url: c.serviceURL(ServiceBusinessPartner, "/A_BusinessPartner", nil), body: createBody(bp), idem: &idem})
	if err != nil {
		return connectors.Customer{}, err
	}
	created, err := decodeEntity[BusinessPartner](op, res)
	if err != nil {
		return connectors.Customer{}, err
	}
	// The create answer does not carry the expansions as a read does; read the
	// customer back so the caller gets what the ERP holds, ETag included.
	if created.Customer != "" {
		return c.Customer(ctx, created.Customer)
	}
	return c.CustomerByKey(ctx, idem.Key)
}

// createBody drops the read-only __metadata from a deep insert.
func createBody(bp BusinessPartner) map[string]any {
	b, _ := json.Marshal(bp)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	delete(m, "__metadata")
	for _, k := range []string{"BusinessPartner", "Customer", "BusinessPartnerFullName", "CreationDate", "CreationTime",
		"LastChangeDate", "LastChangeTime", "BusinessPartnerIsBlocked"} {
		delete(m, k)
	}
	if cd, ok := m["to_Customer"].(map[string]any); ok {
		delete(cd, "__metadata")
		delete(cd, "Customer")
		if sas, ok := cd["to_CustomerSalesArea"].(map[string]any); ok {
			for _, sa := range sas["results"].([]any) {
				delete(sa.(map[string]any), "__metadata")
				delete(sa.(map[string]any), "Customer")
			}
		}
	}
	return m
}

func phones(p string) []AddressPhoneNumber {
	if p == "" {
		return nil
	}
	return []AddressPhoneNumber{{PhoneNumber: p, IsDefaultPhoneNumber: true}}
}

// splitName splits a name over OrganizationBPName1 and 2 (40 characters each).
func splitName(s string, n int) (string, string) {
	r := []rune(s)
	if len(r) <= n {
		return s, ""
	}
	rest := r[n:]
	if len(rest) > n {
		rest = rest[:n]
	}
	return string(r[:n]), string(rest)
}

// writeExt puts the terms l2c keeps in extension fields onto sa.
func (c *Client) writeExt(sa *CustomerSalesArea, t connectors.Terms) error {
	set := func(field string, v *int64, what string) error {
		if v == nil {
			return nil
		}
		if field == "" {
			return fmt.Errorf("this SAP system has no field for the %s (set its custom field name)", what)
		}
		if sa.Ext == nil {
			sa.Ext = map[string]json.RawMessage{}
		}
		b, _ := json.Marshal(FormatDecimal(*v))
		sa.Ext[field] = b
		return nil
	}
	if err := set(c.cfg.MinDiscountField, t.MinDiscountBP, "minimum discount"); err != nil {
		return err
	}
	return set(c.cfg.CreditLimitField, t.CreditLimit, "credit limit")
}

// UpdateCustomerTerms patches the customer's sales area with If-Match: S/4
// answers 412 when the ETag is stale (someone changed the customer since l2c
// read it) and 428 when it is missing, and changes nothing in either case.
func (c *Client) UpdateCustomerTerms(ctx context.Context, code, etag string, t connectors.Terms) (connectors.Customer, error) {
	op := "update terms of customer " + code
	if etag == "" {
		return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op,
			Message: "no ETag: read the customer first, terms are only changed against a known version"}
	}
	body := map[string]any{}
	if t.PaymentTerms != nil {
		body["CustomerPaymentTerms"] = *t.PaymentTerms
	}
	var sa CustomerSalesArea
	if err := c.writeExt(&sa, t); err != nil {
		return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: err.Error()}
	}
	for k, v := range sa.Ext {
		body[k] = v
	}
	if len(body) == 0 {
		return c.Customer(ctx, code)
	}
	path := fmt.Sprintf("/A_CustomerSalesArea(Customer=%s,SalesOrganization=%s,DistributionChannel=%s,Division=%s)",
		StringLit(code), StringLit(c.cfg.SalesOrganization), StringLit(c.cfg.DistributionChannel), StringLit(c.cfg.Division))
	// PATCH is what S/4HANA's OData v2 services accept for partial updates
	// (MERGE is its v2 synonym).
	_, err := c.do(ctx, request{op: op, method: http.MethodPatch, url: c.serviceURL(ServiceBusinessPartner, path, nil),
		body: body, ifMatch: etag})
	if err != nil {
		return connectors.Customer{}, err
	}
	return c.Customer(ctx, code)
}
