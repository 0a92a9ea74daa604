package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/l2c/l2c/activities"
)

// erpBudgetRun runs a sync whose ERP keeps failing and returns the chunk's
// schedule-to-close timeout (the run's time budget), how often it was tried,
// and what the run was finished with.
func erpBudgetRun(t *testing.T, budget time.Duration) (time.Duration, int, activities.FinishSyncRunInput) {
	env, a := newSyncEnv(t)
	env.OnActivity(a.BeginSyncRun, mock.Anything, mock.Anything).Return(activities.BeginSyncRunResult{}, nil)
	var scheduleToClose time.Duration
	attempts := 0
	env.OnActivity(a.SyncChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ activities.SyncChunkInput) (activities.SyncChunkResult, error) {
			attempts++
			scheduleToClose = activity.GetInfo(ctx).ScheduleToCloseTimeout
			return activities.SyncChunkResult{}, temporal.NewApplicationError("GET A_BusinessPartner: ERP unavailable (HTTP 503)",
				activities.ErrTypeERPUnavailable)
		})
	var finished activities.FinishSyncRunInput
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishSyncRunInput) (activities.SyncCounts, error) {
			finished = in
			return activities.SyncCounts{}, nil
		})
	env.ExecuteWorkflow(SyncWorkflow, SyncInput{Entity: "customers", Trigger: SyncTriggerSchedule, TimeBudget: budget})
	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError(), "a run whose ERP stays down fails")
	return scheduleToClose, attempts, finished
}

// An ERP that keeps failing: the chunk is retried within the run's time
// budget (30 minutes unless the run says otherwise, where it was two hours),
// then the run is finished failed with the ERP's error, which is what
// records it and tells the admins.
func TestERPSyncFailsAfterItsTimeBudget(t *testing.T) {
	budget, attempts, finished := erpBudgetRun(t, 10*time.Minute)
	require.Equal(t, 10*time.Minute, budget)
	require.Greater(t, attempts, 1, "retried while the budget lasted")
	require.Contains(t, finished.Error, "ERP unavailable")

	budget, _, finished = erpBudgetRun(t, 0)
	require.Equal(t, 30*time.Minute, budget)
	require.Contains(t, finished.Error, "ERP unavailable")
}
