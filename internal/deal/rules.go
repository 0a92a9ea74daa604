package deal

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// Apply runs action a by user by on deal d at time now. It returns the next
// state and the history entry for the transition, or an *Error saying why not;
// d itself is never changed, so a refused action changes nothing.
func Apply(d Deal, by identity.User, a Action, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	r, ok := LookupAction(a.Name)
	if !ok {
		return d, HistoryEntry{}, &Error{Kind: ErrUnknownAction,
			Message: fmt.Sprintf("unknown action %q; known actions: %s", a.Name, knownActions())}
	}
	if d.Stage.Terminal() {
		return d, HistoryEntry{}, wrongStage("deal %s is %s; no further action is possible", d.ID, d.Stage)
	}
	if !slices.Contains(r.Stages, d.Stage) {
		return d, HistoryEntry{}, wrongStage("%s is not possible while the deal is in stage %s (only in %s)",
			a.Name, d.Stage, joinStages(r.Stages))
	}
	if err := r.May(&d, by); err != nil {
		return d, HistoryEntry{}, err
	}
	if err := controlledMay(a.Name, &d, by); err != nil {
		return d, HistoryEntry{}, err
	}
	next := d.clone()
	reason, err := r.Apply(&next, by, a, now)
	if err != nil {
		return d, HistoryEntry{}, err
	}
	return next, next.record(d.Stage, by.ID, string(a.Name), reason, now), nil
}

// record finishes a transition: bumps the version, stamps the stage entry time
// if the stage changed, works out the holder, and returns the history entry.
func (d *Deal) record(from Stage, actor, action, reason string, now time.Time) HistoryEntry {
	d.Version++
	if d.Stage != from {
		d.StageEnteredAt = now
	}
	d.Holder = d.holder()
	return HistoryEntry{Seq: d.Version, Action: action, Actor: actor, From: from, To: d.Stage, Reason: reason, At: now}
}

func joinStages(ss []Stage) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// --- who may act ---

// salesTeam: the sales owner, a sales assistant (who enters quotes and orders
// for reps) or a sales manager.
func salesTeam(d *Deal, by identity.User) error {
	if by.ID == d.Owners.Sales || by.Has(identity.RoleSalesAssistant, identity.RoleSalesManager) {
		return nil
	}
	return forbidden("only the sales owner (%s), a sales assistant or a sales manager may do this", d.Owners.Sales)
}

// reviewer: a sales manager who is neither the requester nor the deal's sales
// owner. Nobody approves their own request.
func reviewer(d *Deal, r *Review, by identity.User) error {
	if d.ReviewEngine {
		if r != nil && r.CaseID != "" {
			return wrongStage("this review runs as approval case %s: decide it there (/api/v1/approvals/%s)", r.CaseID, r.CaseID)
		}
		return wrongStage("reviews run as approval cases: decide them in your inbox (/api/v1/approvals/inbox)")
	}
	if !by.Has(identity.RoleSalesManager) {
		return forbidden("only a sales manager may decide this review")
	}
	if r != nil && by.ID == r.RequestedBy {
		return forbidden("%s requested this review and cannot decide it", by.ID)
	}
	if by.ID == d.Owners.Sales {
		return forbidden("%s owns this deal and cannot review it", by.ID)
	}
	return nil
}

// stageReviewer: a reviewer of the review in the deal's stage.
func stageReviewer(d *Deal, by identity.User) error {
	var r *Review
	if p := reviewPointAt(d.Stage); p != nil {
		r = p.Review(d)
	}
	return reviewer(d, r, by)
}

func deliveryTeam(d *Deal, by identity.User) error {
	if by.ID == d.Owners.Delivery || by.Has(identity.RoleDelivery) {
		return nil
	}
	return forbidden("only the delivery owner (%s) or the delivery team may record shipments", d.Owners.Delivery)
}

func invoicing(d *Deal, by identity.User) error {
	if by.ID == d.Owners.Payment || by.Has(identity.RoleFinance) {
		return nil
	}
	return forbidden("only the payment owner (%s) or finance may record invoices", d.Owners.Payment)
}

func collecting(d *Deal, by identity.User) error {
	if by.ID == d.Owners.Payment || by.Has(identity.RoleFinance, identity.RoleCollector) {
		return nil
	}
	return forbidden("only the payment owner (%s), finance or a collector may record payments", d.Owners.Payment)
}

// --- what each action does ---

func submitQuote(next *Deal, by identity.User, a Action, now time.Time) (string, error) {
	if q := next.CurrentQuote(); q != nil && q.Status == QuotePendingApproval {
		// Its approval case would go on deciding a quote nobody will send.
		return "", wrongStage("quote revision %d awaits discount approval (case %s); withdraw that first to revise it",
			q.Revision, q.Review.CaseID)
	}
	var fe fieldErrors
	if len(a.Lines) == 0 {
		fe.Add("lines", "at least one line is required")
	}
	lines := make([]QuoteLine, len(a.Lines))
	var list money.Amount
	for i, l := range a.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		fe.Required(f+".sku", l.SKU)
		if l.Quantity <= 0 {
			fe.Add(f+".quantity", "must be a positive whole number")
		}
		if l.UnitPrice < 0 {
			fe.Add(f+".unit_price", "must not be negative")
		}
		amt, ok := l.UnitPrice.MulRatio(l.Quantity, 1)
		if !ok || list+amt < list {
			fe.Add(f, "amount is too large")
		}
		l.Amount = amt
		list += amt
		lines[i] = l
	}
	discount := Hundred
	if a.Discount != nil {
		discount = *a.Discount
	}
	if discount <= 0 || discount > Hundred {
		fe.Add("discount", "must be more than 0 and at most 100 (the share of list price charged)")
	}
	switch {
	case a.ValidUntil.IsZero():
		fe.Add("valid_until", "is required")
	case !a.DeadlineAt.After(now):
		fe.Add("valid_until", "%s has already passed", a.ValidUntil)
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	net, ok := list.MulRatio(int64(discount), int64(Hundred))
	if !ok {
		return "", badField("lines", "total is too large")
	}
	var prevReview *Review
	if q := next.CurrentQuote(); q != nil {
		prevReview = q.Review
		if q.Status == QuoteOpen || q.Status == QuotePendingApproval {
			q.Status = QuoteSuperseded
		}
	}
	if next.Controls && a.CustomerMinDiscount == nil {
		// No minimum recorded means none was ever approved: every discount
		// below list price needs approval.
		full := Hundred
		a.CustomerMinDiscount = &full
	}
	rev := len(next.Quotes) + 1
	q := Quote{Revision: rev, Lines: lines, Discount: discount, ListTotal: list,
		NetTotal: net, ValidUntil: a.ValidUntil, ExpiresAt: a.DeadlineAt, Status: QuoteOpen,
		SubmittedBy: by.ID, SubmittedAt: now, MinDiscount: a.CustomerMinDiscount}
	reason := fmt.Sprintf("quote revision %d: %s %s, valid until %s", rev, net, next.Currency, a.ValidUntil)
	// A discount below the customer's approved minimum needs approval before
	// the quote goes out; one within it does not.
	if next.ReviewEngine && a.CustomerMinDiscount != nil && discount < *a.CustomerMinDiscount {
		q.Status = QuotePendingApproval
		q.Review = &Review{Status: ReviewPending, Round: rev, RequestedBy: by.ID, RequestedAt: now,
			CaseID: caseFor(next, StageQuote, prevReview, rev)}
		// The history is read by everyone who sees the deal; the minimum is
		// one of the customer's terms, which not all of them may see.
		reason += fmt.Sprintf("; discount %s%% is below the customer's minimum: awaiting approval", discount)
	}
	next.Quotes = append(next.Quotes, q)
	next.Stage = StageQuote
	return orDefault(a.Reason, reason), nil
}

func acceptQuote(next *Deal, _ identity.User, a Action, now time.Time) (string, error) {
	q := next.CurrentQuote()
	switch {
	case q == nil:
		return "", wrongStage("there is no quote to accept")
	case q.Status == QuotePendingApproval:
		return "", wrongStage("quote revision %d awaits discount approval (case %s)", q.Revision, q.Review.CaseID)
	case q.Status == QuoteExpired || (q.Status == QuoteOpen && !now.Before(q.ExpiresAt)):
		return "", wrongStage("quote revision %d expired at the end of %s; submit a revised quote", q.Revision, q.ValidUntil)
	case q.Status != QuoteOpen:
		return "", wrongStage("quote revision %d is %s", q.Revision, q.Status)
	}
	q.Status = QuoteAccepted
	if next.Tendered {
		next.Stage = StageBid
	} else {
		next.Stage = StageContractReview
	}
	return orDefault(a.Reason, fmt.Sprintf("customer accepted quote revision %d", q.Revision)), nil
}

func recordBid(next *Deal, by identity.User, a Action, now time.Time) (string, error) {
	var fe fieldErrors
	switch a.Result {
	case BidWon:
	case BidLost:
		fe.Required("reason", a.Reason)
	case "":
		fe.Add("result", "is required: won or lost")
	default:
		fe.Add("result", "%q is not a bid result: want won or lost", a.Result)
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	next.Bid = &Bid{Number: a.BidNo, Result: a.Result, Note: a.Reason, RecordedBy: by.ID, RecordedAt: now}
	if a.Result == BidLost {
		next.Stage = StageLost
		next.LostReason = "bid lost: " + a.Reason
		return a.Reason, nil
	}
	next.Stage = StageContractReview
	return orDefault(a.Reason, "bid won"), nil
}

func submitContract(next *Deal, by identity.User, a Action, now time.Time) (string, error) {
	if next.Contract != nil && next.Contract.Review.Status == ReviewPending {
		return "", wrongStage("contract %s is already in review", next.Contract.Number)
	}
	var fe fieldErrors
	fe.Required("contract_no", a.ContractNo)
	positiveAmount(&fe, a.Amount)
	if err := fe.Err(); err != nil {
		return "", err
	}
	round, prev := nextReview(next, StageContractReview)
	next.Contract = &Contract{Number: strings.TrimSpace(a.ContractNo), Amount: *a.Amount,
		PaymentTerms: a.PaymentTerms, NonstandardTerms: a.NonstandardTerms, NonTemplate: a.NonTemplate,
		Review: Review{Status: ReviewPending, Round: round, RequestedBy: by.ID, RequestedAt: now,
			CaseID: caseFor(next, StageContractReview, prev, round)}}
	reason := fmt.Sprintf("contract %s (%s %s) submitted for review, round %d",
		next.Contract.Number, a.Amount, next.Currency, round)
	if next.Controls {
		next.Contract.TemplateID = strings.TrimSpace(a.TemplateID)
		deriveContractFacts(next, next.Contract, a)
		if c := next.Contract; c.BelowQuote {
			reason += fmt.Sprintf("; %s is below the accepted quote's %s: reviewed as a further discount",
				c.Amount, *c.QuoteTotal)
		}
	}
	return orDefault(a.Reason, reason), nil
}

// decideContract and decideOrder decide, as one reviewer, the review of a
// deal from before the review engine.
var (
	decideContract = decideReview("contract", func(d *Deal) string { return "contract " + d.Contract.Number + " approved" })
	decideOrder    = decideReview("custom order", func(*Deal) string { return "custom order approved" })
)

// decideReview decides the review pending in the deal's stage (what names its
// subject); approval moves the deal on as its review point says.
func decideReview(what string, approved func(*Deal) string) func(approve bool) applyFunc {
	return func(approve bool) applyFunc {
		return func(next *Deal, by identity.User, a Action, now time.Time) (string, error) {
			r, point := next.PendingReview()
			if r == nil {
				return "", wrongStage("no %s is waiting for review", what)
			}
			if err := decide(r, approve, by, a, now); err != nil {
				return "", err
			}
			if approve {
				next.Stage = point.OnApproval
				return orDefault(a.Reason, approved(next)), nil
			}
			return a.Reason, nil
		}
	}
}

func placeOrder(next *Deal, by identity.User, a Action, now time.Time) (string, error) {
	if next.Order != nil && next.Order.Review.Status == ReviewPending {
		return "", wrongStage("the order is already in review")
	}
	if next.Order.CreditHeld() {
		return "", wrongStage("the order is held for credit (hold %s): finance releases it, or it releases itself when the customer's credit allows", next.Order.Credit.ID)
	}
	var fe fieldErrors
	switch a.Kind {
	case OrderStock, OrderCustom:
	case "":
		fe.Add("kind", "is required: stock or custom")
	default:
		fe.Add("kind", "%q is not an order kind: want stock or custom", a.Kind)
	}
	switch {
	case a.DeliveryDue.IsZero():
		fe.Add("delivery_due", "is required")
	case !a.DeadlineAt.After(now):
		fe.Add("delivery_due", "%s has already passed", a.DeliveryDue)
	}
	// Team selling: before the order goes out, someone is named to follow the
	// delivery and someone the money.
	if next.Owners.Delivery == "" {
		fe.Add("owners.delivery", "name a delivery owner (assign_owners) before placing the order")
	}
	if next.Owners.Payment == "" {
		fe.Add("owners.payment", "name a payment owner (assign_owners) before placing the order")
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	round, prev := nextReview(next, StageOrder)
	o := &Order{Kind: a.Kind, ERPNumber: a.ERPOrderNo, DeliveryDue: a.DeliveryDue, DueAt: a.DeadlineAt,
		Review: Review{Round: round, RequestedBy: by.ID, RequestedAt: now}}
	if a.Kind == OrderCustom {
		o.Review.CaseID = caseFor(next, StageOrder, prev, round)
	}
	next.Order = o
	if next.ERPOrders {
		// The workflow creates the order in the ERP once it is in delivery
		// (a custom one after its review), unless a person links one the
		// ERP already holds (the API has checked it is this customer's).
		o.Lines = orderLines(next, a.DeliveryDue)
		o.ERP = &OrderERP{Status: ERPOrderWaiting, Since: now}
		if o.ERPNumber != "" {
			t := now
			o.ERP.Status, o.ERP.DoneAt = ERPOrderLinked, &t
		}
	}
	if a.Kind == OrderStock {
		o.Review.Status = ReviewNotNeeded
		next.Stage = StageDelivery
		return orDefault(a.Reason, "stock order placed, delivery due "+a.DeliveryDue.String()), nil
	}
	o.Review.Status = ReviewPending
	return orDefault(a.Reason, "custom order placed for review, delivery due "+a.DeliveryDue.String()), nil
}

// ReviewNews applies what an approval case reports about the deal's review:
// approved moves the deal on, returned puts it back with the requester, and
// withdrawn leaves the stage open for a new request. News about a case that is
// not the deal's current one is stale and ignored.
func ReviewNews(d Deal, caseID string, status string, by, note string, now time.Time) (Deal, HistoryEntry, error) {
	now = storable(now)
	next := d.clone()
	var r *Review
	p := reviewPointAt(d.Stage)
	if p != nil {
		r = p.Review(&next)
	}
	if r == nil || r.CaseID != caseID {
		return d, HistoryEntry{}, wrongStage("case %s is not the deal's current review", caseID)
	}
	if r.Status != ReviewPending {
		return d, HistoryEntry{}, wrongStage("case %s was already settled (%s)", caseID, r.Status)
	}
	t := now
	r.DecidedBy, r.DecidedAt, r.Note = by, &t, note
	var reason string
	switch status {
	case "approved":
		r.Status = ReviewApproved
		next.Stage = p.OnApproval
		reason = "approval case " + caseID + " approved"
		if p.Stage == StageOrder && next.Order.CreditHeld() {
			// Reviewed, but still held for credit: the release moves it on.
			next.Stage = StageOrder
			reason += "; still held for credit"
		}
	case "returned":
		r.Status = ReviewRejected
		reason = fmt.Sprintf("approval case %s returned by %s: %s", caseID, by, note)
	case "withdrawn":
		r.Status = ReviewWithdrawn
		reason = "approval case " + caseID + " withdrawn"
	default:
		return d, HistoryEntry{}, wrongStage("case %s reports %q", caseID, status)
	}
	if p.Settled != nil {
		p.Settled(&next, status == "approved")
	}
	actor := by
	if actor == "" {
		actor = SystemActor
	}
	return next, next.record(d.Stage, actor, "review_"+status, reason, now), nil
}

// nextReview returns the round of a new review at stage and the review it
// follows, if any.
func nextReview(d *Deal, stage Stage) (int, *Review) {
	prev := reviewPointAt(stage).Review(d)
	if prev == nil {
		return 1, nil
	}
	return prev.Round + 1, prev
}

// newNumber records a missing number (field), or one that a record the deal
// already has carries.
func newNumber[T any](fe *fieldErrors, field, what, no string, recorded []T, numberOf func(T) string) {
	fe.Required(field, no)
	for _, r := range recorded {
		if numberOf(r) == no {
			fe.Add(field, "%s %s is already recorded", what, no)
		}
	}
}

// positiveAmount records a missing or non-positive amount; it reports whether
// the amount can be checked further.
func positiveAmount(fe *fieldErrors, amount *money.Amount) bool {
	switch {
	case amount == nil:
		fe.Add("amount", "is required")
	case *amount <= 0:
		fe.Add("amount", "must be positive")
	default:
		return true
	}
	return false
}

// decide records a single reviewer's decision; a rejection needs a reason.
func decide(r *Review, approve bool, by identity.User, a Action, now time.Time) error {
	if !approve && strings.TrimSpace(a.Reason) == "" {
		return badField("reason", "is required to reject")
	}
	r.Status = ReviewRejected
	if approve {
		r.Status = ReviewApproved
	}
	t := now
	r.DecidedBy, r.DecidedAt, r.Note = by.ID, &t, a.Reason
	return nil
}

func recordShipment(next *Deal, by identity.User, a Action, now time.Time) (string, error) {
	var fe fieldErrors
	newNumber(&fe, "shipment_no", "shipment", a.ShipmentNo, next.Shipments, func(s Shipment) string { return s.Number })
	switch {
	case a.ShippedOn.IsZero():
		fe.Add("shipped_on", "is required")
	case !a.Today.IsZero() && a.Today.Before(a.ShippedOn):
		fe.Add("shipped_on", "%s is in the future", a.ShippedOn)
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	next.Shipments = append(next.Shipments, Shipment{Number: a.ShipmentNo, ShippedOn: a.ShippedOn,
		Carrier: a.Carrier, Final: a.Final, RecordedBy: by.ID, RecordedAt: now})
	if a.Final {
		// Payments the ERP reported during delivery may already cover the contract.
		next.Stage = StagePaymentCollection
		closeIfPaid(next, now)
		return orDefault(a.Reason, "delivered in full with shipment "+a.ShipmentNo), nil
	}
	return orDefault(a.Reason, "partial shipment "+a.ShipmentNo), nil
}

func recordInvoice(next *Deal, by identity.User, a Action, now time.Time) (string, error) {
	var fe fieldErrors
	newNumber(&fe, "invoice_no", "invoice", a.InvoiceNo, next.Invoices, func(i Invoice) string { return i.Number })
	contract := next.Contract.Amount
	if positiveAmount(&fe, a.Amount) && next.Invoiced()+*a.Amount > contract {
		fe.Add("amount", "would invoice %s in all, more than the contract amount %s", next.Invoiced()+*a.Amount, contract)
	}
	if a.IssuedOn.IsZero() {
		fe.Add("issued_on", "is required")
	}
	switch {
	case a.DueOn.IsZero():
		fe.Add("due_on", "is required")
	case a.DueOn.Before(a.IssuedOn):
		fe.Add("due_on", "%s is before the issue date %s", a.DueOn, a.IssuedOn)
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	next.Invoices = append(next.Invoices, Invoice{Number: a.InvoiceNo, Amount: *a.Amount, IssuedOn: a.IssuedOn,
		DueOn: a.DueOn, RecordedBy: by.ID, RecordedAt: now})
	return orDefault(a.Reason, fmt.Sprintf("invoice %s: %s %s due %s", a.InvoiceNo, a.Amount, next.Currency, a.DueOn)), nil
}

func recordPayment(next *Deal, by identity.User, a Action, now time.Time) (string, error) {
	var fe fieldErrors
	newNumber(&fe, "payment_ref", "payment", a.PaymentRef, next.Payments, func(p Payment) string { return p.Reference })
	if a.ReceivedOn.IsZero() {
		fe.Add("received_on", "is required")
	}
	outstanding := next.Invoiced() - next.Paid()
	if a.InvoiceNo != "" {
		i := slices.IndexFunc(next.Invoices, func(i Invoice) bool { return i.Number == a.InvoiceNo })
		if i < 0 {
			fe.Add("invoice_no", "no invoice %s on this deal", a.InvoiceNo)
		} else {
			outstanding = next.Invoices[i].Amount
			for _, p := range next.Payments {
				if p.InvoiceNo == a.InvoiceNo {
					outstanding -= p.Amount
				}
			}
		}
	}
	if positiveAmount(&fe, a.Amount) && *a.Amount > outstanding {
		fe.Add("amount", "%s is more than the %s outstanding", a.Amount, outstanding)
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	next.Payments = append(next.Payments, Payment{Reference: a.PaymentRef, Amount: *a.Amount,
		ReceivedOn: a.ReceivedOn, InvoiceNo: a.InvoiceNo, RecordedBy: by.ID, RecordedAt: now})
	if closeIfPaid(next, now); next.Stage == StageClosed {
		return orDefault(a.Reason, fmt.Sprintf("paid in full: %s %s", next.Paid(), next.Currency)), nil
	}
	return orDefault(a.Reason, fmt.Sprintf("payment %s: %s %s received; %s outstanding on the contract",
		a.PaymentRef, a.Amount, next.Currency, next.Contract.Amount-next.Paid())), nil
}

func markLost(next *Deal, _ identity.User, a Action, _ time.Time) (string, error) {
	if strings.TrimSpace(a.Reason) == "" {
		return "", badField("reason", "is required: say why the deal was lost")
	}
	next.Stage = StageLost
	next.LostReason = a.Reason
	return a.Reason, nil
}

func assignOwners(next *Deal, _ identity.User, a Action, _ time.Time) (string, error) {
	if strings.TrimSpace(a.DeliveryOwner) == "" && strings.TrimSpace(a.PaymentOwner) == "" {
		return "", badField("delivery_owner", "name a delivery_owner, a payment_owner, or both")
	}
	var changes []string
	if a.DeliveryOwner != "" {
		next.Owners.Delivery = a.DeliveryOwner
		changes = append(changes, "delivery owner "+a.DeliveryOwner)
	}
	if a.PaymentOwner != "" {
		next.Owners.Payment = a.PaymentOwner
		changes = append(changes, "payment owner "+a.PaymentOwner)
	}
	if err := checkAssignedOwners(next, a); err != nil {
		return "", err
	}
	return orDefault(a.Reason, strings.Join(changes, ", ")), nil
}

// --- transitions nobody asked for ---

// ExpireQuote marks the open quote expired once its validity has passed. It
// reports false when there is nothing to expire (the quote was answered or
// revised in the meantime).
func ExpireQuote(d Deal, now time.Time) (Deal, HistoryEntry, bool) {
	now = storable(now)
	q := d.CurrentQuote()
	if d.Stage != StageQuote || q == nil || q.Status != QuoteOpen || now.Before(q.ExpiresAt) {
		return d, HistoryEntry{}, false
	}
	next := d.clone()
	next.CurrentQuote().Status = QuoteExpired
	reason := fmt.Sprintf("quote revision %d expired unanswered (valid until %s)", q.Revision, q.ValidUntil)
	return next, next.record(d.Stage, SystemActor, "expire_quote", reason, now), true
}

// MarkDeliveryOverdue notes, once, that the agreed delivery day has passed
// without the final shipment.
func MarkDeliveryOverdue(d Deal, now time.Time) (Deal, HistoryEntry, bool) {
	now = storable(now)
	if d.Stage != StageDelivery || d.Order == nil || d.Order.OverdueNotified != nil || now.Before(d.Order.DueAt) {
		return d, HistoryEntry{}, false
	}
	next := d.clone()
	t := now
	next.Order.OverdueNotified = &t
	reason := fmt.Sprintf("delivery was due on %s and has not shipped in full", d.Order.DeliveryDue)
	return next, next.record(d.Stage, SystemActor, "delivery_overdue", reason, now), true
}

// storable rounds t down to what PostgreSQL keeps (microseconds, UTC), so the
// deal a workflow holds and the deal read back from the database are equal.
func storable(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func orDefault(s, def string) string {
	if strings.TrimSpace(s) != "" {
		return s
	}
	return def
}
