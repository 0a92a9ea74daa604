package deal

import (
	"encoding/json"
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

// Action is one request to move or amend a deal, as the deal workflow carries
// it. It is deliberately flat: each action reads the fields it needs and
// rejects a request missing them. What a client may send with each action is
// its payload type (registry.go); the API decodes that and converts it to this.
// Fields tagged l2c:"common" every action takes; those tagged l2c:"server" l2c
// works out itself and refuses from a client (no mass assignment).
type Action struct {
	Name   ActionName `json:"action" l2c:"common"`
	Reason string     `json:"reason,omitempty" l2c:"common"` // why: required to lose or reject, optional otherwise

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
	NonstandardTerms bool   `json:"nonstandard_terms,omitempty" l2c:"server"`
	NonTemplate      bool   `json:"non_template,omitempty" l2c:"server"`
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
	CustomerMinDiscount *Percent `json:"customer_min_discount,omitempty" l2c:"server"`
	// CustomerPaymentTerms are the customer's approved payment terms, looked
	// up by the API for submit_contract (never taken from the client).
	CustomerPaymentTerms *string `json:"customer_payment_terms,omitempty" l2c:"server"`
	// OwnerRoles are the roles of the people assign_owners names, looked up by
	// the API (never taken from the client), keyed by user ID.
	OwnerRoles map[string][]identity.Role `json:"owner_roles,omitempty" l2c:"server"`

	// Worked out by Resolve from the dates above; whatever a client sends here is overwritten.
	DeadlineAt time.Time `json:"deadline_at,omitzero" l2c:"server"` // end of the payload's Deadline day
	Today      Date      `json:"today,omitzero" l2c:"server"`       // the company's calendar day when asked

	// Payload carries the payload of an action newer than the flat fields
	// above (ActionSpec.Action); the older ones never set it.
	Payload json.RawMessage `json:"payload,omitempty" l2c:"server"`
}
