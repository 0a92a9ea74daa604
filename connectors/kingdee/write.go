package kingdee

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors"
)

// Writes go through Save with IsAutoSubmitAndAudit, so what l2c creates is
// audited at once (the reads take audited documents only). Kingdee has no
// idempotency header: a create first looks for what an earlier attempt
// made (the customer filed under the key, the order under the customer's
// reference), and files its key so the next attempt finds it. Kingdee has no
// ETag either: a terms change compares FModifyDate with the version the
// change was approved against and refuses (ErrConflict) when it moved.

// saveAnswer is Save's result.
func (c *Client) save(ctx context.Context, op, formID string, data map[string]any) (string, error) {
	b, err := c.call(ctx, op, PathSave, map[string]any{"formid": formID, "data": data})
	if err != nil {
		return "", err
	}
	var r ResultBody
	if err := json.Unmarshal(b, &r); err != nil {
		return "", &connectors.Error{Kind: connectors.ErrUnavailable, Op: op, Message: "malformed Save answer", Err: err}
	}
	num := r.Result.Number
	if num == "" && len(r.Result.ResponseStatus.SuccessEntitys) > 0 {
		num = r.Result.ResponseStatus.SuccessEntitys[0].Number
	}
	return num, nil
}

func num(n string) map[string]any { return map[string]any{"FNumber": n} }

// oneCustomer reads the audited customer matching filter.
func (c *Client) oneCustomer(ctx context.Context, op, filter string) (connectors.Customer, string, error) {
	f := c.customerForm()
	f.base += " AND " + filter
	rows, _, err := c.query(ctx, f, time.Time{}, "")
	if err != nil {
		return connectors.Customer{}, "", err
	}
	if len(rows) == 0 {
		return connectors.Customer{}, "", &connectors.Error{Kind: connectors.ErrNotFound, Op: op}
	}
	cust, err := c.toCustomer(f, rows[0])
	if err != nil {
		return connectors.Customer{}, "", &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: err.Error()}
	}
	return cust, str(at(rows[0], f.index("FCUSTID"))), nil
}

// Customer implements connectors.CustomerWriter.
func (c *Client) Customer(ctx context.Context, code string) (connectors.Customer, error) {
	cust, _, err := c.oneCustomer(ctx, "read customer "+code, "FNumber = "+Lit(code))
	return cust, err
}

// CustomerByKey finds the customer l2c created with key (in KeyField).
func (c *Client) CustomerByKey(ctx context.Context, key string) (connectors.Customer, error) {
	cust, _, err := c.oneCustomer(ctx, "find customer by key "+key, c.cfg.KeyField+" = "+Lit(key))
	return cust, err
}

// CreateCustomer implements connectors.CustomerWriter.
func (c *Client) CreateCustomer(ctx context.Context, idem connectors.Idempotency, nc connectors.NewCustomer) (connectors.Customer, error) {
	op := "create customer " + idem.Key
	if cust, err := c.CustomerByKey(ctx, idem.Key); err == nil {
		return cust, nil // an earlier attempt made it
	} else if !isNotFound(err) {
		return connectors.Customer{}, err
	}
	model := map[string]any{"FCreateOrgId": num(c.cfg.OrgNumber), "FUseOrgId": num(c.cfg.OrgNumber),
		"FName": nc.Name, c.cfg.KeyField: idem.Key}
	addr := strings.TrimSpace(strings.Join(nonEmpty(nc.Street, nc.City, nc.PostalCode), " "))
	for k, v := range map[string]string{"FTAXREGISTERCODE": nc.TaxID, "FADDRESS": addr, "FTEL": nc.Phone} {
		if v != "" {
			model[k] = v
		}
	}
	terms := nc.PaymentTerms
	if nc.Terms.PaymentTerms != nil {
		terms = *nc.Terms.PaymentTerms
	}
	if terms != "" {
		model["FRECCONDITIONID"] = num(terms)
	}
	if nc.Currency != "" {
		model["FTRADINGCURRID"] = num(c.kdCurrency(nc.Currency))
	}
	if err := c.customFields(model, nc.Terms); err != nil {
		return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: err.Error()}
	}
	code, err := c.save(ctx, op, FormCustomer, map[string]any{"Model": model, "IsAutoSubmitAndAudit": true})
	if err != nil {
		return connectors.Customer{}, err
	}
	if code != "" {
		return c.Customer(ctx, code)
	}
	return c.CustomerByKey(ctx, idem.Key)
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func isNotFound(err error) bool {
	ce, ok := err.(*connectors.Error)
	return ok && ce.Kind == connectors.ErrNotFound
}

// customFields puts the terms kept in custom fields onto model.
func (c *Client) customFields(model map[string]any, t connectors.Terms) error {
	set := func(field string, v *int64, what string) error {
		if v == nil {
			return nil
		}
		if field == "" {
			return fmt.Errorf("this Kingdee system has no field for the %s (set its custom field name)", what)
		}
		model[field] = json.Number(decimal(*v))
		return nil
	}
	if err := set(c.cfg.MinDiscountField, t.MinDiscountBP, "minimum discount"); err != nil {
		return err
	}
	return set(c.cfg.CreditLimitField, t.CreditLimit, "credit limit")
}

func decimal(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// UpdateCustomerTerms implements connectors.CustomerWriter. etag is the
// customer's FModifyDate when the change was approved.
func (c *Client) UpdateCustomerTerms(ctx context.Context, code, etag string, t connectors.Terms) (connectors.Customer, error) {
	op := "update terms of customer " + code
	if etag == "" {
		return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op,
			Message: "no version: read the customer first, terms are only changed against a known version"}
	}
	cur, id, err := c.oneCustomer(ctx, op, "FNumber = "+Lit(code))
	if err != nil {
		return connectors.Customer{}, err
	}
	if cur.ETag != etag {
		return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrConflict, Op: op,
			Message: fmt.Sprintf("the customer was changed in Kingdee at %s, after the version %s the change was approved against", cur.ETag, etag)}
	}
	fid, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: "customer without an internal ID (FCUSTID)"}
	}
	model := map[string]any{"FCUSTID": fid}
	var fields []string
	if t.PaymentTerms != nil {
		model["FRECCONDITIONID"] = num(*t.PaymentTerms)
		fields = append(fields, "FRECCONDITIONID")
	}
	if err := c.customFields(model, t); err != nil {
		return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: err.Error()}
	}
	for _, f := range []string{c.cfg.MinDiscountField, c.cfg.CreditLimitField} {
		if _, ok := model[f]; ok && f != "" {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		return cur, nil
	}
	if _, err := c.save(ctx, op, FormCustomer, map[string]any{"Model": model, "NeedUpDateFields": fields,
		"IsAutoSubmitAndAudit": true}); err != nil {
		return connectors.Customer{}, err
	}
	return c.Customer(ctx, code)
}

// --- orders ---

var saleOrderForm = form{op: "query " + FormSaleOrder, id: FormSaleOrder, keys: []string{"FBillNo"},
	base:   "FDocumentStatus = 'C'",
	fields: []string{"FBillNo", "FCustId.FNumber", "FNote", "FBillAllAmount", "FSettleCurrId.FNumber"}}

// FindSalesOrder implements connectors.OrderWriter: the order whose remark
// (FNote) is the customer's reference.
func (c *Client) FindSalesOrder(ctx context.Context, customer, ref string) (connectors.SalesOrder, error) {
	return c.oneSalesOrder(ctx, "find sales order "+ref, "FCustId.FNumber = "+Lit(customer)+" AND FNote = "+Lit(ref))
}

// ReadSalesOrder implements connectors.OrderReader: the audited order
// numbered number, as a person may link it to a deal.
func (c *Client) ReadSalesOrder(ctx context.Context, number string) (connectors.SalesOrder, error) {
	return c.oneSalesOrder(ctx, "read sales order "+number, "FBillNo = "+Lit(number))
}

var _ connectors.OrderReader = (*Client)(nil)

// oneSalesOrder reads the audited sales order matching filter.
func (c *Client) oneSalesOrder(ctx context.Context, op, filter string) (connectors.SalesOrder, error) {
	f := saleOrderForm
	f.base += " AND " + filter
	rows, _, err := c.query(ctx, f, time.Time{}, "")
	if err != nil {
		return connectors.SalesOrder{}, err
	}
	if len(rows) == 0 {
		return connectors.SalesOrder{}, &connectors.Error{Kind: connectors.ErrNotFound, Op: op}
	}
	r := rows[0]
	so := connectors.SalesOrder{Number: str(at(r, 0)), Customer: str(at(r, 1)), CustomerRef: str(at(r, 2))}
	if so.Currency, err = c.iso(str(at(r, 4))); err != nil {
		return so, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: err.Error()}
	}
	if so.NetValue, err = amount(at(r, 3)); err != nil {
		return so, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: "FBillAllAmount: " + err.Error()}
	}
	return so, nil
}

// CreateSalesOrder implements connectors.OrderWriter.
func (c *Client) CreateSalesOrder(ctx context.Context, idem connectors.Idempotency, o connectors.NewSalesOrder) (connectors.SalesOrder, error) {
	op := "create sales order " + idem.Key
	if o.CustomerRef == "" {
		return connectors.SalesOrder{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op,
			Message: "an order needs the customer's reference: it is how a retried create finds the first"}
	}
	if so, err := c.FindSalesOrder(ctx, o.Customer, o.CustomerRef); err == nil {
		return so, nil
	} else if !isNotFound(err) {
		return connectors.SalesOrder{}, err
	}
	cur := o.Currency
	if cur == "" {
		cur = "CNY"
	}
	var entries []map[string]any
	for _, it := range o.Items {
		e := map[string]any{"FMaterialId": num(it.Material), "FQty": it.Quantity}
		if it.Unit != "" {
			e["FUnitID"] = num(it.Unit)
		}
		if it.NetPrice > 0 {
			e["FTaxPrice"] = json.Number(decimal(it.NetPrice))
		}
		entries = append(entries, e)
	}
	day := time.Now().In(c.cfg.TimeZone).Format("2006-01-02")
	model := map[string]any{"FBillTypeID": map[string]any{"FNUMBER": "XSDD01_SYS"}, "FDate": day,
		"FSaleOrgId": num(c.cfg.OrgNumber), "FCustId": num(o.Customer), "FNote": o.CustomerRef,
		"FSaleOrderFinance": map[string]any{"FSettleCurrId": num(c.kdCurrency(cur))}, "FSaleOrderEntry": entries}
	if !o.RequestedDelivery.IsZero() {
		for _, e := range entries {
			e["FDeliveryDate"] = o.RequestedDelivery.Format("2006-01-02")
		}
	}
	if _, err := c.save(ctx, op, FormSaleOrder, map[string]any{"Model": model, "IsAutoSubmitAndAudit": true}); err != nil {
		return connectors.SalesOrder{}, err
	}
	return c.FindSalesOrder(ctx, o.Customer, o.CustomerRef)
}

// Shipments implements connectors.OrderWriter: audited outbound deliveries
// (销售出库单) of the order; Final once every order line is shipped in full.
func (c *Client) Shipments(ctx context.Context, salesOrder string) ([]connectors.Shipment, error) {
	f := form{op: "query " + FormOutStock, id: FormOutStock, keys: []string{"FBillNo"},
		base:   "FDocumentStatus = 'C' AND FSOORDERNO = " + Lit(salesOrder),
		fields: []string{"FBillNo", "FDate"}}
	rows, _, err := c.query(ctx, f, time.Time{}, "")
	if err != nil {
		return nil, err
	}
	lines := form{op: "query " + FormSaleOrder, id: FormSaleOrder, keys: []string{"FBillNo"},
		base: "FBillNo = " + Lit(salesOrder), fields: []string{"FBillNo", "FQty", "FStockOutQty"}}
	ol, _, err := c.query(ctx, lines, time.Time{}, "")
	if err != nil {
		return nil, err
	}
	final := len(ol) > 0
	for _, l := range ol {
		q, _ := amount(at(l, 1))
		out, _ := amount(at(l, 2))
		if out < q {
			final = false
		}
	}
	var res []connectors.Shipment
	seen := map[string]bool{}
	for _, r := range rows {
		n := str(at(r, 0))
		if seen[n] {
			continue
		}
		seen[n] = true
		d, err := c.day(at(r, 1))
		if err != nil {
			return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: f.op, Message: "delivery " + n + ": " + err.Error()}
		}
		res = append(res, connectors.Shipment{Number: n, SalesOrder: salesOrder, ShippedOn: d})
	}
	if final && len(res) > 0 {
		res[len(res)-1].Final = true
	}
	return res, nil
}

// ConfirmedDates implements connectors.OrderConfirmations: each order line's
// planned delivery day (FMinPlanDeliveryDate, the earliest of its delivery
// plan), in line order; zero where the planner set none.
func (c *Client) ConfirmedDates(ctx context.Context, salesOrder string) ([]time.Time, error) {
	f := form{op: "query " + FormSaleOrder, id: FormSaleOrder, keys: []string{"FBillNo"},
		base: "FBillNo = " + Lit(salesOrder), fields: []string{"FBillNo", "FMinPlanDeliveryDate"}}
	rows, _, err := c.query(ctx, f, time.Time{}, "")
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &connectors.Error{Kind: connectors.ErrNotFound, Op: f.op, Message: "no sales order " + salesOrder}
	}
	days := make([]time.Time, len(rows))
	for i, r := range rows {
		if v := at(r, 1); v != nil && str(v) != "" {
			if days[i], err = c.day(v); err != nil {
				return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: f.op, Message: salesOrder + " line " + strconv.Itoa(i+1) + ": " + err.Error()}
			}
		}
	}
	return days, nil
}
