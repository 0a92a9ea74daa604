package scheduler

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/workflows"
)

// DefaultFollowUps is when the follow-up clock runs: 08:30 in Shanghai, at
// the start of the working day (the run itself skips days off).
const DefaultFollowUps = "CRON_TZ=Asia/Shanghai 30 8 * * *"

// StartFollowUps starts the follow-up clock's run with ID
// FollowUpWorkflowID(bucket), as of at; started=false when that run exists.
func StartFollowUps(ctx context.Context, tc client.Client, bucket, by string, at time.Time) (id string, started bool, err error) {
	id = workflows.FollowUpWorkflowID(bucket)
	started, err = startOnce(ctx, tc, id, workflows.FollowUpWorkflow, workflows.FollowUpInput{At: at.UTC(), RequestedBy: by})
	if err != nil {
		return id, false, fmt.Errorf("start follow-up clock %s: %w", id, err)
	}
	return id, started, nil
}
