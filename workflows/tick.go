package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// runTick runs the one activity of a nightly clock's tick (value classes,
// follow-ups, pool): activity with in, retried, since the database does the
// work set-based in one transaction (a retry finds its work done).
func runTick[R any](ctx workflow.Context, activity, in any) (R, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 10},
	})
	var out R
	err := workflow.ExecuteActivity(ctx, activity, in).Get(ctx, &out)
	return out, err
}
