package api

import "net/http"

// ProblemKind names a kind of problem: the last part of its type URI
// (/problems/<kind>). Every kind l2c sends is a constant below with its HTTP
// status in problemKinds, and a line in the README's errors paragraph.
// problem(status, kind, ...) still takes the status so a call reads as what
// the client gets; TestProblemKindsOneStatus checks the two agree.
type ProblemKind string

// TypeURI is the problem's type member.
func (k ProblemKind) TypeURI() string { return "/problems/" + string(k) }

// The kinds. Refusals of the deal and approval rules (internal/refusal) and
// upload failures (internal/workbook) carry their own kind, converted at the
// edge: fromDealError and the imports' workbook errors.
const (
	probMalformedJSON        ProblemKind = "malformed_json"
	probUnexpectedField      ProblemKind = "unexpected_field"
	probUnknownAction        ProblemKind = "unknown_action"
	probInvalidQuery         ProblemKind = "invalid_query"
	probInvalidHeader        ProblemKind = "invalid_header"
	probInvalidUpload        ProblemKind = "invalid_upload"
	probSSOState             ProblemKind = "sso_state"
	probUnauthenticated      ProblemKind = "unauthenticated"
	probForbidden            ProblemKind = "forbidden"
	probCSRF                 ProblemKind = "csrf"
	probNotFound             ProblemKind = "not_found"
	probMethodNotAllowed     ProblemKind = "method_not_allowed"
	probWrongStage           ProblemKind = "wrong_stage"
	probSyncRunning          ProblemKind = "sync_running"
	probTermsChangeOpen      ProblemKind = "terms_change_open"
	probCustomerPending      ProblemKind = "customer_pending"
	probDuplicateCustomer    ProblemKind = "duplicate_customer"
	probPlanChangeOpen       ProblemKind = "plan_change_open"
	probTooLarge             ProblemKind = "too_large"
	probUnsupportedMediaType ProblemKind = "unsupported_media_type"
	probInvalid              ProblemKind = "invalid"
	probIdempotencyKeyReused ProblemKind = "idempotency_key_reused"
	probRateLimited          ProblemKind = "rate_limited"
	probBusy                 ProblemKind = "busy"
	probInternal             ProblemKind = "internal"
	probNotReady             ProblemKind = "not_ready"
	probTimeout              ProblemKind = "timeout"
	probSSOUnavailable       ProblemKind = "sso_unavailable"
	probERPUnavailable       ProblemKind = "erp_unavailable"
	probCustomerOwned        ProblemKind = "customer_owned"
	probCooldown             ProblemKind = "cooldown"
	probOwnershipCap         ProblemKind = "ownership_cap"
	probClassProposalStale   ProblemKind = "class_proposal_stale"
	probOverBudget           ProblemKind = "over_budget"
)

// problemKinds is each kind's status: one status per kind, whichever handler
// sends it.
var problemKinds = map[ProblemKind]int{
	probMalformedJSON:        http.StatusBadRequest,
	probUnexpectedField:      http.StatusBadRequest,
	probUnknownAction:        http.StatusBadRequest,
	probInvalidQuery:         http.StatusBadRequest,
	probInvalidHeader:        http.StatusBadRequest,
	probInvalidUpload:        http.StatusBadRequest,
	probSSOState:             http.StatusBadRequest,
	probUnauthenticated:      http.StatusUnauthorized,
	probForbidden:            http.StatusForbidden,
	probCSRF:                 http.StatusForbidden,
	probNotFound:             http.StatusNotFound,
	probMethodNotAllowed:     http.StatusMethodNotAllowed,
	probWrongStage:           http.StatusConflict,
	probSyncRunning:          http.StatusConflict,
	probPlanChangeOpen:       http.StatusConflict,
	probTermsChangeOpen:      http.StatusConflict,
	probCustomerPending:      http.StatusConflict,
	probDuplicateCustomer:    http.StatusConflict,
	probTooLarge:             http.StatusRequestEntityTooLarge,
	probUnsupportedMediaType: http.StatusUnsupportedMediaType,
	probInvalid:              http.StatusUnprocessableEntity,
	probIdempotencyKeyReused: http.StatusUnprocessableEntity,
	probRateLimited:          http.StatusTooManyRequests,
	probBusy:                 http.StatusTooManyRequests,
	probInternal:             http.StatusInternalServerError,
	probNotReady:             http.StatusServiceUnavailable,
	probTimeout:              http.StatusServiceUnavailable,
	probSSOUnavailable:       http.StatusServiceUnavailable,
	probERPUnavailable:       http.StatusServiceUnavailable,
	probCustomerOwned:        http.StatusConflict,
	probCooldown:             http.StatusConflict,
	probOwnershipCap:         http.StatusUnprocessableEntity,
	probClassProposalStale:   http.StatusConflict,
	probOverBudget:           http.StatusConflict,
}
