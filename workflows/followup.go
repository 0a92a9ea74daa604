package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/contract"
)

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
