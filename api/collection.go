package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/workflows"
)

// Cash collection (internal/collection): a deal's plan and instalments with
// their dunning, promises to pay and changes of a signed plan; the ageing
// and the forecast; the company's ladders and templates.
type collectionAPI struct{ Deps }

// instalmentView is an instalment with its due rule, where it stands, what
// it costs to be late and the promises made on it.
type instalmentView struct {
	database.Instalment
	Due      collection.DueRule `json:"due_rule"`
	Status   string             `json:"status"`   // scheduled (no due date yet), due, overdue, settled
	Interest money.Amount       `json:"interest"` // accrued to today, at the plan's yearly rate
	Promises []database.Promise `json:"promises"`
}

// planView is everything about a deal's collection.
type planView struct {
	Plan        *database.CollectionPlan `json:"plan"`
	Instalments []instalmentView         `json:"instalments"`
	// Proposal is the company template for the customer's terms, while the
	// deal has no plan.
	Proposal   *database.CollectionTemplate `json:"proposal,omitempty"`
	Dunning    []database.DunningEvent      `json:"dunning"`
	Promises   []database.Promise           `json:"promises"`
	Changes    []database.PlanChange        `json:"changes"`
	CreditHold *collection.Date             `json:"credit_hold_since,omitempty"`
}

func (h collectionAPI) today() collection.Date {
	return calendar.DateOf(h.Now().In(h.Location))
}

// plan shows a deal's plan, its instalments (interest to today), the dunning
// trail, promises and plan changes; with no plan, the proposed template.
func (h collectionAPI) plan(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	d, err := deals(h).find(r, id)
	if err != nil {
		return err
	}
	v, err := h.planOf(r, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// planOf is the collection of a deal the caller may see (the caller found
// it): the plan endpoint's answer, on the deal's own too.
func (h collectionAPI) planOf(r *http.Request, d deal.Deal) (planView, error) {
	id := d.ID
	v := planView{Instalments: []instalmentView{}}
	var err error
	if v.Dunning, v.Promises, err = h.DB.CollectionTrail(r.Context(), id); err != nil {
		return v, err
	}
	p, err := h.DB.CollectionPlanGet(r.Context(), id)
	switch {
	case errors.Is(err, database.ErrNotFound):
		if v.Proposal, err = h.proposal(r, d); err != nil {
			return v, err
		}
	case err != nil:
		return v, err
	default:
		v.Plan = &p
		today := h.today()
		for _, in := range p.Instalments {
			iv := instalmentView{Instalment: in, Status: "scheduled", Promises: []database.Promise{}}
			if in.No >= 1 && in.No <= len(p.Plan.Instalments) {
				iv.Due = p.Plan.Instalments[in.No-1].Due
			}
			switch {
			case in.SettledOn != nil:
				iv.Status = "settled"
			case in.DueOn != nil && in.DueOn.Before(today):
				iv.Status = "overdue"
			case in.DueOn != nil:
				iv.Status = "due"
			}
			if in.DueOn != nil {
				iv.Interest = collection.Interest(in.Amount, *in.DueOn, in.Applied, today, p.Plan.InterestBP)
			}
			for _, pr := range v.Promises {
				if pr.No == in.No {
					iv.Promises = append(iv.Promises, pr)
				}
			}
			v.Instalments = append(v.Instalments, iv)
		}
		p.Instalments = nil
	}
	if v.Changes, err = h.DB.PlanChangeList(r.Context(), id); err != nil {
		return v, err
	}
	if held, since, err := h.DB.CreditHeld(r.Context(), d.Customer.Code); err != nil {
		return v, err
	} else if held && d.Customer.Code != "" {
		v.CreditHold = &since
	}
	v.Dunning = orEmpty(v.Dunning)
	v.Promises = orEmpty(v.Promises)
	return v, nil
}

// proposal is the template for the deal's customer's payment terms, if the
// caller may see those terms; the company default otherwise.
func (h collectionAPI) proposal(r *http.Request, d deal.Deal) (*database.CollectionTemplate, error) {
	terms := ""
	if d.Customer.Code != "" {
		c, err := h.DB.CustomerGet(r.Context(), d.Customer.Code, viewer(actor(r)))
		if err == nil && c.Terms != nil {
			terms = c.Terms.PaymentTerms
		}
	}
	t, err := h.DB.CollectionTemplateFor(r.Context(), terms)
	if errors.Is(err, database.ErrNotFound) {
		return nil, nil
	}
	return &t, err
}

type planChangeRequest struct {
	Plan   collection.Plan `json:"plan"`
	Reason string          `json:"reason"`
}

// requestChange asks for a change of a signed plan: a plan_change approval
// case (finance), started here; approved, the new plan replaces the old.
func (h collectionAPI) requestChange(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	d, err := deals(h).find(r, id)
	if err != nil {
		return err
	}
	me := actor(r)
	if me.ID != d.Owners.Sales && !me.Has(identity.RoleSalesAssistant, identity.RoleSalesManager) {
		return problem(http.StatusForbidden, probForbidden, fmt.Sprintf(
			"a change of the plan is asked for by the sales owner (%s), a sales assistant or a sales manager", d.Owners.Sales))
	}
	var req planChangeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	current, err := h.DB.CollectionPlanGet(r.Context(), id)
	if errors.Is(err, database.ErrNotFound) || (err == nil && current.Status != database.PlanSigned) {
		return problem(http.StatusConflict, probWrongStage,
			"the deal has no signed plan: before signing, set it with the action set_collection_plan")
	}
	if err != nil {
		return err
	}
	var fe []deal.FieldError
	if strings.TrimSpace(req.Reason) == "" || utf8.RuneCountInString(req.Reason) > 2000 {
		fe = append(fe, deal.FieldError{Field: "reason", Message: "is required: say why, in at most 2000 characters"})
	}
	if err := req.Plan.Validate(current.ContractAmount); err != nil {
		var de *deal.Error
		if !errors.As(err, &de) {
			return err
		}
		for _, f := range de.Fields {
			fe = append(fe, deal.FieldError{Field: "plan." + f.Field, Message: f.Message})
		}
	}
	if len(fe) > 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid change of the plan", fe...)
	}
	var c database.PlanChange
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		c, err = h.DB.PlanChangeCreate(ctx, database.PlanChange{DealID: id, RequestedBy: me.ID, Reason: strings.TrimSpace(req.Reason),
			After: req.Plan, RequestedAt: h.Now().UTC()}, func(n int64) string { return workflows.PlanChangeCaseID(id, n) })
		if err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "collection.plan_change.requested", "deal", id,
			map[string]any{"change": c.ID, "before": c.Before, "after": c.After, "reason": c.Reason}), nil
	})
	if errors.Is(err, database.ErrPlanChangeOpen) {
		return problem(http.StatusConflict, probPlanChangeOpen, "a change of this plan is already in review; wait for its decision")
	}
	if err != nil {
		return err
	}
	sellers := []string{d.Owners.Sales}
	if d.Owners.Discoverer != "" && d.Owners.Discoverer != d.Owners.Sales {
		sellers = append(sellers, d.Owners.Discoverer)
	}
	_, err = h.Temporal.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{ID: workflows.PlanChangeWorkflowID(c.ID),
		TaskQueue: workflows.TaskQueue}, workflows.PlanChangeWorkflow, workflows.PlanChangeInput{ID: c.ID, DealID: id,
		Title: d.Title + " for " + d.Customer.Name, Requester: me, Reason: c.Reason, Currency: d.Currency,
		Contract: current.ContractAmount, Before: c.Before, After: c.After, RequestedAt: c.RequestedAt, Sellers: sellers})
	if err != nil {
		// Without its workflow the request would hold the deal's one open change.
		_ = h.DB.PlanChangeFail(r.Context(), c.ID, "could not start: "+err.Error())
		return fmt.Errorf("start plan change %d: %w", c.ID, err)
	}
	w.Header().Set("Location", "/api/v1/deals/"+id+"/collection-plan")
	return writeJSON(w, http.StatusAccepted, c)
}

type promiseRequest struct {
	PromisedOn collection.Date `json:"promised_on"`
	Amount     *money.Amount   `json:"amount"`
	Note       string          `json:"note"`
}

// promise records a customer's promise to pay an open instalment: by the
// deal's payment owner, a collector or finance, never by whoever sells it.
// The next tick keeps or breaks it; broken, the ladder climbs at once.
func (h collectionAPI) promise(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	d, err := deals(h).find(r, id)
	if err != nil {
		return err
	}
	if err := mayPromise(actor(r), d); err != nil {
		return err
	}
	no, err := strconv.Atoi(chi.URLParam(r, "no"))
	if err != nil || no < 1 {
		no = 0
	}
	var req promiseRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	made, err := h.recordPromise(r, id, no, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, made)
}

// mayPromise: a promise is recorded by the deal's payment owner, a
// collector or finance, never by whoever sells the deal.
func mayPromise(me identity.User, d deal.Deal) error {
	switch {
	case me.ID == d.Owners.Sales || me.ID == d.Owners.Discoverer:
		return problem(http.StatusForbidden, probForbidden, "whoever sells the deal does not collect it: the payment owner records promises")
	case me.ID != d.Owners.Payment && !me.Has(identity.RoleCollector, identity.RoleFinance):
		return problem(http.StatusForbidden, probForbidden, fmt.Sprintf(
			"only the payment owner (%s), a collector or finance may record a promise to pay", d.Owners.Payment))
	}
	return nil
}

// recordPromise checks and records a promise to pay instalment no of deal
// id (0: not a number): the API's and the deal page's form's one rule.
func (h collectionAPI) recordPromise(r *http.Request, id string, no int, req promiseRequest) (database.Promise, error) {
	var made database.Promise
	d, err := deals(h).find(r, id)
	if err != nil {
		return made, err
	}
	me := actor(r)
	if err := mayPromise(me, d); err != nil {
		return made, err
	}
	if no < 1 {
		return made, problem(http.StatusNotFound, probNotFound, "no such instalment")
	}
	p, err := h.DB.CollectionPlanGet(r.Context(), id)
	if errors.Is(err, database.ErrNotFound) {
		return made, problem(http.StatusConflict, probWrongStage, "the deal has no collection plan to promise against")
	}
	if err != nil {
		return made, err
	}
	i := slices.IndexFunc(p.Instalments, func(in database.Instalment) bool { return in.No == no })
	if i < 0 || p.Instalments[i].SettledOn != nil {
		return made, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("deal %s has no open instalment %d", id, no))
	}
	in, today := p.Instalments[i], h.today()
	var fe []deal.FieldError
	switch {
	case req.PromisedOn.IsZero():
		fe = append(fe, deal.FieldError{Field: "promised_on", Message: "is required: the day the customer says they will pay"})
	case req.PromisedOn.Before(today):
		fe = append(fe, deal.FieldError{Field: "promised_on", Message: fmt.Sprintf("%s has passed", req.PromisedOn)})
	case today.AddDays(366).Before(req.PromisedOn):
		fe = append(fe, deal.FieldError{Field: "promised_on", Message: "is more than a year away"})
	}
	switch {
	case req.Amount == nil || *req.Amount <= 0:
		fe = append(fe, deal.FieldError{Field: "amount", Message: "is required and must be positive"})
	case *req.Amount > in.Open:
		fe = append(fe, deal.FieldError{Field: "amount", Message: fmt.Sprintf("%s is more than the %s still open", req.Amount, in.Open)})
	}
	if utf8.RuneCountInString(req.Note) > 2000 {
		fe = append(fe, deal.FieldError{Field: "note", Message: "at most 2000 characters"})
	}
	if len(fe) > 0 {
		return made, problem(http.StatusUnprocessableEntity, probInvalid, "invalid promise to pay", fe...)
	}
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		made, err = h.DB.PromiseAdd(ctx, database.Promise{DealID: id, No: no, PromisedOn: req.PromisedOn, Amount: *req.Amount,
			Note: strings.TrimSpace(req.Note), RecordedBy: me.ID})
		if err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "collection.promise", "deal", id, made), nil
	})
	if err != nil {
		return made, err
	}
	return made, nil
}

// ageing is the receivables ageing of everything the caller may see,
// narrowed by office, owner and customer.
func (h collectionAPI) ageing(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	by := q.Get("by")
	if by == "" {
		by = "customer"
	}
	if !slices.Contains(database.AgeingBy, by) {
		return problem(http.StatusBadRequest, probInvalidQuery, "bad grouping",
			deal.FieldError{Field: "by", Message: "want customer, owner or office"})
	}
	asOf, err := dayParam(r, "as_of", h.today())
	if err != nil {
		return err
	}
	page, err := pageParams(r, 100, 500)
	if err != nil {
		return err
	}
	a, err := h.DB.ReceivablesAgeingOf(r.Context(), viewer(actor(r)), by, asOf, receivableFilter(r), page.After, page.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// forecast is the weekly collection forecast of the caller's slice.
func (h collectionAPI) forecast(w http.ResponseWriter, r *http.Request) error {
	weeks := 13
	if s := r.URL.Query().Get("weeks"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 104 {
			return problem(http.StatusBadRequest, probInvalidQuery, "bad horizon",
				deal.FieldError{Field: "weeks", Message: "want a whole number of weeks from 1 to 104"})
		}
		weeks = n
	}
	f, err := h.DB.CollectionForecast(r.Context(), viewer(actor(r)), h.today(), weeks)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (h collectionAPI) templates(w http.ResponseWriter, r *http.Request) error {
	t, err := h.DB.CollectionTemplates(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"templates": t})
}

func (h collectionAPI) ladders(w http.ResponseWriter, r *http.Request) error {
	l, err := h.DB.DunningLadders(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ladders": l})
}

// saveLadder replaces the ladder of a value class ("default" for the one
// every class without its own follows), checked whole, audited.
func (h collectionAPI) saveLadder(w http.ResponseWriter, r *http.Request) error {
	class := chi.URLParam(r, "class")
	if class == "default" {
		class = ""
	}
	var l collection.Ladder
	if err := decodeJSON(w, r, &l); err != nil {
		return err
	}
	l.ValueClass = class
	if err := l.Check(); err != nil {
		return err
	}
	err := h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		if err := h.DB.DunningLadderSave(ctx, l, actor(r).ID); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "collection.ladder.save", "dunning_ladder", class, l), nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

// runDunning runs the ladder now (as the hourly tick does) and answers
// with what it did.
func (h collectionAPI) runDunning(w http.ResponseWriter, r *http.Request) error {
	at := h.Now().UTC()
	id := workflows.DunningWorkflowID("manual-" + at.Format("20060102T150405.000000000Z"))
	run, err := h.Temporal.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.DunningWorkflow, workflows.DunningInput{At: at})
	if err != nil {
		return fmt.Errorf("start dunning: %w", err)
	}
	res := struct {
		Run string `json:"run"`
		database.TickResult
	}{Run: id}
	if err := run.Get(r.Context(), &res.TickResult); err != nil {
		return fmt.Errorf("dunning: %w", err)
	}
	return writeJSON(w, http.StatusOK, res)
}

// dayParam reads a calendar day from the query (def when absent).
func dayParam(r *http.Request, name string, def collection.Date) (collection.Date, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	d, err := calendar.ParseDate(s)
	if err != nil {
		return d, problem(http.StatusBadRequest, probInvalidQuery, "bad day", deal.FieldError{Field: name, Message: err.Error()})
	}
	return d, nil
}
