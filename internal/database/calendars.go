package database

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/calendar"
)

// CalendarGet reads the working calendar id ("default" for the company's own),
// or ErrNotFound.
func (db *DB) CalendarGet(ctx context.Context, id string) (*calendar.Calendar, error) {
	return calendarRead(ctx, db.pool, id)
}

// calendarRead is CalendarGet on q (a transaction's own snapshot, say).
func calendarRead(ctx context.Context, q auditQuerier, id string) (*calendar.Calendar, error) {
	var s calendar.Spec
	var hours []string
	err := q.QueryRow(ctx, `SELECT id, name, time_zone, weekdays, hours FROM calendars WHERE id = $1`, id).
		Scan(&s.ID, &s.Name, &s.TimeZone, &s.Weekdays, &hours)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: %w", id, notFound(err))
	}
	for _, h := range hours {
		start, end, _ := strings.Cut(h, "-")
		s.Hours = append(s.Hours, calendar.Period{Start: start, End: end})
	}
	s.Days, err = queryList(ctx, q, "calendar "+id+" days", func(row pgx.CollectableRow) (calendar.Day, error) {
		var d calendar.Day
		var day time.Time
		err := row.Scan(&day, &d.Kind, &d.Name)
		d.Date = day.Format(time.DateOnly)
		return d, err
	}, `SELECT day, kind, name FROM calendar_days WHERE calendar_id = $1 ORDER BY day`, id)
	if err != nil {
		return nil, err
	}
	// What is stored was valid when saved; New checks it again because the time
	// zone database of this machine may differ from the one that saved it.
	c, err := calendar.New(s)
	if err != nil {
		return nil, fmt.Errorf("calendar %s as stored: %w", id, err)
	}
	return c, nil
}

// CalendarSave replaces the calendar spec.ID with spec, days and all, in one
// transaction, recording who changed it. A spec that is not valid gives a
// *calendar.ValidationError naming the fields and changes nothing.
func (db *DB) CalendarSave(ctx context.Context, spec calendar.Spec, by string) (*calendar.Calendar, error) {
	if spec.ID == "" {
		return nil, &calendar.ValidationError{Fields: []calendar.FieldError{{Field: "id", Message: "is required"}}}
	}
	c, err := calendar.New(spec)
	if err != nil {
		return nil, err
	}
	s := c.Spec()
	hours := make([]string, len(s.Hours))
	for i, p := range s.Hours {
		hours[i] = p.Start + "-" + p.End
	}
	days := make([]string, len(s.Days))
	kinds := make([]string, len(s.Days))
	names := make([]string, len(s.Days))
	for i, d := range s.Days {
		days[i], kinds[i], names[i] = d.Date, string(d.Kind), d.Name
	}
	err = db.txIn(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO calendars (id, name, time_zone, weekdays, hours, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, now())
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone,
				weekdays = EXCLUDED.weekdays, hours = EXCLUDED.hours,
				updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
			s.ID, s.Name, s.TimeZone, s.Weekdays, hours, by)
		if err != nil {
			return fmt.Errorf("upsert calendar: %w", err)
		}
		// A calendar has tens of exception days a year: rewriting them all is
		// simpler than diffing and just as cheap.
		if _, err := tx.Exec(ctx, `DELETE FROM calendar_days WHERE calendar_id = $1`, s.ID); err != nil {
			return fmt.Errorf("clear calendar days: %w", err)
		}
		return exec(ctx, tx, "insert calendar days", `
			INSERT INTO calendar_days (calendar_id, day, kind, name)
			SELECT $1, d.day::date, d.kind, d.name FROM unnest($2::text[], $3::text[], $4::text[]) AS d(day, kind, name)`,
			s.ID, days, kinds, names)
	})
	if err != nil {
		return nil, fmt.Errorf("save calendar %s: %w", s.ID, err)
	}
	return c, nil
}
