package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/database"
)

// The forms of key-account activities on the deal page and My work: a sales
// manager over the deal's owner names a supporter, the deal's sales owner
// records the outcome. Each form goes through the API's own path
// (assignSupport, recordOutcome), so the page refuses what the API refuses,
// with the API's message next to the field it names.

// kaMay is what the viewer may do with one activity now.
type kaMay struct{ Support, Outcome bool }

// kaForm names activity id's form (support, outcome) in a dealForms' Refused.
func kaForm(id int64, form string) string { return "ka" + strconv.FormatInt(id, 10) + "." + form }

// keyActivityMay says, for each of list, which forms its row offers the
// viewer: the API's own rules (maySupport, mayRecordOutcome).
func (p pages) keyActivityMay(r *http.Request, list ...[]database.KeyActivity) (map[int64]kaMay, error) {
	h, me := keyAccountAPI{p.Deps}, actor(r)
	out := map[int64]kaMay{}
	manages := map[string]bool{} // by owner, asked once
	for _, l := range list {
		for _, k := range l {
			m := kaMay{Outcome: mayRecordOutcome(me, k)}
			if k.DoneAt == nil {
				ok, seen := manages[k.SalesOwner]
				if !seen {
					var err error
					if ok, err = h.maySupport(r.Context(), me, k); err != nil {
						return nil, err
					}
					manages[k.SalesOwner] = ok
				}
				m.Support = ok
			}
			if m.Support || m.Outcome {
				out[k.ID] = m
			}
		}
	}
	return out, nil
}

// keyActivitySubmit takes an activity's support or outcome form: refused,
// the page it came from (the deal's, or My work with from=work) again with
// the messages by the fields and what was typed; done, back to it (PRG).
func (p pages) keyActivitySubmit(form string) func(http.ResponseWriter, *http.Request, pageData) {
	return func(w http.ResponseWriter, r *http.Request, d pageData) {
		h := keyAccountAPI{p.Deps}
		id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if err != nil {
			p.failed(w, r, d, problem(http.StatusNotFound, probNotFound, "no such key-account activity"))
			return
		}
		k, err := h.visibleActivity(r, id)
		if err != nil {
			p.failed(w, r, d, err)
			return
		}
		fields := []string{"note"}
		if form == "support" {
			fields = append(fields, "supporter")
			err = h.assignSupport(r, id, supportRequest{Supporter: r.PostFormValue("supporter"), Note: r.PostFormValue("note")})
		} else {
			err = h.recordOutcome(r, id, outcomeRequest{Note: r.PostFormValue("note")})
		}
		fromWork := r.PostFormValue("from") == "work"
		back := "/deals/" + url.PathEscape(k.DealID) + "?done=ka_" + form + "#h-key-activities"
		if fromWork {
			back = "/?done=ka_" + form + "#h-key-activities"
		}
		if err == nil {
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		pr := asProblem(err, p.Log, r)
		if pr.Status == http.StatusNotFound || pr.Status == http.StatusForbidden {
			p.failed(w, r, d, err)
			return
		}
		msg, fe := d.refused(pr)
		forms := &dealForms{Refused: kaForm(id, form), Error: msg, Errors: fieldErrors{}, Values: r.PostForm}
		for f, m := range fe {
			if f == "note" || f == "supporter" && form == "support" {
				forms.Errors[f] = m
			} else {
				forms.Error += " " + d.P.Field(f) + d.P.T("colon") + m
			}
		}
		if fromWork {
			d.Here = "/"
			p.showWork(w, r, pr.Status, d, forms)
			return
		}
		d.Here = "/deals/" + k.DealID
		p.showDeal(w, r, pr.Status, d, k.DealID, forms)
	}
}
