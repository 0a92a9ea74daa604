package database

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/credit"
	"github.com/l2c/l2c/internal/money"
)

// exposureSQL computes a customer's exposure in one statement, every part
// through an index of its own: open invoices by customer
// (erp_invoices_customer_idx) with their payments by invoice
// (erp_payments_invoice_idx), unapplied receipts (erp_payments_advance_idx),
// other orders placed and not invoiced (deals_customer_ordered_idx) and
// releases in force (credit_releases_customer_idx), and the dunning
// ladder's credit hold (collection_credit_holds by customer). $1 customer, $2 the deal
// being checked (left out of the unbilled orders), $3 today, $4 now.
const exposureSQL = `
WITH c AS (
	SELECT code, credit_limit, currency, value_class, blocked, status FROM customers WHERE code = $1
), open_inv AS (
	SELECT i.amount - coalesce((SELECT sum(p.amount) FROM erp_payments p WHERE p.invoice_no = i.number), 0) AS open, i.due_on
	FROM erp_invoices i, c WHERE i.customer_code = $1 AND NOT i.cancelled AND i.currency = c.currency
)
SELECT c.credit_limit, c.currency, c.value_class, c.blocked, c.status = 'pending',
	(SELECT coalesce(sum(open), 0) FROM open_inv WHERE open > 0)::bigint,
	(SELECT min(due_on) FROM open_inv WHERE open > 0 AND due_on < $3::date),
	(SELECT coalesce(sum(p.amount), 0) FROM erp_payments p WHERE p.customer_code = $1 AND p.invoice_no = '' AND p.currency = c.currency)::bigint,
	(SELECT coalesce(sum(greatest(k.amount - coalesce((SELECT sum(v.amount) FROM deal_invoices v WHERE v.deal_id = d.id), 0), 0)), 0)
		FROM deals d JOIN deal_contracts k ON k.deal_id = d.id
		WHERE d.customer_code = $1 AND d.stage IN ('delivery', 'payment_collection') AND d.id <> $2 AND d.currency = c.currency)::bigint,
	(SELECT coalesce(sum(r.amount), 0) FROM credit_releases r WHERE r.customer_code = $1 AND r.expires_at > $4)::bigint,
	(SELECT h.since FROM collection_credit_holds h WHERE h.customer_code = $1)
FROM c`

// CreditExposure reads customer's exposure for an order of amount on deal
// dealID, as of now (today is now's calendar day in the company's zone).
// ErrNotFound for an unknown customer.
func (db *DB) CreditExposure(ctx context.Context, customer, dealID string, amount money.Amount, today time.Time, now time.Time) (credit.Exposure, error) {
	e := credit.Exposure{Customer: customer, Order: amount}
	var limit *int64
	var oldest *time.Time
	var recv, adv, unbilled, allowance int64
	var dunning *time.Time
	err := db.pool.QueryRow(ctx, exposureSQL, customer, dealID, today, now).Scan(&limit, &e.Currency, &e.ValueClass,
		&e.Blocked, &e.Pending, &recv, &oldest, &adv, &unbilled, &allowance, &dunning)
	if err != nil {
		return e, fmt.Errorf("credit exposure of %s: %w", customer, notFound(err))
	}
	if limit != nil {
		l := money.Amount(*limit)
		e.Limit = &l
	}
	e.Receivables, e.Advances, e.Unbilled, e.Allowance = money.Amount(recv), money.Amount(adv), money.Amount(unbilled), money.Amount(allowance)
	if oldest != nil {
		e.OldestOverdueDays = credit.DaysOverdue(*oldest, today)
	}
	if dunning != nil {
		e.DunningHoldSince = dunning.Format(time.DateOnly)
	}
	e.Total = e.Receivables + e.Unbilled + e.Order - e.Advances
	return e, nil
}

// CreditHold is an order held for credit, and what became of it.
type CreditHold struct {
	ID          string          `json:"id"`
	DealID      string          `json:"deal_id"`
	Customer    string          `json:"customer"`
	Amount      money.Amount    `json:"amount"`
	Currency    string          `json:"currency"`
	RequestedBy string          `json:"requested_by"`
	CaseID      string          `json:"case_id"`
	Reasons     []credit.Reason `json:"reasons"`
	Exposure    credit.Exposure `json:"exposure"`
	Status      string          `json:"status"` // held, released, refused
	ReleasedBy  string          `json:"released_by,omitempty"`
	Note        string          `json:"note,omitempty"`
	HeldAt      time.Time       `json:"held_at"`
	CheckedAt   time.Time       `json:"checked_at"`
	SettledAt   *time.Time      `json:"settled_at,omitempty"`
	Release     *CreditRelease  `json:"release,omitempty"`
}

// CreditRelease is finance's manual release of a hold (internal/credit).
type CreditRelease = credit.Release

// Statuses of a hold.
const (
	CreditHeld     = contract.CreditHeld
	CreditReleased = contract.CreditReleased
	CreditRefused  = contract.CreditRefused
)

// CreditHoldOpen records a new hold with its audit entry, once: a retry finds
// it and records nothing.
func (db *DB) CreditHoldOpen(ctx context.Context, h CreditHold, chain audit.Chain, entry audit.Entry) error {
	reasons, _ := json.Marshal(h.Reasons)
	exposure, _ := json.Marshal(h.Exposure)
	return db.onceAudited(ctx, "open credit hold "+h.ID, chain, entry, func(tx pgx.Tx) (bool, error) {
		tag, err := tx.Exec(ctx, `INSERT INTO credit_holds (id, deal_id, customer_code, amount, currency, requested_by, case_id,
			reasons, exposure, status, held_at, checked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'held', $10, $10)
			ON CONFLICT (id) DO NOTHING`, h.ID, h.DealID, h.Customer, int64(h.Amount), h.Currency, h.RequestedBy, h.CaseID,
			reasons, exposure, h.HeldAt)
		return err == nil && tag.RowsAffected() > 0, err
	})
}

// CreditHoldChecked records the breakdown of a re-check that kept the hold.
func (db *DB) CreditHoldChecked(ctx context.Context, id string, d credit.Decision, at time.Time) error {
	reasons, _ := json.Marshal(d.Reasons)
	exposure, _ := json.Marshal(d.Exposure)
	return exec(ctx, db.pool, "credit hold "+id+" checked", `UPDATE credit_holds SET reasons = $2, exposure = $3, checked_at = $4
		WHERE id = $1 AND status = 'held'`, id, reasons, exposure, at)
}

// CreditHoldSettle ends a hold (released or refused, by whom, why) with its
// audit entry and, for a manual release, the release, in one transaction and
// once.
func (db *DB) CreditHoldSettle(ctx context.Context, id, status, by, note string, exposure *credit.Decision, rel *CreditRelease,
	at time.Time, chain audit.Chain, entry audit.Entry) error {
	return db.onceAudited(ctx, "settle credit hold "+id, chain, entry, func(tx pgx.Tx) (bool, error) {
		var customer string
		err := tx.QueryRow(ctx, `UPDATE credit_holds SET status = $2, released_by = $3, note = $4, settled_at = $5
			WHERE id = $1 AND status = 'held' RETURNING customer_code`, id, status, by, note, at).Scan(&customer)
		if done, err := found(err); !done {
			return false, err // settled already: a retry
		}
		if exposure != nil {
			reasons, _ := json.Marshal(exposure.Reasons)
			e, _ := json.Marshal(exposure.Exposure)
			if _, err := tx.Exec(ctx, `UPDATE credit_holds SET reasons = $2, exposure = $3, checked_at = $4 WHERE id = $1`,
				id, reasons, e, at); err != nil {
				return false, err
			}
		}
		if rel != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO credit_releases (hold_id, customer_code, amount, reason, approved_by, approved_at, expires_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, customer, int64(rel.Amount), rel.Reason, rel.ApprovedBy, rel.ApprovedAt, rel.ExpiresAt); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

const creditHoldSelect = `SELECT h.id, h.deal_id, h.customer_code, h.amount, h.currency, h.requested_by, h.case_id, h.reasons,
	h.exposure, h.status, h.released_by, h.note, h.held_at, h.checked_at, h.settled_at,
	r.amount, coalesce(r.reason, ''), coalesce(r.approved_by, ''), r.approved_at, r.expires_at
	FROM credit_holds h LEFT JOIN credit_releases r ON r.hold_id = h.id`

func scanCreditHold(row pgx.Row) (CreditHold, error) {
	var h CreditHold
	var reasons, exposure []byte
	var amount int64
	var relAmount *int64
	var rel CreditRelease
	var approvedAt, expiresAt *time.Time
	err := row.Scan(&h.ID, &h.DealID, &h.Customer, &amount, &h.Currency, &h.RequestedBy, &h.CaseID, &reasons, &exposure,
		&h.Status, &h.ReleasedBy, &h.Note, &h.HeldAt, &h.CheckedAt, &h.SettledAt,
		&relAmount, &rel.Reason, &rel.ApprovedBy, &approvedAt, &expiresAt)
	if err != nil {
		return h, notFound(err)
	}
	h.Amount = money.Amount(amount)
	_ = json.Unmarshal(reasons, &h.Reasons)
	_ = json.Unmarshal(exposure, &h.Exposure)
	h.HeldAt, h.CheckedAt = h.HeldAt.UTC(), h.CheckedAt.UTC()
	if relAmount != nil {
		rel.Amount, rel.ApprovedAt, rel.ExpiresAt = money.Amount(*relAmount), approvedAt.UTC(), expiresAt.UTC()
		h.Release = &rel
	}
	return h, nil
}

// CreditHoldGet reads one hold; ErrNotFound if there is none. Who may see it
// is its deal's rule: the caller checks the deal first.
func (db *DB) CreditHoldGet(ctx context.Context, id string) (CreditHold, error) {
	h, err := scanCreditHold(db.pool.QueryRow(ctx, creditHoldSelect+` WHERE h.id = $1`, id))
	if err != nil {
		return h, fmt.Errorf("credit hold %s: %w", id, err)
	}
	return h, nil
}

// CreditHoldOfDeal reads the deal's latest hold; ErrNotFound if it has none.
func (db *DB) CreditHoldOfDeal(ctx context.Context, dealID string) (CreditHold, error) {
	h, err := scanCreditHold(db.pool.QueryRow(ctx, creditHoldSelect+` WHERE h.deal_id = $1 ORDER BY h.held_at DESC LIMIT 1`, dealID))
	if err != nil {
		return h, fmt.Errorf("credit hold of %s: %w", dealID, err)
	}
	return h, nil
}

// CreditHoldsOpen lists the IDs of the holds still held, of customer (empty:
// every customer's).
func (db *DB) CreditHoldsOpen(ctx context.Context, customer string) ([]string, error) {
	return queryList(ctx, db.pool, "open credit holds", pgx.RowTo[string], `SELECT id FROM credit_holds WHERE status = 'held' AND ($1 = '' OR customer_code = $1)
		ORDER BY held_at LIMIT 10000`, customer)
}
