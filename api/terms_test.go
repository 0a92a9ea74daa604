package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// TestTermsChangeApprovedAndWrittenToTheERP: wang asks for better terms for his
// customer; market management and finance approve in turn; l2c writes them
// into the ERP (the simulator, over OData) and records the change in the
// audit trail.
func TestTermsChangeApprovedAndWrittenToTheERP(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	// C1001 as the last sync left it: the ERP's terms and version, owned by wang.
	erpNow, err := s.erp.Customer(ctx, "C1001")
	require.NoError(t, err)
	require.Equal(t, "NT30", erpNow.PaymentTerms)
	_, err = s.db.CustomersUpsert(ctx, []database.Customer{{Code: "C1001", Name: erpNow.Name, PaymentTerms: erpNow.PaymentTerms,
		MinDiscountBP: erpNow.MinDiscountBP, CreditLimit: erpNow.CreditLimit, SalesOwner: "wang", Source: "erp",
		ERPETag: erpNow.ETag}}, nil)
	require.NoError(t, err)
	path := "/api/v1/customers/C1001/terms-changes"

	changes := func() int64 {
		var n int64
		require.NoError(t, s.db.CountRows(ctx, "terms_changes", &n))
		return n
	}
	before := changes()
	for _, c := range []struct {
		user, body string
		status     int
		field      string
	}{
		{"wang", `{"min_discount_bp":0,"reason":"x"}`, 422, "min_discount_bp"},
		{"wang", `{"payment_terms":"nt 60","reason":"x"}`, 422, "payment_terms"},
		{"wang", `{"credit_limit":"-1.00","reason":"x"}`, 422, "credit_limit"},
		{"wang", `{"payment_terms":"NT60"}`, 422, "reason"},
		{"wang", `{"payment_terms":"NT30","reason":"same as today"}`, 422, "(body)"},
		{"wang", `{"payment_terms":"NT60","reason":"x","sales_owner":"liu"}`, 400, "sales_owner"},
		{"liu", `{"payment_terms":"NT60","reason":"x"}`, 404, ""},  // not his customer: it does not exist for him
		{"zhou", `{"payment_terms":"NT60","reason":"x"}`, 404, ""}, // nor for delivery
		{"sun", `{"payment_terms":"NT60","reason":"x"}`, 403, ""},  // finance approves; it does not ask
	} {
		r := s.do("POST", path, "tok-"+c.user, c.body)
		require.Equal(t, c.status, r.status, "%s %s: %s", c.user, c.body, r.raw)
		if c.field != "" {
			require.Equal(t, c.field, r.body["errors"].([]any)[0].(map[string]any)["field"], c.body)
		}
	}
	require.Equal(t, before, changes(), "refused requests record nothing")

	r := s.do("POST", path, "tok-wang", `{"min_discount_bp":8000,"payment_terms":"NT60","reason":"volume doubles next year"}`)
	require.Equal(t, 202, r.status, r.raw)
	caseID, changeID := r.body["case_id"].(string), int64(r.body["id"].(float64))
	require.True(t, strings.HasPrefix(caseID, "terms_change.C1001."), caseID)
	again := s.do("POST", path, "tok-wang", `{"credit_limit":"900000.00","reason":"and more credit"}`)
	require.Equal(t, 409, again.status, "one open change per customer: %s", again.raw)

	// Market management, then finance. Wang cannot approve his own request.
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	require.Equal(t, []string{"chen"}, holders(c))
	s.decide(caseID, "wang", 403, `{"approve":true}`)
	s.decide(caseID, "chen", 200, `{"approve":true,"note":"within policy"}`)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Join(holders(c), ",") == "sun" })
	s.decide(caseID, "sun", 200, `{"approve":true}`)

	var list reply
	require.Eventually(t, func() bool {
		list = s.do("GET", path, "tok-wang", "")
		return list.status == 200 && list.body["terms_changes"].([]any)[0].(map[string]any)["status"] == "written"
	}, 15*time.Second, 50*time.Millisecond, "never written: %s", list.raw)

	testenv.RecordHistory(t, s.tc, workflows.TermsChangeWorkflowID(changeID), "terms_change_written.json")

	// In the ERP, and in l2c's copy of the customer.
	erpAfter, err := s.erp.Customer(ctx, "C1001")
	require.NoError(t, err)
	require.Equal(t, "NT60", erpAfter.PaymentTerms)
	require.Equal(t, int64(8000), *erpAfter.MinDiscountBP)
	require.Equal(t, erpNow.CreditLimit, erpAfter.CreditLimit, "terms not asked for stay as they were")
	got := s.do("GET", "/api/v1/customers/C1001", "tok-sun", "")
	require.Equal(t, "NT60", got.body["terms"].(map[string]any)["payment_terms"], got.raw)

	// The change of terms is in the audit trail, with before and after.
	a := s.do("GET", "/api/v1/audit?object_type=customer&object_id=C1001&action=customer.terms_changed", "tok-admin", "")
	require.Equal(t, 200, a.status, a.raw)
	entries := a.body["entries"].([]any)
	require.Len(t, entries, 1)
	detail := entries[0].(map[string]any)["detail"].(map[string]any)
	require.Equal(t, "NT30", detail["before"].(map[string]any)["payment_terms"])
	require.Equal(t, "NT60", detail["after"].(map[string]any)["payment_terms"])
	require.Equal(t, "system", entries[0].(map[string]any)["actor"])

	// With that one finished, the next may be asked for.
	require.Equal(t, 202, s.do("POST", path, "tok-wang", `{"credit_limit":"900000.00","reason":"and more credit"}`).status)
}
