package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/deal"
)

// The order in the ERP and its delivery (issue 12), for deals that run it
// (deal.Deal.ERPOrders): placeOrder creates the order in the ERP, the
// delivery follow-up reminds, alerts and escalates against the promised day
// and watches the ERP's shipments of the order.

// ERPOrderChange versions the deal workflow: from version 1 the deal creates
// its order in the ERP (a custom one after its review), reads the ERP's
// shipments of it, and follows the promised day with the delivery owner and
// their manager instead of flagging it once. It is read once at the start:
// deals started before keep orders typed by a person.
const ERPOrderChange = "erp-orders"

// ERPOrderResendChange versions the deal workflow again: from version 1 an
// order a person re-sent after the ERP refused it (resend_order) is created
// under a request ID of its own round ("order/<deal>/resend-<n>"), since an
// ERP may answer a repeated Repeatability-Request-ID with the refusal it gave
// it. It is read when a re-sent order is first asked for; an order never
// refused is asked for as before.
const ERPOrderResendChange = "erp-order-resend"

// erpOrderAttempts is how many times one round asks the ERP to create the
// order before the deal shows it waiting; the rounds go on, further apart.
const erpOrderAttempts = 2

// erpOrderOptions: an order to the ERP is retried fast at first (the
// connector itself retries 429 and 5xx, honouring Retry-After), and a
// refusal is not retried at all.
var erpOrderOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 3 * time.Minute,
	// The activity heartbeats while it waits on the ERP: one whose worker
	// died is tried again within seconds.
	HeartbeatTimeout: 5 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    30 * time.Second,
		MaximumAttempts:    erpOrderAttempts,
		NonRetryableErrorTypes: []string{activities.ErrTypeERPInvalid, activities.ErrTypeERPNotFound,
			activities.ErrTypeERPConflict},
	},
}

// erpWaitEvery is how often a deal whose ERP keeps failing says so again in
// its history (the first failure always).
const erpWaitEvery = time.Hour

// placeOrder creates the deal's order in the ERP whenever the deal needs one
// (deal.NeedsERPOrder: in delivery, a stock order placed or a custom order
// approved, no order linked). It runs beside the deal for the deal's life.
// A check that must pass before an order reaches the ERP (credit, issue 12
// item 3) belongs here, before createERPOrder.
func (p *dealProcess) placeOrder(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return p.deal.NeedsERPOrder() || p.deal.Stage.Terminal() }); err != nil {
			return
		}
		if p.deal.Stage.Terminal() {
			return
		}
		if !p.createERPOrder(ctx) {
			return
		}
	}
}

// createERPOrder asks the ERP to create the order until it does or refuses
// it. The connector finds an order an earlier attempt created (the deal's ID
// is the customer's reference) and sends a Repeatability-Request-ID, so a
// retry never makes a second order. While the ERP is down, slow or
// rate-limiting, the deal shows since when it waits and why. It returns
// false when the workflow is ending.
func (p *dealProcess) createERPOrder(ctx workflow.Context) bool {
	var a *activities.ERP
	actx := workflow.WithActivityOptions(ctx, erpOrderOptions)
	pause, attempts := 5*time.Second, 0
	for p.deal.NeedsERPOrder() {
		in := p.salesOrder()
		if n := p.deal.Order.ERP.Resends; n > 0 && workflow.GetVersion(ctx, ERPOrderResendChange, workflow.DefaultVersion, 1) == 1 {
			in.Key = fmt.Sprintf("%s/resend-%d", in.Key, n)
		}
		var res activities.CreateSalesOrderResult
		err := workflow.ExecuteActivity(actx, a.CreateSalesOrder, in).Get(ctx, &res)
		if ctx.Err() != nil {
			return false
		}
		var appErr *temporal.ApplicationError
		switch {
		case err == nil:
			p.logIfNotApplied(ctx, "ERP order", p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
				return deal.OrderCreatedInERP(d, res.Number, now)
			}))
			return true
		case errors.As(err, &appErr) && appErr.NonRetryable():
			p.logIfNotApplied(ctx, "ERP order refusal", p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
				return deal.OrderRefusedByERP(d, appErr.Message(), now)
			}))
			return true
		}
		attempts += erpOrderAttempts
		if w := p.deal.Order.ERP.Waiting; w == nil || workflow.Now(ctx).Sub(w.LastErrorAt) >= erpWaitEvery {
			msg := runErrorText(err)
			p.logIfNotApplied(ctx, "ERP wait", p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
				return deal.ERPWaitingFor(d, deal.WaitOrder, attempts, msg, now)
			}))
		}
		if _, err := workflow.AwaitWithTimeout(ctx, pause, func() bool { return !p.deal.NeedsERPOrder() }); err != nil {
			return false
		}
		pause = min(pause*2, 10*time.Minute)
	}
	return true
}

// salesOrder is the order as the ERP is asked to create it.
func (p *dealProcess) salesOrder() activities.CreateSalesOrderInput {
	d := &p.deal
	o := d.Order
	due := time.Date(o.DeliveryDue.Year, time.Month(o.DeliveryDue.Month), o.DeliveryDue.Day, 0, 0, 0, 0, time.UTC)
	in := activities.CreateSalesOrderInput{Key: "order/" + d.ID, FirstSent: o.ERP.Since, Customer: d.Customer.Code,
		CustomerRef: d.ID, Currency: d.Currency, RequestedDelivery: due}
	for _, l := range o.Lines {
		in.Items = append(in.Items, activities.SalesOrderItem{Material: l.SKU, Quantity: l.Quantity, NetPrice: int64(l.NetPrice)})
	}
	return in
}

// logIfNotApplied logs a transition the deal refused (the deal moved on
// meanwhile) or could not save.
func (p *dealProcess) logIfNotApplied(ctx workflow.Context, what string, err error) {
	var de *deal.Error
	switch {
	case err == nil:
	case errors.As(err, &de):
		workflow.GetLogger(ctx).Info(what+" not applied", "deal", p.deal.ID, "reason", de.Error())
	default:
		workflow.GetLogger(ctx).Error(what+" failed", "deal", p.deal.ID, "error", err)
	}
}

// followDelivery follows the delivery while the deal is in it: each step of
// the follow-up (reminder, alert, escalations) at the time PlanDelivery
// works out on the working calendar, and beside them the watch on the
// ERP's shipments of the order. It returns when the deal leaves delivery.
func (p *dealProcess) followDelivery(ctx workflow.Context) error {
	plan, err := p.planDelivery(ctx)
	if err != nil {
		return err
	}
	wctx, stopWatch := workflow.WithCancel(ctx)
	defer stopWatch()
	workflow.Go(wctx, func(ctx workflow.Context) { p.watchShipments(ctx, plan) })
	for p.deal.FollowsDelivery() {
		version := p.deal.Version
		moved := func() bool { return p.deal.Version != version }
		if wait := plan.At.Sub(workflow.Now(ctx)); wait > 0 {
			movedInTime, err := workflow.AwaitWithTimeout(ctx, wait, moved)
			if err != nil {
				return err
			}
			if movedInTime {
				if p.deal.FollowsDelivery() && p.deal.Owners.Delivery != "" {
					// A shipment, a new owner or a notice: plan again from the deal as it now is.
					if plan, err = p.planDelivery(ctx); err != nil {
						return err
					}
				}
				continue
			}
		}
		kind, manager := p.deal.NextDeliveryNotice(), plan.Manager
		p.logIfNotApplied(ctx, "delivery notice", p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
			return deal.NoticeDelivery(d, kind, manager, now)
		}))
		if !p.deal.FollowsDelivery() {
			break
		}
		if plan, err = p.planDelivery(ctx); err != nil {
			return err
		}
	}
	return nil
}

// planDelivery asks when the next step of the follow-up is due.
func (p *dealProcess) planDelivery(ctx workflow.Context) (activities.PlanDeliveryResult, error) {
	var a *activities.Deliveries
	o := p.deal.Order
	in := activities.PlanDeliveryInput{DealID: p.deal.ID, Owner: p.deal.Owners.Delivery, Promised: o.DeliveryDue,
		Notice: p.deal.NextDeliveryNotice()}
	if f := o.FollowUp; f != nil && f.EscalatedAt != nil {
		in.Last = *f.EscalatedAt
	}
	var plan activities.PlanDeliveryResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, saveOptions), a.PlanDelivery, in).Get(ctx, &plan)
	return plan, err
}

// watchShipments applies what the ERP shipped against the order, each
// delivery once (by its number), for as long as ctx lives: the final one
// moves the deal to payment collection. An ERP that stops answering is shown
// on the deal, and shown answering again. An ERP that cannot say what it
// shipped (an exchange folder) is not asked again; people record shipments.
func (p *dealProcess) watchShipments(ctx workflow.Context, plan activities.PlanDeliveryResult) {
	var a *activities.ERP
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: plan.ShipmentWait + time.Minute,
		HeartbeatTimeout:    plan.WatchHeartbeat,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeERPInvalid, activities.ErrTypeERPNotFound}},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return p.deal.Order.ERPNumber != "" }); err != nil {
			return
		}
		o := p.deal.Order
		in := activities.WatchShipmentsInput{SalesOrder: o.ERPNumber, Poll: plan.ShipmentPoll, Wait: plan.ShipmentWait,
			Failing: o.ERP != nil && o.ERP.Waiting != nil && o.ERP.Waiting.For == deal.WaitShipments}
		for _, s := range p.deal.Shipments {
			in.Known = append(in.Known, s.Number)
		}
		for _, l := range o.Lines {
			var day time.Time
			if l.Confirmed != nil {
				day = time.Date(l.Confirmed.Year, time.Month(l.Confirmed.Month), l.Confirmed.Day, 0, 0, 0, 0, time.UTC)
			}
			in.Confirmed = append(in.Confirmed, day)
		}
		var res activities.WatchShipmentsResult
		err := workflow.ExecuteActivity(actx, a.WatchShipments, in).Get(ctx, &res)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			workflow.GetLogger(ctx).Warn("shipments are not read from the ERP; record them by hand", "deal", p.deal.ID, "error", err)
			return
		}
		switch {
		case res.Failing && !in.Failing:
			p.logIfNotApplied(ctx, "ERP wait", p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
				return deal.ERPWaitingFor(d, deal.WaitShipments, res.Attempts, res.LastError, now)
			}))
		case !res.Failing && in.Failing:
			p.logIfNotApplied(ctx, "ERP answer", p.transition(ctx, deal.ERPAnswered))
		}
		if res.Confirmed != nil {
			days := make([]deal.Date, len(res.Confirmed))
			for i, t := range res.Confirmed {
				if !t.IsZero() {
					days[i] = deal.DateOf(t.UTC())
				}
			}
			err := p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
				return deal.ConfirmedByERP(d, days, now)
			})
			if !errors.Is(err, deal.ErrAlreadyRecorded) {
				p.logIfNotApplied(ctx, "ERP confirmed dates", err)
			}
		}
		for _, s := range res.Shipments {
			shipment := deal.Shipment{Number: s.Number, ShippedOn: deal.DateOf(s.ShippedOn.UTC()), Final: s.Final}
			err := p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
				return deal.ShipmentFromERP(d, shipment, now)
			})
			if !errors.Is(err, deal.ErrAlreadyRecorded) {
				p.logIfNotApplied(ctx, "ERP shipment", err)
			}
		}
		if len(res.Shipments) == 0 && res.Confirmed == nil && res.Failing == in.Failing {
			// Nothing new for a whole watch: wait a poll before the next.
			if err := workflow.Sleep(ctx, plan.ShipmentPoll); err != nil {
				return
			}
		}
	}
}
