package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// TestOrderRefusedByERPResent: the ERP refuses the order (the customer has
// an order block there); the deal shows the refusal in the ERP's words, on
// the API and its page. Neither the delivery owner nor the payment owner may
// re-send it (403, nothing changes, nothing reaches the ERP). Once the block
// is lifted, the sales owner re-sends it: the ERP then holds one order,
// which the deal stores; the re-send retried with its key changes nothing
// more, and a re-send of an order that is no longer refused is a 409.
func TestOrderRefusedByERPResent(t *testing.T) {
	s := setup(t)
	id := s.orderReady("Blocked")
	code := s.get(id)["customer"].(map[string]any)["code"].(string)
	s.sim.BlockOrders(code, "01 credit check")
	defer s.sim.BlockOrders(code, "")
	s.act(id, "wang", 200, stockOrder())

	o := s.waitOrder(id, erpStatusIs("refused"))
	require.Contains(t, erpOf(o)["error"], "is blocked for sales orders (order block 01 credit check)", "the ERP's own words")
	require.Equal(t, 1, s.historyCount(id, "erp_order_refused"))
	require.Empty(t, s.sim.OrdersFor(id))
	page := pagesSession(t, s, "wang").do("GET", "/deals/"+id, "", "")
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, "is blocked for sales orders", "the deal page shows the ERP's refusal")
	require.Contains(t, page.body, `value="resend_order"`, "and offers its sales owner the re-send")
	require.NotContains(t, pagesSession(t, s, "zhou").do("GET", "/deals/"+id, "", "").body, `value="resend_order"`,
		"not the delivery owner")

	// Not for the delivery or payment owner; refused, and nothing changes.
	before := s.get(id)
	for _, who := range []string{"zhou", "wu"} {
		r := apprDoKey(t, s, "POST", "/api/v1/deals/"+id+"/actions", "tok-"+who, "resend-"+who+"-"+id, `{"action":"resend_order"}`)
		require.Equal(t, http.StatusForbidden, r.status, "%s: %s", who, r.raw)
	}
	after := s.get(id)
	require.Equal(t, before["version"], after["version"], "nothing changed")
	require.Equal(t, "refused", erpOf(after["order"].(map[string]any))["status"])
	time.Sleep(300 * time.Millisecond)
	require.Empty(t, s.sim.OrdersFor(id), "nothing reached the ERP")

	// A correction of a line the order does not have: 422 naming it, nothing changed.
	bad := apprDoKey(t, s, "POST", "/api/v1/deals/"+id+"/actions", "tok-wang", "resend-bad-"+id,
		`{"action":"resend_order","lines":[{"line":3,"sku":"B-1"}]}`)
	require.Equal(t, http.StatusUnprocessableEntity, bad.status, bad.raw)
	require.Contains(t, bad.raw, `"field":"lines[0].line"`)
	require.Equal(t, before["version"], s.get(id)["version"], "nothing changed")

	// The cause fixed in the ERP, the sales owner re-sends it (a sales
	// assistant of the team may too: TestERPOrderResentAfterARefusal); the
	// retry of that request (same key) is answered alike and re-sends
	// nothing more.
	s.sim.BlockOrders(code, "")
	r := apprDoKey(t, s, "POST", "/api/v1/deals/"+id+"/actions", "tok-wang", "resend-"+id, `{"action":"resend_order","reason":"order block lifted"}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	again := apprDoKey(t, s, "POST", "/api/v1/deals/"+id+"/actions", "tok-wang", "resend-"+id, `{"action":"resend_order","reason":"order block lifted"}`)
	require.Equal(t, http.StatusOK, again.status, again.raw)
	// The answer is the deal as it stands, which the ERP's answer to the
	// re-send may already have moved on (a later version): what must be the
	// same is the count of re-sends, one.
	resends := func(body map[string]any) any { return erpOf(body["order"].(map[string]any))["resends"] }
	require.Equal(t, 1.0, resends(r.body), r.raw)
	require.Equal(t, 1.0, resends(again.body), "the retry is the same re-send: %s", again.raw)
	o = s.waitOrder(id, erpStatusIs("created"))
	orders := s.sim.OrdersFor(id)
	require.Len(t, orders, 1, "one order in the ERP")
	require.Equal(t, orders[0], o["erp_number"])
	require.Nil(t, erpOf(o)["error"], "the refusal is history now")
	require.Equal(t, 1.0, erpOf(o)["resends"])

	// A re-send of an order the ERP holds: nothing to re-send.
	late := apprDoKey(t, s, "POST", "/api/v1/deals/"+id+"/actions", "tok-wang", "resend-late-"+id, `{"action":"resend_order"}`)
	require.Equal(t, http.StatusConflict, late.status, late.raw)
	require.Contains(t, late.raw, "nothing to re-send")
	require.Len(t, s.sim.OrdersFor(id), 1)
	require.Equal(t, 1, s.historyCount(id, "resend_order"))
	require.Equal(t, 1, s.historyCount(id, "erp_order_created"))
	testenv.RecordHistory(t, s.tc, workflows.DealWorkflowID(id), "deal_erp_order_resent.json")
}
