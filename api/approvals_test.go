package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
)

// inContractReview opens a deal and takes it to contract review with the given
// contract fields, returning the deal ID and its approval case ID.
func (s *stack) inContractReview(contract string) (string, string) {
	s.t.Helper()
	id := s.open(`{"title":"Review me","customer":{"name":"Suzhou Parts"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	if !strings.Contains(contract, `"template_id"`) {
		contract += `,"template_id":"TPL-STD"` // on the standard template unless the test says otherwise
	}
	r := s.act(id, "wang", 200, `{"action":"submit_contract",`+contract+`}`)
	caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	require.Equal(s.t, "contract_review."+id+".1", caseID)
	require.Equal(s.t, "approval:"+caseID, r.body["holder"])
	s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	return id, caseID
}

// minDiscountDeal opens a deal titled title for a customer of wang's, code and
// name, whose approved minimum discount is 85%: a quote below it is reviewed.
func (s *stack) minDiscountDeal(code, name, title string) string {
	s.t.Helper()
	_, err := s.db.CustomersUpsert(context.Background(), []database.Customer{{Code: code, Name: name,
		MinDiscountBP: ptr(int64(8500)), SalesOwner: "wang", Source: "manual"}}, nil)
	require.NoError(s.t, err)
	return s.open(fmt.Sprintf(`{"title":%q,"customer":{"code":%q,"name":%q}}`, title, code, name))
}

// waitCase polls the case's recorded chain until ok holds.
func (s *stack) waitCase(id string, ok func(map[string]any) bool) map[string]any {
	s.t.Helper()
	var last reply
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for {
		last, err = s.try("GET", "/api/v1/approvals/"+id, "tok-admin", "")
		if err == nil && last.status == 200 && ok(last.body) {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("case %s never got there: %v %s", id, err, last.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return last.body
}

func (s *stack) decide(caseID, user string, status int, body string) reply {
	s.t.Helper()
	r := s.do("POST", "/api/v1/approvals/"+caseID+"/decide", "tok-"+user, body)
	require.Equal(s.t, status, r.status, "%s by %s: %s", body, user, r.raw)
	return r
}

func holders(c map[string]any) []string {
	var out []string
	for _, h := range c["holders"].([]any) {
		out = append(out, h.(string))
	}
	return out
}

// TestContractReviewRoutedByRules: a big contract on non-standard terms goes to
// a sales manager, then finance, then the requester's manager as GM; the deal
// moves to the order once the case is approved.
func TestContractReviewRoutedByRules(t *testing.T) {
	s := setup(t)
	id, caseID := s.inContractReview(`"contract_no":"HT-9","amount":"1500000","payment_terms":"90 days"`)

	c := s.waitCase(caseID, func(map[string]any) bool { return true })
	var stages []string
	for _, st := range c["route"].([]any) {
		stages = append(stages, st.(map[string]any)["name"].(string))
	}
	require.Equal(t, []string{"sales_manager", "finance", "general_manager"}, stages)
	require.ElementsMatch(t, []string{"he", "li"}, holders(c))

	// The old single decision on the deal now points to the case.
	p := s.act(id, "li", 409, `{"action":"approve_contract"}`)
	require.Contains(t, p.body["detail"], caseID)
	// The requester never approves their own request.
	s.decide(caseID, "wang", 403, `{"approve":true}`)
	inbox := s.do("GET", "/api/v1/approvals/inbox", "tok-li", "")
	require.Contains(t, inbox.raw, `"case_id":"`+caseID+`"`)

	// he, not li: li decides the general manager stage, and four eyes lets
	// a person decide one stage of a case at most.
	s.decide(caseID, "he", 200, `{"approve":true,"note":"ok by me"}`)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Join(holders(c), ",") == "sun" })
	s.decide(caseID, "sun", 200, `{"approve":true}`)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Join(holders(c), ",") == "li" }) // wang's manager
	s.decide(caseID, "li", 200, `{"approve":true}`)
	s.waitCase(caseID, func(c map[string]any) bool { return c["status"] == "approved" })
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)

	// The workflow's own view and the read model agree.
	recorded := s.waitCase(caseID, func(map[string]any) bool { return true })
	live := s.do("GET", "/api/v1/approvals/"+caseID+"/live", "tok-admin", "")
	require.Equal(t, 200, live.status, live.raw)
	for _, k := range []string{"holders", "waiting_hours"} {
		delete(recorded, k)
	}
	require.Equal(t, recorded, live.body)
}

// TestRejectAmendResubmitApprove: a rejected contract goes back to the rep, who
// amends it on the deal; the same case runs a second round.
func TestRejectAmendResubmitApprove(t *testing.T) {
	s := setup(t)
	id, caseID := s.inContractReview(`"contract_no":"HT-10","amount":"5000"`)
	s.decide(caseID, "he", 422, `{"approve":false}`) // a rejection needs a reason
	s.decide(caseID, "he", 200, `{"approve":false,"note":"wrong delivery clause"}`)
	require.Eventually(t, func() bool {
		d := s.get(id)
		return d["contract"].(map[string]any)["review"].(map[string]any)["status"] == "rejected" && d["holder"] == "wang"
	}, 10*time.Second, 20*time.Millisecond)

	s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-10b","amount":"5000","template_id":"TPL-STD"}`)
	c := s.waitCase(caseID, func(c map[string]any) bool { return c["round"] == float64(2) && len(holders(c)) > 0 })
	require.Equal(t, "in_review", c["status"])
	s.decide(caseID, "li", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
	steps := s.waitCase(caseID, func(map[string]any) bool { return true })["steps"].([]any)
	last := steps[len(steps)-1].(map[string]any)
	require.Equal(t, []any{map[string]any{"field": "contract_no", "before": "HT-10", "after": "HT-10b"}}, last["changes"])
}

// TestConcurrentDecisionsOneWins: fifty decisions on one step at once; exactly
// one is accepted and every other gets a clear refusal.
func TestConcurrentDecisionsOneWins(t *testing.T) {
	s := setup(t)
	_, caseID := s.inContractReview(`"contract_no":"HT-11","amount":"5000"`)
	statuses := make([]int, 50)
	details := make([]string, 50)
	testenv.InParallel(len(statuses), len(statuses), func(i int) {
		r, err := send("POST", s.url+"/api/v1/approvals/"+caseID+"/decide", "tok-li", "", strings.NewReader(`{"approve":true}`))
		if err != nil {
			details[i] = err.Error()
			return
		}
		statuses[i], details[i] = r.status, r.header.Get("Content-Type")
	})
	won := 0
	for i, st := range statuses {
		switch st {
		case 200:
			won++
		case 403, 409:
			require.Equal(t, "application/problem+json", details[i])
		default:
			t.Fatalf("decision %d: status %d (%s)", i, st, details[i])
		}
	}
	if won != 1 || t.Failed() {
		if v, err := s.tc.QueryWorkflow(context.Background(), "approval/"+caseID, "", "__stack_trace"); err == nil {
			var st string
			_ = v.Get(&st)
			t.Logf("stack of %s:\n%s", caseID, st)
		} else {
			t.Logf("stack query: %v", err)
		}
		d, err := s.tc.DescribeWorkflowExecution(context.Background(), "approval/"+caseID, "")
		if err == nil {
			t.Logf("pending activities %v, pending WFT %v", d.PendingActivities, d.PendingWorkflowTask)
		}
	}
	require.Equal(t, 1, won, "statuses: %v", statuses)
	c := s.waitCase(caseID, func(c map[string]any) bool { return c["status"] == "approved" })
	approved := 0
	for _, st := range c["steps"].([]any) {
		if st.(map[string]any)["status"] == "approved" {
			approved++
		}
	}
	require.Equal(t, 1, approved)
}

func TestWithdrawAndDelegate(t *testing.T) {
	s := setup(t)
	id, caseID := s.inContractReview(`"contract_no":"HT-12","amount":"5000"`)
	r := s.do("POST", "/api/v1/approvals/"+caseID+"/delegate", "tok-li", `{"to":"ghost"}`)
	require.Equal(t, 422, r.status, r.raw)
	r = s.do("POST", "/api/v1/approvals/"+caseID+"/delegate", "tok-li", `{"to":"sun","note":"on a trip"}`)
	require.Equal(t, 200, r.status, r.raw)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Contains(strings.Join(holders(c), ","), "sun") })
	require.Equal(t, 404, s.do("GET", "/api/v1/approvals/"+caseID, "tok-liu", "").status, "not involved: not shown")
	require.Equal(t, 403, s.do("POST", "/api/v1/approvals/"+caseID+"/withdraw", "tok-li", `{}`).status)
	r = s.do("POST", "/api/v1/approvals/"+caseID+"/withdraw", "tok-wang", `{"note":"customer postponed"}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Eventually(t, func() bool {
		return s.get(id)["contract"].(map[string]any)["review"].(map[string]any)["status"] == "withdrawn"
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, 409, s.do("POST", "/api/v1/approvals/"+caseID+"/decide", "tok-he", `{"approve":true}`).status)
}

func TestRuleEditsAreValidated(t *testing.T) {
	s := setup(t)
	before := s.do("GET", "/api/v1/approval-rules/contract_review", "tok-admin", "")
	require.Equal(t, 200, before.status, before.raw)
	bad := `{"stages":[{"name":"gm","approvers":["role:chief"],"rule":"most","sla_hours":0},{"name":"gm","approvers":[],"rule":"any","sla_hours":8,"when":{}}]}`
	r := s.do("PUT", "/api/v1/approval-rules/contract_review", "tok-admin", bad)
	require.Equal(t, 422, r.status, r.raw)
	for _, f := range []string{"stages[0].approvers[0]", "stages[0].rule", "stages[0].sla_hours", "stages[1].name", "stages[1].approvers", "stages[1].when"} {
		require.Contains(t, r.raw, `"field":"`+f+`"`)
	}
	require.Equal(t, 403, s.do("PUT", "/api/v1/approval-rules/contract_review", "tok-li", `{"stages":[]}`).status)
	after := s.do("GET", "/api/v1/approval-rules/contract_review", "tok-admin", "")
	require.Equal(t, before.body, after.body, "nothing saved")

	preview := s.do("POST", "/api/v1/approvals/preview", "tok-wang", `{"kind":"contract_review","facts":{"amount":"2000000","non_template_contract":true}}`)
	require.Equal(t, 200, preview.status, preview.raw)
	require.Contains(t, preview.raw, `"name":"legal"`)
	require.Contains(t, preview.raw, `"name":"general_manager"`)
}

func TestStuckReportAndStageTimes(t *testing.T) {
	s := setup(t)
	_, caseID := s.inContractReview(`"contract_no":"HT-13","amount":"5000"`)
	r := s.do("GET", "/api/v1/approvals/stuck?kind=contract_review&holder=he", "tok-li", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Contains(t, r.raw, caseID)
	require.Equal(t, 403, s.do("GET", "/api/v1/approvals/stuck", "tok-wang", "").status)
	require.Equal(t, 400, s.do("GET", "/api/v1/approvals/stuck?kind=nope", "tok-li", "").status)
	require.Equal(t, 400, s.do("GET", "/api/v1/approvals/stuck?min_age_hours=-1", "tok-li", "").status)
	r = s.do("GET", "/api/v1/approvals/stuck?min_age_hours=1000", "tok-li", "")
	require.NotContains(t, r.raw, caseID)
	r = s.do("GET", "/api/v1/approvals/stage-times?kind=contract_review", "tok-li", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Contains(t, r.raw, `"stage":"sales_manager"`)
}

// TestQuoteDiscountApproval: a quote below the customer's approved minimum
// discount waits for market management and finance; one within it does not.
func TestQuoteDiscountApproval(t *testing.T) {
	s := setup(t)
	id := s.minDiscountDeal("Q-C1", "Minimum Co.", "Discount")
	quote := `{"action":"submit_quote","lines":[{"sku":"A","quantity":10,"unit_price":"100"}],"valid_until":"` + future(10) + `","discount":%d}`
	r := s.act(id, "wang", 200, fmt.Sprintf(quote, 90))
	require.Equal(t, "open", r.body["quotes"].([]any)[0].(map[string]any)["status"])

	r = s.act(id, "wang", 200, fmt.Sprintf(quote, 80))
	q := r.body["quotes"].([]any)[1].(map[string]any)
	require.Equal(t, "pending_approval", q["status"])
	caseID := q["review"].(map[string]any)["case_id"].(string)
	s.act(id, "wang", 409, `{"action":"accept_quote"}`)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Join(holders(c), ",") == "chen" })
	s.decide(caseID, "chen", 200, `{"approve":true}`)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Join(holders(c), ",") == "sun" })
	s.decide(caseID, "sun", 200, `{"approve":true}`)
	require.Eventually(t, func() bool {
		return s.get(id)["quotes"].([]any)[1].(map[string]any)["status"] == "open"
	}, 10*time.Second, 20*time.Millisecond)
	r = s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	require.Equal(t, "contract_review", r.body["stage"])
}

func ptr[T any](v T) *T { return &v }

// TestAuditTrailRecordsDecisions: decisions and rule edits land in the chained
// trail, which only admins read and which verifies.
func TestAuditTrailRecordsDecisions(t *testing.T) {
	s := setup(t)
	_, caseID := s.inContractReview(`"contract_no":"HT-A","amount":"5000"`)
	s.decide(caseID, "he", 200, `{"approve":true,"note":"audited"}`)
	require.Equal(t, 403, s.do("GET", "/api/v1/audit", "tok-he", "").status)
	r := s.do("GET", "/api/v1/audit?limit=1000", "tok-admin", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Contains(t, r.raw, `"action":"approval.decide","object_type":"approval_case","object_id":"`+caseID+`"`)
	require.Contains(t, r.raw, `"action":"deal.submit_contract"`)
	v := s.do("GET", "/api/v1/audit/verify", "tok-admin", "")
	require.Equal(t, true, v.body["ok"], v.raw)
	csv := s.do("GET", "/api/v1/audit?format=csv", "tok-admin", "")
	require.Equal(t, 200, csv.status)
	require.Contains(t, csv.raw, "seq,at,actor,action,object_type,object_id,detail,mac\n")
	require.Contains(t, csv.raw, caseID)
}

// TestRuleEditorCannotApproveUnderTheirRules: the admin who just saved the
// contract-review rules is not a legal reviewer under them; the case goes to
// the requester's manager instead.
func TestRuleEditorCannotApproveUnderTheirRules(t *testing.T) {
	s := setup(t)
	current := s.do("GET", "/api/v1/approval-rules/contract_review", "tok-admin", "")
	require.Equal(t, 200, current.status)
	body := strings.Replace(current.raw, `"version":`, `"previous_version":`, 1)
	body = `{"stages":` + body[strings.Index(body, `"stages":`)+len(`"stages":`):strings.LastIndex(body, "}")] + "}"
	r := s.do("PUT", "/api/v1/approval-rules/contract_review", "tok-admin", body)
	require.Equal(t, 200, r.status, r.raw)

	_, caseID := s.inContractReview(`"contract_no":"HT-SOD","amount":"5000","template_id":""`)
	s.decide(caseID, "he", 200, `{"approve":true}`)
	c := s.waitCase(caseID, func(c map[string]any) bool { return c["current"] == float64(1) && len(holders(c)) > 0 })
	require.Equal(t, "legal", c["route"].([]any)[1].(map[string]any)["name"])
	require.Equal(t, []string{"li"}, holders(c), "not admin, who edited the rules")
}

// TestAPITokens: a scoped token works until it is revoked or expires; a stolen
// token is useless once revoked; a read token cannot write.
func TestAPITokens(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "wang", "wang's long passphrase") // making a token asks for it
	r := s.do("POST", "/api/v1/tokens", "tok-wang", `{"name":"nightly export","scopes":["read","write"],"expires_in_days":30,"password":"wang's long passphrase"}`)
	require.Equal(t, 201, r.status, r.raw)
	stolen := r.body["token"].(string)
	id := fmt.Sprintf("%.0f", r.body["id"].(float64))
	require.Equal(t, 200, s.do("GET", "/api/v1/me", stolen, "").status)
	require.Equal(t, 201, s.do("POST", "/api/v1/deals", stolen, s.dealKnownCustomer(`{"title":"via token","customer":{"name":"T"}}`, "wang")).status)
	list := s.do("GET", "/api/v1/tokens", "tok-wang", "")
	require.NotContains(t, list.raw, stolen, "the secret is shown once, never listed")
	require.Equal(t, 404, s.do("DELETE", "/api/v1/tokens/"+id, "tok-liu", "").status, "not liu's token")
	require.Equal(t, 204, s.do("DELETE", "/api/v1/tokens/"+id, "tok-wang", "").status)
	after := s.do("GET", "/api/v1/me", stolen, "")
	require.Equal(t, 401, after.status, "a revoked token is refused")
	require.Contains(t, after.raw, "revoked")

	r = s.do("POST", "/api/v1/tokens", "tok-wang", `{"name":"dashboard","scopes":["read"],"expires_in_days":1,"password":"wang's long passphrase"}`)
	require.Equal(t, 201, r.status, r.raw)
	reader := r.body["token"].(string)
	require.Equal(t, 200, s.do("GET", "/api/v1/deals", reader, "").status)
	require.Equal(t, 403, s.do("POST", "/api/v1/deals", reader, `{"title":"x","customer":{"name":"T"}}`).status)

	bad := s.do("POST", "/api/v1/tokens", "tok-wang", `{"name":"","scopes":["admin"],"expires_in_days":9999}`)
	require.Equal(t, 422, bad.status)
	for _, f := range []string{"name", "scopes[0]", "expires_in_days"} {
		require.Contains(t, bad.raw, `"field":"`+f+`"`)
	}
	// An expired token is refused like a revoked one.
	_, err := s.db.TokenCreate(context.Background(), "wang", "old", []string{"read"}, "expired-secret", time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Equal(t, 401, s.do("GET", "/api/v1/me", "expired-secret", "").status)
}
