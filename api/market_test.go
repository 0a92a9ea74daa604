package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// marketWorld: team mk-east (rep mk-a reporting to mk-boss) and a second
// market manager, mk-m2, beside chen.
func marketWorld(t *testing.T) *stack {
	s := setup(t)
	testenv.AddUsers(t, s.db,
		identity.User{ID: "mk-boss", Name: "Mk Boss", Team: "mk-east", Roles: []identity.Role{identity.RoleSalesManager}},
		identity.User{ID: "mk-m2", Name: "Mk Two", Roles: []identity.Role{identity.RoleMarketManager}})
	require.NoError(t, s.db.UserUpsert(context.Background(),
		identity.User{ID: "mk-a", Name: "Mk A", Team: "mk-east", Roles: []identity.Role{identity.RoleSales}}, "mk-boss", "tok-mk-a"))
	// The stack is shared: the second market manager leaves with the test, so
	// the other tests' market-management steps are chen's alone again.
	t.Cleanup(func() { require.NoError(t, s.db.UserSetDisabled(context.Background(), "mk-m2", true, time.Now())) })
	return s
}

func (s *stack) budgetOf(department, quarter string) map[string]any {
	s.t.Helper()
	r := s.do("GET", "/api/v1/market/budgets?quarter="+quarter, "tok-mk-a", "")
	require.Equal(s.t, 200, r.status, r.raw)
	for _, b := range r.body["budgets"].([]any) {
		if m := b.(map[string]any); m["department"] == department {
			return m
		}
	}
	return nil
}

// awaitMarket waits for activity id's status.
func (s *stack) awaitMarket(id int64, status string) map[string]any {
	s.t.Helper()
	var a map[string]any
	require.Eventually(s.t, func() bool {
		r := s.do("GET", fmt.Sprintf("/api/v1/market/activities/%d", id), "tok-chen", "")
		a = r.body
		return r.status == 200 && a["status"] == status
	}, 20*time.Second, 50*time.Millisecond, "activity %d to be %s: %v", id, status, a)
	return a
}

// awaitCase waits for case id to be open, so it can be decided.
func (s *stack) awaitCase(id string) {
	s.t.Helper()
	require.Eventually(s.t, func() bool {
		return s.do("GET", "/api/v1/approvals/"+id, "tok-admin", "").status == 200
	}, 20*time.Second, 50*time.Millisecond)
}

func activityID(t *testing.T, r reply) int64 {
	t.Helper()
	var out struct {
		Activity struct {
			ID int64 `json:"id"`
		} `json:"activity"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.raw), &out))
	return out.Activity.ID
}

// TestMarketActivityOverBudgetStopped: budgets are market management's (a
// sales manager or a rep setting one is refused, bad ones are refused whole,
// nothing changes); an application over what remains of its department's
// quarter is a 409 naming the budget and what remains, and nothing is
// saved; one within it runs through its market_activity case and is
// approved; one leaving less than the margin is accepted with a warning,
// and its requester, a market manager, cannot approve it themself; the
// actual cost replaces the amount applied for; the deals it produced are
// reported by stage.
func TestMarketActivityOverBudgetStopped(t *testing.T) {
	s := marketWorld(t)
	ctx := context.Background()
	budget := `{"department":"mk-east","quarter":"2026-Q4","amount":"100000.00","warn_bp":2000}`
	require.Equal(t, 403, s.do("PUT", "/api/v1/market/budgets", "tok-mk-boss", budget).status)
	require.Equal(t, 403, s.do("PUT", "/api/v1/market/budgets", "tok-mk-a", budget).status)
	r := s.do("PUT", "/api/v1/market/budgets", "tok-chen", `{"department":"","quarter":"2026-Q5","amount":"-1","warn_bp":20000}`)
	dealRefused(t, r, 422, "department")
	for _, f := range []string{"quarter", "amount", "warn_bp"} {
		require.Contains(t, r.raw, `"field":"`+f+`"`)
	}
	require.Nil(t, s.budgetOf("mk-east", "2026-Q4"), "refused budgets save nothing")
	require.Zero(t, s.auditCount("market.budget.save", "mk-east/2026-Q4"))
	r = s.do("PUT", "/api/v1/market/budgets", "tok-chen", budget)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, 1, s.auditCount("market.budget.save", "mk-east/2026-Q4"))

	apply := func(user string, status int, lines string) reply {
		t.Helper()
		r := s.do("POST", "/api/v1/market/activities", "tok-"+user, `{"title":"Hannover Messe","kind":"trade_fair",
			"department":"mk-east","starts_on":"2026-11-20","lines":[`+lines+`]}`)
		require.Equal(t, status, r.status, r.raw)
		return r
	}
	// Over the budget: stopped, naming it and what remains; nothing saved.
	r = apply("mk-a", 409, `{"category":"booth","amount":"90000.00"},{"category":"travel","amount":"30000.00"}`)
	require.Equal(t, "/problems/over_budget", r.body["type"])
	require.Contains(t, r.body["detail"], "mk-east budget for 2026-Q4 is 100000.00 CNY, of which 100000.00 remains; this asks for 120000.00")
	dealRefused(t, r, 409, "lines")
	require.Equal(t, "100000.00", s.budgetOf("mk-east", "2026-Q4")["remaining"])
	list := s.do("GET", "/api/v1/market/activities?department=mk-east", "tok-chen", "")
	require.Empty(t, list.body["activities"], list.raw)
	require.Zero(t, s.auditCount("market.activity.apply", ""))
	// Bad input and another team's budget: 422 naming the fields.
	r = s.do("POST", "/api/v1/market/activities", "tok-mk-a", `{"title":"","kind":"party","department":"west","lines":[{"category":"","amount":"0"}]}`)
	dealRefused(t, r, 422, "title")
	for _, f := range []string{"kind", "department", "starts_on", "lines[0].category", "lines[0].amount"} {
		require.Contains(t, r.raw, `"field":"`+f+`"`)
	}
	require.Equal(t, 403, s.do("POST", "/api/v1/market/activities", "tok-zhou", `{}`).status)

	// Within the budget: through its case, approved by market management.
	r = apply("mk-a", 202, `{"category":"booth","amount":"50000.00"},{"category":"travel","amount":"20000.00"}`)
	require.Nil(t, r.body["warning"])
	first := activityID(t, r)
	require.Equal(t, "30000.00", r.body["budget"].(map[string]any)["remaining_after"])
	caseID := fmt.Sprintf("market_activity.%d", first)
	s.awaitCase(caseID)
	s.decide(caseID, "mk-a", 403, `{"approve":true}`)
	s.decide(caseID, "chen", 200, `{"approve":true}`)
	s.awaitMarket(first, "approved")
	require.Equal(t, "30000.00", s.budgetOf("mk-east", "2026-Q4")["remaining"])
	wf := workflows.MarketActivityWorkflowID(first)
	require.NoError(t, s.tc.GetWorkflow(ctx, wf, "").Get(ctx, nil)) // ended
	testenv.RecordHistory(t, s.tc, wf, "market_activity_approved.json")

	// Inside the margin: a warning. Its requester, a market manager, may
	// not approve it: refused, still in review; the other one approves.
	r = s.do("POST", "/api/v1/market/activities", "tok-chen", `{"title":"Seminar","kind":"seminar","department":"mk-east",
		"starts_on":"2026-12-01","lines":[{"category":"venue","amount":"15000.00"}]}`)
	require.Equal(t, 202, r.status, r.raw)
	require.Contains(t, r.body["warning"], "after this, 15000.00 of the mk-east budget for 2026-Q4 remains")
	second := activityID(t, r)
	secondCase := fmt.Sprintf("market_activity.%d", second)
	s.awaitCase(secondCase)
	got := s.do("POST", "/api/v1/approvals/"+secondCase+"/decide", "tok-chen", `{"approve":true}`)
	require.NotEqual(t, 200, got.status, got.raw)
	require.Equal(t, "in_review", s.awaitMarket(second, "in_review")["status"])
	s.decide(secondCase, "mk-m2", 200, `{"approve":true}`)
	s.awaitMarket(second, "approved")
	apply("mk-a", 409, `{"category":"samples","amount":"15000.01"}`)

	// After it ran: the actual cost counts instead (65,000 of 70,000).
	require.Equal(t, 403, s.do("POST", fmt.Sprintf("/api/v1/market/activities/%d/cost", first), "tok-mk-boss", `{"actual_cost":"1"}`).status)
	r = s.do("POST", fmt.Sprintf("/api/v1/market/activities/%d/cost", first), "tok-mk-a", `{"actual_cost":"65000.00"}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "done", r.body["status"])
	require.Equal(t, "20000.00", s.budgetOf("mk-east", "2026-Q4")["remaining"])
	require.Equal(t, 409, s.do("POST", fmt.Sprintf("/api/v1/market/activities/%d/cost", first), "tok-mk-a", `{"actual_cost":"1"}`).status)

	// The pipeline it produced: two deals of mk-a's tagged with it.
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	for i, stage := range []string{"opportunity", "opportunity", "quote"} {
		_, err := conn.Exec(ctx, `INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount,
			discoverer, sales_owner, stage, stage_entered_at, created_by, created_at, version)
			VALUES ($1, $1, $2, 'Fair lead', false, 'CNY', $3, 'mk-a', 'mk-a', $4, now(), 'mk-a', now(), 1) ON CONFLICT DO NOTHING`,
			fmt.Sprintf("MK-%d", i), fmt.Sprintf("MKC-%d", i), int64(i+1)*1000000, stage)
		require.NoError(t, err)
	}
	tag := func(user, dealID string, status int) reply {
		t.Helper()
		r := s.do("POST", fmt.Sprintf("/api/v1/market/activities/%d/deals", first), "tok-"+user, `{"deal_id":"`+dealID+`"}`)
		require.Equal(t, status, r.status, r.raw)
		return r
	}
	dealRefused(t, tag("liu", "MK-0", 422), 422, "deal_id") // not a deal liu sees
	tag("mk-a", "MK-0", 200)
	tag("mk-a", "MK-1", 200)
	r = tag("mk-a", "MK-2", 200)
	var p struct {
		ActualCost string `json:"actual_cost"`
		Stages     []struct {
			Stage     string `json:"stage"`
			Deals     int    `json:"deals"`
			Amount    string `json:"amount"`
			Customers int    `json:"customers"`
		} `json:"stages"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.raw), &p))
	require.Equal(t, "65000.00", p.ActualCost)
	require.Len(t, p.Stages, 2)
	require.Equal(t, "opportunity", p.Stages[0].Stage)
	require.Equal(t, 2, p.Stages[0].Deals)
	require.Equal(t, "30000.00", p.Stages[0].Amount)
	require.Equal(t, 2, p.Stages[0].Customers)
	require.Equal(t, "quote", p.Stages[1].Stage)
	require.Equal(t, "30000.00", p.Stages[1].Amount)
	require.Equal(t, http.StatusOK, s.do("GET", fmt.Sprintf("/api/v1/market/activities/%d/pipeline", first), "tok-sun", "").status)
}
