package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/i18n"
	"github.com/l2c/l2c/workflows"
)

// The approval pages: the inbox, a case's page and the stuck board. An
// approver decides with what is reviewed in front of them: the amount, the
// customer, the discount against the customer's minimum, the payment terms
// against the customer's standard terms, and what changed since the last
// round. Decisions go through approvals.decideOn, as the API's do.

// subjectLine is one reviewed field as the page shows it.
type subjectLine struct {
	Name   string // the field, for its label
	Value  string
	Before string // the value in the previous round, or before a terms change; "" when unchanged
	// Against is what the value is held against (the customer's standard
	// terms, their minimum discount), already in words.
	Against string
	// Flag marks a value that is why the review is needed.
	Flag bool
}

// caseCard is a case as an approver sees it.
type caseCard struct {
	Case     approval.Case
	Step     *database.OpenStep // the step this card decides, on the inbox
	Request  string             // what it is about: the deal and customer, or the customer
	Customer string
	// CustomerCode links the customer's page, when the case's deal names one.
	CustomerCode string
	Subject      []subjectLine
	// Pending are the open steps, with how long each has waited in working time.
	Pending []pendingStep
	// Waiting says who the case waits on now, in words.
	Waiting *waitingLine
	// Chain is every step, oldest first.
	Chain []chainStep
	// MayDecide: the viewer holds a pending step (themselves or for someone away).
	MayDecide  bool
	OnBehalfOf string
	// A refused comment: the message, by field, and what was typed.
	CommentError  string
	CommentErrors fieldErrors
	CommentText   string
	// MayDelegate: the viewer holds a pending step themselves, which they
	// may hand to a colleague. A refused hand-over: its message, by field,
	// and what was typed.
	MayDelegate    bool
	DelegateError  string
	DelegateErrors fieldErrors
	DelegateTo     string
	DelegateNote   string
	// Waited and Overdue are those of Step, on the inbox.
	Waited  time.Duration
	Overdue bool
	// A refused decision: the message, by field, and what was typed.
	Error  string
	Errors fieldErrors
	Note   string
}

// Decided is the chain so far: the steps decided, in order (the steps
// another approver's decision skipped are left out).
func (c caseCard) Decided() []chainStep {
	var out []chainStep
	for _, s := range c.Chain {
		if s.Status != approval.StepPending && s.Status != approval.StepSkipped {
			out = append(out, s)
		}
	}
	return out
}

type pendingStep struct {
	approval.Step
	Waited  time.Duration
	Overdue bool
}

type chainStep struct {
	approval.Step
	Waited time.Duration
}

// cardFacts is what the case cards of one page need from the database, read
// once for all of them: a page of 200 cards costs a handful of queries, not
// a dozen per card.
type cardFacts struct {
	waitFacts
	away  []string                         // who has delegated to the viewer now
	deals map[string]database.DealHeading  // the cases' deals
	terms map[string]database.DealCustomer // the standard terms the viewer may see, by customer code
}

// waitFacts is what the line "now waiting for …" of a page's cases needs.
type waitFacts struct {
	cal *calendar.Calendar
	now time.Time
	// managers are whom the pending approvers' steps escalate to: each one's
	// manager, or the first enabled one up.
	managers map[string]string
}

// waitFactsOf reads the calendar and the managers of cases' pending
// approvers, and puts the names of everyone the cases show in the printer.
func (p pages) waitFactsOf(r *http.Request, d *pageData, cases []approval.Case) waitFacts {
	f := waitFacts{cal: p.workingCalendar(r.Context()), now: p.Now(), managers: map[string]string{}}
	var ids, pending []string
	for _, c := range cases {
		ids = append(ids, c.Requester)
		for _, s := range c.Steps {
			ids = append(ids, s.Approver, s.DecidedBy, s.OnBehalfOf)
			if s.Status == approval.StepPending && c.Status == approval.StatusInReview && !slices.Contains(pending, s.Approver) {
				pending = append(pending, s.Approver)
			}
		}
		for _, cm := range c.Comments {
			ids = append(ids, cm.Author)
		}
	}
	if len(pending) > 0 {
		// whom escalation climbs to: a disabled manager is passed over
		m, err := p.DB.EscalationTargets(r.Context(), pending, nil, 16)
		if err != nil {
			p.Log.WarnContext(r.Context(), "managers", "err", err) // the line says no more than the holders
		} else {
			f.managers = m
		}
		for _, u := range m {
			ids = append(ids, u)
		}
	}
	p.names(r.Context(), d, ids...)
	return f
}

// cardFactsOf reads what the cards of cases need: waitFactsOf's, the cases'
// deals, their customers' standard terms where the viewer may see them
// (by the same rule as the customer's page), and who is away for the viewer.
func (p pages) cardFactsOf(r *http.Request, d *pageData, cases []approval.Case, away []string) cardFacts {
	ctx := r.Context()
	f := cardFacts{waitFacts: p.waitFactsOf(r, d, cases), away: away,
		deals: map[string]database.DealHeading{}, terms: map[string]database.DealCustomer{}}
	var dealIDs, codes []string
	for _, c := range cases {
		if c.DealID != "" && !slices.Contains(dealIDs, c.DealID) {
			dealIDs = append(dealIDs, c.DealID)
		}
	}
	if len(dealIDs) > 0 {
		var err error
		if f.deals, err = p.DB.DealHeadings(ctx, dealIDs); err != nil {
			p.Log.WarnContext(ctx, "deal headings", "err", err) // the cards say what the cases say
			f.deals = map[string]database.DealHeading{}
		}
	}
	for _, h := range f.deals {
		if h.CustomerCode != "" && !slices.Contains(codes, h.CustomerCode) {
			codes = append(codes, h.CustomerCode)
		}
	}
	if len(codes) > 0 {
		var err error
		if f.terms, err = p.DB.CustomerTermsVisibleOf(ctx, codes, pageViewer(r)); err != nil {
			p.Log.WarnContext(ctx, "customer terms", "err", err) // shown without the customer's standard
			f.terms = map[string]database.DealCustomer{}
		}
	}
	return f
}

// cardOf builds the card of case c for the page's viewer from what
// cardFactsOf read.
func (p pages) cardOf(r *http.Request, d *pageData, c approval.Case, f cardFacts) caseCard {
	now := f.now
	cal := f.cal
	card := caseCard{Case: c, Request: caseRequest(string(c.Kind), c.Title), Errors: fieldErrors{}}
	var terms *database.DealCustomer
	if h, ok := f.deals[c.DealID]; ok && c.DealID != "" {
		card.Request, card.Customer, card.CustomerCode = h.Title, h.Customer, h.CustomerCode
		if t, ok := f.terms[h.CustomerCode]; ok {
			terms = &t
		}
	}
	prev := map[string]string{}
	for _, f := range c.PreviousSubject {
		prev[f.Name] = f.Value
	}
	for _, f := range c.Subject {
		line := subjectLine{Name: f.Name, Value: p.subjectValue(d.P, f.Name, f.Value)}
		if before, after, ok := strings.Cut(f.Value, " → "); ok { // a terms change names both
			line.Before, line.Value = p.subjectValue(d.P, f.Name, before), p.subjectValue(d.P, f.Name, after)
		} else if old, ok := prev[f.Name]; ok && old != f.Value {
			line.Before = p.subjectValue(d.P, f.Name, old)
		}
		switch f.Name {
		case "customer":
			if card.Customer == "" {
				card.Customer = f.Value
			}
		case "payment_terms":
			if c.Kind == approval.KindContractReview {
				line.Flag = c.Facts.NonstandardPaymentTerms
				if terms != nil {
					std := terms.PaymentTerms
					if std == "" {
						std = d.P.T("none")
					}
					line.Against = d.P.T("customer_terms", std)
				} else if line.Flag {
					line.Against = d.P.T("nonstandard")
				}
			}
		case "discount":
			line.Flag = c.Facts.DiscountBelowMinimum
			for _, g := range c.Subject {
				if g.Name == "customer_minimum" && g.Value != "" {
					line.Against = d.P.T("customer_min", d.P.Percent(g.Value))
				}
			}
		case "effective_discount":
			line.Flag = c.Facts.DiscountBelowMinimum
			if terms != nil && terms.MinDiscountBP != nil {
				line.Against = d.P.T("customer_min", d.P.Percent(deal.Percent(*terms.MinDiscountBP).String()+"%"))
			}
		case "template":
			line.Flag = c.Facts.NonTemplateContract
		}
		card.Subject = append(card.Subject, line)
	}
	if c.Kind == approval.KindTermsChange && card.Customer != "" {
		card.Request = card.Customer
	}
	me, away := actor(r).ID, f.away
	for _, s := range c.Steps {
		end := now
		if s.DecidedAt != nil {
			end = *s.DecidedAt
		}
		card.Chain = append(card.Chain, chainStep{Step: s, Waited: cal.Between(s.EnteredAt, end)})
		if s.Status == approval.StepPending {
			card.Pending = append(card.Pending, pendingStep{Step: s, Waited: cal.Between(s.EnteredAt, now),
				Overdue: s.DueAt != nil && now.After(*s.DueAt)})
			if s.Approver == me {
				card.MayDecide, card.MayDelegate = true, true
			} else if slices.Contains(away, s.Approver) && !card.MayDecide {
				card.MayDecide, card.OnBehalfOf = true, s.Approver
			}
		}
	}
	card.Waiting = caseWaiting(d, c, f.waitFacts)
	return card
}

// subjectValue formats one reviewed value by what the field holds.
func (p pages) subjectValue(pr i18n.Printer, field, v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "(none)" || v == "":
		return pr.T("none")
	case field == "amount" || field == "quote_total" || field == "net_total" || field == "credit_limit":
		return pr.MoneyText(v)
	case strings.HasSuffix(v, "%"):
		return pr.Percent(v)
	case field == "template" || field == "kind":
		return pr.T("value." + v)
	}
	return v
}

// inboxView is the inbox: a card per step waiting on the viewer.
type inboxView struct{ Cards []caseCard }

func (p pages) inbox(w http.ResponseWriter, r *http.Request, d pageData) {
	// After a decision the browser comes back here (post/redirect/get, so a
	// reload does not send the form again) and is told what it did.
	if done, cs := r.URL.Query().Get("done"), r.URL.Query().Get("case"); done == "approved" || done == "rejected" {
		d.Notice = d.P.T(done+"_notice", caseRef(d.P, cs))
	}
	p.showInbox(w, r, http.StatusOK, d, nil)
}

// showInbox renders the inbox; refused is the card of a refused decision, to
// show its messages next to its fields.
func (p pages) showInbox(w http.ResponseWriter, r *http.Request, status int, d pageData, refused *caseCard) {
	me := actor(r)
	d.Title, d.Nav = d.P.T("inbox"), "inbox"
	away, err := p.DB.DelegatorsOf(r.Context(), me.ID, p.Now())
	var steps []database.OpenStep
	if err == nil {
		steps, err = p.DB.Inbox(r.Context(), me.ID, away, 200)
	}
	if err != nil {
		p.Log.ErrorContext(r.Context(), "inbox page", "err", err)
		p.message(w, http.StatusServiceUnavailable, d, d.P.T("inbox"), d.P.T("unavailable"))
		return
	}
	v := &inboxView{}
	// Every card's case, deal, terms and people, read for all cards at once.
	ids := make([]string, len(steps))
	for i, st := range steps {
		ids[i] = st.CaseID
	}
	cases, err := p.DB.CasesGet(r.Context(), ids)
	if err != nil {
		p.Log.ErrorContext(r.Context(), "inbox cases", "err", err)
		p.message(w, http.StatusServiceUnavailable, d, d.P.T("inbox"), d.P.T("unavailable"))
		return
	}
	byID := make(map[string]approval.Case, len(cases))
	for _, c := range cases {
		byID[c.ID] = c
	}
	facts := p.cardFactsOf(r, &d, cases, away)
	for i := range steps {
		c, ok := byID[steps[i].CaseID]
		if !ok {
			continue // not recorded yet: the case workflow writes it moments after it starts
		}
		card := p.cardOf(r, &d, c, facts)
		card.Step = &steps[i]
		card.OnBehalfOf = steps[i].OnBehalfOf
		for _, ps := range card.Pending {
			if ps.ID == steps[i].StepID {
				card.Waited, card.Overdue = ps.Waited, ps.Overdue
			}
		}
		if refused != nil && refused.Case.ID == c.ID {
			card.Error, card.Errors, card.Note = refused.Error, refused.Errors, refused.Note
			refused = nil
		}
		v.Cards = append(v.Cards, card)
	}
	if refused != nil { // its step is no longer here (decided already, say): the reason goes on top
		d.Error = refused.Error
		for f, m := range refused.Errors {
			d.Error += "; " + d.P.Field(f) + ": " + m
		}
	}
	d.View = v
	p.render(w, status, "inbox.html", d)
}

// decide takes an approve/reject form from the inbox or a case's page and
// goes through the same checks as the API: who may see the case, who holds
// the step, the workflow's own validation. A refusal comes back to the
// same page with the API's message next to the field it names.
func (p pages) decide(w http.ResponseWriter, r *http.Request, d pageData) {
	h := approvals{p.Deps}
	id := chi.URLParam(r, "id")
	fromCase := id != ""
	if !fromCase {
		id = r.PostFormValue("case")
	}
	c, err := h.findCase(r, id) // first: who may not see the case learns nothing else
	approve := r.PostFormValue("approve") == "true"
	note := r.PostFormValue("note")
	if err == nil {
		req := decideRequest{Note: note, OnBehalfOf: r.PostFormValue("on_behalf_of")}
		if v := r.PostFormValue("approve"); v == "true" || v == "false" {
			req.Approve = &approve
		}
		_, err = h.decideOn(r, c, req)
	}
	if err != nil {
		pr := asProblem(err, p.Log, r)
		if pr.Status == http.StatusNotFound || c.ID == "" {
			p.failed(w, r, d, err)
			return
		}
		msg, fe := d.refused(pr)
		refused := &caseCard{Case: c, Error: msg, Errors: fe, Note: note}
		if fromCase {
			p.showCase(w, r, pr.Status, d, c, refused)
			return
		}
		p.showInbox(w, r, pr.Status, d, refused)
		return
	}
	done := "approved"
	if !approve {
		done = "rejected"
	}
	if fromCase {
		http.Redirect(w, r, "/approvals/"+url.PathEscape(c.ID)+"?done="+done, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/inbox?done="+done+"&case="+url.QueryEscape(c.ID), http.StatusSeeOther)
}

// caseForm runs a form posted on a case's page: act does it the API's way;
// a refusal comes back to the case with its messages, placed by refused,
// next to the fields; else the browser goes back to the case, told done.
func (p pages) caseForm(w http.ResponseWriter, r *http.Request, d pageData, done string,
	act func(h approvals, c approval.Case) error, refused func(c approval.Case, msg string, fe fieldErrors) *caseCard) {
	h := approvals{p.Deps}
	c, err := h.findCase(r, chi.URLParam(r, "id"))
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	if err := act(h, c); err != nil {
		pr := asProblem(err, p.Log, r)
		msg, fe := d.refused(pr)
		p.showCase(w, r, pr.Status, d, c, refused(c, msg, fe))
		return
	}
	http.Redirect(w, r, "/approvals/"+url.PathEscape(c.ID)+"?done="+done, http.StatusSeeOther)
}

// caseComment adds a comment from a case's page, through approvals.send
// as the API's comment does: the workflow says who may comment and what.
func (p pages) caseComment(w http.ResponseWriter, r *http.Request, d pageData) {
	text := r.PostFormValue("text")
	p.caseForm(w, r, d, "commented", func(h approvals, c approval.Case) error {
		_, err := h.send(r, c, workflows.ApprovalCommentUpdate, workflows.CommentInput{Actor: actor(r), Text: text})
		return err
	}, func(c approval.Case, msg string, fe fieldErrors) *caseCard {
		return &caseCard{Case: c, CommentError: msg, CommentErrors: fe, CommentText: text}
	})
}

// caseDelegate hands the viewer's step of a case to a colleague, from the
// case's page, through approvals.delegateOn as the API's delegate does.
func (p pages) caseDelegate(w http.ResponseWriter, r *http.Request, d pageData) {
	to, note := strings.TrimSpace(r.PostFormValue("to")), r.PostFormValue("note")
	p.caseForm(w, r, d, "delegated", func(h approvals, c approval.Case) error {
		// A colleague by name or user name, as the page asks for them.
		id, err := p.personNamed(r, &d, "to", to)
		if err != nil {
			return err
		}
		_, err = h.delegateOn(r, c, id, note)
		return err
	}, func(c approval.Case, msg string, fe fieldErrors) *caseCard {
		return &caseCard{Case: c, DelegateError: msg, DelegateErrors: fe, DelegateTo: to, DelegateNote: note}
	})
}

// casePage is one case: what is reviewed, the chain so far, the comments,
// and the decision form for whoever holds a step.
func (p pages) casePage(w http.ResponseWriter, r *http.Request, d pageData) {
	c, err := approvals{p.Deps}.findCase(r, chi.URLParam(r, "id"))
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	if done := r.URL.Query().Get("done"); done == "approved" || done == "rejected" {
		d.Notice = d.P.T(done+"_notice", caseRef(d.P, c.ID))
	} else if done == "commented" {
		d.Notice = d.P.T("commented_notice")
	} else if done == "delegated" {
		d.Notice = d.P.T("delegated_notice")
	}
	p.showCase(w, r, http.StatusOK, d, c, nil)
}

func (p pages) showCase(w http.ResponseWriter, r *http.Request, status int, d pageData, c approval.Case, refused *caseCard) {
	if refused != nil { // re-read: the refusal changed nothing, but show the case as it stands
		if now, err := p.DB.CaseGet(r.Context(), c.ID); err == nil {
			c = now
		}
	}
	away, err := p.DB.DelegatorsOf(r.Context(), actor(r).ID, p.Now())
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	card := p.cardOf(r, &d, c, p.cardFactsOf(r, &d, []approval.Case{c}, away))
	if refused != nil {
		card.Error, card.Errors, card.Note = refused.Error, refused.Errors, refused.Note
		card.CommentError, card.CommentErrors, card.CommentText = refused.CommentError, refused.CommentErrors, refused.CommentText
		card.DelegateError, card.DelegateErrors = refused.DelegateError, refused.DelegateErrors
		card.DelegateTo, card.DelegateNote = refused.DelegateTo, refused.DelegateNote
	}
	if card.CommentErrors == nil {
		card.CommentErrors = fieldErrors{}
	}
	if card.DelegateErrors == nil {
		card.DelegateErrors = fieldErrors{}
	}
	if !card.MayDelegate && card.DelegateError != "" { // no form to show it on: above the case
		d.Error = card.DelegateError
	}
	d.Title, d.Nav = caseRef(d.P, c.ID), "inbox"
	d.View = &card
	p.render(w, status, "case.html", d)
}

// stuckView is the stuck board: every open step the viewer may see, most
// overdue first, with the API's filters.
type stuckView struct {
	Kind, Team, Owner, Holder, MinAge string
	Kinds                             []approval.Kind
	Rows                              []pendingRow
	Errors                            fieldErrors
	// Chart is where reviews lose their time: each stage's average and P90.
	Chart []stageBar
	// ChartHeight is the picture's height in pixels.
	ChartHeight int
}

// stageBar is one stage of the chart, its bars' lengths in pixels.
type stageBar struct {
	database.StageTime
	Y, AvgWidth, P90Width int
}

// chartWidth is the length of the longest bar; the picture is 400 pixels
// wide, each stage's name on a line above its bars and the figures after
// them, so it reads at a phone's width without shrinking.
const chartWidth = 250

// stageBars lays out the chart: one row of two bars per stage, scaled to the
// longest bar. The figures are working hours from entry to decision on the
// company calendar, as the stage-times API reports them.
func stageBars(times []database.StageTime) ([]stageBar, int) {
	top := 1.0 // an hour at least, so a few minutes draw as a sliver
	for _, t := range times {
		top = max(top, t.P90Hours, t.AvgHours)
	}
	out := make([]stageBar, len(times))
	for i, t := range times {
		out[i] = stageBar{StageTime: t, Y: 4 + i*80}
		if top > 0 {
			out[i].AvgWidth = int(t.AvgHours / top * chartWidth)
			out[i].P90Width = int(t.P90Hours / top * chartWidth)
		}
	}
	return out, 8 + len(times)*80
}

// pendingRow is an open step with its waiting time in working hours.
type pendingRow struct {
	database.OpenStep
	Waited  time.Duration
	Overdue bool
	Request string
	// Holders are everyone who holds the stage, when rows are grouped by case.
	Holders []string
}

// byCase folds the rows of one stage of one case into one, holding all its
// holders: a requester asks "who has it", not which of three copies.
func byCase(rows []pendingRow) []pendingRow {
	var out []pendingRow
	at := map[string]int{}
	for _, r := range rows {
		key := r.CaseID + "/" + r.Stage
		if i, ok := at[key]; ok {
			out[i].Holders = append(out[i].Holders, r.Holder)
			if r.Escalated > out[i].Escalated {
				out[i].Escalated = r.Escalated
			}
			continue
		}
		r.Holders = []string{r.Holder}
		at[key] = len(out)
		out = append(out, r)
	}
	return out
}

func (p pages) pendingRows(r *http.Request, d *pageData, steps []database.OpenStep) []pendingRow {
	cal := p.workingCalendar(r.Context())
	now := p.Now()
	out := make([]pendingRow, len(steps))
	var ids, dealIDs []string
	for _, s := range steps {
		if s.DealID != "" {
			dealIDs = append(dealIDs, s.DealID)
		}
	}
	// A case's title is worded by the workflow in English; the page says
	// what it is about from the deal itself.
	headings := map[string]database.DealHeading{}
	if len(dealIDs) > 0 {
		var err error
		if headings, err = p.DB.DealHeadings(r.Context(), dealIDs); err != nil {
			p.Log.WarnContext(r.Context(), "deal headings", "err", err)
		}
	}
	for i, s := range steps {
		out[i] = pendingRow{OpenStep: s, Waited: cal.Between(s.EnteredAt, now), Overdue: s.DueAt != nil && now.After(*s.DueAt),
			Request: caseRequest(s.Kind, s.Title)}
		if h, ok := headings[s.DealID]; ok {
			out[i].Request = h.Title + " · " + h.Customer
		}
		ids = append(ids, s.Holder, s.Requester, s.OnBehalfOf)
	}
	p.names(r.Context(), d, ids...)
	return out
}

// caseRequest is a case's title without the words the workflow puts around
// its subject ("contract_review: …", "Terms of …"): the page names the kind itself.
func caseRequest(kind, title string) string {
	return strings.TrimPrefix(strings.TrimPrefix(title, kind+": "), "Terms of ")
}

func (p pages) stuckBoard(w http.ResponseWriter, r *http.Request, d pageData) {
	d.Title, d.Nav = d.P.T("stuck"), "stuck"
	q := r.URL.Query()
	v := &stuckView{Kind: q.Get("kind"), Team: q.Get("team"), Owner: q.Get("owner"), Holder: q.Get("holder"),
		MinAge: q.Get("min_age_hours"), Kinds: approval.Kinds, Errors: fieldErrors{}}
	d.View = v
	h := approvals{p.Deps}
	f, err := h.stuckFilter(r)
	var steps []database.OpenStep
	if err == nil {
		steps, err = h.DB.Stuck(r.Context(), f)
	}
	if err == nil {
		v.Rows = p.pendingRows(r, &d, steps)
	}
	p.renderFiltered(w, r, d, "stuck.html", &v.Errors, err)
}

// stuckChart is the stuck board's chart, a picture of its own
// (/approvals/stuck/chart.svg): the same figures as GET
// /api/v1/approvals/stage-times, for the same viewers. Summing every decided
// step takes seconds on a million of them, so the board does not wait for
// it: the browser shows the board at once and the picture when it comes.
func (p pages) stuckChart(w http.ResponseWriter, r *http.Request, d pageData) {
	h := approvals{p.Deps}
	f, err := h.stuckFilter(r) // overseers only, as the board
	var times []database.StageTime
	if err == nil {
		times, err = h.DB.StageTimes(r.Context(), f.Kind, pageViewer(r), p.Now())
	}
	if err != nil {
		pr := asProblem(err, p.Log, r)
		http.Error(w, pr.Detail, pr.Status)
		return
	}
	v := &stuckView{}
	v.Chart, v.ChartHeight = stageBars(times)
	v.ChartHeight = max(v.ChartHeight, 32) // room for "nothing decided yet"
	d.View = v
	w.Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=60")
	if err := pageTemplates.ExecuteTemplate(w, "chart.svg", d); err != nil {
		p.Log.Error("render chart", "err", err)
	}
}
