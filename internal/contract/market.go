package contract

import (
	"fmt"

	"github.com/l2c/l2c/internal/approval"
)

// A market activity's application (issue 14, item 2) runs as a workflow
// that opens its market_activity case and records the outcome.

// MarketActivityWorkflowID is the workflow of application id.
func MarketActivityWorkflowID(id int64) string { return fmt.Sprintf("market-activity/%d", id) }

// MarketActivityCaseID is the approval case of application id.
func MarketActivityCaseID(id int64) string {
	return fmt.Sprintf("%s.%d", approval.KindMarketActivity, id)
}

// The statuses of an application (market_activities.status).
const (
	MarketInReview  = "in_review"
	MarketApproved  = "approved"
	MarketRejected  = "rejected"
	MarketWithdrawn = "withdrawn"
	MarketFailed    = "failed"
	MarketDone      = "done" // ran; its actual cost recorded
)
