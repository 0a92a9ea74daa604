package scheduler

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/workflows"
)

// DefaultPoolRecycle is when the pool clock runs: nightly, 01:30 in Shanghai,
// when nobody is following customers up.
const DefaultPoolRecycle = "CRON_TZ=Asia/Shanghai 30 1 * * *"

// schedulePool adds the pool clock's tick, if a spec is set.
func (s *Scheduler) schedulePool(ctx context.Context) {
	s.scheduleClock(ctx, s.opts.PoolRecycle, "pool clock", StartPoolRecycle)
}

// StartPoolRecycle starts the pool clock's run with ID
// PoolRecycleWorkflowID(bucket), as of at; started=false when that run exists.
func StartPoolRecycle(ctx context.Context, tc client.Client, bucket, by string, at time.Time) (id string, started bool, err error) {
	id = workflows.PoolRecycleWorkflowID(bucket)
	started, err = startOnce(ctx, tc, id, workflows.PoolRecycleWorkflow, workflows.PoolRecycleInput{At: at.UTC(), RequestedBy: by})
	if err != nil {
		return id, false, fmt.Errorf("start pool clock %s: %w", id, err)
	}
	return id, started, nil
}
