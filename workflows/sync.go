package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/contract"
)

// --- the ERP sync workflow's contract ---

// SyncEntities are the entities synced from the ERP, in dependency order.
var SyncEntities = []string{"customers", "invoices", "payments"}

// SyncWorkflowID is the ID of one run of an entity's sync (contract.SyncWorkflowID).
func SyncWorkflowID(entity, bucket string) string { return contract.SyncWorkflowID(entity, bucket) }

// SyncBucket formats a scheduled time for SyncWorkflowID (UTC, to the second).
func SyncBucket(t time.Time) string { return contract.SyncBucket(t) }

// SyncProgressQuery returns the run's SyncStatus.
const SyncProgressQuery = contract.SyncProgressQuery

// Triggers of a run.
const (
	SyncTriggerSchedule = contract.SyncTriggerSchedule
	SyncTriggerManual   = contract.SyncTriggerManual
)

// SyncInput starts (or continues) a run.
type SyncInput struct {
	Entity      string
	Trigger     string
	RequestedBy string
	// HeartbeatTimeout is how soon a chunk whose worker died is retried
	// elsewhere (30 s by default); PagesPerChunk bounds one chunk (0: its time
	// budget decides).
	HeartbeatTimeout time.Duration
	PagesPerChunk    int
	// TimeBudget is how long a chunk may keep failing (the ERP down, slow or
	// refusing) before the run ends failed and the integration admins are
	// told; 30 minutes by default. Each failed attempt shows on the run.
	TimeBudget time.Duration
	// Carried over by continue-as-new.
	StartedAt time.Time
	Claimed   bool
	Chunks    int
}

// SyncStatus is a run as it stands.
type SyncStatus struct {
	Entity    string
	Status    string // running, succeeded, failed, skipped
	HeldBy    string // for a skipped run: the run it did not overlap
	Counts    activities.SyncCounts
	StartedAt time.Time
	Error     string
}

// dealIDPatternForOldWorkers is sent in SignalDealsInput.WorkflowID for
// activity workers of releases before internal/contract, which format the
// deal's workflow ID from it; current workers use contract.DealWorkflowID.
const dealIDPatternForOldWorkers = "deal/%s"

// chunksPerRun is how many chunks a run does before continuing as new, which
// keeps its history short however large the sync.
const chunksPerRun = 50

// SyncWorkflow runs one sync of one entity: claim the entity (a run never
// overlaps another), page through the ERP's changes since the checkpoint in
// chunks, tell deals about their invoices and payments, and record the outcome.
func SyncWorkflow(ctx workflow.Context, in SyncInput) (SyncStatus, error) {
	r := &syncRun{in: in, status: SyncStatus{Entity: in.Entity, Status: contract.SyncRunning}}
	if err := r.setup(ctx); err != nil {
		return r.status, err
	}
	return r.run(ctx)
}

type syncRun struct {
	in     SyncInput
	id     string
	status SyncStatus
}

func (r *syncRun) setup(ctx workflow.Context) error {
	if !slices.Contains(SyncEntities, r.in.Entity) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown sync entity %q", r.in.Entity), "SyncInvalid", nil)
	}
	r.id = workflow.GetInfo(ctx).WorkflowExecution.ID
	if r.in.StartedAt.IsZero() {
		r.in.StartedAt = workflow.Now(ctx)
	}
	r.status.StartedAt = r.in.StartedAt
	return workflow.SetQueryHandler(ctx, SyncProgressQuery, func() (SyncStatus, error) { return r.status, nil })
}

// shortOptions: bookkeeping activities (database only).
var shortOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeERPInvalid}},
}

func (r *syncRun) run(ctx workflow.Context) (SyncStatus, error) {
	var a *activities.ERP
	short := workflow.WithActivityOptions(ctx, shortOptions)
	if !r.in.Claimed {
		var begun activities.BeginSyncRunResult
		err := workflow.ExecuteActivity(short, a.BeginSyncRun, activities.BeginSyncRunInput{RunID: r.id,
			Entity: r.in.Entity, Trigger: r.in.Trigger, RequestedBy: r.in.RequestedBy}).Get(ctx, &begun)
		if err != nil {
			r.status.Status, r.status.Error = contract.SyncFailed, err.Error()
			return r.status, err
		}
		if begun.Skipped {
			r.status.Status, r.status.HeldBy = contract.SyncSkipped, begun.HeldBy
			return r.status, nil
		}
		r.in.Claimed = true
	}

	hb := r.in.HeartbeatTimeout
	if hb <= 0 {
		hb = 30 * time.Second
	}
	// An ERP that is down is waited for, with backoff, for the run's time
	// budget; then the run fails (and says so to the admins) and the next
	// tick starts over from the checkpoint. Runs begun before the budget
	// existed keep the two hours they were scheduled with.
	budget := 2 * time.Hour
	if workflow.GetVersion(ctx, "sync-time-budget", workflow.DefaultVersion, 1) == 1 {
		budget = r.in.TimeBudget
		if budget <= 0 {
			budget = 30 * time.Minute
		}
	}
	chunkCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Minute,
		HeartbeatTimeout:       hb,
		ScheduleToCloseTimeout: budget,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: 2 * time.Minute, NonRetryableErrorTypes: []string{activities.ErrTypeERPInvalid}},
	})
	for {
		var res activities.SyncChunkResult
		err := workflow.ExecuteActivity(chunkCtx, a.SyncChunk, activities.SyncChunkInput{RunID: r.id, Entity: r.in.Entity,
			StartedAt: r.in.StartedAt, MaxPages: r.in.PagesPerChunk}).Get(ctx, &res)
		if err != nil {
			return r.finish(ctx, err)
		}
		r.status.Counts = res.Counts
		r.in.Chunks++
		if res.Done {
			break
		}
		if r.in.Chunks%chunksPerRun == 0 || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			next := r.in
			return r.status, workflow.NewContinueAsNewError(ctx, SyncWorkflow, next)
		}
	}

	var signalled int64
	if r.in.Entity != "customers" {
		signalCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 10 * time.Minute, HeartbeatTimeout: time.Minute,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		})
		var sent activities.SignalDealsResult
		err := workflow.ExecuteActivity(signalCtx, a.SignalDeals, activities.SignalDealsInput{Kind: r.in.Entity,
			WorkflowID: dealIDPatternForOldWorkers, Signal: DealERPSignal}).Get(ctx, &sent)
		if err != nil {
			return r.finish(ctx, err)
		}
		signalled = sent.Sent
	}
	r.status.Counts.Signalled = signalled
	return r.finish(ctx, nil)
}

// finish records the outcome; a failed run returns its error so the workflow
// shows as failed too.
func (r *syncRun) finish(ctx workflow.Context, runErr error) (SyncStatus, error) {
	var a *activities.ERP
	in := activities.FinishSyncRunInput{RunID: r.id, Entity: r.in.Entity, Signalled: r.status.Counts.Signalled}
	if runErr != nil {
		in.Error = runErrorText(runErr)
	}
	// Recording the outcome must happen even if the run was cancelled.
	fctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	var counts activities.SyncCounts
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(fctx, shortOptions), a.FinishSyncRun, in).Get(fctx, &counts); err != nil {
		return r.status, err
	}
	r.status.Counts = counts
	r.status.Counts.Signalled = in.Signalled
	if runErr != nil {
		r.status.Status, r.status.Error = contract.SyncFailed, in.Error
		return r.status, runErr
	}
	r.status.Status = contract.SyncSucceeded
	return r.status, nil
}

// runErrorText is what a failed run says to the people who read it: the
// ERP's own message (the activity error's, without the chain of wrappers
// that repeats it), and that the time budget ran out when it did.
func runErrorText(err error) string {
	msg := err.Error()
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Message() != "" {
		msg = appErr.Message()
	}
	var ae *temporal.ActivityError
	var te *temporal.TimeoutError
	if (errors.As(err, &ae) && ae.RetryState() == enumspb.RETRY_STATE_TIMEOUT) || errors.As(err, &te) {
		msg = "gave up when the run's time budget ran out; last error: " + msg
	}
	return msg
}
