package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/deal"
)

// apprRecords stands in for the approval cases' rows: news a test plays as
// the case is what the case recorded; anything else was sent by someone else.
type apprRecords struct {
	byCase  map[string]ReviewNews
	checked []activities.NewsInput
	// notInERP are invoice numbers and payment references the ERP's data
	// does not hold; every other ERP record is held as heard.
	notInERP   map[string]bool
	erpChecked []activities.ConfirmERPRecordInput
}

func (r *apprRecords) played(n ReviewNews) { r.byCase[n.CaseID] = n }

// apprConfirmNews answers ConfirmNews and ConfirmERPRecord from the records.
func apprConfirmNews(env *testsuite.TestWorkflowEnvironment) *apprRecords {
	r := &apprRecords{byCase: map[string]ReviewNews{}, notInERP: map[string]bool{}}
	var a *activities.Approvals
	env.RegisterActivity(a)
	var d *activities.Deals
	env.OnActivity(d.ConfirmERPRecord, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ConfirmERPRecordInput) (activities.ERPRecordCheck, error) {
			r.erpChecked = append(r.erpChecked, in)
			if (in.Record.Invoice != nil && r.notInERP[in.Record.Invoice.Number]) ||
				(in.Record.Payment != nil && r.notInERP[in.Record.Payment.Reference]) {
				return activities.ERPRecordCheck{Reason: "the ERP holds no such record"}, nil
			}
			return activities.ERPRecordCheck{Held: true}, nil
		})
	env.OnActivity(a.ConfirmNews, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NewsInput) (activities.NewsCheck, error) {
			r.checked = append(r.checked, in)
			n, ok := r.byCase[in.CaseID]
			if !ok {
				return activities.NewsCheck{Status: approval.StatusInReview, Round: 1}, nil
			}
			return activities.NewsCheck{Agrees: n.Status == in.Status && n.Round == in.Round, Status: n.Status,
				Round: n.Round, By: n.By, Note: n.Note}, nil
		})
	return r
}

// TestApprForgedReviewNewsMovesNothing: "approved" news for the deal's case,
// signalled by someone other than the case, is checked against the case's
// record, refused and leaves the deal in review; the case's own news then
// approves it, with who decided taken from the record. The case is opened
// with the deal's sales owner and discoverer excluded from its approvers.
func TestApprForgedReviewNewsMovesNothing(t *testing.T) {
	dt := newDealTest(t, deal.Opening{Title: "Spindles", Customer: deal.Customer{Name: "Suzhou Parts"},
		Owners: deal.Owners{Discoverer: "liu"}})
	errs := make([]error, 3)
	h := time.Hour
	caseID := "contract_review.D-1.1"
	dt.at(1*h, wang, quote, &errs[0])
	dt.at(2*h, wang, deal.Action{Name: deal.ActAcceptQuote}, &errs[1])
	dt.at(3*h, wang, deal.Action{Name: deal.ActSubmitContract, ContractNo: "HT-7", Amount: amount("10000")}, &errs[2])
	dt.env.RegisterDelayedCallback(func() {
		dt.env.SignalWorkflow(ReviewSignal, ReviewNews{CaseID: caseID, Status: approval.StatusApproved, By: "mallory"})
	}, 4*h)
	var during deal.Deal
	dt.status(5*h, &during)
	dt.review(6*h, caseID, approval.StatusReturned, "sun")
	var after deal.Deal
	dt.status(7*h, &after)
	dt.env.RegisterDelayedCallback(func() { dt.env.CancelWorkflow() }, 8*h)
	dt.run()

	for i, err := range errs {
		require.NoError(t, err, "action %d", i)
	}
	require.Equal(t, deal.StageContractReview, during.Stage, "the forged news moved nothing")
	require.Equal(t, deal.ReviewPending, during.Contract.Review.Status)
	require.Len(t, dt.records.checked, 2, "both were checked against the case's record")
	require.Equal(t, approval.StatusApproved, dt.records.checked[0].Status)
	require.Equal(t, deal.ReviewRejected, after.Contract.Review.Status, "the case's own news applies")
	require.Equal(t, "sun", after.Contract.Review.DecidedBy)
	require.ElementsMatch(t, []string{"wang", "liu"}, dt.cases[0].Case.Excluded)
}

// TestApprTermsChangeIgnoresForgedNews: the terms change takes neither the
// first news nor any news the case did not record.
func TestApprTermsChangeIgnoresForgedNews(t *testing.T) {
	tt := newTermsTest(t, nil)
	tt.env.RegisterDelayedCallback(func() {
		tt.env.SignalWorkflow(ReviewSignal, ReviewNews{CaseID: TermsChangeCaseID("C1001", 7), Status: approval.StatusApproved, By: "mallory"})
	}, time.Hour)
	tt.news(2*time.Hour, approval.StatusReturned, "sun", "not now")
	st := tt.run(t)
	require.Equal(t, "rejected", st.Status)
	require.Empty(t, tt.writes, "nothing written to the ERP")
	require.Len(t, tt.records.checked, 2)
}

// apprSendID is approvalTest.send under a given Update ID.
// keyed makes run start the workflow as a worker with update key key runs
// it, checking the signature of every update and signal.
func (at *approvalTest) keyed(key UpdateKey) {
	at.env.RegisterWorkflowWithOptions((&Workflows{Key: key}).ApprovalWorkflow, workflow.RegisterOptions{Name: "ApprovalWorkflow"})
	at.workflow = "ApprovalWorkflow"
}

func (at *approvalTest) apprSendID(delay time.Duration, name, id string, arg any, out *error) {
	at.env.RegisterDelayedCallback(func() {
		at.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{OnAccept: func() {},
			OnReject: func(err error) { *out = err }, OnComplete: func(_ any, err error) { *out = err }}, arg)
	}, delay)
}

// TestApprKeyedWorkflowRefusesUnsignedUpdates: the workflows a worker runs
// refuse an Update input that is unsigned, signed for another workflow, with
// another key or for another Update ID, and take the one the API signed for
// the ID it is sent under.
func TestApprKeyedWorkflowRefusesUnsignedUpdates(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 500000})
	key := UpdateKey("the worker's update key, 32 bytes")
	at.keyed(key)
	const wid = "default-test-workflow-id"
	in := DecideInput{Actor: u("li"), Approve: true}
	otherWorkflow, _ := SignUpdate(key, "approval/another", ApprovalDecideUpdate, "u-2", in)
	otherKey, _ := SignUpdate(UpdateKey("someone else's key"), wid, ApprovalDecideUpdate, "u-3", in)
	otherID, _ := SignUpdate(key, wid, ApprovalDecideUpdate, "u-1", in)
	signed, _ := SignUpdate(key, wid, ApprovalDecideUpdate, "u-5", in)
	errs := make([]error, 5)
	at.apprSendID(time.Hour, ApprovalDecideUpdate, "u-1", in, &errs[0])
	at.apprSendID(2*time.Hour, ApprovalDecideUpdate, "u-2", otherWorkflow, &errs[1])
	at.apprSendID(3*time.Hour, ApprovalDecideUpdate, "u-3", otherKey, &errs[2])
	at.apprSendID(4*time.Hour, ApprovalDecideUpdate, "u-4", otherID, &errs[3])
	at.apprSendID(5*time.Hour, ApprovalDecideUpdate, "u-5", signed, &errs[4])
	c := at.run()
	for i := range 4 {
		require.ErrorContains(t, errs[i], "unauthenticated update", "update %d", i)
	}
	require.NoError(t, errs[4])
	require.Equal(t, approval.StatusApproved, c.Status)
	require.Equal(t, "li", c.Steps[len(c.Steps)-1].DecidedBy)
}

// TestApprReplayedDecisionRefused: li's signed rejection in round 1, sent
// again under a new Update ID after the resubmission, does not reject round 2;
// the case waits for a decision of round 2 and takes li's new one.
func TestApprReplayedDecisionRefused(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 500000}, approval.Field{Name: "amount", Value: "5000"})
	key := UpdateKey("the worker's update key, 32 bytes")
	at.keyed(key)
	const wid = "default-test-workflow-id"
	reject, _ := SignUpdate(key, wid, ApprovalDecideUpdate, "api-1", DecideInput{Actor: u("li"), Approve: false, Note: "too low"})
	errs := make([]error, 4)
	at.apprSendID(time.Hour, ApprovalDecideUpdate, "api-1", reject, &errs[0])
	real := ResubmitInput{Actor: "wang", Subject: []approval.Field{{Name: "amount", Value: "6000"}}, Facts: approval.Facts{Amount: 600000}}
	resubmit, _ := SignUpdate(key, wid, ApprovalResubmitSignal, "", real)
	at.env.RegisterDelayedCallback(func() { at.env.SignalWorkflow(ApprovalResubmitSignal, resubmit) }, 2*time.Hour)
	at.apprSendID(3*time.Hour, ApprovalDecideUpdate, "replayed", reject, &errs[1])
	at.apprSendID(4*time.Hour, ApprovalDecideUpdate, "api-1", reject, &errs[2])
	var during approval.Case
	at.status(5*time.Hour, &during)
	approve, _ := SignUpdate(key, wid, ApprovalDecideUpdate, "api-2", DecideInput{Actor: u("li"), Approve: true})
	at.apprSendID(6*time.Hour, ApprovalDecideUpdate, "api-2", approve, &errs[3])
	c := at.run()
	require.NoError(t, errs[0])
	require.ErrorContains(t, errs[1], "unauthenticated update", "the replay under a new ID")
	require.NoError(t, errs[2], "under its own ID: the first outcome, not a second decision")
	require.NoError(t, errs[3])
	require.Equal(t, approval.StatusInReview, during.Status, "round 2 was not rejected by the replay")
	require.Equal(t, 2, during.Round)
	require.Equal(t, approval.StatusApproved, c.Status)
	require.Equal(t, 2, c.Round)
}

// TestApprSignatureSurvivesTheTrip: what the API signs is what the workflow,
// having decoded the payload, checks: the canonical JSON of a deal action
// with dates, amounts and a percentage is the same on both sides.
func TestApprSignatureSurvivesTheTrip(t *testing.T) {
	key := UpdateKey("k")
	min := deal.Percent(8500)
	in := ActInput{Actor: wang, Action: deal.Action{Name: deal.ActSubmitQuote, Lines: []deal.QuoteLine{{SKU: "A", Quantity: 2, UnitPrice: 12345}},
		ValidUntil: deal.Date{Year: 2026, Month: 12, Day: 31}, Amount: amount("10.05"), CustomerMinDiscount: &min}}
	signed, err := SignUpdate(key, "deal/D-1", DealActUpdate, "api-1", in)
	require.NoError(t, err)
	raw, err := json.Marshal(signed)
	require.NoError(t, err)
	var got ActInput
	require.NoError(t, json.Unmarshal(raw, &got))
	want, err := key.mac("deal/D-1", DealActUpdate, "api-1", got)
	require.NoError(t, err)
	require.Equal(t, want, got.Sig)
	got.Action.Reason = "tampered"
	tampered, _ := key.mac("deal/D-1", DealActUpdate, "api-1", got)
	require.NotEqual(t, tampered, got.Sig)
}

// TestApprForgedResubmissionIgnored: after a rejection, a resubmission the
// parent did not sign (anyone's signal, with made-up facts) starts no round;
// the parent's signed one does.
func TestApprForgedResubmissionIgnored(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 500000}, approval.Field{Name: "amount", Value: "5000"})
	key := UpdateKey("the worker's update key, 32 bytes")
	at.keyed(key)
	const wid = "default-test-workflow-id"
	sign := func(id string, in any) any { s, _ := SignUpdate(key, wid, ApprovalDecideUpdate, id, in); return s }
	errs := make([]error, 2)
	at.apprSendID(time.Hour, ApprovalDecideUpdate, "api-1", sign("api-1", DecideInput{Actor: u("li"), Approve: false, Note: "too low"}), &errs[0])
	forged := ResubmitInput{Actor: "wang", Subject: []approval.Field{{Name: "amount", Value: "1"}}}
	at.env.RegisterDelayedCallback(func() { at.env.SignalWorkflow(ApprovalResubmitSignal, forged) }, 2*time.Hour)
	var during approval.Case
	at.status(3*time.Hour, &during)
	real := ResubmitInput{Actor: "wang", Subject: []approval.Field{{Name: "amount", Value: "6000"}}, Facts: approval.Facts{Amount: 600000}}
	signed, _ := SignUpdate(key, wid, ApprovalResubmitSignal, "", real)
	at.env.RegisterDelayedCallback(func() { at.env.SignalWorkflow(ApprovalResubmitSignal, signed) }, 4*time.Hour)
	at.apprSendID(5*time.Hour, ApprovalDecideUpdate, "api-2", sign("api-2", DecideInput{Actor: u("he"), Approve: true}), &errs[1])
	c := at.run()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.Equal(t, approval.StatusReturned, during.Status, "the forged resubmission started nothing")
	require.Equal(t, 1, during.Round)
	require.Equal(t, approval.StatusApproved, c.Status)
	require.Equal(t, 2, c.Round)
	require.Equal(t, "6000", c.Subject[0].Value)
}

// TestApprFakeERPPaymentMovesNothing: a payment the ERP does not hold,
// signalled to a deal in payment collection, would pay it in full; the deal
// checks it, refuses it and stays as it was. The ERP's own payment then
// closes it.
func TestApprFakeERPPaymentMovesNothing(t *testing.T) {
	dt := newDealTest(t, deal.Opening{Title: "Gearboxes", Customer: deal.Customer{Name: "Wuxi"},
		Owners: deal.Owners{Delivery: "zhou", Payment: "wu"}})
	dt.records.notInERP["FAKE-1"] = true
	errs := make([]error, 5)
	dt.toOrder("HT-9", "500", deal.Date{Year: 2026, Month: 11, Day: 20}, errs)
	dt.at(6*time.Minute, zhou, deal.Action{Name: deal.ActRecordShipment, ShipmentNo: "S-1", ShippedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, Final: true}, &errs[4])
	var before, during deal.Deal
	dt.status(7*time.Minute, &before)
	fake := deal.Payment{Reference: "FAKE-1", Amount: 50000, ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 2}}
	dt.env.RegisterDelayedCallback(func() { dt.env.SignalWorkflow(DealERPSignal, ERPRecord{Payment: &fake}) }, 8*time.Minute)
	dt.status(9*time.Minute, &during)
	real := deal.Payment{Reference: "1400000007", Amount: 50000, ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 2}}
	dt.env.RegisterDelayedCallback(func() { dt.env.SignalWorkflow(DealERPSignal, ERPRecord{Payment: &real}) }, 10*time.Minute)
	dt.run()

	for i, err := range errs {
		require.NoError(t, err, "action %d", i)
	}
	require.Equal(t, deal.StagePaymentCollection, before.Stage)
	require.Equal(t, before, during, "the fake payment moved nothing")
	require.Len(t, dt.records.erpChecked, 2, "both were checked")
	require.Equal(t, "D-1", dt.records.erpChecked[0].DealID)
	var final deal.Deal
	require.NoError(t, dt.env.GetWorkflowResult(&final))
	require.Equal(t, deal.StageClosed, final.Stage)
	require.Len(t, final.Payments, 1)
	require.Equal(t, "1400000007", final.Payments[0].Reference)
}

// TestApprReplayedResubmissionIgnored: the parent's signed resubmission of
// round 2, signalled again after round 2 was rejected, starts no round 3;
// the parent's next one (a higher Seq) does.
func TestApprReplayedResubmissionIgnored(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 500000}, approval.Field{Name: "amount", Value: "5000"})
	key := UpdateKey("the worker's update key, 32 bytes")
	at.keyed(key)
	const wid = "default-test-workflow-id"
	decide := func(delay time.Duration, id string, approve bool, out *error) {
		in, _ := SignUpdate(key, wid, ApprovalDecideUpdate, id, DecideInput{Actor: u("li"), Approve: approve, Note: id})
		at.apprSendID(delay, ApprovalDecideUpdate, id, in, out)
	}
	resubmit := func(delay time.Duration, seq int64) {
		in, _ := SignUpdate(key, wid, ApprovalResubmitSignal, "", ResubmitInput{Actor: "wang", Seq: seq,
			Subject: []approval.Field{{Name: "amount", Value: fmt.Sprint(5000 + seq)}}, Facts: approval.Facts{Amount: 500000}})
		at.env.RegisterDelayedCallback(func() { at.env.SignalWorkflow(ApprovalResubmitSignal, in) }, delay)
	}
	errs := make([]error, 3)
	decide(time.Hour, "api-1", false, &errs[0])
	resubmit(2*time.Hour, 2)
	decide(3*time.Hour, "api-2", false, &errs[1])
	resubmit(4*time.Hour, 2) // read from history and sent again
	var during approval.Case
	at.status(5*time.Hour, &during)
	resubmit(6*time.Hour, 3)
	decide(7*time.Hour, "api-3", true, &errs[2])
	c := at.run()
	for i, err := range errs {
		require.NoError(t, err, "decision %d", i)
	}
	require.Equal(t, approval.StatusReturned, during.Status, "the replayed resubmission started nothing")
	require.Equal(t, 2, during.Round)
	require.Equal(t, approval.StatusApproved, c.Status)
	require.Equal(t, 3, c.Round)
	require.Equal(t, "5003", c.Subject[0].Value, "round 3 is the parent's third submission")
}
