package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/workflows"
)

// DefaultFollowUps is when the follow-up clock runs: 08:30 in Shanghai, at
// the start of the working day (the run itself skips days off).
const DefaultFollowUps = "CRON_TZ=Asia/Shanghai 30 8 * * *"

// startTick starts one run of a clock for the tick at (pool.go, followup.go).
type startTick func(ctx context.Context, tc client.Client, bucket, by string, at time.Time) (id string, started bool, err error)

// scheduleClock adds a clock's tick, if spec is set: every replica asks for
// the same run ID for the tick's scheduled time and one run starts.
func (s *Scheduler) scheduleClock(ctx context.Context, spec, what string, start startTick) {
	if spec == "" {
		return
	}
	sched, err := ParseSpec(spec)
	if err != nil {
		s.opts.Log.ErrorContext(ctx, "scheduler: bad "+what+" spec; it does not run", "err", err)
		return
	}
	s.cron.Schedule(sched, cron.FuncJob(func() {
		at := scheduledAt(sched, time.Now().In(s.opts.Location))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		id, started, err := start(ctx, s.opts.Temporal, workflows.SyncBucket(at), "", at)
		switch {
		case err != nil:
			s.opts.Log.ErrorContext(ctx, "scheduler: could not start the "+what, "err", err)
		case started:
			s.opts.Log.InfoContext(ctx, "scheduler: "+what+" started", "run", id)
		}
	}))
	s.opts.Log.InfoContext(ctx, "scheduler: "+what+" scheduled", "spec", spec)
}

// scheduleFollowUps adds the follow-up clock's tick, if a spec is set.
func (s *Scheduler) scheduleFollowUps(ctx context.Context) {
	s.scheduleClock(ctx, s.opts.FollowUps, "follow-up clock", StartFollowUps)
}

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
