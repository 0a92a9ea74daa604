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

// TestFollowUpWorkflowReplay: the recorded run of the follow-up clock
// (TestFunnelTimeframeRemindersOnWorkingDays) replays through today's code.
func TestFollowUpWorkflowReplay(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(FollowUpWorkflow)
	require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/follow_up_reminders.json"))
}

// TestFollowUpReadsTheClockAsOfItsTick: the run asks for the clock as of its
// input's moment, not the worker's, so a retry reads the same clock.
func TestFollowUpReadsTheClockAsOfItsTick(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.FollowUps
	at := time.Date(2026, 10, 12, 0, 30, 0, 0, time.UTC)
	env.OnActivity(a.RemindFollowUps, mock.Anything, activities.RemindFollowUpsInput{At: at}).
		Return(activities.RemindFollowUpsResult{Workday: true, Reminded: 3}, nil).Once()
	env.ExecuteWorkflow(FollowUpWorkflow, FollowUpInput{At: at})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out activities.RemindFollowUpsResult
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, 3, out.Reminded)
	env.AssertExpectations(t)
}
