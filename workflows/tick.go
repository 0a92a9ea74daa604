package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/contract"
)

// The nightly clocks' ticks: the value classes, the follow-ups, the pool.

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

// ClassifyWorkflowID is the run of one tick (contract.ClassifyWorkflowID).
func ClassifyWorkflowID(bucket string) string { return contract.ClassifyWorkflowID(bucket) }

// ClassifyInput starts a run (contract.ClassifyInput).
type ClassifyInput = contract.ClassifyInput

// ClassifyWorkflow computes the value classes once, as of in.At: one
// activity, retried, since the database does the work set-based in one
// transaction keyed by this run's ID (a retry finds its run done).
func ClassifyWorkflow(ctx workflow.Context, in ClassifyInput) (activities.ClassifyResult, error) {
	var a *activities.Classes
	return runTick[activities.ClassifyResult](ctx, a.Classify, activities.ClassifyInput{At: in.At, RequestedBy: in.RequestedBy,
		RunKey: workflow.GetInfo(ctx).WorkflowExecution.ID})
}

// FollowUpWorkflowID is the run of one tick (contract.FollowUpWorkflowID).
func FollowUpWorkflowID(bucket string) string { return contract.FollowUpWorkflowID(bucket) }

// FollowUpInput starts a run (contract.FollowUpInput).
type FollowUpInput = contract.FollowUpInput

// FollowUpWorkflow runs the follow-up clock once, as of in.At: one activity,
// retried; the database reminds set-based, each deal's idle spell once.
func FollowUpWorkflow(ctx workflow.Context, in FollowUpInput) (activities.RemindFollowUpsResult, error) {
	var a *activities.FollowUps
	return runTick[activities.RemindFollowUpsResult](ctx, a.RemindFollowUps, activities.RemindFollowUpsInput{At: in.At})
}

// PoolRecycleWorkflowID is the run of one tick (contract.PoolRecycleWorkflowID).
func PoolRecycleWorkflowID(bucket string) string { return contract.PoolRecycleWorkflowID(bucket) }

// PoolRecycleInput starts a run (contract.PoolRecycleInput).
type PoolRecycleInput = contract.PoolRecycleInput

// PoolRecycleWorkflow runs the pool clock once, as of in.At: one activity,
// retried, since the database does the work set-based in one transaction.
func PoolRecycleWorkflow(ctx workflow.Context, in PoolRecycleInput) (activities.RecyclePoolResult, error) {
	var a *activities.Ownership
	return runTick[activities.RecyclePoolResult](ctx, a.RecyclePool, activities.RecyclePoolInput{At: in.At})
}
