package scheduler

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/workflows"
)

// DefaultClassify is when the value classes are computed: nightly, 01:00 in
// Shanghai, after the day's ERP sync and before the pool clock.
const DefaultClassify = "CRON_TZ=Asia/Shanghai 0 1 * * *"

// StartClassify starts the value classes' run with ID
// ClassifyWorkflowID(bucket), as of at; started=false when that run exists.
func StartClassify(ctx context.Context, tc client.Client, bucket, by string, at time.Time) (id string, started bool, err error) {
	id = workflows.ClassifyWorkflowID(bucket)
	started, err = startOnce(ctx, tc, id, workflows.ClassifyWorkflow, workflows.ClassifyInput{At: at.UTC(), RequestedBy: by})
	if err != nil {
		return id, false, fmt.Errorf("start value classes %s: %w", id, err)
	}
	return id, started, nil
}
