package api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/l2c/l2c/internal/database"
)

// The value-class review page (/classes/review): the pending class changes
// the viewer may decide — sales managers and finance, never on a customer
// they own — each with the factors that made it, and its approve and reject
// form. A decision goes through the API's own path (classesAPI.decideAs), so
// the page refuses what the API refuses, with its message by the row.

const classReviewPageSize = 100

// classReviewView is the page: its rows, the next page's cursor, a refused
// form's state (Refused names "class<ID>").
type classReviewView struct {
	Rows  []classReviewRow
	Next  string
	Forms *dealForms
}

// classReviewRow is one proposal with its change and factors in words.
type classReviewRow struct {
	database.ClassProposal
	From, To string
	Factors  []classLine
}

// classForm names proposal id's form in a dealForms' Refused.
func classForm(id int64) string { return "class" + strconv.FormatInt(id, 10) }

func (p pages) classReview(w http.ResponseWriter, r *http.Request, d pageData) {
	if done := r.URL.Query().Get("done"); done == "class_approved" || done == "class_rejected" {
		d.Notice = d.P.T("done." + done)
	}
	p.showClassReview(w, r, http.StatusOK, d, nil)
}

// showClassReview renders the review page; forms is a refused form's state, or nil.
func (p pages) showClassReview(w http.ResponseWriter, r *http.Request, status int, d pageData, forms *dealForms) {
	d.Title, d.Nav, d.Here = d.P.T("class_review"), "customers", "/classes/review"
	if !mayReviewClasses(actor(r)) {
		p.failed(w, r, d, problem(http.StatusForbidden, probForbidden, "class changes are reviewed by a sales manager or finance"))
		return
	}
	var after int64
	if a := r.URL.Query().Get("after"); a != "" {
		after, _ = strconv.ParseInt(a, 10, 64) // a bad cursor is the first page
	}
	list, err := p.DB.ClassProposalsToReview(r.Context(), pageViewer(r), after, classReviewPageSize)
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	rules, err := p.DB.ClassRulesGet(r.Context())
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	if forms == nil {
		forms = &dealForms{}
	}
	v := &classReviewView{Forms: forms}
	var ids []string
	for _, c := range list {
		v.Rows = append(v.Rows, classReviewRow{ClassProposal: c, From: classLabel(c.OldClass, c.OldGrade),
			To: classLabel(c.NewClass, c.NewGrade), Factors: classFactorLines(d.P, c.Factors, rules.WindowDays, rules.Currency)})
		ids = append(ids, c.SalesOwner)
	}
	if forms.Error != "" && !slices.ContainsFunc(list, func(c database.ClassProposal) bool { return classForm(c.ID) == forms.Refused }) {
		d.Error = forms.Error // a proposal the list does not hold (own, not seen, decided): said above it
	}
	if len(list) == classReviewPageSize {
		v.Next = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	p.names(r.Context(), &d, ids...)
	d.View = v
	p.render(w, status, "classreview.html", d)
}

// classReviewDecide takes one row's form: approve or reject (with a note).
// Refused, the page again with the API's message by the row (or above the
// list, for a proposal the list does not hold); decided, back to it (PRG).
func (p pages) classReviewDecide(w http.ResponseWriter, r *http.Request, d pageData) {
	me := actor(r)
	if !mayReviewClasses(me) {
		p.failed(w, r, d, problem(http.StatusForbidden, probForbidden, "class changes are reviewed by a sales manager or finance"))
		return
	}
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	req := classDecideRequest{Note: r.PostFormValue("note")}
	if id > 0 {
		req.IDs = []int64{id}
	}
	switch r.PostFormValue("approve") {
	case "true":
		req.Approve = new(bool)
		*req.Approve = true
	case "false":
		req.Approve = new(bool)
	}
	_, err := classesAPI{p.Deps}.decideAs(r, me, req)
	if err == nil {
		done := "class_rejected"
		if *req.Approve {
			done = "class_approved"
		}
		http.Redirect(w, r, "/classes/review?done="+done, http.StatusSeeOther)
		return
	}
	pr := asProblem(err, p.Log, r)
	msg, fe := d.refused(pr)
	forms := &dealForms{Refused: classForm(id), Error: msg, Errors: fieldErrors{}, Values: r.PostForm}
	for f, m := range fe {
		if f == "note" {
			forms.Errors[f] = m
		} else if f != "ids" || pr.Status == http.StatusUnprocessableEntity {
			forms.Error += " " + m
		}
	}
	p.showClassReview(w, r, pr.Status, d, forms)
}
