package deal

import (
	"fmt"
	"slices"
	"time"
)

// ERPRecord is one record the ERP holds about a deal, as the sync reports it
// to the deal's workflow: exactly one of Invoice and Payment is set. The same
// record sent twice is recorded once (by number or reference).
type ERPRecord struct {
	Invoice *Invoice `json:",omitempty"`
	Payment *Payment `json:",omitempty"`
}

// ERPActor is the actor of records the ERP sync reports.
const ERPActor = "erp"

// ErrAlreadyRecorded is returned when the ERP reports a record the deal already
// has; the sync may send a record more than once, so this is not a failure.
var ErrAlreadyRecorded = &Error{Kind: ErrWrongStage, Message: "already recorded"}

// RecordFromERP adds an invoice or a payment the ERP holds for this deal. The ERP
// is the system of record, so what it says is recorded even when it disagrees
// with the contract (the history says so); what it cannot change is a deal that
// has no order yet or is already finished. Paid in full during payment
// collection closes the deal.
func RecordFromERP(d Deal, inv *Invoice, pay *Payment, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	switch d.Stage {
	case StageOrder, StageDelivery, StagePaymentCollection:
	default:
		return d, HistoryEntry{}, wrongStage("deal %s is %s; ERP records apply from the order until payment", d.ID, d.Stage)
	}
	next := d.clone()
	var action, reason string
	switch {
	case inv != nil:
		if slices.ContainsFunc(d.Invoices, func(i Invoice) bool { return i.Number == inv.Number }) {
			return d, HistoryEntry{}, ErrAlreadyRecorded
		}
		i := *inv
		i.RecordedBy, i.RecordedAt = ERPActor, now
		next.Invoices = append(next.Invoices, i)
		action = "erp_invoice"
		reason = fmt.Sprintf("ERP invoice %s: %s %s due %s", i.Number, i.Amount, d.Currency, i.DueOn)
		if over := next.Invoiced() - next.Contract.Amount; over > 0 {
			reason += fmt.Sprintf("; invoiced exceeds the contract by %s", over)
		}
	case pay != nil:
		if slices.ContainsFunc(d.Payments, func(p Payment) bool { return p.Reference == pay.Reference }) {
			return d, HistoryEntry{}, ErrAlreadyRecorded
		}
		p := *pay
		p.RecordedBy, p.RecordedAt = ERPActor, now
		next.Payments = append(next.Payments, p)
		action = "erp_payment"
		reason = fmt.Sprintf("ERP payment %s: %s %s received", p.Reference, p.Amount, d.Currency)
		closeIfPaid(&next, now)
	default:
		return d, HistoryEntry{}, badField("record", "an ERP record needs an invoice or a payment")
	}
	return next, next.record(d.Stage, ERPActor, action, reason, now), nil
}

// closeIfPaid closes a deal in payment collection once its payments cover the contract.
func closeIfPaid(d *Deal, now time.Time) {
	if d.Stage == StagePaymentCollection && d.Contract != nil && d.Paid() >= d.Contract.Amount {
		d.Stage = StageClosed
		t := now
		d.ClosedAt = &t
	}
}
