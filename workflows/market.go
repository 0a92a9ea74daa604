package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// A market activity (trade fair, technical seminar, samples) is applied for
// with its budget lines, checked against its department's budget for the
// quarter by the API, then decided by a market_activity case (market
// management; from an amount, management too) before it runs.

// MarketActivityWorkflowID is the workflow of application id.
func MarketActivityWorkflowID(id int64) string { return contract.MarketActivityWorkflowID(id) }

// MarketActivityCaseID is the case of application id.
func MarketActivityCaseID(id int64) string { return contract.MarketActivityCaseID(id) }

// MarketActivityInput is a recorded application (contract.MarketActivityCreate).
type MarketActivityInput struct {
	ID          int64
	Title       string
	Requester   identity.User
	Subject     []approval.Field
	Total       money.Amount
	RequestedAt time.Time
}

// MarketActivityWorkflow runs one application to its decision.
func MarketActivityWorkflow(ctx workflow.Context, in MarketActivityInput) (string, error) {
	caseID := MarketActivityCaseID(in.ID)
	actx := bookkeeping(ctx)
	finish := func(status, detail string) (string, error) {
		var m *activities.Market
		err := workflow.ExecuteActivity(actx, m.FinishMarketActivity, activities.MarketOutcome{ID: in.ID, CaseID: caseID,
			Status: status, Detail: detail, At: workflow.Now(ctx)}).Get(ctx, nil)
		return status, err
	}
	c := approval.Case{ID: caseID, Kind: approval.KindMarketActivity, Title: "Market activity: " + in.Title,
		Requester: in.Requester.ID, Team: in.Requester.Team, Subject: in.Subject,
		Facts: approval.Facts{Amount: in.Total}, OpenedAt: in.RequestedAt, Excluded: []string{in.Requester.ID}}
	outcome, status, detail := reviewRequest(ctx, c, TaskQueue, false, requestEnds{Failed: contract.MarketFailed,
		Rejected: contract.MarketRejected, Withdrawn: contract.MarketWithdrawn})
	if status == "" {
		return finish(contract.MarketApproved, "approved by "+outcome.By)
	}
	return finish(status, detail)
}
