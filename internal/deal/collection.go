package deal

import (
	"fmt"
	"slices"
	"time"

	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/identity"
)

// The deal's part in cash collection (internal/collection): the plan is set
// with the contract and editable until the contract is signed; afterwards a
// change is a plan_change approval case (api, workflows/plan_change.go), not a
// deal action. The deal's events (signing, order, shipments, acceptance,
// invoices) fix the instalments' due dates when they happen.

const (
	ActSetCollectionPlan ActionName = "set_collection_plan" // the contract's collection plan (回款计划), before signing
	ActRecordAcceptance  ActionName = "record_acceptance"   // the customer accepted the delivery (验收)
)

type (
	SetCollectionPlanPayload struct {
		Plan collection.Plan `json:"plan"`
	}
	RecordAcceptancePayload struct {
		AcceptedOn   Date   `json:"accepted_on,omitzero"`
		AcceptanceNo string `json:"acceptance_no,omitempty"`
	}
)

// Acceptance is the customer's acceptance of the delivery; retention money's
// warranty counts from it.
type Acceptance struct {
	Number     string    `json:"number,omitempty"`
	AcceptedOn Date      `json:"accepted_on"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// Signed reports whether the deal's contract is signed (its review approved,
// or decided on the deal before the review engine).
func (d *Deal) Signed() bool {
	return d.Contract != nil && d.Contract.Review.Status == ReviewApproved
}

func setCollectionPlan(next *Deal, _ identity.User, a Action, p SetCollectionPlanPayload, _ time.Time) (string, error) {
	switch {
	case next.Signed():
		return "", wrongStage("the contract is signed: a change of its plan goes through approval (POST /api/v1/deals/%s/collection-plan/changes)", next.ID)
	case next.Contract == nil:
		return "", badField("plan", "submit the contract first: the plan is checked against its amount")
	}
	if err := p.Plan.Validate(next.Contract.Amount); err != nil {
		return "", prefixFields(err, "plan.")
	}
	plan := p.Plan
	plan.Instalments = slices.Clone(plan.Instalments)
	next.CollectionPlan = &plan
	return orDefault(a.Reason, fmt.Sprintf("collection plan of %d instalments set", len(plan.Instalments))), nil
}

func recordAcceptance(next *Deal, by identity.User, a Action, p RecordAcceptancePayload, now time.Time) (string, error) {
	var fe fieldErrors
	switch {
	case next.Acceptance != nil:
		return "", wrongStage("the delivery was accepted on %s already", next.Acceptance.AcceptedOn)
	case p.AcceptedOn.IsZero():
		fe.Add("accepted_on", "is required")
	case !a.Today.IsZero() && a.Today.Before(p.AcceptedOn):
		fe.Add("accepted_on", "%s is in the future", p.AcceptedOn)
	case len(next.Shipments) == 0:
		fe.Add("accepted_on", "nothing has been shipped to accept")
	case p.AcceptedOn.Before(next.Shipments[0].ShippedOn):
		fe.Add("accepted_on", "%s is before the first shipment (%s)", p.AcceptedOn, next.Shipments[0].ShippedOn)
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	next.Acceptance = &Acceptance{Number: p.AcceptanceNo, AcceptedOn: p.AcceptedOn, RecordedBy: by.ID, RecordedAt: now}
	return orDefault(a.Reason, "delivery accepted on "+p.AcceptedOn.String()), nil
}

// acceptingTeam: the delivery owner or team, or the deal's sales owner, who
// hears from the customer first.
func acceptingTeam(d *Deal, by identity.User) error {
	if by.ID == d.Owners.Sales || by.ID == d.Owners.Delivery || by.Has(identity.RoleDelivery) {
		return nil
	}
	return forbidden("only the delivery owner (%s), the delivery team or the sales owner (%s) may record the acceptance",
		d.Owners.Delivery, d.Owners.Sales)
}

// CollectionEvents are the deal's triggers that have happened, each once, at
// its first occurrence: what fixes the plan's due dates.
func (d *Deal) CollectionEvents() []collection.Event {
	var out []collection.Event
	if c := d.Contract; c != nil && c.Review.Status == ReviewApproved && c.Review.DecidedAt != nil {
		out = append(out, collection.Event{Trigger: collection.TriggerSigning, At: *c.Review.DecidedAt})
	}
	if o := d.Order; o != nil {
		switch {
		case o.Review.Status == ReviewNotNeeded:
			out = append(out, collection.Event{Trigger: collection.TriggerOrder, At: o.Review.RequestedAt})
		case o.Review.Status == ReviewApproved && o.Review.DecidedAt != nil:
			out = append(out, collection.Event{Trigger: collection.TriggerOrder, At: *o.Review.DecidedAt})
		}
	}
	first := func(t collection.Trigger, days []Date) {
		if len(days) == 0 {
			return
		}
		out = append(out, collection.Event{Trigger: t, On: slices.MinFunc(days, collection.CompareDates)})
	}
	var shipped, final, invoiced []Date
	for _, s := range d.Shipments {
		shipped = append(shipped, s.ShippedOn)
		if s.Final {
			final = append(final, s.ShippedOn)
		}
	}
	for _, i := range d.Invoices {
		if i.Amount > 0 {
			invoiced = append(invoiced, i.IssuedOn)
		}
	}
	first(collection.TriggerShipment, shipped)
	first(collection.TriggerFinalDelivery, final)
	if d.Acceptance != nil {
		out = append(out, collection.Event{Trigger: collection.TriggerAcceptance, On: d.Acceptance.AcceptedOn})
	}
	first(collection.TriggerInvoice, invoiced)
	return out
}

// prefixFields puts prefix before each field a refusal names (plan.instalments[0]…).
func prefixFields(err error, prefix string) error {
	r, ok := err.(*Error)
	if !ok {
		return err
	}
	c := *r
	c.Fields = slices.Clone(r.Fields)
	for i := range c.Fields {
		c.Fields[i].Field = prefix + c.Fields[i].Field
	}
	return &c
}
