// Package deal is the lead-to-cash deal: its stages, the data each stage records,
// and the rules for moving it (who may do what, in which stage, with which data).
//
// The rules are pure functions of (deal, actor, action, now) so that the deal
// workflow can run them deterministically, both in its Update validators and in
// its handlers, and so they can be unit-tested without Temporal or PostgreSQL.
package deal

import (
	"slices"
	"time"

	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// Stage is where a deal stands in the pipeline.
type Stage string

const (
	StageOpportunity       Stage = "opportunity"        // 商机
	StageQuote             Stage = "quote"              // 报价
	StageBid               Stage = "bid"                // 招投标, tendered deals only
	StageContractReview    Stage = "contract_review"    // 合同评审
	StageOrder             Stage = "order"              // 订单
	StageDelivery          Stage = "delivery"           // 交付
	StagePaymentCollection Stage = "payment_collection" // 回款
	StageClosed            Stage = "closed"             // paid in full
	StageLost              Stage = "lost"
)

// Stages lists every stage in pipeline order, lost last.
var Stages = []Stage{StageOpportunity, StageQuote, StageBid, StageContractReview, StageOrder,
	StageDelivery, StagePaymentCollection, StageClosed, StageLost}

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool { return slices.Contains(Stages, s) }

// Terminal reports whether nothing more can happen to a deal in stage s.
func (s Stage) Terminal() bool { return s == StageClosed || s == StageLost }

// BeforeOrder reports whether a deal in stage s can still be lost.
func (s Stage) BeforeOrder() bool {
	switch s {
	case StageOpportunity, StageQuote, StageBid, StageContractReview:
		return true
	}
	return false
}

// Timeframe is when the customer means to buy; it sets follow-up intensity.
type Timeframe string

const (
	TimeframeNow     Timeframe = "now"
	Timeframe3Months Timeframe = "3_months"
	Timeframe6Months Timeframe = "6_months"
	TimeframeOneYear Timeframe = "1_year"
	TimeframeUnknown Timeframe = ""
)

// Customer names who the deal is with. The customer master arrives with the ERP
// sync; until then a deal carries the customer's code and name as entered.
type Customer struct {
	Code string `json:"code,omitempty"`
	Name string `json:"name"`
}

// Owners are the named people on a deal (team selling: the rep hands delivery and
// collection to named owners).
type Owners struct {
	Discoverer string `json:"discoverer"`         // 商机发现人
	Sales      string `json:"sales"`              // 营销员
	Delivery   string `json:"delivery,omitempty"` // 交付负责人 (DO)
	Payment    string `json:"payment,omitempty"`  // 货款负责人
}

// Deal is the whole state of one deal: what the workflow holds and what
// PostgreSQL records after every transition.
type Deal struct {
	ID                string       `json:"id"`
	Title             string       `json:"title"`
	Customer          Customer     `json:"customer"`
	Tendered          bool         `json:"tendered"`
	Currency          string       `json:"currency"`
	ExpectedAmount    money.Amount `json:"expected_amount"`
	PurchaseTimeframe Timeframe    `json:"purchase_timeframe,omitempty"`
	Owners            Owners       `json:"owners"`
	// CommitCategory and ExpectedOrderMonth (YYYY-MM) are the sales owner's
	// forecast of the deal (set_forecast); "" until given.
	CommitCategory     string `json:"commit_category,omitempty"`
	ExpectedOrderMonth string `json:"expected_order_month,omitempty"`

	Stage          Stage     `json:"stage"`
	StageEnteredAt time.Time `json:"stage_entered_at"`
	// Holder is who the deal waits on in its stage: a user ID, or "role:<role>"
	// while a decision waits on anyone holding that role.
	Holder string `json:"holder"`

	Quotes    []Quote    `json:"quotes"`
	Bid       *Bid       `json:"bid,omitempty"`
	Contract  *Contract  `json:"contract,omitempty"`
	Order     *Order     `json:"order,omitempty"`
	Shipments []Shipment `json:"shipments"`
	Invoices  []Invoice  `json:"invoices"`
	Payments  []Payment  `json:"payments"`
	// CollectionPlan is the plan set before signing (set_collection_plan);
	// after signing the plan lives in PostgreSQL (collection_plans) and
	// changes through approval. Acceptance is the customer's acceptance.
	CollectionPlan *collection.Plan `json:"collection_plan,omitempty"`
	Acceptance     *Acceptance      `json:"acceptance,omitempty"`

	LostReason string     `json:"lost_reason,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	// Version counts the transitions applied; it is the sequence number of the
	// newest history entry, and guards the database against stale writes.
	Version int64 `json:"version"`
	// ReviewEngine says reviews run as approval cases (routed chains decided in
	// the approvers' inboxes) rather than as one decision on the deal. The
	// workflow sets it from its version; it is not stored.
	ReviewEngine bool `json:"-"`
	// Controls says the deal runs issue 10's controls (segregation of duties,
	// routing facts derived from data; controls.go). The workflow sets it from
	// its version; it is not stored.
	Controls bool `json:"-"`
	// ERPOrders says the deal's order is created in the ERP by its workflow
	// and followed there (shipments read, the delivery owner reminded and
	// escalated; delivery.go). The workflow sets it from its version; it is
	// not stored. Deals started before keep orders typed by a person.
	ERPOrders bool `json:"-"`
}

// QuoteStatus is where one quote revision stands.
type QuoteStatus string

const (
	QuoteOpen       QuoteStatus = "open"       // sent, waiting for the customer
	QuoteAccepted   QuoteStatus = "accepted"   // the customer said yes
	QuoteExpired    QuoteStatus = "expired"    // validity ran out unanswered
	QuoteSuperseded QuoteStatus = "superseded" // replaced by a newer revision
	// QuotePendingApproval: the discount is below the customer's approved
	// minimum, so the quote waits for a discount approval before it is sent.
	QuotePendingApproval QuoteStatus = "pending_approval"
	QuoteRejected        QuoteStatus = "rejected" // the discount approval returned it
)

// Quote is one revision of the price offered.
type Quote struct {
	Revision int         `json:"revision"`
	Lines    []QuoteLine `json:"lines"`
	// Discount is the share of list price charged (85% = 八五折).
	Discount    Percent      `json:"discount"`
	ListTotal   money.Amount `json:"list_total"`
	NetTotal    money.Amount `json:"net_total"`
	ValidUntil  Date         `json:"valid_until"`
	ExpiresAt   time.Time    `json:"expires_at"`
	Status      QuoteStatus  `json:"status"`
	SubmittedBy string       `json:"submitted_by"`
	SubmittedAt time.Time    `json:"submitted_at"`
	// MinDiscount is the customer's approved minimum when the quote was made;
	// Review is the discount approval a quote below it needs.
	MinDiscount *Percent `json:"min_discount,omitempty"`
	Review      *Review  `json:"review,omitempty"`
}

// QuoteLine is one product on a quote, at list price.
type QuoteLine struct {
	SKU         string       `json:"sku"`
	Description string       `json:"description,omitempty"`
	Quantity    int64        `json:"quantity"`
	UnitPrice   money.Amount `json:"unit_price"`
	Amount      money.Amount `json:"amount"`
}

// BidResult is the outcome of a tender.
type BidResult string

const (
	BidWon  BidResult = "won"
	BidLost BidResult = "lost"
)

// Bid records a tender's outcome.
type Bid struct {
	Number     string    `json:"number,omitempty"`
	Result     BidResult `json:"result"`
	Note       string    `json:"note,omitempty"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// ReviewStatus is where a review (contract or custom order) stands.
type ReviewStatus string

const (
	ReviewPending  ReviewStatus = "in_review"
	ReviewApproved ReviewStatus = "approved"
	ReviewRejected ReviewStatus = "rejected"
	// ReviewNotNeeded marks a stock order, which goes to the ERP without review.
	ReviewNotNeeded ReviewStatus = "not_needed"
	// ReviewWithdrawn marks a review its requester gave up; a new one may follow.
	ReviewWithdrawn ReviewStatus = "withdrawn"
)

// Review is one decision on a request. Today a single reviewer decides; the
// approval engine will replace the single decision with a routed chain and keep
// this as its outcome.
type Review struct {
	Status      ReviewStatus `json:"status"`
	Round       int          `json:"round"`
	RequestedBy string       `json:"requested_by"`
	RequestedAt time.Time    `json:"requested_at"`
	DecidedBy   string       `json:"decided_by,omitempty"`
	DecidedAt   *time.Time   `json:"decided_at,omitempty"`
	Note        string       `json:"note,omitempty"`
	// CaseID names the approval case that runs this review, when the engine does.
	CaseID string `json:"case_id,omitempty"`
}

// Contract is what contract review reviews.
type Contract struct {
	Number string       `json:"number"`
	Amount money.Amount `json:"amount"`
	// PaymentTerms as agreed; NonstandardTerms and NonTemplate route the review
	// to finance and legal.
	PaymentTerms     string `json:"payment_terms,omitempty"`
	NonstandardTerms bool   `json:"nonstandard_terms,omitempty"`
	NonTemplate      bool   `json:"non_template,omitempty"`
	// TemplateID names the contract template used; none makes it non-template.
	TemplateID string `json:"template_id,omitempty"`
	// QuoteTotal is the accepted quote's net total when the contract was
	// submitted; BelowQuote says the contract undercuts it beyond rounding,
	// a further discount that is reviewed as one below the customer's minimum.
	QuoteTotal *money.Amount `json:"quote_total,omitempty"`
	BelowQuote bool          `json:"below_quote,omitempty"`
	Review     Review        `json:"review"`
}

// OrderKind tells a stock order from a custom one.
type OrderKind string

const (
	OrderStock  OrderKind = "stock"  // 库存订单: straight to the ERP
	OrderCustom OrderKind = "custom" // 定制订单: reviewed before production
)

// Order is the sales order placed after the contract is approved.
type Order struct {
	Kind        OrderKind `json:"kind"`
	ERPNumber   string    `json:"erp_number,omitempty"`
	DeliveryDue Date      `json:"delivery_due"`
	// DueAt is the end of the agreed delivery day; past it, an unshipped order is overdue.
	DueAt           time.Time  `json:"due_at"`
	Review          Review     `json:"review"`
	OverdueNotified *time.Time `json:"overdue_notified_at,omitempty"`
	// Credit is the order's credit hold, if the credit check held it
	// (CreditCheckChange; see credit.go).
	Credit *CreditHold `json:"credit_hold,omitempty"`
	// Lines are what is ordered, each with the delivery day promised to the
	// customer and the day the ERP confirms, where it says (ERPOrders deals).
	Lines []OrderLine `json:"lines,omitempty"`
	// ERP is where the order stands in the ERP (ERPOrders deals).
	ERP *OrderERP `json:"erp,omitempty"`
	// FollowUp is what the delivery owner (and their manager) were told
	// about the promised day so far (ERPOrders deals).
	FollowUp *DeliveryFollowUp `json:"follow_up,omitempty"`
}

// Shipment is one delivery against the order.
type Shipment struct {
	Number     string    `json:"number"`
	ShippedOn  Date      `json:"shipped_on"`
	Carrier    string    `json:"carrier,omitempty"`
	Final      bool      `json:"final"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// Invoice is a bill to the customer for (part of) the contract.
type Invoice struct {
	Number     string       `json:"number"`
	Amount     money.Amount `json:"amount"`
	IssuedOn   Date         `json:"issued_on"`
	DueOn      Date         `json:"due_on"`
	RecordedBy string       `json:"recorded_by"`
	RecordedAt time.Time    `json:"recorded_at"`
}

// Payment is money received from the customer.
type Payment struct {
	Reference  string       `json:"reference"`
	Amount     money.Amount `json:"amount"`
	ReceivedOn Date         `json:"received_on"`
	InvoiceNo  string       `json:"invoice_no,omitempty"`
	RecordedBy string       `json:"recorded_by"`
	RecordedAt time.Time    `json:"recorded_at"`
}

// HistoryEntry is one transition: who moved the deal, from where to where, when and why.
type HistoryEntry struct {
	Seq    int64     `json:"seq"`
	Action string    `json:"action"`
	Actor  string    `json:"actor"`
	From   Stage     `json:"from,omitempty"`
	To     Stage     `json:"to"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// SystemActor is the actor of transitions nobody asked for (a quote expiring).
const SystemActor = "system"

// CurrentQuote returns the newest quote revision, if any.
func (d *Deal) CurrentQuote() *Quote {
	if len(d.Quotes) == 0 {
		return nil
	}
	return &d.Quotes[len(d.Quotes)-1]
}

// Invoiced is the total of all invoices.
func (d *Deal) Invoiced() money.Amount {
	var sum money.Amount
	for _, i := range d.Invoices {
		sum += i.Amount
	}
	return sum
}

// Paid is the total of all payments.
func (d *Deal) Paid() money.Amount {
	var sum money.Amount
	for _, p := range d.Payments {
		sum += p.Amount
	}
	return sum
}

// holder works out who the deal waits on, from its stage and pending reviews.
func (d *Deal) holder() string {
	pending := func(r Review) string {
		if r.CaseID != "" {
			return "approval:" + r.CaseID // the case's chain says who holds each step
		}
		return "role:" + string(identity.RoleSalesManager)
	}
	if d.Order != nil && d.Order.CreditHeld() && d.Stage == StageOrder {
		return "credit:" + d.Order.Credit.ID // finance holds it (the hold's case)
	}
	if r, _ := d.PendingReview(); r != nil {
		return pending(*r)
	}
	switch d.Stage {
	case StageDelivery:
		return d.Owners.Delivery
	case StagePaymentCollection:
		return d.Owners.Payment
	case StageClosed, StageLost:
		return ""
	}
	return d.Owners.Sales
}

// clone returns a copy that shares no slices or pointers with d, so a rule can
// build the next state without touching the current one.
func (d Deal) clone() Deal {
	c := d
	c.Quotes = make([]Quote, len(d.Quotes))
	for i, q := range d.Quotes {
		q.Lines = slices.Clone(q.Lines)
		q.Review = clonePtr(q.Review)
		c.Quotes[i] = q
	}
	c.Bid = clonePtr(d.Bid)
	if c.Contract = clonePtr(d.Contract); c.Contract != nil {
		c.Contract.QuoteTotal = clonePtr(c.Contract.QuoteTotal)
	}
	if d.Order != nil {
		o := d.Order.clone()
		c.Order = &o
	}
	c.Shipments = slices.Clone(d.Shipments)
	c.Invoices = slices.Clone(d.Invoices)
	c.Payments = slices.Clone(d.Payments)
	if c.CollectionPlan = clonePtr(d.CollectionPlan); c.CollectionPlan != nil {
		c.CollectionPlan.Instalments = slices.Clone(c.CollectionPlan.Instalments)
	}
	c.Acceptance = clonePtr(d.Acceptance)
	c.ClosedAt = clonePtr(d.ClosedAt)
	return c
}

// clonePtr is a copy of what p points to, or nil: a clone shares no pointer
// with the deal it was taken from.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
