package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/ownership"
	"github.com/l2c/l2c/internal/scheduler"
	"github.com/l2c/l2c/workflows"
)

// ownershipAPI serves customer ownership (issue 14): the pool (公海) and
// claims from it, assignments and releases, the collision guard, handovers,
// the caps and the pool clock's rules. The rules are internal/ownership's;
// every change is audited in its own transaction.
type ownershipAPI struct{ Deps }

// collision is what a refused entry ran into, as the person refused may see
// it: the owner masked, the last contact, what matched, and the request sent.
type collision struct {
	Owner       string `json:"owner"` // masked: 王*
	LastContact string `json:"last_contact,omitempty"`
	MatchedOn   string `json:"matched_on"`
	RequestID   int64  `json:"request_id"`
}

// ownershipProblem turns a refusal of internal/ownership into its problem.
func ownershipProblem(err error) error {
	var re *ownership.Refused
	if !errors.As(err, &re) {
		return err
	}
	var fields []deal.FieldError
	if re.Field != "" {
		fields = append(fields, deal.FieldError{Field: re.Field, Message: re.Message})
	}
	switch re.Reason {
	case ownership.Cooldown:
		return problem(http.StatusConflict, probCooldown, re.Message, fields...)
	case ownership.Cap:
		return problem(http.StatusUnprocessableEntity, probOwnershipCap, re.Message, fields...)
	case ownership.Owned:
		return problem(http.StatusConflict, probCustomerOwned, re.Message, fields...)
	case ownership.Forbidden:
		return problem(http.StatusForbidden, probForbidden, re.Message, fields...)
	}
	return problem(http.StatusUnprocessableEntity, probInvalid, re.Message, fields...)
}

// guard is the collision guard: when what someone is entering (a tax ID, a
// name, a phone) matches a customer another rep owns, it records a request
// to that owner and their manager and returns the 409 that says whose it is,
// masked, and when it was last contacted. nil when nothing matches.
func (d Deps) guard(ctx context.Context, by identity.User, what, taxID, name, phone string) error {
	return d.guardFor(ctx, by, by.ID, what, taxID, name, phone)
}

// guardFor is guard for someone acting for owner (an assistant entering a
// customer for a rep): a match owned by that rep is no collision.
func (d Deps) guardFor(ctx context.Context, by identity.User, owner, what, taxID, name, phone string) error {
	ms, err := d.DB.CustomerOwnedMatches(ctx, strings.TrimSpace(taxID), strings.TrimSpace(name), phone, owner, d.Now().UTC())
	if err != nil || len(ms) == 0 {
		return err
	}
	m := ms[0]
	id, err := d.DB.OwnershipRequestOpen(ctx, m, by, what)
	if err != nil {
		return err
	}
	p := problem(http.StatusConflict, probCustomerOwned, ownership.Why(m.OwnerName, m.LastContact, m.MatchedOn, d.Location),
		deal.FieldError{Field: map[string]string{"tax_id": "tax_id", "name": "name", "phone": "phone"}[m.MatchedOn],
			Message: "matches a customer owned by " + ownership.Mask(m.OwnerName)})
	p.Collision = &collision{Owner: ownership.Mask(m.OwnerName), MatchedOn: m.MatchedOn, RequestID: id}
	if m.LastContact != nil {
		p.Collision.LastContact = m.LastContact.In(d.Location).Format(time.DateOnly)
	}
	return p
}

// mayOwn: the people who hold customers and enter them.
func mayOwn(u identity.User) bool {
	return u.Has(identity.RoleSales, identity.RoleSalesManager, identity.RoleSalesAssistant, identity.RoleAdmin)
}

// ownershipCheckRequest is what the guard matches a customer on.
type ownershipCheckRequest struct {
	TaxID string `json:"tax_id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// check is the guard on its own, for whoever enters a customer (a form,
// onboarding): 409 with the owner masked, else 200 with nothing owned.
func (h ownershipAPI) check(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[ownershipCheckRequest](w, r, mayOwn, "only the sales team enters customers")
	if err != nil {
		return err
	}
	if strings.TrimSpace(req.TaxID+req.Name+req.Phone) == "" {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input",
			deal.FieldError{Field: "name", Message: "send a tax_id, a name or a phone to check"})
	}
	if err := h.guard(r.Context(), me, "enter_customer", req.TaxID, req.Name, req.Phone); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"owned_by_others": false})
}

func (h ownershipAPI) pool(w http.ResponseWriter, r *http.Request) error {
	if !mayOwn(actor(r)) {
		return problem(http.StatusForbidden, probForbidden, "the pool is the sales team's")
	}
	pg, err := pageParams(r, 100, 500)
	if err != nil {
		return err
	}
	list, err := h.DB.PoolList(r.Context(), pg.After, pg.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listPage("customers", list, pg.Limit, func(c database.PoolCustomer) string { return c.Code }))
}

type reasonRequest struct {
	Reason string `json:"reason,omitempty"`
}

// claim takes a customer from the pool for the one asking, under their caps
// and, for its previous owner, the cooldown.
func (h ownershipAPI) claim(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[reasonRequest](w, r, hasRole(identity.RoleSales, identity.RoleSalesManager), "only sales reps and sales managers own customers")
	if err != nil {
		return err
	}
	return h.take(w, r, me, database.TakeClaim, req.Reason)
}

// assignRequest names the rep a customer is given to, and why.
type assignRequest struct {
	Owner  string `json:"owner"`
	Reason string `json:"reason,omitempty"`
}

// assign gives a customer (from the pool or from another rep) to a rep: a
// sales manager or assistant for reps in their reach, an admin for anyone.
func (h ownershipAPI) assign(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[assignRequest](w, r, hasRole(identity.RoleSalesManager, identity.RoleSalesAssistant, identity.RoleAdmin), "only a sales manager, a sales assistant or an admin assigns customers")
	if err != nil {
		return err
	}
	if req.Owner == "" {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", deal.FieldError{Field: "owner", Message: "is required"})
	}
	to, disabled, _, err := h.DB.UserWithManager(r.Context(), req.Owner)
	if errors.Is(err, database.ErrNotFound) || (err == nil && (disabled || !to.Has(identity.RoleSales, identity.RoleSalesManager))) {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input",
			deal.FieldError{Field: "owner", Message: fmt.Sprintf("%q is not an active sales rep or sales manager", req.Owner)})
	}
	if err != nil {
		return err
	}
	if !me.Has(identity.RoleAdmin) {
		ok, err := h.DB.SalesOwnerInReach(r.Context(), me.ID, me.Team, to.ID)
		if err != nil {
			return err
		}
		// The customer must be theirs to give, too: their team's or the pool's.
		owner, team, manager, err := h.DB.CustomerOwnerOf(r.Context(), chi.URLParam(r, "code"))
		if err != nil {
			return err
		}
		if !ok || (owner != "" && !(team == me.Team && me.Team != "") && manager != me.ID) {
			return problem(http.StatusForbidden, probForbidden, "you may assign only your team's customers, or the pool's, to reps of your team")
		}
	}
	return h.take(w, r, to, database.TakeAssign, req.Reason)
}

// take makes to the owner of the customer in the path, audited.
func (h ownershipAPI) take(w http.ResponseWriter, r *http.Request, to identity.User, kind, reason string) error {
	code := chi.URLParam(r, "code")
	me := actor(r)
	err := h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		from, err := h.DB.CustomerTake(ctx, code, to, me.ID, kind, reason, h.Now().UTC())
		if err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "customer."+kind, "customer", code, map[string]string{"from": from, "to": to.ID, "reason": reason}), nil
	})
	if errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no customer %q", code))
	}
	if err != nil {
		return ownershipProblem(err)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"code": code, "sales_owner": to.ID})
}

// release returns a customer to the pool: its owner, a manager or assistant
// who sees it whole, or an admin.
func (h ownershipAPI) release(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	me := actor(r)
	c, err := h.DB.CustomerGet(r.Context(), code, viewer(me))
	if errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no customer %q", code))
	}
	if err != nil {
		return err
	}
	if c.Terms == nil || (c.SalesOwner != me.ID && !me.Has(identity.RoleSalesManager, identity.RoleSalesAssistant, identity.RoleAdmin)) {
		return problem(http.StatusForbidden, probForbidden, "only the customer's owner, their manager or assistant, or an admin may release it")
	}
	var req reasonRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		from, err := h.DB.CustomerRelease(ctx, code, me.ID, req.Reason, h.Now().UTC())
		if err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "customer.release", "customer", code, map[string]string{"from": from, "reason": req.Reason}), nil
	})
	if err != nil {
		return ownershipProblem(err)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"code": code, "sales_owner": ""})
}

// history is a customer's changes of owner and warnings, for who sees it whole.
func (h ownershipAPI) history(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	c, err := h.DB.CustomerGet(r.Context(), code, viewer(actor(r)))
	if errors.Is(err, database.ErrNotFound) || (err == nil && c.Terms == nil) {
		return problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no customer %q", code))
	}
	if err != nil {
		return err
	}
	ev, err := h.DB.OwnershipEvents(r.Context(), code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"code": code, "sales_owner": c.SalesOwner, "events": ev})
}

// handoverResult is what a handover moved, and what it could not.
type handoverResult struct {
	database.Handover
	Deals []string        `json:"deals"`
	Steps []string        `json:"approval_cases"`
	Left  []handoverWhyNo `json:"left,omitempty"`
}

type handoverWhyNo struct {
	Object string `json:"object"` // deal/<id> or case/<id>
	Why    string `json:"why"`
}

// handoverRequest names the leaver, the successor and why.
type handoverRequest struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// handover moves everything a rep holds to a named successor: their
// customers and collection plans in one audited transaction, then each open
// deal (the hand_over action, audited with its transition) and each open
// approval step (delegated in the leaver's name, noted as the handover).
func (h ownershipAPI) handover(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[handoverRequest](w, r, hasRole(identity.RoleSalesManager, identity.RoleAdmin), "only a sales manager or an admin hands over a rep's customers and open work")
	if err != nil {
		return err
	}
	var fe []deal.FieldError
	for _, f := range []struct{ name, v string }{{"from", req.From}, {"to", req.To}, {"reason", req.Reason}} {
		if strings.TrimSpace(f.v) == "" {
			fe = append(fe, deal.FieldError{Field: f.name, Message: "is required"})
		}
	}
	if len(fe) > 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", fe...)
	}
	from, _, fromManager, err := h.DB.UserWithManager(r.Context(), req.From)
	if errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", deal.FieldError{Field: "from", Message: fmt.Sprintf("no user %q", req.From)})
	}
	if err != nil {
		return err
	}
	if err := ownership.MayHandOver(me, from, fromManager); err != nil {
		return ownershipProblem(err)
	}
	to, toDisabled, _, err := h.DB.UserWithManager(r.Context(), req.To)
	if errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", deal.FieldError{Field: "to", Message: fmt.Sprintf("no user %q", req.To)})
	}
	if err != nil {
		return err
	}
	if err := ownership.CheckSuccessor(from, to, toDisabled); err != nil {
		return ownershipProblem(err)
	}
	var moved database.Handover
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		if moved, err = h.DB.HandoverCustomers(ctx, from.ID, to.ID, me.ID, req.Reason, h.Now().UTC()); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "ownership.handover", "user", from.ID, map[string]any{"to": to.ID, "reason": req.Reason,
			"customers": moved.Customers, "deals": moved.OpenDeals, "approval_cases": moved.OpenSteps, "collection_plans": moved.Plans}), nil
	})
	if err != nil {
		return err
	}
	res := handoverResult{Handover: moved, Deals: []string{}, Steps: []string{}}
	ds := deals{h.Deps}
	for _, id := range moved.OpenDeals {
		if err := h.handOverDeal(r, ds, id, moved.ID, to.ID, req.Reason); err != nil {
			res.Left = append(res.Left, handoverWhyNo{Object: "deal/" + id, Why: asProblem(err, h.Log, r).Detail})
			continue
		}
		res.Deals = append(res.Deals, id)
	}
	as := approvals{h.Deps}
	for _, id := range moved.OpenSteps {
		c, err := h.DB.CaseGet(r.Context(), id)
		if err == nil {
			_, err = as.send(r, c, workflows.ApprovalDelegateUpdate, workflows.DelegateInput{Actor: from, To: to.ID,
				Note: fmt.Sprintf("handover %d by %s: %s", moved.ID, me.ID, req.Reason)})
		}
		if err != nil {
			res.Left = append(res.Left, handoverWhyNo{Object: "case/" + id, Why: asProblem(err, h.Log, r).Detail})
			continue
		}
		res.Steps = append(res.Steps, id)
	}
	return writeJSON(w, http.StatusOK, res)
}

// handOverDeal sends hand_over to one deal, with the API's checks, keyed by
// the handover so a retried handover moves each deal once.
func (h ownershipAPI) handOverDeal(r *http.Request, ds deals, id string, handover int64, to, reason string) error {
	defer h.queue.lock("deal/" + id)()
	current, err := h.DB.DealGet(r.Context(), id)
	if err != nil {
		return err
	}
	spec, _ := deal.LookupAction(deal.ActHandOver)
	a, err := spec.Action(deal.HandOverPayload{SalesOwner: to}, reason)
	if err != nil {
		return err
	}
	if err := ds.controls(r, current, &a); err != nil {
		return err
	}
	return ds.send(r.Context(), id, fmt.Sprintf("handover/%d/%s", handover, id), actor(r), a)
}

// ownershipRules are the caps and the pool clock as GET shows and PUT takes them.
type ownershipRules struct {
	Limits []ownership.Limit `json:"limits"`
	Pool   []ownership.Rule  `json:"pool"`
}

func (h ownershipAPI) rules(w http.ResponseWriter, r *http.Request) error {
	if !mayOwn(actor(r)) {
		return problem(http.StatusForbidden, probForbidden, "the ownership rules are the sales team's and admins'")
	}
	ls, ps, err := h.DB.OwnershipRules(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ownershipRules{Limits: ls, Pool: ps})
}

var scopeShape = regexp.MustCompile(`^(role|team|user):[A-Za-z0-9._-]{1,64}$`)

// saveRules sets caps (per scope) and pool clocks (per class) given; those
// not named stay. Admins only; checked whole, audited, all or nothing.
func (h ownershipAPI) saveRules(w http.ResponseWriter, r *http.Request) error {
	if !actor(r).Has(identity.RoleAdmin) {
		return problem(http.StatusForbidden, probForbidden, "only an admin sets the ownership rules")
	}
	var req ownershipRules
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var fe []deal.FieldError
	bad := func(field, format string, args ...any) {
		fe = append(fe, deal.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for i, l := range req.Limits {
		f := fmt.Sprintf("limits[%d]", i)
		if !scopeShape.MatchString(l.Scope) {
			bad(f+".scope", "want role:<role>, team:<team> or user:<id>, not %q", l.Scope)
		} else if role, ok := strings.CutPrefix(l.Scope, "role:"); ok && !identity.Role(role).Valid() {
			bad(f+".scope", "%q is not a role", role)
		}
		if l.Standing != nil && *l.Standing < 0 {
			bad(f+".standing_cap", "cannot be negative")
		}
		if l.Rolling != nil && *l.Rolling < 0 {
			bad(f+".rolling_cap", "cannot be negative")
		}
		if l.RollingDays < 0 || l.RollingDays > 366 {
			bad(f+".rolling_days", "want 1 to 366 days (0: three months)")
		}
	}
	for i, p := range req.Pool {
		f := fmt.Sprintf("pool[%d]", i)
		switch {
		case p.Class != "" && p.Class != "A" && p.Class != "B" && p.Class != "C":
			bad(f+".value_class", "want A, B, C or \"\" (not ranked), not %q", p.Class)
		case p.IdleDays < 1 || p.IdleDays > 1000:
			bad(f+".idle_days", "want 1 to 1000 working days")
		case p.WarnDays < 0 || p.WarnDays >= p.IdleDays:
			bad(f+".warn_days", "want 0 up to fewer than idle_days (%d)", p.IdleDays)
		case p.CooldownDays < 0 || p.CooldownDays > 366:
			bad(f+".cooldown_days", "want 0 to 366 days")
		}
	}
	if len(fe) > 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", fe...)
	}
	if err := h.saveAudited(r, "ownership.rules.save", "ownership_rules", req, func(ctx context.Context) error {
		for _, l := range req.Limits {
			if err := h.DB.OwnershipLimitSave(ctx, l, actor(r).ID); err != nil {
				return err
			}
		}
		for _, p := range req.Pool {
			if err := h.DB.PoolRuleSave(ctx, p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return h.rules(w, r)
}

// recycle runs the pool clock now (admins), as the nightly tick does, and
// answers with what it did.
func (h ownershipAPI) recycle(w http.ResponseWriter, r *http.Request) error {
	var out database.RecycleCounts
	return h.runNow(w, r, "pool clock", scheduler.StartPoolRecycle, "counts", &out)
}
