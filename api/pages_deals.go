package api

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
)

// The deal pages: the list with its filters and the pipeline by stage, and
// one deal's page. Both read through the API's functions (DealList,
// deals.find, hideTerms): a deal the API answers 404 for is not on a page.

// dealListView is /deals: a page of deals, the filters, and the pipeline.
type dealListView struct {
	Stage, Owner, Customer, Holder, MinStageDays string
	Stages                                       []deal.Stage
	// AgeOptions are the choices of the age filter, in days.
	AgeOptions []string
	Deals      []deal.Deal
	// Holders are who each listed deal waits on now, by deal ID: the
	// approvers of its open review when it waits on one, else its holder.
	Holders map[string][]string
	// Ages are how many whole days each listed deal has been in its stage.
	Ages map[string]int
	// Next is the cursor of the next page (the last ID of this one).
	Next, After string
	Pipeline    []pipelineStage
	Errors      fieldErrors
}

// Query is the list's filters as a query string, for the pipeline's, the
// pager's and the stages' links (without the stage and the cursor).
func (v *dealListView) Query() template.URL {
	q := url.Values{}
	for k, val := range map[string]string{"owner": v.Owner, "customer": v.Customer, "holder": v.Holder, "min_stage_days": v.MinStageDays} {
		if val != "" {
			q.Set(k, val)
		}
	}
	return template.URL(q.Encode()) // encoded here: the template keeps its & and =
}

// pipelineStage is one stage's deals and expected amounts, per currency.
type pipelineStage struct {
	Stage   deal.Stage
	Deals   int64
	Amounts []stageAmount
}

type stageAmount struct {
	Currency string
	Amount   money.Amount
}

const dealPageSize = 50

func (p pages) dealList(w http.ResponseWriter, r *http.Request, d pageData) {
	d.Title, d.Nav = d.P.T("deals"), "deals"
	q := r.URL.Query()
	v := &dealListView{Stage: q.Get("stage"), Owner: strings.TrimSpace(q.Get("owner")), Customer: strings.TrimSpace(q.Get("customer")),
		Holder: strings.TrimSpace(q.Get("holder")), MinStageDays: strings.TrimSpace(q.Get("min_stage_days")),
		After: q.Get("after"), Stages: deal.Stages, Errors: fieldErrors{}, AgeOptions: []string{"3", "7", "14", "30", "60", "90"}}
	d.View = v
	// The API's filters, read by the API's parser: a filter it refuses is
	// refused here next to its field, and the list shows without it.
	f, bad := dealFilterOf(r, pageViewer(r), p.Now())
	f.Limit = dealPageSize
	status := http.StatusOK
	for _, e := range bad {
		msg := d.P.T("unknown_stage")
		if e.Field == "min_stage_days" {
			msg = d.P.T("bad_stage_days", maxStageDays)
		}
		v.Errors[e.Field], status = msg, http.StatusBadRequest
	}
	// People are named as people know them: the owner and holder filters
	// take a name or a user name, and one that names nobody, or several
	// people, says so next to its field.
	for _, pf := range []struct {
		field string
		val   *string
	}{{"owner", &f.Owner}, {"holder", &f.Holder}} {
		if *pf.val == "" || strings.HasPrefix(*pf.val, "role:") {
			continue
		}
		found, err := p.DB.UsersNamed(r.Context(), *pf.val)
		if err != nil {
			p.failed(w, r, d, err)
			return
		}
		switch {
		case len(found) == 1:
			*pf.val = found[0].ID
			d.P.Names[found[0].ID] = found[0].Name
		case len(found) == 0:
			// As the API answers a filter that names nobody: an empty list,
			// here with why next to the field.
			v.Errors[pf.field] = d.P.T("nobody_named", *pf.val)
		default:
			var who []string
			for _, u := range found {
				who = append(who, u.Name+" ("+u.ID+")")
			}
			v.Errors[pf.field], status, *pf.val = d.P.T("several_named", strings.Join(who, d.P.T("list_sep"))), http.StatusBadRequest, ""
		}
	}
	// The customer, by a part of its name or its code, among those the
	// viewer may see.
	unknownCustomer := false
	if f.Customer != "" {
		found, err := p.DB.CustomerList(r.Context(), database.CustomerFilter{Viewer: f.Viewer, Query: f.Customer, Limit: 7})
		if err != nil {
			p.failed(w, r, d, err)
			return
		}
		exact := slices.IndexFunc(found, func(c database.CustomerView) bool { return strings.EqualFold(c.Code, f.Customer) })
		if exact < 0 { // a whole name among names that hold it ("Bench customer 42", not … 420)
			exact = slices.IndexFunc(found, func(c database.CustomerView) bool { return strings.EqualFold(c.Name, f.Customer) })
		}
		switch {
		case exact >= 0:
			f.Customer = found[exact].Code
		case len(found) == 1:
			// A part of one customer's name or code: the field then shows the
			// code the list is of, so "BC42" is not read as BC42's deals when
			// they are BC4250's.
			f.Customer, v.Customer = found[0].Code, found[0].Code
		case len(found) == 0:
			unknownCustomer = true // taken as a code: the deals may name a customer the list does not show the viewer
		default:
			var which []string
			for _, c := range found[:min(len(found), 6)] {
				which = append(which, c.Name+" ("+c.Code+")")
			}
			v.Errors["customer"], status, f.Customer = d.P.T("several_customers", strings.Join(which, d.P.T("list_sep"))), http.StatusBadRequest, ""
		}
	}
	list, err := p.DB.DealList(r.Context(), f)
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	v.Deals, v.Next = list, nextAfter(list, f.Limit, func(d deal.Deal) string { return d.ID })
	if unknownCustomer && len(list) == 0 && f.After == "" {
		v.Errors["customer"] = d.P.T("no_customer_named", f.Customer) // a filter that finds nothing, as the API's: 200
	}
	totals, err := p.DB.DealPipeline(r.Context(), f)
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	for _, st := range deal.Stages {
		ps := pipelineStage{Stage: st}
		for _, t := range totals {
			if t.Stage == string(st) {
				ps.Deals += t.Deals
				ps.Amounts = append(ps.Amounts, stageAmount{Currency: t.Currency, Amount: money.Amount(t.Amount)})
			}
		}
		v.Pipeline = append(v.Pipeline, ps)
	}
	v.Holders, v.Ages = p.dealHolders(r, list), map[string]int{}
	for _, dl := range list {
		v.Ages[dl.ID] = int(p.Now().Sub(dl.StageEnteredAt) / (24 * time.Hour))
	}
	var ids []string
	for _, dl := range list {
		ids = append(ids, dl.Owners.Sales)
		ids = append(ids, v.Holders[dl.ID]...)
	}
	p.names(r.Context(), &d, ids...)
	p.render(w, status, "deals.html", d)
}

// dealHolders are who each of list waits on now, by deal ID: a deal in
// review waits on its case's approvers, named as people (not "in contract
// review"); any other on its holder.
func (p pages) dealHolders(r *http.Request, list []deal.Deal) map[string][]string {
	var cases []string
	for _, dl := range list {
		if c, ok := strings.CutPrefix(dl.Holder, "approval:"); ok {
			cases = append(cases, c)
		}
	}
	approvers, err := p.DB.CaseHolders(r.Context(), cases)
	if err != nil {
		p.Log.WarnContext(r.Context(), "case holders", "err", err) // the list says "in review" instead
	}
	out := make(map[string][]string, len(list))
	for _, dl := range list {
		c, ok := strings.CutPrefix(dl.Holder, "approval:")
		if hs := approvers[c]; ok && len(hs) > 0 {
			out[dl.ID] = hs
		} else {
			out[dl.ID] = []string{dl.Holder}
		}
	}
	return out
}

// dealView is one deal's page.
type dealPageView struct {
	Deal     deal.Deal
	Timeline []timelineRow
	Waiting  *waitingLine
	Cases    []approval.Case
	Forms    *dealForms
	// Today is the company's date, for the forms' examples.
	Today string
	// Collection is the plan, the dunning and the promises (nil: none).
	Collection *dealCollection
	// KeyActivities are the key-account activities planned on the deal.
	KeyActivities []database.KeyActivity
	// KAMay are the activities' forms the viewer may use.
	KAMay map[int64]kaMay
}

// timelineRow is one thing that happened to a deal: a transition, an
// approval step decided or waiting, a comment.
type timelineRow struct {
	At      time.Time
	Who     string
	What    string // in words already
	Moved   string // "报价 → 合同评审", when the stage changed
	Waited  time.Duration
	HasWait bool
	Comment string
	CaseID  string
	Pending bool
}

// waitingLine says who the deal waits on now: "Li Na (sales manager
// approval), 3.5 working hours, due tomorrow 10:00, then escalates to …".
type waitingLine struct {
	Text    string
	CaseID  string
	Overdue bool
}

// typedReasons are the history entries whose reason a person typed; the
// others are worded by l2c in English and the page says the same in the
// reader's language from the deal's own data.
var typedReasons = []string{string(deal.ActMarkLost), string(deal.ActRecordBid)}

func (p pages) dealPage(w http.ResponseWriter, r *http.Request, d pageData) {
	if done := r.URL.Query().Get("done"); done != "" {
		if _, ok := formOf(deal.ActionName(done)); ok || done == deal.ActOpen {
			d.Notice = d.P.T("done." + done)
		}
	}
	p.showDeal(w, r, http.StatusOK, d, chi.URLParam(r, "id"), nil)
}

// showDeal renders deal id; forms is a refused form's state, or nil.
func (p pages) showDeal(w http.ResponseWriter, r *http.Request, status int, d pageData, id string, forms *dealForms) {
	h := deals{p.Deps}
	dl, err := h.find(r, id)
	if err == nil {
		err = h.hideTerms(r, &dl)
	}
	var history []deal.HistoryEntry
	if err == nil {
		history, err = p.DB.DealHistory(r.Context(), id)
	}
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	d.Title, d.Nav = dl.Title+" · "+dl.ID, "deals"
	v := &dealPageView{Deal: dl, Forms: formsFor(actor(r), dl)}
	if forms != nil {
		forms.Show = v.Forms.Show
		forms.Show[forms.Refused] = true // the refused form stays, with its messages
		v.Forms = forms
	}
	d.View = v
	cal := p.workingCalendar(r.Context())
	now := p.Now()
	ids := []string{dl.Owners.Sales, dl.Owners.Discoverer, dl.Owners.Delivery, dl.Owners.Payment, dl.Holder}
	for i, e := range history {
		row := timelineRow{At: e.At, Who: e.Actor, What: d.P.Action(e.Action)}
		if e.From != "" && e.From != e.To {
			row.Moved = d.P.Stage(e.From) + " → " + d.P.Stage(e.To)
		}
		if i > 0 {
			row.Waited, row.HasWait = cal.Between(history[i-1].At, e.At), true
		}
		if slices.Contains(typedReasons, e.Action) {
			row.Comment = e.Reason
		}
		v.Timeline = append(v.Timeline, row)
		ids = append(ids, e.Actor)
	}
	// Every review of the deal, newest last: its steps and comments.
	var caseIDs []string
	for _, q := range dl.Quotes {
		if q.Review != nil && q.Review.CaseID != "" {
			caseIDs = append(caseIDs, q.Review.CaseID)
		}
	}
	if dl.Contract != nil && dl.Contract.Review.CaseID != "" {
		caseIDs = append(caseIDs, dl.Contract.Review.CaseID)
	}
	if dl.Order != nil && dl.Order.Review.CaseID != "" {
		caseIDs = append(caseIDs, dl.Order.Review.CaseID)
	}
	// A case not recorded yet is left out: the case workflow writes it
	// moments after it starts.
	if v.Cases, err = p.DB.CasesGet(r.Context(), caseIDs); err != nil {
		p.failed(w, r, d, err)
		return
	}
	for _, c := range v.Cases {
		for _, s := range c.Steps {
			ids = append(ids, s.Approver, s.DecidedBy)
			switch s.Status {
			case approval.StepSkipped:
				continue // another approver decided the stage
			case approval.StepPending:
				v.Timeline = append(v.Timeline, timelineRow{At: s.EnteredAt, Who: s.Approver, CaseID: c.ID, Pending: true,
					What: d.P.T("action.step_pending", d.P.Step(s.Stage)), Waited: cal.Between(s.EnteredAt, now), HasWait: true})
			default:
				at, who := s.EnteredAt, s.Approver
				if s.DecidedAt != nil {
					at = *s.DecidedAt
				}
				if s.DecidedBy != "" {
					who = s.DecidedBy
				}
				v.Timeline = append(v.Timeline, timelineRow{At: at, Who: who, CaseID: c.ID, Comment: s.Note,
					What: d.P.T("action.step_"+string(s.Status), d.P.Step(s.Stage)), Waited: cal.Between(s.EnteredAt, at), HasWait: true})
			}
		}
		for _, cm := range c.Comments {
			ids = append(ids, cm.Author)
			v.Timeline = append(v.Timeline, timelineRow{At: cm.At, Who: cm.Author, What: d.P.T("comment"), Comment: cm.Text, CaseID: c.ID})
		}
	}
	if v.KeyActivities, err = p.DB.KeyActivitiesOfDeal(r.Context(), dl.ID); err != nil {
		p.failed(w, r, d, err)
		return
	}
	if v.KAMay, err = p.keyActivityMay(r, v.KeyActivities); err != nil {
		p.failed(w, r, d, err)
		return
	}
	p.names(r.Context(), &d, keyActivityPeople(v.KeyActivities)...) // the timeline words the supporter now
	v.Timeline = append(v.Timeline, keyActivityTimeline(&d, v.KeyActivities)...)
	sort.SliceStable(v.Timeline, func(i, j int) bool { return v.Timeline[i].At.Before(v.Timeline[j].At) })
	if v.Collection, err = p.collectionOf(r, &d, dl); err != nil {
		p.failed(w, r, d, err)
		return
	}
	if done := r.URL.Query().Get("done"); (done == "promise" || done == "ka_support" || done == "ka_outcome") && forms == nil {
		d.Notice = d.P.T("done." + done)
	}
	p.names(r.Context(), &d, ids...)
	v.Waiting = waitingFor(&d, dl, v.Cases, p.waitFactsOf(r, &d, v.Cases))
	p.render(w, status, "deal.html", d)
}

// waitingFor words who the deal waits on now: the holders of its open
// review, or the person (or role) its stage waits on.
func waitingFor(d *pageData, dl deal.Deal, cases []approval.Case, f waitFacts) *waitingLine {
	if dl.Stage.Terminal() {
		return nil
	}
	for i := len(cases) - 1; i >= 0; i-- {
		if w := caseWaiting(d, cases[i], f); w != nil {
			return w
		}
	}
	if dl.Holder == "" {
		return nil
	}
	return &waitingLine{Text: d.P.T("waiting_stage", d.P.Person(dl.Holder), d.P.Stage(dl.Stage),
		d.P.Hours(f.cal.Between(dl.StageEnteredAt, f.now)))}
}

// Invoiced and Paid are the deal's totals so far.
func (v *dealPageView) Invoiced() money.Amount { return v.Deal.Invoiced() }
func (v *dealPageView) Paid() money.Amount     { return v.Deal.Paid() }

// caseWaiting words who an open case waits on: its holders, the stage, how
// long in working hours, when due, and whom it escalates to (f holds the
// holders' managers, and their names are in the printer).
func caseWaiting(d *pageData, c approval.Case, f waitFacts) *waitingLine {
	pending := c.Pending()
	if c.Status != approval.StatusInReview || len(pending) == 0 {
		return nil
	}
	var who, holders []string
	first := pending[0]
	for _, s := range pending {
		who = append(who, d.P.Person(s.Approver))
		holders = append(holders, s.Approver)
		if s.EnteredAt.Before(first.EnteredAt) {
			first = s
		}
	}
	due := d.P.T("no_due")
	if first.DueAt != nil {
		due = d.P.T("due_at", d.P.Time(first.DueAt))
	}
	text := d.P.T("waiting_line", strings.Join(who, d.P.T("list_sep")), d.P.Step(first.Stage),
		d.P.Hours(f.cal.Between(first.EnteredAt, f.now)), due)
	if first.EscalationLevel > 0 {
		text += d.P.T("clause_sep") + d.P.T("escalation_level", first.EscalationLevel)
	}
	// At its due time a step escalates to the holder's manager.
	var up, names []string
	for _, hd := range holders {
		if m := f.managers[hd]; m != "" && !slices.Contains(up, m) {
			up, names = append(up, m), append(names, d.P.Person(m))
		}
	}
	if len(up) > 0 {
		text += d.P.T("then_escalates", strings.Join(names, d.P.T("list_sep")))
	}
	return &waitingLine{Text: text, CaseID: c.ID, Overdue: first.DueAt != nil && f.now.After(*first.DueAt)}
}

// keyActivityTimeline is what key-account activities put on the deal's
// timeline: planned, support assigned, done with the outcome.
func keyActivityTimeline(d *pageData, list []database.KeyActivity) []timelineRow {
	var rows []timelineRow
	for _, k := range list {
		kind := d.P.T("ka_kind." + k.Kind)
		rows = append(rows, timelineRow{At: k.PlannedAt, Who: k.PlannedBy, What: d.P.T("ka_timeline.plan", kind, d.P.Date(k.PlannedOn)), Comment: k.Goal})
		if k.AssignedAt != nil {
			rows = append(rows, timelineRow{At: *k.AssignedAt, Who: k.AssignedBy, What: d.P.T("ka_timeline.support", d.P.Person(k.Supporter)), Comment: k.SupportNote})
		}
		if k.DoneAt != nil {
			rows = append(rows, timelineRow{At: *k.DoneAt, Who: k.DoneBy, What: d.P.T("ka_timeline.outcome", kind), Comment: k.Outcome})
		}
	}
	return rows
}
