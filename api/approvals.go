package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/workflows"
)

// approvals serves /api/v1/approvals: inboxes, case chains, decisions, the
// stuck report and stage times; and /api/v1/approval-rules for admins.
type approvals struct{ Deps }

// overseers may look across everyone's reviews.
var overseers = []identity.Role{identity.RoleSalesManager, identity.RoleMarketManager, identity.RoleFinance, identity.RoleAdmin}

// inbox lists the steps waiting on the caller, including those of colleagues
// who are away and delegated to them, oldest first.
func (h approvals) inbox(w http.ResponseWriter, r *http.Request) error {
	me := actor(r)
	away, err := h.DB.DelegatorsOf(r.Context(), me.ID, h.Now())
	if err != nil {
		return err
	}
	limit, err := limitParam(r, 100, 500)
	if err != nil {
		return err
	}
	steps, err := h.DB.Inbox(r.Context(), me.ID, away, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"steps": h.withWaiting(steps)})
}

// openStepView is an open step with how long it has waited and how overdue it is.
type openStepView struct {
	database.OpenStep
	WaitingHours float64 `json:"waiting_hours"`
	OverdueHours float64 `json:"overdue_hours"`
}

func (h approvals) withWaiting(steps []database.OpenStep) []openStepView {
	now := h.Now()
	out := make([]openStepView, len(steps))
	for i, s := range steps {
		out[i] = openStepView{OpenStep: s, WaitingHours: hours(now.Sub(s.EnteredAt))}
		if s.DueAt != nil && now.After(*s.DueAt) {
			out[i].OverdueHours = hours(now.Sub(*s.DueAt))
		}
	}
	return out
}

func hours(d time.Duration) float64 { return float64(d.Round(time.Minute)) / float64(time.Hour) }

// stuck is the report over all open reviews, most overdue first.
func (h approvals) stuck(w http.ResponseWriter, r *http.Request) error {
	f, err := h.stuckFilter(r)
	if err != nil {
		return err
	}
	steps, err := h.DB.Stuck(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"steps": h.withWaiting(steps)})
}

// stuckFilter reads the stuck report's query, for overseers only; the API
// and the stuck board both come here.
func (h approvals) stuckFilter(r *http.Request) (database.StuckFilter, error) {
	if !actor(r).Has(overseers...) {
		return database.StuckFilter{}, problem(http.StatusForbidden, probForbidden, "the stuck report is for managers, finance and admins")
	}
	q := r.URL.Query()
	f := database.StuckFilter{Kind: q.Get("kind"), Team: q.Get("team"), Requester: q.Get("owner"),
		Holder: q.Get("holder"), Now: h.Now(), Viewer: viewer(actor(r))}
	if f.Kind != "" && !approval.Kind(f.Kind).Valid() {
		return f, problem(http.StatusBadRequest, probInvalidQuery, "unknown kind of review",
			deal.FieldError{Field: "kind", Message: fmt.Sprintf("%q: want one of %v", f.Kind, approval.Kinds)})
	}
	if s := q.Get("min_age_hours"); s != "" {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 0 {
			return f, problem(http.StatusBadRequest, probInvalidQuery, "bad age",
				deal.FieldError{Field: "min_age_hours", Message: "want a number of hours, 0 or more"})
		}
		f.MinAge = time.Duration(n * float64(time.Hour))
	}
	var err error
	f.Limit, err = limitParam(r, 100, 1000)
	return f, err
}

// stageTimes says where reviews lose their days: average and P90 per stage.
func (h approvals) stageTimes(w http.ResponseWriter, r *http.Request) error {
	if !actor(r).Has(overseers...) {
		return problem(http.StatusForbidden, probForbidden, "stage times are for managers, finance and admins")
	}
	kind := r.URL.Query().Get("kind")
	if kind != "" && !approval.Kind(kind).Valid() {
		return problem(http.StatusBadRequest, probInvalidQuery, "unknown kind of review",
			deal.FieldError{Field: "kind", Message: fmt.Sprintf("%q: want one of %v", kind, approval.Kinds)})
	}
	times, err := h.DB.StageTimes(r.Context(), kind, viewer(actor(r)), h.Now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"stages": times})
}

// caseView is a case's chain: each step with who holds it and for how long.
type caseView struct {
	approval.Case
	Holders []string           `json:"holders"`
	Waiting map[string]float64 `json:"waiting_hours"` // by step ID: open steps to now, decided ones to their decision
}

func (h approvals) get(w http.ResponseWriter, r *http.Request) error {
	c, err := h.find(r)
	if err != nil {
		return err
	}
	now := h.Now()
	v := caseView{Case: c, Holders: c.Holders(), Waiting: map[string]float64{}}
	for _, s := range c.Steps {
		end := now
		if s.DecidedAt != nil {
			end = *s.DecidedAt
		}
		v.Waiting[s.ID] = hours(end.Sub(s.EnteredAt))
	}
	v.Holders = orEmpty(v.Holders)
	return writeJSON(w, http.StatusOK, v)
}

// live returns the case as its workflow holds it; it must agree with get.
func (h approvals) live(w http.ResponseWriter, r *http.Request) error {
	c, err := h.find(r)
	if err != nil {
		return err
	}
	v, err := h.Temporal.QueryWorkflow(r.Context(), workflows.ApprovalWorkflowID(c.ID), "", workflows.ApprovalStatusQuery)
	if err != nil {
		return fmt.Errorf("query case %s: %w", c.ID, err)
	}
	var live approval.Case
	if err := v.Get(&live); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, live)
}

// find reads the case named in the path, if the caller may see it: by the
// same rule as deals and customers (database.CaseVisible): the requester,
// anyone who holds or held a step (or is a holder's delegate now), and whoever
// may see the case's deal or customer.
func (h approvals) find(r *http.Request) (approval.Case, error) {
	return h.findCase(r, chi.URLParam(r, "id"))
}

func (h approvals) findCase(r *http.Request, id string) (approval.Case, error) {
	c, err := h.DB.CaseGet(r.Context(), id)
	if errors.Is(err, database.ErrNotFound) {
		return c, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no review case %q", id))
	}
	if err != nil {
		return c, err
	}
	visible, err := h.DB.CaseVisible(r.Context(), id, viewer(actor(r)), h.Now())
	if err != nil {
		return c, err
	}
	if !visible {
		// Not a leak: someone not involved learns nothing, not even that it exists.
		return c, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no review case %q", id))
	}
	return c, nil
}

type decideRequest struct {
	Approve *bool  `json:"approve"`
	Note    string `json:"note,omitempty"`
	// OnBehalfOf: decide a step held by a colleague who is away and delegated to you.
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
}

// caseBody is the case named in the path, if the caller may see it (find),
// and then the request's JSON body: who may not see the case learns nothing,
// not even what is wrong with the request.
func caseBody[T any](h approvals, w http.ResponseWriter, r *http.Request) (approval.Case, T, error) {
	var body T
	c, err := h.find(r)
	if err != nil {
		return c, body, err
	}
	return c, body, decodeJSON(w, r, &body)
}

func (h approvals) decide(w http.ResponseWriter, r *http.Request) error {
	c, req, err := caseBody[decideRequest](h, w, r)
	if err != nil {
		return err
	}
	now, err := h.decideOn(r, c, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, now)
}

// decideOn decides the caller's step on case c; the API and the inbox page both come here.
func (h approvals) decideOn(r *http.Request, c approval.Case, req decideRequest) (approval.Case, error) {
	if req.Approve == nil {
		return c, problem(http.StatusUnprocessableEntity, probInvalid, "say whether you approve",
			deal.FieldError{Field: "approve", Message: "is required: true or false"})
	}
	if req.OnBehalfOf != "" {
		away, err := h.DB.DelegatorsOf(r.Context(), actor(r).ID, h.Now())
		if err != nil {
			return c, err
		}
		if !slices.Contains(away, req.OnBehalfOf) {
			return c, problem(http.StatusForbidden, probForbidden, fmt.Sprintf("%s has not delegated to you", req.OnBehalfOf))
		}
	}
	return h.send(r, c, workflows.ApprovalDecideUpdate,
		workflows.DecideInput{Actor: actor(r), OnBehalfOf: req.OnBehalfOf, Approve: *req.Approve, Note: req.Note})
}

type delegateRequest struct {
	To   string `json:"to"`
	Note string `json:"note,omitempty"`
}

func (h approvals) delegate(w http.ResponseWriter, r *http.Request) error {
	c, req, err := caseBody[delegateRequest](h, w, r)
	if err != nil {
		return err
	}
	now, err := h.delegateOn(r, c, req.To, req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, now)
}

// delegateOn hands the caller's open step of case c to the user to, as the
// API's delegate and the case page's form do: to must be a user, and the
// workflow's validator says whether the caller holds a step to hand over.
func (h approvals) delegateOn(r *http.Request, c approval.Case, to, note string) (approval.Case, error) {
	if to != "" {
		missing, err := h.DB.UsersMissing(r.Context(), []string{to})
		if err != nil {
			return c, err
		}
		if len(missing) > 0 {
			return c, problem(http.StatusUnprocessableEntity, probInvalid, "invalid input",
				deal.FieldError{Field: "to", Message: fmt.Sprintf("no user %q", to)})
		}
	}
	return h.send(r, c, workflows.ApprovalDelegateUpdate, workflows.DelegateInput{Actor: actor(r), To: to, Note: note})
}

type commentRequest struct {
	StepID string `json:"step_id,omitempty"`
	Text   string `json:"text"`
}

func (h approvals) comment(w http.ResponseWriter, r *http.Request) error {
	c, req, err := caseBody[commentRequest](h, w, r)
	if err != nil {
		return err
	}
	return h.update(w, r, c, workflows.ApprovalCommentUpdate, workflows.CommentInput{Actor: actor(r), StepID: req.StepID, Text: req.Text})
}

type withdrawRequest struct {
	Note string `json:"note,omitempty"`
}

func (h approvals) withdraw(w http.ResponseWriter, r *http.Request) error {
	c, req, err := caseBody[withdrawRequest](h, w, r)
	if err != nil {
		return err
	}
	return h.update(w, r, c, workflows.ApprovalWithdrawUpdate, workflows.WithdrawInput{Actor: actor(r), Note: req.Note})
}

// update sends one person's request to the case's workflow, which checks it
// before anything changes, and answers with the case as it now stands.
func (h approvals) update(w http.ResponseWriter, r *http.Request, c approval.Case, name string, arg any) error {
	now, err := h.send(r, c, name, arg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, now)
}

func (h approvals) send(r *http.Request, c approval.Case, name string, arg any) (approval.Case, error) {
	defer h.queue.lock("case/" + c.ID)()
	if c.Status.Done() {
		return c, problem(http.StatusConflict, probWrongStage, fmt.Sprintf("case %s is %s", c.ID, c.Status))
	}
	upd, err := h.Temporal.UpdateWorkflow(r.Context(), client.UpdateWorkflowOptions{
		WorkflowID:   workflows.ApprovalWorkflowID(c.ID),
		UpdateID:     r.Header.Get("Idempotency-Key"),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return c, fmt.Errorf("%s on case %s: %w", name, c.ID, err)
	}
	var now approval.Case
	if err := upd.Get(r.Context(), &now); err != nil {
		return c, fmt.Errorf("%s on case %s: %w", name, c.ID, err)
	}
	// The workflow audited the act in the transaction that saved it (SaveCase).
	return now, nil
}

// preview shows, before anything is submitted, the stages a case with these
// facts would go through and who would approve each, as things stand now.
func (h approvals) preview(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Kind  approval.Kind  `json:"kind"`
		Facts approval.Facts `json:"facts"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if !req.Kind.Valid() {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input",
			deal.FieldError{Field: "kind", Message: fmt.Sprintf("%q: want one of %v", req.Kind, approval.Kinds)})
	}
	a := activities.Approvals{DB: h.DB, Log: h.Log}
	route, err := a.ChooseRoute(r.Context(), activities.ChooseRouteInput{Kind: req.Kind, Facts: req.Facts})
	if err != nil {
		return err
	}
	type stageView struct {
		approval.Stage
		Assignees []approval.Assignee `json:"assignees"`
	}
	out := make([]stageView, len(route.Route))
	for i, st := range route.Route {
		who, err := a.ResolveApprovers(r.Context(), activities.ResolveInput{Approvers: st.Approvers, Requester: actor(r).ID, At: h.Now()})
		if err != nil {
			who = nil // nobody yet: shown as an empty list, the case would go to the requester's manager or fail
		}
		out[i] = stageView{Stage: st, Assignees: who}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"kind": req.Kind, "rules_version": route.RulesVersion, "stages": out})
}

func (h approvals) rules(w http.ResponseWriter, r *http.Request) error {
	kind := approval.Kind(chi.URLParam(r, "kind"))
	if !kind.Valid() {
		return problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no kind of review %q", kind))
	}
	rs, err := h.DB.ApprovalRulesLatest(r.Context(), kind)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rs)
}

// saveRules replaces a kind's routing with a new version, after checking it
// whole: a rule set with any fault is refused and nothing is saved.
func (h approvals) saveRules(w http.ResponseWriter, r *http.Request) error {
	if !actor(r).Has(identity.RoleAdmin) {
		return problem(http.StatusForbidden, probForbidden, "only admins edit routing rules")
	}
	var rs approval.RuleSet
	if err := decodeJSON(w, r, &rs); err != nil {
		return err
	}
	rs.Kind = approval.Kind(chi.URLParam(r, "kind"))
	saved, err := h.saveRuleSet(r, rs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, saved)
}

// saveRuleSet checks rs whole and saves it as the kind's next version,
// audited; the API and the rules page both save through here.
func (h approvals) saveRuleSet(r *http.Request, rs approval.RuleSet) (approval.RuleSet, error) {
	if !actor(r).Has(identity.RoleAdmin) {
		return rs, problem(http.StatusForbidden, probForbidden, "only admins edit routing rules")
	}
	if err := rs.Validate(); err != nil {
		return rs, err
	}
	if ids := rs.Users(); len(ids) > 0 {
		missing, err := h.DB.UsersMissing(r.Context(), ids)
		if err != nil {
			return rs, err
		}
		if len(missing) > 0 {
			return rs, problem(http.StatusUnprocessableEntity, probInvalid, "the rules name unknown users; nothing was saved",
				deal.FieldError{Field: "stages", Message: fmt.Sprintf("no users %v", missing)})
		}
	}
	e := audit.Entry{At: h.Now(), Actor: actor(r).ID, Action: "approval_rules.save", ObjectType: "approval_rules",
		ObjectID: string(rs.Kind)}
	v, err := h.DB.ApprovalRulesSave(r.Context(), rs, actor(r).ID, h.Audit, e)
	if err != nil {
		return rs, err
	}
	rs.Version = v
	distinct := rs.Distinct()
	rs.DistinctApprovers = &distinct
	return rs, nil
}

// addDelegation records an out-of-office hand-over: the new steps of the
// person away go to the delegate between the two times. A person delegates
// their own reviews, or their manager does it for them; nobody else, admins
// included: an admin is not a super-approver. The delegation and its audit
// entry commit together.
func (h approvals) addDelegation(w http.ResponseWriter, r *http.Request) error {
	var d database.Delegation
	if err := decodeJSON(w, r, &d); err != nil {
		return err
	}
	me := actor(r)
	if d.User == "" {
		d.User = me.ID
	}
	if d.User != me.ID {
		m, err := h.DB.Managers(r.Context(), []string{d.User})
		if err != nil {
			return err
		}
		if m[d.User] != me.ID {
			return problem(http.StatusForbidden, probForbidden, "you can only delegate your own reviews, or those of someone who reports to you",
				deal.FieldError{Field: "user", Message: fmt.Sprintf("%s does not report to you", d.User)})
		}
	}
	var fe []deal.FieldError
	if d.Delegate == "" || d.Delegate == d.User {
		fe = append(fe, deal.FieldError{Field: "delegate", Message: "name someone other than the person away"})
	}
	if d.Starts.IsZero() || d.Ends.IsZero() || !d.Ends.After(d.Starts) {
		fe = append(fe, deal.FieldError{Field: "ends_at", Message: "starts_at and ends_at are required, ends_at after starts_at"})
	}
	if len(fe) == 0 {
		missing, err := h.DB.UsersMissing(r.Context(), []string{d.User, d.Delegate})
		if err != nil {
			return err
		}
		for _, m := range missing {
			fe = append(fe, deal.FieldError{Field: "delegate", Message: fmt.Sprintf("no user %q", m)})
		}
	}
	if len(fe) > 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", fe...)
	}
	d.CreatedBy, d.EndedAt, d.EndedBy = me.ID, nil, ""
	e := audit.Entry{At: h.Now(), Actor: me.ID, Action: "delegation.add", ObjectType: "delegation"}
	id, err := h.DB.DelegationAdd(r.Context(), d, h.Audit, e)
	if err != nil {
		return err
	}
	d.ID = id
	return writeJSON(w, http.StatusCreated, d)
}

// endDelegation ends a delegation now: the person away, their manager, or the
// delegate (who may hand it back) may; the end and its audit entry commit
// together. Steps already routed to the delegate stay theirs, on the record.
func (h approvals) endDelegation(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "delegation")
	if err != nil {
		return err
	}
	d, err := h.DB.DelegationGet(r.Context(), id)
	if err != nil {
		return err
	}
	me := actor(r)
	may := me.ID == d.User || me.ID == d.Delegate
	if !may {
		m, err := h.DB.Managers(r.Context(), []string{d.User})
		if err != nil {
			return err
		}
		may = m[d.User] == me.ID
	}
	if !may {
		// Not a leak: someone not involved learns nothing about it.
		return problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no delegation %d", id))
	}
	e := audit.Entry{At: h.Now(), Actor: me.ID, Action: "delegation.end", ObjectType: "delegation", ObjectID: fmt.Sprint(id)}
	d, err = h.DB.DelegationEnd(r.Context(), id, me.ID, h.Now(), h.Audit, e)
	if errors.Is(err, database.ErrDelegationEnded) {
		return problem(http.StatusConflict, probWrongStage, fmt.Sprintf("delegation %d has already ended", id))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}
