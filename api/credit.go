package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/workflows"
)

// creditHolds serves /api/v1/credit-holds: orders held at the credit check
// (workflows/credit.go), seen by whoever sees their deal, released by finance
// through the hold's approval case.
type creditHolds struct{ Deps }

// find reads the hold named in the path if the caller may see its deal; any
// other answers 404, like a missing one.
func (h creditHolds) find(r *http.Request) (database.CreditHold, error) {
	id := chi.URLParam(r, "id")
	hold, err := h.DB.CreditHoldGet(r.Context(), id)
	if errors.Is(err, database.ErrNotFound) {
		return hold, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no credit hold %q", id))
	}
	if err != nil {
		return hold, err
	}
	visible, err := h.DB.DealVisible(r.Context(), hold.DealID, viewer(actor(r)))
	if err != nil {
		return hold, err
	}
	if !visible {
		return hold, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no credit hold %q", id))
	}
	return hold, nil
}

func (h creditHolds) get(w http.ResponseWriter, r *http.Request) error {
	hold, err := h.find(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hold)
}

type releaseRequest struct {
	// Amount is the allowance above the credit limit the release grants
	// (default: the order held).
	Amount    *money.Amount `json:"amount,omitempty"`
	ExpiresOn deal.Date     `json:"expires_on,omitzero"`
	Reason    string        `json:"reason"`
}

// release is finance's manual release: the terms go to the hold, then the
// approval goes to its case, whose rules decide who may approve (never the
// requester or the deal's sellers, an admin only as one of its approvers, a
// delegate as the person they stand in for). A refused approval releases
// nothing: the hold uses only the terms of whoever approved.
func (h creditHolds) release(w http.ResponseWriter, r *http.Request) error {
	hold, err := h.find(r)
	if err != nil {
		return err
	}
	var req releaseRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if hold.Status != contract.CreditHeld {
		return problem(http.StatusConflict, probWrongStage, fmt.Sprintf("credit hold %s is %s", hold.ID, hold.Status))
	}
	me := actor(r)
	if !me.Has(identity.RoleFinance) {
		return problem(http.StatusForbidden, probForbidden, "credit holds are released by finance")
	}
	var fe []deal.FieldError
	amount := hold.Amount
	if req.Amount != nil {
		amount = *req.Amount
	}
	if amount <= 0 {
		fe = append(fe, deal.FieldError{Field: "amount", Message: "must be positive: the allowance above the credit limit"})
	}
	if req.ExpiresOn.IsZero() {
		fe = append(fe, deal.FieldError{Field: "expires_on", Message: "is required: the last day the release holds (YYYY-MM-DD)"})
	} else if !req.ExpiresOn.End(h.Location).After(h.Now()) {
		fe = append(fe, deal.FieldError{Field: "expires_on", Message: fmt.Sprintf("%s has already passed", req.ExpiresOn)})
	}
	if strings.TrimSpace(req.Reason) == "" {
		fe = append(fe, deal.FieldError{Field: "reason", Message: "is required: say why the order may go"})
	}
	if len(fe) > 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid release", fe...)
	}
	c, err := approvals{h.Deps}.findCase(r, hold.CaseID)
	if err != nil {
		return err
	}
	upd, err := h.Temporal.UpdateWorkflow(r.Context(), client.UpdateWorkflowOptions{
		WorkflowID: workflows.CreditHoldWorkflowID(hold.ID), UpdateName: contract.CreditReleaseUpdate,
		Args: []any{workflows.CreditReleaseInput{Actor: me, Amount: amount, ExpiresAt: req.ExpiresOn.End(h.Location).UTC(),
			Reason: strings.TrimSpace(req.Reason)}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = upd.Get(r.Context(), nil)
	}
	if err != nil {
		return fmt.Errorf("release terms for credit hold %s: %w", hold.ID, err)
	}
	approve := true
	now, err := approvals{h.Deps}.decideOn(r, c, decideRequest{Approve: &approve, Note: strings.TrimSpace(req.Reason)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"hold": hold.ID, "case": now})
}

// dealCreditHold is the order's credit hold as recorded, with its exposure
// breakdown at the last check (the deal's order carries the hold in short).
func (h deals) dealCreditHold(r *http.Request, d *deal.Deal) (*database.CreditHold, error) {
	if d.Order == nil || d.Order.Credit == nil {
		return nil, nil
	}
	hold, err := h.DB.CreditHoldGet(r.Context(), d.Order.Credit.ID)
	if errors.Is(err, database.ErrNotFound) {
		return nil, nil // its workflow is still recording it
	}
	if err != nil {
		return nil, err
	}
	return &hold, nil
}

// customerMayOrder refuses an order for a customer still pending approval
// (线索客户: quotes yes, orders no) or one whose onboarding was rejected.
func (h deals) customerMayOrder(r *http.Request, d deal.Deal) error {
	status, err := h.DB.CustomerStatus(r.Context(), d.Customer.Code)
	if errors.Is(err, database.ErrNotFound) {
		return nil // a deal from before customers had to be known
	}
	if err != nil {
		return err
	}
	switch status {
	case database.CustomerPending:
		return problem(http.StatusConflict, probCustomerPending, fmt.Sprintf(
			"customer %s is a lead customer (线索客户) awaiting approval: quotes are possible, orders only once the customer is approved and created in the ERP",
			d.Customer.Code), deal.FieldError{Field: "customer.code", Message: "is not yet an approved customer"})
	case database.CustomerRejected:
		return problem(http.StatusConflict, probCustomerPending, fmt.Sprintf(
			"customer %s was not approved as a customer; no order can be placed", d.Customer.Code),
			deal.FieldError{Field: "customer.code", Message: "was not approved"})
	}
	return nil
}
