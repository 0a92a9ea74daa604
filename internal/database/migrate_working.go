package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/calendar"
)

// goMigrations are the migrations written in Go, applied in version order
// with the SQL ones of migrations/.
func goMigrations() []*goose.Migration {
	return []*goose.Migration{
		// 00113: the working time of every step decided before 00112 added
		// the column, on the company calendar, as CaseSave works it out.
		goose.NewGoMigration(113, &goose.GoFunc{RunDB: withPgx(backfillWorkingSeconds)},
			&goose.GoFunc{RunDB: withPgx(forgetWorkingSeconds)}),
	}
}

// withPgx runs fn on the migration's database/sql connection as the pgx
// connection it is, so that it reads and writes as the rest of the package.
func withPgx(fn func(ctx context.Context, conn *pgx.Conn) error) func(ctx context.Context, db *sql.DB) error {
	return func(ctx context.Context, db *sql.DB) error {
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("migration connection is a %T, not pgx's", dc)
			}
			return fn(ctx, sc.Conn())
		})
	}
}

// companyCalendar is the calendar working time is counted on: the stored
// "default", else mainland China's (as the pages and the worker fall back).
func companyCalendar(ctx context.Context, q auditQuerier) (*calendar.Calendar, error) {
	c, err := calendarRead(ctx, q, calendar.DefaultID)
	if errors.Is(err, ErrNotFound) {
		return calendar.China(), nil
	}
	return c, err
}

// workedSeconds is what a step stores in working_seconds: for a decided
// (approved or rejected) step, the working time from its entry to its
// decision on cal, in seconds; else nothing (NULL).
func workedSeconds(cal *calendar.Calendar, s approval.Step) *float64 {
	if cal == nil || s.DecidedAt == nil || (s.Status != approval.StepApproved && s.Status != approval.StepRejected) {
		return nil
	}
	w := workingSeconds(cal, s.EnteredAt, *s.DecidedAt)
	return &w
}

func workingSeconds(cal *calendar.Calendar, entered, decided time.Time) float64 {
	return cal.Between(entered, decided).Seconds()
}

// backfillWorkingSeconds sets working_seconds on every decided step that has
// none, 10,000 at a time in key order, each batch its own statement: the
// stage-times triggers move each step from its clock-time bucket to its
// working-time one as it goes, so the summary stays exact throughout and a
// run cut short resumes where it stopped.
func backfillWorkingSeconds(ctx context.Context, conn *pgx.Conn) error {
	cal, err := companyCalendar(ctx, conn)
	if err != nil {
		return fmt.Errorf("working seconds: %w", err)
	}
	_, err = backfillWorking(ctx, conn, cal)
	return err
}

// BackfillWorkingSeconds is the migration's backfill on the company
// calendar, for the benches that load decided steps straight into the
// table; it returns how many steps it set.
func (db *DB) BackfillWorkingSeconds(ctx context.Context) (int64, error) {
	cal, err := companyCalendar(ctx, db.pool)
	if err != nil {
		return 0, fmt.Errorf("working seconds: %w", err)
	}
	return backfillWorking(ctx, db.pool, cal)
}

// backfillWorking is backfillWorkingSeconds on q with cal.
func backfillWorking(ctx context.Context, q auditQuerier, cal *calendar.Calendar) (int64, error) {
	const batch = 10000
	var lastCase, lastID string
	var total int64
	for {
		type step struct {
			CaseID, ID       string
			Entered, Decided time.Time
		}
		steps, err := queryList(ctx, q, "decided steps without working seconds", pgx.RowToStructByPos[step], `
			SELECT case_id, id, entered_at, decided_at FROM approval_steps
			WHERE status IN ('approved', 'rejected') AND decided_at IS NOT NULL AND working_seconds IS NULL
			  AND (case_id, id) > ($1, $2)
			ORDER BY case_id, id LIMIT $3`, lastCase, lastID, batch)
		if err != nil {
			return total, err
		}
		if len(steps) == 0 {
			return total, nil
		}
		cases, ids, secs := make([]string, len(steps)), make([]string, len(steps)), make([]float64, len(steps))
		for i, s := range steps {
			cases[i], ids[i], secs[i] = s.CaseID, s.ID, workingSeconds(cal, s.Entered, s.Decided)
		}
		tag, err := q.Exec(ctx, `UPDATE approval_steps s SET working_seconds = v.w
			FROM unnest($1::text[], $2::text[], $3::float8[]) v(c, i, w)
			WHERE s.case_id = v.c AND s.id = v.i AND s.working_seconds IS NULL`, cases, ids, secs)
		if err != nil {
			return total, fmt.Errorf("set working seconds: %w", err)
		}
		total += tag.RowsAffected()
		lastCase, lastID = steps[len(steps)-1].CaseID, steps[len(steps)-1].ID
	}
}

// forgetWorkingSeconds undoes the backfill: every step counts its clock time
// again (the triggers move it back), as before 00112.
func forgetWorkingSeconds(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `UPDATE approval_steps SET working_seconds = NULL WHERE working_seconds IS NOT NULL`)
	return err
}
