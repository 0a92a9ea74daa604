package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
)

// classProposalOf finds code's pending proposal in a list reply, or nil.
func classProposalOf(r reply, code string) map[string]any {
	for _, p := range r.body["proposals"].([]any) {
		if p := p.(map[string]any); p["customer"] == code {
			return p
		}
	}
	return nil
}

// TestClassesReviewedBeforeTheyApplyThenRouted: the value classes, computed
// by a run (Temporal) from the ERP's invoices, change no customer until a
// sales manager approves; the owner, a manager who owns the customer, one who
// does not see it and an admin are refused and nothing changes; once
// approved, a contract review routes on the class (an A customer's gets a
// key-account stage a C customer's does not); a new customer entered with a
// class gets the class's proposed terms.
func TestClassesReviewedBeforeTheyApplyThenRouted(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	minDiscount := int64(8000)
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{
		{Code: "CL-BIG", Name: "Big Buyer", SalesOwner: "wang", PaymentTerms: "NT30", MinDiscountBP: &minDiscount, Source: "manual"},
		{Code: "CL-SMALL", Name: "Small Buyer", SalesOwner: "wang", PaymentTerms: "NT30", MinDiscountBP: &minDiscount, ValueClass: "A", Source: "manual"},
		{Code: "CL-LI", Name: "Li's Own", SalesOwner: "li", Source: "manual"},
	}, nil)
	require.NoError(t, err)
	// A year of invoices worth far more than anyone else's, paid before their due dates.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var inv []database.ERPInvoice
	var pay []database.ERPPayment
	for i, code := range []string{"CL-BIG", "CL-LI"} {
		for m := range 3 {
			n := fmt.Sprintf("CLI-%d-%d", i, m)
			issued := today.AddDate(0, 0, -60-30*m)
			inv = append(inv, database.ERPInvoice{Number: n, CustomerCode: code, Amount: 1_000_000_000_000, Currency: "CNY",
				IssuedOn: issued, DueOn: issued.AddDate(0, 0, 30), ERPChangedAt: today})
			pay = append(pay, database.ERPPayment{Reference: "P" + n, InvoiceNo: n, CustomerCode: code, Amount: 1_000_000_000_000,
				Currency: "CNY", ReceivedOn: issued.AddDate(0, 0, 25), ERPChangedAt: today})
		}
	}
	_, err = s.db.InvoicesUpsert(ctx, inv, nil)
	require.NoError(t, err)
	_, err = s.db.PaymentsUpsert(ctx, pay, nil)
	require.NoError(t, err)

	require.Equal(t, 403, s.do("POST", "/api/v1/classes/run", "tok-li", "").status, "admins run it by hand")
	run := s.do("POST", "/api/v1/classes/run", "tok-admin", "")
	require.Equal(t, 200, run.status, run.raw)
	require.True(t, strings.HasPrefix(run.body["run"].(string), "classify/manual-"))
	testenv.RecordHistory(t, s.tc, run.body["run"].(string), "classify.json")

	// Explained, and not applied: the customer keeps its class.
	c := s.do("GET", "/api/v1/customers/CL-BIG/class", "tok-wang", "")
	require.Equal(t, 200, c.status, c.raw)
	require.Equal(t, "", c.body["value_class"])
	computed := c.body["computed"].(map[string]any)
	require.Equal(t, "A", computed["value_class"])
	require.Equal(t, float64(1), computed["payment_grade"])
	f := computed["factors"].(map[string]any)
	require.Equal(t, "30000000000.00", f["revenue"])
	require.Equal(t, float64(25), f["days_to_pay"])
	require.Equal(t, float64(10000), f["on_time_bp"])
	require.Equal(t, float64(0), f["longest_overdue"])
	require.Equal(t, float64(8000), computed["rules"].(map[string]any)["a_share_bp"])
	require.Equal(t, "A1", fmt.Sprintf("%s%.0f", c.body["pending"].(map[string]any)["new_class"], c.body["pending"].(map[string]any)["new_grade"]))
	require.Equal(t, 404, s.do("GET", "/api/v1/customers/CL-BIG/class", "tok-liu", "").status, "not liu's customer")
	small := s.do("GET", "/api/v1/customers/CL-SMALL/class", "tok-wang", "")
	require.Equal(t, "A", small.body["value_class"])
	require.Equal(t, "C", small.body["computed"].(map[string]any)["value_class"])

	list := s.do("GET", "/api/v1/classes/proposals", "tok-li", "")
	require.Equal(t, 200, list.status, list.raw)
	big, smallP, own := classProposalOf(list, "CL-BIG"), classProposalOf(list, "CL-SMALL"), classProposalOf(list, "CL-LI")
	require.NotNil(t, big)
	require.NotNil(t, smallP)
	require.NotNil(t, own)
	require.Nil(t, classProposalOf(s.do("GET", "/api/v1/classes/proposals", "tok-he", ""), "CL-BIG"), "he does not see wang's customers")
	require.Equal(t, 403, s.do("GET", "/api/v1/classes/proposals", "tok-wang", "").status)
	id := func(p map[string]any) string { return fmt.Sprintf("%.0f", p["id"].(float64)) }

	// Getting around the review: refused, and nothing changes.
	audited := s.auditCount("class.approve", "")
	for _, a := range []struct {
		user, body string
		status     int
	}{
		{"wang", `{"ids":[` + id(big) + `],"approve":true}`, 403},               // the owner, a rep
		{"wang", `{"all":true,"approve":true}`, 403},                            // all of them
		{"li", `{"ids":[` + id(big) + `,` + id(own) + `],"approve":true}`, 403}, // a manager's own customer, with another
		{"he", `{"ids":[` + id(big) + `],"approve":true}`, 404},                 // a manager who does not see it
		{"admin", `{"ids":[` + id(big) + `],"approve":true}`, 403},              // an admin is no approver
		{"li", `{"approve":true}`, 422},                                         // nothing named
		{"li", `{"ids":[` + id(big) + `],"approve":false}`, 422},                // a rejection says why
		{"li", `{"ids":[` + id(big) + `]}`, 422},                                // neither
	} {
		r := s.do("POST", "/api/v1/classes/proposals/decide", "tok-"+a.user, a.body)
		require.Equal(t, a.status, r.status, "%s %s: %s", a.user, a.body, r.raw)
	}
	require.Equal(t, audited, s.auditCount("class.approve", ""))
	for code, want := range map[string]string{"CL-BIG": "", "CL-SMALL": "A", "CL-LI": ""} {
		class, _, err := s.db.CustomerClassOf(ctx, code)
		require.NoError(t, err)
		require.Equal(t, want, class, code)
	}
	require.Equal(t, 405, s.do("PUT", "/api/v1/customers/CL-BIG/class", "tok-li", `{"value_class":"A"}`).status, "no way to set it directly")

	// Reviewed: li approves both of wang's; then they apply.
	r := s.do("POST", "/api/v1/classes/proposals/decide", "tok-li", `{"ids":[`+id(big)+`,`+id(smallP)+`],"approve":true,"note":"checked"}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Len(t, r.body["decided"], 2)
	require.Equal(t, audited+1, s.auditCount("class.approve", ""))
	for code, want := range map[string]string{"CL-BIG": "A1", "CL-SMALL": "C0"} {
		class, grade, err := s.db.CustomerClassOf(ctx, code)
		require.NoError(t, err)
		require.Equal(t, want, fmt.Sprintf("%s%d", class, grade), code)
	}
	// The customer page explains it, in words.
	b := pagesSession(t, s, "wang")
	b.lang = "en"
	page := b.do("GET", "/customers/CL-BIG", "", "")
	require.Equal(t, 200, page.status)
	sec := section(page.body, "class")
	for _, want := range []string{"Value class and why", "A1", "Days to pay", "25 days", "100%", "Thresholds applied",
		"A: the customers making the first 80% of revenue; B: the next 15%", "Payment grade 1: days to pay ≤ 45, on time ≥ 90%, overdue ≤ 15 days"} {
		require.Contains(t, sec, want)
	}
	again := s.do("POST", "/api/v1/classes/proposals/decide", "tok-sun", `{"ids":[`+id(big)+`],"approve":true}`)
	require.Equal(t, 409, again.status, again.raw)
	require.Equal(t, "/problems/class_proposal_stale", again.body["type"])
	// Li's own customer goes to finance.
	require.Equal(t, 200, s.do("POST", "/api/v1/classes/proposals/decide", "tok-sun", `{"ids":[`+id(own)+`],"approve":false,"note":"later"}`).status)

	// Routing on the class: a key-account stage for A customers.
	current := s.do("GET", "/api/v1/approval-rules/contract_review", "tok-admin", "")
	require.Equal(t, 200, current.status)
	stages := current.raw[strings.Index(current.raw, `"stages":`)+len(`"stages":`) : strings.LastIndex(current.raw, `]`)+1]
	t.Cleanup(func() { s.do("PUT", "/api/v1/approval-rules/contract_review", "tok-admin", `{"stages":`+stages+`}`) })
	bad := s.do("PUT", "/api/v1/approval-rules/contract_review", "tok-admin", `{"stages":`+strings.TrimSuffix(stages, "]")+
		`,{"name":"key_account","approvers":["role:finance"],"rule":"any","sla_hours":8,"when":{"customer_class_in":["A","D1"]}}]}`)
	require.Equal(t, 422, bad.status, bad.raw)
	require.Contains(t, bad.raw, `customer_class_in[1]`)
	saved := s.do("PUT", "/api/v1/approval-rules/contract_review", "tok-admin", `{"stages":`+strings.TrimSuffix(stages, "]")+
		`,{"name":"key_account","approvers":["role:finance"],"rule":"any","sla_hours":8,"when":{"customer_class_in":["A"]}}]}`)
	require.Equal(t, 200, saved.status, saved.raw)
	// The rule editor shows the condition and refuses a class that is not one, next to its field.
	admin, adminCSRF := pagesLogin(t, s, "admin", "en")
	require.Contains(t, admin.do("GET", "/admin/rules", "", "").body, "customer class A")
	ed := admin.do("GET", "/admin/rules/contract_review", "", "")
	require.Contains(t, ed.body, `name="s`)
	require.Contains(t, ed.body, `customer_class_in" value="A"`)
	form := admin.form("/admin/rules/contract_review", url.Values{"csrf_token": {adminCSRF}, "stages": {"1"},
		"s0.name": {"key_account"}, "s0.approvers": {"role:finance"}, "s0.rule": {"any"}, "s0.sla_hours": {"8"},
		"s0.customer_class_in": {"A, X9"}})
	require.Equal(t, 422, form.status, form.body)
	require.Contains(t, form.body, `id="r0-customer_class_in-error">&#34;X9&#34; is not a class`)
	routeOf := func(code string) []string {
		id := s.open(`{"title":"Routed ` + code + `","customer":{"code":"` + code + `","name":"` + code + `"}}`)
		s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
		s.act(id, "wang", 200, `{"action":"accept_quote"}`)
		r := s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-`+code+`","amount":"100","template_id":"TPL-STD"}`)
		caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
		c := s.waitCase(caseID, func(c map[string]any) bool { return len(c["route"].([]any)) > 0 })
		var names []string
		for _, st := range c["route"].([]any) {
			names = append(names, st.(map[string]any)["name"].(string))
		}
		return names
	}
	require.Contains(t, routeOf("CL-BIG"), "key_account")
	require.NotContains(t, routeOf("CL-SMALL"), "key_account")

	// The rules: checked whole, every bad field named, nothing saved; admins only.
	rulesBefore := s.do("GET", "/api/v1/classes/rules", "tok-li", "")
	require.Equal(t, 200, rulesBefore.status, rulesBefore.raw)
	require.Equal(t, 403, s.do("PUT", "/api/v1/classes/rules", "tok-li", rulesBefore.raw).status)
	badRules := strings.NewReplacer(`"a_share_bp":8000`, `"a_share_bp":9000`, `"b_share_bp":1500`, `"b_share_bp":1500`,
		`"min_on_time_bp":9000`, `"min_on_time_bp":12000`, `"payment_terms":"NT60"`, `"payment_terms":"net 60"`).Replace(rulesBefore.raw)
	r = s.do("PUT", "/api/v1/classes/rules", "tok-admin", badRules)
	require.Equal(t, 422, r.status, r.raw)
	for _, f := range []string{"b_share_bp", "grade_1.min_on_time_bp", "terms.A.payment_terms"} {
		require.Contains(t, r.raw, `"field":"`+f+`"`, f)
	}
	require.Equal(t, rulesBefore.raw, s.do("GET", "/api/v1/classes/rules", "tok-li", "").raw, "nothing saved")

	// Onboarding proposes the class's terms.
	terms := s.do("GET", "/api/v1/classes/terms?class=A", "tok-zhao", "")
	require.Equal(t, 200, terms.status, terms.raw)
	require.Equal(t, map[string]any{"payment_terms": "NT60", "credit_limit": "1000000.00"}, terms.body["proposed"])
	require.Equal(t, 400, s.do("GET", "/api/v1/classes/terms?class=D", "tok-zhao", "").status)
	n := time.Now().UnixNano()
	r = s.do("POST", "/api/v1/customers", "tok-zhao", fmt.Sprintf(`{"name":"等级客户%d有限公司","tax_id":"%015d",
		"address":"上海市 2 号","min_discount_bp":9000,"value_class":"A","sales_owner":"wang"}`, n, n%1e15))
	require.Equal(t, 202, r.status, r.raw)
	lead := s.do("GET", "/api/v1/customers/"+r.body["provisional_code"].(string), "tok-wang", "")
	require.Equal(t, 200, lead.status, lead.raw)
	require.Equal(t, "NT60", lead.body["terms"].(map[string]any)["payment_terms"], "the class's terms, proposed")
	require.Equal(t, "1000000.00", lead.body["terms"].(map[string]any)["credit_limit"])
}
