package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/workflows"
)

// DefaultClassify is when the value classes are computed: nightly, 01:00 in
// Shanghai, after the day's ERP sync and before the pool clock.
const DefaultClassify = "CRON_TZ=Asia/Shanghai 0 1 * * *"

// scheduleClassify adds the value classes' tick, if a spec is set.
func (s *Scheduler) scheduleClassify(ctx context.Context) {
	if s.opts.Classify == "" {
		return
	}
	sched, err := ParseSpec(s.opts.Classify)
	if err != nil {
		s.opts.Log.ErrorContext(ctx, "scheduler: bad value classes spec; classes are not computed", "err", err)
		return
	}
	s.cron.Schedule(sched, cron.FuncJob(func() {
		at := scheduledAt(sched, time.Now().In(s.opts.Location))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		id, started, err := StartClassify(ctx, s.opts.Temporal, workflows.SyncBucket(at), "", at)
		switch {
		case err != nil:
			s.opts.Log.ErrorContext(ctx, "scheduler: could not start the value classes", "err", err)
		case started:
			s.opts.Log.InfoContext(ctx, "scheduler: value classes started", "run", id)
		}
	}))
	s.opts.Log.InfoContext(ctx, "scheduler: value classes scheduled", "spec", s.opts.Classify)
}

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
