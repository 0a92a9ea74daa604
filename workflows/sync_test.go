package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
)

func newSyncEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *activities.ERP) {
	env := newEnv()
	env.SetStartTime(start)
	var a *activities.ERP
	env.RegisterActivity(a)
	return env, a
}

func TestSyncSkipsWhileAnotherRunHoldsTheEntity(t *testing.T) {
	env, a := newSyncEnv(t)
	env.OnActivity(a.BeginSyncRun, mock.Anything, mock.Anything).Return(
		activities.BeginSyncRunResult{Skipped: true, HeldBy: "sync/customers/20261102T010000Z"}, nil)
	env.ExecuteWorkflow(SyncWorkflow, SyncInput{Entity: "customers", Trigger: SyncTriggerSchedule})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var st SyncStatus
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, "skipped", st.Status)
	require.Equal(t, "sync/customers/20261102T010000Z", st.HeldBy)
	env.AssertNotCalled(t, "SyncChunk", mock.Anything, mock.Anything)
}

func TestSyncPagesInChunksSignalsDealsAndFinishes(t *testing.T) {
	env, a := newSyncEnv(t)
	env.OnActivity(a.BeginSyncRun, mock.Anything, mock.Anything).Return(activities.BeginSyncRunResult{}, nil)
	chunk := 0
	env.OnActivity(a.SyncChunk, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SyncChunkInput) (activities.SyncChunkResult, error) {
			require.Equal(t, "invoices", in.Entity)
			require.Equal(t, start, in.StartedAt.UTC())
			chunk++
			return activities.SyncChunkResult{Counts: activities.SyncCounts{Pages: int64(chunk), Read: int64(chunk) * 100},
				Done: chunk == 3}, nil
		})
	var signal activities.SignalDealsInput
	env.OnActivity(a.SignalDeals, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SignalDealsInput) (activities.SignalDealsResult, error) {
			signal = in
			return activities.SignalDealsResult{Sent: 4}, nil
		})
	var finished activities.FinishSyncRunInput
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishSyncRunInput) (activities.SyncCounts, error) {
			finished = in
			return activities.SyncCounts{Pages: 3, Read: 300, Inserted: 300}, nil
		})
	env.ExecuteWorkflow(SyncWorkflow, SyncInput{Entity: "invoices", Trigger: SyncTriggerManual, RequestedBy: "admin"})
	require.NoError(t, env.GetWorkflowError())
	var st SyncStatus
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, "succeeded", st.Status)
	require.Equal(t, int64(300), st.Counts.Inserted)
	require.Equal(t, int64(4), st.Counts.Signalled)
	require.Equal(t, 3, chunk)
	require.Equal(t, "deal/%s", signal.WorkflowID)
	require.Equal(t, DealERPSignal, signal.Signal)
	require.Equal(t, int64(4), finished.Signalled)
	require.Empty(t, finished.Error)
	v, err := env.QueryWorkflow(SyncProgressQuery)
	require.NoError(t, err)
	var progress SyncStatus
	require.NoError(t, v.Get(&progress))
	require.Equal(t, st, progress)
}

func TestSyncFailureIsRecorded(t *testing.T) {
	env, a := newSyncEnv(t)
	env.OnActivity(a.BeginSyncRun, mock.Anything, mock.Anything).Return(activities.BeginSyncRunResult{}, nil)
	env.OnActivity(a.SyncChunk, mock.Anything, mock.Anything).Return(activities.SyncChunkResult{},
		temporal.NewNonRetryableApplicationError("HTTP 401", activities.ErrTypeERPInvalid, nil))
	var finished activities.FinishSyncRunInput
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishSyncRunInput) (activities.SyncCounts, error) {
			finished = in
			return activities.SyncCounts{}, nil
		})
	env.ExecuteWorkflow(SyncWorkflow, SyncInput{Entity: "customers"})
	err := env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.Equal(t, activities.ErrTypeERPInvalid, appErr.Type())
	require.Contains(t, finished.Error, "HTTP 401")
}

func TestSyncContinuesAsNewWhenLong(t *testing.T) {
	env, a := newSyncEnv(t)
	env.OnActivity(a.BeginSyncRun, mock.Anything, mock.Anything).Return(activities.BeginSyncRunResult{}, nil)
	env.OnActivity(a.SyncChunk, mock.Anything, mock.Anything).Return(activities.SyncChunkResult{}, nil)
	env.ExecuteWorkflow(SyncWorkflow, SyncInput{Entity: "customers"})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())
	env.AssertNumberOfCalls(t, "SyncChunk", chunksPerRun)
	env.AssertNumberOfCalls(t, "BeginSyncRun", 1)
}

func TestSyncRejectsUnknownEntity(t *testing.T) {
	env, _ := newSyncEnv(t)
	env.ExecuteWorkflow(SyncWorkflow, SyncInput{Entity: "suppliers"})
	require.Error(t, env.GetWorkflowError())
}

// TestSyncWorkflowReplay replays a sync recorded on a dev server (by the
// activities package's tests with L2C_RECORD_HISTORY=1).
func TestSyncWorkflowReplay(t *testing.T) {
	replay(t, SyncWorkflow, "testdata/sync_customers.json")
}
