package deal

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func forecastOf(t *testing.T, category, month string) Action {
	t.Helper()
	spec, ok := LookupAction(ActSetForecast)
	require.True(t, ok)
	a, err := spec.Action(SetForecastPayload{CommitCategory: category, ExpectedOrderMonth: month}, "")
	require.NoError(t, err)
	return a
}

// TestSetForecastRules: the commit category and the expected month are the
// sales owner's word alone (not their manager's, assistant's or another
// rep's), one of the three categories and a month not yet past, before the
// order; a month left out stays as it was.
func TestSetForecastRules(t *testing.T) {
	d := dealControlled(t)
	refuse(t, d, boss, forecastOf(t, "commit", ""), ErrForbidden)
	refuse(t, d, asst, forecastOf(t, "commit", ""), ErrForbidden)
	refuse(t, d, other, forecastOf(t, "commit", ""), ErrForbidden)
	refuse(t, d, fin, forecastOf(t, "commit", ""), ErrForbidden)
	for _, c := range []struct{ category, month, field string }{
		{"", "2027-01", "commit_category"},
		{"sure_thing", "", "commit_category"},
		{"commit", "2027-13", "expected_order_month"},
		{"commit", "2027/01", "expected_order_month"},
		{"commit", "2026-10", "expected_order_month"}, // t0 is in November 2026
	} {
		de := refuse(t, d, rep, forecastOf(t, c.category, c.month), ErrInvalid)
		require.Equal(t, []string{c.field}, fields(de), c)
	}

	stage := d.Stage
	d = apply(t, d, rep, forecastOf(t, "best_case", "2026-11"))
	require.Equal(t, "best_case", d.CommitCategory)
	require.Equal(t, "2026-11", d.ExpectedOrderMonth)
	require.Equal(t, stage, d.Stage, "a forecast moves nothing")
	next, h, err := Apply(d, rep, withToday(forecastOf(t, "commit", "")), t0)
	require.NoError(t, err)
	require.Equal(t, "commit", next.CommitCategory)
	require.Equal(t, "2026-11", next.ExpectedOrderMonth, "a month left out stays")
	require.Equal(t, "forecast: commit, order expected 2026-11", h.Reason)
	require.Equal(t, stage, h.To)
}

func withToday(a Action) Action { a.Resolve(t0, cst); return a }
