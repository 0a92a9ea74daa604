package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
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
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 10},
	})
	var a *activities.FollowUps
	var out activities.RemindFollowUpsResult
	err := workflow.ExecuteActivity(ctx, a.RemindFollowUps, activities.RemindFollowUpsInput{At: in.At}).Get(ctx, &out)
	return out, err
}
