package database

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ERPInvoice is a billing document read from the ERP.
type ERPInvoice struct {
	Number       string
	CustomerCode string
	SalesOrder   string
	Amount       int64 // gross, minor units
	Currency     string
	IssuedOn     time.Time // a calendar day
	DueOn        time.Time
	Cancelled    bool
	ERPChangedAt time.Time
}

// ERPPayment is money received that clears an invoice.
type ERPPayment struct {
	Reference    string
	InvoiceNo    string
	CustomerCode string
	Amount       int64
	Currency     string
	ReceivedOn   time.Time
	ERPChangedAt time.Time
}

var invoiceColumns = []string{"number", "customer_code", "sales_order", "amount", "currency", "issued_on", "due_on",
	"cancelled", "erp_changed_at"}

// InvoicesUpsert writes a batch of invoices like CustomersUpsert does (COPY
// into a staging table, one INSERT … ON CONFLICT skipping unchanged rows, the
// checkpoint in the same transaction). An invoice that bills a deal's sales
// order is linked to the deal and, when new or changed and not cancelled,
// queued for the deal's workflow (signal_pending).
func (db *DB) InvoicesUpsert(ctx context.Context, rows []ERPInvoice, cp *Checkpoint) (UpsertCounts, error) {
	return db.stagedUpsert(ctx, "erp_invoices", invoiceColumns, len(rows), func(i int) ([]any, error) {
		r := rows[i]
		return []any{r.Number, r.CustomerCode, r.SalesOrder, r.Amount, r.Currency, pgDay(r.IssuedOn), pgDay(r.DueOn),
			r.Cancelled, r.ERPChangedAt}, nil
	}, nil, countInserted(`				INSERT INTO erp_invoices AS i (number, customer_code, sales_order, amount, currency, issued_on, due_on,
					cancelled, erp_changed_at, deal_id, signal_pending)
				SELECT s.number, s.customer_code, s.sales_order, s.amount, s.currency, s.issued_on, s.due_on,
					s.cancelled, s.erp_changed_at, o.deal_id, o.deal_id IS NOT NULL AND NOT s.cancelled
				FROM erp_invoices_stage s
				LEFT JOIN LATERAL (SELECT deal_id FROM deal_orders
					WHERE erp_number = s.sales_order AND s.sales_order <> '' ORDER BY deal_id LIMIT 1) o ON true
				ON CONFLICT (number) DO UPDATE SET customer_code = EXCLUDED.customer_code,
					sales_order = EXCLUDED.sales_order, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
					issued_on = EXCLUDED.issued_on, due_on = EXCLUDED.due_on, cancelled = EXCLUDED.cancelled,
					erp_changed_at = EXCLUDED.erp_changed_at, deal_id = COALESCE(EXCLUDED.deal_id, i.deal_id),
					signal_pending = EXCLUDED.signal_pending OR (i.deal_id IS NOT NULL AND NOT EXCLUDED.cancelled),
					updated_at = now()
				WHERE (i.customer_code, i.sales_order, i.amount, i.currency, i.issued_on, i.due_on, i.cancelled,
					i.erp_changed_at) IS DISTINCT FROM (EXCLUDED.customer_code, EXCLUDED.sales_order, EXCLUDED.amount,
					EXCLUDED.currency, EXCLUDED.issued_on, EXCLUDED.due_on, EXCLUDED.cancelled, EXCLUDED.erp_changed_at)
				RETURNING (xmax = 0) AS inserted`), cp)
}

var paymentColumns = []string{"reference", "invoice_no", "customer_code", "amount", "currency", "received_on", "erp_changed_at"}

// PaymentsUpsert writes a batch of payments like InvoicesUpsert; a payment
// clearing an invoice of a deal is linked to that deal and queued for its
// workflow.
func (db *DB) PaymentsUpsert(ctx context.Context, rows []ERPPayment, cp *Checkpoint) (UpsertCounts, error) {
	return db.stagedUpsert(ctx, "erp_payments", paymentColumns, len(rows), func(i int) ([]any, error) {
		r := rows[i]
		return []any{r.Reference, r.InvoiceNo, r.CustomerCode, r.Amount, r.Currency, pgDay(r.ReceivedOn), r.ERPChangedAt}, nil
	}, nil, countInserted(`				INSERT INTO erp_payments AS p (reference, invoice_no, customer_code, amount, currency, received_on,
					erp_changed_at, deal_id, signal_pending)
				SELECT s.reference, s.invoice_no, s.customer_code, s.amount, s.currency, s.received_on, s.erp_changed_at,
					i.deal_id, i.deal_id IS NOT NULL
				FROM erp_payments_stage s LEFT JOIN erp_invoices i ON i.number = s.invoice_no
				ON CONFLICT (reference) DO UPDATE SET invoice_no = EXCLUDED.invoice_no,
					customer_code = EXCLUDED.customer_code, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
					received_on = EXCLUDED.received_on, erp_changed_at = EXCLUDED.erp_changed_at,
					deal_id = COALESCE(EXCLUDED.deal_id, p.deal_id),
					signal_pending = EXCLUDED.signal_pending OR p.deal_id IS NOT NULL, updated_at = now()
				WHERE (p.invoice_no, p.customer_code, p.amount, p.currency, p.received_on, p.erp_changed_at)
					IS DISTINCT FROM (EXCLUDED.invoice_no, EXCLUDED.customer_code, EXCLUDED.amount, EXCLUDED.currency,
					EXCLUDED.received_on, EXCLUDED.erp_changed_at)
				RETURNING (xmax = 0) AS inserted`), cp)
}

// pgDay stores a calendar day (held as midnight UTC) as a date.
func pgDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ERPRecordsMatchDeals links invoices and payments synced before their deal's
// order carried the ERP sales order number, and queues them for the deal.
// It works from the deals' side, so it costs what the deals cost, not what the
// invoice table holds.
func (db *DB) ERPRecordsMatchDeals(ctx context.Context) (int64, error) {
	var total int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE erp_invoices i SET deal_id = o.deal_id, signal_pending = NOT i.cancelled, updated_at = now()
			FROM deal_orders o
			WHERE o.erp_number <> '' AND i.sales_order = o.erp_number AND i.deal_id IS NULL`)
		if err != nil {
			return fmt.Errorf("match invoices to deals: %w", err)
		}
		total += tag.RowsAffected()
		tag, err = tx.Exec(ctx, `
			UPDATE erp_payments p SET deal_id = i.deal_id, signal_pending = true, updated_at = now()
			FROM erp_invoices i
			WHERE i.deal_id IS NOT NULL AND p.invoice_no = i.number AND p.deal_id IS NULL`)
		if err != nil {
			return fmt.Errorf("match payments to deals: %w", err)
		}
		total += tag.RowsAffected()
		return nil
	})
	return total, err
}

// DealSignal is an invoice or payment a deal's workflow has yet to be told about.
type DealSignal struct {
	DealID    string
	Invoice   *ERPInvoice
	Payment   *ERPPayment
	updatedAt time.Time
	key       string
}

// Key is the invoice number or the payment reference.
func (s DealSignal) Key() string { return s.key }

// DealSignalsPending returns up to limit queued signals of one kind
// ("invoices" or "payments"), oldest key first. A payment waits until the
// invoice it clears has been signalled, so a deal never hears of a payment
// for an invoice it does not know.
func (db *DB) DealSignalsPending(ctx context.Context, kind string, limit int) ([]DealSignal, error) {
	var q string
	switch kind {
	case "invoices":
		q = `SELECT deal_id, number, customer_code, sales_order, amount, currency, issued_on, due_on, cancelled,
				erp_changed_at, updated_at
			FROM erp_invoices WHERE signal_pending ORDER BY number LIMIT $1`
	case "payments":
		q = `SELECT p.deal_id, p.reference, p.invoice_no, p.customer_code, p.amount, p.currency, p.received_on,
				p.erp_changed_at, p.updated_at
			FROM erp_payments p JOIN erp_invoices i ON i.number = p.invoice_no
			WHERE p.signal_pending AND NOT i.signal_pending ORDER BY p.reference LIMIT $1`
	default:
		return nil, fmt.Errorf("deal signals: unknown kind %q", kind)
	}
	return queryList(ctx, db.pool, "pending deal signals", func(row pgx.CollectableRow) (DealSignal, error) {
		var s DealSignal
		if kind == "invoices" {
			var v ERPInvoice
			err := row.Scan(&s.DealID, &v.Number, &v.CustomerCode, &v.SalesOrder, &v.Amount, &v.Currency, &v.IssuedOn,
				&v.DueOn, &v.Cancelled, &v.ERPChangedAt, &s.updatedAt)
			s.Invoice, s.key = &v, v.Number
			return s, err
		}
		var p ERPPayment
		err := row.Scan(&s.DealID, &p.Reference, &p.InvoiceNo, &p.CustomerCode, &p.Amount, &p.Currency, &p.ReceivedOn,
			&p.ERPChangedAt, &s.updatedAt)
		s.Payment, s.key = &p, p.Reference
		return s, err
	}, q, limit)
}

// DealSignalsDone clears the queue flag of signals that were delivered, unless
// the row changed again since it was read (then it is sent again).
func (db *DB) DealSignalsDone(ctx context.Context, kind string, done []DealSignal) error {
	if len(done) == 0 {
		return nil
	}
	keys := make([]string, len(done))
	stamps := make([]time.Time, len(done))
	for i, s := range done {
		keys[i], stamps[i] = s.key, s.updatedAt
	}
	table, key := "erp_invoices", "number"
	if kind == "payments" {
		table, key = "erp_payments", "reference"
	}
	return exec(ctx, db.pool, "deal signals done", `UPDATE `+table+` t SET signal_pending = false
		FROM unnest($1::text[], $2::timestamptz[]) AS d(k, at)
		WHERE t.`+key+` = d.k AND t.updated_at = d.at`, keys, stamps)
}
