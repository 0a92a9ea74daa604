package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/l2c/l2c/activities"
)

// runTickOnce runs tick workflow wf with in (under workflow ID id, "" for
// any), expecting its one activity called once with want and answering
// result; it returns the workflow's result.
func runTickOnce[R any](t *testing.T, wf, in any, id string, activity, want any, result R) R {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	if id != "" {
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
	}
	env.OnActivity(activity, mock.Anything, want).Return(result, nil).Once()
	env.ExecuteWorkflow(wf, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out R
	require.NoError(t, env.GetWorkflowResult(&out))
	env.AssertExpectations(t)
	return out
}

// TestClassifyWorkflowReplay replays a recorded run of the value classes
// (TestClassesReviewedBeforeTheyApplyThenRouted in api/).
func TestClassifyWorkflowReplay(t *testing.T) {
	replay(t, ClassifyWorkflow, "testdata/classify.json")
}

// TestClassifyRunsAsOfItsTickKeyedByItsID: the run computes the classes as
// of its input's moment, keyed by its own workflow ID, so a retry of the
// activity finds the same run.
func TestClassifyRunsAsOfItsTickKeyedByItsID(t *testing.T) {
	var a *activities.Classes
	at := time.Date(2026, 11, 15, 17, 0, 0, 0, time.UTC)
	id := ClassifyWorkflowID("20261115T170000Z")
	out := runTickOnce(t, ClassifyWorkflow, ClassifyInput{At: at, RequestedBy: "admin"}, id, a.Classify,
		activities.ClassifyInput{At: at, RequestedBy: "admin", RunKey: id}, activities.ClassifyResult{RunID: 4, Customers: 8, Proposed: 6})
	require.Equal(t, 6, out.Proposed)
}

// TestFollowUpWorkflowReplay: the recorded run of the follow-up clock
// (TestFunnelTimeframeRemindersOnWorkingDays) replays through today's code.
func TestFollowUpWorkflowReplay(t *testing.T) {
	replay(t, FollowUpWorkflow, "testdata/follow_up_reminders.json")
}

// TestPoolRecycleWorkflowReplay replays a recorded run of the pool clock
// (TestOwnershipPoolRecycleOnWorkingDays in api/).
func TestPoolRecycleWorkflowReplay(t *testing.T) {
	replay(t, PoolRecycleWorkflow, "testdata/pool_recycle.json")
}

// TestFollowUpAndPoolReadTheClockAsOfTheirTick: each run asks for its
// clock as of its input's moment, not the worker's, so a retry reads the
// same clock.
func TestFollowUpAndPoolReadTheClockAsOfTheirTick(t *testing.T) {
	var f *activities.FollowUps
	at := time.Date(2026, 10, 12, 0, 30, 0, 0, time.UTC)
	require.Equal(t, 3, runTickOnce(t, FollowUpWorkflow, FollowUpInput{At: at}, "", f.RemindFollowUps,
		activities.RemindFollowUpsInput{At: at}, activities.RemindFollowUpsResult{Workday: true, Reminded: 3}).Reminded)
	var o *activities.Ownership
	at = time.Date(2026, 10, 19, 2, 0, 0, 0, time.UTC)
	require.Equal(t, int64(1), runTickOnce(t, PoolRecycleWorkflow, PoolRecycleInput{At: at}, "", o.RecyclePool,
		activities.RecyclePoolInput{At: at}, activities.RecyclePoolResult{Idle: 3, Recycled: 1}).Recycled)
}
