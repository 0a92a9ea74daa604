package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/collection"
)

// Changes of a signed collection plan (collection_plan_changes): asked for
// by the sales team, decided by a plan_change approval case
// (workflows/collection.go), applied to the instalments when approved.

// PlanChange is one change of a signed plan.
type PlanChange struct {
	ID          int64           `json:"id"`
	DealID      string          `json:"deal_id"`
	RequestedBy string          `json:"requested_by"`
	Reason      string          `json:"reason"`
	Before      collection.Plan `json:"before"`
	After       collection.Plan `json:"after"`
	Status      string          `json:"status"`
	CaseID      string          `json:"case_id"`
	Detail      string          `json:"detail,omitempty"`
	RequestedAt time.Time       `json:"requested_at"`
	DecidedAt   *time.Time      `json:"decided_at,omitempty"`
}

// ErrPlanChangeOpen means the deal's plan already has a change in review.
var ErrPlanChangeOpen = errors.New("a change of this plan is already in review")

// PlanChangeCreate records a request against the plan as it stands (which
// must be signed: ErrNotFound otherwise), its case ID derived from the new
// ID. It joins the transaction of InTxAudited when ctx carries one.
func (db *DB) PlanChangeCreate(ctx context.Context, c PlanChange, caseID func(id int64) string) (PlanChange, error) {
	after, err := json.Marshal(c.After)
	if err != nil {
		return c, err
	}
	c.CaseID, err = db.createReviewed(ctx, "collection_plan_changes", "collection_plan_changes_open_idx", ErrPlanChangeOpen,
		func(tx pgx.Tx) (int64, error) {
			var before []byte
			err := tx.QueryRow(ctx, `INSERT INTO collection_plan_changes (deal_id, requested_by, reason, plan_before, plan_after, requested_at)
			SELECT deal_id, $2, $3, plan, $4, $5 FROM collection_plans WHERE deal_id = $1 AND status = 'signed'
			RETURNING id, plan_before`, c.DealID, c.RequestedBy, c.Reason, after, c.RequestedAt).Scan(&c.ID, &before)
			if err != nil {
				return 0, err
			}
			return c.ID, json.Unmarshal(before, &c.Before)
		}, caseID)
	c.Status = "in_review"
	if errors.Is(err, ErrPlanChangeOpen) {
		return c, err
	}
	if err != nil {
		return c, fmt.Errorf("request plan change for %s: %w", c.DealID, err)
	}
	return c, nil
}

// PlanChangeFail marks a change that could not be asked for (its workflow
// did not start) so it does not hold the deal's one open change.
func (db *DB) PlanChangeFail(ctx context.Context, id int64, detail string) error {
	_, err := db.q(ctx).Exec(ctx, `UPDATE collection_plan_changes SET status = 'failed', detail = $2, decided_at = now()
		WHERE id = $1 AND status = 'in_review'`, id, detail)
	return err
}

// PlanChangeFinish settles a change in review as status, with entry on the
// audit trail, in one transaction; approved, the new plan replaces the
// signed one (its version counted) and the instalments are rewritten from it
// (amounts, due dates, what was paid). A retry finds it settled and does
// nothing.
func (db *DB) PlanChangeFinish(ctx context.Context, id int64, status, detail string, chain audit.Chain, entry audit.Entry) error {
	return db.onceAudited(ctx, fmt.Sprintf("plan change %d to %s", id, status), chain, entry, func(tx pgx.Tx) (bool, error) {
		var dealID string
		var after []byte
		err := tx.QueryRow(ctx, `UPDATE collection_plan_changes SET status = $2, detail = $3, decided_at = $4
			WHERE id = $1 AND status = 'in_review' RETURNING deal_id, plan_after`, id, status, detail, entry.At).Scan(&dealID, &after)
		if done, err := found(err); !done {
			return false, err // settled before
		}
		if status == "approved" {
			var p collection.Plan
			if err := json.Unmarshal(after, &p); err != nil {
				return false, err
			}
			if _, err := tx.Exec(ctx, `UPDATE collection_plans SET plan = $2, interest_bp = $3, template = $4,
				version = version + 1 WHERE deal_id = $1`, dealID, after, p.InterestBP, p.Template); err != nil {
				return false, err
			}
			cal, err := defaultCalendar(ctx, tx)
			if err != nil {
				return false, err
			}
			if err := collectionRefresh(ctx, tx, dealID, cal); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// PlanChangeList lists a deal's plan changes, newest first.
func (db *DB) PlanChangeList(ctx context.Context, dealID string) ([]PlanChange, error) {
	scan := func(r pgx.CollectableRow) (PlanChange, error) {
		var c PlanChange
		var before, after []byte
		if err := r.Scan(&c.ID, &c.DealID, &c.RequestedBy, &c.Reason, &before, &after, &c.Status, &c.CaseID,
			&c.Detail, &c.RequestedAt, &c.DecidedAt); err != nil {
			return c, err
		}
		if err := json.Unmarshal(before, &c.Before); err != nil {
			return c, err
		}
		return c, json.Unmarshal(after, &c.After)
	}
	return queryList(ctx, db.q(ctx), fmt.Sprintf("plan changes of %s", dealID), scan, `SELECT id, deal_id, requested_by, reason, plan_before, plan_after, status, case_id,
		detail, requested_at, decided_at FROM collection_plan_changes WHERE deal_id = $1 ORDER BY id DESC LIMIT 100`, dealID)
}
