package deal

import (
	"fmt"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/money"
)

// ReviewPoint is a stage in which a deal can wait on a review that runs as an
// approval case: which review of the deal it is, the kind of case, what the
// case shows its approvers (Subject), the facts that route it, and what an
// approval does. The workflow opens the case, the rules apply what the case
// reports, the API waits for it and the deal says who holds it, all from this
// table.
type ReviewPoint struct {
	Stage Stage
	Kind  approval.Kind
	// Review returns the stage's review on d, pending or settled, if any.
	Review func(d *Deal) *Review
	// Subject is what the case reviews; Facts route it.
	Subject func(d *Deal) []approval.Field
	Facts   func(d *Deal) approval.Facts
	// OnApproval is the stage an approved case moves the deal to.
	OnApproval Stage
	// Settled, if set, records on next what else the case's outcome decides.
	Settled func(next *Deal, approved bool)
}

// ReviewPoints are the deal's review points, in pipeline order.
var ReviewPoints = []ReviewPoint{
	{Stage: StageQuote, Kind: approval.KindQuoteDiscount, Review: quoteReview, Subject: quoteSubject,
		Facts: func(d *Deal) approval.Facts {
			return approval.Facts{Amount: d.CurrentQuote().NetTotal, DiscountBelowMinimum: true, Customer: d.Customer.Code}
		},
		// A discount approval decides whether the quote goes out; the deal
		// stays in the quote stage either way.
		OnApproval: StageQuote,
		Settled: func(next *Deal, approved bool) {
			next.CurrentQuote().Status = QuoteRejected
			if approved {
				next.CurrentQuote().Status = QuoteOpen
			}
		}},
	{Stage: StageContractReview, Kind: approval.KindContractReview, Review: contractReview, Subject: contractSubject,
		Facts: func(d *Deal) approval.Facts {
			c := d.Contract
			return approval.Facts{Amount: c.Amount, NonstandardPaymentTerms: c.NonstandardTerms,
				NonTemplateContract: c.NonTemplate, DiscountBelowMinimum: c.BelowQuote, Customer: d.Customer.Code}
		},
		OnApproval: StageOrder},
	{Stage: StageOrder, Kind: approval.KindCustomOrder, Review: orderReview, Subject: orderSubject,
		Facts: func(d *Deal) approval.Facts {
			return approval.Facts{Amount: d.orderAmount(), CustomProducts: true, Customer: d.Customer.Code}
		},
		OnApproval: StageDelivery,
		// An approved custom order goes to the ERP from now (ERPOrders deals).
		Settled: func(next *Deal, approved bool) {
			if e, r := next.Order.ERP, next.Order.Review; approved && e != nil && e.Status == ERPOrderWaiting && r.DecidedAt != nil {
				e.Since = *r.DecidedAt
			}
		}},
}

// reviewPointAt returns the review point of stage s, or nil.
func reviewPointAt(s Stage) *ReviewPoint {
	for i := range ReviewPoints {
		if ReviewPoints[i].Stage == s {
			return &ReviewPoints[i]
		}
	}
	return nil
}

// PendingReview returns the review the deal waits on in its stage and the
// point it is reviewed at, or nil when it waits on no review.
func (d *Deal) PendingReview() (*Review, *ReviewPoint) {
	p := reviewPointAt(d.Stage)
	if p == nil {
		return nil, nil
	}
	if r := p.Review(d); r != nil && r.Status == ReviewPending {
		return r, p
	}
	return nil, nil
}

func quoteReview(d *Deal) *Review {
	if q := d.CurrentQuote(); q != nil {
		return q.Review
	}
	return nil
}

func contractReview(d *Deal) *Review {
	if d.Contract != nil {
		return &d.Contract.Review
	}
	return nil
}

func orderReview(d *Deal) *Review {
	if d.Order != nil {
		return &d.Order.Review
	}
	return nil
}

func quoteSubject(d *Deal) []approval.Field {
	q := d.CurrentQuote()
	min := ""
	if q.MinDiscount != nil {
		min = q.MinDiscount.String() + "%"
	}
	return []approval.Field{
		{Name: "discount", Value: q.Discount.String() + "%"}, {Name: "customer_minimum", Value: min},
		{Name: "net_total", Value: q.NetTotal.String() + " " + d.Currency}, {Name: "valid_until", Value: q.ValidUntil.String()}}
}

func contractSubject(d *Deal) []approval.Field {
	c := d.Contract
	template := "standard"
	if c.NonTemplate {
		template = "non-standard"
	}
	subject := []approval.Field{
		{Name: "contract_no", Value: c.Number}, {Name: "amount", Value: c.Amount.String() + " " + d.Currency},
		{Name: "payment_terms", Value: c.PaymentTerms}, {Name: "template", Value: template}}
	// Only contracts submitted under the controls carry these; older
	// subjects stay as they were.
	if c.TemplateID != "" {
		subject = append(subject, approval.Field{Name: "template_id", Value: c.TemplateID})
	}
	if c.QuoteTotal != nil {
		subject = append(subject, approval.Field{Name: "quote_total", Value: c.QuoteTotal.String() + " " + d.Currency})
		if e := d.EffectiveDiscount(); e != nil {
			subject = append(subject, approval.Field{Name: "effective_discount", Value: e.String() + "%"})
		}
	}
	return subject
}

func orderSubject(d *Deal) []approval.Field {
	o := d.Order
	return []approval.Field{
		{Name: "kind", Value: string(o.Kind)}, {Name: "delivery_due", Value: o.DeliveryDue.String()},
		{Name: "erp_order_no", Value: o.ERPNumber}, {Name: "amount", Value: d.orderAmount().String() + " " + d.Currency}}
}

// orderAmount is what a custom order is worth: its contract's amount.
func (d *Deal) orderAmount() money.Amount {
	if d.Contract != nil {
		return d.Contract.Amount
	}
	return 0
}

// caseFor names the approval case for the review at stage when the engine runs
// reviews: a resubmission after a rejection continues the returned case (a new
// round in it); otherwise a new case starts. prev is the review before this one.
func caseFor(d *Deal, stage Stage, prev *Review, round int) string {
	if !d.ReviewEngine {
		return ""
	}
	if prev != nil && prev.CaseID != "" && prev.Status == ReviewRejected {
		return prev.CaseID
	}
	return fmt.Sprintf("%s.%s.%d", reviewPointAt(stage).Kind, d.ID, round)
}
