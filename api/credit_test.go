package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// creditCustomer makes a customer of wang's with a credit limit (nil: none)
// and a value class, and its ERP receivables: open invoices of amount (minor
// units) due days from today (negative: overdue), and advances (receipts
// applied to no invoice).
func (s *stack) creditCustomer(code string, limit *int64, class string, invoices map[string][2]int64, advance int64) {
	s.t.Helper()
	ctx := context.Background()
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{{Code: code, Name: code + " Co", SalesOwner: "wang",
		PaymentTerms: dealTestTerms, MinDiscountBP: &dealTestMinDiscount, CreditLimit: limit, ValueClass: class,
		Currency: "CNY", Source: "manual"}}, nil)
	require.NoError(s.t, err)
	day := func(days int64) time.Time {
		t := time.Now().In(shanghai).AddDate(0, 0, int(days))
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	var inv []database.ERPInvoice
	for no, v := range invoices {
		inv = append(inv, database.ERPInvoice{Number: no, CustomerCode: code, Amount: v[0], Currency: "CNY",
			IssuedOn: day(v[1] - 30), DueOn: day(v[1]), ERPChangedAt: time.Now().UTC()})
	}
	if len(inv) > 0 {
		_, err = s.db.InvoicesUpsert(ctx, inv, nil)
		require.NoError(s.t, err)
	}
	if advance > 0 {
		_, err = s.db.PaymentsUpsert(ctx, []database.ERPPayment{{Reference: "ADV-" + code, CustomerCode: code, Amount: advance,
			Currency: "CNY", ReceivedOn: day(-1), ERPChangedAt: time.Now().UTC()}}, nil)
		require.NoError(s.t, err)
	}
}

// orderFor takes a deal of customer code (contract 1000.00) to placing its
// stock order and returns the deal's ID and the answer.
func (s *stack) orderFor(code string) (string, reply) {
	s.t.Helper()
	id := s.dealToOrderFor(code)
	s.act(id, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	return id, s.act(id, "wang", 200, `{"action":"place_order","kind":"stock","delivery_due":"`+future(20)+`"}`)
}

// creditHold reads the deal's credit hold as the deal shows it.
func (s *stack) creditHold(id string) map[string]any {
	s.t.Helper()
	h, _ := s.get(id)["credit_hold"].(map[string]any)
	return h
}

func limitOf(v int64) *int64 { return &v }

// An order over the credit limit is held for finance, with the exposure
// shown; a payment arriving through the sync brings it within the limit, and
// the hold releases itself: the deal moves on to delivery, the case is
// withdrawn.
func TestCreditOrderOverLimitHeldThenReleasedByPayment(t *testing.T) {
	s := setup(t)
	code := fmt.Sprintf("CR-LIMIT-%d", time.Now().UnixNano())
	// 1,000.00 open (not yet due) + this order's 1,000.00 > a limit of 1,500.00.
	s.creditCustomer(code, limitOf(150000), "B", map[string][2]int64{"INV-" + code: {100000, 10}}, 0)
	id, placed := s.orderFor(code)
	require.Equal(t, "order", placed.body["stage"], "held: the order waits in the order stage")
	hold := placed.body["order"].(map[string]any)["credit_hold"].(map[string]any)
	require.Equal(t, "held", hold["status"])
	require.Equal(t, "credit:"+hold["id"].(string), placed.body["holder"])

	var shown map[string]any
	require.Eventually(t, func() bool { shown = s.creditHold(id); return shown != nil }, 10*time.Second, 50*time.Millisecond)
	e := shown["exposure"].(map[string]any)
	require.Equal(t, "1000.00", e["receivables"])
	require.Equal(t, "1000.00", e["order"])
	require.Equal(t, "2000.00", e["total"])
	require.Equal(t, "1500.00", e["limit"])
	require.Equal(t, "over_limit", shown["reasons"].([]any)[0].(map[string]any)["kind"])
	caseID := shown["case_id"].(string)
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(holders(c)) > 0 })
	require.Equal(t, "credit_hold", c["kind"])
	require.Contains(t, holders(c), "sun", "finance holds it")

	// The customer pays the invoice; the next payments sync stores it and the
	// hold checks again.
	_, err := s.db.PaymentsUpsert(context.Background(), []database.ERPPayment{{Reference: "PAY-" + code, InvoiceNo: "INV-" + code,
		CustomerCode: code, Amount: 100000, Currency: "CNY", ReceivedOn: time.Now().UTC().Truncate(24 * time.Hour),
		ERPChangedAt: time.Now().UTC()}}, nil)
	require.NoError(t, err)
	r := s.do("POST", "/api/v1/sync/payments/run", "tok-admin", "")
	require.Equal(t, 202, r.status, r.raw)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "delivery" }, 30*time.Second, 100*time.Millisecond)
	shown = s.creditHold(id)
	require.Equal(t, "released", shown["status"])
	require.Equal(t, "system", shown["released_by"])
	require.Nil(t, shown["release"], "no manual release")
	s.waitCase(caseID, func(c map[string]any) bool { return c["status"] == "withdrawn" })
}

// An order for a customer with an invoice overdue beyond the policy (class
// C: 15 days) is held; neither the requester, an admin nor the requester as
// an away approver's delegate can release it, and nothing changes when they
// try; finance releases it with an amount, a reason and an expiry, all
// recorded.
func TestCreditOverdueHeldReleasedByFinance(t *testing.T) {
	s := setup(t)
	code := fmt.Sprintf("CR-OVERDUE-%d", time.Now().UnixNano())
	s.creditCustomer(code, nil, "C", map[string][2]int64{"INV-" + code: {10000, -40}}, 0)
	id, placed := s.orderFor(code)
	require.Equal(t, "order", placed.body["stage"])
	var hold map[string]any
	require.Eventually(t, func() bool { hold = s.creditHold(id); return hold != nil }, 10*time.Second, 50*time.Millisecond)
	require.Equal(t, "overdue", hold["reasons"].([]any)[0].(map[string]any)["kind"])
	require.EqualValues(t, 40, hold["exposure"].(map[string]any)["oldest_overdue_days"])
	holdID, caseID := hold["id"].(string), hold["case_id"].(string)
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(holders(c)) > 0 })

	// Finance sees the hold (and its first request is on the record as a token use).
	g := s.do("GET", "/api/v1/credit-holds/"+holdID, "tok-sun", "")
	require.Equal(t, 200, g.status, g.raw)
	require.Equal(t, 404, s.do("GET", "/api/v1/credit-holds/"+holdID, "tok-liu", "").status, "another rep's deal's hold")
	release := `{"amount":"500.00","expires_on":"` + future(20) + `","reason":"customer promised payment on Friday"}`
	before, steps := s.dealSnapshot(id), apprSteps(c)
	entries, releases := apprCount(t, s, "audit_log"), apprCount(t, s, "credit_releases")
	unchanged := func(why string) {
		t.Helper()
		time.Sleep(200 * time.Millisecond)
		require.Equal(t, before, s.dealSnapshot(id), why)
		require.Equal(t, steps, apprSteps(s.waitCase(caseID, func(map[string]any) bool { return true })), why)
		require.Equal(t, "held", s.creditHold(id)["status"], why)
		require.Equal(t, entries, apprCount(t, s, "audit_log"), why)
		require.Equal(t, releases, apprCount(t, s, "credit_releases"), why)
	}
	// The requester (the sales owner who placed the order).
	require.Equal(t, 403, s.do("POST", "/api/v1/credit-holds/"+holdID+"/release", "tok-wang", release).status)
	s.decide(caseID, "wang", 403, `{"approve":true}`)
	unchanged("the requester released nothing")
	// An admin is not a super-approver.
	require.Equal(t, 403, s.do("POST", "/api/v1/credit-holds/"+holdID+"/release", "tok-admin", release).status)
	s.decide(caseID, "admin", 403, `{"approve":true}`)
	unchanged("an admin released nothing")
	// sun, who holds the step, is away and has delegated to wang.
	window := fmt.Sprintf(`"starts_at":"%s","ends_at":"%s"`, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	r := s.do("POST", "/api/v1/delegations", "tok-sun", `{"delegate":"wang",`+window+`}`)
	require.Equal(t, 201, r.status, r.raw)
	delegation := fmt.Sprintf("%.0f", r.body["id"].(float64))
	entries++ // the delegation is on the record
	p := s.decide(caseID, "wang", 403, `{"approve":true,"on_behalf_of":"sun"}`)
	require.Contains(t, p.body["detail"], "requested this review")
	require.Equal(t, 200, s.do("DELETE", "/api/v1/delegations/"+delegation, "tok-sun", "").status)
	entries++
	unchanged("the requester as a delegate released nothing")
	// Bad terms are refused, naming each field.
	bad := s.do("POST", "/api/v1/credit-holds/"+holdID+"/release", "tok-sun", `{"amount":"-1","expires_on":"2020-01-01","reason":" "}`)
	require.Equal(t, 422, bad.status, bad.raw)
	for _, f := range []string{"amount", "expires_on", "reason"} {
		require.Contains(t, bad.raw, `"field":"`+f+`"`)
	}
	unchanged("bad terms released nothing")

	// Finance releases it.
	r = s.do("POST", "/api/v1/credit-holds/"+holdID+"/release", "tok-sun", release)
	require.Equal(t, 200, r.status, r.raw)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "delivery" }, 10*time.Second, 50*time.Millisecond)
	hold = s.creditHold(id)
	require.Equal(t, "released", hold["status"])
	require.Equal(t, "sun", hold["released_by"])
	rel := hold["release"].(map[string]any)
	require.Equal(t, "500.00", rel["amount"])
	require.Equal(t, "sun", rel["approved_by"])
	require.Equal(t, "customer promised payment on Friday", rel["reason"])
	exp, err := time.Parse(time.RFC3339, rel["expires_at"].(string))
	require.NoError(t, err)
	require.Equal(t, future(21), exp.In(shanghai).Format(time.DateOnly), "the release holds to the end of its last day")
	require.Equal(t, releases+1, apprCount(t, s, "credit_releases"))
	// The release is on the audit trail.
	a := s.do("GET", "/api/v1/audit?action=credit.released&object_id="+id, "tok-admin", "")
	require.Equal(t, 200, a.status, a.raw)
	require.Contains(t, a.raw, "customer promised payment on Friday")
	s.waitClosed(workflows.CreditHoldWorkflowID(holdID))
	testenv.RecordHistory(t, s.tc, workflows.CreditHoldWorkflowID(holdID), "credit_hold_released.json")
	testenv.RecordHistory(t, s.tc, workflows.DealWorkflowID(id), "deal_credit_held_released.json")
}

// waitClosed waits for workflow id to finish.
func (s *stack) waitClosed(id string) {
	s.t.Helper()
	require.Eventually(s.t, func() bool {
		d, err := s.tc.DescribeWorkflowExecution(context.Background(), id, "")
		return err == nil && d.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}, 10*time.Second, 50*time.Millisecond, "workflow %s never finished", id)
}

// An order fully covered by an advance passes, over the limit or not.
func TestCreditAdvanceCoveredOrderPasses(t *testing.T) {
	s := setup(t)
	code := fmt.Sprintf("CR-ADVANCE-%d", time.Now().UnixNano())
	s.creditCustomer(code, limitOf(10000), "", nil, 100000) // limit 100.00; 1,000.00 paid in advance
	id, placed := s.orderFor(code)
	require.Equal(t, "delivery", placed.body["stage"])
	require.Nil(t, placed.body["order"].(map[string]any)["credit_hold"])
	require.Nil(t, s.creditHold(id))
}
