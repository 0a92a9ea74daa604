package workflows

import (
	"errors"
	"fmt"
	"time"

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
	actx := bookkeeping(ctx)
	finish := func(status, detail string) (TermsChangeStatus, error) {
		st.Status, st.Detail = status, detail
		var t *activities.Terms
		err := workflow.ExecuteActivity(actx, t.RecordTermsOutcome, activities.TermsOutcome{ID: in.ID, Customer: in.Customer,
			CaseID: st.CaseID, Status: status, Detail: detail, Before: in.Before, After: in.After, At: workflow.Now(ctx)}).Get(ctx, nil)
		return st, err
	}

	// The review: a child case, closed with this workflow (a cancelled change
	// withdraws its case). From NewsCheckChange news counts only when the
	// case's own record agrees (confirmNews), and a case that ended says how
	// through its result.
	c := approval.Case{ID: st.CaseID, Kind: approval.KindTermsChange, Title: "Terms of " + in.Name + " (" + in.Customer + ")",
		Requester: in.Requester.ID, Team: in.Requester.Team, Subject: termsSubject(in), OpenedAt: in.RequestedAt,
		Facts: approval.Facts{Customer: in.Customer}}
	if in.SalesOwner != "" {
		c.Excluded = []string{in.SalesOwner}
	}
	if in.After.CreditLimit != nil {
		c.Facts.Amount = money.Amount(*in.After.CreditLimit)
	}
	if _, status, detail := reviewRequest(ctx, c, "", true, requestEnds{Failed: contract.TermsFailed,
		Rejected: contract.TermsRejected, Withdrawn: contract.TermsWithdrawn}); status != "" {
		return finish(status, detail)
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
