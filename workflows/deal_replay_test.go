package workflows

import (
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestDealWorkflowReplay replays histories recorded from real runs on a Temporal
// dev server through today's code. A change that would break deals already in
// flight fails here; such a change needs workflow.GetVersion.
func TestDealWorkflowReplay(t *testing.T) {
	for _, file := range []string{
		"testdata/deal_closed.json", // opportunity → … → paid in full, with refused actions in between
		"testdata/deal_lost.json",   // three quote revisions, then lost
		// v1 (review engine): contract review and custom-order review as child
		// approval cases, the first returned once and resubmitted
		"testdata/deal_reviewed.json",
		// a custom-order review withdrawn and asked again
		"testdata/deal_reviewed_withdrawn_order.json",
		// review-news-check: forged "approved" news refused by the case's
		// record, then the case's own news
		"testdata/deal_controls_forged_news.json",
		// v2 (controls): owners checked against their roles, shipment, invoice
		// and payment by others than the seller, paid in full
		"testdata/deal_controls.json",
		// erp-record-check: a fake payment, a fake invoice and a real
		// payment with its amount raised refused against the ERP's data,
		// then the ERP's own invoice and payments closing the deal
		"testdata/deal_controls_erp_confirmed.json",
		// erp-orders: a stock order created in the ERP, its confirmed day
		// read and moved, a partial and a final shipment read from the ERP
		// (the watch cancelled as the deal leaves delivery)
		"testdata/deal_erp_order_shipped.json",
		// erp-order-resend: the ERP refuses the order (an order block); the
		// sales owner's re-send, once it is lifted, creates it under the
		// round's own request ID
		"testdata/deal_erp_order_resent.json",
	} {
		replay(t, DealWorkflow, file)
	}
}

// TestApprovalWorkflowReplay replays recorded approval cases: a contract review
// rejected, resubmitted, commented on and approved through three stages; and a
// two-stage custom-order review.
func TestApprovalWorkflowReplay(t *testing.T) {
	for _, file := range []string{
		"testdata/approval_contract_resubmitted.json",
		"testdata/approval_custom_order.json",
		// v1 (local activities, next stage opened with the decision): a
		// contract review returned, resubmitted, commented on, delegated and
		// approved; a withdrawn case; a two-stage custom-order review
		"testdata/approval_contract_delegated_local.json",
		"testdata/approval_withdrawn_local.json",
		"testdata/approval_custom_order_local.json",
		// approval-controls: a rejecting stage deciding again after the flag
		// that routed it was declared away; four eyes sending a stage up
		"testdata/approval_controls_rejected_again.json",
		"testdata/approval_controls_four_eyes.json",
		// resubmit-seq: rejected twice, the deal's round-2 resubmission
		// signalled again and ignored, then the deal's round 3 approved
		"testdata/approval_controls_resubmission_replayed.json",
		// approval-controls v2: a delegate who edited the rules refused in
		// the save of the decision, then the approver deciding
		"testdata/approval_controls_v2_bar_in_save.json",
		// escalation-climb: the holder's manager is a disabled account; past
		// the SLA the step escalates to that manager's manager, who approves
		"testdata/approval_escalation_climb.json",
	} {
		replay(t, ApprovalWorkflow, file)
	}
}

// replay replays the recorded history file through today's workflow (each
// file a subtest of its own, named after it), with the child workflows the
// history also ran: a change that running workflows would not survive fails
// here.
func replay(t *testing.T, workflow any, file string, children ...any) {
	t.Run(file, func(t *testing.T) {
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflow(workflow)
		for _, c := range children {
			r.RegisterWorkflow(c)
		}
		if err := r.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
			t.Fatalf("replay %s: %v", file, err)
		}
	})
}
