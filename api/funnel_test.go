package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/funnel"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/scheduler"
	"github.com/l2c/l2c/internal/testenv"
)

// funnelWorld: a team of its own (fn-boss manages fn-a and fn-b) and a known
// history written as the deals' workflows write it. fn-a's FN-1 reached the
// order, FN-2 was lost in quote, FN-3 waits in quote (the owner's forecast:
// best case, March 2099); fn-b's FN-4 was lost in opportunity. Written
// once, whichever test asks first.
func funnelWorld(t *testing.T) *stack {
	s := setup(t)
	ctx := context.Background()
	testenv.AddUsers(t, s.db,
		identity.User{ID: "fn-a", Name: "Fan A", Team: "fn-team", Roles: []identity.Role{identity.RoleSales}},
		identity.User{ID: "fn-b", Name: "Fan B", Team: "fn-team", Roles: []identity.Role{identity.RoleSales}},
		identity.User{ID: "fn-boss", Name: "Fan Boss", Team: "fn-team", Roles: []identity.Role{identity.RoleSalesManager}})
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	t0 := time.Date(2026, 9, 1, 1, 0, 0, 0, time.UTC)
	day := func(d float64) time.Time { return t0.Add(time.Duration(d * float64(24*time.Hour))) }
	type step struct {
		to deal.Stage
		at float64
	}
	add := func(id, owner, commit, month string, amount int64, steps ...step) {
		last := steps[len(steps)-1]
		_, err := conn.Exec(ctx, `INSERT INTO deals (id, title, customer_name, tendered, currency, expected_amount,
			discoverer, sales_owner, stage, stage_entered_at, created_by, created_at, version, commit_category, expected_order_month)
			VALUES ($1, $1, 'Funnel customer', false, 'CNY', $2, $3, $3, $4, $5, $3, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			id, amount, owner, last.to, day(last.at), t0, len(steps), commit, month)
		require.NoError(t, err)
		from := deal.Stage("")
		for i, st := range steps {
			_, err := conn.Exec(ctx, `INSERT INTO deal_history (deal_id, seq, action, actor, from_stage, to_stage, at)
				VALUES ($1, $2, 'test', $3, $4, $5, $6) ON CONFLICT DO NOTHING`, id, i+1, owner, from, st.to, day(st.at))
			require.NoError(t, err)
			from = st.to
		}
	}
	add("FN-1", "fn-a", "", "", 100000_00, step{"opportunity", 0}, step{"quote", 1}, step{"contract_review", 3}, step{"order", 7})
	add("FN-2", "fn-a", "", "", 50000_00, step{"opportunity", 0}, step{"quote", 2}, step{"lost", 8})
	add("FN-3", "fn-a", "best_case", "2099-03", 80000_00, step{"opportunity", 0}, step{"quote", 3})
	add("FN-4", "fn-b", "", "", 10000_00, step{"opportunity", 0}, step{"lost", 0.5})
	return s
}

// getAs decodes GET path as user into a T, requiring 200.
func getAs[T any](s *stack, user, path string) T {
	s.t.Helper()
	r := s.do("GET", path, "tok-"+user, "")
	require.Equal(s.t, 200, r.status, r.raw)
	var v T
	require.NoError(s.t, json.Unmarshal([]byte(r.raw), &v))
	return v
}

func (s *stack) funnelOf(user, query string) funnel.Funnel {
	return getAs[funnel.Funnel](s, user, "/api/v1/funnel"+query)
}

func (s *stack) forecastOf(user, query string) funnel.Forecast {
	return getAs[funnel.Forecast](s, user, "/api/v1/funnel/forecast"+query)
}

func bpOf(v int) *int           { return &v }
func daysOf(v float64) *float64 { return &v }

// TestFunnelConversionOnAKnownHistory: conversion, time in stage and the
// probability of reaching the order, exactly, from l2c's own history as
// each viewer may see it (a rep their own deals, the manager the team's, a
// rep of another team none of them, delivery refused); below the minimum
// sample the ladder's figure is used and the answer says so; the rules are
// market management's to set (checked whole, audited) and a sales manager
// setting them is refused with nothing changed.
func TestFunnelConversionOnAKnownHistory(t *testing.T) {
	s := funnelWorld(t)
	want := []funnel.StageFigures{
		{Stage: "opportunity", Entered: 3, MovedOn: 3, ConversionBP: bpOf(10000), Won: 1, LostLater: 1, Sample: 2,
			HistoryBP: bpOf(5000), LadderBP: 1000, ProbabilityBP: 1000, Source: "ladder", Exits: 3, MeanDays: daysOf(2), MedianDays: daysOf(2)},
		{Stage: "quote", Entered: 3, MovedOn: 1, Lost: 1, Open: 1, ConversionBP: bpOf(5000), Won: 1, LostLater: 1, Sample: 2,
			HistoryBP: bpOf(5000), LadderBP: 2500, ProbabilityBP: 2500, Source: "ladder", Exits: 2, MeanDays: daysOf(4), MedianDays: daysOf(4)},
		{Stage: "bid", LadderBP: 4000, ProbabilityBP: 4000, Source: "ladder"},
		{Stage: "contract_review", Entered: 1, MovedOn: 1, ConversionBP: bpOf(10000), Won: 1, Sample: 1,
			HistoryBP: bpOf(10000), LadderBP: 6000, ProbabilityBP: 6000, Source: "ladder", Exits: 1, MeanDays: daysOf(4), MedianDays: daysOf(4)},
	}
	f := s.funnelOf("fn-a", "")
	require.Equal(t, funnel.Funnel{MinSample: 20, Deals: 3, Stages: want}, f)
	require.Equal(t, f, s.funnelOf("chen", "?owner=fn-a"), "market management sees every deal")

	team := s.funnelOf("fn-boss", "")
	require.Equal(t, 4, team.Deals)
	require.Equal(t, 4, team.Stages[0].Entered)
	require.Equal(t, bpOf(7500), team.Stages[0].ConversionBP, "3 of 4 left opportunity forward")
	require.Equal(t, 0, s.funnelOf("wang", "?owner=fn-a").Deals, "another team's deals are not counted")
	require.Equal(t, 0, s.funnelOf("fn-a", "?since=2026-09-02").Deals)
	r := s.do("GET", "/api/v1/funnel/?since=yesterday", "tok-fn-a", "")
	dealRefused(t, r, 400, "since")
	require.Equal(t, 403, s.do("GET", "/api/v1/funnel", "tok-zhou", "").status)
	require.Equal(t, 403, s.do("GET", "/api/v1/funnel/forecast", "tok-wu", "").status)

	// The weighted pipeline: FN-3 alone is open, quote's probability (the
	// ladder's 25%) × 80,000.00, beside the owner's best case.
	fc := s.forecastOf("fn-a", "")
	require.Equal(t, []funnel.WeightedDeal{{ID: "FN-3", Title: "FN-3", SalesOwner: "fn-a", Stage: "quote", Month: "2099-03",
		MonthFrom: "owner", Currency: "CNY", Amount: 80000_00, ProbabilityBP: 2500, Source: "ladder", Weighted: 20000_00,
		CommitCategory: "best_case"}}, fc.Deals)
	require.Len(t, fc.Months, 1)
	require.Equal(t, "2099-03", fc.Months[0].Month)

	// The rules: a sales manager may not set them, bad ones are refused
	// whole; nothing changes either way.
	rules := `{"min_sample":2,"ladder":{"opportunity":1500,"quote":3000,"bid":4500,"contract_review":7000}}`
	require.Equal(t, 403, s.do("PUT", "/api/v1/funnel/rules", "tok-fn-boss", rules).status)
	require.Equal(t, 403, s.do("PUT", "/api/v1/funnel/rules", "tok-fn-a", rules).status)
	r = s.do("PUT", "/api/v1/funnel/rules", "tok-chen", `{"min_sample":0,"ladder":{"opportunity":1500,"quote":30000,"order":1}}`)
	dealRefused(t, r, 422, "min_sample")
	for _, field := range []string{"ladder.quote", "ladder.bid", "ladder.contract_review", "ladder.order"} {
		require.Contains(t, r.raw, `"field":"`+field+`"`)
	}
	require.Equal(t, f, s.funnelOf("fn-a", ""), "refused rules change nothing")
	require.Zero(t, s.auditCount("funnel.rules.save", ""))

	r = s.do("PUT", "/api/v1/funnel/rules", "tok-chen", rules)
	require.Equal(t, 200, r.status, r.raw)
	t.Cleanup(func() {
		s.do("PUT", "/api/v1/funnel/rules", "tok-admin",
			`{"min_sample":20,"ladder":{"opportunity":1000,"quote":2500,"bid":4000,"contract_review":6000}}`)
	})
	require.Equal(t, 1, s.auditCount("funnel.rules.save", ""))
	f = s.funnelOf("fn-a", "")
	require.Equal(t, 2, f.MinSample)
	got := map[deal.Stage][2]any{}
	for _, st := range f.Stages {
		got[st.Stage] = [2]any{st.ProbabilityBP, st.Source}
	}
	require.Equal(t, map[deal.Stage][2]any{"opportunity": {5000, "history"}, "quote": {5000, "history"},
		"bid": {4500, "ladder"}, "contract_review": {7000, "ladder"}}, got)
	require.Equal(t, 40000_00, int(s.forecastOf("fn-a", "").Deals[0].Weighted), "80,000.00 × the history's 50%")
}

// TestFunnelCommitCategoryIsTheOwners: set_forecast through the deal's
// workflow; the sales owner's manager, an assistant or another rep is
// refused, as are a bad category and a past month, with nothing changed;
// the owner's call is on the deal, in its history and beside the computed
// figure in the forecast.
func TestFunnelCommitCategoryIsTheOwners(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"Forecast","customer":{"name":"F"},"expected_amount":"120000.00","purchase_timeframe":"6_months"}`)
	before := s.get(id)
	for _, c := range []struct {
		user, body, field string
		status            int
	}{
		{"li", `{"action":"set_forecast","commit_category":"commit"}`, "", 403},
		{"zhao", `{"action":"set_forecast","commit_category":"commit"}`, "", 404}, // no team: does not see it
		{"liu", `{"action":"set_forecast","commit_category":"commit"}`, "", 404},
		{"wang", `{"action":"set_forecast","commit_category":"certain"}`, "commit_category", 422},
		{"wang", `{"action":"set_forecast","commit_category":"commit","expected_order_month":"2020-01"}`, "expected_order_month", 422},
		{"wang", `{"action":"set_forecast","commit_category":"commit","probability":90}`, "probability", 400},
	} {
		r := s.act(id, c.user, c.status, c.body)
		if c.field != "" {
			require.Contains(t, r.raw, `"field":"`+c.field+`"`, c.body)
		}
	}
	require.Equal(t, before, s.get(id), "refused forecasts change nothing")

	r := s.act(id, "wang", 200, `{"action":"set_forecast","commit_category":"commit","expected_order_month":"2099-06"}`)
	require.Equal(t, "commit", r.body["commit_category"])
	require.Equal(t, "2099-06", r.body["expected_order_month"])
	require.Equal(t, "opportunity", r.body["stage"])
	history := r.body["history"].([]any)
	require.Equal(t, "forecast: commit, order expected 2099-06", history[len(history)-1].(map[string]any)["reason"])

	var mine *funnel.WeightedDeal
	for _, d := range s.forecastOf("wang", "?owner=wang").Deals {
		if d.ID == id {
			mine = &d
		}
	}
	require.NotNil(t, mine)
	require.Equal(t, "commit", mine.CommitCategory)
	require.Equal(t, "2099-06", mine.Month)
	require.Equal(t, 120000_00, int(mine.Amount))
}

// TestFunnelPage: the manager's page shows the team's funnel and forecast
// in Chinese and English, the probability's source beside it; a bad day is
// refused next to its field; delivery is refused the page.
func TestFunnelPage(t *testing.T) {
	s := funnelWorld(t)
	b := pagesSession(t, s, "fn-boss")
	p := b.do("GET", "/funnel", "", "")
	require.Equal(t, http.StatusOK, p.status, p.body)
	stages := section(p.body, "funnel-stages")
	require.Contains(t, stages, "统计商机 4 个")
	require.Contains(t, stages, "75%", "opportunity: 3 of 4 moved on")
	require.Contains(t, stages, "默认（样本 3，不足 20）")
	forecast := section(p.body, "forecast")
	require.Contains(t, forecast, `href="/deals/FN-3"`)
	require.Contains(t, forecast, "¥20,000.00", "80,000.00 at the ladder's 25%")
	require.Contains(t, forecast, "乐观")
	require.Contains(t, forecast, "Fan A", "the owner by name")

	b.lang = "en"
	p = b.do("GET", "/funnel?owner=fn-a", "", "")
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "3 deals counted")
	require.Contains(t, p.body, "default (sample 2, below 20)")
	require.Contains(t, p.body, "best case")
	p = b.do("GET", "/funnel?since=soon", "", "")
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Contains(t, p.body, `id="f-since-error"`)

	require.Equal(t, http.StatusForbidden, pagesSession(t, s, "zhou").do("GET", "/funnel", "", "").status)
}

// TestFunnelTimeframeRemindersOnWorkingDays: the purchase timeframe sets
// how long a deal may go without a follow-up before its owner is reminded,
// counted in whole working days over the 2026 National Day holiday (1-7
// October off, Saturday 10 October worked): on Monday 12 October a "now"
// deal opened on 28 September with nothing since has gone five (29, 30
// September, 8, 9, 10 October) and is reminded; one followed up by a person on the 30th, or with an
// activity logged on it or its customer, is not; an entry of the system's
// is no follow-up. A "3_months" deal as old is not due yet, unless its owner
// expects the order this month. Won deals and deals without a timeframe are
// left alone; a run on a day off reminds nobody; a second run nobody twice.
func TestFunnelTimeframeRemindersOnWorkingDays(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	testenv.AddUsers(t, s.db, identity.User{ID: "fu-r", Name: "Fu R", Roles: []identity.Role{identity.RoleSales}})
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{{Code: "FU-C", Name: "Follow-up Co", SalesOwner: "fu-r", Source: "manual"}}, nil)
	require.NoError(t, err)
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	sh := func(month time.Month, day int) time.Time { return time.Date(2026, month, day, 10, 0, 0, 0, shanghai) }
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := conn.Exec(ctx, sql, args...)
		require.NoError(t, err)
	}
	add := func(id, stage, timeframe, customer, month string) {
		exec(`INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount, purchase_timeframe,
			discoverer, sales_owner, stage, stage_entered_at, created_by, created_at, version, expected_order_month)
			VALUES ($1, $1, $2, 'Follow-up Co', false, 'CNY', 100, $3, 'fu-r', 'fu-r', $4, $5, 'fu-r', $5, 1, $6)`,
			id, customer, timeframe, stage, sh(9, 28), month)
		exec(`INSERT INTO deal_history (deal_id, seq, action, actor, to_stage, at) VALUES ($1, 1, 'open', 'fu-r', 'opportunity', $2)`, id, sh(9, 28))
	}
	add("FU-1", "opportunity", "now", "", "")
	add("FU-2", "quote", "now", "", "")
	exec(`INSERT INTO deal_history VALUES ('FU-2', 2, 'submit_quote', 'fu-r', 'opportunity', 'quote', '', $1)`, sh(9, 30))
	add("FU-3", "opportunity", "now", "", "")
	exec(`INSERT INTO deal_history VALUES ('FU-3', 2, 'expire_quote', 'system', 'opportunity', 'opportunity', '', $1)`, sh(10, 9))
	add("FU-4", "opportunity", "now", "FU-C", "")
	exec(`INSERT INTO customer_activities (customer_code, deal_id, kind, happened_at, by_user) VALUES ('FU-C', 'FU-4', 'call', $1, 'fu-r')`, sh(10, 9))
	add("FU-5", "opportunity", "3_months", "", "")
	add("FU-6", "opportunity", "6_months", "", "2026-10")
	add("FU-7", "order", "now", "", "")
	add("FU-8", "opportunity", "", "", "")

	run := func(at time.Time) (out activities.RemindFollowUpsResult) {
		s.runTick(t, scheduler.StartFollowUps, at, &out, sh(10, 12), "follow_up_reminders.json")
		return out
	}
	reminded := func() map[string]int {
		rows, err := conn.Query(ctx, `SELECT deal_id, count(*) FROM notifications WHERE deal_id LIKE 'FU-%' AND recipient = 'fu-r'
			AND dedupe_key LIKE 'follow-up/%' GROUP BY deal_id`)
		require.NoError(t, err)
		out := map[string]int{}
		for rows.Next() {
			var id string
			var n int
			require.NoError(t, rows.Scan(&id, &n))
			out[id] = n
		}
		require.NoError(t, rows.Err())
		return out
	}

	require.Equal(t, activities.RemindFollowUpsResult{}, run(sh(10, 11)), "Sunday 11 October is a day off")
	require.Empty(t, reminded())
	require.Equal(t, map[string]int{}, reminded())
	out := run(sh(10, 12))
	require.True(t, out.Workday)
	require.Equal(t, map[string]int{"FU-1": 1, "FU-3": 1, "FU-6": 1}, reminded())
	run(sh(10, 13))
	require.Equal(t, map[string]int{"FU-1": 1, "FU-3": 1, "FU-6": 1}, reminded(), "one reminder per idle spell")

	var subject string
	require.NoError(t, conn.QueryRow(ctx, `SELECT subject FROM notifications WHERE deal_id = 'FU-1' AND dedupe_key LIKE 'follow-up/%'`).Scan(&subject))
	require.Equal(t, "Follow up FU-1 FU-1: nothing since 2026-09-28", subject)
	// A follow-up starts a new spell: reminded again only once it has gone
	// quiet for as long again.
	exec(`INSERT INTO deal_history VALUES ('FU-1', 2, 'set_forecast', 'fu-r', 'opportunity', 'opportunity', '', $1)`, sh(10, 13))
	run(sh(10, 20))
	require.Equal(t, 1, reminded()["FU-1"], "four whole working days after the follow-up (14-16, 19 October)")
	run(sh(10, 21))
	require.Equal(t, 2, reminded()["FU-1"], "five of them")

	require.Equal(t, 403, s.do("POST", "/api/v1/funnel/follow-ups/run", "tok-li", "").status)
	r := s.do("POST", "/api/v1/funnel/follow-ups/run", "tok-admin", "")
	require.Equal(t, 200, r.status, r.raw)
}
