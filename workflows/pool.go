package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/contract"
)

// PoolRecycleWorkflowID is the run of one tick (contract.PoolRecycleWorkflowID).
func PoolRecycleWorkflowID(bucket string) string { return contract.PoolRecycleWorkflowID(bucket) }

// PoolRecycleInput starts a run (contract.PoolRecycleInput).
type PoolRecycleInput = contract.PoolRecycleInput

// PoolRecycleWorkflow runs the pool clock once, as of in.At: one activity,
// retried, since the database does the work set-based in one transaction.
func PoolRecycleWorkflow(ctx workflow.Context, in PoolRecycleInput) (activities.RecyclePoolResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 10},
	})
	var a *activities.Ownership
	var out activities.RecyclePoolResult
	err := workflow.ExecuteActivity(ctx, a.RecyclePool, activities.RecyclePoolInput{At: in.At}).Get(ctx, &out)
	return out, err
}
