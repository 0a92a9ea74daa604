package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/workflows"
)

// Changes of a customer's terms: asked for here by the sales side, approved
// by market management and finance, written into the ERP by the workflow
// (workflows/terms.go).

// paymentTermsKey is the shape of an ERP payment terms key (SAP: CHAR 4).
var paymentTermsKey = regexp.MustCompile(`^[A-Z0-9]{1,4}$`)

type termsChangeRequest struct {
	MinDiscountBP *int64        `json:"min_discount_bp,omitempty"`
	PaymentTerms  *string       `json:"payment_terms,omitempty"`
	CreditLimit   *money.Amount `json:"credit_limit,omitempty"`
	Reason        string        `json:"reason"`
}

// requestTermsChange records a change of terms and starts its review.
func (h customers) requestTermsChange(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	c, err := h.termsCustomer(r, code)
	if err != nil {
		return err
	}
	if status, err := h.DB.CustomerStatus(r.Context(), code); err != nil || status != database.CustomerActive {
		if err != nil {
			return err
		}
		// A lead customer's terms are its onboarding request's, decided by its case.
		return problem(http.StatusConflict, probCustomerPending, fmt.Sprintf(
			"customer %s is not yet approved and created in the ERP; its terms are decided with its new-customer request", code))
	}
	var req termsChangeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	t, err := h.startTermsChange(r, c, req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/customers/"+code+"/terms-changes")
	return writeJSON(w, http.StatusAccepted, t)
}

// termsCustomer is customer code as the caller sees it, when they may ask
// for a change of its terms (the API and the customer's page both ask here).
func (h customers) termsCustomer(r *http.Request, code string) (database.CustomerView, error) {
	me := actor(r)
	c, err := h.DB.CustomerGet(r.Context(), code, viewer(me))
	if err != nil {
		return c, customerProblem(err, code)
	}
	if c.Terms == nil || !mayRequestTerms(me) {
		return c, problem(http.StatusForbidden, probForbidden, "changes of terms are asked for by the customer's sales rep, their assistants and managers")
	}
	return c, nil
}

// mayRequestTerms: the sales side asks for changes of terms.
func mayRequestTerms(u identity.User) bool {
	return u.Has(identity.RoleSales, identity.RoleSalesAssistant, identity.RoleSalesManager)
}

// startTermsChange checks req against customer c's terms now, records it
// with its audit entry and starts its workflow.
func (h customers) startTermsChange(r *http.Request, c database.CustomerView, req termsChangeRequest) (database.TermsChange, error) {
	me, code := actor(r), c.Code
	before := activities.CustomerTerms{PaymentTerms: &c.Terms.PaymentTerms, MinDiscountBP: c.Terms.MinDiscountBP}
	if c.Terms.CreditLimit != nil {
		v := int64(*c.Terms.CreditLimit)
		before.CreditLimit = &v
	}
	after, err := checkTermsChange(req, before)
	if err != nil {
		return database.TermsChange{}, err
	}
	beforeJSON, _ := json.Marshal(before)
	afterJSON, _ := json.Marshal(after)
	// The request and its entry commit together; if its workflow then cannot
	// start, TermsChangeFinish records that it failed.
	var t database.TermsChange
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		t, err = h.DB.TermsChangeCreate(ctx, database.TermsChange{Customer: code, RequestedBy: me.ID,
			Reason: strings.TrimSpace(req.Reason), Before: beforeJSON, After: afterJSON, RequestedAt: h.Now().UTC()},
			func(id int64) string { return workflows.TermsChangeCaseID(code, id) })
		if err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "customer.terms_change.requested", "customer", code,
			map[string]any{"change": t.ID, "before": before, "after": after, "reason": t.Reason}), nil
	})
	if errors.Is(err, database.ErrTermsChangeOpen) {
		return t, problem(http.StatusConflict, probTermsChangeOpen,
			fmt.Sprintf("a change of terms for %s is already in review; wait for it or withdraw it", code))
	}
	if err != nil {
		return t, err
	}
	_, err = h.Temporal.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{ID: workflows.TermsChangeWorkflowID(t.ID),
		TaskQueue: workflows.TaskQueue}, workflows.TermsChangeWorkflow, workflows.TermsChangeInput{ID: t.ID, Customer: code,
		Name: c.Name, Requester: me, Reason: t.Reason, ERPETag: t.ERPETag, Before: before, After: after, RequestedAt: t.RequestedAt,
		SalesOwner: c.SalesOwner})
	if err != nil {
		// Without its workflow the request would block the customer's next one.
		_ = h.DB.TermsChangeFinish(r.Context(), t.ID, database.TermsFailed, "could not start: "+err.Error(), h.Audit,
			audit.Entry{At: h.Now(), Actor: me.ID, Action: "customer.terms_change.failed", ObjectType: "customer", ObjectID: code})
		return t, fmt.Errorf("start terms change %d: %w", t.ID, err)
	}
	return t, nil
}

// checkTermsChange validates a request against the terms now, returning the
// terms to write: only those that change.
func checkTermsChange(req termsChangeRequest, before activities.CustomerTerms) (activities.CustomerTerms, error) {
	var after activities.CustomerTerms
	var fe []deal.FieldError
	if strings.TrimSpace(req.Reason) == "" || utf8.RuneCountInString(req.Reason) > 2000 {
		fe = append(fe, deal.FieldError{Field: "reason", Message: "is required: say why, in at most 2000 characters"})
	}
	if v := req.MinDiscountBP; v != nil {
		switch {
		case *v < 1 || *v > 10000:
			fe = append(fe, deal.FieldError{Field: "min_discount_bp", Message: "want basis points of list price, 1 to 10000 (8500 is 85%)"})
		case before.MinDiscountBP == nil || *before.MinDiscountBP != *v:
			after.MinDiscountBP = v
		}
	}
	if v := req.PaymentTerms; v != nil {
		switch {
		case !paymentTermsKey.MatchString(*v):
			fe = append(fe, deal.FieldError{Field: "payment_terms", Message: "want the ERP's payment terms key: 1 to 4 capital letters or digits, e.g. NT60"})
		case before.PaymentTerms == nil || *before.PaymentTerms != *v:
			after.PaymentTerms = v
		}
	}
	if v := req.CreditLimit; v != nil {
		n := int64(*v)
		switch {
		case n < 0:
			fe = append(fe, deal.FieldError{Field: "credit_limit", Message: "must not be negative"})
		case before.CreditLimit == nil || *before.CreditLimit != n:
			after.CreditLimit = &n
		}
	}
	if len(fe) == 0 && after == (activities.CustomerTerms{}) {
		fe = append(fe, deal.FieldError{Field: "(body)", Message: "nothing changes: give min_discount_bp, payment_terms or credit_limit different from today's"})
	}
	if len(fe) > 0 {
		return after, problem(http.StatusUnprocessableEntity, probInvalid, "invalid change of terms", fe...)
	}
	return after, nil
}

// termsChanges lists a customer's changes of terms, for those who see its terms.
func (h customers) termsChanges(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	c, err := h.DB.CustomerGet(r.Context(), code, viewer(actor(r)))
	if err != nil {
		return customerProblem(err, code)
	}
	if c.Terms == nil {
		return problem(http.StatusForbidden, probForbidden, "you do not see this customer's terms")
	}
	list, err := h.DB.TermsChangeList(r.Context(), code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"terms_changes": list})
}
