package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// The deal page's action forms. A form becomes the JSON body the API takes
// and goes through deals.actOn, the API's own path (decoding, segregation of
// duties, the derived facts, the workflow's rules), so the page refuses what
// the API refuses, with the API's message next to the field it names.

// pageActions are the actions the deal page offers as forms, with the
// fields each form sends.
var pageActions = map[deal.ActionName][]string{
	deal.ActSubmitQuote:    {"sku", "quantity", "unit_price", "discount", "valid_until"},
	deal.ActAcceptQuote:    {},
	deal.ActSubmitContract: {"contract_no", "amount", "payment_terms", "template_id"},
}

// dealForms says which forms the deal page shows, and a refused one's
// messages and what was typed.
type dealForms struct {
	Show    map[string]bool
	Refused string // the refused action
	Error   string
	Errors  fieldErrors
	Values  url.Values
}

// Val is what was typed in field of form action, after a refusal.
func (f *dealForms) Val(action, field string) string {
	if f == nil || f.Refused != action {
		return ""
	}
	return f.Values.Get(field)
}

// Err is the refusal's message for field of form action.
func (f *dealForms) Err(action, field string) string {
	if f == nil || f.Refused != action {
		return ""
	}
	return f.Errors[field]
}

// Msg is the refusal's message that names no field of form action.
func (f *dealForms) Msg(action string) string {
	if f == nil || f.Refused != action {
		return ""
	}
	return f.Error
}

// formsFor offers the forms of the deal's stage to the people who act on it
// there (its sales owner, sales managers and assistants); the API decides.
func formsFor(u identity.User, d deal.Deal) *dealForms {
	f := &dealForms{Show: map[string]bool{}, Errors: fieldErrors{}}
	if u.ID != d.Owners.Sales && !u.Has(identity.RoleSalesManager, identity.RoleSalesAssistant) {
		return f
	}
	q := d.CurrentQuote()
	switch d.Stage {
	case deal.StageOpportunity:
		f.Show[string(deal.ActSubmitQuote)] = true
	case deal.StageQuote:
		f.Show[string(deal.ActSubmitQuote)] = true
		f.Show[string(deal.ActAcceptQuote)] = q != nil && q.Status == deal.QuoteOpen
	case deal.StageContractReview:
		f.Show[string(deal.ActSubmitContract)] = d.Contract == nil || d.Contract.Review.Status != deal.ReviewPending
	}
	return f
}

// lineField turns the API's name of a quote line's field into the form's.
var lineField = regexp.MustCompile(`^lines(\[\d+\])?\.`)

// dealAct takes an action form from the deal page.
func (p pages) dealAct(w http.ResponseWriter, r *http.Request, d pageData) {
	id := chi.URLParam(r, "id")
	name := deal.ActionName(r.PostFormValue("action"))
	fields, ok := pageActions[name]
	if !ok {
		p.failed(w, r, d, problem(http.StatusBadRequest, "unknown_action", "the page offers no such action"))
		return
	}
	body := map[string]any{"action": name}
	line := map[string]any{}
	for _, f := range fields {
		v := strings.TrimSpace(r.PostFormValue(f))
		if v == "" {
			continue
		}
		switch f {
		case "sku", "unit_price":
			line[f] = v
		case "quantity":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				line[f] = n
			} else {
				line[f] = v // not a number: the API's decoding says so, naming the field
			}
		default:
			body[f] = v
		}
	}
	if len(line) > 0 {
		body["lines"] = []any{line}
	}
	raw, err := json.Marshal(body)
	if err == nil {
		api := r.Clone(r.Context())
		api.Body, api.ContentLength = io.NopCloser(bytes.NewReader(raw)), int64(len(raw))
		api.Header = r.Header.Clone()
		api.Header.Set("Content-Type", "application/json")
		api.Header.Del("Idempotency-Key")
		err = deals{p.Deps}.actOn(w, api, id)
	}
	if err != nil {
		pr := asProblem(err, p.Log, r)
		if pr.Status == http.StatusNotFound {
			p.failed(w, r, d, err)
			return
		}
		msg, fe := refusal(pr)
		forms := &dealForms{Refused: string(name), Error: msg, Errors: fieldErrors{}, Values: r.PostForm}
		for f, m := range fe {
			f = lineField.ReplaceAllString(f, "")
			if slices.Contains(fields, f) {
				forms.Errors[f] = m
			} else { // a field the form does not have: said above it
				forms.Error += "; " + f + ": " + m
			}
		}
		if len(forms.Errors) > 0 && msg == "invalid input" {
			forms.Error = strings.TrimPrefix(strings.TrimPrefix(forms.Error, "invalid input"), "; ")
			if forms.Error == "" {
				forms.Error = d.P.T("check_fields")
			}
		}
		p.showDeal(w, r, pr.Status, d, id, forms)
		return
	}
	http.Redirect(w, r, "/deals/"+url.PathEscape(id)+"?done="+string(name), http.StatusSeeOther)
}
