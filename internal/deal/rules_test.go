package deal

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/testenv/must"
)

var (
	t0    = time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	cst   = time.FixedZone("CST", 8*3600)
	rep   = identity.User{ID: "wang", Roles: []identity.Role{identity.RoleSales}}
	other = identity.User{ID: "liu", Roles: []identity.Role{identity.RoleSales}}
	boss  = identity.User{ID: "li", Roles: []identity.Role{identity.RoleSalesManager}}
	boss2 = identity.User{ID: "he", Roles: []identity.Role{identity.RoleSalesManager}}
	asst  = identity.User{ID: "zhao", Roles: []identity.Role{identity.RoleSalesAssistant}}
	do    = identity.User{ID: "zhou", Roles: []identity.Role{identity.RoleSales}}
	fin   = identity.User{ID: "sun", Roles: []identity.Role{identity.RoleFinance}}
)

// amt reads the amounts the tests write.
var amt = must.Amount

// apply runs a at t0 and fails the test on a refusal.
func apply(t *testing.T, d Deal, by identity.User, a Action) Deal {
	t.Helper()
	a.Resolve(t0, cst)
	next, h, err := Apply(d, by, a, t0)
	require.NoError(t, err)
	require.Equal(t, next.Version, h.Seq)
	return next
}

// refuse runs a and returns the refusal, checking d was left as it was.
func refuse(t *testing.T, d Deal, by identity.User, a Action, kind ErrorKind) *Error {
	t.Helper()
	before := d.clone()
	a.Resolve(t0, cst)
	_, _, err := Apply(d, by, a, t0)
	var de *Error
	require.True(t, errors.As(err, &de), "want a refusal, got %v", err)
	require.Equal(t, kind, de.Kind, de.Error())
	require.Equal(t, before, d, "a refused action must not touch the deal")
	return de
}

func opened(t *testing.T, o Opening) Deal {
	t.Helper()
	d, h, err := Open("D-1", o, rep, t0)
	require.NoError(t, err)
	require.Equal(t, int64(1), h.Seq)
	return d
}

var validQuote = Action{Name: ActSubmitQuote, Lines: []QuoteLine{{SKU: "A", Quantity: 3, UnitPrice: 33333}},
	ValidUntil: Date{Year: 2026, Month: 11, Day: 30}}

// inContractReview returns a deal whose contract awaits review, requested by the assistant.
func inContractReview(t *testing.T) Deal {
	d := opened(t, Opening{Title: "T", Customer: Customer{Name: "C"}, Owners: Owners{Delivery: "zhou", Payment: "sun"}})
	d = apply(t, d, rep, validQuote)
	d = apply(t, d, rep, Action{Name: ActAcceptQuote})
	return apply(t, d, asst, Action{Name: ActSubmitContract, ContractNo: "HT-1", Amount: amt("1000")})
}

func TestOpen(t *testing.T) {
	_, _, err := Open("D-1", Opening{Currency: "XYZ", ExpectedAmount: -1, PurchaseTimeframe: "soon"}, asst, t0)
	var de *Error
	require.ErrorAs(t, err, &de)
	require.Equal(t, []string{"title", "customer.name", "owners.sales", "currency", "expected_amount", "purchase_timeframe"}, fields(de))

	_, _, err = Open("D-1", Opening{Title: "T", Customer: Customer{Name: "C"}}, fin, t0)
	require.ErrorAs(t, err, &de)
	require.Equal(t, ErrForbidden, de.Kind)

	// A rep opens deals for themselves only; an assistant may name the rep.
	_, _, err = Open("D-1", Opening{Title: "T", Customer: Customer{Name: "C"}, Owners: Owners{Sales: "liu"}}, rep, t0)
	require.ErrorAs(t, err, &de)
	require.Equal(t, ErrForbidden, de.Kind)
	require.Equal(t, []string{"owners.sales"}, fields(de))
	_, _, err = Open("D-1", Opening{Title: "T", Customer: Customer{Name: "C"}, Owners: Owners{Sales: "wang"}}, asst, t0)
	require.NoError(t, err)

	d := opened(t, Opening{Title: " T ", Customer: Customer{Name: "C"}})
	require.Equal(t, Owners{Discoverer: "wang", Sales: "wang"}, d.Owners)
	require.Equal(t, "CNY", d.Currency)
	require.Equal(t, "T", d.Title)
	require.Equal(t, "wang", d.Holder)
}

func TestUnexpectedFields(t *testing.T) {
	require.Empty(t, UnexpectedFields(ActSubmitQuote, []string{"action", "reason", "lines", "discount", "valid_until"}))
	require.Equal(t, []FieldError{{Field: "amount", Message: "is not a field of accept_quote"}},
		UnexpectedFields(ActAcceptQuote, []string{"action", "amount"}))
	require.Equal(t, []FieldError{{Field: "customer_min_discount", Message: "is worked out by l2c and cannot be sent"}},
		UnexpectedFields(ActSubmitQuote, []string{"action", "lines", "customer_min_discount"}))
	require.Empty(t, UnexpectedFields("no_such_action", []string{"anything"}))
	// Every action has its payload type, so none is left open by mistake.
	for _, name := range ActionNames {
		s, ok := LookupAction(name)
		require.True(t, ok, name)
		require.NotNil(t, s.payload, name)
	}
}

func TestQuotePricing(t *testing.T) {
	d := opened(t, Opening{Title: "T", Customer: Customer{Name: "C"}})
	pct := Percent(8550)
	q := validQuote
	q.Discount = &pct
	d = apply(t, d, rep, q)
	got := d.CurrentQuote()
	require.Equal(t, money.Amount(99999), got.ListTotal)
	require.Equal(t, money.Amount(85499), got.NetTotal) // 854.99145 rounds to 854.99
	require.Equal(t, time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), got.ExpiresAt)

	// A revision supersedes the open quote.
	d = apply(t, d, rep, validQuote)
	require.Equal(t, QuoteSuperseded, d.Quotes[0].Status)
	require.Equal(t, QuoteOpen, d.Quotes[1].Status)
	require.Equal(t, 2, d.Quotes[1].Revision)

	bad := Action{Name: ActSubmitQuote, Lines: []QuoteLine{{Quantity: 0, UnitPrice: -1}}, Discount: new(Percent),
		ValidUntil: Date{Year: 2026, Month: 11, Day: 1}}
	de := refuse(t, d, rep, bad, ErrInvalid)
	require.Equal(t, []string{"lines[0].sku", "lines[0].quantity", "lines[0].unit_price", "discount", "valid_until"}, fields(de))
}

func TestWhoMayAct(t *testing.T) {
	d := opened(t, Opening{Title: "T", Customer: Customer{Name: "C"}})
	refuse(t, d, other, validQuote, ErrForbidden) // another rep
	apply(t, d, asst, validQuote)                 // assistants enter quotes for reps

	r := inContractReview(t)
	refuse(t, r, rep, Action{Name: ActApproveContract}, ErrForbidden) // not a manager
	selfOwned := r
	selfOwned.Owners.Sales = "li"
	refuse(t, selfOwned, boss, Action{Name: ActApproveContract}, ErrForbidden) // a manager's own deal
	requested := apply(t, opened(t, Opening{Title: "T", Customer: Customer{Name: "C"}}), rep, validQuote)
	requested = apply(t, requested, rep, Action{Name: ActAcceptQuote})
	requested = apply(t, requested, boss, Action{Name: ActSubmitContract, ContractNo: "X", Amount: amt("1")})
	de := refuse(t, requested, boss, Action{Name: ActApproveContract}, ErrForbidden) // their own request
	require.Contains(t, de.Message, "requested this review")
	apply(t, requested, boss2, Action{Name: ActApproveContract})
}

func TestContractRejectedThenResubmitted(t *testing.T) {
	d := inContractReview(t)
	refuse(t, d, boss, Action{Name: ActRejectContract}, ErrInvalid) // a rejection needs a reason
	refuse(t, d, asst, Action{Name: ActSubmitContract, ContractNo: "HT-1", Amount: amt("1")}, ErrWrongStage)
	d = apply(t, d, boss, Action{Name: ActRejectContract, Reason: "payment terms missing"})
	require.Equal(t, ReviewRejected, d.Contract.Review.Status)
	require.Equal(t, "wang", d.Holder)
	refuse(t, d, boss, Action{Name: ActApproveContract}, ErrWrongStage)
	d = apply(t, d, rep, Action{Name: ActSubmitContract, ContractNo: "HT-1b", Amount: amt("1200")})
	require.Equal(t, 2, d.Contract.Review.Round)
	d = apply(t, d, boss, Action{Name: ActApproveContract})
	require.Equal(t, StageOrder, d.Stage)
}

func TestTenderedDealGoesThroughBid(t *testing.T) {
	d := opened(t, Opening{Title: "T", Customer: Customer{Name: "C"}, Tendered: true})
	d = apply(t, d, rep, validQuote)
	d = apply(t, d, rep, Action{Name: ActAcceptQuote})
	require.Equal(t, StageBid, d.Stage)
	refuse(t, d, rep, Action{Name: ActRecordBid, Result: "maybe"}, ErrInvalid)
	refuse(t, d, rep, Action{Name: ActRecordBid, Result: BidLost}, ErrInvalid) // lost needs a reason
	lost := apply(t, d, rep, Action{Name: ActRecordBid, Result: BidLost, Reason: "price"})
	require.Equal(t, StageLost, lost.Stage)
	won := apply(t, d, rep, Action{Name: ActRecordBid, Result: BidWon, BidNo: "ZB-9"})
	require.Equal(t, StageContractReview, won.Stage)
}

func TestCustomOrderNeedsReview(t *testing.T) {
	d := apply(t, inContractReview(t), boss, Action{Name: ActApproveContract})
	refuse(t, d, rep, Action{Name: ActPlaceOrder, Kind: "rush"}, ErrInvalid)
	d = apply(t, d, rep, Action{Name: ActPlaceOrder, Kind: OrderCustom, DeliveryDue: Date{Year: 2026, Month: 12, Day: 15}})
	require.Equal(t, StageOrder, d.Stage)
	require.Equal(t, "role:sales_manager", d.Holder)
	refuse(t, d, do, Action{Name: ActRecordShipment, ShipmentNo: "S", ShippedOn: Date{Year: 2026, Month: 11, Day: 2}}, ErrWrongStage)
	d = apply(t, d, boss, Action{Name: ActApproveOrder})
	require.Equal(t, StageDelivery, d.Stage)
	require.Equal(t, "zhou", d.Holder)
	require.Equal(t, time.Date(2026, 12, 15, 16, 0, 0, 0, time.UTC), d.Order.DueAt)
}

func TestCollection(t *testing.T) {
	d := apply(t, inContractReview(t), boss, Action{Name: ActApproveContract})
	d = apply(t, d, rep, Action{Name: ActPlaceOrder, Kind: OrderStock, DeliveryDue: Date{Year: 2026, Month: 12, Day: 15}})
	refuse(t, d, do, Action{Name: ActRecordShipment, ShipmentNo: "S1", ShippedOn: Date{Year: 2026, Month: 11, Day: 3}}, ErrInvalid) // tomorrow
	d = apply(t, d, do, Action{Name: ActRecordShipment, ShipmentNo: "S1", ShippedOn: Date{Year: 2026, Month: 11, Day: 2}})
	require.Equal(t, StageDelivery, d.Stage) // partial
	refuse(t, d, do, Action{Name: ActRecordShipment, ShipmentNo: "S1", ShippedOn: Date{Year: 2026, Month: 11, Day: 2}}, ErrInvalid)
	d = apply(t, d, do, Action{Name: ActRecordShipment, ShipmentNo: "S2", ShippedOn: Date{Year: 2026, Month: 11, Day: 2}, Final: true})
	require.Equal(t, StagePaymentCollection, d.Stage)

	inv := Action{Name: ActRecordInvoice, InvoiceNo: "I1", Amount: amt("600"), IssuedOn: Date{Year: 2026, Month: 11, Day: 2}, DueOn: Date{Year: 2026, Month: 12, Day: 2}}
	refuse(t, d, rep, inv, ErrForbidden)
	d = apply(t, d, fin, inv)
	over := inv
	over.InvoiceNo, over.Amount = "I2", amt("400.01")
	refuse(t, d, fin, over, ErrInvalid) // more than the contract
	refuse(t, d, fin, Action{Name: ActRecordPayment, PaymentRef: "P1", Amount: amt("600.01"), ReceivedOn: Date{Year: 2026, Month: 11, Day: 2}}, ErrInvalid)
	refuse(t, d, fin, Action{Name: ActRecordPayment, PaymentRef: "P1", Amount: amt("1"), ReceivedOn: Date{Year: 2026, Month: 11, Day: 2}, InvoiceNo: "nope"}, ErrInvalid)
	d = apply(t, d, fin, Action{Name: ActRecordPayment, PaymentRef: "P1", Amount: amt("600"), ReceivedOn: Date{Year: 2026, Month: 11, Day: 2}, InvoiceNo: "I1"})
	require.Equal(t, StagePaymentCollection, d.Stage)
	over.Amount = amt("400")
	d = apply(t, d, fin, over)
	d = apply(t, d, fin, Action{Name: ActRecordPayment, PaymentRef: "P2", Amount: amt("400"), ReceivedOn: Date{Year: 2026, Month: 11, Day: 2}})
	require.Equal(t, StageClosed, d.Stage)
	require.Equal(t, "", d.Holder)
	refuse(t, d, fin, Action{Name: ActRecordPayment}, ErrWrongStage)
}

func TestLostOnlyBeforeTheOrder(t *testing.T) {
	d := inContractReview(t)
	refuse(t, d, rep, Action{Name: ActMarkLost}, ErrInvalid) // a reason is required
	lost := apply(t, d, rep, Action{Name: ActMarkLost, Reason: "budget cut"})
	require.Equal(t, StageLost, lost.Stage)
	require.Equal(t, "budget cut", lost.LostReason)
	ordered := apply(t, d, boss, Action{Name: ActApproveContract})
	refuse(t, ordered, rep, Action{Name: ActMarkLost, Reason: "x"}, ErrWrongStage)
}

func TestNotices(t *testing.T) {
	d := inContractReview(t)
	next, h, err := Apply(d, boss, Action{Name: ActApproveContract}, t0)
	require.NoError(t, err)
	n := Notices(d, next, h)
	require.Len(t, n, 1)
	require.Equal(t, "wang", n[0].Recipient)
	// Whoever acts is not told of their own action.
	next, h, err = Apply(next, rep, Action{Name: ActAssignOwners, PaymentOwner: "wang"}, t0)
	require.NoError(t, err)
	require.Empty(t, Notices(d, next, h))
}

func TestPercentAndDate(t *testing.T) {
	for in, want := range map[string]Percent{"85": 8500, "85.5": 8550, "85%": 8500, "100": 10000, "0.01": 1} {
		got, err := ParsePercent(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "abc", "85.555", "-5", "1e2", "85."} {
		_, err := ParsePercent(in)
		require.Error(t, err, in)
	}
	require.Equal(t, "85.5", Percent(8550).String())
	_, err := ParseDate("2026-02-30")
	require.Error(t, err)
	require.True(t, Date{Year: 2026, Month: 1, Day: 31}.Before(Date{Year: 2026, Month: 2, Day: 1}))
}

func fields(de *Error) []string {
	var out []string
	for _, f := range de.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestQuoteBelowCustomerMinimumNeedsApproval(t *testing.T) {
	d := opened(t, Opening{Title: "T", Customer: Customer{Code: "C1", Name: "C"}})
	d.ReviewEngine = true
	min := Percent(8500)
	q := validQuote
	q.CustomerMinDiscount = &min
	within := Percent(9000)
	q.Discount = &within
	ok := apply(t, d, rep, q)
	require.Equal(t, QuoteOpen, ok.CurrentQuote().Status, "within the minimum: sent at once")

	below := Percent(8000)
	q.Discount = &below
	d = apply(t, d, rep, q)
	got := d.CurrentQuote()
	require.Equal(t, QuotePendingApproval, got.Status)
	require.Equal(t, "quote_discount.D-1.1", got.Review.CaseID)
	require.Equal(t, "approval:quote_discount.D-1.1", d.Holder)
	refuse(t, d, rep, Action{Name: ActAcceptQuote}, ErrWrongStage)
	refuse(t, d, rep, q, ErrWrongStage) // no revision while its approval is open

	returned, _, err := ReviewNews(d, "quote_discount.D-1.1", "returned", "chen", "too deep", t0)
	require.NoError(t, err)
	require.Equal(t, QuoteRejected, returned.CurrentQuote().Status)
	// The revision continues the returned case, as its next round.
	revised := apply(t, returned, rep, q)
	require.Equal(t, "quote_discount.D-1.1", revised.CurrentQuote().Review.CaseID)

	approved, h, err := ReviewNews(d, "quote_discount.D-1.1", "approved", "sun", "", t0)
	require.NoError(t, err)
	require.Equal(t, "review_approved", h.Action)
	require.Equal(t, QuoteOpen, approved.CurrentQuote().Status)
	require.Equal(t, StageQuote, approved.Stage)
	apply(t, approved, rep, Action{Name: ActAcceptQuote})
	_, _, err = ReviewNews(d, "quote_discount.D-1.9", "approved", "sun", "", t0)
	require.Error(t, err, "news of another case is ignored")
}
