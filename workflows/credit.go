package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/credit"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/refusal"
)

// An order held at the credit check. The deal records the order and waits in
// the order stage; this workflow opens a credit_hold case for finance (the
// exposure breakdown as its subject), checks the customer's credit again
// whenever the sync stores payments or invoices or a new limit is written
// (CreditRecheckSignal) and once a day, and ends when the order fits (released
// by the check, "system"), finance approves the case (a manual release, with
// amount, reason, approver and expiry) or returns it (refused).

// CreditHoldWorkflowID is the workflow of credit hold id.
func CreditHoldWorkflowID(id string) string { return contract.CreditHoldWorkflowID(id) }

// CreditHoldInput is a hold as the deal opens it.
type CreditHoldInput struct {
	ID           string
	DealID       string
	DealTitle    string
	Customer     string
	CustomerName string
	Requester    identity.User
	Amount       money.Amount
	Currency     string
	Decision     credit.Decision
	HeldAt       time.Time
	// Excluded are the people the deal names who sell it: never approvers.
	Excluded []string
}

// CreditReleaseInput is a manual release's terms (see internal/contract).
type CreditReleaseInput = contract.CreditReleaseInput

// CreditHoldStatus is what the hold reports and returns.
type CreditHoldStatus = contract.CreditHoldStatus

// creditRecheckEvery: a missed signal is made up for within a day.
const creditRecheckEvery = 24 * time.Hour

// CreditHoldWorkflow runs one hold to its end.
func CreditHoldWorkflow(ctx workflow.Context, in CreditHoldInput) (CreditHoldStatus, error) {
	return runCreditHold(ctx, in, nil)
}

func runCreditHold(ctx workflow.Context, in CreditHoldInput, key *UpdateKey) (CreditHoldStatus, error) {
	st := CreditHoldStatus{Status: contract.CreditHeld, CaseID: contract.CreditHoldCaseID(in.ID)}
	if err := workflow.SetQueryHandler(ctx, contract.CreditHoldStatusQuery, func() (CreditHoldStatus, error) { return st, nil }); err != nil {
		return st, err
	}
	// Release terms offered by approvers, by approver (looked up, never iterated).
	offers := map[string]CreditReleaseInput{}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, contract.CreditReleaseUpdate,
		func(ctx workflow.Context, r CreditReleaseInput) error {
			offers[r.Actor.ID] = r
			return nil
		}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, r CreditReleaseInput) error {
			if err := authenticate(ctx, key, contract.CreditReleaseUpdate, currentUpdateID(ctx), r); err != nil {
				return err
			}
			if st.Status != contract.CreditHeld {
				return refusalError(refusal.Conflict("the hold is %s already", st.Status))
			}
			return refusalError(checkRelease(r, workflow.Now(ctx)))
		}}); err != nil {
		return st, err
	}

	actx := bookkeeping(ctx)
	var a *activities.Credit
	if err := workflow.ExecuteActivity(actx, a.OpenCreditHold, activities.OpenCreditHoldInput{ID: in.ID, DealID: in.DealID,
		Customer: in.Customer, CaseID: st.CaseID, RequestedBy: in.Requester.ID, Amount: in.Amount, Currency: in.Currency,
		Decision: in.Decision, At: in.HeldAt}).Get(ctx, nil); err != nil {
		return st, err
	}

	// The case, closed with the hold: a hold that ends otherwise withdraws it.
	caseCtx, closeCase := workflow.WithCancel(ctx)
	c := approval.Case{ID: st.CaseID, Kind: approval.KindCreditHold,
		Title:  fmt.Sprintf("Credit hold: %s for %s (%s)", in.DealTitle, in.CustomerName, in.Customer),
		DealID: in.DealID, Requester: in.Requester.ID, Team: in.Requester.Team, Subject: creditSubject(in),
		Facts: approval.Facts{Amount: in.Amount, Customer: in.Customer}, OpenedAt: in.HeldAt, Excluded: in.Excluded}
	self := workflow.GetInfo(ctx).WorkflowExecution.ID
	child, err := startCase(caseCtx, c, TaskQueue)
	if err != nil {
		// Without its case, the hold still releases itself when the order fits.
		workflow.GetLogger(ctx).Error("credit hold's case did not start", "hold", in.ID, "error", err)
	}

	var settle *activities.SettleCreditHoldInput
	end := func(released bool, by, note string) {
		settle = &activities.SettleCreditHoldInput{ID: in.ID, DealID: in.DealID, Released: released, By: by, Note: note}
	}
	recheck := func() {
		var d credit.Decision
		err := workflow.ExecuteActivity(actx, a.CheckCredit, activities.CheckCreditInput{DealID: in.DealID, Customer: in.Customer,
			Amount: in.Amount, At: workflow.Now(ctx), HoldID: in.ID}).Get(ctx, &d)
		if err != nil {
			workflow.GetLogger(ctx).Error("credit re-check failed", "hold", in.ID, "error", err)
			return
		}
		if !d.Hold {
			end(true, deal.SystemActor, "the order fits the customer's credit now (exposure "+d.Exposure.Total.String()+")")
			settle.Decision = &d
		}
	}
	approved := func(by, note string) {
		end(true, by, note)
		rel := &credit.Release{Amount: in.Amount, Reason: note}
		if o, ok := offers[by]; ok {
			rel.Amount, rel.ExpiresAt, rel.Reason = o.Amount, o.ExpiresAt, o.Reason
		}
		settle.Release = rel
	}
	news := func(n ReviewNews) {
		n, ok := confirmNews(ctx, self, n)
		if !ok {
			return
		}
		switch n.Status {
		case approval.StatusApproved:
			approved(n.By, n.Note)
		case approval.StatusReturned:
			end(false, n.By, n.Note)
		case approval.StatusWithdrawn:
			end(false, n.By, "the case was withdrawn: "+n.Note)
		}
	}

	newsCh := workflow.GetSignalChannel(ctx, ReviewSignal)
	recheckCh := workflow.GetSignalChannel(ctx, contract.CreditRecheckSignal)
	childDone := false
	for settle == nil {
		// The daily re-check, restarted after every event.
		tctx, stopTimer := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(newsCh, func(ch workflow.ReceiveChannel, _ bool) {
			var n ReviewNews
			ch.Receive(ctx, &n)
			news(n)
		})
		sel.AddReceive(recheckCh, func(ch workflow.ReceiveChannel, _ bool) {
			ch.Receive(ctx, nil)
			for ch.ReceiveAsync(nil) { // several at once: one check
			}
			recheck()
		})
		if !childDone {
			sel.AddFuture(child, func(f workflow.Future) {
				childDone = true
				var ended approval.Case
				if err := f.Get(ctx, &ended); err == nil && ended.Status == approval.StatusApproved {
					by, note := "", ""
					if last := lastDecision(ended); last != nil {
						by, note = last.DecidedBy, last.Note
					}
					approved(by, note)
				}
				// Otherwise the case is gone without a decision; the re-checks go on.
			})
		}
		sel.AddFuture(workflow.NewTimer(tctx, creditRecheckEvery), func(f workflow.Future) {
			if f.Get(ctx, nil) == nil {
				recheck()
			}
		})
		sel.Select(ctx)
		stopTimer()
	}
	settle.At = workflow.Now(ctx)
	if err := workflow.ExecuteActivity(actx, a.SettleCreditHold, *settle).Get(ctx, nil); err != nil {
		return st, err
	}
	st.Status, st.By, st.Note = contract.CreditRefused, settle.By, settle.Note
	if settle.Released {
		st.Status = contract.CreditReleased
	}
	closeCase() // a hold released by the check, or refused, withdraws its case
	return st, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// checkRelease checks a manual release's terms.
func checkRelease(r CreditReleaseInput, now time.Time) error {
	var fe refusal.Fields
	if r.Amount <= 0 {
		fe.Add("amount", "must be positive: the allowance above the credit limit")
	}
	if !r.ExpiresAt.After(now) {
		fe.Add("expires_on", "must be a day after today")
	}
	if strings.TrimSpace(r.Reason) == "" {
		fe.Add("reason", "is required: say why the order may go")
	}
	return fe.Err()
}

// creditSubject is what finance sees: the exposure, part by part, and why the
// order is held.
func creditSubject(in CreditHoldInput) []approval.Field {
	e := in.Decision.Exposure
	limit := "(none)"
	if e.Limit != nil {
		limit = e.Limit.String()
	}
	f := []approval.Field{
		{Name: "customer", Value: in.Customer + " " + in.CustomerName},
		{Name: "deal", Value: in.DealID + " " + in.DealTitle},
		{Name: "order", Value: e.Order.String() + " " + in.Currency},
		{Name: "open_receivables", Value: e.Receivables.String()},
		{Name: "unbilled_orders", Value: e.Unbilled.String()},
		{Name: "advances", Value: e.Advances.String()},
		{Name: "exposure", Value: e.Total.String()},
		{Name: "credit_limit", Value: limit},
	}
	if e.Allowance > 0 {
		f = append(f, approval.Field{Name: "released_allowance", Value: e.Allowance.String()})
	}
	if e.OldestOverdueDays > 0 {
		f = append(f, approval.Field{Name: "oldest_overdue_days", Value: fmt.Sprint(e.OldestOverdueDays)})
	}
	if e.DunningHoldSince != "" {
		f = append(f, approval.Field{Name: "dunning_hold_since", Value: e.DunningHoldSince})
	}
	return append(f, approval.Field{Name: "held_because", Value: in.Decision.Summary()})
}
