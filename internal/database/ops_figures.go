package database

import (
	"context"
	"fmt"
	"time"

	"github.com/l2c/l2c/internal/metrics"
)

// OpsFigures reads what /metrics reports from the database: the sync's rows,
// runs and failed attempts per entity, each entity's health, the outbox, and
// open and overdue approval steps. One round trip of a few aggregate queries.
func (db *DB) OpsFigures(ctx context.Context, now time.Time) (metrics.Figures, error) {
	f := metrics.Figures{SyncRows: map[string]map[string]int64{}, SyncRuns: map[string]map[string]int64{},
		SyncFailedTry: map[string]int64{}, SyncStale: map[string]bool{}, SyncLastOK: map[string]time.Time{}}
	rows, err := db.pool.Query(ctx, `SELECT entity, status, count(*), COALESCE(sum(inserted), 0), COALESCE(sum(updated), 0),
		COALESCE(sum(unchanged), 0), COALESCE(sum(rejected), 0), COALESCE(sum(failed_attempts), 0)
		FROM sync_runs GROUP BY entity, status`)
	if err != nil {
		return f, fmt.Errorf("sync figures: %w", err)
	}
	for rows.Next() {
		var entity, status string
		var runs, ins, upd, unch, rej, tries int64
		if err := rows.Scan(&entity, &status, &runs, &ins, &upd, &unch, &rej, &tries); err != nil {
			rows.Close()
			return f, fmt.Errorf("sync figures: %w", err)
		}
		if f.SyncRows[entity] == nil {
			f.SyncRows[entity] = map[string]int64{}
			f.SyncRuns[entity] = map[string]int64{}
		}
		f.SyncRuns[entity][status] += runs
		f.SyncRows[entity]["inserted"] += ins
		f.SyncRows[entity]["updated"] += upd
		f.SyncRows[entity]["unchanged"] += unch
		f.SyncRows[entity]["rejected"] += rej
		f.SyncFailedTry[entity] += tries
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("sync figures: %w", err)
	}
	health, err := db.SyncHealthList(ctx, now)
	if err != nil {
		return f, err
	}
	for _, h := range health {
		f.SyncStale[h.Entity] = h.Stale
		if h.LastSuccessAt != nil {
			f.SyncLastOK[h.Entity] = *h.LastSuccessAt
		}
	}
	err = db.pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE sent_at IS NULL AND next_attempt_at IS NOT NULL),
			count(*) FILTER (WHERE sent_at IS NULL AND next_attempt_at IS NOT NULL AND attempts > 0),
			count(*) FILTER (WHERE sent_at IS NULL AND next_attempt_at IS NULL)
		FROM notifications WHERE sent_at IS NULL`).Scan(&f.OutboxPending, &f.OutboxRetrying, &f.OutboxFailed)
	if err != nil {
		return f, fmt.Errorf("outbox figures: %w", err)
	}
	err = db.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE due_at < $1)
		FROM approval_steps WHERE status = 'pending'`, now).Scan(&f.StepsOpen, &f.StepsOverdue)
	if err != nil {
		return f, fmt.Errorf("approval step figures: %w", err)
	}
	return f, nil
}
