package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// plan306010JSON is 30% ten days after signing, 60% 30 days after the final
// delivery, 10% retention a year after acceptance, 7.3% a year late.
const plan306010JSON = `{"interest_bp":730,"instalments":[
	{"label":"advance","percent_bp":3000,"trigger":"signing","due":{"kind":"calendar_days","days":10}},
	{"label":"delivery","percent_bp":6000,"trigger":"final_delivery","due":{"kind":"calendar_days","days":30}},
	{"label":"retention","percent_bp":1000,"trigger":"warranty_end","warranty_months":12,"due":{"kind":"calendar_days","days":0}}]}`

// collectionDeal is wang's deal of 100,000.00 signed today with the 30/60/10
// plan, wu its payment owner.
func (s *stack) collectionDeal(title string) string {
	s.t.Helper()
	id := s.open(`{"title":"` + title + `","customer":{"name":"` + title + ` Co"},"owners":{"delivery":"zhou","payment":"wu"}}`)
	return s.dealToOrderWith(id, "100000", `{"action":"set_collection_plan","plan":`+plan306010JSON+`}`)
}

func (s *stack) collectionPlan(id, user string) map[string]any {
	s.t.Helper()
	r := s.do("GET", "/api/v1/deals/"+id+"/collection-plan", "tok-"+user, "")
	require.Equal(s.t, 200, r.status, r.raw)
	return r.body
}

func amounts(view map[string]any) []string {
	var out []string
	for _, in := range view["instalments"].([]any) {
		out = append(out, in.(map[string]any)["amount"].(string))
	}
	return out
}

// TestCollectionSignedPlanChangeGoesThroughFinance: the plan is set before
// signing and fixed by it; a change after is a plan_change case decided by
// finance, which the requester, the seller's manager and an admin cannot
// decide; rejected, nothing changes; approved, the instalments follow.
func TestCollectionSignedPlanChangeGoesThroughFinance(t *testing.T) {
	s := setup(t)
	id := s.collectionDeal("Plan change")
	v := s.collectionPlan(id, "wang")
	require.Equal(t, "signed", v["plan"].(map[string]any)["status"])
	require.Equal(t, []string{"30000.00", "60000.00", "10000.00"}, amounts(v))
	advance := v["instalments"].([]any)[0].(map[string]any)
	require.Equal(t, future(10), advance["due_on"], "due ten days after signing")
	require.Nil(t, v["instalments"].([]any)[2].(map[string]any)["due_on"], "retention has no due date before acceptance")

	// After signing the action is refused: changes go through approval.
	r := s.act(id, "wang", 409, `{"action":"set_collection_plan","plan":`+plan306010JSON+`}`)
	require.Contains(t, r.raw, "collection-plan/changes")

	change := func(user string, status int, plan, reason string) reply {
		t.Helper()
		r := s.do("POST", "/api/v1/deals/"+id+"/collection-plan/changes", "tok-"+user, `{"plan":`+plan+`,"reason":"`+reason+`"}`)
		require.Equal(t, status, r.status, r.raw)
		return r
	}
	plan405010 := strings.Replace(strings.Replace(plan306010JSON, `"percent_bp":3000`, `"percent_bp":4000`, 1),
		`"percent_bp":6000`, `"percent_bp":5000`, 1)
	change("zhou", 403, plan405010, "the delivery team does not sell") // not the sales team
	r = change("wang", 422, strings.Replace(plan306010JSON, `"percent_bp":1000`, `"percent_bp":500`, 1), "short")
	require.Equal(t, "plan.instalments[2]", r.body["errors"].([]any)[0].(map[string]any)["field"], r.raw)
	change("wang", 422, plan405010, "")
	require.Empty(t, s.collectionPlan(id, "wang")["changes"], "refused requests leave nothing")

	r = change("wang", 202, plan405010, "customer asked for a bigger advance")
	caseID := r.body["case_id"].(string)
	require.Equal(t, workflows.PlanChangeCaseID(id, int64(r.body["id"].(float64))), caseID)
	change("wang", 409, plan405010, "again") // one open change per plan
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	require.Equal(t, "plan_change", c["kind"])

	// Nobody but finance decides: not the requester, not his manager, not an admin.
	for _, who := range []string{"wang", "li", "admin"} {
		r := s.do("POST", "/api/v1/approvals/"+caseID+"/decide", "tok-"+who, `{"approve":true}`)
		require.Contains(t, []int{403, 404, 409}, r.status, "%s: %s", who, r.raw)
	}
	s.decide(caseID, "sun", 200, `{"approve":false,"note":"keep the signed terms"}`)
	require.Eventually(t, func() bool {
		ch := s.collectionPlan(id, "wang")["changes"].([]any)
		return len(ch) == 1 && ch[0].(map[string]any)["status"] == "rejected"
	}, 15*time.Second, 50*time.Millisecond)
	v = s.collectionPlan(id, "wang")
	require.Equal(t, []string{"30000.00", "60000.00", "10000.00"}, amounts(v), "rejected: the plan is as signed")
	require.Equal(t, float64(1), v["plan"].(map[string]any)["version"])

	r = change("wang", 202, plan405010, "the customer's board approved the bigger advance")
	caseID = r.body["case_id"].(string)
	changeID := int64(r.body["id"].(float64))
	s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	s.decide(caseID, "sun", 200, `{"approve":true,"note":"ok"}`)
	require.Eventually(t, func() bool {
		return s.collectionPlan(id, "wang")["plan"].(map[string]any)["version"] == float64(2)
	}, 15*time.Second, 50*time.Millisecond)
	v = s.collectionPlan(id, "wang")
	require.Equal(t, []string{"40000.00", "50000.00", "10000.00"}, amounts(v))
	require.Equal(t, future(10), v["instalments"].([]any)[0].(map[string]any)["due_on"], "the signing day still counts")
	audit := s.do("GET", "/api/v1/audit/?object_type=deal&object_id="+id+"&action=collection.plan_changed", "tok-admin", "")
	require.Equal(t, 200, audit.status, audit.raw)
	require.Contains(t, audit.raw, "collection.plan_changed")
	testenv.RecordHistory(t, s.tc, workflows.PlanChangeWorkflowID(changeID), "collection_plan_change.json")
}

// TestCollectionPromisesAndTheDunningRun: a promise is the payment owner's,
// a collector's or finance's to record, never the seller's; the ladder runs
// for finance and admins.
func TestCollectionPromisesAndTheDunningRun(t *testing.T) {
	s := setup(t)
	id := s.collectionDeal("Promises")
	promise := func(user string, status int, body string) reply {
		t.Helper()
		r := s.do("POST", "/api/v1/deals/"+id+"/collection-plan/instalments/1/promises", "tok-"+user, body)
		require.Equal(t, status, r.status, "%s: %s", user, r.raw)
		return r
	}
	ok := `{"promised_on":"` + future(3) + `","amount":"30000.00","note":"CFO called"}`
	promise("wang", 403, ok) // the seller does not collect
	promise("zhou", 403, ok)
	r := promise("wu", 422, `{"promised_on":"2020-01-01","amount":"30000.01"}`)
	require.Len(t, r.body["errors"], 2, r.raw)
	r = s.do("POST", "/api/v1/deals/"+id+"/collection-plan/instalments/9/promises", "tok-wu", ok)
	require.Equal(t, 404, r.status, r.raw)
	require.Empty(t, s.collectionPlan(id, "wu")["promises"], "refused promises leave nothing")
	promise("wu", 201, ok)
	require.Len(t, s.collectionPlan(id, "wu")["promises"], 1)

	r = s.do("POST", "/api/v1/collection/dunning/run", "tok-wang", "")
	require.Equal(t, http.StatusForbidden, r.status, r.raw)
	r = s.do("POST", "/api/v1/collection/dunning/run", "tok-sun", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.GreaterOrEqual(t, r.body["decided"], float64(1), r.raw)
	testenv.RecordHistory(t, s.tc, r.body["run"].(string), "collection_dunning.json")

	r = s.do("GET", "/api/v1/collection/ageing?by=region", "tok-sun", "")
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)
	r = s.do("GET", "/api/v1/collection/forecast?weeks=4", "tok-wang", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Contains(t, r.raw, `"weeks":[{"week":`, "the advances are expected within four weeks")
	r = s.do("GET", "/api/v1/collection/ageing?by=owner", "tok-sun", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
}
