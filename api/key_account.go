package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/civil"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// keyAccountAPI serves /api/v1/key-activities: key-account activities
// (攻关活动) planned on a deal by its sales side, supported by a person the
// owner's manager names, and done with an outcome that is a follow-up of the
// deal's customer.
type keyAccountAPI struct{ Deps }

// keyActivityKinds are what a key-account activity is.
var keyActivityKinds = []string{"tech_exchange", "exec_visit", "site_visit", "demo"}

// keyActivityBad collects field errors.
type keyActivityBad []deal.FieldError

func (fe *keyActivityBad) add(f, format string, args ...any) {
	*fe = append(*fe, deal.FieldError{Field: f, Message: fmt.Sprintf(format, args...)})
}

func (fe keyActivityBad) err() error {
	if len(fe) == 0 {
		return nil
	}
	return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", fe...)
}

// plansOn says whether u plans key-account activities on d: its sales owner,
// or a sales manager or assistant who manages the owner.
func (h keyAccountAPI) plansOn(ctx context.Context, u identity.User, d deal.Deal) (bool, error) {
	if d.Owners.Sales == u.ID {
		return true, nil
	}
	if !u.Has(identity.RoleSalesManager, identity.RoleSalesAssistant) {
		return false, nil
	}
	return h.DB.ManagesOwner(ctx, u.ID, u.Team, d.Owners.Sales)
}

// managesDeal says whether u is a sales manager of d's owner (their manager,
// or a sales manager of their team): who assigns support. The owner never
// does, even a manager planning on their own deal.
func (h keyAccountAPI) managesDeal(ctx context.Context, u identity.User, owner string) (bool, error) {
	if !u.Has(identity.RoleSalesManager) || owner == u.ID {
		return false, nil
	}
	return h.DB.ManagesOwner(ctx, u.ID, u.Team, owner)
}

// keyActivityPlan is an activity planned on a deal (POST /api/v1/key-activities).
type keyActivityPlan struct {
	DealID        string     `json:"deal_id"`
	Kind          string     `json:"kind"`
	PlannedOn     civil.Date `json:"planned_on"`
	Goal          string     `json:"goal"`
	SupportWanted string     `json:"support_wanted,omitempty"`
}

func (h keyAccountAPI) plan(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[keyActivityPlan](w, r, mayOwn, "key-account activities are planned by the sales team")
	if err != nil {
		return err
	}
	var fe keyActivityBad
	req.DealID, req.Goal, req.SupportWanted = strings.TrimSpace(req.DealID), strings.TrimSpace(req.Goal), strings.TrimSpace(req.SupportWanted)
	if req.DealID == "" {
		fe.add("deal_id", "is required")
	}
	if !slices.Contains(keyActivityKinds, req.Kind) {
		fe.add("kind", "want one of %s, not %q", strings.Join(keyActivityKinds, ", "), req.Kind)
	}
	today := civil.DateOf(h.Now().In(h.Location))
	switch {
	case req.PlannedOn.IsZero():
		fe.add("planned_on", "is required (a date, e.g. %s)", today)
	case req.PlannedOn.Before(today):
		fe.add("planned_on", "%s is in the past: plan from today (%s) on", req.PlannedOn, today)
	}
	switch n := utf8.RuneCountInString(req.Goal); {
	case n == 0:
		fe.add("goal", "is required: what the activity should achieve")
	case n > 2000:
		fe.add("goal", "is over 2,000 characters")
	}
	if utf8.RuneCountInString(req.SupportWanted) > 2000 {
		fe.add("support_wanted", "is over 2,000 characters")
	}
	if err := fe.err(); err != nil {
		return err
	}
	d, err := deals{h.Deps}.find(r, req.DealID)
	if err != nil {
		return err
	}
	if ok, err := h.plansOn(r.Context(), me, d); err != nil {
		return err
	} else if !ok {
		return problem(http.StatusForbidden, probForbidden, "key-account activities on a deal are planned by its sales owner or their manager or assistant")
	}
	if d.Stage.Terminal() {
		return problem(http.StatusConflict, probWrongStage, fmt.Sprintf("deal %s is %s", d.ID, d.Stage))
	}
	k := database.KeyActivity{DealID: d.ID, Kind: req.Kind, PlannedOn: req.PlannedOn, Goal: req.Goal,
		SupportWanted: req.SupportWanted, PlannedBy: me.ID, PlannedAt: h.Now()}
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		if k.ID, err = h.DB.KeyActivityAdd(ctx, k); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "key_activity.plan", "deal", k.DealID, k), nil
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/key-activities/%d", k.ID))
	return h.reply(w, r, http.StatusCreated, k.ID)
}

// list: ?deal_id= the deal's (whoever sees the deal); without it, what I
// am to support: those on my team's deals (sales managers) and those I was
// named supporter of.
func (h keyAccountAPI) list(w http.ResponseWriter, r *http.Request) error {
	me := actor(r)
	if id := r.URL.Query().Get("deal_id"); id != "" {
		if _, err := (deals{h.Deps}).find(r, id); err != nil {
			return err
		}
		list, err := h.DB.KeyActivitiesOfDeal(r.Context(), id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"key_activities": list})
	}
	team, supporting, err := h.toSupport(r.Context(), me)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"team": team, "supporting": supporting})
}

// toSupport is what My work shows: the open activities of the deals of the
// team u manages (sales managers), and those u supports.
func (h keyAccountAPI) toSupport(ctx context.Context, u identity.User) (team, supporting []database.KeyActivity, err error) {
	team = []database.KeyActivity{}
	if u.Has(identity.RoleSalesManager) {
		if team, err = h.DB.KeyActivitiesToSupport(ctx, u.ID, u.Team, 200); err != nil {
			return nil, nil, err
		}
	}
	supporting, err = h.DB.KeyActivitiesSupportedBy(ctx, u.ID, 200)
	return team, supporting, err
}

// visibleActivity reads activity id for the one asking: 404 unless they
// see its deal.
func (h keyAccountAPI) visibleActivity(r *http.Request, id int64) (database.KeyActivity, error) {
	k, err := h.DB.KeyActivityGet(r.Context(), id)
	if errors.Is(err, database.ErrNotFound) {
		return k, problem(http.StatusNotFound, probNotFound, "no such key-account activity")
	}
	if err != nil {
		return k, err
	}
	if _, err := (deals{h.Deps}).find(r, k.DealID); err != nil {
		return k, problem(http.StatusNotFound, probNotFound, "no such key-account activity")
	}
	return k, nil
}

// decodedActivity decodes the body into req and reads activity {id}'s ID.
func decodedActivity(w http.ResponseWriter, r *http.Request, req any) (int64, error) {
	if err := decodeJSON(w, r, req); err != nil {
		return 0, err
	}
	return idParam(r, "key-account activity")
}

// supportRequest names an activity's supporter.
type supportRequest struct {
	Supporter string `json:"supporter"`
	Note      string `json:"note,omitempty"`
}

// outcomeRequest is what came of an activity.
type outcomeRequest struct {
	Note string `json:"note"`
}

func (h keyAccountAPI) support(w http.ResponseWriter, r *http.Request) error {
	if !actor(r).Has(identity.RoleSalesManager) {
		return errSupportRole()
	}
	var req supportRequest
	id, err := decodedActivity(w, r, &req)
	if err != nil {
		return err
	}
	if err := h.assignSupport(r, id, req); err != nil {
		return err
	}
	return h.reply(w, r, http.StatusOK, id)
}

func errSupportRole() error {
	return problem(http.StatusForbidden, probForbidden, "support is assigned by sales managers")
}

// maySupport says whether u names k's supporter now: a sales manager over
// its deal's owner (never the owner), while it is not done.
func (h keyAccountAPI) maySupport(ctx context.Context, u identity.User, k database.KeyActivity) (bool, error) {
	if k.DoneAt != nil {
		return false, nil
	}
	return h.managesDeal(ctx, u, k.SalesOwner)
}

// mayRecordOutcome says whether u records k's outcome now: its deal's sales
// owner, while it is not done.
func mayRecordOutcome(u identity.User, k database.KeyActivity) bool {
	return mayOwn(u) && k.SalesOwner == u.ID && k.DoneAt == nil
}

// assignSupport names activity id's supporter for the one asking, with the
// API's checks (the page's form takes this path too).
func (h keyAccountAPI) assignSupport(r *http.Request, id int64, req supportRequest) error {
	me := actor(r)
	if !me.Has(identity.RoleSalesManager) {
		return errSupportRole()
	}
	k, err := h.visibleActivity(r, id)
	if err != nil {
		return err
	}
	if ok, err := h.managesDeal(r.Context(), me, k.SalesOwner); err != nil {
		return err
	} else if !ok {
		return problem(http.StatusForbidden, probForbidden, "support is assigned by the sales owner's manager, or a sales manager of their team")
	}
	if k.DoneAt != nil {
		return problem(http.StatusConflict, probWrongStage, "the activity is done")
	}
	var fe keyActivityBad
	req.Supporter, req.Note = strings.TrimSpace(req.Supporter), strings.TrimSpace(req.Note)
	if req.Supporter == "" {
		fe.add("supporter", "is required: the user ID of who supports")
	}
	if utf8.RuneCountInString(req.Note) > 2000 {
		fe.add("note", "is over 2,000 characters")
	}
	if err := fe.err(); err != nil {
		return err
	}
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		if err := h.DB.KeyActivityAssign(ctx, k.ID, req.Supporter, req.Note, me.ID, h.Now()); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "key_activity.support", "key_activity", fmt.Sprint(k.ID),
			map[string]any{"deal_id": k.DealID, "supporter": req.Supporter, "note": req.Note}), nil
	})
	switch {
	case errors.Is(err, database.ErrUserUnusable):
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input",
			deal.FieldError{Field: "supporter", Message: fmt.Sprintf("no user %q who may be named (unknown or disabled)", req.Supporter)})
	case errors.Is(err, database.ErrKeyActivityDone):
		return problem(http.StatusConflict, probWrongStage, "the activity is done")
	}
	return err
}

func errOutcomeOwner() error {
	return problem(http.StatusForbidden, probForbidden, "the outcome is recorded by the deal's sales owner")
}

func (h keyAccountAPI) outcome(w http.ResponseWriter, r *http.Request) error {
	if !mayOwn(actor(r)) {
		return errOutcomeOwner()
	}
	var req outcomeRequest
	id, err := decodedActivity(w, r, &req)
	if err != nil {
		return err
	}
	if err := h.recordOutcome(r, id, req); err != nil {
		return err
	}
	return h.reply(w, r, http.StatusOK, id)
}

// recordOutcome records what came of activity id for the one asking, with
// the API's checks (the page's form takes this path too).
func (h keyAccountAPI) recordOutcome(r *http.Request, id int64, req outcomeRequest) error {
	me := actor(r)
	if !mayOwn(me) {
		return errOutcomeOwner()
	}
	k, err := h.visibleActivity(r, id)
	if err != nil {
		return err
	}
	if k.SalesOwner != me.ID {
		return errOutcomeOwner()
	}
	if k.DoneAt != nil {
		return problem(http.StatusConflict, probWrongStage, "the outcome is recorded already")
	}
	var fe keyActivityBad
	req.Note = strings.TrimSpace(req.Note)
	switch n := utf8.RuneCountInString(req.Note); {
	case n == 0:
		fe.add("note", "is required: what came of it")
	case n > 2000:
		fe.add("note", "is over 2,000 characters")
	}
	if err := fe.err(); err != nil {
		return err
	}
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		if err := h.DB.KeyActivityDone(ctx, k, me.ID, req.Note, h.Now()); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "key_activity.outcome", "key_activity", fmt.Sprint(k.ID),
			map[string]any{"deal_id": k.DealID, "note": req.Note}), nil
	})
	if errors.Is(err, database.ErrKeyActivityDone) {
		return problem(http.StatusConflict, probWrongStage, "the outcome is recorded already")
	}
	return err
}

// reply answers with activity id as it is now.
func (h keyAccountAPI) reply(w http.ResponseWriter, r *http.Request, status int, id int64) error {
	k, err := h.DB.KeyActivityGet(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, status, k)
}
