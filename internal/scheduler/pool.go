package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/workflows"
)

// DefaultPoolRecycle is when the pool clock runs: nightly, 01:30 in Shanghai,
// when nobody is following customers up.
const DefaultPoolRecycle = "CRON_TZ=Asia/Shanghai 30 1 * * *"

// schedulePool adds the pool clock's tick, if a spec is set.
func (s *Scheduler) schedulePool(ctx context.Context) {
	if s.opts.PoolRecycle == "" {
		return
	}
	sched, err := ParseSpec(s.opts.PoolRecycle)
	if err != nil {
		s.opts.Log.ErrorContext(ctx, "scheduler: bad pool clock spec; the pool is not recycled", "err", err)
		return
	}
	s.cron.Schedule(sched, s.poolJob(sched))
	s.opts.Log.InfoContext(ctx, "scheduler: pool clock scheduled", "spec", s.opts.PoolRecycle)
}

// poolJob starts the run of the tick's scheduled time; like the sync's, every
// replica asks for the same ID and one run starts.
func (s *Scheduler) poolJob(sched cron.Schedule) cron.Job {
	return cron.FuncJob(func() {
		at := scheduledAt(sched, time.Now().In(s.opts.Location))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		id, started, err := StartPoolRecycle(ctx, s.opts.Temporal, workflows.SyncBucket(at), "", at)
		switch {
		case err != nil:
			s.opts.Log.ErrorContext(ctx, "scheduler: could not start the pool clock", "err", err)
		case started:
			s.opts.Log.InfoContext(ctx, "scheduler: pool clock started", "run", id)
		}
	})
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
