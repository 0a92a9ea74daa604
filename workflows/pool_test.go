package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/l2c/l2c/activities"
)

// TestPoolRecycleWorkflowReplay replays a recorded run of the pool clock
// (TestOwnershipPoolRecycleOnWorkingDays in api/).
func TestPoolRecycleWorkflowReplay(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(PoolRecycleWorkflow)
	require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/pool_recycle.json"))
}

// TestPoolRecycleReadsTheClockAsOfItsTick: the run asks for the clock as of
// its input's moment, not the worker's, so a retry reads the same clock.
func TestPoolRecycleReadsTheClockAsOfItsTick(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.Ownership
	at := time.Date(2026, 10, 19, 2, 0, 0, 0, time.UTC)
	env.OnActivity(a.RecyclePool, mock.Anything, activities.RecyclePoolInput{At: at}).
		Return(activities.RecyclePoolResult{Idle: 3, Recycled: 1}, nil).Once()
	env.ExecuteWorkflow(PoolRecycleWorkflow, PoolRecycleInput{At: at})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out activities.RecyclePoolResult
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, int64(1), out.Recycled)
	env.AssertExpectations(t)
}
