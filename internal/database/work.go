package database

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/civil"
	"github.com/l2c/l2c/internal/money"
)

// Reads for My work beyond the deal list and the inboxes: what a delivery
// owner must ship, what a payment owner must collect, and the big deals
// management wants to hear about.

// DeliveryDue is an order its delivery owner must ship by Due.
type DeliveryDue struct {
	DealID, Title, Customer, Stage string
	Due                            civil.Date
	// Shipments are the shipments recorded so far (part deliveries).
	Shipments int
}

// DeliveriesDue lists the open orders owner delivers that are due by until
// (late ones included), the earliest due first.
func (db *DB) DeliveriesDue(ctx context.Context, owner string, until civil.Date, limit int) ([]DeliveryDue, error) {
	scan := func(r pgx.CollectableRow) (DeliveryDue, error) {
		var d DeliveryDue
		var due time.Time
		err := r.Scan(&d.DealID, &d.Title, &d.Customer, &d.Stage, &due, &d.Shipments)
		d.Due = dateOf(due)
		return d, err
	}
	return queryList(ctx, db.pool, fmt.Sprintf("deliveries due of %s", owner), scan, `SELECT d.id, d.title, d.customer_name, d.stage, o.delivery_due,
			(SELECT count(*) FROM deal_shipments s WHERE s.deal_id = d.id)::int
		FROM deals d JOIN deal_orders o ON o.deal_id = d.id
		WHERE d.delivery_owner = $1 AND d.stage IN ('order', 'delivery') AND o.delivery_due <= $2
		ORDER BY o.delivery_due, d.id LIMIT $3`, owner, pgDate(until), limit)
}

// InvoiceOverdue is an invoice past its due day with money still open.
type InvoiceOverdue struct {
	DealID, Title, Customer, Number, Currency string
	Amount, Open                              money.Amount
	Due                                       civil.Date
}

// InvoicesOverdue lists the invoices of the deals owner collects that were
// due before today and are not paid, the oldest first. A deal's payments pay
// its invoices oldest due first (a payment names no invoice in every ERP),
// so an invoice is open by what the payments leave of it.
func (db *DB) InvoicesOverdue(ctx context.Context, owner string, today civil.Date, limit int) ([]InvoiceOverdue, error) {
	scan := func(r pgx.CollectableRow) (InvoiceOverdue, error) {
		var v InvoiceOverdue
		var due time.Time
		err := r.Scan(&v.DealID, &v.Title, &v.Customer, &v.Number, &v.Currency, &v.Amount, &v.Open, &due)
		v.Due = dateOf(due)
		return v, err
	}
	return queryList(ctx, db.pool, fmt.Sprintf("invoices overdue of %s", owner), scan, `SELECT id, title, customer_name, number, currency, amount,
			least(amount, upto - paid), due_on
		FROM (SELECT d.id, d.title, d.customer_name, d.currency, i.number, i.amount, i.due_on,
				sum(i.amount) OVER (PARTITION BY d.id ORDER BY i.due_on, i.number) upto,
				coalesce((SELECT sum(p.amount) FROM deal_payments p WHERE p.deal_id = d.id), 0) paid
			FROM deals d JOIN deal_invoices i ON i.deal_id = d.id
			WHERE d.payment_owner = $1 AND d.stage = 'payment_collection') x
		WHERE due_on < $2 AND upto > paid
		ORDER BY due_on, id, number LIMIT $3`, owner, pgDate(today), limit)
}

// BigDeal is a contract signed (its review approved) recently.
type BigDeal struct {
	DealID, Title, Customer, Currency, SalesOwner string
	Amount                                        money.Amount
	SignedAt                                      time.Time
}

// BigDealsSigned lists the deals v may see whose contract of at least min
// was signed since, the newest first.
func (db *DB) BigDealsSigned(ctx context.Context, v Viewer, min money.Amount, since time.Time, limit int) ([]BigDeal, error) {
	scan := func(r pgx.CollectableRow) (BigDeal, error) {
		var b BigDeal
		err := r.Scan(&b.DealID, &b.Title, &b.Customer, &b.Currency, &b.SalesOwner, &b.Amount, &b.SignedAt)
		b.SignedAt = b.SignedAt.UTC()
		return b, err
	}
	return queryList(ctx, db.pool, "big deals", scan, `SELECT d.id, d.title, d.customer_name, d.currency, d.sales_owner, c.amount, c.decided_at
		FROM deal_contracts c JOIN deals d ON d.id = c.deal_id
		WHERE c.review_status = 'approved' AND c.decided_at >= $6 AND c.amount >= $7 AND `+dealVisible+`
		ORDER BY c.decided_at DESC, d.id LIMIT $8`, append(v.args(), since, min, limit)...)
}
