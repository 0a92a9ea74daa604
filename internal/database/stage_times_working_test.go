package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
)

// TestStageTimesInWorkingHours: the stage times count working hours on the
// company calendar, as CaseSave saves them with each decision: a step entered
// Friday 17:00 and decided Monday 10:00 (Beijing time) counts the two hours
// worked (17:00–18:00, 09:00–10:00), not the 65 on the clock, for an admin
// and for a sales manager alike. A manager's figures hold only the cases
// they may see: another team's case decided very slowly moves the admin's
// P90 and not theirs (nothing of theirs changes). A step written without its
// working time counts its clock time until the backfill of migration 00113
// gives it the same working time CaseSave would have. A deal that changes
// hands takes its case's figures with it.
func TestStageTimesInWorkingHours(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	conn := rawConn(t)
	exec := testenv.Exec(t, conn)
	exec(`DELETE FROM approval_steps WHERE kind = 'wh_review'`)
	exec(`DELETE FROM approval_cases WHERE kind = 'wh_review'`)
	exec(`INSERT INTO users (id, name, team, manager_id, roles) VALUES
		('wh-m1', 'M1', 'whA', NULL, ARRAY['sales_manager']), ('wh-m2', 'M2', 'whB', NULL, ARRAY['sales_manager']),
		('wh-r1', 'R1', 'whA', 'wh-m1', ARRAY['sales']), ('wh-r2', 'R2', 'whB', 'wh-m2', ARRAY['sales'])
		ON CONFLICT (id) DO NOTHING`)
	exec(`INSERT INTO customers (code, name, payment_terms, sales_owner, source) VALUES ('wh-C', 'C', 'NT30', NULL, 'manual')
		ON CONFLICT (code) DO NOTHING`)
	for _, d := range [][2]string{{"wh-D1", "wh-r1"}, {"wh-D2", "wh-r2"}} {
		exec(`INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount, discoverer, sales_owner,
				stage, stage_entered_at, holder, created_by, created_at, version)
			VALUES ($1, 'T', 'wh-C', 'C', false, 'CNY', 100, $2, $2, 'contract_review', now(), '', $2, now(), 1) ON CONFLICT (id) DO NOTHING`,
			d[0], d[1])
	}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	at := func(s string) *time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		require.NoError(t, err)
		return &tm
	}
	kase := func(id, deal, requester, team, approver string, entered, decided *time.Time, version int64) approval.Case {
		return approval.Case{ID: id, Kind: "wh_review", DealID: deal, Title: "Case " + id, Requester: requester, Team: team,
			Status: approval.StatusInReview, Round: 1, RulesVersion: 1, OpenedAt: *entered, Version: version,
			Steps: []approval.Step{
				{ID: "r1.s0." + approver, Round: 1, StageIndex: 0, Stage: "sales_manager", Approver: approver,
					Status: approval.StepApproved, EnteredAt: *entered, DecidedAt: decided, DecidedBy: approver},
				{ID: "r1.s1.wh-fin", Round: 1, StageIndex: 1, Stage: "finance", Approver: "wh-fin",
					Status: approval.StepPending, EnteredAt: *decided},
			}}
	}
	// Friday 17:00 to Monday 10:00, March 2026 (no holiday): 2 working hours.
	mine := kase("wh-K1", "wh-D1", "wh-r1", "whA", "wh-m1", at("2026-03-06 17:00"), at("2026-03-09 10:00"), 1)
	require.NoError(t, db.CaseSave(ctx, mine, nil, audit.Chain{}, nil, nil))

	manager := database.Viewer{ID: "wh-m1", Team: "whA", Manager: true, Unowned: true}
	admin := database.Viewer{ID: "wh-admin", All: true}
	now := time.Now()
	read := func(v database.Viewer) map[string]database.StageTime {
		t.Helper()
		got, err := db.StageTimes(ctx, "wh_review", v, now)
		require.NoError(t, err)
		exact, err := db.StageTimesExact(ctx, "wh_review", v, now)
		require.NoError(t, err)
		require.Len(t, got, len(exact))
		out := map[string]database.StageTime{}
		for i, g := range got {
			require.Equal(t, exact[i].Decided, g.Decided, g.Stage)
			require.InDelta(t, exact[i].AvgHours, g.AvgHours, 1e-6, g.Stage)
			out[g.Stage] = g
		}
		return out
	}
	want := database.StageTime{Kind: "wh_review", Stage: "sales_manager", Decided: 1, AvgHours: 2, P90Hours: 2}
	for name, v := range map[string]database.Viewer{"manager": manager, "admin": admin} {
		got := read(v)
		require.InDelta(t, want.AvgHours, got["sales_manager"].AvgHours, 1e-9, "%s: working hours, not the 65 on the clock", name)
		require.InDelta(t, want.P90Hours, got["sales_manager"].P90Hours, 1e-9, name)
		require.Equal(t, int64(1), got["sales_manager"].Decided, name)
		require.Equal(t, int64(1), got["finance"].OpenSteps, name)
	}

	// Another team's review, decided after four working weeks (Monday 9 March
	// 09:00 to Friday 3 April 18:00: 20 days of 8 hours).
	before := read(manager)
	theirs := kase("wh-K2", "wh-D2", "wh-r2", "whB", "wh-m2", at("2026-03-09 09:00"), at("2026-04-03 18:00"), 1)
	require.NoError(t, db.CaseSave(ctx, theirs, nil, audit.Chain{}, nil, nil))
	require.Equal(t, before, read(manager), "another team's slow case moves nothing of the manager's")
	all := read(admin)["sales_manager"]
	require.Equal(t, int64(2), all.Decided)
	require.InDelta(t, 81, all.AvgHours, 1e-9, "(2 + 160) / 2 working hours")
	require.InDelta(t, 160, all.P90Hours, 1e-9, "the admin's P90 is the slow case")

	// The figure is kept as decided: saving the case again (a later
	// version, the same steps) does not count it anew.
	mine.Version = 2
	require.NoError(t, db.CaseSave(ctx, mine, nil, audit.Chain{}, nil, nil))
	require.Equal(t, before, read(manager))

	// A step written straight into the table, as the steps decided before
	// migration 00112 were, counts its clock time (65 hours) until the
	// backfill; then the working time CaseSave gives the same step.
	exec(`INSERT INTO approval_steps (id, case_id, kind, team, requester, round, stage_index, stage, approver, status,
			entered_at, decided_at, decided_by)
		VALUES ('r1.s2.wh-legal', 'wh-K1', 'wh_review', 'whA', 'wh-r1', 1, 2, 'legal', 'wh-legal', 'approved', $1, $2, 'wh-legal')`,
		*at("2026-03-06 17:00"), *at("2026-03-09 10:00"))
	require.InDelta(t, 65, read(manager)["legal"].AvgHours, 1e-9)
	_, err = db.BackfillWorkingSeconds(ctx)
	require.NoError(t, err)
	for name, v := range map[string]database.Viewer{"manager": manager, "admin": admin} {
		got := read(v)["legal"]
		require.InDelta(t, 2, got.AvgHours, 1e-9, "%s: backfilled as CaseSave saves it", name)
		require.InDelta(t, 2, got.P90Hours, 1e-9, name)
	}
	_, err = db.CompactStageTimes(ctx)
	require.NoError(t, err)
	require.InDelta(t, 2, read(admin)["legal"].AvgHours, 1e-9, "folded into the totals, the same")

	// A deal handed to the manager's rep brings its case into the manager's
	// figures (the steps' deal_owner follows the deal, migration 00115), and
	// handed back takes it out again; the reach stays the predicate's.
	mineNow := read(manager)
	exec(`UPDATE deals SET sales_owner = 'wh-r1' WHERE id = 'wh-D2'`)
	require.Equal(t, int64(2), read(manager)["sales_manager"].Decided, "the handed-over deal's case counts")
	require.InDelta(t, 160, read(manager)["sales_manager"].P90Hours, 1e-9)
	exec(`UPDATE deals SET sales_owner = 'wh-r2' WHERE id = 'wh-D2'`)
	require.Equal(t, mineNow, read(manager), "handed back, it counts no more")

	// The same figure as the company calendar's own count.
	cal, err := db.CalendarGet(ctx, calendar.DefaultID)
	require.NoError(t, err)
	require.Equal(t, 2*time.Hour, cal.Between(*at("2026-03-06 17:00"), *at("2026-03-09 10:00")))
	require.Equal(t, 160*time.Hour, cal.Between(*at("2026-03-09 09:00"), *at("2026-04-03 18:00")))
}
