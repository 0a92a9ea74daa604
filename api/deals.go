package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/workflows"
)

// deals serves /api/v1/deals: open, list, read and act on deals.
type deals struct{ Deps }

// dealView is a deal as the API shows it: its state and its history.
type dealView struct {
	deal.Deal
	History []deal.HistoryEntry `json:"history"`
	// CreditHold is the order's credit hold with its exposure breakdown.
	CreditHold *database.CreditHold `json:"credit_hold,omitempty"`
	// Collection is the deal's collection plan with its instalments, the
	// dunning steps taken and the promises to pay (GET .../collection-plan).
	Collection *planView `json:"collection"`
}

// dealSummary is a deal as a list shows it: who, where, since when; no stage data.
type dealSummary struct {
	ID             string        `json:"id"`
	Title          string        `json:"title"`
	Customer       deal.Customer `json:"customer"`
	Tendered       bool          `json:"tendered"`
	Currency       string        `json:"currency"`
	ExpectedAmount money.Amount  `json:"expected_amount"`
	Owners         deal.Owners   `json:"owners"`
	Stage          deal.Stage    `json:"stage"`
	StageEnteredAt time.Time     `json:"stage_entered_at"`
	Holder         string        `json:"holder"`
	LostReason     string        `json:"lost_reason,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
	ClosedAt       *time.Time    `json:"closed_at,omitempty"`
	Version        int64         `json:"version"`
}

func summarize(d deal.Deal) dealSummary {
	return dealSummary{ID: d.ID, Title: d.Title, Customer: d.Customer, Tendered: d.Tendered, Currency: d.Currency,
		ExpectedAmount: d.ExpectedAmount, Owners: d.Owners, Stage: d.Stage, StageEnteredAt: d.StageEnteredAt,
		Holder: d.Holder, LostReason: d.LostReason, CreatedAt: d.CreatedAt, ClosedAt: d.ClosedAt, Version: d.Version}
}

// create opens a deal and starts its workflow. It answers once the deal is
// recorded, so the Location it returns can be read straight away.
func (h deals) create(w http.ResponseWriter, r *http.Request) error {
	var o deal.Opening
	if err := decodeJSON(w, r, &o); err != nil {
		return err
	}
	d, opened, err := deal.Open("", o, actor(r), h.Now().UTC())
	if err != nil {
		return err
	}
	if err := h.checkPeople(r, deal.Opening{Owners: d.Owners}.People()); err != nil {
		return err
	}
	if err := h.checkOwners(r, d.Owners, map[string]string{"delivery": "owners.delivery", "payment": "owners.payment"}); err != nil {
		return err
	}
	if me := actor(r); d.Owners.Sales != me.ID {
		ok, err := h.DB.SalesOwnerInReach(r.Context(), me.ID, me.Team, d.Owners.Sales)
		if err != nil {
			return err
		}
		if !ok {
			return problem(http.StatusForbidden, probForbidden, "you may hand deals only to sales reps of your team",
				deal.FieldError{Field: "owners.sales", Message: fmt.Sprintf("%s is not a sales rep in your team", d.Owners.Sales)})
		}
	}
	// The customer must be one l2c knows and the opener may see whole: a
	// made-up code would escape the minimum-discount gate, and naming another
	// rep's customer would open it to them. Both answer alike.
	code := strings.TrimSpace(d.Customer.Code)
	if code == "" {
		return problem(http.StatusUnprocessableEntity, ProblemKind(deal.ErrInvalid), "invalid input",
			deal.FieldError{Field: "customer.code", Message: "is required: name a customer from the customer master"})
	}
	c, err := h.DB.CustomerForDeal(r.Context(), code, viewer(actor(r)))
	if errors.Is(err, database.ErrNotFound) {
		// The collision guard (撞单): a customer typed by its name that
		// another rep owns is refused with whose it is, masked. A code alone
		// still reveals nothing.
		if err := h.guard(r.Context(), actor(r), "open_deal", "", d.Customer.Name, ""); err != nil {
			return err
		}
		return problem(http.StatusUnprocessableEntity, ProblemKind(deal.ErrInvalid), "invalid input",
			deal.FieldError{Field: "customer.code", Message: fmt.Sprintf("no customer %q that you may open deals for", code)})
	}
	if err != nil {
		return err
	}
	d.Customer = deal.Customer{Code: c.Code, Name: c.Name} // the master's name, not the one typed
	opened.Reason = "opened for " + c.Name
	if d.ID, err = h.DB.DealNextID(r.Context()); err != nil {
		return err
	}
	start := h.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.DealWorkflowID(d.ID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.DealWorkflow, workflows.DealInput{Deal: d, Opened: opened})
	upd, err := h.Temporal.UpdateWithStartWorkflow(r.Context(), client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID:   workflows.DealWorkflowID(d.ID),
			UpdateName:   workflows.DealOpenedUpdate,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return fmt.Errorf("start deal %s: %w", d.ID, err)
	}
	if err := upd.Get(r.Context(), nil); err != nil {
		return fmt.Errorf("open deal %s: %w", d.ID, err)
	}
	// The audit entry was written with the opening (activities.Deals.SaveDeal).
	w.Header().Set("Location", "/api/v1/deals/"+d.ID)
	return h.render(w, r, http.StatusCreated, d.ID)
}

// list returns a page of deals, filtered by stage and by a person named on them.
func (h deals) list(w http.ResponseWriter, r *http.Request) error {
	f, bad := dealFilterOf(r, viewer(actor(r)), h.Now())
	if len(bad) > 0 {
		title := "bad filter"
		if len(bad) == 1 && bad[0].Field == "stage" {
			title = "unknown stage"
		}
		return problem(http.StatusBadRequest, probInvalidQuery, title, bad...)
	}
	pg, err := pageParams(r, 50, 200)
	if err != nil {
		return err
	}
	f.Limit, f.After = pg.Limit, pg.After
	list, err := h.DB.DealList(r.Context(), f)
	if err != nil {
		return err
	}
	rows := make([]dealSummary, len(list))
	for i, d := range list {
		rows[i] = summarize(d)
	}
	return writeJSON(w, http.StatusOK, listPage("deals", rows, f.Limit, func(d dealSummary) string { return d.ID }))
}

func (h deals) get(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, chi.URLParam(r, "id"))
}

// live returns the deal as its workflow holds it right now; it must agree with get.
func (h deals) live(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if _, err := h.find(r, id); err != nil {
		return err
	}
	v, err := h.Temporal.QueryWorkflow(r.Context(), workflows.DealWorkflowID(id), "", workflows.DealStatusQuery)
	if err != nil {
		return fmt.Errorf("query deal %s: %w", id, err)
	}
	var d deal.Deal
	if err := v.Get(&d); err != nil {
		return fmt.Errorf("decode deal %s status: %w", id, err)
	}
	if err := h.hideTerms(r, &d); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// act sends one action to the deal's workflow, which checks it against the
// deal's rules before anything changes, and answers with the deal as it now is.
func (h deals) act(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if err := h.actOn(w, r, id); err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, id)
}

// actOn reads the action in r's JSON body and takes it on deal id, with
// every check; the API and the deal page's forms both come here.
func (h deals) actOn(w http.ResponseWriter, r *http.Request, id string) error {
	a, err := decodeAction(w, r)
	if err != nil {
		return err
	}
	defer h.queue.lock("deal/" + id)()
	current, err := h.find(r, id)
	if err != nil {
		return err
	}
	if a.Name == "" {
		return problem(http.StatusBadRequest, probUnknownAction, "say which action to take",
			deal.FieldError{Field: "action", Message: "is required"})
	}
	// What the client sent, before l2c adds what it works out: a key reused
	// for anything else is refused rather than answered with another outcome.
	key := r.Header.Get("Idempotency-Key")
	replay := false
	if key != "" {
		if replay, err = h.claimKey(r, id, key, a); err != nil {
			return err
		}
	}
	if current.Stage.Terminal() {
		if replay {
			// The retry of the request that closed or lost the deal: its
			// outcome is the deal as it stands, which nothing can change now.
			return nil
		}
		return problem(http.StatusConflict, probWrongStage,
			fmt.Sprintf("deal %s is %s; no further action is possible", id, current.Stage))
	}
	if err := h.checkPeople(r, a.People()); err != nil {
		return err
	}
	if err := h.controls(r, current, &a); err != nil {
		return err
	}
	if err := h.send(r.Context(), id, key, actor(r), a); err != nil {
		return err
	}
	return h.awaitReviewCase(r, id)
}

// send takes action a, checked, on deal id's workflow as by. A client
// retrying with the same key (its Idempotency-Key) gets the first outcome
// instead of acting twice; the workflow saves and audits it once
// (activities.Deals.SaveDeal).
func (h deals) send(ctx context.Context, id, key string, by identity.User, a deal.Action) error {
	upd, err := h.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.DealWorkflowID(id),
		UpdateID:     key,
		UpdateName:   workflows.DealActUpdate,
		Args:         []any{workflows.ActInput{Actor: by, Action: a}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return fmt.Errorf("act on deal %s: %w", id, err)
	}
	if err := upd.Get(ctx, nil); err != nil {
		return fmt.Errorf("act on deal %s: %w", id, err)
	}
	return nil
}

// decodeAction reads an action request: its name, its reason and the action's
// payload, decoded strictly into the payload type its registry row names (the
// type is the allow-list), and turns it into the flat deal.Action the workflow
// carries. A field of another action, or one l2c works out itself, is refused
// by name. A request for no known action is decoded as the flat action, for
// the rules to refuse by name.
func decodeAction(w http.ResponseWriter, r *http.Request) (deal.Action, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return deal.Action{}, problem(http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("the request body is over %d bytes", maxBody))
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var head struct {
		Name deal.ActionName `json:"action"`
	}
	_ = json.Unmarshal(raw, &head) // a body that is no object is answered below, as any other
	spec, known := deal.LookupAction(head.Name)
	// The flat action holds every field of the older actions: what it does
	// not know, none of them takes ("unknown field").
	var flat deal.Action
	var into any = &flat
	if known && !spec.Flat() {
		into = &map[string]json.RawMessage{}
	}
	sent, err := decodeJSONFields(w, r, into)
	if err != nil || !known {
		return flat, err
	}
	if bad := deal.UnexpectedFields(spec.Name, sent); len(bad) > 0 {
		return deal.Action{}, problem(http.StatusBadRequest, probUnexpectedField, fmt.Sprintf("%s does not take these fields", spec.Name), bad...)
	}
	return spec.Decode(raw, func(b []byte, v any) error { return decodeStrict(bytes.NewReader(b), v) })
}

// awaitReviewCase waits, when the action opened a review, until its approval
// case is recorded (the case workflow writes it moments after it starts), so
// the approvers' inboxes show it by the time the requester hears back.
func (h deals) awaitReviewCase(r *http.Request, id string) error {
	d, err := h.DB.DealGet(r.Context(), id)
	if err != nil {
		return err
	}
	review, _ := d.PendingReview()
	if review == nil || review.CaseID == "" {
		return nil
	}
	caseID := review.CaseID
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		c, err := h.DB.CaseGet(r.Context(), caseID)
		if err == nil && (c.Status.Done() || (c.Status == approval.StatusInReview && len(c.Pending()) > 0)) {
			return nil
		}
		if err != nil && !errors.Is(err, database.ErrNotFound) {
			return err
		}
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil // still starting: the deal says which case, and the inbox will show it shortly
}

// find reads a deal's row, answering 404 when there is none.
func (h deals) find(r *http.Request, id string) (deal.Deal, error) {
	visible, err := h.DB.DealVisible(r.Context(), id, viewer(actor(r)))
	if err != nil {
		return deal.Deal{}, err
	}
	if !visible {
		// Another's deal answers exactly like a missing one: nothing leaks.
		return deal.Deal{}, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no deal %q", id))
	}
	d, err := h.DB.DealGet(r.Context(), id)
	if err != nil {
		if errors.Is(err, database.ErrNotFound) {
			return d, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no deal %q", id))
		}
		return d, err
	}
	return d, nil
}

// render writes the deal with its history, as recorded in PostgreSQL.
func (h deals) render(w http.ResponseWriter, r *http.Request, status int, id string) error {
	d, err := h.find(r, id)
	if err != nil {
		return err
	}
	history, err := h.DB.DealHistory(r.Context(), id)
	if err != nil {
		return err
	}
	if err := h.hideTerms(r, &d); err != nil {
		return err
	}
	hold, err := h.dealCreditHold(r, &d)
	if err != nil {
		return err
	}
	coll, err := collectionAPI(h).planOf(r, d)
	if err != nil {
		return err
	}
	return writeJSON(w, status, dealView{Deal: d, History: history, CreditHold: hold, Collection: &coll})
}

// hideTerms leaves out of d the customer's commercial terms its quotes
// recorded (the approved minimum discount) unless the viewer may see the
// customer's terms: seeing a deal (delivering it, say) is not seeing them.
func (h deals) hideTerms(r *http.Request, d *deal.Deal) error {
	if !slices.ContainsFunc(d.Quotes, func(q deal.Quote) bool { return q.MinDiscount != nil }) {
		return nil
	}
	ok, err := h.DB.CustomerTermsVisible(r.Context(), d.Customer.Code, viewer(actor(r)))
	if err != nil || ok {
		return err
	}
	for i := range d.Quotes {
		d.Quotes[i].MinDiscount = nil
	}
	return nil
}

// checkPeople makes sure every person a request names is a user, so a typo in
// an owner's ID is a clear 422 rather than a failed write later.
func (h deals) checkPeople(r *http.Request, people map[string]string) error {
	if len(people) == 0 {
		return nil
	}
	fieldsByID := map[string][]string{}
	var ids []string
	for field, id := range people {
		if _, seen := fieldsByID[id]; !seen {
			ids = append(ids, id)
		}
		fieldsByID[id] = append(fieldsByID[id], field)
	}
	missing, err := h.DB.UsersMissing(r.Context(), ids)
	if err != nil || len(missing) == 0 {
		return err
	}
	var fe []deal.FieldError
	for _, id := range missing {
		for _, f := range fieldsByID[id] {
			fe = append(fe, deal.FieldError{Field: f, Message: fmt.Sprintf("no user %q", id)})
		}
	}
	slices.SortFunc(fe, func(a, b deal.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return problem(http.StatusUnprocessableEntity, ProblemKind(deal.ErrInvalid), "invalid input", fe...)
}

// viewer says which deals (and customers) u may see: database.ViewerOf, which
// the reports use too, so every read path has the same predicate.
func viewer(u identity.User) database.Viewer { return database.ViewerOf(u) }

// controls puts on a what only l2c may say about it (never the client):
// the customer's approved minimum discount and payment terms from the
// customer master, the facts that route a contract, and the roles of the
// owners it names. It also refuses up front what the segregation of duties
// forbids, so deals whose workflow predates the controls are held to them too.
func (h deals) controls(r *http.Request, current deal.Deal, a *deal.Action) error {
	a.Resolve(h.Now(), h.Location)
	a.CustomerMinDiscount, a.CustomerPaymentTerms, a.OwnerRoles = nil, nil, nil
	a.NonstandardTerms, a.NonTemplate = false, false
	if err := deal.CheckSegregation(a.Name, &current, actor(r)); err != nil {
		return err
	}
	var terms database.DealCustomer
	if a.Name == deal.ActSubmitQuote || a.Name == deal.ActSubmitContract {
		var err error
		if terms, err = h.DB.CustomerTermsOf(r.Context(), current.Customer.Code); err != nil && !errors.Is(err, database.ErrNotFound) {
			return err
		}
		// A deal from before customers had to be known has none: no terms
		// approved, so every discount and every term needs review.
	}
	switch a.Name {
	case deal.ActSubmitQuote:
		min := deal.Hundred // no minimum recorded: none was approved
		if terms.MinDiscountBP != nil {
			min = deal.Percent(*terms.MinDiscountBP)
		}
		a.CustomerMinDiscount = &min
	case deal.ActSubmitContract:
		pt := terms.PaymentTerms
		a.CustomerPaymentTerms = &pt
		a.NonstandardTerms, a.NonTemplate = deal.ContractFacts(a.PaymentTerms, pt, a.TemplateID)
	case deal.ActAssignOwners:
		next := current.Owners
		check := map[string]string{}
		var ids []string
		if a.DeliveryOwner != "" {
			next.Delivery, check["delivery"] = a.DeliveryOwner, "delivery_owner"
			ids = append(ids, a.DeliveryOwner)
		}
		if a.PaymentOwner != "" {
			next.Payment, check["payment"] = a.PaymentOwner, "payment_owner"
			ids = append(ids, a.PaymentOwner)
		}
		if len(ids) == 0 {
			return nil // the rules say what is missing
		}
		roles, err := h.DB.UserRoles(r.Context(), ids)
		if err != nil {
			return err
		}
		if err := deal.SegregationOfDuties(next, roles, check); err != nil {
			return err
		}
		a.OwnerRoles = roles
	case deal.ActPlaceOrder:
		if err := h.customerMayOrder(r, current); err != nil {
			return err
		}
		a.ERPOrderNo = strings.TrimSpace(a.ERPOrderNo)
		if a.ERPOrderNo != "" && current.Stage == deal.StageOrder {
			return h.checkERPOrder(r, current, a.ERPOrderNo)
		}
	}
	return nil
}

// erpOrderShape is what an ERP sales order number looks like.
var erpOrderShape = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

// checkERPOrder makes sure an order number typed by a person names an order
// the ERP holds for this deal's customer, and no other deal's: the ERP's
// invoices and payments for that order are applied to the deal from then on.
func (h deals) checkERPOrder(r *http.Request, d deal.Deal, no string) error {
	bad := func(msg string, args ...any) error {
		return problem(http.StatusUnprocessableEntity, ProblemKind(deal.ErrInvalid), "invalid input",
			deal.FieldError{Field: "erp_order_no", Message: fmt.Sprintf(msg, args...)})
	}
	if !erpOrderShape.MatchString(no) {
		return bad("%q is not an ERP order number", no)
	}
	if h.Orders == nil {
		return problem(http.StatusServiceUnavailable, probERPUnavailable,
			"no ERP that can look up sales orders is configured, so an order number cannot be checked; leave erp_order_no out",
			deal.FieldError{Field: "erp_order_no", Message: "cannot be checked against the ERP"})
	}
	o, err := h.Orders.ReadSalesOrder(r.Context(), no)
	switch {
	case errors.Is(err, connectors.ErrNotFound):
		return bad("the ERP has no sales order %s", no)
	case err != nil:
		h.Log.WarnContext(r.Context(), "sales order check failed", "order", no, "deal", d.ID, "err", err)
		p := problem(http.StatusServiceUnavailable, probERPUnavailable,
			"the ERP could not be asked about this sales order; nothing was changed, try again later",
			deal.FieldError{Field: "erp_order_no", Message: "could not be checked against the ERP"})
		p.retryAfter = 30 * time.Second
		return p
	case o.Customer != d.Customer.Code:
		return bad("sales order %s is not an order of this deal's customer", no)
	}
	other, err := h.DB.DealWithERPOrder(r.Context(), no, d.ID)
	if err != nil {
		return err
	}
	if other != "" {
		return bad("sales order %s is already another deal's", no)
	}
	return nil
}

// checkOwners applies the segregation of duties to the owners of a new deal.
func (h deals) checkOwners(r *http.Request, o deal.Owners, check map[string]string) error {
	var ids []string
	for _, id := range []string{o.Delivery, o.Payment} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	roles, err := h.DB.UserRoles(r.Context(), ids)
	if err != nil {
		return err
	}
	return deal.SegregationOfDuties(o, roles, check)
}

// claimKey ties an Idempotency-Key to the request first sent with it (by whom,
// and what): the same request again goes on to get the first outcome (replay
// is true), any other is refused.
func (h deals) claimKey(r *http.Request, id, key string, a deal.Action) (replay bool, err error) {
	if len(key) > 200 {
		return false, problem(http.StatusBadRequest, probInvalidHeader, "Idempotency-Key is too long",
			deal.FieldError{Field: "Idempotency-Key", Message: "want at most 200 characters"})
	}
	body, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("digest action: %w", err)
	}
	digest := sha256.Sum256(body)
	same, replay, err := h.DB.DealIdempotencyClaim(r.Context(), id, key, actor(r).ID, digest[:])
	if err != nil {
		return false, err
	}
	if !same {
		return false, problem(http.StatusUnprocessableEntity, probIdempotencyKeyReused,
			"this Idempotency-Key was used for a different request; use a new key for a new request",
			deal.FieldError{Field: "Idempotency-Key", Message: fmt.Sprintf("%q was sent before with another action or body", key)})
	}
	return replay, nil
}
