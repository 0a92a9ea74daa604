package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
)

// A deal's tables, each described once: every column next to the field it
// stores, how the value is written and where a read puts it. Inserts, reads
// and the deal's upsert are built from these lists, so a new column is one
// line here (and its migration), never three lists kept in step by hand.

// column is one column of a table of T.
type column[T any] struct {
	name string
	// sel is what a read selects ("" for the name itself); ins wraps the
	// value's placeholder on insert ("" for the placeholder itself).
	sel, ins string
	// fixed: the deal's upsert never changes it once the row exists.
	fixed bool
	val   func(*T) (any, error) // the value to write
	dst   func(*T) any          // where a read scans it
	// after, when set, runs once the whole row is read (for what one column
	// alone cannot settle).
	after func(*T)
}

// col stores a field pgx writes and reads as it is (text, numbers, bools and
// the named types over them).
func col[T, V any](name string, f func(*T) *V) column[T] {
	return column[T]{name: name, val: func(t *T) (any, error) { return *f(t), nil }, dst: func(t *T) any { return f(t) }}
}

// day stores a calendar day in a date column.
func day[T any](name string, f func(*T) *deal.Date) column[T] {
	return column[T]{name: name, val: func(t *T) (any, error) { return pgDate(*f(t)), nil },
		dst: func(t *T) any { return &dayScan{f(t)} }}
}

// instant stores a time in a timestamptz column; it is read back in UTC, as
// the workflow holds it.
func instant[T any](name string, f func(*T) *time.Time) column[T] {
	return column[T]{name: name, val: func(t *T) (any, error) { return *f(t), nil },
		dst: func(t *T) any { return &instantScan{f(t)} }}
}

// maybeInstant stores an optional time: NULL when nil.
func maybeInstant[T any](name string, f func(*T) **time.Time) column[T] {
	return column[T]{name: name, val: func(t *T) (any, error) { return *f(t), nil },
		dst: func(t *T) any { return &maybeInstantScan{f(t)} }}
}

// jsonb stores a value as JSON; orNull stores a nil value as NULL rather
// than as JSON null.
func jsonb[T, V any](name string, orNull bool, f func(*T) *V) column[T] {
	return column[T]{name: name,
		val: func(t *T) (any, error) {
			b, err := json.Marshal(*f(t))
			if err != nil || (orNull && string(b) == "null") {
				return nil, err
			}
			return b, nil
		},
		dst: func(t *T) any { return &jsonScan[V]{f(t)} }}
}

// reviewColumns store a review in the row of its subject (a quote, a
// contract, an order): the one way a deal's tables store a review.
func reviewColumns[T any](f func(*T) *deal.Review) []column[T] {
	return []column[T]{
		col("review_status", func(t *T) *deal.ReviewStatus { return &f(t).Status }),
		col("review_round", func(t *T) *int { return &f(t).Round }),
		col("requested_by", func(t *T) *string { return &f(t).RequestedBy }),
		instant("requested_at", func(t *T) *time.Time { return &f(t).RequestedAt }),
		col("decided_by", func(t *T) *string { return &f(t).DecidedBy }),
		maybeInstant("decided_at", func(t *T) **time.Time { return &f(t).DecidedAt }),
		col("note", func(t *T) *string { return &f(t).Note }),
		col("case_id", func(t *T) *string { return &f(t).CaseID }),
	}
}

// maybeReviewColumns store a review its subject may lack (a quote has one
// only below the customer's minimum discount) in the same columns: NULL in
// each of them when there is none, which a read gives back as nil.
func maybeReviewColumns[T any](f func(*T) **deal.Review) []column[T] {
	cols := reviewColumns(func(t *T) *deal.Review {
		if *f(t) == nil {
			*f(t) = new(deal.Review) // only a read gets here: a write of none stops below
		}
		return *f(t)
	})
	for i := range cols {
		c := &cols[i]
		val := c.val
		c.val = func(t *T) (any, error) {
			if *f(t) == nil {
				return nil, nil
			}
			return val(t)
		}
		switch c.name {
		case "requested_at", "decided_at": // their scanners read NULL as the zero time, or nil
		case "review_round":
			c.sel = "coalesce(review_round, 0)"
		default:
			c.sel = "coalesce(" + c.name + ", '')"
		}
	}
	cols[0].after = func(t *T) { // review_status, never empty in a review
		if r := *f(t); r != nil && r.Status == "" {
			*f(t) = nil
		}
	}
	return cols
}

// recorded stores who recorded a row and when.
func recorded[T any](f func(*T) (*string, *time.Time)) []column[T] {
	return []column[T]{
		col("recorded_by", func(t *T) *string { by, _ := f(t); return by }),
		instant("recorded_at", func(t *T) *time.Time { _, at := f(t); return at }),
	}
}

// table is one of a deal's tables.
type table[T any] struct {
	name  string
	order string // how a read orders several rows
	cols  []column[T]
}

// selectList is what a read selects, in column order.
func (t table[T]) selectList() string {
	s := make([]string, len(t.cols))
	for i, c := range t.cols {
		s[i] = c.name
		if c.sel != "" {
			s[i] = c.sel
		}
	}
	return strings.Join(s, ", ")
}

// insert returns the INSERT of v with its arguments; first are arguments
// that come before v's (the deal's ID), with their columns.
func (t table[T]) insert(v *T, firstCols []string, first ...any) (string, []any, error) {
	names, marks, args := append([]string(nil), firstCols...), []string{}, append([]any(nil), first...)
	for i := range first {
		marks = append(marks, fmt.Sprintf("$%d", i+1))
	}
	for _, c := range t.cols {
		a, err := c.val(v)
		if err != nil {
			return "", nil, fmt.Errorf("%s.%s: %w", t.name, c.name, err)
		}
		args = append(args, a)
		mark := fmt.Sprintf("$%d", len(args))
		if c.ins != "" {
			mark = fmt.Sprintf(c.ins, mark)
		}
		names, marks = append(names, c.name), append(marks, mark)
	}
	return `INSERT INTO ` + t.name + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.Join(marks, ", ") + `)`, args, nil
}

// scan reads one row into v.
func (t table[T]) scan(row pgx.Row, v *T) error {
	dst := make([]any, len(t.cols))
	for i, c := range t.cols {
		dst[i] = c.dst(v)
	}
	if err := row.Scan(dst...); err != nil {
		return err
	}
	for _, c := range t.cols {
		if c.after != nil {
			c.after(v)
		}
	}
	return nil
}

// queueInsert queues the insert of each of vs as a row of deal id.
func (t table[T]) queueInsert(b *pgx.Batch, id string, vs ...T) error {
	for i := range vs {
		sql, args, err := t.insert(&vs[i], []string{"deal_id"}, id)
		if err != nil {
			return err
		}
		b.Queue(sql, args...)
	}
	return nil
}

// read returns the rows of deal id.
func (t table[T]) read(ctx context.Context, q querier, id string) ([]T, error) {
	sql := `SELECT ` + t.selectList() + ` FROM ` + t.name + ` WHERE deal_id = $1`
	if t.order != "" {
		sql += ` ORDER BY ` + t.order
	}
	return queryList(ctx, q, "read "+t.name, func(r pgx.CollectableRow) (v T, err error) {
		err = t.scan(r, &v)
		return v, err
	}, sql, id)
}

// one returns the single row of a table that holds at most one per deal.
func one[T any](rows []T) *T {
	if len(rows) == 1 {
		return &rows[0]
	}
	return nil
}

type dayScan struct{ d *deal.Date }

func (s *dayScan) ScanDate(v pgtype.Date) error {
	*s.d = deal.Date{}
	if v.Valid {
		*s.d = dateOf(v.Time)
	}
	return nil
}

type instantScan struct{ t *time.Time }

func (s *instantScan) ScanTimestamptz(v pgtype.Timestamptz) error {
	*s.t = v.Time.UTC()
	return nil
}

type maybeInstantScan struct{ t **time.Time }

func (s *maybeInstantScan) ScanTimestamptz(v pgtype.Timestamptz) error {
	*s.t = nil
	if v.Valid {
		t := v.Time.UTC()
		*s.t = &t
	}
	return nil
}

type jsonScan[V any] struct{ v *V }

func (s *jsonScan[V]) Scan(src any) error {
	var zero V
	*s.v = zero
	switch b := src.(type) {
	case nil:
		return nil
	case []byte:
		return json.Unmarshal(b, s.v)
	case string:
		return json.Unmarshal([]byte(b), s.v)
	}
	return fmt.Errorf("cannot read %T as JSON", src)
}

// dealsTable is the deal's own row. Owners nobody was named for are NULL.
var dealsTable = table[deal.Deal]{name: "deals", cols: []column[deal.Deal]{
	fixedCol(col("id", func(d *deal.Deal) *string { return &d.ID })),
	col("title", func(d *deal.Deal) *string { return &d.Title }),
	col("customer_code", func(d *deal.Deal) *string { return &d.Customer.Code }),
	col("customer_name", func(d *deal.Deal) *string { return &d.Customer.Name }),
	col("tendered", func(d *deal.Deal) *bool { return &d.Tendered }),
	col("currency", func(d *deal.Deal) *string { return &d.Currency }),
	col("expected_amount", func(d *deal.Deal) *money.Amount { return &d.ExpectedAmount }),
	col("purchase_timeframe", func(d *deal.Deal) *deal.Timeframe { return &d.PurchaseTimeframe }),
	col("commit_category", func(d *deal.Deal) *string { return &d.CommitCategory }),
	col("expected_order_month", func(d *deal.Deal) *string { return &d.ExpectedOrderMonth }),
	col("discoverer", func(d *deal.Deal) *string { return &d.Owners.Discoverer }),
	col("sales_owner", func(d *deal.Deal) *string { return &d.Owners.Sales }),
	optional(col("delivery_owner", func(d *deal.Deal) *string { return &d.Owners.Delivery })),
	optional(col("payment_owner", func(d *deal.Deal) *string { return &d.Owners.Payment })),
	col("stage", func(d *deal.Deal) *deal.Stage { return &d.Stage }),
	instant("stage_entered_at", func(d *deal.Deal) *time.Time { return &d.StageEnteredAt }),
	col("holder", func(d *deal.Deal) *string { return &d.Holder }),
	col("lost_reason", func(d *deal.Deal) *string { return &d.LostReason }),
	fixedCol(col("created_by", func(d *deal.Deal) *string { return &d.CreatedBy })),
	fixedCol(instant("created_at", func(d *deal.Deal) *time.Time { return &d.CreatedAt })),
	maybeInstant("closed_at", func(d *deal.Deal) **time.Time { return &d.ClosedAt }),
	col("version", func(d *deal.Deal) *int64 { return &d.Version }),
}}

func fixedCol[T any](c column[T]) column[T] { c.fixed = true; return c }

// optional stores "" as NULL and reads NULL as "".
func optional[T any](c column[T]) column[T] {
	c.ins, c.sel = "NULLIF(%s, '')", "coalesce("+c.name+", '')"
	return c
}

// dealUpsert writes the deal's row unless the stored one is as new or newer.
func dealUpsert(d *deal.Deal) (string, []any, error) {
	sql, args, err := dealsTable.insert(d, nil)
	if err != nil {
		return "", nil, err
	}
	var set []string
	for _, c := range dealsTable.cols {
		if !c.fixed {
			set = append(set, c.name+" = EXCLUDED."+c.name)
		}
	}
	return sql + ` ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ") + ` WHERE deals.version < EXCLUDED.version`, args, nil
}

// historyTable is the deal's history, one row per transition.
var historyTable = table[deal.HistoryEntry]{name: "deal_history", order: "seq", cols: []column[deal.HistoryEntry]{
	col("seq", func(h *deal.HistoryEntry) *int64 { return &h.Seq }),
	col("action", func(h *deal.HistoryEntry) *string { return &h.Action }),
	col("actor", func(h *deal.HistoryEntry) *string { return &h.Actor }),
	col("from_stage", func(h *deal.HistoryEntry) *deal.Stage { return &h.From }),
	col("to_stage", func(h *deal.HistoryEntry) *deal.Stage { return &h.To }),
	col("reason", func(h *deal.HistoryEntry) *string { return &h.Reason }),
	instant("at", func(h *deal.HistoryEntry) *time.Time { return &h.At }),
}}

var quotesTable = table[deal.Quote]{name: "deal_quotes", order: "revision", cols: append([]column[deal.Quote]{
	col("revision", func(q *deal.Quote) *int { return &q.Revision }),
	jsonb("lines", false, func(q *deal.Quote) *[]deal.QuoteLine { return &q.Lines }),
	col("discount_bp", func(q *deal.Quote) *deal.Percent { return &q.Discount }),
	col("list_total", func(q *deal.Quote) *money.Amount { return &q.ListTotal }),
	col("net_total", func(q *deal.Quote) *money.Amount { return &q.NetTotal }),
	day("valid_until", func(q *deal.Quote) *deal.Date { return &q.ValidUntil }),
	instant("expires_at", func(q *deal.Quote) *time.Time { return &q.ExpiresAt }),
	col("status", func(q *deal.Quote) *deal.QuoteStatus { return &q.Status }),
	col("submitted_by", func(q *deal.Quote) *string { return &q.SubmittedBy }),
	instant("submitted_at", func(q *deal.Quote) *time.Time { return &q.SubmittedAt }),
	col("min_discount_bp", func(q *deal.Quote) **deal.Percent { return &q.MinDiscount }),
}, maybeReviewColumns(func(q *deal.Quote) **deal.Review { return &q.Review })...)}

var bidsTable = table[deal.Bid]{name: "deal_bids", cols: append([]column[deal.Bid]{
	col("number", func(b *deal.Bid) *string { return &b.Number }),
	col("result", func(b *deal.Bid) *deal.BidResult { return &b.Result }),
	col("note", func(b *deal.Bid) *string { return &b.Note }),
}, recorded(func(b *deal.Bid) (*string, *time.Time) { return &b.RecordedBy, &b.RecordedAt })...)}

var contractsTable = table[deal.Contract]{name: "deal_contracts", cols: append([]column[deal.Contract]{
	col("number", func(c *deal.Contract) *string { return &c.Number }),
	col("amount", func(c *deal.Contract) *money.Amount { return &c.Amount }),
	col("payment_terms", func(c *deal.Contract) *string { return &c.PaymentTerms }),
	col("nonstandard_terms", func(c *deal.Contract) *bool { return &c.NonstandardTerms }),
	col("non_template", func(c *deal.Contract) *bool { return &c.NonTemplate }),
	col("template_id", func(c *deal.Contract) *string { return &c.TemplateID }),
	col("quote_total", func(c *deal.Contract) **money.Amount { return &c.QuoteTotal }),
	col("below_quote", func(c *deal.Contract) *bool { return &c.BelowQuote }),
}, reviewColumns(func(c *deal.Contract) *deal.Review { return &c.Review })...)}

var ordersTable = table[deal.Order]{name: "deal_orders", cols: append([]column[deal.Order]{
	col("kind", func(o *deal.Order) *deal.OrderKind { return &o.Kind }),
	col("erp_number", func(o *deal.Order) *string { return &o.ERPNumber }),
	day("delivery_due", func(o *deal.Order) *deal.Date { return &o.DeliveryDue }),
	instant("due_at", func(o *deal.Order) *time.Time { return &o.DueAt }),
	maybeInstant("overdue_notified_at", func(o *deal.Order) **time.Time { return &o.OverdueNotified }),
	jsonb("credit_hold", true, func(o *deal.Order) **deal.CreditHold { return &o.Credit }),
	jsonb("lines", true, func(o *deal.Order) *[]deal.OrderLine { return &o.Lines }),
	jsonb("erp", true, func(o *deal.Order) **deal.OrderERP { return &o.ERP }),
	jsonb("follow_up", true, func(o *deal.Order) **deal.DeliveryFollowUp { return &o.FollowUp }),
}, reviewColumns(func(o *deal.Order) *deal.Review { return &o.Review })...)}

var shipmentsTable = table[deal.Shipment]{name: "deal_shipments", order: "recorded_at, number", cols: append([]column[deal.Shipment]{
	col("number", func(s *deal.Shipment) *string { return &s.Number }),
	day("shipped_on", func(s *deal.Shipment) *deal.Date { return &s.ShippedOn }),
	col("carrier", func(s *deal.Shipment) *string { return &s.Carrier }),
	col("final", func(s *deal.Shipment) *bool { return &s.Final }),
}, recorded(func(s *deal.Shipment) (*string, *time.Time) { return &s.RecordedBy, &s.RecordedAt })...)}

var invoicesTable = table[deal.Invoice]{name: "deal_invoices", order: "recorded_at, number", cols: append([]column[deal.Invoice]{
	col("number", func(i *deal.Invoice) *string { return &i.Number }),
	col("amount", func(i *deal.Invoice) *money.Amount { return &i.Amount }),
	day("issued_on", func(i *deal.Invoice) *deal.Date { return &i.IssuedOn }),
	day("due_on", func(i *deal.Invoice) *deal.Date { return &i.DueOn }),
}, recorded(func(i *deal.Invoice) (*string, *time.Time) { return &i.RecordedBy, &i.RecordedAt })...)}

var paymentsTable = table[deal.Payment]{name: "deal_payments", order: "recorded_at, reference", cols: append([]column[deal.Payment]{
	col("reference", func(p *deal.Payment) *string { return &p.Reference }),
	col("amount", func(p *deal.Payment) *money.Amount { return &p.Amount }),
	day("received_on", func(p *deal.Payment) *deal.Date { return &p.ReceivedOn }),
	col("invoice_no", func(p *deal.Payment) *string { return &p.InvoiceNo }),
}, recorded(func(p *deal.Payment) (*string, *time.Time) { return &p.RecordedBy, &p.RecordedAt })...)}

// stageTables are the tables of a deal's stage data, rewritten on each save.
var stageTables = []string{quotesTable.name, bidsTable.name, contractsTable.name, ordersTable.name,
	shipmentsTable.name, invoicesTable.name, paymentsTable.name}

// queueStageData queues the inserts of d's stage rows.
func queueStageData(b *pgx.Batch, d deal.Deal) error {
	return errors.Join(quotesTable.queueInsert(b, d.ID, d.Quotes...),
		bidsTable.queueInsert(b, d.ID, oneOrNone(d.Bid)...),
		contractsTable.queueInsert(b, d.ID, oneOrNone(d.Contract)...),
		ordersTable.queueInsert(b, d.ID, oneOrNone(d.Order)...),
		shipmentsTable.queueInsert(b, d.ID, d.Shipments...),
		invoicesTable.queueInsert(b, d.ID, d.Invoices...),
		paymentsTable.queueInsert(b, d.ID, d.Payments...))
}

func oneOrNone[T any](v *T) []T {
	if v == nil {
		return nil
	}
	return []T{*v}
}

// readStageData reads d's stage rows.
func readStageData(ctx context.Context, tx pgx.Tx, d *deal.Deal) error {
	var err error
	if d.Quotes, err = quotesTable.read(ctx, tx, d.ID); err != nil {
		return err
	}
	bids, err := bidsTable.read(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	contracts, err := contractsTable.read(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	orders, err := ordersTable.read(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	d.Bid, d.Contract, d.Order = one(bids), one(contracts), one(orders)
	if d.Shipments, err = shipmentsTable.read(ctx, tx, d.ID); err != nil {
		return err
	}
	if d.Invoices, err = invoicesTable.read(ctx, tx, d.ID); err != nil {
		return err
	}
	d.Payments, err = paymentsTable.read(ctx, tx, d.ID)
	return err
}
