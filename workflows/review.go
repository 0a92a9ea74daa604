package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/internal/approval"
)

// bookkeeping is ctx with the options of a request's bookkeeping activities
// (database only: recording an outcome, opening a hold).
func bookkeeping(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute}})
}

// startCase starts approval case c as a child of the workflow of ctx, on
// taskQueue ("": the parent's), cancelled with its parent (the case then
// withdraws itself), and waits until it runs.
func startCase(ctx workflow.Context, c approval.Case, taskQueue string) (workflow.ChildWorkflowFuture, error) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: ApprovalWorkflowID(c.ID),
		TaskQueue: taskQueue, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL})
	child := workflow.ExecuteChildWorkflow(cctx, ApprovalWorkflow, ApprovalInput{Case: c, Parent: workflow.GetInfo(ctx).WorkflowExecution.ID})
	return child, child.GetChildWorkflowExecution().Get(ctx, nil)
}

// requestEnds are the statuses a request under review ends with when it is
// not approved.
type requestEnds struct{ Failed, Rejected, Withdrawn string }

// reviewRequest runs the one review of a request (a change of terms, a new
// customer, a change of a collection plan): it starts case c (startCase)
// and awaits its outcome (awaitReview). Approved, status is "" and outcome
// says who approved; otherwise status and detail are what the request ends
// with (ends). versioned: news is checked from NewsCheckChange on (its
// GetVersion is asked once the case runs); otherwise always.
func reviewRequest(ctx workflow.Context, c approval.Case, taskQueue string, versioned bool, ends requestEnds) (outcome ReviewNews, status, detail string) {
	child, err := startCase(ctx, c, taskQueue)
	if err != nil {
		return outcome, ends.Failed, "the review could not start: " + err.Error()
	}
	check := !versioned || workflow.GetVersion(ctx, NewsCheckChange, workflow.DefaultVersion, 1) == 1
	outcome = awaitReview(ctx, child, check)
	switch outcome.Status {
	case approval.StatusApproved:
		return outcome, "", ""
	case approval.StatusReturned:
		return outcome, ends.Rejected, fmt.Sprintf("rejected by %s: %s", outcome.By, outcome.Note)
	default:
		return outcome, ends.Withdrawn, outcome.Note
	}
}

// awaitReview waits for the outcome of a process's one review case (a change
// of terms, a new customer): the first approved, returned or withdrawn news
// decides. A returned case ends the request: asking again is a new request.
//
// With check (NewsCheckChange) news counts only when the case's own record
// agrees (confirmNews), and a case that ended says how through its result.
func awaitReview(ctx workflow.Context, child workflow.ChildWorkflowFuture, check bool) ReviewNews {
	var outcome ReviewNews
	self := workflow.GetInfo(ctx).WorkflowExecution.ID
	accept := func(n ReviewNews) bool {
		if check {
			var ok bool
			if n, ok = confirmNews(ctx, self, n); !ok {
				return false
			}
		}
		outcome = n
		return true
	}
	news := workflow.GetSignalChannel(ctx, ReviewSignal)
	var childErr error
	var ended approval.Case
	done := false
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(news, func(ch workflow.ReceiveChannel, _ bool) {
		var n ReviewNews
		ch.Receive(ctx, &n)
		accept(n)
	})
	sel.AddFuture(child, func(f workflow.Future) {
		done = true
		if check {
			childErr = f.Get(ctx, &ended)
		} else {
			childErr = f.Get(ctx, nil)
		}
	})
	for outcome.Status == "" {
		sel.Select(ctx)
		if !done || outcome.Status != "" {
			continue
		}
		if check && childErr == nil && ended.Status.Done() {
			// The child's own result: what it ended as, and who decided last.
			outcome = ReviewNews{CaseID: ended.ID, Kind: ended.Kind, Status: ended.Status, Round: ended.Round}
			if last := lastDecision(ended); last != nil {
				outcome.By, outcome.Note = last.DecidedBy, last.Note
			}
			break
		}
		// The case tells its news before it ends; both may arrive in one task.
		var n ReviewNews
		for outcome.Status == "" && news.ReceiveAsync(&n) {
			accept(n)
		}
		if outcome.Status == "" {
			outcome = ReviewNews{Status: approval.StatusWithdrawn, Note: "the review ended without a decision"}
			if childErr != nil {
				outcome.Note = "the review failed: " + childErr.Error()
			}
		}
	}
	return outcome
}
