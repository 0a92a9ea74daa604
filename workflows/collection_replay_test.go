package workflows

import "testing"

// TestCollectionWorkflowReplay replays the recorded runs of cash
// collection's workflows: a change of a signed plan approved by finance
// (after its child case), and a dunning tick run by hand.
func TestCollectionWorkflowReplay(t *testing.T) {
	for _, c := range []struct {
		file string
		wf   any
	}{
		{"testdata/collection_plan_change.json", PlanChangeWorkflow},
		{"testdata/collection_dunning.json", DunningWorkflow},
	} {
		replay(t, c.wf, c.file)
	}
}
