package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/contract"
)

// TermsChange is a request to change a customer's commercial terms, and what
// became of it.
type TermsChange struct {
	ID          int64           `json:"id"`
	Customer    string          `json:"customer"`
	RequestedBy string          `json:"requested_by"`
	Reason      string          `json:"reason"`
	Before      json.RawMessage `json:"before"`
	After       json.RawMessage `json:"after"`
	ERPETag     string          `json:"-"`
	CaseID      string          `json:"case_id,omitempty"`
	Status      string          `json:"status"`
	Detail      string          `json:"detail,omitempty"`
	RequestedAt time.Time       `json:"requested_at"`
	FinishedAt  *time.Time      `json:"finished_at,omitempty"`
}

// Statuses of a terms change (internal/contract holds them, since the
// workflow reports them too). In review and approved are open: a customer has
// at most one open change.
const (
	TermsInReview  = contract.TermsInReview
	TermsApproved  = contract.TermsApproved
	TermsWritten   = contract.TermsWritten
	TermsRejected  = contract.TermsRejected
	TermsWithdrawn = contract.TermsWithdrawn
	TermsConflict  = contract.TermsConflict
	TermsFailed    = contract.TermsFailed
)

// ErrTermsChangeOpen means the customer already has a change of terms open.
var ErrTermsChangeOpen = errors.New("a change of terms is already open for this customer")

// TermsChangeCreate records a new request, with the ERP version of the
// customer it is made against. The case ID is derived from the new ID by
// caseID. ErrTermsChangeOpen if one is open already.
func (db *DB) TermsChangeCreate(ctx context.Context, t TermsChange, caseID func(id int64) string) (TermsChange, error) {
	var err error
	t.CaseID, err = db.createReviewed(ctx, "terms_changes", "terms_changes_open_idx", ErrTermsChangeOpen, func(tx pgx.Tx) (int64, error) {
		err := tx.QueryRow(ctx, `INSERT INTO terms_changes (customer_code, requested_by, reason, before, after, erp_etag, status, requested_at)
			SELECT c.code, $2, $3, $4, $5, c.erp_etag, 'in_review', $6 FROM customers c WHERE c.code = $1
			RETURNING id, erp_etag`, t.Customer, t.RequestedBy, t.Reason, t.Before, t.After, t.RequestedAt).Scan(&t.ID, &t.ERPETag)
		return t.ID, err
	}, caseID)
	t.Status = TermsInReview
	if errors.Is(err, ErrTermsChangeOpen) {
		return t, err
	}
	if err != nil {
		return t, fmt.Errorf("request terms change for %s: %w", t.Customer, err)
	}
	return t, nil
}

// TermsChangeFinish moves a change to status (with detail) and appends entry
// to the audit trail, in one transaction, unless it is there already: a retry
// changes and records nothing twice.
func (db *DB) TermsChangeFinish(ctx context.Context, id int64, status, detail string, chain audit.Chain, entry audit.Entry) error {
	var finished *time.Time
	if status != TermsApproved {
		finished = &entry.At
	}
	return db.onceAudited(ctx, fmt.Sprintf("terms change %d to %s", id, status), chain, entry, func(tx pgx.Tx) (bool, error) {
		tag, err := tx.Exec(ctx, `UPDATE terms_changes SET status = $2, detail = $3, finished_at = $4
			WHERE id = $1 AND status <> $2 AND status IN ('in_review', 'approved')`, id, status, detail, finished)
		return err == nil && tag.RowsAffected() > 0, err
	})
}

// TermsChangeList lists a customer's changes of terms, newest first.
func (db *DB) TermsChangeList(ctx context.Context, customer string) ([]TermsChange, error) {
	out, err := queryList(ctx, db.pool, "terms changes of "+customer, pgx.RowToStructByPos[TermsChange], `SELECT id, customer_code, requested_by, reason, before, after, erp_etag,
		coalesce(case_id, ''), status, detail, requested_at, finished_at
		FROM terms_changes WHERE customer_code = $1 ORDER BY id DESC LIMIT 200`, customer)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].RequestedAt = out[i].RequestedAt.UTC()
	}
	return out, nil
}
