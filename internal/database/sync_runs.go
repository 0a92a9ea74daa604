package database

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// SyncSchedule is when one entity is synced from the ERP.
type SyncSchedule struct {
	Entity     string    `json:"entity"`
	Spec       string    `json:"spec"` // a robfig/cron spec
	Enabled    bool      `json:"enabled"`
	RunningRun string    `json:"running_run,omitempty"`
	UpdatedBy  string    `json:"updated_by"`
	UpdatedAt  time.Time `json:"updated_at"`
	// StaleAfterS is how long (seconds) the entity may go without a
	// successful run before it is stale and the integration admins are told.
	StaleAfterS int64 `json:"stale_after_s"`
}

// SyncCounts are what a run did with the ERP's rows.
type SyncCounts struct {
	Pages     int64 `json:"pages"`
	Read      int64 `json:"rows_read"`
	Inserted  int64 `json:"inserted"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Rejected  int64 `json:"rejected"`
	Signalled int64 `json:"signalled"`
}

// Add returns c + d.
func (c SyncCounts) Add(d SyncCounts) SyncCounts {
	return SyncCounts{Pages: c.Pages + d.Pages, Read: c.Read + d.Read, Inserted: c.Inserted + d.Inserted,
		Updated: c.Updated + d.Updated, Unchanged: c.Unchanged + d.Unchanged, Rejected: c.Rejected + d.Rejected,
		Signalled: c.Signalled + d.Signalled}
}

// SyncRun is one run of an entity's sync, keyed by its workflow ID.
type SyncRun struct {
	ID          string     `json:"id"`
	Entity      string     `json:"entity"`
	Trigger     string     `json:"trigger"`
	RequestedBy string     `json:"requested_by,omitempty"`
	Status      string     `json:"status"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	Since       *time.Time `json:"since,omitempty"`
	SyncCounts
	Error string `json:"error,omitempty"`
	// FailedAttempts counts the run's failed tries so far (a chunk that
	// failed and is retried); LastError is the latest failure's message,
	// shown while the run still retries.
	FailedAttempts int        `json:"failed_attempts"`
	LastError      string     `json:"last_error,omitempty"`
	LastErrorAt    *time.Time `json:"last_error_at,omitempty"`
}

// SyncReject is a row of the ERP a run could not read.
type SyncReject struct {
	Key    string    `json:"erp_key"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Sync run statuses.
const (
	SyncRunning   = "running"
	SyncSucceeded = "succeeded"
	SyncFailed    = "failed"
	SyncSkipped   = "skipped"
)

// SyncScheduleList returns every entity's schedule.
func (db *DB) SyncScheduleList(ctx context.Context) ([]SyncSchedule, error) {
	return queryList(ctx, db.pool, "list sync schedules", pgx.RowToStructByPos[SyncSchedule], `SELECT entity, spec, enabled, COALESCE(running_run, ''), updated_by, updated_at,
		extract(epoch FROM stale_after)::bigint FROM sync_schedules ORDER BY entity`)
}

// SyncScheduleSave changes an entity's schedule; ErrNotFound for an unknown entity.
func (db *DB) SyncScheduleSave(ctx context.Context, entity, spec string, enabled bool, by string) (SyncSchedule, error) {
	return db.SyncScheduleSaveStale(ctx, entity, spec, enabled, nil, by)
}

// SyncScheduleSaveStale is SyncScheduleSave that also sets the staleness
// threshold when staleAfter is not nil, in the same statement.
func (db *DB) SyncScheduleSaveStale(ctx context.Context, entity, spec string, enabled bool, staleAfter *time.Duration,
	by string) (SyncSchedule, error) {
	var s SyncSchedule
	var secs *int64
	if staleAfter != nil {
		v := int64(*staleAfter / time.Second)
		secs = &v
	}
	err := db.q(ctx).QueryRow(ctx, `UPDATE sync_schedules SET spec = $2, enabled = $3, updated_by = $4, updated_at = now(),
			stale_after = COALESCE(make_interval(secs => $5::bigint), stale_after)
		WHERE entity = $1 RETURNING entity, spec, enabled, COALESCE(running_run, ''), updated_by, updated_at,
			extract(epoch FROM stale_after)::bigint`,
		entity, spec, enabled, by, secs).Scan(&s.Entity, &s.Spec, &s.Enabled, &s.RunningRun, &s.UpdatedBy, &s.UpdatedAt,
		&s.StaleAfterS)
	if err != nil {
		return s, fmt.Errorf("save sync schedule %s: %w", entity, notFound(err))
	}
	return s, nil
}

// SyncRunClaim records run r as running and makes it the entity's one running
// run. If another run holds the entity it returns that run's ID and records
// nothing. Claiming again with the same run is a no-op, so a retried activity
// is safe.
func (db *DB) SyncRunClaim(ctx context.Context, r SyncRun) (holder string, err error) {
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		var cur *string
		if err := tx.QueryRow(ctx, `SELECT running_run FROM sync_schedules WHERE entity = $1 FOR UPDATE`, r.Entity).
			Scan(&cur); err != nil {
			return fmt.Errorf("lock sync schedule %s: %w", r.Entity, notFound(err))
		}
		if cur != nil && *cur != r.ID {
			holder = *cur
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE sync_schedules SET running_run = $2 WHERE entity = $1`, r.Entity, r.ID); err != nil {
			return fmt.Errorf("claim sync %s: %w", r.Entity, err)
		}
		return exec(ctx, tx, "record sync run "+r.ID, `INSERT INTO sync_runs (id, entity, trigger, requested_by, status, since)
			VALUES ($1, $2, $3, $4, 'running', $5) ON CONFLICT (id) DO NOTHING`,
			r.ID, r.Entity, r.Trigger, r.RequestedBy, r.Since)
	})
	return holder, err
}

// SyncRunAbandon releases the entity from a run that is no longer running
// (its workflow ended without finishing the run), marking the run failed.
func (db *DB) SyncRunAbandon(ctx context.Context, entity, runID, why string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sync_schedules SET running_run = NULL WHERE entity = $1 AND running_run = $2`,
			entity, runID); err != nil {
			return fmt.Errorf("release sync %s: %w", entity, err)
		}
		return exec(ctx, tx, "abandon sync run "+runID, `UPDATE sync_runs SET status = 'failed', error = $2, finished_at = now()
			WHERE id = $1 AND status = 'running'`, runID, why)
	})
}

// SyncRunSkip records a run that did not start because another held the entity.
func (db *DB) SyncRunSkip(ctx context.Context, r SyncRun, why string) error {
	return exec(ctx, db.pool, "record skipped sync run "+r.ID, `INSERT INTO sync_runs (id, entity, trigger, requested_by, status, finished_at, error)
		VALUES ($1, $2, $3, $4, 'skipped', now(), $5) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Entity, r.Trigger, r.RequestedBy, why)
}

// SyncRunProgress records a running run's counts so far.
func (db *DB) SyncRunProgress(ctx context.Context, id string, since *time.Time, c SyncCounts) error {
	return runProgress(ctx, db.pool, id, since, c)
}

// SyncRunFinish records a run's outcome and releases its entity. A failed
// run tells the integration administrators (role admin) in the same
// transaction, once per run however often it is finished.
func (db *DB) SyncRunFinish(ctx context.Context, r SyncRun) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		var attempts int
		err := tx.QueryRow(ctx, `UPDATE sync_runs SET status = $2, finished_at = COALESCE(finished_at, now()),
			pages = $3, rows_read = $4, inserted = $5, updated = $6, unchanged = $7, rejected = $8, signalled = $9,
			error = $10 WHERE id = $1 RETURNING failed_attempts`,
			r.ID, r.Status, r.Pages, r.Read, r.Inserted, r.Updated, r.Unchanged, r.Rejected, r.Signalled, r.Error).Scan(&attempts)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("finish sync run %s: %w", r.ID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE sync_schedules SET running_run = NULL WHERE entity = $1 AND running_run = $2`,
			r.Entity, r.ID); err != nil {
			return fmt.Errorf("release sync %s: %w", r.Entity, err)
		}
		if r.Status != SyncFailed {
			return nil
		}
		_, err = notificationAdd(ctx, tx, Notification{DedupeKey: "sync-failed/" + r.ID, Recipient: "role:admin",
			Subject: fmt.Sprintf("ERP sync of %s failed", r.Entity),
			Body: fmt.Sprintf("Run %s of the %s sync failed after %d failed attempts:\n\n%s\n\n"+
				"Rows written before the failure are kept; the next run reads on from the checkpoint. "+
				"See /api/v1/sync/runs/%s and /api/v1/sync/health.", r.ID, r.Entity, attempts, r.Error, r.ID)})
		return err
	})
}

const syncRunCols = `id, entity, trigger, requested_by, status, started_at, finished_at, since, pages, rows_read,
	inserted, updated, unchanged, rejected, signalled, error, failed_attempts, last_error, last_error_at`

func scanSyncRun(row pgx.Row) (SyncRun, error) {
	var r SyncRun
	err := row.Scan(&r.ID, &r.Entity, &r.Trigger, &r.RequestedBy, &r.Status, &r.StartedAt, &r.FinishedAt, &r.Since,
		&r.Pages, &r.Read, &r.Inserted, &r.Updated, &r.Unchanged, &r.Rejected, &r.Signalled, &r.Error,
		&r.FailedAttempts, &r.LastError, &r.LastErrorAt)
	return r, err
}

// collectSyncRun is scanSyncRun for lists and streams (queryList, queryEach).
func collectSyncRun(row pgx.CollectableRow) (SyncRun, error) { return scanSyncRun(row) }

// SyncRunAttemptFailed records a failed try of a running run, as it happens:
// an administrator sees "attempt 3: ERP unavailable (HTTP 503)" rather than a
// run that only says running.
func (db *DB) SyncRunAttemptFailed(ctx context.Context, id, why string) error {
	return exec(ctx, db.pool, "sync run "+id+": record failed attempt", `UPDATE sync_runs SET failed_attempts = failed_attempts + 1, last_error = $2,
		last_error_at = now() WHERE id = $1 AND status = 'running'`, id, truncate(why, 2000))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// SyncRunGet returns one run.
func (db *DB) SyncRunGet(ctx context.Context, id string) (SyncRun, error) {
	r, err := scanSyncRun(db.pool.QueryRow(ctx, `SELECT `+syncRunCols+` FROM sync_runs WHERE id = $1`, id))
	if err != nil {
		return r, fmt.Errorf("sync run %s: %w", id, notFound(err))
	}
	return r, nil
}

// SyncRunList returns the newest runs, of one entity if entity is not "".
func (db *DB) SyncRunList(ctx context.Context, entity string, limit int) ([]SyncRun, error) {
	return queryList(ctx, db.pool, "list sync runs", collectSyncRun, `SELECT `+syncRunCols+` FROM sync_runs
		WHERE $1 = '' OR entity = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, entity, limit)
}

// SyncRejectsAdd records rows a run could not read; recording one twice keeps the first.
func (db *DB) SyncRejectsAdd(ctx context.Context, runID string, rejects []SyncReject) error {
	if len(rejects) == 0 {
		return nil
	}
	keys := make([]string, len(rejects))
	reasons := make([]string, len(rejects))
	for i, r := range rejects {
		keys[i], reasons[i] = r.Key, r.Reason
	}
	return exec(ctx, db.pool, "record rejected rows of "+runID, `INSERT INTO sync_rejects (run_id, erp_key, reason)
		SELECT $1, k, r FROM unnest($2::text[], $3::text[]) AS t(k, r) ON CONFLICT DO NOTHING`, runID, keys, reasons)
}

// SyncRejectsList returns up to limit rejected rows of a run.
func (db *DB) SyncRejectsList(ctx context.Context, runID string, limit int) ([]SyncReject, error) {
	return queryList(ctx, db.pool, fmt.Sprintf("rejected rows of %s", runID), pgx.RowToStructByPos[SyncReject], `SELECT erp_key, reason, at FROM sync_rejects WHERE run_id = $1
		ORDER BY erp_key LIMIT $2`, runID, limit)
}

// SyncChecksum returns how many rows of an entity l2c holds from the ERP and an
// MD5 over them in key order, to compare with what the ERP holds (the same
// fields, formatted as ChecksumLine does).
func (db *DB) SyncChecksum(ctx context.Context, entity string) (int64, string, error) {
	var q string
	switch entity {
	case "customers":
		q = `SELECT count(*), md5(COALESCE(string_agg(concat_ws('|', code, name, tax_id, address, phone, payment_terms,
				COALESCE(min_discount_bp::text, ''), COALESCE(credit_limit::text, ''), currency, blocked::text,
				COALESCE(extract(epoch FROM erp_changed_at)::bigint::text, ''), erp_etag), E'\n' ORDER BY code COLLATE "C"), ''))
			FROM customers WHERE source = 'erp'`
	case "invoices":
		q = `SELECT count(*), md5(COALESCE(string_agg(concat_ws('|', number, customer_code, sales_order, amount::text,
				currency, issued_on::text, due_on::text, cancelled::text, extract(epoch FROM erp_changed_at)::bigint::text),
				E'\n' ORDER BY number COLLATE "C"), '')) FROM erp_invoices`
	case "payments":
		q = `SELECT count(*), md5(COALESCE(string_agg(concat_ws('|', reference, invoice_no, customer_code, amount::text,
				currency, received_on::text), E'\n' ORDER BY reference COLLATE "C"), '')) FROM erp_payments`
	default:
		return 0, "", fmt.Errorf("checksum: unknown entity %q", entity)
	}
	var n int64
	var sum string
	if err := db.pool.QueryRow(ctx, q).Scan(&n, &sum); err != nil {
		return 0, "", fmt.Errorf("checksum %s: %w", entity, err)
	}
	return n, sum, nil
}

// CheckpointSave sets a sync's position on its own, outside a batch.
func (db *DB) CheckpointSave(ctx context.Context, cp Checkpoint) error {
	return db.inTx(ctx, func(tx pgx.Tx) error { return checkpointSave(ctx, tx, cp) })
}

// runProgress records a running run's counts on q; in a checkpoint's
// transaction, the counts commit with the rows they count.
func runProgress(ctx context.Context, q auditQuerier, id string, since *time.Time, c SyncCounts) error {
	return exec(ctx, q, "sync run "+id+" progress", `UPDATE sync_runs SET pages = $2, rows_read = $3, inserted = $4, updated = $5,
		unchanged = $6, rejected = $7, signalled = $8, since = COALESCE($9, since) WHERE id = $1 AND status = 'running'`,
		id, c.Pages, c.Read, c.Inserted, c.Updated, c.Unchanged, c.Rejected, c.Signalled, since)
}

// SyncHealth is one entity's health line: when it last succeeded, how far
// back its checkpoint reaches, what its last run did, and whether its data is
// older than the entity's threshold (stale).
type SyncHealth struct {
	Entity          string     `json:"entity"`
	Enabled         bool       `json:"enabled"`
	Spec            string     `json:"spec"`
	RunningRun      string     `json:"running_run,omitempty"`
	LastSuccessAt   *time.Time `json:"last_success_at"`
	CheckpointAt    *time.Time `json:"checkpoint_at"` // the next delta reads changes from here
	CheckpointAgeS  *int64     `json:"checkpoint_age_s"`
	LastRun         string     `json:"last_run,omitempty"`
	LastStatus      string     `json:"last_status,omitempty"`
	LastError       string     `json:"last_error,omitempty"`
	LastFinishedAt  *time.Time `json:"last_finished_at,omitempty"`
	RejectedLastRun int64      `json:"rejected_last_run"`
	StaleAfterS     int64      `json:"stale_after_s"`
	Stale           bool       `json:"stale"`
	StaleAlertedAt  *time.Time `json:"stale_alerted_at,omitempty"`
}

// SyncHealthList returns every entity's health line as of now. An entity is
// stale when its last success (or, never having succeeded, its schedule's
// creation) is older than its stale_after.
func (db *DB) SyncHealthList(ctx context.Context, now time.Time) ([]SyncHealth, error) {
	scan := func(row pgx.CollectableRow) (SyncHealth, error) {
		var h SyncHealth
		var cp *time.Time
		if err := row.Scan(&h.Entity, &h.Enabled, &h.Spec, &h.RunningRun, &h.LastSuccessAt, &cp, &h.LastRun,
			&h.LastStatus, &h.LastError, &h.LastFinishedAt, &h.RejectedLastRun, &h.StaleAfterS, &h.Stale,
			&h.StaleAlertedAt); err != nil {
			return h, err
		}
		if cp != nil && !cp.IsZero() {
			h.CheckpointAt = cp
			age := int64(now.Sub(*cp) / time.Second)
			h.CheckpointAgeS = &age
		}
		return h, nil
	}
	return queryList(ctx, db.pool, "sync health", scan, `
		SELECT s.entity, s.enabled, s.spec, COALESCE(s.running_run, ''), ok.finished_at,
			(c.position::jsonb ->> 'since')::timestamptz,
			COALESCE(l.id, ''), COALESCE(l.status, ''), COALESCE(NULLIF(l.error, ''), l.last_error, ''), l.finished_at,
			COALESCE(l.rejected, 0), extract(epoch FROM s.stale_after)::bigint,
			COALESCE(ok.finished_at, s.updated_at) < $1::timestamptz - s.stale_after, s.stale_alerted_at
		FROM sync_schedules s
		LEFT JOIN sync_checkpoints c ON c.entity = s.entity
		LEFT JOIN LATERAL (SELECT finished_at FROM sync_runs WHERE entity = s.entity AND status = 'succeeded'
			ORDER BY finished_at DESC LIMIT 1) ok ON true
		LEFT JOIN LATERAL (SELECT id, status, error, last_error, finished_at, rejected FROM sync_runs
			WHERE entity = s.entity AND status IN ('succeeded', 'failed') ORDER BY finished_at DESC LIMIT 1) l ON true
		ORDER BY s.entity`, now)
}

// SyncStaleAlerts tells the integration administrators about every enabled
// entity that has become stale since it was last fresh, once (any number of
// replicas may call it at the same moment: the rows are locked and the
// notification is keyed by the entity and its last success), and forgets the
// alert of entities fresh again. It returns the entities alerted now.
func (db *DB) SyncStaleAlerts(ctx context.Context, now time.Time) ([]string, error) {
	var alerted []string
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT s.entity, s.stale_after::text, ok.finished_at,
				COALESCE(ok.finished_at, s.updated_at) < $1::timestamptz - s.stale_after AS stale, s.stale_alerted_at IS NOT NULL
			FROM sync_schedules s
			LEFT JOIN LATERAL (SELECT finished_at FROM sync_runs WHERE entity = s.entity AND status = 'succeeded'
				ORDER BY finished_at DESC LIMIT 1) ok ON true
			WHERE s.enabled
			ORDER BY s.entity
			FOR UPDATE OF s`, now)
		if err != nil {
			return fmt.Errorf("stale sync entities: %w", err)
		}
		type line struct {
			entity, after string
			last          *time.Time
			stale, told   bool
		}
		var lines []line
		for rows.Next() {
			var l line
			if err := rows.Scan(&l.entity, &l.after, &l.last, &l.stale, &l.told); err != nil {
				rows.Close()
				return fmt.Errorf("stale sync entities: %w", err)
			}
			lines = append(lines, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("stale sync entities: %w", err)
		}
		for _, l := range lines {
			switch {
			case l.stale && !l.told:
				since, key := "never", "never"
				if l.last != nil {
					since, key = l.last.UTC().Format(time.RFC3339), l.last.UTC().Format("20060102T150405.000000Z")
				}
				if _, err := notificationAdd(ctx, tx, Notification{DedupeKey: "sync-stale/" + l.entity + "/" + key,
					Recipient: "role:admin", Subject: fmt.Sprintf("ERP sync of %s is stale", l.entity),
					Body: fmt.Sprintf("The %s sync has not succeeded since %s (threshold %s): l2c's %s may be out of date. "+
						"See /api/v1/sync/health and /api/v1/sync/runs?entity=%s.", l.entity, since, l.after, l.entity, l.entity)}); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE sync_schedules SET stale_alerted_at = $2 WHERE entity = $1`, l.entity, now); err != nil {
					return fmt.Errorf("mark %s alerted: %w", l.entity, err)
				}
				alerted = append(alerted, l.entity)
			case !l.stale && l.told:
				if _, err := tx.Exec(ctx, `UPDATE sync_schedules SET stale_alerted_at = NULL WHERE entity = $1`, l.entity); err != nil {
					return fmt.Errorf("clear %s alert: %w", l.entity, err)
				}
			}
		}
		return nil
	})
	return alerted, err
}
