package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// A new customer (新客户): a sales assistant enters it, l2c keeps it as a lead
// customer (pending: quotes yes, orders no), a customer_onboarding case
// decides (the sales manager; finance too for a credit limit above the rule's
// threshold), and approved, the customer is created in the ERP (idempotent:
// the workflow's ID is the create's key) and becomes active under the ERP's
// number. Rejected or withdrawn, it stays in l2c as rejected.

// OnboardingWorkflowID is the workflow of onboarding request id.
func OnboardingWorkflowID(id int64) string { return contract.OnboardingWorkflowID(id) }

// OnboardingCaseID is the approval case of the customer with provisional code.
func OnboardingCaseID(code string) string { return contract.OnboardingCaseID(code) }

// OnboardingInput is a recorded request (database.OnboardingCreate).
type OnboardingInput struct {
	ID        int64
	Customer  string // the provisional code
	Requester identity.User
	New       activities.CreateERPCustomerInput // what the ERP is to create (Key and FirstSent set here)
	// Subject is what the approvers see; CreditLimit routes the case.
	Subject     []approval.Field
	CreditLimit *int64
	SalesOwner  string
	RequestedAt time.Time
}

// OnboardingStatus is what the workflow reports and returns.
type OnboardingStatus = contract.OnboardingStatus

// OnboardingWorkflow runs one request to its end.
func OnboardingWorkflow(ctx workflow.Context, in OnboardingInput) (OnboardingStatus, error) {
	st := OnboardingStatus{Status: contract.OnboardingInReview, CaseID: OnboardingCaseID(in.Customer)}
	if err := workflow.SetQueryHandler(ctx, contract.OnboardingStatusQuery, func() (OnboardingStatus, error) { return st, nil }); err != nil {
		return st, err
	}
	actx := bookkeeping(ctx)
	finish := func(status, detail string) (OnboardingStatus, error) {
		st.Status, st.Detail = status, detail
		var a *activities.Onboarding
		err := workflow.ExecuteActivity(actx, a.RecordOnboardingOutcome, activities.OnboardingOutcome{ID: in.ID, Customer: in.Customer,
			CaseID: st.CaseID, Status: status, Detail: detail, ERPCode: st.ERPCode, At: workflow.Now(ctx)}).Get(ctx, nil)
		return st, err
	}

	c := approval.Case{ID: st.CaseID, Kind: approval.KindOnboarding, Title: "New customer: " + in.New.Name,
		Requester: in.Requester.ID, Team: in.Requester.Team, Subject: in.Subject, OpenedAt: in.RequestedAt,
		Facts: approval.Facts{Customer: in.Customer}}
	if in.SalesOwner != "" && in.SalesOwner != in.Requester.ID {
		c.Excluded = []string{in.SalesOwner} // nobody approves their own customer
	}
	if in.CreditLimit != nil {
		c.Facts.Amount = money.Amount(*in.CreditLimit)
	}
	if _, status, detail := reviewRequest(ctx, c, TaskQueue, false, requestEnds{Failed: contract.OnboardingFailed,
		Rejected: contract.OnboardingRejected, Withdrawn: contract.OnboardingWithdrawn}); status != "" {
		return finish(status, detail)
	}
	if _, err := finish(contract.OnboardingApproved, ""); err != nil {
		return st, err
	}
	wctx := workflow.WithActivityOptions(ctx, erpWriteOptions)
	create := in.New
	create.Key, create.FirstSent = workflow.GetInfo(ctx).WorkflowExecution.ID, in.RequestedAt
	var erp *activities.ERP
	var made activities.CreateERPCustomerResult
	err := workflow.ExecuteActivity(wctx, erp.CreateERPCustomer, create).Get(ctx, &made)
	var appErr *temporal.ApplicationError
	if err != nil {
		detail := "the ERP did not create the customer: " + err.Error()
		if errors.As(err, &appErr) {
			detail = "the ERP did not create the customer: " + appErr.Message()
		}
		return finish(contract.OnboardingFailed, detail)
	}
	st.ERPCode = made.Code
	return finish(contract.OnboardingCreated, "")
}
