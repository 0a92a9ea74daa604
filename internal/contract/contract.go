// Package contract is what l2c's workflows and their callers (the API, the
// activities, the scheduler) agree on: the task queue, workflow IDs, the names
// of Updates, Signals and Queries, the payloads they carry and the statuses a
// run reports. It is a leaf: it imports no workflow, activity or database
// code, so activities reach a deal's workflow without importing workflows and
// workflows read statuses without importing internal/database.
//
// Every name and JSON shape here is recorded in running workflows' histories
// (workflows/testdata): renaming one breaks replay.
package contract

import (
	"fmt"
	"time"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/deal"
)

// TaskQueue is where l2c's workers listen.
const TaskQueue = "l2c"

// --- workflow IDs ---

// DealWorkflowID is the workflow ID of a deal: one workflow per deal, ever.
func DealWorkflowID(dealID string) string { return "deal/" + dealID }

// ApprovalWorkflowID is the workflow ID of a review case.
func ApprovalWorkflowID(caseID string) string { return "approval/" + caseID }

// SyncWorkflowID is the ID of one run of an entity's sync. Scheduled runs use
// the tick's scheduled time as bucket, so every replica ticking for the same
// moment asks for the same ID and only one run starts; manual runs use
// "manual-" and the request time.
func SyncWorkflowID(entity, bucket string) string { return "sync/" + entity + "/" + bucket }

// SyncBucket formats a scheduled time for SyncWorkflowID (UTC, to the second).
func SyncBucket(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// TermsChangeWorkflowID is the workflow of terms change id.
func TermsChangeWorkflowID(id int64) string { return fmt.Sprintf("terms-change/%d", id) }

// TermsChangeCaseID is the approval case of terms change id of customer code.
func TermsChangeCaseID(code string, id int64) string {
	return fmt.Sprintf("%s.%s.%d", approval.KindTermsChange, code, id)
}

// --- the deal workflow's messages ---

const (
	// DealActUpdate carries a person's action (ActInput); it is validated by the
	// deal's rules before it is accepted and returns the deal as it now stands.
	DealActUpdate = "deal.act"
	// DealOpenedUpdate returns once the new deal is recorded in PostgreSQL. The
	// API sends it together with the start (update-with-start) so the deal can
	// be read back as soon as the create request returns.
	DealOpenedUpdate = "deal.opened"
	// DealStatusQuery returns the deal as the workflow holds it.
	DealStatusQuery = "deal.status"
	// DealERPSignal carries an invoice or a payment the ERP sync found for the
	// deal (ERPRecord). Machines signal; people update.
	DealERPSignal = "deal.erp"
)

// ERPRecord is DealERPSignal's payload (an invoice or a payment); the sync's
// activities send the same type.
type ERPRecord = deal.ERPRecord

// --- the approval workflow's messages ---

const (
	// ApprovalDecideUpdate approves or rejects the actor's step (DecideInput).
	ApprovalDecideUpdate = "approval.decide"
	// ApprovalDelegateUpdate hands the actor's step to someone else (DelegateInput).
	ApprovalDelegateUpdate = "approval.delegate"
	// ApprovalCommentUpdate adds a comment to the case or a step (CommentInput).
	ApprovalCommentUpdate = "approval.comment"
	// ApprovalWithdrawUpdate ends the case at the requester's wish (WithdrawInput).
	ApprovalWithdrawUpdate = "approval.withdraw"
	// ApprovalResubmitSignal carries the amended subject after a rejection
	// (ResubmitInput); the process that asked for the review sends it.
	ApprovalResubmitSignal = "approval.resubmit"
	// ApprovalStatusQuery returns the case as the workflow holds it.
	ApprovalStatusQuery = "approval.status"
	// ReviewSignal tells the parent process where its review stands (ReviewNews).
	ReviewSignal = "review.news"
)

// --- the ERP sync ---

// SyncProgressQuery returns the run's SyncStatus.
const SyncProgressQuery = "sync.progress"

// Triggers of a run.
const (
	SyncTriggerSchedule = "schedule"
	SyncTriggerManual   = "manual"
)

// Statuses of a sync run as its workflow reports them (SyncStatus.Status).
const (
	SyncRunning   = "running"
	SyncSucceeded = "succeeded"
	SyncFailed    = "failed"
	SyncSkipped   = "skipped" // another run of the entity was still going
)

// --- the change of terms ---

// TermsChangeStatusQuery returns the change's TermsChangeStatus.
const TermsChangeStatusQuery = "terms.status"

// TermsChangeStatus is what the terms change workflow's query returns.
type TermsChangeStatus struct {
	Status string `json:"status"` // Terms*
	Detail string `json:"detail,omitempty"`
	CaseID string `json:"case_id"`
}

// Statuses of a terms change. In review and approved are open: a customer has
// at most one open change.
const (
	TermsInReview  = "in_review"
	TermsApproved  = "approved"
	TermsWritten   = "written"
	TermsRejected  = "rejected"
	TermsWithdrawn = "withdrawn"
	TermsConflict  = "conflict"
	TermsFailed    = "failed"
)

// --- credit at the order ---

// CreditHoldWorkflowID is the workflow of credit hold id (<deal>.<version>).
func CreditHoldWorkflowID(id string) string { return "credit-hold/" + id }

// CreditHoldCaseID is the approval case of credit hold id.
func CreditHoldCaseID(id string) string { return string(approval.KindCreditHold) + "." + id }

const (
	// CreditRecheckSignal asks a hold to check the customer's credit again
	// (the sync after payments or invoices, a credit limit written). It
	// carries nothing: the hold reads the figures itself.
	CreditRecheckSignal = "credit.recheck"
	// CreditReleaseUpdate carries the terms of a manual release
	// (CreditReleaseInput) from the approver about to approve the hold's case.
	CreditReleaseUpdate = "credit.release"
	// CreditHoldStatusQuery returns the hold's CreditHoldStatus.
	CreditHoldStatusQuery = "credit.status"
)

// CreditHoldStatus is what the hold workflow reports and returns.
type CreditHoldStatus struct {
	Status string `json:"status"` // held, released, refused
	By     string `json:"by,omitempty"`
	Note   string `json:"note,omitempty"`
	CaseID string `json:"case_id"`
}

// Statuses of a credit hold.
const (
	CreditHeld     = "held"
	CreditReleased = "released"
	CreditRefused  = "refused"
)

// --- new customers ---

// OnboardingWorkflowID is the workflow of onboarding request id.
func OnboardingWorkflowID(id int64) string { return fmt.Sprintf("customer-onboarding/%d", id) }

// OnboardingCaseID is the approval case of the new customer with provisional code.
func OnboardingCaseID(code string) string { return string(approval.KindOnboarding) + "." + code }

// OnboardingStatusQuery returns the request's OnboardingStatus.
const OnboardingStatusQuery = "onboarding.status"

// OnboardingStatus is what the onboarding workflow reports and returns.
type OnboardingStatus struct {
	Status  string `json:"status"` // Onboarding*
	Detail  string `json:"detail,omitempty"`
	CaseID  string `json:"case_id"`
	ERPCode string `json:"erp_code,omitempty"`
}

// Statuses of an onboarding request.
const (
	OnboardingInReview  = "in_review"
	OnboardingApproved  = "approved"
	OnboardingCreated   = "created"
	OnboardingRejected  = "rejected"
	OnboardingWithdrawn = "withdrawn"
	OnboardingFailed    = "failed"
)

// --- cash collection (workflows/collection.go) ---

// DunningWorkflowID is the dunning tick scheduled for bucket (SyncBucket of
// the scheduled time, or "manual-…"): replicas ticking together start it once.
func DunningWorkflowID(bucket string) string { return "collection-dunning/" + bucket }

// PlanChangeWorkflowID is the workflow of change id of a signed collection plan.
func PlanChangeWorkflowID(id int64) string { return fmt.Sprintf("plan-change/%d", id) }

// PlanChangeCaseID is the plan_change approval case of change id of deal dealID.
func PlanChangeCaseID(dealID string, id int64) string {
	return fmt.Sprintf("%s.%s.%d", approval.KindPlanChange, dealID, id)
}

// What became of a change of a signed collection plan.
const (
	PlanChangeInReview  = "in_review"
	PlanChangeApproved  = "approved" // and applied to the instalments
	PlanChangeRejected  = "rejected"
	PlanChangeWithdrawn = "withdrawn"
	PlanChangeFailed    = "failed"
)
