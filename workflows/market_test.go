package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestMarketActivityWorkflowReplay: the recorded run of an application
// approved through its case (TestMarketActivityOverBudgetStopped) replays
// through today's code.
func TestMarketActivityWorkflowReplay(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(MarketActivityWorkflow)
	r.RegisterWorkflow(ApprovalWorkflow)
	require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/market_activity_approved.json"))
}
