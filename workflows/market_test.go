package workflows

import "testing"

// TestMarketActivityWorkflowReplay: the recorded run of an application
// approved through its case (TestMarketActivityOverBudgetStopped) replays
// through today's code.
func TestMarketActivityWorkflowReplay(t *testing.T) {
	replay(t, MarketActivityWorkflow, "testdata/market_activity_approved.json", ApprovalWorkflow)
}
