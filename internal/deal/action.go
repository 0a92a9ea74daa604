package deal

import (
	"slices"
	"time"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// ActionName names something a person does to a deal.
type ActionName string

const (
	ActSubmitQuote     ActionName = "submit_quote"     // send a quote (or a revised one)
	ActAcceptQuote     ActionName = "accept_quote"     // the customer accepted the open quote
	ActRecordBid       ActionName = "record_bid"       // a tender was won or lost
	ActSubmitContract  ActionName = "submit_contract"  // ask for contract review
	ActApproveContract ActionName = "approve_contract" // reviewer approves the contract
	ActRejectContract  ActionName = "reject_contract"  // reviewer sends it back, with a reason
	ActPlaceOrder      ActionName = "place_order"      // stock or custom order, with the agreed delivery date
	ActApproveOrder    ActionName = "approve_order"    // custom-order review approves
	ActRejectOrder     ActionName = "reject_order"     // custom-order review sends it back
	ActRecordShipment  ActionName = "record_shipment"  // goods left; final=true completes delivery
	ActRecordInvoice   ActionName = "record_invoice"   // an invoice was issued
	ActRecordPayment   ActionName = "record_payment"   // money arrived; paid in full closes the deal
	ActMarkLost        ActionName = "mark_lost"        // lost before the order, with a reason
	ActAssignOwners    ActionName = "assign_owners"    // name the delivery and/or payment owner
)

// ActionNames lists every action, in pipeline order.
var ActionNames = []ActionName{ActSubmitQuote, ActAcceptQuote, ActRecordBid, ActSubmitContract,
	ActApproveContract, ActRejectContract, ActPlaceOrder, ActApproveOrder, ActRejectOrder,
	ActRecordShipment, ActRecordInvoice, ActRecordPayment, ActMarkLost, ActAssignOwners}

// Action is one request to move or amend a deal. It is deliberately flat: each
// action reads the fields it needs and rejects a request missing them.
type Action struct {
	Name   ActionName `json:"action"`
	Reason string     `json:"reason,omitempty"` // why: required to lose or reject, optional otherwise

	// submit_quote
	Lines      []QuoteLine `json:"lines,omitempty"`
	Discount   *Percent    `json:"discount,omitempty"` // share of list price charged; default 100
	ValidUntil Date        `json:"valid_until,omitzero"`

	// record_bid
	Result BidResult `json:"result,omitempty"`
	BidNo  string    `json:"bid_no,omitempty"`

	// submit_contract; record_invoice and record_payment use Amount too
	ContractNo   string        `json:"contract_no,omitempty"`
	Amount       *money.Amount `json:"amount,omitempty"`
	PaymentTerms string        `json:"payment_terms,omitempty"`
	// NonstandardTerms and NonTemplate are worked out by the API (ContractFacts),
	// never taken from the client; histories from before carry the client's.
	NonstandardTerms bool   `json:"nonstandard_terms,omitempty"`
	NonTemplate      bool   `json:"non_template,omitempty"`
	TemplateID       string `json:"template_id,omitempty"`

	// place_order
	Kind        OrderKind `json:"kind,omitempty"`
	DeliveryDue Date      `json:"delivery_due,omitzero"`
	ERPOrderNo  string    `json:"erp_order_no,omitempty"`

	// record_shipment
	ShipmentNo string `json:"shipment_no,omitempty"`
	ShippedOn  Date   `json:"shipped_on,omitzero"`
	Carrier    string `json:"carrier,omitempty"`
	Final      bool   `json:"final,omitempty"`

	// record_invoice
	InvoiceNo string `json:"invoice_no,omitempty"` // record_payment: the invoice paid, optional
	IssuedOn  Date   `json:"issued_on,omitzero"`
	DueOn     Date   `json:"due_on,omitzero"`

	// record_payment
	PaymentRef string `json:"payment_ref,omitempty"`
	ReceivedOn Date   `json:"received_on,omitzero"`

	// assign_owners
	DeliveryOwner string `json:"delivery_owner,omitempty"`
	PaymentOwner  string `json:"payment_owner,omitempty"`

	// CustomerMinDiscount is the customer's approved minimum discount, looked up
	// by the API from the customer master (never taken from the client).
	CustomerMinDiscount *Percent `json:"customer_min_discount,omitempty"`
	// CustomerPaymentTerms are the customer's approved payment terms, looked
	// up by the API for submit_contract (never taken from the client).
	CustomerPaymentTerms *string `json:"customer_payment_terms,omitempty"`
	// OwnerRoles are the roles of the people assign_owners names, looked up by
	// the API (never taken from the client), keyed by user ID.
	OwnerRoles map[string][]identity.Role `json:"owner_roles,omitempty"`

	// Worked out by Resolve from the dates above; whatever a client sends here is overwritten.
	DeadlineAt time.Time `json:"deadline_at,omitzero"` // end of valid_until or delivery_due
	Today      Date      `json:"today,omitzero"`       // the company's calendar day when asked
}

// Resolve turns the action's calendar dates into instants in the company's time
// zone. Workflows cannot load time zones deterministically, so the API does it
// once, before the action is sent.
func (a *Action) Resolve(now time.Time, loc *time.Location) {
	a.Today = DateOf(now.In(loc))
	a.DeadlineAt = time.Time{}
	switch a.Name {
	case ActSubmitQuote:
		if !a.ValidUntil.IsZero() {
			a.DeadlineAt = a.ValidUntil.End(loc)
		}
	case ActPlaceOrder:
		if !a.DeliveryDue.IsZero() {
			a.DeadlineAt = a.DeliveryDue.End(loc)
		}
	}
}

// actionFields are the fields a client may send with each action, besides
// "action" and "reason". Anything else is refused, not ignored: a field that
// belongs to another action, or one l2c works out itself (the customer's
// minimum discount, deadlines), cannot be slipped in (no mass assignment).
var actionFields = map[ActionName][]string{
	ActSubmitQuote:     {"lines", "discount", "valid_until"},
	ActAcceptQuote:     {},
	ActRecordBid:       {"result", "bid_no"},
	ActSubmitContract:  {"contract_no", "amount", "payment_terms", "template_id"},
	ActApproveContract: {},
	ActRejectContract:  {},
	ActPlaceOrder:      {"kind", "delivery_due", "erp_order_no"},
	ActApproveOrder:    {},
	ActRejectOrder:     {},
	ActRecordShipment:  {"shipment_no", "shipped_on", "carrier", "final"},
	ActRecordInvoice:   {"invoice_no", "amount", "issued_on", "due_on"},
	ActRecordPayment:   {"payment_ref", "amount", "received_on", "invoice_no"},
	ActMarkLost:        {},
	ActAssignOwners:    {"delivery_owner", "payment_owner"},
}

// UnexpectedFields returns, for each of sent (the JSON fields of a request)
// that action name does not take, why it is refused. An unknown action has
// no fields to check; the rules refuse it by name.
func UnexpectedFields(name ActionName, sent []string) []FieldError {
	allowed, known := actionFields[name]
	if !known {
		return nil
	}
	var out []FieldError
	for _, f := range sent {
		if f == "action" || f == "reason" || slices.Contains(allowed, f) {
			continue
		}
		msg := "is not a field of " + string(name)
		if isServerField(f) {
			msg = "is worked out by l2c and cannot be sent"
		}
		out = append(out, FieldError{Field: f, Message: msg})
	}
	return out
}
