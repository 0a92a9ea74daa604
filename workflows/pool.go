package workflows

import (
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
	var a *activities.Ownership
	return runTick[activities.RecyclePoolResult](ctx, a.RecyclePool, activities.RecyclePoolInput{At: in.At})
}
