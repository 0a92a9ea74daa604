package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/database"
)

// TestCalendarDefaultIsSeeded: the migration's China calendar and
// calendar.ChinaSpec are one and the same.
func TestCalendarDefaultIsSeeded(t *testing.T) {
	db := setup(t)
	c, err := db.CalendarGet(context.Background(), calendar.DefaultID)
	require.NoError(t, err)
	require.Equal(t, calendar.China().Spec(), c.Spec())

	_, err = db.CalendarGet(context.Background(), "no-such-calendar")
	require.ErrorIs(t, err, database.ErrNotFound)
}

func TestCalendarSaveRoundTripsAndRejectsBadInputWithoutChange(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	spec := calendar.Spec{ID: "test-plant", Name: "Plant 2 (Saturday mornings)", TimeZone: "Asia/Shanghai",
		Weekdays: []string{"mon", "tue", "wed", "thu", "fri", "sat"},
		Hours:    []calendar.Period{{Start: "13:00", End: "17:30"}, {Start: "08:00", End: "12:00"}},
		Days: []calendar.Day{
			{Date: "2026-10-10", Kind: calendar.Workday, Name: "国庆节调休上班"},
			{Date: "2026-10-01", Kind: calendar.Holiday, Name: "国庆节"},
			{Date: "2026-10-02", Kind: calendar.Holiday, Name: "国庆节"},
		}}
	saved, err := db.CalendarSave(ctx, spec, "admin")
	require.NoError(t, err)
	got, err := db.CalendarGet(ctx, "test-plant")
	require.NoError(t, err)
	require.Equal(t, saved.Spec(), got.Spec())
	require.Equal(t, []calendar.Period{{Start: "08:00", End: "12:00"}, {Start: "13:00", End: "17:30"}}, got.Spec().Hours)
	require.Equal(t, "2026-10-01", got.Spec().Days[0].Date)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	from := time.Date(2026, 9, 30, 17, 0, 0, 0, sh)
	require.Equal(t, time.Date(2026, 10, 3, 8, 30, 0, 0, sh), got.Add(from, time.Hour)) // a Saturday, worked here

	// Replacing drops days no longer listed.
	spec.Days = spec.Days[:1]
	_, err = db.CalendarSave(ctx, spec, "admin")
	require.NoError(t, err)
	got, err = db.CalendarGet(ctx, "test-plant")
	require.NoError(t, err)
	require.Len(t, got.Spec().Days, 1)
	before := got.Spec()

	bad := spec
	bad.Name = "should not be saved"
	bad.Hours = []calendar.Period{{Start: "09:00", End: "12:00"}, {Start: "11:00", End: "18:00"}}
	bad.Days = []calendar.Day{{Date: "2026-10-10", Kind: calendar.Workday}, {Date: "2026-10-10", Kind: calendar.Holiday}}
	_, err = db.CalendarSave(ctx, bad, "admin")
	var ve *calendar.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, []calendar.FieldError{
		{Field: "hours[1]", Message: "overlaps hours[0] (09:00–12:00)"},
		{Field: "days[1].date", Message: "2026-10-10 cannot be both a workday (days[0]) and a holiday"},
	}, ve.Fields)
	got, err = db.CalendarGet(ctx, "test-plant")
	require.NoError(t, err)
	require.Equal(t, before, got.Spec())

	_, err = db.CalendarSave(ctx, calendar.Spec{TimeZone: "UTC"}, "admin")
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "id", ve.Fields[0].Field)
}
