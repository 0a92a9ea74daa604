package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/i18n"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/scheduler"
	"github.com/l2c/l2c/workflows"
)

// classesAPI serves the computed value classes (issue 14, item 3): the
// proposals of the nightly run and their review, a run by hand, the rules,
// and the terms proposed per class at onboarding. A customer's class with
// its factors is /api/v1/customers/{code}/class (customerClass).
type classesAPI struct{ Deps }

// mayReviewClasses: sales managers and finance decide class changes.
func mayReviewClasses(u identity.User) bool {
	return u.Has(identity.RoleSalesManager, identity.RoleFinance)
}

// customerClass is GET /api/v1/customers/{code}/class: the customer's class,
// the one the last run computed with its factors and rules, and a pending
// proposal, for whoever sees the customer whole; 404 for anyone else.
func (h customers) customerClass(w http.ResponseWriter, r *http.Request) error {
	return customerRead(w, r, h.DB.CustomerClassGet)
}

// proposals lists class proposals (?status=pending|approved|rejected|withdrawn,
// default pending; ?after=<id>&limit=) of the customers the reader sees whole:
// sales managers, finance, market managers and admins.
func (h classesAPI) proposals(w http.ResponseWriter, r *http.Request) error {
	me := actor(r)
	if !mayReviewClasses(me) && !me.Has(identity.RoleMarketManager, identity.RoleAdmin) {
		return problem(http.StatusForbidden, probForbidden, "class proposals are for sales managers, finance, market managers and admins")
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "":
		status = "pending"
	case "pending", "approved", "rejected", "withdrawn", "all":
	default:
		return problem(http.StatusBadRequest, probInvalidQuery, "unknown status",
			deal.FieldError{Field: "status", Message: "want pending, approved, rejected, withdrawn or all"})
	}
	if status == "all" {
		status = ""
	}
	pg, err := pageParams(r, 100, 500)
	if err != nil {
		return err
	}
	var after int64
	if pg.After != "" {
		if after, err = strconv.ParseInt(pg.After, 10, 64); err != nil || after < 0 {
			return problem(http.StatusBadRequest, probInvalidQuery, "bad cursor", deal.FieldError{Field: "after", Message: "want a proposal ID"})
		}
	}
	list, err := h.DB.ClassProposalList(r.Context(), viewer(me), status, after, pg.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listPage("proposals", list, pg.Limit,
		func(p database.ClassProposal) string { return strconv.FormatInt(p.ID, 10) }))
}

type classDecideRequest struct {
	IDs     []int64 `json:"ids"`
	All     bool    `json:"all"`
	Approve *bool   `json:"approve"`
	Note    string  `json:"note"`
}

// decide approves or rejects proposals, named (ids) or all the decider may
// decide (all): a sales manager or finance, never on a customer they own.
// One named proposal that may not be decided refuses the whole request and
// nothing changes; with all, the decider's own customers (and, approving,
// those whose class changed since) are left and listed in skipped.
func (h classesAPI) decide(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[classDecideRequest](w, r, mayReviewClasses, "class changes are decided by a sales manager or finance")
	if err != nil {
		return err
	}
	out, err := h.decideAs(r, me, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// decideAs checks and applies me's decision req: the API's and the review
// page's one path.
func (h classesAPI) decideAs(r *http.Request, me identity.User, req classDecideRequest) (database.ClassDecided, error) {
	if !mayReviewClasses(me) {
		return database.ClassDecided{}, problem(http.StatusForbidden, probForbidden, "class changes are decided by a sales manager or finance")
	}
	var fe []deal.FieldError
	switch {
	case req.All && len(req.IDs) > 0:
		fe = append(fe, deal.FieldError{Field: "ids", Message: "send ids or all, not both"})
	case !req.All && len(req.IDs) == 0:
		fe = append(fe, deal.FieldError{Field: "ids", Message: "name the proposals to decide, or send all: true"})
	case len(req.IDs) > 1000:
		fe = append(fe, deal.FieldError{Field: "ids", Message: "at most 1000 at once; send all: true for every one"})
	}
	if req.Approve == nil {
		fe = append(fe, deal.FieldError{Field: "approve", Message: "is required: true or false"})
	}
	if req.Approve != nil && !*req.Approve && strings.TrimSpace(req.Note) == "" {
		fe = append(fe, deal.FieldError{Field: "note", Message: "say why the change is rejected"})
	}
	if len(req.Note) > 2000 {
		fe = append(fe, deal.FieldError{Field: "note", Message: "at most 2000 characters"})
	}
	if len(fe) > 0 {
		return database.ClassDecided{}, problem(http.StatusUnprocessableEntity, probInvalid, "invalid decision; nothing was decided", fe...)
	}
	out, err := h.DB.ClassProposalsDecide(r.Context(), h.Audit, database.ClassDecision{By: me.ID, Viewer: viewer(me),
		IDs: req.IDs, All: req.All, Approve: *req.Approve, Note: strings.TrimSpace(req.Note), At: h.Now().UTC()})
	var re *database.ClassRefusal
	if errors.As(err, &re) {
		field := deal.FieldError{Field: "ids", Message: fmt.Sprintf("proposal %d: %v", re.ID, re.Err)}
		switch {
		case errors.Is(re.Err, database.ErrNotFound):
			return out, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no class proposal %d", re.ID), field)
		case errors.Is(re.Err, database.ErrClassOwnCustomer):
			return out, problem(http.StatusForbidden, probForbidden, "nobody decides the class of a customer they own; nothing was decided", field)
		default:
			return out, problem(http.StatusConflict, probClassProposalStale, re.Error()+"; nothing was decided", field)
		}
	}
	return out, err
}

// run computes the classes now (admins), as the nightly tick does, and
// answers with what it did; the changes wait for review like the night's.
func (h classesAPI) run(w http.ResponseWriter, r *http.Request) error {
	var out activities.ClassifyResult
	return h.runNow(w, r, "value classes", scheduler.StartClassify, "result", &out)
}

// runNow starts a nightly run (what) by hand (admins), as of now, for the
// caller, waits for its result (into out) and answers with it under key.
func (d Deps) runNow(w http.ResponseWriter, r *http.Request, what string, start scheduler.Starter, key string, out any) error {
	if !actor(r).Has(identity.RoleAdmin) {
		return problem(http.StatusForbidden, probForbidden, "only an admin runs the "+what+" by hand")
	}
	at := d.Now().UTC().Truncate(time.Second)
	id, _, err := start(r.Context(), d.Temporal, "manual-"+workflows.SyncBucket(at), actor(r).ID, at)
	if err != nil {
		return err
	}
	if err := d.Temporal.GetWorkflow(r.Context(), id, "").Get(r.Context(), out); err != nil {
		return fmt.Errorf("run %s: %w", id, err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"run": id, "at": at, key: out})
}

// rules returns the shares, thresholds and onboarding terms: for the
// sales team's managers, finance, market managers and admins.
func (h classesAPI) rules(w http.ResponseWriter, r *http.Request) error {
	me := actor(r)
	if !mayReviewClasses(me) && !me.Has(identity.RoleMarketManager, identity.RoleAdmin) {
		return problem(http.StatusForbidden, probForbidden, "the class rules are for sales managers, finance, market managers and admins")
	}
	rules, err := h.DB.ClassRulesGet(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rules)
}

// saveRules replaces the rules (admins), checked whole, audited as
// class.rules.save; the next run applies them.
func (h classesAPI) saveRules(w http.ResponseWriter, r *http.Request) error {
	me, rules, err := bodyFor[database.ClassRules](w, r, hasRole(identity.RoleAdmin), "only an admin changes the class rules")
	if err != nil {
		return err
	}
	if err := rules.Validate(); err != nil {
		return err
	}
	if err := h.saveAudited(r, "class.rules.save", "class_rules", rules, func(ctx context.Context) error {
		return h.DB.ClassRulesSave(ctx, rules, me.ID)
	}); err != nil {
		return err
	}
	return h.rules(w, r)
}

// terms is the terms onboarding proposes for a class (?class=A|B|C), for
// whoever enters customers and those who review them.
func (h classesAPI) terms(w http.ResponseWriter, r *http.Request) error {
	me := actor(r)
	if !mayEnterCustomers(me) && !mayReviewClasses(me) && !me.Has(identity.RoleMarketManager, identity.RoleAdmin) {
		return problem(http.StatusForbidden, probForbidden, "the proposed terms are for who enters and reviews customers")
	}
	class := r.URL.Query().Get("class")
	t, ok, err := h.proposedTerms(r.Context(), class)
	if err != nil {
		return err
	}
	if !ok {
		return problem(http.StatusBadRequest, probInvalidQuery, "unknown value class", deal.FieldError{Field: "class", Message: "want A, B or C"})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"value_class": class, "proposed": t})
}

// proposedTerms are the onboarding terms of class (A, B or C); ok is false
// for no class.
func (d Deps) proposedTerms(ctx context.Context, class string) (database.ClassTerms, bool, error) {
	if class != "A" && class != "B" && class != "C" {
		return database.ClassTerms{}, false, nil
	}
	rules, err := d.DB.ClassRulesGet(ctx)
	if err != nil {
		return database.ClassTerms{}, false, err
	}
	t, ok := rules.Terms[class]
	return t, ok, nil
}

// classView is the customer page's account of a class: held, computed (with
// each factor and threshold in words) and a change awaiting review.
type classView struct {
	Held, Computed, AsOf, Pending string
	Factors, Rules                []classLine
}

type classLine struct{ Name, Value string }

// classLabel is a class with its grade ("A2"), or "—" when not ranked.
func classLabel(class string, grade int) string {
	if class == "" {
		return "—"
	}
	return fmt.Sprintf("%s%d", class, grade)
}

func classViewOf(p i18n.Printer, c database.CustomerClass) *classView {
	v := &classView{Held: classLabel(c.Class, c.Grade)}
	if c.Pending != nil {
		v.Pending = p.T("class_pending", classLabel(c.Pending.OldClass, c.Pending.OldGrade), classLabel(c.Pending.NewClass, c.Pending.NewGrade))
	}
	k := c.Computed
	if k == nil {
		return v
	}
	pct := func(bp int) string { return p.Percent(deal.Percent(bp).String() + "%") }
	rl := k.Rules
	v.Computed, v.AsOf = classLabel(k.Class, k.Grade), k.AsOf
	v.Factors = classFactorLines(p, k.Factors, rl.WindowDays, rl.Currency)
	v.Rules = []classLine{
		{"ABC", p.T("class.rule_abc", pct(rl.AShareBP), pct(rl.BShareBP))},
		{"1", p.T("class.rule_grade", 1, rl.Good.MaxDaysToPay, pct(rl.Good.MinOnTimeBP), rl.Good.MaxOverdueDays)},
		{"2", p.T("class.rule_grade", 2, rl.Fair.MaxDaysToPay, pct(rl.Fair.MinOnTimeBP), rl.Fair.MaxOverdueDays)},
		{"3", p.T("class.rule_grade3")},
	}
	return v
}

// classFactorLines words a class's factors: the revenue of windowDays in
// currency, its share and rank, and the payment factors.
func classFactorLines(p i18n.Printer, f database.ClassFactors, windowDays int, currency string) []classLine {
	pct := func(bp int) string { return p.Percent(deal.Percent(bp).String() + "%") }
	days := func(d *int) string {
		if d == nil {
			return p.T("class.not_graded")
		}
		return p.T("days", *d)
	}
	return []classLine{
		{p.T("class.revenue", windowDays), p.Money(f.Revenue, currency)},
		{p.T("class.share"), pct(f.ShareBP)},
		{p.T("class.before"), pct(f.BeforeBP)},
		{p.T("class.rank"), strconv.Itoa(f.Rank)},
		{p.T("class.days_to_pay"), days(f.DaysToPay)},
		{p.T("class.on_time"), func() string {
			if f.OnTimeBP == nil {
				return p.T("class.not_graded")
			}
			return pct(*f.OnTimeBP)
		}()},
		{p.T("class.longest_overdue"), days(f.LongestOverdue)},
	}
}
