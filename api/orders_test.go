package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// Orders created in the ERP by their deal, and shipments read back from it
// (issue 12), on the shared stack: real Temporal, PostgreSQL and the ERP
// simulator the worker's connector talks to.

// orderReady opens a deal for a customer the ERP knows, takes it to the
// order stage and names its delivery and payment owners.
func (s *stack) orderReady(title string) string {
	s.t.Helper()
	id := s.dealToOrderFor(s.dealERPCustomer(title + " Co"))
	s.act(id, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	return id
}

func stockOrder() string {
	return `{"action":"place_order","kind":"stock","delivery_due":"` + future(14) + `"}`
}

// waitOrder waits until the deal's order (as PostgreSQL holds it) satisfies
// ok, and returns it.
func (s *stack) waitOrder(id string, ok func(o map[string]any) bool) map[string]any {
	s.t.Helper()
	var o map[string]any
	require.Eventually(s.t, func() bool {
		o, _ = s.get(id)["order"].(map[string]any)
		return o != nil && ok(o)
	}, 30*time.Second, 50*time.Millisecond, "order of %s: %v", id, o)
	return o
}

func erpOf(o map[string]any) map[string]any {
	e, _ := o["erp"].(map[string]any)
	if e == nil {
		return map[string]any{}
	}
	return e
}

func erpStatusIs(status string) func(map[string]any) bool {
	return func(o map[string]any) bool { return erpOf(o)["status"] == status }
}

// historyCount counts the deal's history entries of action.
func (s *stack) historyCount(id, action string) int {
	s.t.Helper()
	n := 0
	for _, h := range s.get(id)["history"].([]any) {
		if h.(map[string]any)["action"] == action {
			n++
		}
	}
	return n
}

// TestOrderStockCreatedOnceThroughALostAnswer: the ERP commits the order but
// every answer to the first attempt is lost (the connector's own retries
// too); the retried activity finds the order by the deal's reference, so the
// ERP holds exactly one order, whose number the deal stores.
func TestOrderStockCreatedOnceThroughALostAnswer(t *testing.T) {
	s := setup(t)
	id := s.orderReady("Lost answer")
	s.sim.SetFaults(erpsim.Faults{LoseOrderAnswers: 5})
	defer s.sim.SetFaults(erpsim.Faults{})
	r := s.act(id, "wang", 200, stockOrder())
	require.Equal(t, "delivery", r.body["stage"])
	require.Equal(t, "waiting", erpOf(r.body["order"].(map[string]any))["status"])

	o := s.waitOrder(id, erpStatusIs("created"))
	orders := s.sim.OrdersFor(id)
	require.Len(t, orders, 1, "one order in the ERP")
	require.Equal(t, orders[0], o["erp_number"])
	require.Zero(t, s.sim.Faults().LoseOrderAnswers, "every answer of the first attempt was lost")
	require.Equal(t, 1, s.historyCount(id, "erp_order_created"))
	lines := o["lines"].([]any)
	require.Len(t, lines, 1)
	require.Equal(t, future(14), lines[0].(map[string]any)["promised"])

	live := s.do("GET", "/api/v1/deals/"+id+"/live", "tok-wang", "")
	require.Equal(t, 200, live.status, live.raw)
	require.Equal(t, o["erp"], live.body["order"].(map[string]any)["erp"], "the workflow and PostgreSQL agree")
}

// TestOrderCustomAfterItsReview: a custom order reaches the ERP only once its
// order review approves it.
func TestOrderCustomAfterItsReview(t *testing.T) {
	s := setup(t)
	id := s.orderReady("Custom press")
	r := s.act(id, "wang", 200, `{"action":"place_order","kind":"custom","delivery_due":"`+future(30)+`"}`)
	caseID := r.body["order"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	time.Sleep(300 * time.Millisecond)
	require.Empty(t, s.sim.OrdersFor(id), "nothing in the ERP while in review")
	require.Equal(t, "waiting", erpOf(s.get(id)["order"].(map[string]any))["status"])

	s.decide(caseID, "zhou", 200, `{"approve":true,"note":"can build it"}`)
	s.waitCase(caseID, func(c map[string]any) bool {
		for _, h := range c["holders"].([]any) {
			if h == "li" {
				return true
			}
		}
		return false
	})
	s.decide(caseID, "li", 200, `{"approve":true}`)
	o := s.waitOrder(id, erpStatusIs("created"))
	require.Equal(t, []string{o["erp_number"].(string)}, s.sim.OrdersFor(id))
	require.Equal(t, "delivery", s.get(id)["stage"])
}

// TestOrderShipmentsReadFromTheERP: the ERP ships part of the order, then the
// rest; each delivery is applied once, and the final one moves the deal to
// payment collection by itself.
func TestOrderShipmentsReadFromTheERP(t *testing.T) {
	s := setup(t)
	id := s.orderReady("Shipped")
	s.act(id, "wang", 200, stockOrder())
	so := s.waitOrder(id, erpStatusIs("created"))["erp_number"].(string)

	// The ERP confirms the promised day, then moves it three days out.
	promised := future(14)
	confirmedIs := func(day string) func(map[string]any) bool {
		return func(o map[string]any) bool { return o["lines"].([]any)[0].(map[string]any)["confirmed"] == day }
	}
	s.waitOrder(id, confirmedIs(promised))
	late, err := time.Parse(time.DateOnly, future(17))
	require.NoError(t, err)
	require.NoError(t, s.sim.Confirm(so, late))
	s.waitOrder(id, confirmedIs(future(17)))
	require.Equal(t, 2, s.historyCount(id, "erp_confirmed"))

	first, err := s.sim.Ship(so, false)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(s.get(id)["shipments"].([]any)) == 1 }, 20*time.Second, 50*time.Millisecond)
	d := s.get(id)
	require.Equal(t, "delivery", d["stage"], "a partial shipment leaves the deal in delivery")
	sh := d["shipments"].([]any)[0].(map[string]any)
	require.Equal(t, first, sh["number"])
	require.Equal(t, "erp", sh["recorded_by"])
	require.Equal(t, false, sh["final"])

	last, err := s.sim.Ship(so, true)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "payment_collection" }, 20*time.Second, 50*time.Millisecond)
	d = s.get(id)
	require.Len(t, d["shipments"].([]any), 2)
	require.Equal(t, last, d["shipments"].([]any)[1].(map[string]any)["number"])
	require.Equal(t, 2, s.historyCount(id, "erp_shipment"), "each delivery applied once")
	require.Equal(t, "wu", d["holder"])
	time.Sleep(500 * time.Millisecond) // the watch's cancellation settles in the history
	testenv.RecordHistory(t, s.tc, workflows.DealWorkflowID(id), "deal_erp_order_shipped.json")
}

// TestOrderWaitingForTheERPIsShown: with the ERP down the order waits; the
// deal says since when and why, and the order is created once the ERP is
// back.
func TestOrderWaitingForTheERPIsShown(t *testing.T) {
	s := setup(t)
	id := s.orderReady("ERP down")
	s.sim.SetFaults(erpsim.Faults{ErrorRate: 1})
	defer s.sim.SetFaults(erpsim.Faults{})
	placed := time.Now()
	s.act(id, "wang", 200, stockOrder())
	o := s.waitOrder(id, func(o map[string]any) bool { return erpOf(o)["waiting"] != nil })
	w := erpOf(o)["waiting"].(map[string]any)
	require.Equal(t, "order", w["for"])
	since, err := time.Parse(time.RFC3339Nano, w["since"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, placed, since, 5*time.Second, "waiting since the order was placed")
	require.Contains(t, w["last_error"], "HTTP 5")
	require.Equal(t, "waiting", erpOf(o)["status"])
	require.Empty(t, s.sim.OrdersFor(id))
	// The deal's page says it too: "订单自 今天 10:02 起等待 ERP".
	page := pagesSession(t, s, "wang").do("GET", "/deals/"+id, "", "")
	require.Equal(t, http.StatusOK, page.status)
	require.Regexp(t, "订单自 [^<]*"+since.In(shanghai).Format("15:04")+" 起等待 ERP", page.body)

	s.sim.SetFaults(erpsim.Faults{})
	o = s.waitOrder(id, erpStatusIs("created"))
	require.Nil(t, erpOf(o)["waiting"])
	require.Len(t, s.sim.OrdersFor(id), 1)
}

// TestOrderControlERPOrderCannotBeOverridden: once the ERP holds the deal's
// order, neither the sales owner, their manager nor an admin can put another
// order number on the deal or ship it by hand as a
// seller; each is refused and nothing changes.
func TestOrderControlERPOrderCannotBeOverridden(t *testing.T) {
	s := setup(t)
	id := s.orderReady("Override")
	s.act(id, "wang", 200, stockOrder())
	no := s.waitOrder(id, erpStatusIs("created"))["erp_number"].(string)
	// The ERP confirms the promised day; then the deal is still.
	require.Eventually(t, func() bool { return s.historyCount(id, "erp_confirmed") == 1 }, 20*time.Second, 50*time.Millisecond)
	other := s.dealERPOrder(s.get(id)["customer"].(map[string]any)["code"].(string))
	before := s.dealSnapshot(id)
	relink := `{"action":"place_order","kind":"stock","delivery_due":"` + future(20) + `","erp_order_no":"` + other + `"}`
	for _, who := range []string{"wang", "li", "admin"} {
		s.act(id, who, 409, relink) // the order is placed: there is no order stage to place it in again
	}
	r := s.act(id, "wang", 403, `{"action":"record_shipment","shipment_no":"FAKE-1","shipped_on":"`+today()+`","final":true}`)
	require.Contains(t, r.raw, "forbidden")
	require.Equal(t, before, s.dealSnapshot(id), "nothing changed")
	require.Equal(t, no, s.get(id)["order"].(map[string]any)["erp_number"])
	require.Equal(t, []string{no}, s.sim.OrdersFor(id), "no second order in the ERP")
}
