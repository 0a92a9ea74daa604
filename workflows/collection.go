package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// Cash collection's two processes: the dunning tick, which a scheduler
// starts every hour (one workflow per bucket; all the work is one set-based
// activity), and a change of a signed collection plan, decided by a
// plan_change approval case (finance) and applied when approved.

// DunningWorkflowID is the tick of bucket.
func DunningWorkflowID(bucket string) string { return contract.DunningWorkflowID(bucket) }

// DunningInput is one tick: the instant it was scheduled for.
type DunningInput struct {
	At time.Time
}

// DunningWorkflow runs the dunning ladder once over every open instalment,
// then rebuilds the summaries the reports over everything read.
func DunningWorkflow(ctx workflow.Context, in DunningInput) (activities.DunningTickResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// A million open instalments take tens of seconds; a tick that
		// cannot finish within the hour leaves the day to the next one.
		StartToCloseTimeout:    5 * time.Minute,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: 5 * time.Minute},
	})
	var c *activities.Collection
	var res activities.DunningTickResult
	if err := workflow.ExecuteActivity(actx, c.DunningTick, activities.DunningTickInput{At: in.At}).Get(ctx, &res); err != nil {
		return res, err
	}
	// Then the reports' summaries, with the instalments as the tick left them.
	return res, workflow.ExecuteActivity(actx, c.RefreshSummaries, activities.DunningTickInput{At: in.At}).Get(ctx, nil)
}

// PlanChangeWorkflowID is the workflow of plan change id.
func PlanChangeWorkflowID(id int64) string { return contract.PlanChangeWorkflowID(id) }

// PlanChangeCaseID is the plan_change case of change id of deal dealID.
func PlanChangeCaseID(dealID string, id int64) string { return contract.PlanChangeCaseID(dealID, id) }

// PlanChangeInput is a recorded request (database.PlanChangeCreate).
type PlanChangeInput struct {
	ID        int64
	DealID    string
	Title     string // the deal's title and customer, for the approvers
	Requester identity.User
	Reason    string
	Currency  string
	Contract  money.Amount
	// Before and After are the signed plan and the plan asked for.
	Before, After collection.Plan
	RequestedAt   time.Time
	// Sellers are the deal's sales owner and discoverer: never approvers.
	Sellers []string
}

// PlanChangeWorkflow runs one change of a signed plan to its end.
func PlanChangeWorkflow(ctx workflow.Context, in PlanChangeInput) (string, error) {
	caseID := PlanChangeCaseID(in.DealID, in.ID)
	actx := bookkeeping(ctx)
	finish := func(status, detail string) (string, error) {
		var c *activities.Collection
		err := workflow.ExecuteActivity(actx, c.FinishPlanChange, activities.PlanChangeOutcome{ID: in.ID, DealID: in.DealID,
			CaseID: caseID, Status: status, Detail: detail, At: workflow.Now(ctx)}).Get(ctx, nil)
		return status, err
	}
	c := approval.Case{ID: caseID, Kind: approval.KindPlanChange, Title: "Collection plan of " + in.Title,
		DealID: in.DealID, Requester: in.Requester.ID, Team: in.Requester.Team, Subject: planSubject(in),
		Facts: approval.Facts{Amount: in.Contract}, OpenedAt: in.RequestedAt, Excluded: in.Sellers}
	outcome, status, detail := reviewRequest(ctx, c, "", true, requestEnds{Failed: contract.PlanChangeFailed,
		Rejected: contract.PlanChangeRejected, Withdrawn: contract.PlanChangeWithdrawn})
	if status == "" {
		return finish(contract.PlanChangeApproved, "approved by "+outcome.By)
	}
	return finish(status, detail)
}

// planSubject is what the approvers see: the plan before and after, one
// line per instalment, and why.
func planSubject(in PlanChangeInput) []approval.Field {
	return []approval.Field{
		{Name: "contract", Value: in.Contract.String() + " " + in.Currency},
		{Name: "plan", Value: describePlan(in.Before, in.Contract) + " → " + describePlan(in.After, in.Contract)},
		{Name: "interest_bp", Value: fmt.Sprintf("%d → %d", in.Before.InterestBP, in.After.InterestBP)},
		{Name: "reason", Value: in.Reason},
	}
}

func describePlan(p collection.Plan, contract money.Amount) string {
	amounts := p.Amounts(contract)
	parts := make([]string, len(p.Instalments))
	for i, in := range p.Instalments {
		when := string(in.Trigger)
		if in.Retention() {
			when = fmt.Sprintf("%s+%dm", when, in.WarrantyMonths)
		}
		parts[i] = fmt.Sprintf("%s %s@%s+%d %s", in.Label, amounts[i], when, in.Due.Days, in.Due.Kind)
	}
	return strings.Join(parts, "; ")
}
