package kingdee

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors"
)

// Forms and their field keys. Names are K3 Cloud's standard ones (as the
// public Web API clients use them); custom fields come from Config.
const (
	FormCustomer    = "BD_Customer"
	FormReceivable  = "AR_receivable"
	FormReceipt     = "AR_RECEIVEBILL"
	FormSaleOrder   = "SAL_SaleOrder"
	FormOutStock    = "SAL_OUTSTOCK"
	FieldModifyDate = "FModifyDate"
)

// BillQuery is ExecuteBillQuery's "data".
type BillQuery struct {
	FormID       string `json:"FormId"`
	FieldKeys    string `json:"FieldKeys"`
	FilterString string `json:"FilterString"`
	OrderString  string `json:"OrderString"`
	TopRowCount  int    `json:"TopRowCount"`
	StartRow     int    `json:"StartRow"`
	Limit        int    `json:"Limit"`
}

// form is one change read: the form, its fields (keys among them) and filters.
type form struct {
	op     string
	id     string
	fields []string
	keys   []string // key fields, in order; the read pages by them
	base   string   // filter always applied
}

func (f form) index(field string) int {
	for i, k := range f.fields {
		if k == field {
			return i
		}
	}
	return -1
}

// cursor is where a change read stands: after the row with key Last, within
// changes since Since. Its text form starts with "kd1;".
type cursor struct {
	Since time.Time
	Last  []string // key values as filter literals ('C001', 42)
}

func (c cursor) String() string {
	v := url.Values{}
	if !c.Since.IsZero() {
		v.Set("since", c.Since.UTC().Format(time.RFC3339Nano))
	}
	v["last"] = c.Last
	return "kd1;" + v.Encode()
}

func parseCursor(s string) (cursor, error) {
	rest, ok := strings.CutPrefix(s, "kd1;")
	bad := &connectors.Error{Kind: connectors.ErrInvalid, Op: "read cursor", Message: "not a Kingdee cursor: " + s}
	if !ok {
		return cursor{}, bad
	}
	v, err := url.ParseQuery(rest)
	if err != nil {
		return cursor{}, bad
	}
	c := cursor{Last: v["last"]}
	if t := v.Get("since"); t != "" {
		if c.Since, err = time.Parse(time.RFC3339Nano, t); err != nil {
			return cursor{}, bad
		}
	}
	return c, nil
}

// Lit quotes s for a FilterString, doubling single quotes.
func Lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// DateLit is a FilterString datetime literal in the server's zone.
func (c *Client) DateLit(t time.Time) string {
	return "'" + t.In(c.cfg.TimeZone).Format("2006-01-02 15:04:05") + "'"
}

// afterKey is "after the key last": (K1 > a OR (K1 = a AND K2 > b)).
func afterKey(keys, last []string) string {
	var terms []string
	for i := range keys {
		var t []string
		for j := 0; j < i; j++ {
			t = append(t, keys[j]+" = "+last[j])
		}
		t = append(t, keys[i]+" > "+last[i])
		terms = append(terms, "("+strings.Join(t, " AND ")+")")
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

// query reads one page of f changed since since after cursor, and returns the
// rows (values in f.fields order) and the next cursor ("" after the last page).
func (c *Client) query(ctx context.Context, f form, since time.Time, cur string) ([][]any, string, error) {
	pos := cursor{Since: since}
	if cur != "" {
		var err error
		if pos, err = parseCursor(cur); err != nil {
			return nil, "", err
		}
	}
	var filters []string
	if f.base != "" {
		filters = append(filters, f.base)
	}
	if !pos.Since.IsZero() {
		filters = append(filters, FieldModifyDate+" >= "+c.DateLit(pos.Since))
	}
	if len(pos.Last) == len(f.keys) {
		filters = append(filters, afterKey(f.keys, pos.Last))
	}
	order := make([]string, len(f.keys))
	for i, k := range f.keys {
		order[i] = k + " ASC"
	}
	q := BillQuery{FormID: f.id, FieldKeys: strings.Join(f.fields, ","), FilterString: strings.Join(filters, " AND "),
		OrderString: strings.Join(order, ","), Limit: c.cfg.PageSize}
	b, err := c.call(ctx, f.op, PathBillQuery, map[string]any{"data": q})
	if err != nil {
		return nil, "", err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var rows [][]any
	if err := dec.Decode(&rows); err != nil {
		return nil, "", &connectors.Error{Kind: connectors.ErrUnavailable, Op: f.op, Message: "malformed query answer", Err: err}
	}
	next := ""
	if len(rows) >= c.cfg.PageSize && len(rows) > 0 {
		last := rows[len(rows)-1]
		n := cursor{Since: pos.Since}
		for _, k := range f.keys {
			i := f.index(k)
			if i < 0 || i >= len(last) {
				return nil, "", fmt.Errorf("%s: key %s not among the fields read", f.op, k)
			}
			lit, ok := literal(last[i])
			if !ok {
				return nil, "", &connectors.Error{Kind: connectors.ErrInvalid, Op: f.op,
					Message: fmt.Sprintf("row without a usable key %s (%v): cannot page on", k, last[i])}
			}
			n.Last = append(n.Last, lit)
		}
		next = n.String()
	}
	return rows, next, nil
}

func literal(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return Lit(x), x != ""
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// Row values.

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// amount reads a decimal into minor units; more than two significant
// decimals are refused rather than rounded.
func amount(v any) (int64, error) {
	s := strings.TrimSpace(str(v))
	if s == "" {
		return 0, fmt.Errorf("no amount")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(whole) > 15 {
		return 0, fmt.Errorf("%q is not a decimal amount", str(v))
	}
	frac, ok := connectors.Hundredths(frac)
	if !ok {
		return 0, fmt.Errorf("%q has more than two significant decimals", str(v))
	}
	return connectors.Minor(neg, whole, frac), nil
}

// stamp reads a Kingdee datetime ("2026-11-02T10:04:05", fractions and a
// space instead of T allowed) written in the server's zone, as UTC.
func (c *Client) stamp(v any) (time.Time, error) {
	s := strings.Replace(strings.TrimSpace(str(v)), " ", "T", 1)
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, c.cfg.TimeZone); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", str(v))
}

// day reads a date field as a calendar day at midnight UTC.
func (c *Client) day(v any) (time.Time, error) {
	t, err := c.stamp(v)
	if err != nil {
		return t, err
	}
	y, m, d := t.In(c.cfg.TimeZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// --- customers ---

func (c *Client) customerForm() form {
	f := form{op: "query " + FormCustomer, id: FormCustomer, keys: []string{"FNumber"}, base: "FDocumentStatus = 'C'",
		fields: []string{"FNumber", "FName", "FTAXREGISTERCODE", "FADDRESS", "FTEL", "FRECCONDITIONID.FNumber",
			"FTRADINGCURRID.FNumber", "FForbidStatus", FieldModifyDate, "FCUSTID"}}
	for _, x := range []string{c.cfg.MinDiscountField, c.cfg.CreditLimitField} {
		if x != "" {
			f.fields = append(f.fields, x)
		}
	}
	return f
}

// CustomersChanged implements connectors.ChangeReader.
func (c *Client) CustomersChanged(ctx context.Context, since time.Time, cur string) (connectors.Page[connectors.Customer], error) {
	return changed(ctx, c, c.customerForm(), since, cur, c.toCustomer)
}

// changed reads a page of f's changes and converts each row with to; a row to
// refuses is rejected under its key fields (joined by "/"), the others kept.
func changed[T any](ctx context.Context, c *Client, f form, since time.Time, cur string, to func(form, []any) (T, error)) (connectors.Page[T], error) {
	rows, next, err := c.query(ctx, f, since, cur)
	if err != nil {
		return connectors.Page[T]{}, err
	}
	page := connectors.Page[T]{Rows: make([]T, 0, len(rows)), Next: next}
	for _, r := range rows {
		v, err := to(f, r)
		if err != nil {
			key := make([]string, len(f.keys))
			for i, k := range f.keys {
				key[i] = str(at(r, f.index(k)))
			}
			page.Rejected = append(page.Rejected, connectors.Rejected{Key: strings.Join(key, "/"), Reason: err.Error()})
			continue
		}
		page.Rows = append(page.Rows, v)
	}
	return page, nil
}

func at(r []any, i int) any {
	if i < 0 || i >= len(r) {
		return nil
	}
	return r[i]
}

func (c *Client) toCustomer(f form, r []any) (connectors.Customer, error) {
	get := func(field string) any { return at(r, f.index(field)) }
	out := connectors.Customer{Code: str(get("FNumber")), Name: str(get("FName")), TaxID: str(get("FTAXREGISTERCODE")),
		Address: str(get("FADDRESS")), Phone: str(get("FTEL")), PaymentTerms: str(get("FRECCONDITIONID.FNumber")),
		Currency: str(get("FTRADINGCURRID.FNumber")), Blocked: str(get("FForbidStatus")) == "B",
		ETag: str(get(FieldModifyDate))}
	if out.Code == "" {
		return out, fmt.Errorf("customer without a number (FNumber)")
	}
	if strings.TrimSpace(out.Name) == "" {
		return out, fmt.Errorf("customer %s has no name (FName)", out.Code)
	}
	var err error
	if out.Currency, err = c.iso(out.Currency); err != nil {
		return out, fmt.Errorf("customer %s: %w", out.Code, err)
	}
	if out.ChangedAt, err = c.stamp(get(FieldModifyDate)); err != nil {
		return out, fmt.Errorf("customer %s: %s: %w", out.Code, FieldModifyDate, err)
	}
	if x := c.cfg.MinDiscountField; x != "" && str(get(x)) != "" {
		v, err := amount(get(x))
		if err != nil || v < 1 || v > 10000 {
			return out, fmt.Errorf("customer %s: %s %v is not a percentage between 0.01 and 100", out.Code, x, get(x))
		}
		out.MinDiscountBP = &v
	}
	if x := c.cfg.CreditLimitField; x != "" && str(get(x)) != "" {
		v, err := amount(get(x))
		if err != nil || v < 0 {
			return out, fmt.Errorf("customer %s: %s %v is not an amount", out.Code, x, get(x))
		}
		out.CreditLimit = &v
	}
	return out, nil
}

// --- invoices ---

var receivableForm = form{op: "query " + FormReceivable, id: FormReceivable, keys: []string{"FBillNo"},
	// One row per receivable: its first entry carries the sales order.
	base: "FDocumentStatus = 'C' AND FEntityDetail_FSeq = 1",
	fields: []string{"FBillNo", "FCUSTOMERID.FNumber", "FDATE", "FENDDATE_H", "FALLAMOUNTFOR", "FCURRENCYID.FNumber",
		"FCancelStatus", FieldModifyDate, "FORDERNUMBER"}}

// InvoicesChanged implements connectors.ChangeReader: audited receivables (应收单).
func (c *Client) InvoicesChanged(ctx context.Context, since time.Time, cur string) (connectors.Page[connectors.Invoice], error) {
	return changed(ctx, c, receivableForm, since, cur, c.toInvoice)
}

func (c *Client) toInvoice(f form, r []any) (connectors.Invoice, error) {
	get := func(field string) any { return at(r, f.index(field)) }
	out := connectors.Invoice{Number: str(get("FBillNo")), Customer: str(get("FCUSTOMERID.FNumber")),
		Currency: str(get("FCURRENCYID.FNumber")), SalesOrder: str(get("FORDERNUMBER")), Cancelled: str(get("FCancelStatus")) == "B"}
	if out.Number == "" {
		return out, fmt.Errorf("receivable without a number (FBillNo)")
	}
	if out.Customer == "" {
		return out, fmt.Errorf("receivable %s has no customer", out.Number)
	}
	var err error
	if out.Currency, err = c.iso(out.Currency); err != nil || out.Currency == "" {
		return out, fmt.Errorf("receivable %s: currency: %v", out.Number, err)
	}
	if out.Amount, err = amount(get("FALLAMOUNTFOR")); err != nil {
		return out, fmt.Errorf("receivable %s: FALLAMOUNTFOR: %w", out.Number, err)
	}
	if out.IssuedOn, err = c.day(get("FDATE")); err != nil {
		return out, fmt.Errorf("receivable %s: FDATE: %w", out.Number, err)
	}
	if str(get("FENDDATE_H")) == "" {
		out.DueOn = out.IssuedOn.AddDate(0, 0, c.cfg.DefaultDueDays)
	} else if out.DueOn, err = c.day(get("FENDDATE_H")); err != nil {
		return out, fmt.Errorf("receivable %s: FENDDATE_H: %w", out.Number, err)
	}
	if out.ChangedAt, err = c.stamp(get(FieldModifyDate)); err != nil {
		return out, fmt.Errorf("receivable %s: %s: %w", out.Number, FieldModifyDate, err)
	}
	return out, nil
}

// --- payments ---

var receiptForm = form{op: "query " + FormReceipt, id: FormReceipt,
	keys: []string{"FBillNo", "FRECEIVEBILLSRCENTRY_FEntryID"},
	base: "FDocumentStatus = 'C' AND FSRCBILLTYPEID = 'AR_receivable'",
	fields: []string{"FBillNo", "FRECEIVEBILLSRCENTRY_FEntryID", "FCONTACTUNIT.FNumber", "FDATE", "FCURRENCYID.FNumber",
		"FSRCBILLNO", "FREALRECAMOUNT_S", FieldModifyDate}}

// PaymentsChanged implements connectors.ChangeReader: the source entries of
// audited receipts (收款单), one per receivable a receipt clears.
func (c *Client) PaymentsChanged(ctx context.Context, since time.Time, cur string) (connectors.Page[connectors.Payment], error) {
	return changed(ctx, c, receiptForm, since, cur, c.toPayment)
}

func (c *Client) toPayment(f form, r []any) (connectors.Payment, error) {
	get := func(field string) any { return at(r, f.index(field)) }
	bill, src := str(get("FBillNo")), str(get("FSRCBILLNO"))
	out := connectors.Payment{Reference: bill + "/" + src, InvoiceNo: src, Customer: str(get("FCONTACTUNIT.FNumber")),
		Currency: str(get("FCURRENCYID.FNumber"))}
	if bill == "" || src == "" {
		return out, fmt.Errorf("receipt %s: no bill number or source receivable", bill)
	}
	var err error
	if out.Currency, err = c.iso(out.Currency); err != nil || out.Currency == "" {
		return out, fmt.Errorf("receipt %s: currency: %v", out.Reference, err)
	}
	if out.Amount, err = amount(get("FREALRECAMOUNT_S")); err != nil {
		return out, fmt.Errorf("receipt %s: FREALRECAMOUNT_S: %w", out.Reference, err)
	}
	if out.Amount < 0 {
		out.Amount = -out.Amount
	}
	if out.ReceivedOn, err = c.day(get("FDATE")); err != nil {
		return out, fmt.Errorf("receipt %s: FDATE: %w", out.Reference, err)
	}
	if out.ChangedAt, err = c.stamp(get(FieldModifyDate)); err != nil {
		return out, fmt.Errorf("receipt %s: %s: %w", out.Reference, FieldModifyDate, err)
	}
	return out, nil
}
