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

// formField is one field of an action's form: its name (the API's), the
// keyboard a phone shows for it, a hint (a catalogue key), and its kind of
// input: "" is a text box, "checkbox" a box to tick (sent as true), "select"
// a choice among Options (each worded as value.<option>), "person" a text
// box for a name or a user name (sent as the user's ID).
type formField struct {
	Name, Mode, Hint, Type string
	Options                []string
}

// pageForm is an action the deal page offers as a form, with its fields.
type pageForm struct {
	Action deal.ActionName
	Fields []formField
}

// pageForms are the deal page's forms, in pipeline order: every action a
// person takes on a deal (the reviews' decisions are on the case's page).
var pageForms = []pageForm{
	{deal.ActAcceptQuote, nil},
	{deal.ActSubmitQuote, []formField{{Name: "sku"}, {Name: "quantity", Mode: "numeric"}, {Name: "unit_price", Mode: "decimal"},
		{Name: "discount", Mode: "decimal", Hint: "hint.discount"}, {Name: "valid_until", Hint: "hint.date"}}},
	{deal.ActRecordBid, []formField{{Name: "result", Type: "select", Options: []string{string(deal.BidWon), string(deal.BidLost)}},
		{Name: "bid_no"}, {Name: "reason"}}},
	{deal.ActSubmitContract, []formField{{Name: "contract_no"}, {Name: "amount", Mode: "decimal"}, {Name: "payment_terms"}, {Name: "template_id"}}},
	{deal.ActAssignOwners, []formField{{Name: "delivery_owner", Hint: "hint.person", Type: "person"}, {Name: "payment_owner", Hint: "hint.person", Type: "person"}}},
	{deal.ActPlaceOrder, []formField{{Name: "kind", Type: "select", Options: []string{string(deal.OrderStock), string(deal.OrderCustom)}},
		{Name: "delivery_due", Hint: "hint.date"}, {Name: "erp_order_no"}}},
	{deal.ActResendOrder, []formField{{Name: "reason", Hint: "hint.optional"}}},
	{deal.ActRecordShipment, []formField{{Name: "shipment_no"}, {Name: "shipped_on", Hint: "hint.date"}, {Name: "carrier"},
		{Name: "final", Type: "checkbox"}}},
	{deal.ActRecordInvoice, []formField{{Name: "invoice_no"}, {Name: "amount", Mode: "decimal"}, {Name: "issued_on", Hint: "hint.date"},
		{Name: "due_on", Hint: "hint.date"}}},
	{deal.ActRecordPayment, []formField{{Name: "payment_ref"}, {Name: "amount", Mode: "decimal"}, {Name: "received_on", Hint: "hint.date"},
		{Name: "invoice_no", Hint: "hint.optional"}}},
	{deal.ActMarkLost, []formField{{Name: "reason"}}},
	{deal.ActSetForecast, []formField{{Name: "commit_category", Type: "select", Options: deal.CommitCategories},
		{Name: "expected_order_month", Hint: "hint.month"}}},
}

// apiRequest is the page's request r as the API's handler reads it: body as
// JSON, the session's user in the context, no idempotency key.
func apiRequest(r *http.Request, body any) (*http.Request, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	api := r.Clone(r.Context())
	api.Body, api.ContentLength = io.NopCloser(bytes.NewReader(raw)), int64(len(raw))
	api.Header = r.Header.Clone()
	api.Header.Set("Content-Type", "application/json")
	api.Header.Del("Idempotency-Key")
	return api, nil
}

// formOf is the page's form of action.
func formOf(action deal.ActionName) (pageForm, bool) {
	for _, f := range pageForms {
		if f.Action == action {
			return f, true
		}
	}
	return pageForm{}, false
}

// quoteLine are the fields of submit_quote that make its one quote line.
var quoteLine = []string{"sku", "quantity", "unit_price"}

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

// List is the forms to show, in pipeline order.
func (f *dealForms) List() []pageForm {
	var out []pageForm
	for _, pf := range pageForms {
		if f.Show[string(pf.Action)] {
			out = append(out, pf)
		}
	}
	return out
}

// formsFor offers the forms of the actions u may take on d now, by the
// registry's own rules (the stages, who may, the segregation of duties), so
// a page offers nobody a form the API would refuse them for who they are.
// What they type is the API's to judge.
func formsFor(u identity.User, d deal.Deal) *dealForms {
	f := &dealForms{Show: map[string]bool{}, Errors: fieldErrors{}}
	q := d.CurrentQuote()
	for _, pf := range pageForms {
		spec, ok := deal.LookupAction(pf.Action)
		if !ok || !slices.Contains(spec.Stages, d.Stage) || spec.May(&d, u) != nil || deal.CheckSegregation(pf.Action, &d, u) != nil {
			continue
		}
		show := true
		switch pf.Action {
		case deal.ActAcceptQuote:
			show = q != nil && q.Status == deal.QuoteOpen
		case deal.ActSubmitContract:
			show = d.Contract == nil || d.Contract.Review.Status != deal.ReviewPending
		case deal.ActPlaceOrder:
			show = d.Order == nil || d.Order.Review.Status != deal.ReviewPending
		case deal.ActRecordBid:
			show = d.Tendered
		case deal.ActResendOrder:
			show = d.OrderRefused()
		}
		f.Show[string(pf.Action)] = show
	}
	return f
}

// lineField turns the API's name of a quote line's field into the form's.
var lineField = regexp.MustCompile(`^lines(\[\d+\])?\.`)

// dealAct takes an action form from the deal page.
func (p pages) dealAct(w http.ResponseWriter, r *http.Request, d pageData) {
	id := chi.URLParam(r, "id")
	name := deal.ActionName(r.PostFormValue("action"))
	form, ok := formOf(name)
	if !ok {
		p.failed(w, r, d, problem(http.StatusBadRequest, "unknown_action", "the page offers no such action"))
		return
	}
	var fields []string
	body := map[string]any{"action": name}
	line := map[string]any{}
	for _, ff := range form.Fields {
		f := ff.Name
		fields = append(fields, f)
		v := strings.TrimSpace(r.PostFormValue(f))
		switch {
		case ff.Type == "checkbox":
			if v != "" {
				body[f] = true
			}
		case v == "":
		case ff.Type == "person":
			id, err := p.personNamed(r, &d, f, v)
			if err != nil {
				pr := asProblem(err, p.Log, r)
				msg, fe := d.refused(pr)
				p.showDeal(w, r, pr.Status, d, chi.URLParam(r, "id"), &dealForms{Refused: string(name), Error: msg, Errors: fe, Values: r.PostForm})
				return
			}
			body[f] = id
		case name == deal.ActSubmitQuote && slices.Contains(quoteLine, f):
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && f == "quantity" {
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
	api, err := apiRequest(r, body)
	if err == nil {
		err = deals{p.Deps}.actOn(w, api, id)
	}
	if err != nil {
		pr := asProblem(err, p.Log, r)
		if pr.Status == http.StatusNotFound {
			p.failed(w, r, d, err)
			return
		}
		msg, fe := d.refused(pr)
		forms := &dealForms{Refused: string(name), Error: msg, Errors: fieldErrors{}, Values: r.PostForm}
		for f, m := range fe {
			f = lineField.ReplaceAllString(f, "")
			if slices.Contains(fields, f) {
				forms.Errors[f] = m
			} else { // a field the form does not have: said above it
				forms.Error += " " + d.P.Field(f) + d.P.T("colon") + m
			}
		}
		p.showDeal(w, r, pr.Status, d, id, forms)
		return
	}
	http.Redirect(w, r, "/deals/"+url.PathEscape(id)+"?done="+string(name), http.StatusSeeOther)
}

// personNamed is the user ID a person field's text names: a user name, a
// whole name or a part of one that names one user. Text that names nobody
// is passed on as it is, for the API to refuse in its own words ("no user
// …"); text that names several people is refused here, next to field,
// listing them.
func (p pages) personNamed(r *http.Request, d *pageData, field, text string) (string, error) {
	if text == "" {
		return "", nil
	}
	found, err := p.DB.UsersNamed(r.Context(), text)
	if err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		return text, nil
	case 1:
		return found[0].ID, nil
	}
	var who []string
	for _, u := range found {
		who = append(who, u.Name+" ("+u.ID+")")
	}
	return "", problem(http.StatusUnprocessableEntity, probInvalid, "invalid input",
		deal.FieldError{Field: field, Message: d.P.T("several_named", strings.Join(who, d.P.T("list_sep")))})
}
