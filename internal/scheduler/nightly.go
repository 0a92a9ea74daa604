package scheduler

import (
	"context"
	"time"

	"github.com/robfig/cron/v3"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/workflows"
)

// The nightly clocks (pool, value classes, follow-ups) and how they start.

// DefaultPoolRecycle is when the pool clock runs: nightly, 01:30 in Shanghai,
// when nobody is following customers up.
const DefaultPoolRecycle = "CRON_TZ=Asia/Shanghai 30 1 * * *"

// Starter starts the run of one tick (StartPoolRecycle, StartClassify);
// by is "" for the scheduler, else who asked for the run.
type Starter func(ctx context.Context, tc client.Client, bucket, by string, at time.Time) (id string, started bool, err error)

// scheduleRun adds a nightly tick that starts what's run for the tick's
// scheduled time, if spec is set; like the sync's, every replica asks for
// the same ID and one run starts.
func (s *Scheduler) scheduleRun(ctx context.Context, spec, what string, start Starter) {
	if spec == "" {
		return
	}
	sched, err := ParseSpec(spec)
	if err != nil {
		s.opts.Log.ErrorContext(ctx, "scheduler: bad spec; not run", "what", what, "err", err)
		return
	}
	s.cron.Schedule(sched, s.runJob(sched, what, start))
	s.opts.Log.InfoContext(ctx, "scheduler: scheduled", "what", what, "spec", spec)
}

func (s *Scheduler) runJob(sched cron.Schedule, what string, start Starter) cron.Job {
	return cron.FuncJob(func() {
		at := scheduledAt(sched, time.Now().In(s.opts.Location))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		id, started, err := start(ctx, s.opts.Temporal, workflows.SyncBucket(at), "", at)
		switch {
		case err != nil:
			s.opts.Log.ErrorContext(ctx, "scheduler: could not start", "what", what, "err", err)
		case started:
			s.opts.Log.InfoContext(ctx, "scheduler: started", "what", what, "run", id)
		}
	})
}

// StartPoolRecycle starts the pool clock's run with ID
// PoolRecycleWorkflowID(bucket), as of at; started=false when that run exists.
func StartPoolRecycle(ctx context.Context, tc client.Client, bucket, by string, at time.Time) (id string, started bool, err error) {
	return startOnce(ctx, tc, "pool clock", workflows.PoolRecycleWorkflowID(bucket), workflows.PoolRecycleWorkflow, workflows.PoolRecycleInput{At: at.UTC(), RequestedBy: by})
}

// DefaultClassify is when the value classes are computed: nightly, 01:00 in
// Shanghai, after the day's ERP sync and before the pool clock.
const DefaultClassify = "CRON_TZ=Asia/Shanghai 0 1 * * *"

// StartClassify starts the value classes' run with ID
// ClassifyWorkflowID(bucket), as of at; started=false when that run exists.
func StartClassify(ctx context.Context, tc client.Client, bucket, by string, at time.Time) (id string, started bool, err error) {
	return startOnce(ctx, tc, "value classes", workflows.ClassifyWorkflowID(bucket), workflows.ClassifyWorkflow, workflows.ClassifyInput{At: at.UTC(), RequestedBy: by})
}

// DefaultFollowUps is when the follow-up clock runs: 08:30 in Shanghai, at
// the start of the working day (the run itself skips days off).
const DefaultFollowUps = "CRON_TZ=Asia/Shanghai 30 8 * * *"

// StartFollowUps starts the follow-up clock's run with ID
// FollowUpWorkflowID(bucket), as of at; started=false when that run exists.
func StartFollowUps(ctx context.Context, tc client.Client, bucket, by string, at time.Time) (id string, started bool, err error) {
	return startOnce(ctx, tc, "follow-up clock", workflows.FollowUpWorkflowID(bucket), workflows.FollowUpWorkflow, workflows.FollowUpInput{At: at.UTC(), RequestedBy: by})
}
