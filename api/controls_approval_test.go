package api_test

// Attack tests for the approval engine's controls (issue 10, items 2, 3, 4, 5,
// 8, 9 and 16): each tries to get around a control and checks both that it
// was refused and that nothing changed.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// apprUser upserts a test user of this stream and restores them when the test ends.
func apprUser(t *testing.T, s *stack, u identity.User, manager string) {
	t.Helper()
	require.NoError(t, s.db.UserUpsert(context.Background(), u, manager, "tok-"+u.ID))
}

// apprRestoreStaff puts a shared test user back as setup made them.
func apprRestoreStaff(t *testing.T, s *stack, id string) {
	t.Cleanup(func() {
		for _, u := range staff {
			if u.ID == id {
				require.NoError(t, s.db.UserUpsert(context.Background(), u, managers[id], ""))
			}
		}
	})
}

// apprSteps is the case's steps, to compare before and after a refused request.
func apprSteps(c map[string]any) []any { return c["steps"].([]any) }

func apprCount(t *testing.T, s *stack, table string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, s.db.CountRows(context.Background(), table, &n))
	return n
}

func apprStages(c map[string]any) []string {
	var out []string
	for _, st := range c["route"].([]any) {
		out = append(out, st.(map[string]any)["name"].(string))
	}
	return out
}

// apprReviewStatus is the deal's contract review status.
func apprReviewStatus(s *stack, id string) string {
	return s.get(id)["contract"].(map[string]any)["review"].(map[string]any)["status"].(string)
}

// Item 2: finance rejected a contract on NT180 terms; the rep resubmits it
// unchanged but declares nonstandard_terms false. Finance drops out of the
// route by the new facts, yet it rejected: it must decide again, and the case
// is not approved without it.
func TestApprovalControlRejectionNotUndoneByAFlag(t *testing.T) {
	s := setup(t)
	contract := `"contract_no":"HT-NT180","amount":"5000","payment_terms":"NT180"`
	// NT180 differs from the customer's approved terms (dealTestTerms), so l2c
	// itself routes the contract to finance; the requester declares nothing.
	id, caseID := s.inContractReview(contract)
	c := s.waitCase(caseID, func(map[string]any) bool { return true })
	require.Equal(t, []string{"sales_manager", "finance"}, apprStages(c))
	s.decide(caseID, "li", 200, `{"approve":true}`)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Join(holders(c), ",") == "sun" })
	s.decide(caseID, "sun", 200, `{"approve":false,"note":"NT180 is not acceptable"}`)
	require.Eventually(t, func() bool { return apprReviewStatus(s, id) == "rejected" }, 10*time.Second, 20*time.Millisecond)

	// The flag that once dropped finance from the route cannot be sent any more...
	before := s.get(id)
	flagged := s.act(id, "wang", 400, `{"action":"submit_contract",`+contract+`,"template_id":"TPL-STD","nonstandard_terms":false}`)
	require.Contains(t, flagged.raw, "nonstandard_terms")
	require.Equal(t, before, s.get(id), "a refused resubmission changes nothing")
	// ...and resubmitted unchanged, finance (which rejected) must decide again.
	s.act(id, "wang", 200, `{"action":"submit_contract",`+contract+`,"template_id":"TPL-STD"}`)
	c = s.waitCase(caseID, func(c map[string]any) bool {
		return c["round"] == float64(2) && (len(holders(c)) > 0 || c["status"] != "in_review")
	})
	require.Equal(t, "in_review", c["status"], "not approved without a new finance decision: %v", c)
	require.Equal(t, []string{"sales_manager", "finance"}, apprStages(c), "the stage that rejected stays in the route")
	require.Equal(t, []string{"sun"}, holders(c), "finance decides again")
	time.Sleep(300 * time.Millisecond) // anything still in flight would show now
	require.Equal(t, "contract_review", s.get(id)["stage"])
	require.Equal(t, "in_review", apprReviewStatus(s, id))

	s.decide(caseID, "sun", 200, `{"approve":true,"note":"agreed with the customer"}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
	testenv.RecordHistory(t, s.tc, workflows.ApprovalWorkflowID(caseID), "approval_controls_rejected_again.json")
}

// Item 3: for 1,000,000 or more, li approves the sales manager stage and then,
// as wang's manager, would approve the general manager stage: one person, two
// stages. Four eyes sends the second stage up to li's own manager instead.
func TestApprovalControlFourEyes(t *testing.T) {
	s := setup(t)
	rules := s.do("GET", "/api/v1/approval-rules/contract_review", "tok-li", "")
	require.Equal(t, 200, rules.status, rules.raw)
	require.Equal(t, true, rules.body["distinct_approvers"], "four eyes is on by default and shown: %s", rules.raw)
	bad := s.do("PUT", "/api/v1/approval-rules/contract_review", "tok-admin", `{"stages":[],"distinct_approvers":"yes"}`)
	require.Equal(t, 400, bad.status, bad.raw)
	require.Contains(t, bad.raw, `distinct_approvers`)

	apprUser(t, s, identity.User{ID: "appr-gm", Name: "General Manager", Roles: []identity.Role{identity.RoleSales}}, "")
	apprRestoreStaff(t, s, "li")
	apprUser(t, s, staff[2], "appr-gm") // li reports to appr-gm

	id, caseID := s.inContractReview(`"contract_no":"HT-4EYES","amount":"1500000"`)
	c := s.waitCase(caseID, func(map[string]any) bool { return true })
	require.Equal(t, []string{"sales_manager", "general_manager"}, apprStages(c))
	s.decide(caseID, "li", 200, `{"approve":true}`)
	c = s.waitCase(caseID, func(c map[string]any) bool { return c["current"] == float64(1) && len(holders(c)) > 0 })
	require.Equal(t, []string{"appr-gm"}, holders(c), "not li again, who decided the sales manager stage")

	before := apprSteps(c)
	p := s.decide(caseID, "li", 403, `{"approve":true,"note":"as wang's manager"}`)
	require.Contains(t, p.body["detail"], "li")
	time.Sleep(200 * time.Millisecond)
	c = s.waitCase(caseID, func(map[string]any) bool { return true })
	require.Equal(t, before, apprSteps(c), "nothing changed")
	require.Equal(t, "in_review", c["status"])
	require.Equal(t, "contract_review", s.get(id)["stage"])

	s.decide(caseID, "appr-gm", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
	testenv.RecordHistory(t, s.tc, workflows.ApprovalWorkflowID(caseID), "approval_controls_four_eyes.json")
}

// Item 4: li opens a deal as its sales owner, his assistant zhao submits the
// contract, and li would approve it. The people the deal names are never its
// approvers: the step goes to someone else and li's decision is refused.
func TestApprovalControlOwnDealThroughAnAssistant(t *testing.T) {
	s := setup(t)
	apprRestoreStaff(t, s, "li")
	apprRestoreStaff(t, s, "zhao")
	li, zhao := staff[2], staff[9]
	li.Team, zhao.Team = "appr-east", "appr-east"
	apprUser(t, s, li, "")
	apprUser(t, s, zhao, "")

	r := s.do("POST", "/api/v1/deals", "tok-li", s.dealKnownCustomer(`{"title":"Li's own","customer":{"name":"Own Co."},"owners":{"sales":"li"}}`, "li"))
	require.Equal(t, 201, r.status, r.raw)
	id := r.body["id"].(string)
	s.act(id, "zhao", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "zhao", 200, `{"action":"accept_quote"}`)
	r = s.act(id, "zhao", 200, `{"action":"submit_contract","contract_no":"HT-OWN","amount":"100","template_id":"TPL-STD"}`)
	caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(holders(c)) > 0 })
	require.Equal(t, "zhao", c["requester"])
	require.NotContains(t, holders(c), "li", "the sales owner is not an approver of his own deal")
	require.Equal(t, []string{"he"}, holders(c))

	before := apprSteps(c)
	p := s.decide(caseID, "li", 403, `{"approve":true}`)
	require.NotEmpty(t, p.body["detail"])
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, before, apprSteps(s.waitCase(caseID, func(map[string]any) bool { return true })), "nothing changed")
	require.Equal(t, "contract_review", s.do("GET", "/api/v1/deals/"+id, "tok-li", "").body["stage"])
}

// Item 5: delegations. An admin cannot make himself anyone's delegate; a
// delegate passes the same exclusions as an approver, when steps are routed
// and when deciding; creating and ending a delegation is audited.
func TestApprovalControlDelegations(t *testing.T) {
	s := setup(t)
	window := fmt.Sprintf(`"starts_at":"%s","ends_at":"%s"`, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339))

	// A token's first use is on the record: warm admin's up before counting.
	require.Equal(t, 200, s.do("GET", "/api/v1/me", "tok-admin", "").status)
	// An admin delegates li's reviews to himself: refused, no row, no entry.
	rows, entries := apprCount(t, s, "delegations"), apprCount(t, s, "audit_log")
	r := s.do("POST", "/api/v1/delegations", "tok-admin", `{"user":"li","delegate":"admin",`+window+`}`)
	require.Equal(t, 403, r.status, r.raw)
	require.Contains(t, r.raw, `"field":"user"`)
	require.Equal(t, rows, apprCount(t, s, "delegations"), "no delegation row")
	require.Equal(t, entries, apprCount(t, s, "audit_log"), "nothing recorded")
	// Nor may a colleague who is not their manager; the manager may.
	require.Equal(t, 403, s.do("POST", "/api/v1/delegations", "tok-he", `{"user":"wang","delegate":"liu",`+window+`}`).status)
	r = s.do("POST", "/api/v1/delegations", "tok-li", `{"user":"wang","delegate":"liu",`+window+`}`)
	require.Equal(t, 201, r.status, r.raw)
	byManager := fmt.Sprintf("%.0f", r.body["id"].(float64))
	require.Equal(t, 200, s.do("DELETE", "/api/v1/delegations/"+byManager, "tok-li", "").status)

	// li is away and delegates to liu, the discoverer of wang's next deal.
	r = s.do("POST", "/api/v1/delegations", "tok-li", `{"delegate":"liu","reason":"trade fair",`+window+`}`)
	require.Equal(t, 201, r.status, r.raw)
	delegation := fmt.Sprintf("%.0f", r.body["id"].(float64))
	ended := false
	end := func() {
		if !ended {
			ended = true
			r := s.do("DELETE", "/api/v1/delegations/"+delegation, "tok-li", "")
			require.Equal(t, 200, r.status, r.raw)
		}
	}
	t.Cleanup(end)

	id := s.open(`{"title":"Found by liu","customer":{"name":"Suzhou Parts"},"owners":{"discoverer":"liu"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	r = s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-DELEG","amount":"100"}`)
	caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(holders(c)) > 0 })
	require.NotContains(t, holders(c), "liu", "the discoverer is not routed li's step as his delegate")
	require.ElementsMatch(t, []string{"he", "li"}, holders(c))

	before := apprSteps(c)
	p := s.decide(caseID, "liu", 403, `{"approve":true,"on_behalf_of":"li"}`)
	require.Contains(t, p.body["detail"], "liu")
	// wang, the requester, made li's delegate, cannot decide his own case either.
	r = s.do("POST", "/api/v1/delegations", "tok-li", `{"delegate":"wang",`+window+`}`)
	require.Equal(t, 201, r.status, r.raw)
	toWang := fmt.Sprintf("%.0f", r.body["id"].(float64))
	p = s.decide(caseID, "wang", 403, `{"approve":true,"on_behalf_of":"li"}`)
	require.Contains(t, p.body["detail"], "requested this review")
	require.Equal(t, 200, s.do("DELETE", "/api/v1/delegations/"+toWang, "tok-wang", "").status, "the delegate hands it back")
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, before, apprSteps(s.waitCase(caseID, func(map[string]any) bool { return true })), "nothing changed")
	require.Equal(t, "contract_review", s.get(id)["stage"])

	// Creating and ending are on the record, once each.
	end()
	require.Equal(t, 409, s.do("DELETE", "/api/v1/delegations/"+delegation, "tok-li", "").status, "already ended")
	require.Equal(t, 404, s.do("DELETE", "/api/v1/delegations/"+delegation, "tok-he", "").status, "not his")
	log := s.do("GET", "/api/v1/audit?object_type=delegation&object_id="+delegation, "tok-admin", "")
	require.Equal(t, 200, log.status, log.raw)
	var actions []string
	for _, e := range log.body["entries"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	require.Equal(t, []string{"delegation.add", "delegation.end"}, actions)
}

// Item 8: he, a sales manager who is neither wang's manager nor involved in
// the case, gets 404 for a review on wang's deal, and the stuck report he
// reads does not hold it; li, wang's manager, sees both.
func TestApprovalControlCaseVisibility(t *testing.T) {
	s := setup(t)
	id := s.minDiscountDeal("APPR-C1", "Visible Co.", "Seen by few")
	r := s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":10,"unit_price":"100"}],"valid_until":"`+future(10)+`","discount":80}`)
	caseID := r.body["quotes"].([]any)[0].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Join(holders(c), ",") == "chen" })

	for _, path := range []string{"", "/live"} {
		got := s.do("GET", "/api/v1/approvals/"+caseID+path, "tok-he", "")
		require.Equal(t, 404, got.status, path+": "+got.raw)
		require.NotContains(t, got.raw, "Seen by few")
	}
	require.Equal(t, 404, s.do("POST", "/api/v1/approvals/"+caseID+"/comments", "tok-he", `{"text":"hm"}`).status)
	stuck := s.do("GET", "/api/v1/approvals/stuck?limit=1000", "tok-he", "")
	require.Equal(t, 200, stuck.status, stuck.raw)
	require.NotContains(t, stuck.raw, caseID)
	require.NotContains(t, stuck.raw, id)

	require.Equal(t, 200, s.do("GET", "/api/v1/approvals/"+caseID, "tok-li", "").status, "wang's manager sees it")
	require.Contains(t, s.do("GET", "/api/v1/approvals/stuck?limit=1000", "tok-li", "").raw, caseID)
	require.Contains(t, s.do("GET", "/api/v1/approvals/stuck?limit=1000", "tok-sun", "").raw, caseID, "finance sees every deal")
	require.Equal(t, 200, s.do("GET", "/api/v1/approvals/"+caseID, "tok-wang", "").status, "the requester")
	require.Equal(t, 200, s.do("GET", "/api/v1/approvals/"+caseID, "tok-chen", "").status, "the holder")
}

// Item 16 (news): "approved" news for a deal's case, signalled straight to
// the deal through Temporal, does not move it: the deal checks the case's own
// record, refuses the news and the refusal is on the audit trail.
func TestApprovalControlForgedReviewNews(t *testing.T) {
	s := setup(t)
	id, caseID := s.inContractReview(`"contract_no":"HT-FORGED","amount":"100"`)
	before := s.get(id)
	err := s.tc.SignalWorkflow(context.Background(), workflows.DealWorkflowID(id), "", workflows.ReviewSignal,
		workflows.ReviewNews{CaseID: caseID, Kind: approval.KindContractReview, Status: approval.StatusApproved, Round: 1, By: "li"})
	require.NoError(t, err)
	var refused reply
	require.Eventually(t, func() bool {
		refused = s.do("GET", "/api/v1/audit?action=review.news_refused&object_id="+caseID, "tok-admin", "")
		return refused.status == 200 && len(refused.body["entries"].([]any)) == 1
	}, 10*time.Second, 50*time.Millisecond, "the refusal is recorded")
	require.Contains(t, refused.raw, `deal/`+id)
	require.Equal(t, before, s.get(id), "the deal did not move")
	require.Equal(t, "in_review", s.waitCase(caseID, func(map[string]any) bool { return true })["status"])

	// The case's own decision still goes through.
	s.decide(caseID, "he", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
	testenv.RecordHistory(t, s.tc, workflows.DealWorkflowID(id), "deal_controls_forged_news.json")
}

// Item 16 (Updates): an Update sent to Temporal directly, in someone else's
// name, is refused by the workflow's validator ("unauthenticated update"),
// unsigned or with a made-up signature, and nothing changes; the same action
// through the API, which signs it, goes through.
func TestApprovalControlForgedUpdates(t *testing.T) {
	s := setup(t)
	id, caseID := s.inContractReview(`"contract_no":"HT-FORGE-UPD","amount":"100"`)
	before, beforeCase := s.get(id), s.waitCase(caseID, func(map[string]any) bool { return true })
	li := staff[2]
	for _, sig := range [][]byte{nil, []byte("made up")} {
		send := func(wid, name string, arg any) error {
			h, err := s.tc.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: wid, UpdateName: name,
				Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
			if err != nil {
				return err
			}
			return h.Get(context.Background(), nil)
		}
		err := send(workflows.ApprovalWorkflowID(caseID), workflows.ApprovalDecideUpdate,
			workflows.DecideInput{Actor: li, Approve: true, Note: "forged", Sig: sig})
		require.ErrorContains(t, err, "unauthenticated update")
		err = send(workflows.DealWorkflowID(id), workflows.DealActUpdate,
			workflows.ActInput{Actor: staff[0], Action: deal.Action{Name: deal.ActMarkLost, Reason: "forged"}, Sig: sig})
		require.ErrorContains(t, err, "unauthenticated update")
	}
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, before, s.get(id), "the deal is unchanged")
	require.Equal(t, apprSteps(beforeCase), apprSteps(s.waitCase(caseID, func(map[string]any) bool { return true })), "so is the case")

	s.decide(caseID, "li", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
}

// Item 5 (separation of duties): admin, who has just saved the contract
// review rules, is made li's out-of-office delegate by li himself. The step
// is not routed to him, and he cannot decide it on li's behalf either.
func TestApprovalControlDelegateInRuleEditWindow(t *testing.T) {
	s := setup(t)
	current := s.do("GET", "/api/v1/approval-rules/contract_review", "tok-admin", "")
	require.Equal(t, 200, current.status)
	body := `{"stages":` + current.raw[strings.Index(current.raw, `"stages":`)+len(`"stages":`):strings.LastIndex(current.raw, "}")] + "}"
	r := s.do("PUT", "/api/v1/approval-rules/contract_review", "tok-admin", body)
	require.Equal(t, 200, r.status, r.raw)
	edits := s.do("GET", "/api/v1/audit?action=approval_rules.save&object_id=contract_review", "tok-admin", "")
	require.Contains(t, edits.raw, fmt.Sprintf(`"version":%.0f`, r.body["version"].(float64)), "the edit is on the record with its version")

	window := fmt.Sprintf(`"starts_at":"%s","ends_at":"%s"`, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339))
	r = s.do("POST", "/api/v1/delegations", "tok-li", `{"delegate":"admin",`+window+`}`)
	require.Equal(t, 201, r.status, r.raw)
	delegation := fmt.Sprintf("%.0f", r.body["id"].(float64))
	t.Cleanup(func() { s.do("DELETE", "/api/v1/delegations/"+delegation, "tok-li", "") })

	id, caseID := s.inContractReview(`"contract_no":"HT-SOD-DELEG","amount":"100"`)
	c := s.waitCase(caseID, func(map[string]any) bool { return true })
	require.ElementsMatch(t, []string{"he", "li"}, holders(c), "not routed to admin, who edited the rules")
	before := apprSteps(c)
	p := s.decide(caseID, "admin", 403, `{"approve":true,"on_behalf_of":"li"}`)
	require.Contains(t, p.body["detail"], "rules")
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, before, apprSteps(s.waitCase(caseID, func(map[string]any) bool { return true })), "nothing changed")
	require.Equal(t, "contract_review", s.get(id)["stage"])
	// li's own decision is the first on the case's trail: the refused one left none.
	s.decide(caseID, "li", 200, `{"approve":true}`)
	trail := s.do("GET", "/api/v1/audit?object_id="+caseID, "tok-admin", "")
	require.Equal(t, 200, trail.status, trail.raw)
	require.Contains(t, trail.raw, `"actor":"li"`, "the trail of the case is read")
	require.NotContains(t, trail.raw, `"actor":"admin"`, "the refused decision left no entry on the trail")
	testenv.RecordHistory(t, s.tc, workflows.ApprovalWorkflowID(caseID), "approval_controls_v2_bar_in_save.json")
}

// Item 8 (terms changes): a terms-change case is seen by whoever may see the
// customer: wang's manager li, finance; not he.
func TestApprovalControlTermsCaseVisibility(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	erpNow, err := s.erp.Customer(ctx, "C1002")
	require.NoError(t, err)
	_, err = s.db.CustomersUpsert(ctx, []database.Customer{{Code: "C1002", Name: erpNow.Name, PaymentTerms: erpNow.PaymentTerms,
		MinDiscountBP: erpNow.MinDiscountBP, CreditLimit: erpNow.CreditLimit, SalesOwner: "wang", Source: "erp",
		ERPETag: erpNow.ETag}}, nil)
	require.NoError(t, err)
	r := s.do("POST", "/api/v1/customers/C1002/terms-changes", "tok-wang", `{"payment_terms":"NT90","reason":"appr visibility"}`)
	require.Equal(t, 202, r.status, r.raw)
	caseID := r.body["case_id"].(string)
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(holders(c)) > 0 })
	require.Equal(t, []any{"wang"}, c["excluded"], "the customer's sales owner is excluded from its approvers")

	require.Equal(t, 404, s.do("GET", "/api/v1/approvals/"+caseID, "tok-he", "").status)
	require.NotContains(t, s.do("GET", "/api/v1/approvals/stuck?limit=1000", "tok-he", "").raw, caseID)
	require.Equal(t, 200, s.do("GET", "/api/v1/approvals/"+caseID, "tok-li", "").status)
	require.Contains(t, s.do("GET", "/api/v1/approvals/stuck?limit=1000", "tok-sun", "").raw, caseID)
	w := s.do("POST", "/api/v1/approvals/"+caseID+"/withdraw", "tok-wang", `{"note":"done testing"}`)
	require.Equal(t, 200, w.status, w.raw)
}

// Item 3, when nobody is left: li decided the sales manager stage and has no
// manager, so nobody may decide the general manager stage. li's decision is
// kept (200, not a 500), the case fails visibly and the deal's review is
// withdrawn with the reason, for the owner to fix and ask again; li never
// decides the second stage.
func TestApprovalControlFourEyesNobodyLeft(t *testing.T) {
	s := setup(t)
	id, caseID := s.inContractReview(`"contract_no":"HT-4EYES-NONE","amount":"1500000"`)
	s.decide(caseID, "li", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return apprReviewStatus(s, id) == "withdrawn" }, 10*time.Second, 20*time.Millisecond)
	review := s.get(id)["contract"].(map[string]any)["review"].(map[string]any)
	require.Contains(t, review["note"], "no manager above wang is eligible")
	c := s.waitCase(caseID, func(map[string]any) bool { return true })
	for _, st := range apprSteps(c) {
		step := st.(map[string]any)
		if step["stage"] == "general_manager" {
			t.Fatalf("a general manager step was opened: %v", step)
		}
	}
	require.Equal(t, "contract_review", s.get(id)["stage"])
}

// apprCaptured reads a workflow's history as anyone who reaches Temporal can
// and returns the last accepted Update named name: its ID and its input,
// decoded into in (signature included).
func apprCaptured(t *testing.T, s *stack, wid, name string, in any) string {
	t.Helper()
	it := s.tc.GetWorkflowHistory(context.Background(), wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var id string
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes()
		if a == nil || a.GetAcceptedRequest().GetInput().GetName() != name {
			continue
		}
		id = a.GetAcceptedRequest().GetMeta().GetUpdateId()
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(a.GetAcceptedRequest().GetInput().GetArgs(), in))
	}
	require.NotEmpty(t, id, "no %s in %s's history", name, wid)
	return id
}

// apprDoKey is stack.do with an Idempotency-Key.
func apprDoKey(t *testing.T, s *stack, method, path, token, key, body string) reply {
	t.Helper()
	return mustSend(t, method, s.url+path, token, "application/json", strings.NewReader(body), "Idempotency-Key", key)
}

// apprSend sends an Update to Temporal directly, under updateID.
func apprSend(s *stack, wid, updateID, name string, arg any) error {
	h, err := s.tc.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: wid, UpdateID: updateID,
		UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	return h.Get(context.Background(), nil)
}

// Replay of a signed Update: a quote wang sent and a comment li made, read
// from the workflows' histories with their signatures, are sent again under
// new Update IDs. The signature covers the Update ID the API chose, so both
// are refused ("unauthenticated update") and nothing changes; sent again
// under their own IDs, Temporal answers with the first outcome and acts not
// again.
func TestApprovalControlReplayedUpdate(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"Replay me","customer":{"name":"Suzhou Parts"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	before := s.get(id)
	var act workflows.ActInput
	actID := apprCaptured(t, s, workflows.DealWorkflowID(id), workflows.DealActUpdate, &act)
	require.NotEmpty(t, act.Sig, "the API signed it")
	require.Equal(t, deal.ActSubmitQuote, act.Action.Name)

	err := apprSend(s, workflows.DealWorkflowID(id), "replayed-"+actID, workflows.DealActUpdate, act)
	require.ErrorContains(t, err, "unauthenticated update", "a captured quote under a new Update ID")
	require.NoError(t, apprSend(s, workflows.DealWorkflowID(id), actID, workflows.DealActUpdate, act), "its own ID: the first outcome")
	time.Sleep(200 * time.Millisecond)
	after := s.get(id)
	require.Equal(t, before, after, "the deal is unchanged")
	require.Len(t, after["quotes"], 1, "no second quote")

	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	r := s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-REPLAY","amount":"100","template_id":"TPL-STD"}`)
	caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(caseID, func(c map[string]any) bool { return len(holders(c)) > 0 })
	// li's client sends the comment twice with one Idempotency-Key: one comment.
	for range 2 {
		c := apprDoKey(t, s, "POST", "/api/v1/approvals/"+caseID+"/comments", "tok-li", "appr-replay-comment", `{"text":"looks fine"}`)
		require.Equal(t, 200, c.status, c.raw)
	}
	beforeCase := s.waitCase(caseID, func(map[string]any) bool { return true })
	require.Len(t, beforeCase["comments"], 1)
	var comment workflows.CommentInput
	commentID := apprCaptured(t, s, workflows.ApprovalWorkflowID(caseID), workflows.ApprovalCommentUpdate, &comment)
	require.Equal(t, "looks fine", comment.Text)
	require.Equal(t, "appr-replay-comment", commentID, "the Idempotency-Key is the Update ID")

	err = apprSend(s, workflows.ApprovalWorkflowID(caseID), "replayed-"+commentID, workflows.ApprovalCommentUpdate, comment)
	require.ErrorContains(t, err, "unauthenticated update", "a captured comment under a new Update ID")
	require.NoError(t, apprSend(s, workflows.ApprovalWorkflowID(caseID), commentID, workflows.ApprovalCommentUpdate, comment))
	time.Sleep(200 * time.Millisecond)
	afterCase := s.waitCase(caseID, func(map[string]any) bool { return true })
	require.Equal(t, beforeCase["comments"], afterCase["comments"], "li commented once")
	require.Equal(t, apprSteps(beforeCase), apprSteps(afterCase))

	// Through the API, without an Idempotency-Key, it still works.
	s.decide(caseID, "li", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
}

// apprInPaymentCollection takes a deal on a customer of the ERP simulator
// through contract review, an order the ERP holds and its final shipment to
// payment collection, with a contract of 100.00; it returns the deal's ID and
// the ERP's number of its sales order.
func apprInPaymentCollection(t *testing.T, s *stack, name string) (string, string) {
	t.Helper()
	customer := s.dealERPCustomer(name)
	so := s.dealERPOrder(customer)
	id := s.open(`{"title":"` + name + `","customer":{"code":"` + customer + `"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	r := s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-`+id+`","amount":"100","template_id":"TPL-STD"}`)
	caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(caseID, func(c map[string]any) bool { return len(holders(c)) > 0 })
	s.decide(caseID, "li", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
	s.act(id, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	s.act(id, "wang", 200, `{"action":"place_order","kind":"stock","delivery_due":"`+future(14)+`","erp_order_no":"`+so+`"}`)
	s.act(id, "zhou", 200, `{"action":"record_shipment","shipment_no":"S-`+so+`","shipped_on":"`+today()+`","final":true}`)
	require.Equal(t, "payment_collection", s.get(id)["stage"])
	return id, so
}

// apprERPRefusals is the deal's deal.erp_record_refused entries.
func apprERPRefusals(s *stack, id string) []any {
	r := s.do("GET", "/api/v1/audit?action=deal.erp_record_refused&object_id="+id, "tok-admin", "")
	if r.status != 200 {
		return nil
	}
	entries, _ := r.body["entries"].([]any)
	return entries
}

// ERP records signalled to a deal straight through Temporal: a payment the
// ERP never sent that would pay the deal in full, an invoice nobody issued,
// and a real payment with its amount raised. The deal checks each against
// l2c's copy of the ERP's data and refuses all three, on the audit trail
// (actor system), and nothing changes: not its stage, not what is paid, not
// its history. The real payment as the ERP holds it is then recorded and
// closes the deal.
func TestApprovalControlFakeERPRecords(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	id, so := apprInPaymentCollection(t, s, "Appr ERP Records Co")
	wid := workflows.DealWorkflowID(id)
	day := func(v string) time.Time { d, _ := time.Parse(time.DateOnly, v); return d }
	_, err := s.db.InvoicesUpsert(ctx, []database.ERPInvoice{{Number: "INV-APPR-ERP", CustomerCode: "C1", SalesOrder: so,
		Amount: 10000, Currency: "CNY", IssuedOn: day("2026-11-02"), DueOn: day("2026-12-02"), ERPChangedAt: time.Now()}}, nil)
	require.NoError(t, err)
	_, err = s.db.PaymentsUpsert(ctx, []database.ERPPayment{{Reference: "PAY-APPR-ERP", InvoiceNo: "INV-APPR-ERP", CustomerCode: "C1",
		Amount: 4000, Currency: "CNY", ReceivedOn: day("2026-11-20"), ERPChangedAt: time.Now()}}, nil)
	require.NoError(t, err)
	before := s.get(id)

	fakes := []workflows.ERPRecord{
		{Payment: &deal.Payment{Reference: "PAY-FAKE", Amount: 10000, ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 20}, InvoiceNo: "INV-APPR-ERP"}},
		{Invoice: &deal.Invoice{Number: "INV-FAKE", Amount: 10000, IssuedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, DueOn: deal.Date{Year: 2026, Month: 12, Day: 2}}},
		{Payment: &deal.Payment{Reference: "PAY-APPR-ERP", Amount: 10000, ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 20}, InvoiceNo: "INV-APPR-ERP"}},
	}
	for _, rec := range fakes {
		require.NoError(t, s.tc.SignalWorkflow(ctx, wid, "", workflows.DealERPSignal, rec))
	}
	require.Eventually(t, func() bool { return len(apprERPRefusals(s, id)) == len(fakes) }, 10*time.Second, 50*time.Millisecond,
		"each refusal is recorded")
	for _, e := range apprERPRefusals(s, id) {
		require.Equal(t, "system", e.(map[string]any)["actor"])
	}
	after := s.get(id)
	require.Equal(t, before, after, "the deal is unchanged")
	require.Equal(t, "payment_collection", after["stage"])
	require.Empty(t, after["payments"])
	require.Len(t, after["history"], len(before["history"].([]any)))

	// What the ERP holds goes through: the invoice, then both payments of it.
	_, err = s.db.PaymentsUpsert(ctx, []database.ERPPayment{{Reference: "PAY-APPR-ERP-2", InvoiceNo: "INV-APPR-ERP", CustomerCode: "C1",
		Amount: 6000, Currency: "CNY", ReceivedOn: day("2026-11-21"), ERPChangedAt: time.Now()}}, nil)
	require.NoError(t, err)
	for _, rec := range []workflows.ERPRecord{
		{Invoice: &deal.Invoice{Number: "INV-APPR-ERP", Amount: 10000, IssuedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, DueOn: deal.Date{Year: 2026, Month: 12, Day: 2}}},
		{Payment: &deal.Payment{Reference: "PAY-APPR-ERP", Amount: 4000, ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 20}, InvoiceNo: "INV-APPR-ERP"}},
		{Payment: &deal.Payment{Reference: "PAY-APPR-ERP-2", Amount: 6000, ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 21}, InvoiceNo: "INV-APPR-ERP"}},
	} {
		require.NoError(t, s.tc.SignalWorkflow(ctx, wid, "", workflows.DealERPSignal, rec))
	}
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "closed" }, 10*time.Second, 20*time.Millisecond)
	require.Len(t, s.get(id)["payments"], 2)
	require.Len(t, apprERPRefusals(s, id), len(fakes), "nothing more refused")
	testenv.RecordHistory(t, s.tc, wid, "deal_controls_erp_confirmed.json")
}

// apprStageRow is the row of stage-times for kind and stage as user reads
// it (zeros if absent).
func apprStageRow(t *testing.T, s *stack, user, kind, stage string) map[string]any {
	t.Helper()
	r := s.do("GET", "/api/v1/approvals/stage-times?kind="+kind, "tok-"+user, "")
	require.Equal(t, 200, r.status, r.raw)
	for _, st := range r.body["stages"].([]any) {
		if row := st.(map[string]any); row["stage"] == stage {
			return row
		}
	}
	return map[string]any{"kind": kind, "stage": stage, "decided": float64(0), "open_steps": float64(0),
		"avg_hours": float64(0), "p90_hours": float64(0)}
}

// apprQuoteReview opens a deal as user for customer code and sends a quote
// below its minimum discount, returning the discount review's case ID once
// chen (market management) holds it.
func apprQuoteReview(t *testing.T, s *stack, user, code string) string {
	t.Helper()
	r := s.do("POST", "/api/v1/deals", "tok-"+user, `{"title":"Stage times","customer":{"code":"`+code+`","name":"Stage Co."}}`)
	require.Equal(t, 201, r.status, r.raw)
	r = s.act(r.body["id"].(string), user, 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":10,"unit_price":"100"}],"valid_until":"`+future(10)+`","discount":80}`)
	caseID := r.body["quotes"].([]any)[0].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Join(holders(c), ",") == "chen" })
	return caseID
}

// Item 8 (stage times): the figures he reads are computed only from cases he
// may see. A discount review on wang's deal (he is not wang's manager, nor
// one of its approvers), open and then decided by chen, moves the figures
// admin reads and leaves his exactly as they were; the same review on the
// deal of a rep of his moves both.
func TestApprovalControlStageTimesVisibility(t *testing.T) {
	s := setup(t)
	apprUser(t, s, identity.User{ID: "appr-he-rep", Name: "He's rep", Roles: []identity.Role{identity.RoleSales}}, "he")
	_, err := s.db.CustomersUpsert(context.Background(), []database.Customer{
		{Code: "APPR-ST-W", Name: "Stage Co.", MinDiscountBP: ptr(int64(8500)), SalesOwner: "wang", Source: "manual"},
		{Code: "APPR-ST-H", Name: "Stage Co.", MinDiscountBP: ptr(int64(8500)), SalesOwner: "appr-he-rep", Source: "manual"},
	}, nil)
	require.NoError(t, err)
	const kind = "quote_discount"
	all := func(user string) string {
		r := s.do("GET", "/api/v1/approvals/stage-times?kind="+kind, "tok-"+user, "")
		require.Equal(t, 200, r.status, r.raw)
		return r.raw
	}
	heFirst, adminFirst := all("he"), all("admin")
	caseID := apprQuoteReview(t, s, "wang", "APPR-ST-W")
	stage := apprStages(s.waitCase(caseID, func(map[string]any) bool { return true }))[0]
	require.Equal(t, 404, s.do("GET", "/api/v1/approvals/"+caseID, "tok-he", "").status, "he may not see wang's review")
	require.Equal(t, heFirst, all("he"), "wang's open review is not in his figures")
	require.NotEqual(t, adminFirst, all("admin"), "admin's count it")
	row := func(user string) map[string]any { return apprStageRow(t, s, user, kind, stage) }
	heBefore, adminBefore := row("he"), row("admin")
	require.GreaterOrEqual(t, adminBefore["open_steps"].(float64), float64(1))

	s.decide(caseID, "chen", 200, `{"approve":true}`)
	s.waitCase(caseID, func(c map[string]any) bool { return len(apprSteps(c)) > 1 })
	he, admin := row("he"), row("admin")
	require.Equal(t, heFirst, all("he"), "nor chen's decision of it, nor its next stage")
	require.Equal(t, heBefore, he)
	require.Equal(t, adminBefore["decided"].(float64)+1, admin["decided"], "admin's count it")
	require.Equal(t, adminBefore["open_steps"].(float64)-1, admin["open_steps"])

	// A review he may see counts in his figures too.
	mine := apprQuoteReview(t, s, "appr-he-rep", "APPR-ST-H")
	require.Equal(t, 200, s.do("GET", "/api/v1/approvals/"+mine, "tok-he", "").status, "he sees his rep's review")
	require.Equal(t, heBefore["open_steps"].(float64)+1, row("he")["open_steps"])
	s.decide(mine, "chen", 200, `{"approve":true}`)
	s.waitCase(mine, func(c map[string]any) bool { return len(apprSteps(c)) > 1 })
	he, admin = row("he"), row("admin")
	require.Equal(t, heBefore["decided"].(float64)+1, he["decided"])
	require.Equal(t, heBefore["open_steps"], he["open_steps"])
	require.Equal(t, adminBefore["decided"].(float64)+2, admin["decided"])
}

// apprCapturedSignal reads the last signal named name from a workflow's
// history, as anyone who reaches Temporal can, into in.
func apprCapturedSignal(t *testing.T, s *stack, wid, name string, in any) {
	t.Helper()
	it := s.tc.GetWorkflowHistory(context.Background(), wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	found := false
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		a := e.GetWorkflowExecutionSignaledEventAttributes()
		if a == nil || a.GetSignalName() != name {
			continue
		}
		found = true
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), in))
	}
	require.True(t, found, "no %s in %s's history", name, wid)
}

// Replay of a signed resubmission: the deal's signed resubmission of round 2,
// read from the case's history, is signalled again after round 2 was
// rejected too. It would start a round 3 on the old subject that the deal
// never asked for; the case ignores it (a resubmission is taken once, in the
// order the deal made them), stays returned at round 2, and the deal is
// unchanged. The deal's own next resubmission then starts round 3.
func TestApprovalControlReplayedResubmission(t *testing.T) {
	s := setup(t)
	contract := `"contract_no":"HT-APPR-RESUB","amount":"5000","template_id":"TPL-STD"`
	id, caseID := s.inContractReview(contract)
	s.decide(caseID, "li", 200, `{"approve":false,"note":"round 1: no"}`)
	require.Eventually(t, func() bool { return apprReviewStatus(s, id) == "rejected" }, 10*time.Second, 20*time.Millisecond)
	s.act(id, "wang", 200, `{"action":"submit_contract",`+contract+`,"reason":"round 2"}`)
	s.waitCase(caseID, func(c map[string]any) bool { return c["round"] == float64(2) && len(holders(c)) > 0 })
	var resubmit workflows.ResubmitInput
	apprCapturedSignal(t, s, workflows.ApprovalWorkflowID(caseID), workflows.ApprovalResubmitSignal, &resubmit)
	require.NotEmpty(t, resubmit.Sig, "the deal signed it")
	s.decide(caseID, "li", 200, `{"approve":false,"note":"round 2: no"}`)
	require.Eventually(t, func() bool { return apprReviewStatus(s, id) == "rejected" }, 10*time.Second, 20*time.Millisecond)
	before, beforeCase := s.get(id), s.waitCase(caseID, func(c map[string]any) bool { return c["status"] == "returned" })

	require.NoError(t, s.tc.SignalWorkflow(context.Background(), workflows.ApprovalWorkflowID(caseID), "",
		workflows.ApprovalResubmitSignal, resubmit))
	time.Sleep(500 * time.Millisecond) // a round started by it would show now
	afterCase := s.waitCase(caseID, func(map[string]any) bool { return true })
	require.Equal(t, "returned", afterCase["status"], "no round 3 from the replay")
	require.Equal(t, float64(2), afterCase["round"])
	require.Equal(t, apprSteps(beforeCase), apprSteps(afterCase))
	require.Equal(t, before, s.get(id), "the deal is unchanged")

	s.act(id, "wang", 200, `{"action":"submit_contract",`+contract+`,"reason":"round 3"}`)
	s.waitCase(caseID, func(c map[string]any) bool { return c["round"] == float64(3) && len(holders(c)) > 0 })
	s.decide(caseID, "li", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
	testenv.RecordHistory(t, s.tc, workflows.ApprovalWorkflowID(caseID), "approval_controls_resubmission_replayed.json")
}
