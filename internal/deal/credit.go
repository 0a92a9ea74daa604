package deal

import (
	"time"

	"github.com/l2c/l2c/internal/money"
)

// CreditHold is an order held by the credit check (issue 12): the customer's
// exposure was over the limit, an invoice overdue beyond the policy, or the
// customer blocked in the ERP. The order is recorded but stays in the order
// stage until the hold (its own workflow, credit-hold/{ID}) is released; a
// refused hold leaves the order to be placed again.
type CreditHold struct {
	ID      string       `json:"id"`
	Status  CreditStatus `json:"status"`
	Summary string       `json:"summary"` // why, in one line
	// Exposure and Limit as the check saw them (Limit nil: none recorded).
	Exposure  money.Amount  `json:"exposure"`
	Limit     *money.Amount `json:"limit,omitempty"`
	HeldAt    time.Time     `json:"held_at"`
	SettledBy string        `json:"settled_by,omitempty"`
	SettledAt *time.Time    `json:"settled_at,omitempty"`
	Note      string        `json:"note,omitempty"`
}

// CreditStatus is where a hold stands.
type CreditStatus string

const (
	CreditHeld     CreditStatus = "held"
	CreditReleased CreditStatus = "released"
	CreditRefused  CreditStatus = "refused"
)

// CreditHeld reports whether the order waits for its credit hold.
func (o *Order) CreditHeld() bool {
	return o != nil && o.Credit != nil && o.Credit.Status == CreditHeld
}

// HoldForCredit turns a place_order transition (prev → next, entry) into the
// same order held for credit: the order is recorded, the deal stays in the
// order stage, and finance holds it. hold.ID is set by the caller. A custom
// order keeps its order review, which runs alongside the hold.
func HoldForCredit(prev, next Deal, entry HistoryEntry, hold CreditHold) (Deal, HistoryEntry) {
	if next.Order == nil {
		return next, entry
	}
	hold.Status, hold.HeldAt = CreditHeld, entry.At
	next.Order.Credit = &hold
	next.Stage, next.StageEnteredAt = prev.Stage, prev.StageEnteredAt
	next.Holder = next.holder()
	entry.To = next.Stage
	entry.Reason += "; held for credit: " + hold.Summary
	return next, entry
}

// SettleCreditHold applies the end of hold id: released, the order goes on
// (to delivery, once a custom order's review is approved too); refused, it
// stays in the order stage to be placed again (with an advance, say).
func SettleCreditHold(d Deal, id string, released bool, by, note string, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	if d.Stage != StageOrder || !d.Order.CreditHeld() || d.Order.Credit.ID != id {
		return d, HistoryEntry{}, wrongStage("credit hold %s is not the order's open hold", id)
	}
	next := d.clone()
	h := next.Order.Credit
	t := now
	h.SettledBy, h.SettledAt, h.Note = by, &t, note
	action, reason := "credit_refused", "credit hold "+id+" refused by "+by+": "+note
	if released {
		h.Status = CreditReleased
		action, reason = "credit_released", "credit hold "+id+" released by "+by
		if note != "" {
			reason += ": " + note
		}
		if s := next.Order.Review.Status; s == ReviewNotNeeded || s == ReviewApproved {
			next.Stage = StageDelivery
		}
	} else {
		h.Status = CreditRefused
	}
	if by == "" {
		by = SystemActor
	}
	return next, next.record(d.Stage, by, action, reason, now), nil
}
