package workflows

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// toDelivery takes an ERP-order deal to an order placed of kind, due on due:
// quote, acceptance, contract approved, order placed (5 minutes in).
func (dt *dealTest) toDelivery(kind deal.OrderKind, due deal.Date) []error {
	errs := make([]error, 4)
	dt.at(1*time.Minute, wang, quote, &errs[0])
	dt.at(2*time.Minute, wang, deal.Action{Name: deal.ActAcceptQuote}, &errs[1])
	dt.at(3*time.Minute, wang, deal.Action{Name: deal.ActSubmitContract, ContractNo: "HT-1", Amount: amount("10000")}, &errs[2])
	dt.review(4*time.Minute, "contract_review.D-1.1", approval.StatusApproved, "li")
	dt.at(5*time.Minute, wang, deal.Action{Name: deal.ActPlaceOrder, Kind: kind, DeliveryDue: due}, &errs[3])
	return errs
}

// deliverFor runs the deal to an order placed of kind, due on due (see
// toDelivery), for d of workflow time, with whatever else the test has
// scheduled, and requires each step to have been taken.
func (dt *dealTest) deliverFor(kind deal.OrderKind, due deal.Date, d time.Duration) {
	errs := dt.toDelivery(kind, due)
	dt.env.RegisterDelayedCallback(dt.env.CancelWorkflow, d)
	dt.run()
	for i, err := range errs {
		require.NoError(dt.t, err, "action %d", i)
	}
}

func (dt *dealTest) actions() []string {
	var out []string
	for _, s := range dt.saved {
		out = append(out, s.Entry.Action)
	}
	return out
}

func (dt *dealTest) savedAction(action string) []activities.SaveDealInput {
	var out []activities.SaveDealInput
	for _, s := range dt.saved {
		if s.Entry.Action == action {
			out = append(out, s)
		}
	}
	return out
}

func recipients(s activities.SaveDealInput) []string {
	var out []string
	for _, n := range s.Notices {
		out = append(out, n.Recipient)
	}
	return out
}

var ownersToDeliver = deal.Owners{Delivery: "zhou", Payment: "wu"}

// TestERPOrderCreatedOnceThroughADownERP: the ERP fails the first three
// creates (down); the deal shows since when it waits and why, asks again
// with the same key and reference, and stores the ERP's number once.
func TestERPOrderCreatedOnceThroughADownERP(t *testing.T) {
	dt := newERPDealTest(t, deal.Opening{Title: "Spindles", Customer: deal.Customer{Code: "C1001", Name: "Suzhou"}, Owners: ownersToDeliver})
	dt.erpCreate = func(in activities.CreateSalesOrderInput) (activities.CreateSalesOrderResult, error) {
		if len(dt.erpOrders) <= 3 {
			return activities.CreateSalesOrderResult{}, temporal.NewApplicationError("ERP unavailable (HTTP 503)", activities.ErrTypeERPUnavailable)
		}
		return activities.CreateSalesOrderResult{Number: "0000001234"}, nil
	}
	var waiting, created deal.Deal
	dt.status(5*time.Minute+3*time.Second, &waiting)
	dt.status(2*time.Hour, &created)
	dt.deliverFor(deal.OrderStock, deal.Date{Year: 2026, Month: 11, Day: 30}, 3*time.Hour)

	require.Equal(t, deal.StageDelivery, waiting.Stage, "a stock order is in delivery while it waits for the ERP")
	require.Equal(t, deal.ERPOrderWaiting, waiting.Order.ERP.Status)
	require.NotNil(t, waiting.Order.ERP.Waiting, "the deal shows the ERP not answering")
	require.Equal(t, deal.WaitOrder, waiting.Order.ERP.Waiting.For)
	require.Equal(t, start.Add(5*time.Minute), waiting.Order.ERP.Waiting.Since, "waiting since the order was placed")
	require.Contains(t, waiting.Order.ERP.Waiting.LastError, "503")

	require.Equal(t, "0000001234", created.Order.ERPNumber)
	require.Equal(t, deal.ERPOrderCreated, created.Order.ERP.Status)
	require.Nil(t, created.Order.ERP.Waiting)
	require.Len(t, dt.erpOrders, 4)
	for _, o := range dt.erpOrders {
		require.Equal(t, dt.erpOrders[0], o, "every attempt is the same order: same key, reference and first-sent")
	}
	o := dt.erpOrders[0]
	require.Equal(t, "order/D-1", o.Key)
	require.Equal(t, "D-1", o.CustomerRef)
	require.Equal(t, "C1001", o.Customer)
	require.Equal(t, []activities.SalesOrderItem{{Material: "SP-100", Quantity: 4, NetPrice: 250000}}, o.Items)
	require.Len(t, dt.savedAction("erp_order_created"), 1, "created once")
	require.Len(t, dt.savedAction("erp_waiting"), 1, "the wait is said once an hour at most")
}

// TestERPCustomOrderAfterItsReview: a custom order reaches the ERP only
// once its review approves it, and waits from the approval.
func TestERPCustomOrderAfterItsReview(t *testing.T) {
	dt := newERPDealTest(t, deal.Opening{Title: "Special press", Customer: deal.Customer{Code: "C1002", Name: "Ningbo"}, Owners: ownersToDeliver})
	var inReview deal.Deal
	dt.status(time.Hour, &inReview)
	dt.review(2*time.Hour, "custom_order.D-1.1", approval.StatusApproved, "li")
	dt.deliverFor(deal.OrderCustom, deal.Date{Year: 2026, Month: 11, Day: 30}, 3*time.Hour)
	require.Equal(t, deal.StageOrder, inReview.Stage)
	require.Equal(t, deal.ERPOrderWaiting, inReview.Order.ERP.Status)
	require.Len(t, dt.cases, 2, "the contract and the custom order were reviewed")
	require.Len(t, dt.erpOrders, 1)
	require.Equal(t, start.Add(2*time.Hour), dt.erpOrders[0].FirstSent, "sent once approved")
	require.Equal(t, []string{"open", "submit_quote", "accept_quote", "submit_contract", "review_approved", "place_order",
		"review_approved", "erp_order_created"}, dt.actions()[:8])
}

// TestERPShipmentsPartialThenFinal: the ERP ships part, then the rest; each
// delivery is applied once (the watch reports one again), and the final one
// moves the deal to payment collection by itself.
func TestERPShipmentsPartialThenFinal(t *testing.T) {
	dt := newERPDealTest(t, deal.Opening{Title: "Gearboxes", Customer: deal.Customer{Code: "C1003", Name: "Wuxi"}, Owners: ownersToDeliver})
	shipped := []activities.ShipmentRecord{
		{Number: "8000000001", ShippedOn: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)},
		{Number: "8000000002", ShippedOn: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), Final: true},
	}
	watches := 0
	dt.erpWatch = func(in activities.WatchShipmentsInput) (activities.WatchShipmentsResult, error) {
		watches++
		require.Equal(t, "SO-D-1", in.SalesOrder)
		switch watches {
		case 1:
			return activities.WatchShipmentsResult{Shipments: shipped[:1]}, nil
		case 2: // the same delivery again, as a retried watch might
			return activities.WatchShipmentsResult{Shipments: shipped[:1]}, nil
		}
		return activities.WatchShipmentsResult{Shipments: shipped}, nil
	}
	dt.deliverFor(deal.OrderStock, deal.Date{Year: 2026, Month: 11, Day: 30}, 48*time.Hour)
	ships := dt.savedAction("erp_shipment")
	require.Len(t, ships, 2, "each delivery once")
	last := ships[1].Deal
	require.Equal(t, deal.StagePaymentCollection, last.Stage)
	require.Len(t, last.Shipments, 2)
	require.Equal(t, deal.ERPActor, last.Shipments[0].RecordedBy)
	require.Equal(t, deal.Date{Year: 2026, Month: 11, Day: 5}, last.Shipments[1].ShippedOn)
	require.True(t, last.Shipments[1].Final)
	require.Equal(t, "wu", last.Holder, "the payment owner holds it now")
}

// TestERPShipmentReadsFailingAreShown: the ERP stops answering shipment
// reads; the deal says so, and says so again when it answers.
func TestERPShipmentReadsFailingAreShown(t *testing.T) {
	dt := newERPDealTest(t, deal.Opening{Title: "Gearboxes", Customer: deal.Customer{Code: "C1003", Name: "Wuxi"}, Owners: ownersToDeliver})
	watches := 0
	dt.erpWatch = func(in activities.WatchShipmentsInput) (activities.WatchShipmentsResult, error) {
		watches++
		if watches == 1 {
			return activities.WatchShipmentsResult{Failing: true, Attempts: 3, LastError: "HTTP 429: too many requests"}, nil
		}
		if watches == 2 {
			require.True(t, in.Failing, "the watch knows the deal shows the ERP failing: %v", dt.actions())
		}
		return activities.WatchShipmentsResult{}, nil
	}
	dt.deliverFor(deal.OrderStock, deal.Date{Year: 2026, Month: 11, Day: 30}, time.Hour)
	wait := dt.savedAction("erp_waiting")
	require.Len(t, wait, 1)
	require.Equal(t, deal.WaitShipments, wait[0].Deal.Order.ERP.Waiting.For)
	require.Contains(t, wait[0].Entry.Reason, "429")
	back := dt.savedAction("erp_answered")
	require.Len(t, back, 1)
	require.Nil(t, back[0].Deal.Order.ERP.Waiting)
}

// TestLateDeliveryRemindedAlertedEscalated: promised for Friday 20 Nov, the
// delivery owner is reminded three working days before (Tuesday 09:00),
// alerted on the day, and, past a grace of one working day, their manager
// is told on Tuesday 24th and every working day after until it ships.
func TestLateDeliveryRemindedAlertedEscalated(t *testing.T) {
	dt := newERPDealTest(t, deal.Opening{Title: "Gearboxes", Customer: deal.Customer{Code: "C1003", Name: "Wuxi"}, Owners: ownersToDeliver})
	var shipErr error
	// Thursday 26 Nov, 12:00 in Shanghai: shipped at last.
	shipAt := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC).Sub(start)
	dt.at(shipAt, zhou, deal.Action{Name: deal.ActRecordShipment, ShipmentNo: "S-1", ShippedOn: deal.Date{Year: 2026, Month: 11, Day: 26}, Final: true}, &shipErr)
	var late deal.Deal
	dt.status(shipAt-time.Hour, &late)
	dt.deliverFor(deal.OrderStock, deal.Date{Year: 2026, Month: 11, Day: 20}, shipAt+10*24*time.Hour)
	require.NoError(t, shipErr)

	nineAM := func(day int) time.Time { return time.Date(2026, 11, day, 1, 0, 0, 0, time.UTC) }
	reminder := dt.savedAction(string(deal.NoticeReminder))
	require.Len(t, reminder, 1)
	require.Equal(t, nineAM(17), reminder[0].Entry.At)
	require.Equal(t, []string{"zhou"}, recipients(reminder[0]))
	alert := dt.savedAction(string(deal.NoticeDueToday))
	require.Len(t, alert, 1)
	require.Equal(t, nineAM(20), alert[0].Entry.At)
	require.Equal(t, []string{"zhou"}, recipients(alert[0]))
	esc := dt.savedAction(string(deal.NoticeEscalation))
	require.Len(t, esc, 3, "Tuesday, Wednesday and Thursday, each at the start of the working day; shipped at noon")
	require.Equal(t, nineAM(24), esc[0].Entry.At)
	require.Equal(t, nineAM(25), esc[1].Entry.At)
	require.Equal(t, nineAM(26), esc[2].Entry.At)
	require.Equal(t, []string{"boss", "zhou"}, recipients(esc[0]))
	require.Empty(t, dt.savedAction("delivery_overdue"), "the old flag is not raised on these deals")

	// The sales owner sees it on the deal.
	require.NotNil(t, late.Order.FollowUp)
	require.Equal(t, "boss", late.Order.FollowUp.EscalatedTo)
	require.GreaterOrEqual(t, late.Order.FollowUp.Escalations, 2)
}

// TestERPOrderRefused: an order the ERP refuses is not retried; the sales
// and delivery owners are told why.
func TestERPOrderRefused(t *testing.T) {
	dt := newERPDealTest(t, deal.Opening{Title: "Spindles", Customer: deal.Customer{Code: "NOPE", Name: "Nobody"}, Owners: ownersToDeliver})
	dt.erpCreate = func(activities.CreateSalesOrderInput) (activities.CreateSalesOrderResult, error) {
		return activities.CreateSalesOrderResult{}, temporal.NewNonRetryableApplicationError("Sold-to party NOPE does not exist",
			activities.ErrTypeERPInvalid, nil)
	}
	dt.deliverFor(deal.OrderStock, deal.Date{Year: 2026, Month: 11, Day: 30}, time.Hour)
	require.Len(t, dt.erpOrders, 1, "a refusal is not retried")
	refused := dt.savedAction("erp_order_refused")
	require.Len(t, refused, 1)
	require.Equal(t, deal.ERPOrderRefused, refused[0].Deal.Order.ERP.Status)
	require.Contains(t, refused[0].Deal.Order.ERP.Error, "NOPE does not exist")
	require.Equal(t, []string{"wang", "zhou"}, recipients(refused[0]))
}

// TestERPOrderResentAfterARefusal: the ERP refuses the order; the delivery
// owner may not re-send it, a sales assistant does (resend_order) once the
// cause is fixed (a material corrected; a line that is not one refused),
// and the deal asks the ERP again under the round's own request ID and the same reference, stores
// the ERP's number once and follows the delivery.
func TestERPOrderResentAfterARefusal(t *testing.T) {
	dt := newERPDealTest(t, deal.Opening{Title: "Spindles", Customer: deal.Customer{Code: "C1001", Name: "Suzhou"}, Owners: ownersToDeliver})
	dt.erpCreate = func(in activities.CreateSalesOrderInput) (activities.CreateSalesOrderResult, error) {
		if len(dt.erpOrders) == 1 {
			return activities.CreateSalesOrderResult{}, temporal.NewNonRetryableApplicationError(
				"Sold-to party C1001 is blocked for sales orders (order block 01)", activities.ErrTypeERPInvalid, nil)
		}
		return activities.CreateSalesOrderResult{Number: "SO-" + in.CustomerRef}, nil
	}
	var early, badLine, resent, again error
	dt.at(10*time.Minute, zhou, deal.Action{Name: deal.ActResendOrder}, &early)
	assistant := identity.User{ID: "zhao", Roles: []identity.Role{identity.RoleSalesAssistant}}
	dt.at(20*time.Minute, assistant, deal.Action{Name: deal.ActResendOrder, Payload: json.RawMessage(`{"lines":[{"line":2,"sku":"SP-9"}]}`)}, &badLine)
	dt.at(30*time.Minute, assistant, deal.Action{Name: deal.ActResendOrder, Reason: "order block lifted",
		Payload: json.RawMessage(`{"lines":[{"line":1,"sku":" SP-100 "}]}`)}, &resent)
	dt.at(40*time.Minute, wang, deal.Action{Name: deal.ActResendOrder}, &again)
	dt.deliverFor(deal.OrderStock, deal.Date{Year: 2026, Month: 11, Day: 30}, time.Hour)
	require.ErrorContains(t, early, "only the sales owner", "the delivery owner may not re-send")
	require.ErrorContains(t, badLine, "lines[0].line")
	require.NoError(t, resent)
	require.ErrorContains(t, again, "nothing to re-send")
	require.Len(t, dt.erpOrders, 2)
	require.Equal(t, "order/D-1", dt.erpOrders[0].Key)
	require.Equal(t, "order/D-1/resend-1", dt.erpOrders[1].Key, "a round of its own")
	require.Equal(t, dt.erpOrders[0].CustomerRef, dt.erpOrders[1].CustomerRef, "found again by the same reference")
	require.Equal(t, "SP-100", dt.erpOrders[1].Items[0].Material, "the material corrected")
	require.Equal(t, dt.erpOrders[0].Items[0].Quantity, dt.erpOrders[1].Items[0].Quantity)
	require.Contains(t, dt.savedAction("resend_order")[0].Entry.Reason, "order block lifted; line 1 material")
	require.Equal(t, []string{"erp_order_refused", "resend_order", "erp_order_created"},
		slices.DeleteFunc(dt.actions(), func(a string) bool {
			return a != "erp_order_refused" && a != "resend_order" && a != "erp_order_created"
		}))
	created := dt.savedAction("erp_order_created")[0].Deal.Order
	require.Equal(t, "SO-D-1", created.ERPNumber)
	require.Equal(t, 1, created.ERP.Resends)
	require.Empty(t, created.ERP.Error)
}

// TestERPOrderSentToAnExchangeFolder: an ERP that imports files gives no
// number; the order is sent, and no shipments are asked for.
func TestERPOrderSentToAnExchangeFolder(t *testing.T) {
	dt := newERPDealTest(t, deal.Opening{Title: "Spindles", Customer: deal.Customer{Code: "C1001", Name: "Suzhou"}, Owners: ownersToDeliver})
	dt.erpCreate = func(activities.CreateSalesOrderInput) (activities.CreateSalesOrderResult, error) {
		return activities.CreateSalesOrderResult{}, nil
	}
	dt.erpWatch = func(activities.WatchShipmentsInput) (activities.WatchShipmentsResult, error) {
		t.Error("no order number, no watch")
		return activities.WatchShipmentsResult{}, nil
	}
	dt.deliverFor(deal.OrderStock, deal.Date{Year: 2026, Month: 11, Day: 30}, time.Hour)
	sent := dt.savedAction("erp_order_created")
	require.Len(t, sent, 1)
	require.Equal(t, deal.ERPOrderSent, sent[0].Deal.Order.ERP.Status)
	require.Empty(t, sent[0].Deal.Order.ERPNumber)
}

// TestERPConfirmsLaterThanPromised: the ERP confirms the line for three days
// after the promised one; the deal records it and the delivery and sales
// owners hear of it, once.
func TestERPConfirmsLaterThanPromised(t *testing.T) {
	dt := newERPDealTest(t, deal.Opening{Title: "Gearboxes", Customer: deal.Customer{Code: "C1003", Name: "Wuxi"}, Owners: ownersToDeliver})
	later := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	dt.erpWatch = func(in activities.WatchShipmentsInput) (activities.WatchShipmentsResult, error) {
		if len(in.Confirmed) == 1 && in.Confirmed[0].Equal(later) {
			return activities.WatchShipmentsResult{}, nil
		}
		return activities.WatchShipmentsResult{Confirmed: []time.Time{later}}, nil
	}
	dt.deliverFor(deal.OrderStock, deal.Date{Year: 2026, Month: 11, Day: 30}, time.Hour)
	conf := dt.savedAction("erp_confirmed")
	require.Len(t, conf, 1)
	require.Equal(t, deal.Date{Year: 2026, Month: 12, Day: 3}, *conf[0].Deal.Order.Lines[0].Confirmed)
	require.Contains(t, conf[0].Entry.Reason, "later than promised")
	require.Equal(t, []string{"zhou", "wang"}, recipients(conf[0]))
}
