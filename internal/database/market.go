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
	"github.com/l2c/l2c/internal/money"
)

// Market activities (issue 14, item 2): budgets per department and quarter,
// applications checked against what remains of them (in one transaction,
// the budget's row locked, so two applications at once cannot both spend
// the last of it), their outcome, cost and the deals they produced.

// Statuses of a market activity (contract's).
const (
	MarketInReview  = contract.MarketInReview
	MarketApproved  = contract.MarketApproved
	MarketRejected  = contract.MarketRejected
	MarketWithdrawn = contract.MarketWithdrawn
	MarketFailed    = contract.MarketFailed
	MarketDone      = contract.MarketDone
)

// MarketBudget is a department's budget for a quarter, with what is
// committed against it: the totals in review or approved, the actual cost
// of those done.
type MarketBudget struct {
	Department string       `json:"department"`
	Quarter    string       `json:"quarter"`
	Currency   string       `json:"currency"`
	Amount     money.Amount `json:"amount"`
	WarnBP     int          `json:"warn_bp"`
	Committed  money.Amount `json:"committed"`
	Remaining  money.Amount `json:"remaining"`
	UpdatedBy  string       `json:"updated_by"`
}

// MarketLine is one budget line of an application.
type MarketLine struct {
	Category string       `json:"category"`
	Amount   money.Amount `json:"amount"`
}

// MarketActivity is one application and what became of it.
type MarketActivity struct {
	ID          int64         `json:"id"`
	Title       string        `json:"title"`
	Kind        string        `json:"kind"`
	Department  string        `json:"department"`
	Quarter     string        `json:"quarter"`
	StartsOn    time.Time     `json:"-"`
	Lines       []MarketLine  `json:"lines"`
	Total       money.Amount  `json:"total"`
	Currency    string        `json:"currency"`
	Status      string        `json:"status"`
	CaseID      string        `json:"case_id"`
	RequestedBy string        `json:"requested_by"`
	RequestedAt time.Time     `json:"requested_at"`
	DecidedAt   *time.Time    `json:"decided_at,omitempty"`
	Detail      string        `json:"detail,omitempty"`
	ActualCost  *money.Amount `json:"actual_cost,omitempty"`
}

// ErrNoBudget: the department has no budget for the quarter.
var ErrNoBudget = errors.New("no budget for this department and quarter")

// OverBudget refuses an application for more than its budget has left.
type OverBudget struct {
	Budget MarketBudget
	Asked  money.Amount
}

func (e *OverBudget) Error() string {
	return fmt.Sprintf("the %s budget of %s for %s is %s %s, of which %s remains: %s asked for", e.Budget.Department, e.Budget.Department,
		e.Budget.Quarter, e.Budget.Amount, e.Budget.Currency, e.Budget.Remaining, e.Asked)
}

const marketCommitted = `coalesce((SELECT sum(CASE WHEN a.status = 'done' THEN coalesce(a.actual_cost, a.total) ELSE a.total END)
	FROM market_activities a WHERE a.department = b.department AND a.quarter = b.quarter
	AND a.status IN ('in_review', 'approved', 'done')), 0)`

// MarketBudgetSave sets a department's budget for a quarter; call it inside
// InTxAudited.
func (db *DB) MarketBudgetSave(ctx context.Context, b MarketBudget, by string) error {
	return exec(ctx, db.q(ctx), "save budget "+b.Department+" "+b.Quarter, `INSERT INTO market_budgets (department, quarter, currency, amount, warn_bp, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (department, quarter) DO UPDATE SET currency = EXCLUDED.currency,
		amount = EXCLUDED.amount, warn_bp = EXCLUDED.warn_bp, updated_by = EXCLUDED.updated_by, updated_at = now()`,
		b.Department, b.Quarter, b.Currency, int64(b.Amount), b.WarnBP, by)
}

func scanBudget(r pgx.Row) (MarketBudget, error) {
	var b MarketBudget
	var amount, committed int64
	err := r.Scan(&b.Department, &b.Quarter, &b.Currency, &amount, &b.WarnBP, &committed, &b.UpdatedBy)
	b.Amount, b.Committed, b.Remaining = money.Amount(amount), money.Amount(committed), money.Amount(amount-committed)
	return b, err
}

const budgetColumns = `b.department, b.quarter, b.currency, b.amount, b.warn_bp, ` + marketCommitted + `, b.updated_by`

// MarketBudgets lists the budgets, of quarter if set, by department.
func (db *DB) MarketBudgets(ctx context.Context, quarter string) ([]MarketBudget, error) {
	return queryList(ctx, db.q(ctx), "budgets", func(r pgx.CollectableRow) (MarketBudget, error) { return scanBudget(r) }, `SELECT `+budgetColumns+` FROM market_budgets b
		WHERE $1 = '' OR b.quarter = $1 ORDER BY b.quarter, b.department`, quarter)
}

// MarketActivityCreate records an application against its budget, whose
// row it locks: ErrNoBudget without one, *OverBudget when its total is more
// than remains. It returns the budget as it stood before. Call it inside
// InTxAudited; caseID names the case from the new ID.
func (db *DB) MarketActivityCreate(ctx context.Context, a *MarketActivity, caseID func(int64) string) (MarketBudget, error) {
	q := db.q(ctx)
	b, err := scanBudget(q.QueryRow(ctx, `SELECT `+budgetColumns+` FROM market_budgets b
		WHERE b.department = $1 AND b.quarter = $2 FOR UPDATE`, a.Department, a.Quarter))
	if errors.Is(err, pgx.ErrNoRows) {
		return b, ErrNoBudget
	}
	if err != nil {
		return b, fmt.Errorf("budget %s %s: %w", a.Department, a.Quarter, err)
	}
	if a.Currency != b.Currency {
		return b, fmt.Errorf("%w: the budget is in %s", ErrNoBudget, b.Currency)
	}
	if a.Total > b.Remaining {
		return b, &OverBudget{Budget: b, Asked: a.Total}
	}
	lines, err := json.Marshal(a.Lines)
	if err != nil {
		return b, err
	}
	if err := q.QueryRow(ctx, `INSERT INTO market_activities (title, kind, department, quarter, starts_on, lines, total, currency,
		requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		a.Title, a.Kind, a.Department, a.Quarter, a.StartsOn, lines, int64(a.Total), a.Currency, a.RequestedBy, a.RequestedAt).Scan(&a.ID); err != nil {
		return b, fmt.Errorf("market activity: %w", err)
	}
	a.CaseID, a.Status = caseID(a.ID), MarketInReview
	if _, err := q.Exec(ctx, `UPDATE market_activities SET case_id = $2 WHERE id = $1`, a.ID, a.CaseID); err != nil {
		return b, fmt.Errorf("market activity %d: %w", a.ID, err)
	}
	return b, nil
}

const marketColumns = `id, title, kind, department, quarter, starts_on, lines, total, currency, status, case_id,
	requested_by, requested_at, decided_at, detail, actual_cost`

func scanMarketActivity(r pgx.Row) (MarketActivity, error) {
	var a MarketActivity
	var lines []byte
	var total int64
	var cost *int64
	err := r.Scan(&a.ID, &a.Title, &a.Kind, &a.Department, &a.Quarter, &a.StartsOn, &lines, &total, &a.Currency, &a.Status,
		&a.CaseID, &a.RequestedBy, &a.RequestedAt, &a.DecidedAt, &a.Detail, &cost)
	if err != nil {
		return a, err
	}
	a.Total = money.Amount(total)
	if cost != nil {
		c := money.Amount(*cost)
		a.ActualCost = &c
	}
	return a, json.Unmarshal(lines, &a.Lines)
}

// MarketActivityGet returns activity id, or ErrNotFound.
func (db *DB) MarketActivityGet(ctx context.Context, id int64) (MarketActivity, error) {
	a, err := scanMarketActivity(db.q(ctx).QueryRow(ctx, `SELECT `+marketColumns+` FROM market_activities WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrNotFound
	}
	return a, err
}

// MarketActivityList lists the activities of a department's quarter (either
// may be ""), newest first, at most 500.
func (db *DB) MarketActivityList(ctx context.Context, department, quarter string) ([]MarketActivity, error) {
	return queryList(ctx, db.q(ctx), "market activities", func(r pgx.CollectableRow) (MarketActivity, error) { return scanMarketActivity(r) }, `SELECT `+marketColumns+` FROM market_activities
		WHERE ($1 = '' OR department = $1) AND ($2 = '' OR quarter = $2) ORDER BY id DESC LIMIT 500`, department, quarter)
}

// MarketActivityFinish records a case's outcome (approved, rejected,
// withdrawn, failed) on an application still in review, with its audit
// entry; a retry after it changes nothing.
func (db *DB) MarketActivityFinish(ctx context.Context, id int64, status, detail string, chain audit.Chain, entry audit.Entry) error {
	return db.onceAudited(ctx, fmt.Sprintf("market activity %d", id), chain, entry, func(tx pgx.Tx) (bool, error) {
		tag, err := tx.Exec(ctx, `UPDATE market_activities SET status = $2, detail = $3, decided_at = $4
			WHERE id = $1 AND status = 'in_review'`, id, status, detail, entry.At)
		return err == nil && tag.RowsAffected() > 0, err // none: finished before, a retry
	})
}

// MarketActivityCost records what an approved activity cost once it ran;
// call it inside InTxAudited. ErrNotFound unless it is approved.
func (db *DB) MarketActivityCost(ctx context.Context, id int64, cost money.Amount) error {
	tag, err := db.q(ctx).Exec(ctx, `UPDATE market_activities SET status = 'done', actual_cost = $2 WHERE id = $1 AND status = 'approved'`,
		id, int64(cost))
	if err != nil {
		return fmt.Errorf("market activity %d cost: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// MarketActivityTag names activity id as the source of deal; a deal has
// one source (tagging it again moves it). Call it inside InTxAudited.
func (db *DB) MarketActivityTag(ctx context.Context, id int64, dealID, by string) error {
	return exec(ctx, db.q(ctx), "tag deal "+dealID, `INSERT INTO market_activity_deals (activity_id, deal_id, tagged_by) VALUES ($1, $2, $3)
		ON CONFLICT (deal_id) DO UPDATE SET activity_id = EXCLUDED.activity_id, tagged_by = EXCLUDED.tagged_by, tagged_at = now()`,
		id, dealID, by)
}

// MarketPipelineRow is the deals an activity produced in one stage and currency.
type MarketPipelineRow struct {
	Stage    string       `json:"stage"`
	Currency string       `json:"currency"`
	Deals    int          `json:"deals"`
	Amount   money.Amount `json:"amount"`
	// Customers is how many customers those deals are with.
	Customers int `json:"customers"`
}

// MarketActivityPipeline reports the pipeline activity id produced: its
// deals by stage and currency, their best known amount (the contract's,
// else the expected amount) and customers.
func (db *DB) MarketActivityPipeline(ctx context.Context, id int64) ([]MarketPipelineRow, error) {
	return queryList(ctx, db.q(ctx), fmt.Sprintf("market pipeline %d", id), func(r pgx.CollectableRow) (MarketPipelineRow, error) {
		var p MarketPipelineRow
		var amount int64
		err := r.Scan(&p.Stage, &p.Currency, &p.Deals, &amount, &p.Customers)
		p.Amount = money.Amount(amount)
		return p, err
	}, `SELECT d.stage, d.currency, count(*), sum(coalesce(c.amount, d.expected_amount)),
			count(DISTINCT nullif(d.customer_code, ''))
		FROM market_activity_deals t JOIN deals d ON d.id = t.deal_id LEFT JOIN deal_contracts c ON c.deal_id = d.id
		WHERE t.activity_id = $1 GROUP BY d.stage, d.currency ORDER BY d.stage, d.currency`, id)
}
