package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/l2c/l2c/activities"
)

// TestClassifyWorkflowReplay replays a recorded run of the value classes
// (TestClassesReviewedBeforeTheyApplyThenRouted in api/).
func TestClassifyWorkflowReplay(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(ClassifyWorkflow)
	require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/classify.json"))
}

// TestClassifyRunsAsOfItsTickKeyedByItsID: the run computes the classes as
// of its input's moment, keyed by its own workflow ID, so a retry of the
// activity finds the same run.
func TestClassifyRunsAsOfItsTickKeyedByItsID(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.Classes
	at := time.Date(2026, 11, 15, 17, 0, 0, 0, time.UTC)
	id := ClassifyWorkflowID("20261115T170000Z")
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
	env.OnActivity(a.Classify, mock.Anything, activities.ClassifyInput{At: at, RequestedBy: "admin", RunKey: id}).
		Return(activities.ClassifyResult{RunID: 4, Customers: 8, Proposed: 6}, nil).Once()
	env.ExecuteWorkflow(ClassifyWorkflow, ClassifyInput{At: at, RequestedBy: "admin"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out activities.ClassifyResult
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, 6, out.Proposed)
	env.AssertExpectations(t)
}
