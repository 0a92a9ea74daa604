package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/contract"
)

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
