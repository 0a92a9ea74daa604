package workflows

import (
	"testing"

	"go.temporal.io/sdk/worker"
)

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
		t.Run(c.file, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(c.wf)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, c.file); err != nil {
				t.Fatalf("replay %s: %v", c.file, err)
			}
		})
	}
}
