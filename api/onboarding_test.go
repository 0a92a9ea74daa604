package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// onboardingCounts are the rows a refused new customer must leave as they were.
func (s *stack) onboardingCounts() [3]int64 {
	s.t.Helper()
	return [3]int64{apprCount(s.t.(*testing.T), s, "customers"), apprCount(s.t.(*testing.T), s, "customer_onboardings"),
		apprCount(s.t.(*testing.T), s, "audit_log")}
}

// A new customer end to end: entered by a sales assistant, duplicates caught
// before anything is saved and the customer they duplicate named (same tax
// ID; a name differing only in width, spacing and 有限责任公司/有限公司), quotes
// allowed and an order refused while it is a lead customer, its case safe
// from the requester, an admin and the requester as an approver's delegate,
// then approved by the sales manager, created in the ERP and active under
// the ERP's number, where the order goes through.
func TestOnboardingEndToEnd(t *testing.T) {
	s := setup(t)
	n := time.Now().UnixNano()
	tax := fmt.Sprintf("%015d", n%1e15) // an old-style 15-digit tax registration number
	name := fmt.Sprintf("瑞丰贸易%d（上海）有限责任公司", n)
	body := func(name, tax, extra string) string {
		return `{"name":"` + name + `","tax_id":"` + tax + `","address":"上海市浦东新区 1 号","payment_terms":"NT30",
			"min_discount_bp":9000,"sales_owner":"wang"` + extra + `}`
	}
	// Warm up the tokens used below (a first use is on the record).
	for _, u := range []string{"zhao", "li", "admin", "wang", "sun", "zhou"} {
		require.Equal(t, 200, s.do("GET", "/api/v1/me", "tok-"+u, "").status)
	}

	// Bad input: every bad field named, nothing saved.
	before := s.onboardingCounts()
	r := s.do("POST", "/api/v1/customers", "tok-zhao", `{"name":" ","tax_id":"12345","payment_terms":"net 30","min_discount_bp":0,"value_class":"D","sales_owner":"zhou"}`)
	require.Equal(t, 422, r.status, r.raw)
	for _, f := range []string{"name", "tax_id", "address", "payment_terms", "min_discount_bp", "value_class", "sales_owner"} {
		require.Contains(t, r.raw, `"field":"`+f+`"`, f)
	}
	require.Equal(t, 403, s.do("POST", "/api/v1/customers", "tok-zhou", body(name, tax, "")).status, "delivery enters no customers")
	require.Equal(t, before, s.onboardingCounts(), "nothing saved")

	r = s.do("POST", "/api/v1/customers", "tok-zhao", body(name, tax, `,"credit_limit":"100000.00"`))
	require.Equal(t, 202, r.status, r.raw)
	r0 := r
	code, caseID := r.body["provisional_code"].(string), r.body["case_id"].(string)
	request := fmt.Sprintf("/api/v1/customer-onboardings/%.0f", r.body["id"].(float64))
	require.Equal(t, request, r.header.Get("Location"))
	require.Regexp(t, `^NEW-\d{6}$`, code)
	cust := s.do("GET", "/api/v1/customers/"+code, "tok-wang", "")
	require.Equal(t, 200, cust.status, cust.raw)
	require.Equal(t, "pending", cust.body["status"], "a lead customer")

	// Duplicates, named, nothing saved.
	before = s.onboardingCounts()
	r = s.do("POST", "/api/v1/customers", "tok-zhao", body("Another name Ltd", tax, ""))
	require.Equal(t, 409, r.status, r.raw)
	require.Equal(t, "/problems/duplicate_customer", r.body["type"])
	require.Contains(t, r.raw, `"field":"tax_id"`)
	require.Contains(t, r.body["detail"], code)
	same := fmt.Sprintf("瑞丰贸易%d (上海)  有限公司", n) // half-width parentheses, spaces, 有限公司
	r = s.do("POST", "/api/v1/customers", "tok-zhao", body(same, fmt.Sprintf("%015d", (n+1)%1e15), ""))
	require.Equal(t, 409, r.status, r.raw)
	require.Contains(t, r.raw, `"field":"name"`)
	require.Contains(t, r.body["detail"], code)
	require.Equal(t, before, s.onboardingCounts(), "nothing saved")

	// A lead customer: a deal and its quote, yes; an order, no.
	id := s.dealToOrderFor(code)
	s.act(id, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	r = s.act(id, "wang", 409, `{"action":"place_order","kind":"stock","delivery_due":"`+future(20)+`"}`)
	require.Equal(t, "/problems/customer_pending", r.body["type"])
	require.Contains(t, r.raw, `"field":"customer.code"`)
	require.Equal(t, "order", s.get(id)["stage"])

	// The case: the sales manager's (a credit limit under 500,000 needs no finance).
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(holders(c)) > 0 })
	require.Equal(t, "customer_onboarding", c["kind"])
	require.Equal(t, []string{"sales_manager"}, apprStages(c))
	require.Subset(t, holders(c), []string{"li", "he"}, "the sales managers")

	steps := apprSteps(c)
	before = s.onboardingCounts()
	unchanged := func(why string) {
		t.Helper()
		time.Sleep(200 * time.Millisecond)
		require.Equal(t, steps, apprSteps(s.waitCase(caseID, func(map[string]any) bool { return true })), why)
		require.Equal(t, before, s.onboardingCounts(), why)
		o := s.do("GET", request, "tok-zhao", "")
		require.Equal(t, "in_review", o.body["status"], why)
	}
	s.decide(caseID, "zhao", 403, `{"approve":true}`) // the requester
	unchanged("the requester approved nothing")
	s.decide(caseID, "admin", 403, `{"approve":true}`) // an admin is not a super-approver
	unchanged("an admin approved nothing")
	window := fmt.Sprintf(`"starts_at":"%s","ends_at":"%s"`, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	d := s.do("POST", "/api/v1/delegations", "tok-li", `{"delegate":"zhao",`+window+`}`)
	require.Equal(t, 201, d.status, d.raw)
	p := s.decide(caseID, "zhao", 403, `{"approve":true,"on_behalf_of":"li"}`)
	require.Contains(t, p.body["detail"], "requested this review")
	require.Equal(t, 200, s.do("DELETE", fmt.Sprintf("/api/v1/delegations/%.0f", d.body["id"].(float64)), "tok-li", "").status)
	before[2] += 2 // the delegation made and ended
	unchanged("the requester as a delegate approved nothing")

	// The sales manager approves: created in the ERP, active under its number.
	s.decide(caseID, "li", 200, `{"approve":true,"note":"known buyer"}`)
	var o reply
	require.Eventually(t, func() bool {
		o = s.do("GET", request, "tok-zhao", "")
		return o.body["status"] == "created"
	}, 20*time.Second, 100*time.Millisecond, "%s", o.raw)
	erpCode := o.body["erp_code"].(string)
	require.NotEmpty(t, erpCode)
	require.Equal(t, 404, s.do("GET", "/api/v1/customers/"+code, "tok-wang", "").status, "the provisional code is gone")
	active := s.do("GET", "/api/v1/customers/"+erpCode, "tok-wang", "")
	require.Equal(t, 200, active.status, active.raw)
	require.Equal(t, "wang", active.body["sales_owner"])
	require.Equal(t, "active", active.body["status"])
	require.Equal(t, erpCode, s.get(id)["customer"].(map[string]any)["code"], "the deal names the ERP's number")
	r = s.act(id, "wang", 200, `{"action":"place_order","kind":"stock","delivery_due":"`+future(20)+`"}`)
	require.Equal(t, "delivery", r.body["stage"])
	a := s.do("GET", "/api/v1/audit?action=customer.onboarding.created&object_id="+erpCode, "tok-admin", "")
	require.Equal(t, 200, a.status, a.raw)
	require.Contains(t, a.raw, erpCode)

	onboarding := workflows.OnboardingWorkflowID(int64(r0.body["id"].(float64)))
	s.waitClosed(onboarding)
	testenv.RecordHistory(t, s.tc, onboarding, "customer_onboarding_created.json")

	// A credit limit of 500,000 or more goes to finance too.
	big := s.do("POST", "/api/v1/customers", "tok-zhao", body(fmt.Sprintf("Big Buyer %d Co., Ltd.", n), fmt.Sprintf("%015d", (n+2)%1e15),
		`,"credit_limit":"800000.00"`))
	require.Equal(t, 202, big.status, big.raw)
	c = s.waitCase(big.body["case_id"].(string), func(c map[string]any) bool { return len(holders(c)) > 0 })
	require.Equal(t, []string{"sales_manager", "finance"}, apprStages(c))
}
