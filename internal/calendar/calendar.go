// Package calendar is a company's working calendar: the regular working week,
// the hours worked on a working day, public holidays, and the make-up working
// days of the Chinese calendar (调休: a Saturday or Sunday that is worked to
// bridge a holiday). Approval SLAs are counted on it ("due in 16 working hours"),
// so it is exact and deterministic: it never reads the clock, and the same
// calendar and instants always give the same answer.
//
// A Spec is the calendar as written (and stored, and sent over the API); New
// checks it and compiles it into a Calendar, which is immutable and safe for
// concurrent use.
package calendar

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Calendar answers working-time questions: when is d of working time up, how
// much working time lies between two instants, is a date worked. Build it with
// New; the zero value is not usable.
type Calendar struct {
	spec     Spec
	loc      *time.Location
	weekdays [7]bool
	periods  []period // sorted, non-overlapping
	days     map[Date]DayKind
	holidays int           // how many holiday exceptions, for loop bounds
	daily    time.Duration // working time in a normal working day
}

// ID is the calendar's name in storage, e.g. "default".
func (c *Calendar) ID() string { return c.spec.ID }

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Spec returns the calendar as written, in canonical order. The caller may
// modify the copy it gets.
func (c *Calendar) Spec() Spec {
	s := c.spec
	s.Weekdays = append([]string(nil), s.Weekdays...)
	s.Hours = append([]Period(nil), s.Hours...)
	s.Days = append([]Day(nil), s.Days...)
	return s
}

// MarshalJSON writes the Spec, so a Calendar can travel as an activity result.
func (c *Calendar) MarshalJSON() ([]byte, error) { return json.Marshal(c.spec) }

// UnmarshalJSON reads and validates a Spec.
func (c *Calendar) UnmarshalJSON(b []byte) error {
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("calendar: %w", err)
	}
	n, err := New(s)
	if err != nil {
		return err
	}
	*c = *n
	return nil
}

// DateOf is the date t falls on in the calendar's time zone.
func (c *Calendar) DateOf(t time.Time) Date { return DateOf(t.In(c.loc)) }

// IsWorkday reports whether d is worked: a make-up working day is, a holiday is
// not, and any other day is if its weekday is a regular working day.
func (c *Calendar) IsWorkday(d Date) bool {
	switch c.days[d] {
	case Holiday:
		return false
	case Workday:
		return true
	}
	return c.weekdays[d.Weekday()]
}

// IsWorkingTime reports whether t falls within working hours on a working day.
func (c *Calendar) IsWorkingTime(t time.Time) bool {
	var buf [maxPeriods]interval
	for _, iv := range c.intervals(c.DateOf(t), buf[:0]) {
		if !t.Before(iv.start) && t.Before(iv.end) {
			return true
		}
	}
	return false
}

// Next is the first working moment at or after t: t itself during working
// hours, else the start of the next working period.
func (c *Calendar) Next(t time.Time) time.Time {
	var buf [maxPeriods]interval
	day := c.DateOf(t).AddDays(-1)
	// A working period starts within 8 days (the week and the day before), plus
	// a week for each holiday and each DST change that might empty a working day.
	for range 8*(c.holidays+4) + 2 {
		for _, iv := range c.intervals(day, buf[:0]) {
			if t.Before(iv.end) {
				if t.Before(iv.start) {
					return iv.start.In(t.Location())
				}
				return t
			}
		}
		day = day.AddDays(1)
	}
	panic(fmt.Sprintf("calendar %s: no working time after %s", c.spec.ID, t))
}

// Add is the instant at which d of working time has elapsed after from:
// counting starts at from if it is working time, else at the next working
// moment, so Add(Friday 17:30, 1h) is Monday 09:30 on a 09:00–18:00 calendar.
// It is the earliest t with Between(from, t) == d; Add(from, 0) is from. A
// negative d counts backwards: the latest t with Between(t, from) == -d, which
// is how "remind two working hours before the SLA" is computed. The result is
// in from's location.
func (c *Calendar) Add(from time.Time, d time.Duration) time.Time {
	switch {
	case d == 0:
		return from
	case d < 0:
		if d == math.MinInt64 {
			d++ // -MinInt64 overflows; a nanosecond in 292 years does not matter
		}
		return c.back(from, -d).In(from.Location())
	}
	var buf [maxPeriods]interval
	remaining := d
	// Start a day early: in zones whose DST change happens at midnight, the
	// previous date's last period can end after from's date has begun.
	day := c.DateOf(from).AddDays(-1)
	for range c.dayLimit(d) {
		for _, iv := range c.intervals(day, buf[:0]) {
			if !iv.end.After(from) {
				continue
			}
			start := iv.start
			if from.After(start) {
				start = from
			}
			avail := iv.end.Sub(start)
			if avail >= remaining {
				return start.Add(remaining).In(from.Location())
			}
			remaining -= avail
		}
		day = day.AddDays(1)
	}
	panic(fmt.Sprintf("calendar %s: adding %s to %s did not finish", c.spec.ID, d, from))
}

// back is Add for a negative duration d (given as its magnitude).
func (c *Calendar) back(from time.Time, d time.Duration) time.Time {
	var buf [maxPeriods]interval
	remaining := d
	day := c.DateOf(from).AddDays(1)
	for range c.dayLimit(d) {
		ivs := c.intervals(day, buf[:0])
		for k := len(ivs) - 1; k >= 0; k-- {
			iv := ivs[k]
			if !iv.start.Before(from) {
				continue
			}
			end := iv.end
			if from.Before(end) {
				end = from
			}
			avail := end.Sub(iv.start)
			if avail >= remaining {
				return end.Add(-remaining)
			}
			remaining -= avail
		}
		day = day.AddDays(-1)
	}
	panic(fmt.Sprintf("calendar %s: subtracting %s from %s did not finish", c.spec.ID, d, from))
}

// Between is the working time from a to b; negative if b is before a.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -c.Between(b, a)
	}
	var buf [maxPeriods]interval
	var total time.Duration
	last := c.DateOf(b).AddDays(1)
	for day := c.DateOf(a).AddDays(-1); !last.Before(day); day = day.AddDays(1) {
		for _, iv := range c.intervals(day, buf[:0]) {
			start, end := iv.start, iv.end
			if a.After(start) {
				start = a
			}
			if b.Before(end) {
				end = b
			}
			if end.After(start) {
				total += end.Sub(start)
			}
		}
	}
	return total
}

// dayLimit bounds the days Add may visit to find d of working time. It is
// generous but finite: each week has at least one regular working day, each
// holiday removes at most one working day, and a DST change shortens at most
// a few days a year. Needing n full working days, floor(D/7) - holidays - 2
// (the partial first day and a spare) - 4*(D/365 + 1) (DST days) >= n holds for
// D = 8*(n + holidays + 7).
func (c *Calendar) dayLimit(d time.Duration) int {
	n := int64(d/c.daily) + 1
	return int(8*(n+int64(c.holidays)+7)) + 2
}

// interval is one working period on one date, as instants.
type interval struct{ start, end time.Time }

// intervals appends the working periods of date d to buf: none on a day off.
// Wall-clock times are turned into instants in the calendar's zone; on a DST
// change a period may come out shorter, longer or empty, and is clipped so
// that no two intervals overlap. Add and Between both see the day through this
// one function, so they always agree.
func (c *Calendar) intervals(d Date, buf []interval) []interval {
	if !c.IsWorkday(d) {
		return buf
	}
	var prevEnd time.Time
	for _, p := range c.periods {
		start := time.Date(d.Year, d.Month, d.Day, p.start/60, p.start%60, 0, 0, c.loc)
		end := time.Date(d.Year, d.Month, d.Day, p.end/60, p.end%60, 0, 0, c.loc)
		if start.Before(prevEnd) {
			start = prevEnd
		}
		if !end.After(start) {
			continue
		}
		buf = append(buf, interval{start, end})
		prevEnd = end
	}
	return buf
}
