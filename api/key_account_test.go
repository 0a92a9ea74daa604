package api_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// keyAccountWorld: team ka (manager ka-boss, reps ka-rep and ka-rep2, a
// manager ka-mgr who reports to ka-boss), team kb (manager kb-boss, rep
// kb-rep), a supporter ka-sup and a disabled user ka-off; customer KA-1 of
// ka-rep with an open deal of ka-rep.
func keyAccountWorld(t *testing.T) (*stack, string) {
	s := setup(t)
	ctx := context.Background()
	s.addUsers(
		teamUser{identity.User{ID: "ka-boss", Name: "Kang Boss", Team: "ka", Roles: []identity.Role{identity.RoleSalesManager}}, ""},
		teamUser{identity.User{ID: "ka-rep", Name: "卡代表", Team: "ka", Roles: []identity.Role{identity.RoleSales}}, "ka-boss"},
		teamUser{identity.User{ID: "ka-rep2", Name: "Ka Two", Team: "ka", Roles: []identity.Role{identity.RoleSales}}, "ka-boss"},
		teamUser{identity.User{ID: "ka-sup", Name: "Su Pei", Team: "ka-eng", Roles: []identity.Role{identity.RoleDelivery}}, ""},
		teamUser{identity.User{ID: "ka-off", Name: "Off", Team: "ka", Roles: []identity.Role{identity.RoleSales}}, "ka-boss"},
		teamUser{identity.User{ID: "kb-boss", Name: "Kb Boss", Team: "kb", Roles: []identity.Role{identity.RoleSalesManager}}, ""},
		teamUser{identity.User{ID: "kb-rep", Name: "Kb Rep", Team: "kb", Roles: []identity.Role{identity.RoleSales}}, "kb-boss"})
	// Each test enables its people and disables them when it ends: a sales
	// manager left behind would be an approver of other tests' reviews.
	authExec(t, `UPDATE users SET disabled = (id = 'ka-off') WHERE id LIKE 'ka-%' OR id LIKE 'kb-%'`)
	t.Cleanup(func() { authExec(t, `UPDATE users SET disabled = true WHERE id LIKE 'ka-%' OR id LIKE 'kb-%'`) })
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{{Code: "KA-1", Name: "攻关客户有限公司", SalesOwner: "ka-rep",
		PaymentTerms: dealTestTerms, MinDiscountBP: &dealTestMinDiscount, Source: "manual"}}, nil)
	require.NoError(t, err)
	r := s.do("POST", "/api/v1/deals", "tok-ka-rep", `{"title":"攻关 deal","customer":{"code":"KA-1","name":"攻关客户有限公司"},"owners":{"sales":"ka-rep"}}`)
	require.Equal(t, 201, r.status, r.raw)
	return s, r.body["id"].(string)
}

// keyActivityState is everything key-account activities and follow-ups hold
// for deal id: the rows, in text, and the audit entries.
func (s *stack) keyActivityState(id string) string {
	s.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.DatabaseURL(s.t))
	require.NoError(s.t, err)
	defer conn.Close(ctx)
	var rows string
	require.NoError(s.t, conn.QueryRow(ctx, `SELECT
		(SELECT count(*) || ':' || coalesce(string_agg(k::text, '|' ORDER BY k.id), '') FROM key_account_activities k WHERE k.deal_id = $1)
		|| ' / ' || (SELECT count(*) FROM customer_activities a WHERE a.deal_id = $1)`, id).Scan(&rows))
	n := 0
	for _, a := range []string{"key_activity.plan", "key_activity.support", "key_activity.outcome"} {
		require.NoError(s.t, s.db.AuditEach(ctx, database.AuditFilter{Action: a, Limit: 10000}, func(audit.Entry) error { n++; return nil }))
	}
	return fmt.Sprintf("%s / audit %d", rows, n)
}

// TestKeyAccountActivityPlannedSupportedDone: the rep plans a key-account
// activity on their deal; their manager sees it on My work's list and the
// deal's, and names a supporter, who sees it; the rep records the outcome,
// which is a follow-up of the customer. Each step is audited.
func TestKeyAccountActivityPlannedSupportedDone(t *testing.T) {
	s, dealID := keyAccountWorld(t)
	r := s.do("POST", "/api/v1/key-activities", "tok-ka-rep", `{"deal_id":"`+dealID+`","kind":"tech_exchange","planned_on":"`+future(3)+`",
		"goal":"技术交流：让总工认可方案","support_wanted":"an engineer for the demo"}`)
	require.Equal(t, 201, r.status, r.raw)
	id := int64(r.body["id"].(float64))
	require.Equal(t, future(3), r.body["planned_on"])
	require.Equal(t, fmt.Sprintf("/api/v1/key-activities/%d", id), r.header.Get("Location"))

	// The manager sees it: on their list to support and on the deal's.
	team := s.do("GET", "/api/v1/key-activities", "tok-ka-boss", "")
	require.Equal(t, 200, team.status, team.raw)
	require.Contains(t, team.raw, `"goal":"技术交流：让总工认可方案"`)
	onDeal := s.do("GET", "/api/v1/key-activities?deal_id="+dealID, "tok-ka-boss", "")
	require.Equal(t, 200, onDeal.status, onDeal.raw)
	require.Len(t, onDeal.body["key_activities"], 1)
	// Another team's manager sees neither.
	require.NotContains(t, s.do("GET", "/api/v1/key-activities", "tok-kb-boss", "").raw, dealID)
	require.Equal(t, 404, s.do("GET", "/api/v1/key-activities?deal_id="+dealID, "tok-kb-boss", "").status)

	r = s.do("POST", fmt.Sprintf("/api/v1/key-activities/%d/support", id), "tok-ka-boss", `{"supporter":"ka-sup","note":"bring the test rig"}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "ka-sup", r.body["supporter"])
	require.Equal(t, "ka-boss", r.body["assigned_by"])
	mine := s.do("GET", "/api/v1/key-activities", "tok-ka-sup", "")
	require.Equal(t, 200, mine.status, mine.raw)
	require.Len(t, mine.body["supporting"], 1)
	require.Contains(t, mine.raw, `"support_note":"bring the test rig"`)

	// On My work: the manager's and the supporter's (in English), not
	// another team's manager's.
	boss := section(pagesSession(t, s, "ka-boss").do("GET", "/", "", "").body, "key-activities")
	require.Contains(t, boss, dealID)
	require.Contains(t, boss, "技术交流：让总工认可方案")
	require.Contains(t, boss, "Su Pei")
	sup := pagesSession(t, s, "ka-sup")
	sup.lang = "en-US"
	supWork := section(sup.do("GET", "/", "", "").body, "key-activities")
	require.Contains(t, supWork, "Key-account activities to support")
	require.Contains(t, supWork, "Technical exchange")
	require.Contains(t, supWork, "bring the test rig")
	require.NotContains(t, section(pagesSession(t, s, "kb-boss").do("GET", "/", "", "").body, "key-activities"), dealID)

	r = s.do("POST", fmt.Sprintf("/api/v1/key-activities/%d/outcome", id), "tok-ka-rep", `{"note":"总工同意试用"}`)
	require.Equal(t, 200, r.status, r.raw)
	require.NotEmpty(t, r.body["done_at"])
	// Done: off the lists to support, a follow-up of the customer.
	require.NotContains(t, s.do("GET", "/api/v1/key-activities", "tok-ka-boss", "").raw, `"goal":"技术交流`)
	require.Empty(t, s.do("GET", "/api/v1/key-activities", "tok-ka-sup", "").body["supporting"])
	acts, err := s.db.ActivityList(context.Background(), "KA-1", 10)
	require.NoError(t, err)
	require.Len(t, acts, 1)
	require.Equal(t, "key_account", acts[0].Kind)
	require.Equal(t, dealID, acts[0].DealID)
	require.Equal(t, "总工同意试用", acts[0].Note)
	require.Equal(t, 1, s.auditCount("key_activity.plan", dealID))
	require.Equal(t, 1, s.auditCount("key_activity.support", fmt.Sprint(id)))
	require.Equal(t, 1, s.auditCount("key_activity.outcome", fmt.Sprint(id)))
	// The deal's timeline: planned, supported, done with the outcome.
	timeline := section(pagesSession(t, s, "ka-rep").do("GET", "/deals/"+dealID, "", "").body, "timeline")
	require.Contains(t, timeline, "计划攻关活动：技术交流（"+future(3)+"）")
	require.Contains(t, timeline, "安排攻关支持：Su Pei")
	require.Contains(t, timeline, "攻关活动完成：技术交流")
	require.Contains(t, timeline, "总工同意试用")
	// Once done it changes no more.
	before := s.keyActivityState(dealID)
	require.Equal(t, 409, s.do("POST", fmt.Sprintf("/api/v1/key-activities/%d/outcome", id), "tok-ka-rep", `{"note":"again"}`).status)
	require.Equal(t, 409, s.do("POST", fmt.Sprintf("/api/v1/key-activities/%d/support", id), "tok-ka-boss", `{"supporter":"ka-rep2"}`).status)
	require.Equal(t, before, s.keyActivityState(dealID))
}

// TestKeyAccountActivityControls: a rep planning on someone else's deal,
// a date in the past, an unknown kind, no goal; another team's manager, the
// rep themselves and a teammate assigning support; an unknown or disabled
// supporter; anyone but the owner recording the outcome: each refused, and
// nothing changed.
func TestKeyAccountActivityControls(t *testing.T) {
	s, dealID := keyAccountWorld(t)
	plan := func(token, body string) reply {
		return s.do("POST", "/api/v1/key-activities", token, body)
	}
	before := s.keyActivityState(dealID)
	// Someone else's deal: a teammate rep is told it does not exist, another
	// team's manager too.
	require.Equal(t, 404, plan("tok-ka-rep2", `{"deal_id":"`+dealID+`","kind":"demo","planned_on":"`+future(1)+`","goal":"x"}`).status)
	require.Equal(t, 404, plan("tok-kb-boss", `{"deal_id":"`+dealID+`","kind":"demo","planned_on":"`+future(1)+`","goal":"x"}`).status)
	// A supporter outside sales may not plan.
	require.Equal(t, 403, plan("tok-ka-sup", `{"deal_id":"`+dealID+`","kind":"demo","planned_on":"`+future(1)+`","goal":"x"}`).status)
	// Bad input names every field.
	r := plan("tok-ka-rep", `{"deal_id":"`+dealID+`","kind":"dinner","planned_on":"`+future(-1)+`","goal":" "}`)
	dealRefused(t, r, 422, "kind")
	require.Contains(t, r.raw, `"field":"planned_on"`)
	require.Contains(t, r.raw, `"field":"goal"`)
	dealRefused(t, plan("tok-ka-rep", `{"deal_id":"`+dealID+`","kind":"demo","planned_on":"2026-13-01","goal":"x"}`), 400, "")
	require.Equal(t, before, s.keyActivityState(dealID))

	r = plan("tok-ka-rep", `{"deal_id":"`+dealID+`","kind":"exec_visit","planned_on":"`+today()+`","goal":"高层拜访"}`)
	require.Equal(t, 201, r.status, r.raw)
	support := fmt.Sprintf("/api/v1/key-activities/%d/support", int64(r.body["id"].(float64)))
	outcome := fmt.Sprintf("/api/v1/key-activities/%d/outcome", int64(r.body["id"].(float64)))
	before = s.keyActivityState(dealID)
	require.Equal(t, 404, s.do("POST", support, "tok-kb-boss", `{"supporter":"ka-sup"}`).status)  // another team's manager
	require.Equal(t, 403, s.do("POST", support, "tok-ka-rep", `{"supporter":"ka-sup"}`).status)   // the rep on their own activity
	require.Equal(t, 403, s.do("POST", support, "tok-ka-rep2", `{"supporter":"ka-rep2"}`).status) // a teammate
	require.Equal(t, 403, s.do("POST", support, "tok-ka-sup", `{"supporter":"ka-sup"}`).status)   // the would-be supporter
	dealRefused(t, s.do("POST", support, "tok-ka-boss", `{"supporter":"nobody-here"}`), 422, "supporter")
	dealRefused(t, s.do("POST", support, "tok-ka-boss", `{"supporter":"ka-off"}`), 422, "supporter")
	dealRefused(t, s.do("POST", support, "tok-ka-boss", `{"supporter":""}`), 422, "supporter")
	require.Equal(t, 404, s.do("POST", "/api/v1/key-activities/999999999/support", "tok-ka-boss", `{"supporter":"ka-sup"}`).status)
	// Only the owner records the outcome, with a note.
	require.Equal(t, 403, s.do("POST", outcome, "tok-ka-boss", `{"note":"done"}`).status)
	require.Equal(t, 404, s.do("POST", outcome, "tok-kb-rep", `{"note":"done"}`).status)
	dealRefused(t, s.do("POST", outcome, "tok-ka-rep", `{"note":""}`), 422, "note")
	require.Equal(t, before, s.keyActivityState(dealID))
}
