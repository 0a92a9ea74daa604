package deal

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/money"
)

// The order in the ERP and its delivery (issue 12), for deals that run it
// (Deal.ERPOrders): the workflow creates the order in the ERP, reads what the
// ERP shipped against it, and follows the promised day with the delivery
// owner and, when it slips, their manager. Everything here is a pure
// transition the workflow applies after its activity has asked the ERP or
// the calendar.

// OrderLine is one line of an order: what the accepted quote priced, and the
// day delivery was promised to the customer.
type OrderLine struct {
	SKU      string       `json:"sku"`
	Quantity int64        `json:"quantity"`
	NetPrice money.Amount `json:"net_price"` // per unit, after the quote's discount
	Promised Date         `json:"promised"`
	// Confirmed is the day the ERP confirms, when it says.
	Confirmed *Date `json:"confirmed,omitempty"`
}

// ERPOrderStatus is where an order stands in the ERP.
type ERPOrderStatus string

const (
	ERPOrderWaiting ERPOrderStatus = "waiting" // to be created; the workflow is asking the ERP
	ERPOrderCreated ERPOrderStatus = "created" // the ERP holds it under Order.ERPNumber
	// ERPOrderSent: written for an ERP that imports files (the exchange
	// folder); its number arrives with its invoices.
	ERPOrderSent    ERPOrderStatus = "sent"
	ERPOrderLinked  ERPOrderStatus = "linked"  // a person named an order the ERP already held
	ERPOrderRefused ERPOrderStatus = "refused" // the ERP refused it; see Error
)

// OrderERP is the order's side in the ERP.
type OrderERP struct {
	Status ERPOrderStatus `json:"status"`
	// Since is when the order began waiting for the ERP: when a stock order
	// was placed, or a custom order's review approved.
	Since  time.Time  `json:"since"`
	DoneAt *time.Time `json:"done_at,omitempty"`
	// Waiting is set while the ERP does not answer (down, slow, refusing
	// with 429): what l2c is waiting for, since when and the last error.
	Waiting *ERPWait `json:"waiting,omitempty"`
	// Error is why the ERP refused the order.
	Error string `json:"error,omitempty"`
	// Resends counts the times a person sent a refused order again
	// (resend_order); each round asks the ERP under a request ID of its own.
	Resends int `json:"resends,omitempty"`
}

// What l2c waits on the ERP for.
const (
	WaitOrder     = "order"     // creating the order
	WaitShipments = "shipments" // reading what was shipped
)

// ERPWait is an ERP that has not answered as it should.
type ERPWait struct {
	For         string    `json:"for"` // WaitOrder or WaitShipments
	Since       time.Time `json:"since"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error"`
	LastErrorAt time.Time `json:"last_error_at"`
}

// DeliveryFollowUp is what was said about the promised day so far.
type DeliveryFollowUp struct {
	RemindedAt  *time.Time `json:"reminded_at,omitempty"`  // to the delivery owner, working days before
	AlertedAt   *time.Time `json:"alerted_at,omitempty"`   // to the delivery owner, on the day
	EscalatedAt *time.Time `json:"escalated_at,omitempty"` // the latest word to their manager
	Escalations int        `json:"escalations,omitempty"`
	EscalatedTo string     `json:"escalated_to,omitempty"`
}

// DeliveryNotice is a step of the delivery follow-up; each is also the
// history action that records it.
type DeliveryNotice string

const (
	NoticeReminder   DeliveryNotice = "delivery_reminder"  // the promised day is near
	NoticeDueToday   DeliveryNotice = "delivery_due_today" // it is today
	NoticeEscalation DeliveryNotice = "delivery_escalated" // it passed, and the grace after it
)

// ReminderWorkdays is how many working days before the promised day the
// delivery owner is reminded.
const ReminderWorkdays = 3

func (o Order) clone() Order {
	c := o
	c.Credit = clonePtr(o.Credit)
	c.Lines = slices.Clone(o.Lines)
	for i := range c.Lines {
		c.Lines[i].Confirmed = clonePtr(c.Lines[i].Confirmed)
	}
	if c.ERP = clonePtr(o.ERP); c.ERP != nil {
		c.ERP.Waiting = clonePtr(c.ERP.Waiting)
	}
	c.FollowUp = clonePtr(o.FollowUp)
	return c
}

// orderLines are the lines of an order placed now: the accepted quote's, at
// its discount, each promised for the order's delivery day. A deal without
// an accepted quote orders its contract as one line.
func orderLines(d *Deal, promised Date) []OrderLine {
	q := d.AcceptedQuote()
	if q == nil {
		if d.Contract == nil {
			return nil
		}
		return []OrderLine{{SKU: d.Contract.Number, Quantity: 1, NetPrice: d.Contract.Amount, Promised: promised}}
	}
	out := make([]OrderLine, len(q.Lines))
	for i, l := range q.Lines {
		net, ok := l.UnitPrice.MulRatio(int64(q.Discount), int64(Hundred))
		if !ok {
			net = l.UnitPrice
		}
		out[i] = OrderLine{SKU: l.SKU, Quantity: l.Quantity, NetPrice: net, Promised: promised}
	}
	return out
}

// NeedsERPOrder reports whether the deal's order is to be created in the ERP
// now: it runs ERP orders, is in delivery, and the ERP has no order yet.
func (d *Deal) NeedsERPOrder() bool {
	return d.ERPOrders && d.Stage == StageDelivery && d.Order != nil && d.Order.ERP != nil &&
		d.Order.ERP.Status == ERPOrderWaiting
}

// FollowsDelivery reports whether the workflow follows the deal's delivery
// (reads shipments, reminds and escalates).
func (d *Deal) FollowsDelivery() bool {
	return d.ERPOrders && d.Stage == StageDelivery && d.Order != nil
}

// NextDeliveryNotice is the follow-up step still to come.
func (d *Deal) NextDeliveryNotice() DeliveryNotice {
	f := d.Order.FollowUp
	switch {
	case f == nil || (f.RemindedAt == nil && f.AlertedAt == nil):
		return NoticeReminder
	case f.AlertedAt == nil:
		return NoticeDueToday
	}
	return NoticeEscalation
}

// erpWaiting returns a copy of d to record the ERP's answer in, and the
// copy's order's ERP side, when the order is waiting to be created.
func erpWaiting(d Deal) (Deal, *OrderERP, error) {
	if d.Order == nil || d.Order.ERP == nil || d.Order.ERP.Status != ERPOrderWaiting {
		return d, nil, wrongStage("deal %s has no order waiting for the ERP", d.ID)
	}
	next := d.clone()
	return next, next.Order.ERP, nil
}

// OrderCreatedInERP records that the ERP holds the order, under number; an
// ERP that imports files gives no number yet (the order is sent).
func OrderCreatedInERP(d Deal, number string, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	next, e, err := erpWaiting(d)
	if err != nil {
		return d, HistoryEntry{}, err
	}
	t := now
	e.DoneAt, e.Waiting = &t, nil
	reason := ""
	if number = strings.TrimSpace(number); number != "" {
		e.Status, next.Order.ERPNumber = ERPOrderCreated, number
		reason = "order created in the ERP as " + number
	} else {
		e.Status = ERPOrderSent
		reason = "order written for the ERP to import; its order number follows with its invoices"
	}
	if waited := now.Sub(e.Since); waited >= time.Minute {
		reason += fmt.Sprintf(" (after waiting %s for the ERP)", waited.Truncate(time.Second))
	}
	return next, next.record(d.Stage, SystemActor, "erp_order_created", reason, now), nil
}

// OrderRefusedByERP records that the ERP refused the order (a customer it does
// not know, a blocked material): retrying cannot help; people must.
func OrderRefusedByERP(d Deal, why string, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	next, e, err := erpWaiting(d)
	if err != nil {
		return d, HistoryEntry{}, err
	}
	e.Status, e.Error, e.Waiting = ERPOrderRefused, why, nil
	return next, next.record(d.Stage, SystemActor, "erp_order_refused", "the ERP refused the order: "+why, now), nil
}

// ERPWaitingFor records that the ERP has not answered what l2c asks (for:
// WaitOrder or WaitShipments) after attempts tries, the last failing with
// lastErr; the wait started at the first failure.
func ERPWaitingFor(d Deal, what string, attempts int, lastErr string, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	if d.Order == nil || d.Order.ERP == nil {
		return d, HistoryEntry{}, wrongStage("deal %s has no order in the ERP", d.ID)
	}
	next := d.clone()
	e := next.Order.ERP
	since := now
	if e.Waiting != nil && e.Waiting.For == what {
		since = e.Waiting.Since
	} else if what == WaitOrder {
		since = e.Since
	}
	e.Waiting = &ERPWait{For: what, Since: since, Attempts: attempts, LastError: lastErr, LastErrorAt: now}
	reason := fmt.Sprintf("%s waiting for the ERP since %s UTC (%d attempts; last: %s)", map[string]string{
		WaitOrder: "order", WaitShipments: "shipments"}[what], since.Format("2006-01-02 15:04"), attempts, lastErr)
	return next, next.record(d.Stage, SystemActor, "erp_waiting", reason, now), nil
}

// ERPAnswered clears a wait for shipments once the ERP answers again.
func ERPAnswered(d Deal, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	if d.Order == nil || d.Order.ERP == nil || d.Order.ERP.Waiting == nil {
		return d, HistoryEntry{}, wrongStage("deal %s waits on no ERP answer", d.ID)
	}
	next := d.clone()
	w := next.Order.ERP.Waiting
	next.Order.ERP.Waiting = nil
	reason := fmt.Sprintf("the ERP answered again (%s waited since %s UTC)", w.For, w.Since.Format("2006-01-02 15:04"))
	return next, next.record(d.Stage, SystemActor, "erp_answered", reason, now), nil
}

// ShipmentFromERP records a delivery the ERP made against the deal's order,
// once by its number; the final one moves the deal to payment collection (and
// closes it, if payments the ERP reported already cover the contract).
func ShipmentFromERP(d Deal, s Shipment, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	if d.Stage != StageDelivery || d.Order == nil {
		return d, HistoryEntry{}, wrongStage("deal %s is %s; shipments apply in delivery", d.ID, d.Stage)
	}
	if slices.ContainsFunc(d.Shipments, func(x Shipment) bool { return x.Number == s.Number }) {
		return d, HistoryEntry{}, ErrAlreadyRecorded
	}
	if strings.TrimSpace(s.Number) == "" {
		return d, HistoryEntry{}, badField("shipment_no", "an ERP delivery needs its number")
	}
	next := d.clone()
	s.RecordedBy, s.RecordedAt = ERPActor, now
	next.Shipments = append(next.Shipments, s)
	reason := fmt.Sprintf("ERP delivery %s shipped on %s", s.Number, s.ShippedOn)
	if s.Final {
		next.Stage = StagePaymentCollection
		closeIfPaid(&next, now)
		reason = fmt.Sprintf("delivered in full: ERP delivery %s shipped on %s", s.Number, s.ShippedOn)
	}
	return next, next.record(d.Stage, ERPActor, "erp_shipment", reason, now), nil
}

// NoticeDelivery records a step of the delivery follow-up: the reminder
// before the promised day, the alert on it, or a word to manager (the
// delivery owner's) once it has passed by the company's grace, repeated
// every working day until the order ships in full.
func NoticeDelivery(d Deal, kind DeliveryNotice, manager string, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	if !d.FollowsDelivery() {
		return d, HistoryEntry{}, wrongStage("deal %s is %s; deliveries are followed in delivery", d.ID, d.Stage)
	}
	if want := d.NextDeliveryNotice(); kind != want {
		return d, HistoryEntry{}, wrongStage("the next delivery notice of %s is %s, not %s", d.ID, want, kind)
	}
	next := d.clone()
	o := next.Order
	if o.FollowUp == nil {
		o.FollowUp = &DeliveryFollowUp{}
	}
	f, t := o.FollowUp, now
	var reason string
	switch kind {
	case NoticeReminder:
		f.RemindedAt = &t
		reason = fmt.Sprintf("delivery promised for %s: %s reminded", o.DeliveryDue, next.Owners.Delivery)
	case NoticeDueToday:
		f.AlertedAt = &t
		reason = fmt.Sprintf("delivery promised for today, %s, has not shipped in full: %s alerted", o.DeliveryDue, next.Owners.Delivery)
	case NoticeEscalation:
		f.EscalatedAt, f.EscalatedTo = &t, manager
		f.Escalations++
		reason = fmt.Sprintf("delivery promised for %s has not shipped in full: %s told (escalation %d)",
			o.DeliveryDue, manager, f.Escalations)
	default:
		return d, HistoryEntry{}, wrongStage("%q is not a delivery notice", kind)
	}
	return next, next.record(d.Stage, SystemActor, string(kind), reason, now), nil
}

// ConfirmedByERP records the delivery days the ERP confirms for the order's
// lines (days, by line; a zero day says nothing). A day later than the one
// promised is said in the history, and the delivery and sales owners hear of
// it (Notices).
func ConfirmedByERP(d Deal, days []Date, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	if d.Order == nil || len(d.Order.Lines) == 0 {
		return d, HistoryEntry{}, wrongStage("deal %s has no order lines", d.ID)
	}
	next := d.clone()
	var confirmed, later []string
	for i := range next.Order.Lines {
		l := &next.Order.Lines[i]
		if i >= len(days) || days[i].IsZero() || (l.Confirmed != nil && *l.Confirmed == days[i]) {
			continue
		}
		day := days[i]
		l.Confirmed = &day
		confirmed = append(confirmed, fmt.Sprintf("%s on %s", l.SKU, day))
		if l.Promised.Before(day) {
			later = append(later, fmt.Sprintf("%s (promised %s)", l.SKU, l.Promised))
		}
	}
	if len(confirmed) == 0 {
		return d, HistoryEntry{}, ErrAlreadyRecorded
	}
	reason := "the ERP confirms delivery of " + strings.Join(confirmed, ", ")
	if len(later) > 0 {
		reason += "; later than promised: " + strings.Join(later, ", ")
	}
	return next, next.record(d.Stage, ERPActor, "erp_confirmed", reason, now), nil
}

// ConfirmedLate reports whether the ERP confirms a line later than promised.
func (o *Order) ConfirmedLate() bool {
	for _, l := range o.Lines {
		if l.Confirmed != nil && l.Promised.Before(*l.Confirmed) {
			return true
		}
	}
	return false
}
