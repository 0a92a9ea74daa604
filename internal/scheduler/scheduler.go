// Package scheduler ticks the ERP sync, and cash collection's dunning ladder
// every hour (DunningSpec). Each entity has a robfig/cron spec in
// PostgreSQL (sync_schedules), editable at run time through the API; every
// `l2c serve` replica runs a scheduler, and each tick only starts a sync
// workflow whose ID is the entity plus the tick's scheduled time. Replicas
// ticking for the same moment ask for the same ID and Temporal starts it once;
// the run itself refuses to overlap a run still going. The scheduler does no
// work of its own.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/workflows"
)

// parser accepts five fields (minute hour dom month dow), an optional leading
// seconds field, and descriptors (@hourly, @every 5m).
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSpec checks a schedule spec. "@every d" schedules are aligned to
// multiples of d since the Unix epoch, so replicas started at different times
// tick at the same moments (robfig's own @every counts from process start).
func ParseSpec(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", spec, err)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, fmt.Errorf("%q: the interval must be whole seconds, at least one", spec)
		}
		return every(d), nil
	}
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron spec (e.g. */15 * * * *, @hourly, @every 10m): %w", spec, err)
	}
	return s, nil
}

type every time.Duration

func (e every) Next(t time.Time) time.Time {
	d := time.Duration(e)
	return t.Truncate(d).Add(d)
}

// Options configure a scheduler.
type Options struct {
	DB       *database.DB
	Temporal client.Client
	Log      *slog.Logger
	// Poll is how often schedules are re-read, so a change made through any
	// replica reaches every replica (15 s by default).
	Poll time.Duration
	// HealthEvery is how often stale entities are looked for (a minute by default).
	HealthEvery time.Duration
	// Location interprets cron specs (UTC by default: a spec means the same
	// moment on every replica whatever its local zone).
	Location *time.Location
	// PoolRecycle is the pool clock's cron spec (pool.go); empty: not run.
	PoolRecycle string
	// Classify is the value classes' cron spec (classes.go); empty: not run.
	Classify string
	// FollowUps is the follow-up clock's cron spec (followup.go); empty: not run.
	FollowUps string
}

// Scheduler runs the cron entries of the sync schedules.
type Scheduler struct {
	opts    Options
	cron    *cron.Cron
	mu      sync.Mutex
	entries map[string]entry
}

type entry struct {
	id      cron.EntryID
	spec    string
	enabled bool
}

// New returns a scheduler; Run starts it.
func New(o Options) *Scheduler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Poll <= 0 {
		o.Poll = 15 * time.Second
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.HealthEvery <= 0 {
		o.HealthEvery = time.Minute
	}
	s := &Scheduler{opts: o, entries: map[string]entry{}}
	// Recover: a panicking tick is logged and the scheduler goes on; robfig/cron
	// v3 does not recover panics unless asked.
	s.cron = cron.New(cron.WithParser(parser), cron.WithLocation(o.Location),
		cron.WithChain(cron.Recover(cronLogger{o.Log})))
	return s
}

// Run ticks until ctx ends, re-reading the schedules every Poll.
func (s *Scheduler) Run(ctx context.Context) error {
	if err := s.Reload(ctx); err != nil {
		s.opts.Log.ErrorContext(ctx, "scheduler: schedules not loaded; retrying", "err", err)
	}
	s.scheduleRun(ctx, s.opts.PoolRecycle, "pool clock", StartPoolRecycle)
	s.scheduleRun(ctx, s.opts.Classify, "value classes", StartClassify)
	s.scheduleRun(ctx, s.opts.FollowUps, "follow-up clock", StartFollowUps)
	dunning, _ := ParseSpec(DunningSpec)
	s.cron.Schedule(dunning, cron.FuncJob(func() {
		at := scheduledAt(dunning, time.Now().In(s.opts.Location))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if id, started, err := StartDunning(ctx, s.opts.Temporal, workflows.SyncBucket(at), at); err != nil {
			s.opts.Log.ErrorContext(ctx, "scheduler: could not start the dunning tick", "err", err)
		} else if started {
			s.opts.Log.InfoContext(ctx, "scheduler: dunning tick started", "run", id)
		}
	}))
	s.cron.Start()
	defer func() { <-s.cron.Stop().Done() }()
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	var checked time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			if err := s.Reload(ctx); err != nil {
				s.opts.Log.WarnContext(ctx, "scheduler: reload schedules", "err", err)
			}
			// Fold the stage-time deltas the approval triggers appended
			// (migration 00111); every replica may, each delta counts once.
			if _, err := s.opts.DB.CompactStageTimes(ctx); err != nil {
				s.opts.Log.WarnContext(ctx, "scheduler: stage times not compacted", "err", err)
			}
			if now.Sub(checked) >= s.opts.HealthEvery {
				checked = now
				if err := CheckHealth(ctx, s.opts.DB, now, s.opts.Log); err != nil {
					s.opts.Log.WarnContext(ctx, "scheduler: sync health not checked", "err", err)
				}
			}
		}
	}
}

// CheckHealth tells the integration admins about entities whose data has
// gone stale (no successful run within their stale_after), once per stale
// spell; every replica may call it, the database keeps it to one message.
func CheckHealth(ctx context.Context, db *database.DB, now time.Time, log *slog.Logger) error {
	alerted, err := db.SyncStaleAlerts(ctx, now)
	if err != nil {
		return err
	}
	for _, e := range alerted {
		log.WarnContext(ctx, "scheduler: sync is stale; admins notified", "entity", e)
	}
	return nil
}

// Reload brings the cron entries in line with the stored schedules.
func (s *Scheduler) Reload(ctx context.Context) error {
	scheds, err := s.opts.DB.SyncScheduleList(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sc := range scheds {
		cur, ok := s.entries[sc.Entity]
		if ok && cur.spec == sc.Spec && cur.enabled == sc.Enabled {
			continue
		}
		if ok {
			s.cron.Remove(cur.id)
			delete(s.entries, sc.Entity)
		}
		if !sc.Enabled {
			s.opts.Log.InfoContext(ctx, "scheduler: sync disabled", "entity", sc.Entity)
			s.entries[sc.Entity] = entry{spec: sc.Spec}
			continue
		}
		sched, err := ParseSpec(sc.Spec)
		if err != nil {
			s.opts.Log.ErrorContext(ctx, "scheduler: bad spec; entity not scheduled", "entity", sc.Entity, "err", err)
			continue
		}
		e := entry{spec: sc.Spec, enabled: true}
		e.id = s.cron.Schedule(sched, s.job(sc.Entity, sched))
		s.entries[sc.Entity] = e
		s.opts.Log.InfoContext(ctx, "scheduler: sync scheduled", "entity", sc.Entity, "spec", sc.Spec)
	}
	return nil
}

// job is one entity's tick. The bucket is the tick's scheduled time computed
// from the schedule itself (the activation at or just before now), which every
// replica computes alike, whenever its tick actually fires.
func (s *Scheduler) job(entity string, sched cron.Schedule) cron.Job {
	return cron.FuncJob(func() {
		now := time.Now().In(s.opts.Location)
		bucket := scheduledAt(sched, now)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		id, started, err := StartRun(ctx, s.opts.Temporal, entity, workflows.SyncTriggerSchedule, "", workflows.SyncBucket(bucket))
		switch {
		case err != nil:
			s.opts.Log.ErrorContext(ctx, "scheduler: could not start sync", "entity", entity, "err", err)
		case started:
			s.opts.Log.InfoContext(ctx, "scheduler: sync started", "entity", entity, "run", id)
		default:
			s.opts.Log.DebugContext(ctx, "scheduler: another replica started this tick", "entity", entity, "run", id)
		}
	})
}

// scheduledAt is the latest activation of sched at or before now (ticks fire
// a little after their time, never before).
func scheduledAt(sched cron.Schedule, now time.Time) time.Time {
	// Look back far enough for any sensible schedule, then walk forward.
	for _, back := range []time.Duration{time.Minute, time.Hour, 25 * time.Hour, 32 * 24 * time.Hour} {
		t := sched.Next(now.Add(-back))
		if t.After(now) {
			continue
		}
		for {
			n := sched.Next(t)
			if n.After(now) {
				return t
			}
			t = n
		}
	}
	return now.Truncate(time.Second)
}

// StartRun starts one sync run with ID SyncWorkflowID(entity, bucket). It
// reports started=false when a run with that ID exists already (another
// replica's tick, a repeated request), which is not an error.
func StartRun(ctx context.Context, tc client.Client, entity, trigger, by, bucket string) (id string, started bool, err error) {
	return startOnce(ctx, tc, "sync", workflows.SyncWorkflowID(entity, bucket), workflows.SyncWorkflow, workflows.SyncInput{Entity: entity, Trigger: trigger, RequestedBy: by})
}

// DunningSpec is when the dunning ladder runs: every hour, so a payment or a
// broken promise is acted on within the hour; each run decides the day again
// and changes only what moved.
const DunningSpec = "@every 1h"

// StartDunning starts the dunning tick scheduled for at (ID
// DunningWorkflowID of its bucket), once across replicas.
func StartDunning(ctx context.Context, tc client.Client, bucket string, at time.Time) (id string, started bool, err error) {
	return startOnce(ctx, tc, "dunning", workflows.DunningWorkflowID(bucket), workflows.DunningWorkflow, workflows.DunningInput{At: at})
}

// startOnce starts workflow wf (what, for the error) with ID id unless a
// run with that ID exists (started=false, not an error): a tick's workflow
// starts once however many replicas ask.
func startOnce(ctx context.Context, tc client.Client, what, id string, wf, input any) (_ string, started bool, err error) {
	_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// Without this the SDK answers a duplicate start with the running run,
		// and the caller could not tell it did not start one.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, wf, input)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &already):
		return id, false, nil
	case err != nil:
		return id, false, fmt.Errorf("start %s %s: %w", what, id, err)
	}
	return id, true, nil
}

// cronLogger adapts slog to robfig/cron's logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
