package database_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/calendar"
)

// A tick on a day off takes no ladder step: the advance due Thursday 12
// March 2026 has its reminder three working days before, Monday 9 March.
// Friday's and Saturday's ticks take nothing (Saturday's rank is Monday's,
// but nobody is told on a Saturday of a Monday's step); Monday's takes it,
// on the day the instalment showed as its next action's.
func TestCollectionDayOffTakesNoStep(t *testing.T) {
	ctx := context.Background()
	db := collectionSetup(t)
	cal := calendar.China()
	c := signedDeal(t, db, "C-DAYOFF")
	tick := dunningTicker(t, db, cal)
	trail := func() []string { return dunningSteps(t, db, c.d.ID) }
	next := func() string {
		t.Helper()
		p, err := db.CollectionPlanGet(ctx, c.d.ID)
		require.NoError(t, err)
		in := p.Instalments[0]
		on := "-"
		if in.NextOn != nil {
			on = in.NextOn.String()
		}
		return in.Step + " → " + in.NextStep + " on " + on
	}

	tick("2026-03-06") // Friday
	require.Empty(t, trail())
	require.Equal(t, " → reminder on 2026-03-09", next())
	r := tick("2026-03-07") // Saturday
	require.Zero(t, r.Steps)
	require.Zero(t, r.Notifications)
	require.Empty(t, trail(), "nothing taken on a Saturday")
	require.Equal(t, " → reminder on 2026-03-09", next(), "the next action's day unchanged")
	tick("2026-03-08") // Sunday
	require.Empty(t, trail())
	r = tick("2026-03-09") // Monday
	require.Equal(t, int64(1), r.Steps)
	require.Equal(t, []string{"2026-03-09 reminder"}, trail(), "taken on the Monday it was planned for")
	require.Equal(t, "reminder → due on 2026-03-12", next())
	c.paid("2026-03-09", "BANK-DAYOFF", "30000.00") // settled: the package's other ticks leave it be
}
