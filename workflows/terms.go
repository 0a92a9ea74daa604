package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// A change of a customer's commercial terms: sales asks, market management and
// finance approve (the terms_change route), then l2c writes the terms into the
// ERP against the version of the customer the change was asked about, and
// records the outcome. Rejected or withdrawn, nothing is written.

// TermsChangeWorkflowID is the workflow of terms change id.
func TermsChangeWorkflowID(id int64) string { return contract.TermsChangeWorkflowID(id) }

// TermsChangeCaseID is the approval case of terms change id of customer code.
func TermsChangeCaseID(code string, id int64) string { return contract.TermsChangeCaseID(code, id) }

// TermsChangeInput is a recorded request (database.TermsChangeCreate).
type TermsChangeInput struct {
	ID        int64
	Customer  string
	Name      string // the customer's name, for the approvers
	Requester identity.User
	Reason    string
	ERPETag   string
	// Before and After are the terms now and as asked; only After's set
	// fields change.
	Before, After activities.CustomerTerms
	RequestedAt   time.Time
	// SalesOwner is the customer's sales owner: named on the subject, never
	// one of its approvers.
	SalesOwner string
}

// TermsChangeStatus is what the workflow's query returns.
type TermsChangeStatus = contract.TermsChangeStatus

// TermsChangeStatusQuery returns the change's TermsChangeStatus.
const TermsChangeStatusQuery = contract.TermsChangeStatusQuery

// TermsChangeWorkflow runs one change of terms to its end.
func TermsChangeWorkflow(ctx workflow.Context, in TermsChangeInput) (TermsChangeStatus, error) {
	st := TermsChangeStatus{Status: contract.TermsInReview, CaseID: TermsChangeCaseID(in.Customer, in.ID)}
	if err := workflow.SetQueryHandler(ctx, TermsChangeStatusQuery, func() (TermsChangeStatus, error) { return st, nil }); err != nil {
		return st, err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute}})
	finish := func(status, detail string) (TermsChangeStatus, error) {
		st.Status, st.Detail = status, detail
		var t *activities.Terms
		err := workflow.ExecuteActivity(actx, t.RecordTermsOutcome, activities.TermsOutcome{ID: in.ID, Customer: in.Customer,
			CaseID: st.CaseID, Status: status, Detail: detail, Before: in.Before, After: in.After, At: workflow.Now(ctx)}).Get(ctx, nil)
		return st, err
	}

	// The review: a child case, closed with this workflow (a cancelled change
	// withdraws its case).
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: ApprovalWorkflowID(st.CaseID),
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL})
	c := approval.Case{ID: st.CaseID, Kind: approval.KindTermsChange, Title: "Terms of " + in.Name + " (" + in.Customer + ")",
		Requester: in.Requester.ID, Team: in.Requester.Team, Subject: termsSubject(in), OpenedAt: in.RequestedAt,
		Facts: approval.Facts{Customer: in.Customer}}
	if in.SalesOwner != "" {
		c.Excluded = []string{in.SalesOwner}
	}
	if in.After.CreditLimit != nil {
		c.Facts.Amount = money.Amount(*in.After.CreditLimit)
	}
	child := workflow.ExecuteChildWorkflow(cctx, ApprovalWorkflow, ApprovalInput{Case: c, Parent: workflow.GetInfo(ctx).WorkflowExecution.ID})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return finish(contract.TermsFailed, "the review could not start: "+err.Error())
	}

	// From NewsCheckChange news counts only when the case's own record agrees
	// (confirmNews), and a case that ended says how through its result.
	check := workflow.GetVersion(ctx, NewsCheckChange, workflow.DefaultVersion, 1) == 1
	outcome := awaitReview(ctx, child, check)
	switch outcome.Status {
	case approval.StatusApproved:
	case approval.StatusReturned:
		return finish(contract.TermsRejected, fmt.Sprintf("rejected by %s: %s", outcome.By, outcome.Note))
	default:
		return finish(contract.TermsWithdrawn, outcome.Note)
	}

	if _, err := finish(contract.TermsApproved, ""); err != nil {
		return st, err
	}
	wctx := workflow.WithActivityOptions(ctx, erpWriteOptions)
	var erp *activities.ERP
	err := workflow.ExecuteActivity(wctx, erp.WriteCustomerTerms, activities.WriteCustomerTermsInput{
		Code: in.Customer, ETag: in.ERPETag, Terms: in.After}).Get(ctx, nil)
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		return finish(contract.TermsWritten, "")
	case errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeERPConflict:
		return finish(contract.TermsConflict, appErr.Message())
	default:
		return finish(contract.TermsFailed, "the ERP did not take the terms: "+err.Error())
	}
}

// termsSubject is what the approvers see: each term that changes, before and after.
func termsSubject(in TermsChangeInput) []approval.Field {
	f := []approval.Field{{Name: "customer", Value: in.Customer + " " + in.Name}}
	if in.After.MinDiscountBP != nil {
		f = append(f, approval.Field{Name: "min_discount", Value: percent(in.Before.MinDiscountBP) + " → " + percent(in.After.MinDiscountBP)})
	}
	if in.After.PaymentTerms != nil {
		before := "(none)"
		if in.Before.PaymentTerms != nil && *in.Before.PaymentTerms != "" {
			before = *in.Before.PaymentTerms
		}
		f = append(f, approval.Field{Name: "payment_terms", Value: before + " → " + *in.After.PaymentTerms})
	}
	if in.After.CreditLimit != nil {
		f = append(f, approval.Field{Name: "credit_limit", Value: minorUnits(in.Before.CreditLimit) + " → " + minorUnits(in.After.CreditLimit)})
	}
	return append(f, approval.Field{Name: "reason", Value: in.Reason})
}

func percent(bp *int64) string {
	if bp == nil {
		return "(none)"
	}
	return fmt.Sprintf("%d.%02d%%", *bp/100, *bp%100)
}

func minorUnits(v *int64) string {
	if v == nil {
		return "(none)"
	}
	return money.Amount(*v).String()
}

// erpWriteOptions are those of a write into the ERP (terms, a new customer):
// the ERP may be down for a while; keep trying for a day, then say so.
var erpWriteOptions = workflow.ActivityOptions{StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: 10 * time.Minute}}
