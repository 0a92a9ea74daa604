package sap

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scan is a minimal JSON reader for the collection pages of a sync. A page of
// 5,000 business partners is 15 MB of JSON, most of it __metadata and
// properties l2c does not read; encoding/json spends most of a sync's CPU
// validating and skipping it. scan reads in one pass, keeps only the fields
// the row decoders ask for, and, when a field has the wrong type, lets the
// row be rejected while the rest of the page is still read.
type scan struct {
	b   []byte
	i   int
	err error // a syntax error: the page cannot be read at all
}

var errSyntax = errors.New("malformed JSON")

func (s *scan) fail(what string) {
	if s.err == nil {
		s.err = fmt.Errorf("%w at byte %d: %s", errSyntax, s.i, what)
	}
	s.i = len(s.b)
}

func (s *scan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scan) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scan) expect(c byte) bool {
	if s.peek() != c {
		s.fail("expected " + string(c))
		return false
	}
	s.i++
	return true
}

// object calls field for each key of an object; field must consume the value.
func (s *scan) object(field func(key string)) {
	if !s.expect('{') {
		return
	}
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.err == nil {
		key, ok := s.rawString()
		if !ok {
			s.fail("expected a key")
			return
		}
		if !s.expect(':') {
			return
		}
		field(key)
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.fail("expected , or }")
			return
		}
	}
}

// array calls elem for each element; elem must consume it.
func (s *scan) array(elem func()) {
	if !s.expect('[') {
		return
	}
	if s.peek() == ']' {
		s.i++
		return
	}
	for s.err == nil {
		elem()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.fail("expected , or ]")
			return
		}
	}
}

// rawString reads a string; ok is false (and nothing is consumed) if the next
// value is not a string.
func (s *scan) rawString() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.i + 1
	// Most strings have no escapes: find the closing quote and check what lies
	// between in bulk (IndexByte is vectorised), rather than byte by byte.
	end := bytes.IndexByte(s.b[start:], '"')
	if end < 0 {
		s.fail("unterminated string")
		return "", false
	}
	body := s.b[start : start+end]
	if bytes.IndexByte(body, '\\') >= 0 {
		return s.escapedString(start)
	}
	if hasControl(body) {
		s.fail("control character in string")
		return "", false
	}
	s.i = start + end + 1
	if len(body) == 0 {
		return "", true
	}
	// The string shares the page's memory instead of copying it: a page is
	// read into a buffer of its own that nothing writes to afterwards, and
	// the copies were a tenth of a sync's CPU. A row kept after its page
	// keeps the page's buffer alive, which the sync does not do.
	return unsafe.String(&body[0], len(body)), true
}

// hasControl reports whether b holds a byte below 0x20, eight bytes at a time.
func hasControl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// (byte - 0x20) borrows into the high bit exactly for bytes below
		// 0x20 among bytes below 0x80; bytes of 0x80 and more (UTF-8) are
		// masked out by ^x.
		if (x-ones*0x20)&^x&highs != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		if b[i] < 0x20 {
			return true
		}
	}
	return false
}

// jsonEscapes maps the byte after a backslash to the byte its escape stands
// for; 0 for \u and for bytes that escape nothing.
var jsonEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (s *scan) escapedString(start int) (string, bool) {
	out := make([]byte, 0, 64)
	for i := start; i < len(s.b); {
		c := s.b[i]
		switch {
		case c == '"':
			s.i = i + 1
			return string(out), true
		case c == '\\':
			if i+1 >= len(s.b) {
				break
			}
			e := s.b[i+1]
			i += 2
			switch {
			case jsonEscapes[e] != 0:
				out = append(out, jsonEscapes[e])
			case e == 'u':
				r, n := s.hex4(i)
				if n == 0 {
					s.fail("bad \\u escape")
					return "", false
				}
				i += n
				if utf16.IsSurrogate(r) {
					if r2, n2 := s.hex4(i + 2); n2 > 0 && i+1 < len(s.b) && s.b[i] == '\\' && s.b[i+1] == 'u' {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r, i = d, i+2+n2
						}
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				s.fail("bad escape")
				return "", false
			}
		case c < 0x20:
			s.fail("control character in string")
			return "", false
		default:
			out = append(out, c)
			i++
		}
	}
	s.fail("unterminated string")
	return "", false
}

func (s *scan) hex4(i int) (rune, int) {
	if i+4 > len(s.b) {
		return 0, 0
	}
	v, err := strconv.ParseUint(string(s.b[i:i+4]), 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 4
}

// literal consumes true, false or null and returns it.
func (s *scan) literal() string {
	s.ws()
	for _, lit := range []string{"true", "false", "null"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return lit
		}
	}
	return ""
}

// skip consumes any value.
func (s *scan) skip() {
	switch c := s.peek(); {
	case c == '{':
		s.object(func(string) { s.skip() })
	case c == '[':
		s.array(s.skip)
	case c == '"':
		s.rawString()
	case c == 't' || c == 'f' || c == 'n':
		if s.literal() == "" {
			s.fail("bad literal")
		}
	case c == '-' || (c >= '0' && c <= '9'):
		for s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] == '+' || s.b[s.i] == '.' || s.b[s.i] == 'e' ||
			s.b[s.i] == 'E' || (s.b[s.i] >= '0' && s.b[s.i] <= '9')) {
			s.i++
		}
	default:
		s.fail("expected a value")
	}
}

// row collects one row's fields and the first type error in it.
type row struct {
	s   *scan
	bad error
}

// str reads a string field into *dst; null leaves it empty. Any other type
// marks the row bad.
func (r *row) str(name string, dst *string) {
	if v, ok := r.s.rawString(); ok {
		*dst = v
		return
	}
	if r.s.literal() == "null" {
		return
	}
	r.wrong(name, "a string")
}

// nullable reads a string field that may be null into *dst (nil for null).
func (r *row) nullable(name string, dst **string) {
	if v, ok := r.s.rawString(); ok {
		*dst = &v
		return
	}
	if r.s.literal() == "null" {
		*dst = nil
		return
	}
	r.wrong(name, "a string or null")
}

func (r *row) boolean(name string, dst *bool) {
	switch r.s.literal() {
	case "true":
		*dst = true
	case "false":
		*dst = false
	case "null":
	default:
		r.wrong(name, "true or false")
	}
}

func (r *row) wrong(name, want string) {
	start := r.s.i
	r.s.skip()
	if r.bad == nil {
		got := string(r.s.b[start:min(r.s.i, start+40)])
		r.bad = fmt.Errorf("%s: want %s, got %s", name, want, got)
	}
}

// deferred reads a navigation property: {"results": [...]} calls elem per
// element; {"__deferred": …} or null is skipped.
func (r *row) deferred(elem func()) {
	if r.s.peek() != '{' {
		if r.s.literal() != "null" {
			r.wrong("navigation property", "an object")
		}
		return
	}
	r.s.object(func(k string) {
		if k == "results" && r.s.peek() == '[' {
			r.s.array(elem)
			return
		}
		r.s.skip()
	})
}

// meta reads __metadata, keeping the ETag.
func (r *row) meta(m *Meta) {
	if r.s.peek() != '{' {
		r.s.skip()
		return
	}
	r.s.object(func(k string) {
		switch k {
		case "etag":
			r.str("__metadata/etag", &m.ETag)
		case "uri":
			r.str("__metadata/uri", &m.URI)
		default:
			r.s.skip()
		}
	})
}

// scanPage reads {"d": {"results": [...], "__next": "..."}}, calling each for
// every row; each returns the row's error (a type error), if any. Strings read
// share body's memory (see rawString): body must not be written to afterwards.
func scanPage(body []byte, each func(r *row) (key string)) (bad []rowError, next string, err error) {
	s := &scan{b: body}
	index := 0
	s.object(func(k string) {
		if k != "d" {
			s.skip()
			return
		}
		s.object(func(k string) {
			switch k {
			case "results":
				s.array(func() {
					r := &row{s: s}
					key := each(r)
					if r.bad != nil {
						bad = append(bad, rowError{index: index, key: key, err: r.bad})
					}
					index++
				})
			case "__next":
				v, _ := s.rawString()
				next = v
			default:
				s.skip()
			}
		})
	})
	if s.err == nil && s.peek() != 0 {
		s.fail("data after the response")
	}
	return bad, next, s.err
}

// scanBusinessPartner reads one A_BusinessPartner row with its expansions.
func (c *Client) scanBusinessPartner(r *row, bp *BusinessPartner) {
	s := r.s
	s.object(func(k string) {
		switch k {
		case "__metadata":
			r.meta(&bp.Meta)
		case "BusinessPartner":
			r.str(k, &bp.BusinessPartner)
		case "Customer":
			r.str(k, &bp.Customer)
		case "BusinessPartnerFullName":
			r.str(k, &bp.BusinessPartnerFullName)
		case "OrganizationBPName1":
			r.str(k, &bp.OrganizationBPName1)
		case "OrganizationBPName2":
			r.str(k, &bp.OrganizationBPName2)
		case "BusinessPartnerIsBlocked":
			r.boolean(k, &bp.BusinessPartnerIsBlocked)
		case "BusinessPartnerIDByExtSystem":
			r.str(k, &bp.BusinessPartnerIDByExtSystem)
		case "CreationDate":
			r.nullable(k, &bp.CreationDate)
		case "CreationTime":
			r.str(k, &bp.CreationTime)
		case "LastChangeDate":
			r.nullable(k, &bp.LastChangeDate)
		case "LastChangeTime":
			r.str(k, &bp.LastChangeTime)
		case "to_BusinessPartnerAddress":
			r.deferred(func() {
				var a BPAddress
				s.object(func(k string) {
					switch k {
					case "StreetName":
						r.str(k, &a.StreetName)
					case "HouseNumber":
						r.str(k, &a.HouseNumber)
					case "CityName":
						r.str(k, &a.CityName)
					case "PostalCode":
						r.str(k, &a.PostalCode)
					case "Country":
						r.str(k, &a.Country)
					case "to_PhoneNumber":
						r.deferred(func() {
							var p AddressPhoneNumber
							s.object(func(k string) {
								switch k {
								case "PhoneNumber":
									r.str(k, &p.PhoneNumber)
								case "IsDefaultPhoneNumber":
									r.boolean(k, &p.IsDefaultPhoneNumber)
								default:
									s.skip()
								}
							})
							a.Phones.Results = append(a.Phones.Results, p)
						})
					default:
						s.skip()
					}
				})
				bp.Addresses.Results = append(bp.Addresses.Results, a)
			})
		case "to_BusinessPartnerTax":
			r.deferred(func() {
				var t BPTaxNumber
				s.object(func(k string) {
					switch k {
					case "BPTaxType":
						r.str(k, &t.BPTaxType)
					case "BPTaxNumber":
						r.str(k, &t.BPTaxNumber)
					default:
						s.skip()
					}
				})
				bp.TaxNumbers.Results = append(bp.TaxNumbers.Results, t)
			})
		case "to_Customer":
			if s.peek() != '{' {
				s.skip()
				return
			}
			cd := &CustomerEntity{}
			s.object(func(k string) {
				switch k {
				case "Customer":
					r.str(k, &cd.Customer)
				case "OrderIsBlockedForCustomer":
					r.str(k, &cd.OrderIsBlockedForCustomer)
				case "DeletionIndicator":
					r.boolean(k, &cd.DeletionIndicator)
				case "to_CustomerSalesArea":
					r.deferred(func() { cd.SalesAreas.Results = append(cd.SalesAreas.Results, c.scanSalesArea(r)) })
				default:
					s.skip()
				}
			})
			bp.CustomerData = cd
		default:
			s.skip()
		}
	})
}

func (c *Client) scanSalesArea(r *row) CustomerSalesArea {
	var sa CustomerSalesArea
	s := r.s
	s.object(func(k string) {
		switch k {
		case "__metadata":
			r.meta(&sa.Meta)
		case "Customer":
			r.str(k, &sa.Customer)
		case "SalesOrganization":
			r.str(k, &sa.SalesOrganization)
		case "DistributionChannel":
			r.str(k, &sa.DistributionChannel)
		case "Division":
			r.str(k, &sa.Division)
		case "CustomerPaymentTerms":
			r.str(k, &sa.CustomerPaymentTerms)
		case "Currency":
			r.str(k, &sa.Currency)
		default:
			if k != "" && (k == c.cfg.MinDiscountField || k == c.cfg.CreditLimitField) {
				var v *string
				r.nullable(k, &v)
				if v != nil {
					if sa.Ext == nil {
						sa.Ext = map[string]json.RawMessage{}
					}
					b, _ := json.Marshal(*v)
					sa.Ext[k] = b
				}
				return
			}
			s.skip()
		}
	})
	return sa
}

func scanBillingDocument(r *row, b *BillingDocument) {
	s := r.s
	s.object(func(k string) {
		switch k {
		case "BillingDocument":
			r.str(k, &b.BillingDocument)
		case "SDDocumentCategory":
			r.str(k, &b.SDDocumentCategory)
		case "BillingDocumentType":
			r.str(k, &b.BillingDocumentType)
		case "BillingDocumentDate":
			r.nullable(k, &b.BillingDocumentDate)
		case "TotalNetAmount":
			r.str(k, &b.TotalNetAmount)
		case "TaxAmount":
			r.str(k, &b.TaxAmount)
		case "TransactionCurrency":
			r.str(k, &b.TransactionCurrency)
		case "SoldToParty":
			r.str(k, &b.SoldToParty)
		case "CustomerPaymentTerms":
			r.str(k, &b.CustomerPaymentTerms)
		case "BillingDocumentIsCancelled":
			r.boolean(k, &b.BillingDocumentIsCancelled)
		case "LastChangeDateTime":
			r.nullable(k, &b.LastChangeDateTime)
		case "to_Item":
			r.deferred(func() {
				var it BillingDocumentItem
				s.object(func(k string) {
					switch k {
					case "BillingDocumentItem":
						r.str(k, &it.BillingDocumentItem)
					case "SalesDocument":
						r.str(k, &it.SalesDocument)
					default:
						s.skip()
					}
				})
				b.Items.Results = append(b.Items.Results, it)
			})
		default:
			s.skip()
		}
	})
}

func scanReceivable(r *row, v *ReceivableItem) {
	s := r.s
	s.object(func(k string) {
		switch k {
		case "CompanyCode":
			r.str(k, &v.CompanyCode)
		case "FiscalYear":
			r.str(k, &v.FiscalYear)
		case "AccountingDocument":
			r.str(k, &v.AccountingDocument)
		case "AccountingDocumentItem":
			r.str(k, &v.AccountingDocumentItem)
		case "AccountingDocumentType":
			r.str(k, &v.AccountingDocumentType)
		case "FinancialAccountType":
			r.str(k, &v.FinancialAccountType)
		case "Customer":
			r.str(k, &v.Customer)
		case "DocumentReferenceID":
			r.str(k, &v.DocumentReferenceID)
		case "ClearingAccountingDocument":
			r.str(k, &v.ClearingAccountingDocument)
		case "ClearingDate":
			r.nullable(k, &v.ClearingDate)
		case "AmountInTransactionCurrency":
			r.str(k, &v.AmountInTransactionCurrency)
		case "TransactionCurrency":
			r.str(k, &v.TransactionCurrency)
		default:
			s.skip()
		}
	})
}
