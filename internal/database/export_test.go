package database

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// ExposureSQL is the credit exposure statement, for the bench's EXPLAIN.
const ExposureSQL = exposureSQL

// StuckByPredicate is the stuck report read by testing caseVisible on every
// open step, as it was before caseReach: the reference caseReach must equal.
func (db *DB) StuckByPredicate(ctx context.Context, f StuckFilter) ([]OpenStep, error) {
	// The query of those who see every case, which tests the predicate on
	// each open step, with f's viewer as its parameters.
	all := f
	all.Viewer.All = true
	q, _ := stuckQuery(all)
	_, args := stuckQuery(f)
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanOpenStep)
}

// StageTimesExact is the stage times computed from every step of the cases
// v may see (caseVisible), the P90 exactly: the reference of StageTimes.
func (db *DB) StageTimesExact(ctx context.Context, kind string, v Viewer, now time.Time) ([]StageTime, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT kind, stage,
			count(*) FILTER (WHERE status IN ('approved', 'rejected')),
			coalesce(avg(approval_step_seconds(entered_at, decided_at, working_seconds)) FILTER (WHERE status IN ('approved', 'rejected')), 0) / 3600,
			coalesce(percentile_disc(0.9) WITHIN GROUP (ORDER BY approval_step_seconds(entered_at, decided_at, working_seconds))
				FILTER (WHERE status IN ('approved', 'rejected')), 0) / 3600,
			count(*) FILTER (WHERE status = 'pending')
		FROM approval_steps WHERE ($1 = '' OR kind = $1) AND status IN ('pending', 'approved', 'rejected')
		  AND case_id IN (SELECT k.id FROM approval_cases k WHERE `+caseVisibleAfter1+`)
		GROUP BY kind, stage ORDER BY kind, min(stage_index), stage`, append([]any{kind}, v.caseArgs(now)...)...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[StageTime])
}

// DunningQueueSQL is the dunning queue's page, for the bench's EXPLAIN.
func DunningQueueSQL(v Viewer, f ReceivableFilter) string { return dunningQueueSQL(v, f) }

// ClassifySQL is the value classes' computation, for the bench's EXPLAIN.
const ClassifySQL = classifySQL

// The collection reports' unsummarised statements, for the test that
// compares every viewer's report with them.
const (
	ReceivableLiveSQL = receivableLive
	AgeingColumnsSQL  = ageingColumns
	ForecastLiveSQL   = forecastLive
)

// ViewerArgs are v's parameters to the deal predicates ($1..$5), and
// ViewerCustomerArgs to the customer predicates.
func ViewerArgs(v Viewer) []any         { return v.args() }
func ViewerCustomerArgs(v Viewer) []any { return v.customerArgs() }

// SetReachFew sets how many customers or deals a viewer reaches for the
// reports to read them by index, until the returned func restores it.
func SetReachFew(n int) (restore func()) {
	was := reachFew
	reachFew = n
	return func() { reachFew = was }
}
