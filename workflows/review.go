package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/internal/approval"
)

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
