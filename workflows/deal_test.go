package workflows

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/credit"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/testenv/must"
)

var (
	start    = time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC) // a Monday, 09:00 in Shanghai
	wang     = identity.User{ID: "wang", Roles: []identity.Role{identity.RoleSales}}
	li       = identity.User{ID: "li", Roles: []identity.Role{identity.RoleSalesManager}}
	zhou     = identity.User{ID: "zhou", Roles: []identity.Role{identity.RoleDelivery}}
	wu       = identity.User{ID: "wu", Roles: []identity.Role{identity.RoleCollector}}
	sun      = identity.User{ID: "sun", Roles: []identity.Role{identity.RoleFinance}}
	liu      = identity.User{ID: "liu", Roles: []identity.Role{identity.RoleSales}}
	shanghai = time.FixedZone("CST", 8*3600)
)

// dealTest drives one deal workflow in the SDK's test environment, with the
// save activity recorded instead of written to PostgreSQL.
type dealTest struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	saved []activities.SaveDealInput
	in    DealInput
	cases []ApprovalInput // approval cases the deal started
	// records stands in for the cases' rows, which review news is checked against.
	records *apprRecords
	// ERP orders (newERPDealTest): the orders asked of the ERP, what its
	// create answers (nil: a number), what its watch on shipments answers
	// (nil: nothing new), and the plans of the delivery follow-up.
	erpOrders []activities.CreateSalesOrderInput
	erpCreate func(in activities.CreateSalesOrderInput) (activities.CreateSalesOrderResult, error)
	erpWatch  func(in activities.WatchShipmentsInput) (activities.WatchShipmentsResult, error)
	plans     []activities.PlanDeliveryInput
}

// newDealTest runs a deal of the workflow before ERPOrderChange (orders typed
// by a person, a late delivery flagged once), which deals started before it
// keep; newERPDealTest runs today's.
func newDealTest(t *testing.T, o deal.Opening) *dealTest {
	dt := newDealTestAt(t, o)
	dt.env.OnGetVersion(ERPOrderChange, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	return dt
}

// newERPDealTest runs a deal that creates its order in the ERP and follows
// its delivery, with the ERP's and the calendar's activities stood in for:
// the ERP numbers each order SO-<deal>, delivery notices fall on China's
// working calendar with a grace of one working day, escalations go to "boss".
func newERPDealTest(t *testing.T, o deal.Opening) *dealTest {
	dt := newDealTestAt(t, o)
	var e *activities.ERP
	dt.env.RegisterActivity(e)
	dt.env.OnActivity(e.CreateSalesOrder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CreateSalesOrderInput) (activities.CreateSalesOrderResult, error) {
			dt.erpOrders = append(dt.erpOrders, in)
			if dt.erpCreate != nil {
				return dt.erpCreate(in)
			}
			return activities.CreateSalesOrderResult{Number: "SO-" + in.CustomerRef}, nil
		})
	dt.env.OnActivity(e.WatchShipments, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.WatchShipmentsInput) (activities.WatchShipmentsResult, error) {
			if dt.erpWatch != nil {
				return dt.erpWatch(in)
			}
			return activities.WatchShipmentsResult{}, nil
		})
	var dl *activities.Deliveries
	dt.env.RegisterActivity(dl)
	dt.env.OnActivity(dl.PlanDelivery, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PlanDeliveryInput) (activities.PlanDeliveryResult, error) {
			dt.plans = append(dt.plans, in)
			return activities.PlanDeliveryResult{At: activities.DeliveryNoticeAt(calendar.China(), 1, in), Manager: "boss",
				ShipmentPoll: 10 * time.Minute, ShipmentWait: 24 * time.Hour, WatchHeartbeat: 30 * time.Second}, nil
		})
	return dt
}

func newDealTestAt(t *testing.T, o deal.Opening) *dealTest {
	dt := &dealTest{t: t, env: newEnv()}
	dt.env.SetStartTime(start)
	dt.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: DealWorkflowID("D-1")})
	var a *activities.Deals
	dt.env.RegisterActivity(a)
	dt.env.OnActivity(a.SaveDeal, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SaveDealInput) error {
			dt.saved = append(dt.saved, in)
			return nil
		})
	// Orders pass the credit check (the holds have tests of their own).
	var c *activities.Credit
	dt.env.RegisterActivity(c)
	dt.env.OnActivity(c.CheckCredit, mock.Anything, mock.Anything).Return(credit.Decision{}, nil)
	// Reviews run as child approval cases; here the child is a stand-in and the
	// test plays its news (dt.review) to the deal.
	dt.records = apprConfirmNews(dt.env)
	dt.env.RegisterWorkflow(ApprovalWorkflow)
	dt.env.OnWorkflow(ApprovalWorkflow, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in ApprovalInput) (approval.Case, error) {
			dt.cases = append(dt.cases, in)
			return in.Case, nil
		})
	d, opened, err := deal.Open("D-1", o, wang, start)
	require.NoError(t, err)
	dt.in = DealInput{Deal: d, Opened: opened}
	return dt
}

// review plays an approval case's news to the deal, delay after the start.
func (dt *dealTest) review(delay time.Duration, caseID string, status approval.Status, by string) {
	dt.env.RegisterDelayedCallback(func() {
		dt.records.played(ReviewNews{CaseID: caseID, Status: status, By: by})
		dt.env.SignalWorkflow(ReviewSignal, ReviewNews{CaseID: caseID, Status: status, By: by})
	}, delay)
}

// newEnv returns a test environment that logs only warnings, so test output
// shows failures rather than every timer.
func newEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	return s.NewTestWorkflowEnvironment()
}

func (dt *dealTest) run() { dt.env.ExecuteWorkflow(DealWorkflow, dt.in) }

// at schedules an action by who, delay after the start, and records its outcome in out.
func (dt *dealTest) at(delay time.Duration, who identity.User, a deal.Action, out *error) {
	dt.env.RegisterDelayedCallback(func() {
		a.Resolve(dt.env.Now(), shanghai)
		dt.env.UpdateWorkflow(DealActUpdate, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { *out = err },
			OnComplete: func(_ any, err error) { *out = err },
		}, ActInput{Actor: who, Action: a})
	}, delay)
}

// toOrder takes the deal through its first five minutes: a quote submitted
// and accepted, contract contractNo for amt submitted and approved, a stock
// order due on due placed; errs[0] to errs[3] get their errors.
func (dt *dealTest) toOrder(contractNo, amt string, due deal.Date, errs []error) {
	dt.at(1*time.Minute, wang, quote, &errs[0])
	dt.at(2*time.Minute, wang, deal.Action{Name: deal.ActAcceptQuote}, &errs[1])
	dt.at(3*time.Minute, wang, deal.Action{Name: deal.ActSubmitContract, ContractNo: contractNo, Amount: amount(amt)}, &errs[2])
	dt.review(4*time.Minute, "contract_review.D-1.1", approval.StatusApproved, "li")
	dt.at(5*time.Minute, wang, deal.Action{Name: deal.ActPlaceOrder, Kind: deal.OrderStock, DeliveryDue: due}, &errs[3])
}

// status asks the workflow for the deal, delay after the start.
func (dt *dealTest) status(delay time.Duration, got *deal.Deal) {
	queryAt(dt.t, dt.env, delay, DealStatusQuery, got)
}

// queryAt runs query delay after the workflow's start and puts its answer in got.
func queryAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, delay time.Duration, query string, got any) {
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(query)
		require.NoError(t, err)
		require.NoError(t, v.Get(got))
	}, delay)
}

// amount reads the amounts the tests write.
var amount = must.Amount

var quote = deal.Action{Name: deal.ActSubmitQuote, Lines: []deal.QuoteLine{{SKU: "SP-100", Quantity: 4, UnitPrice: 250000}},
	ValidUntil: deal.Date{Year: 2026, Month: 11, Day: 9}}

func TestDealRunsFromOpportunityToPaid(t *testing.T) {
	dt := newDealTest(t, deal.Opening{Title: "Spindles", Customer: deal.Customer{Name: "Suzhou Parts"},
		Owners: deal.Owners{Delivery: "zhou", Payment: "wu"}})
	errs := make([]error, 9)
	h := time.Hour
	dt.at(1*h, wang, quote, &errs[0])
	dt.at(2*h, wang, deal.Action{Name: deal.ActAcceptQuote}, &errs[1])
	dt.at(3*h, wang, deal.Action{Name: deal.ActSubmitContract, ContractNo: "HT-7", Amount: amount("10000")}, &errs[2])
	dt.at(4*h, li, deal.Action{Name: deal.ActApproveContract}, &errs[3]) // decided in the case, not here
	dt.review(4*h+time.Minute, "contract_review.D-1.1", approval.StatusApproved, "li")
	dt.at(5*h, wang, deal.Action{Name: deal.ActPlaceOrder, Kind: deal.OrderStock, DeliveryDue: deal.Date{Year: 2026, Month: 11, Day: 20}}, &errs[4])
	dt.at(6*h, zhou, deal.Action{Name: deal.ActRecordShipment, ShipmentNo: "S-1", ShippedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, Final: true}, &errs[5])
	dt.at(7*h, sun, deal.Action{Name: deal.ActRecordInvoice, InvoiceNo: "INV-1", Amount: amount("10000"),
		IssuedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, DueOn: deal.Date{Year: 2026, Month: 12, Day: 2}}, &errs[6])
	dt.at(8*h, wu, deal.Action{Name: deal.ActRecordPayment, PaymentRef: "P-1", Amount: amount("6000"), ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 3}}, &errs[7])
	dt.at(9*h, wu, deal.Action{Name: deal.ActRecordPayment, PaymentRef: "P-2", Amount: amount("4000"), ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 4}, InvoiceNo: "INV-1"}, &errs[8])
	dt.run()

	for i, err := range errs {
		if i == 3 {
			refusalIs(t, err, "wrong_stage")
			continue
		}
		require.NoError(t, err, "action %d", i)
	}
	require.True(t, dt.env.IsWorkflowCompleted())
	require.NoError(t, dt.env.GetWorkflowError())
	var final deal.Deal
	require.NoError(t, dt.env.GetWorkflowResult(&final))
	require.Equal(t, deal.StageClosed, final.Stage)
	require.Equal(t, money.Amount(1000000), final.Paid())
	require.Equal(t, start.Add(9*time.Hour), *final.ClosedAt)

	// One save per transition, in order, each one version newer.
	require.Len(t, dt.saved, 10)
	stages := []deal.Stage{}
	for i, s := range dt.saved {
		require.Equal(t, int64(i+1), s.Deal.Version)
		require.Equal(t, s.Deal.Version, s.Entry.Seq)
		stages = append(stages, s.Entry.To)
	}
	require.Equal(t, []deal.Stage{deal.StageOpportunity, deal.StageQuote, deal.StageContractReview,
		deal.StageContractReview, deal.StageOrder, deal.StageDelivery, deal.StagePaymentCollection,
		deal.StagePaymentCollection, deal.StagePaymentCollection, deal.StageClosed}, stages)
	// The contract review ran as an approval case with the contract's terms.
	require.Len(t, dt.cases, 1)
	c := dt.cases[0].Case
	require.Equal(t, "contract_review.D-1.1", c.ID)
	require.Equal(t, "wang", c.Requester)
	require.Equal(t, "deal/D-1", dt.cases[0].Parent)
	require.Equal(t, money.Amount(1000000), c.Facts.Amount)
	require.Equal(t, "approval:contract_review.D-1.1", dt.saved[3].Deal.Holder)
	require.Equal(t, "review_approved", dt.saved[4].Entry.Action)
}

func TestUnansweredQuoteExpiresAndOwnerIsTold(t *testing.T) {
	dt := newDealTest(t, deal.Opening{Title: "Spindles", Customer: deal.Customer{Name: "Suzhou Parts"}})
	var submitErr, acceptErr, lostErr error
	var before, after deal.Deal
	dt.at(time.Hour, wang, quote, &submitErr) // valid until the end of 9 Nov in Shanghai
	dt.status(7*24*time.Hour, &before)        // 9 Nov 09:00
	dt.status(8*24*time.Hour, &after)         // 10 Nov 09:00
	dt.at(8*24*time.Hour+time.Minute, wang, deal.Action{Name: deal.ActAcceptQuote}, &acceptErr)
	dt.at(9*24*time.Hour, wang, deal.Action{Name: deal.ActMarkLost, Reason: "no answer"}, &lostErr)
	dt.run()

	require.NoError(t, submitErr)
	require.Equal(t, deal.QuoteOpen, before.CurrentQuote().Status)
	require.Equal(t, deal.QuoteExpired, after.CurrentQuote().Status)
	require.Equal(t, deal.StageQuote, after.Stage)
	ruleErrorIs(t, acceptErr, deal.ErrWrongStage)
	require.NoError(t, lostErr)

	expiry := dt.saved[2]
	require.Equal(t, "expire_quote", expiry.Entry.Action)
	require.Equal(t, deal.SystemActor, expiry.Entry.Actor)
	require.Equal(t, time.Date(2026, 11, 9, 16, 0, 0, 0, time.UTC), expiry.Entry.At) // midnight in Shanghai
	require.Len(t, expiry.Notices, 1)
	require.Equal(t, "wang", expiry.Notices[0].Recipient)
	require.Equal(t, deal.StageLost, dt.saved[3].Deal.Stage)
	require.True(t, dt.env.IsWorkflowCompleted())
}

func TestLateDeliveryIsFlaggedOnce(t *testing.T) {
	dt := newDealTest(t, deal.Opening{Title: "Gearboxes", Customer: deal.Customer{Name: "Wuxi"},
		Owners: deal.Owners{Delivery: "zhou", Payment: "wu"}})
	errs := make([]error, 6)
	dt.toOrder("HT-8", "100", deal.Date{Year: 2026, Month: 11, Day: 4}, errs)
	dt.at(10*24*time.Hour, wang, deal.Action{Name: deal.ActMarkLost, Reason: "too late"}, &errs[5]) // keeps the test finite
	dt.env.RegisterDelayedCallback(dt.env.CancelWorkflow, 11*24*time.Hour)
	dt.run()

	for _, err := range errs[:5] {
		require.NoError(t, err)
	}
	ruleErrorIs(t, errs[5], deal.ErrWrongStage) // an order cannot be lost
	var overdue []activities.SaveDealInput
	for _, s := range dt.saved {
		if s.Entry.Action == "delivery_overdue" {
			overdue = append(overdue, s)
		}
	}
	require.Len(t, overdue, 1)
	require.Equal(t, time.Date(2026, 11, 4, 16, 0, 0, 0, time.UTC), overdue[0].Entry.At)
	require.Equal(t, []string{"zhou", "wang"}, []string{overdue[0].Notices[0].Recipient, overdue[0].Notices[1].Recipient})
}

func TestRefusedActionsChangeNothing(t *testing.T) {
	dt := newDealTest(t, deal.Opening{Title: "Presses", Customer: deal.Customer{Name: "Ningbo"}})
	var unknown, wrongPerson, missing, wrongStage, ok error
	var after deal.Deal
	dt.at(1*time.Minute, wang, deal.Action{Name: "sing_a_song"}, &unknown)
	dt.at(2*time.Minute, liu, quote, &wrongPerson)
	dt.at(3*time.Minute, wang, deal.Action{Name: deal.ActSubmitQuote}, &missing)
	dt.at(4*time.Minute, wang, deal.Action{Name: deal.ActAcceptQuote}, &wrongStage)
	dt.status(5*time.Minute, &after)
	dt.at(6*time.Minute, wang, deal.Action{Name: deal.ActMarkLost, Reason: "test over"}, &ok)
	dt.run()

	ruleErrorIs(t, unknown, deal.ErrUnknownAction)
	ruleErrorIs(t, wrongPerson, deal.ErrForbidden)
	de := ruleErrorIs(t, missing, deal.ErrInvalid)
	require.ElementsMatch(t, []string{"lines", "valid_until"}, fieldNames(de))
	ruleErrorIs(t, wrongStage, deal.ErrWrongStage)
	require.NoError(t, ok)
	require.Equal(t, int64(1), after.Version, "refused actions must not change the deal")
	require.Len(t, dt.saved, 2) // opened, lost
}

func TestFailedSaveLeavesTheDealAsItWas(t *testing.T) {
	env := newEnv()
	env.SetStartTime(start)
	var a *activities.Deals
	env.RegisterActivity(a)
	calls := 0
	env.OnActivity(a.SaveDeal, mock.Anything, mock.Anything).Return(func(context.Context, activities.SaveDealInput) error {
		calls++
		if calls == 2 {
			return temporal.NewNonRetryableApplicationError("foreign key", activities.ErrTypeRejectedByDatabase, nil)
		}
		return nil
	})
	d, opened, err := deal.Open("D-2", deal.Opening{Title: "X", Customer: deal.Customer{Name: "Y"}}, wang, start)
	require.NoError(t, err)
	var saveErr, lostErr error
	var after deal.Deal
	env.RegisterDelayedCallback(func() {
		q := quote
		q.Resolve(env.Now(), shanghai)
		env.UpdateWorkflow(DealActUpdate, "", &testsuite.TestUpdateCallback{OnAccept: func() {},
			OnReject: func(err error) { saveErr = err }, OnComplete: func(_ any, err error) { saveErr = err }},
			ActInput{Actor: wang, Action: q})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(DealStatusQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&after))
		env.UpdateWorkflow(DealActUpdate, "", &testsuite.TestUpdateCallback{OnAccept: func() {},
			OnReject: func(err error) { lostErr = err }, OnComplete: func(_ any, err error) { lostErr = err }},
			ActInput{Actor: wang, Action: deal.Action{Name: deal.ActMarkLost, Reason: "done"}})
	}, 2*time.Minute)
	env.ExecuteWorkflow(DealWorkflow, DealInput{Deal: d, Opened: opened})

	require.Error(t, saveErr)
	require.Equal(t, deal.StageOpportunity, after.Stage)
	require.Equal(t, int64(1), after.Version)
	require.NoError(t, lostErr)
}

func ruleErrorIs(t *testing.T, err error, kind deal.ErrorKind) *deal.Error {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	require.Equal(t, ErrTypeRefusal+string(kind), appErr.Type())
	var de deal.Error
	require.NoError(t, appErr.Details(&de))
	require.Equal(t, kind, de.Kind)
	return &de
}

func fieldNames(de *deal.Error) []string {
	var names []string
	for _, f := range de.Fields {
		names = append(names, f.Field)
	}
	return names
}

// TestERPRecordsArriveBySignal: the ERP reports an invoice and a payment (one of
// them twice) while the goods are still on their way; the final shipment then
// finds the deal paid and closes it.
func TestERPRecordsArriveBySignal(t *testing.T) {
	dt := newDealTest(t, deal.Opening{Title: "Gearboxes", Customer: deal.Customer{Name: "Wuxi"},
		Owners: deal.Owners{Delivery: "zhou", Payment: "wu"}})
	errs := make([]error, 6)
	dt.toOrder("HT-9", "500", deal.Date{Year: 2026, Month: 11, Day: 20}, errs)
	inv := deal.Invoice{Number: "9000001", Amount: 50000, IssuedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, DueOn: deal.Date{Year: 2026, Month: 12, Day: 2}}
	pay := deal.Payment{Reference: "1400000007", Amount: 50000, ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, InvoiceNo: "9000001"}
	for i, rec := range []ERPRecord{{Invoice: &inv}, {Payment: &pay}, {Payment: &pay}} {
		dt.env.RegisterDelayedCallback(func() { dt.env.SignalWorkflow(DealERPSignal, rec) }, time.Duration(6+i)*time.Minute)
	}
	dt.at(10*time.Minute, zhou, deal.Action{Name: deal.ActRecordShipment, ShipmentNo: "S-1", ShippedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, Final: true}, &errs[5])
	dt.run()

	for _, err := range errs {
		require.NoError(t, err)
	}
	var final deal.Deal
	require.NoError(t, dt.env.GetWorkflowResult(&final))
	require.Equal(t, deal.StageClosed, final.Stage)
	require.Len(t, final.Payments, 1, "the repeated payment is recorded once")
	require.Equal(t, deal.ERPActor, final.Invoices[0].RecordedBy)
	var actions []string
	for _, s := range dt.saved {
		actions = append(actions, s.Entry.Action)
	}
	require.Equal(t, []string{"open", "submit_quote", "accept_quote", "submit_contract", "review_approved",
		"place_order", "erp_invoice", "erp_payment", "record_shipment"}, actions)
}

func errType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}
