package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// The new-deal page (/deals/new): a rep picks one of their customers (a
// search narrows the list), names the deal, its expected amount and when the
// customer means to buy, and opens it. The form is sent to POST
// /api/v1/deals's own handler (deals.create), so it is held to the same
// rules: a customer the rep may not open deals for, an amount that is not
// money, a missing title are refused with the API's messages next to their
// fields; an opened deal's page follows (post/redirect/get).

// newDealView is the form, the customers to pick from and what was refused.
type newDealView struct {
	Q         string
	Customers []database.CustomerView
	// More: the list was cut; a search finds the others.
	More       bool
	Values     url.Values
	Errors     fieldErrors
	Timeframes []deal.Timeframe
	Currencies []string
}

// newDealCustomers is how many customers the pick list shows at most.
const newDealCustomers = 50

// newDealFields maps the API's field names to the form's.
var newDealFields = map[string]string{"title": "title", "customer.code": "customer", "customer": "customer",
	"customer.name": "customer", "expected_amount": "expected_amount", "currency": "currency",
	"purchase_timeframe": "purchase_timeframe", "tendered": "tendered"}

// mayOpenDeals: who the API lets open a deal (deal.Open).
func mayOpenDeals(u *identity.User) bool {
	return u != nil && u.Has(identity.RoleSales, identity.RoleSalesAssistant, identity.RoleSalesManager)
}

func (p pages) newDealForm(w http.ResponseWriter, r *http.Request, d pageData) {
	v := &newDealView{Values: r.URL.Query(), Errors: fieldErrors{}}
	p.showNewDeal(w, r, http.StatusOK, d, v)
}

func (p pages) showNewDeal(w http.ResponseWriter, r *http.Request, status int, d pageData, v *newDealView) {
	d.Title, d.Nav = d.P.T("new_deal"), "deals"
	if !mayOpenDeals(d.User) {
		p.message(w, http.StatusForbidden, d, d.P.T("forbidden"), d.P.T("new_deal_forbidden"))
		return
	}
	v.Q = strings.TrimSpace(v.Values.Get("q"))
	v.Timeframes = []deal.Timeframe{deal.TimeframeUnknown, deal.TimeframeNow, deal.Timeframe3Months, deal.Timeframe6Months, deal.TimeframeOneYear}
	v.Currencies = []string{"CNY", "USD", "EUR"}
	list, err := p.DB.CustomerList(r.Context(), database.CustomerFilter{Viewer: pageViewer(r), Query: v.Q, Limit: newDealCustomers + 1})
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	if len(list) > newDealCustomers {
		list, v.More = list[:newDealCustomers], true
	}
	// The customer picked stays picked when a search no longer lists it.
	if code := v.Values.Get("customer"); code != "" && !slices.ContainsFunc(list, func(c database.CustomerView) bool { return c.Code == code }) {
		list = append([]database.CustomerView{{Code: code, Name: v.Values.Get("customer_name")}}, list...)
	}
	v.Customers = list
	d.View = v
	p.render(w, status, "newdeal.html", d)
}

// newDealSubmit opens the deal through the API's handler and goes to its page.
func (p pages) newDealSubmit(w http.ResponseWriter, r *http.Request, d pageData) {
	v := &newDealView{Values: r.PostForm, Errors: fieldErrors{}}
	if !mayOpenDeals(d.User) {
		p.showNewDeal(w, r, http.StatusForbidden, d, v)
		return
	}
	field := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	body := map[string]any{"title": field("title"), "customer": map[string]any{"code": field("customer")},
		"tendered": field("tendered") != ""}
	if s := field("expected_amount"); s != "" {
		body["expected_amount"] = s
	}
	if s := field("currency"); s != "" {
		body["currency"] = s
	}
	if s := field("purchase_timeframe"); s != "" {
		body["purchase_timeframe"] = s
	}
	// The API refuses an amount that is not money as bad JSON, naming no
	// field; the page says the same (money.Parse's words) next to the field.
	if s := field("expected_amount"); s != "" {
		if _, err := money.Parse(s); err != nil {
			v.Errors["expected_amount"] = d.P.Refusal(fmt.Sprintf("%v: %q", err, s))
			d.Error = d.P.T("check_fields")
			p.showNewDeal(w, r, http.StatusBadRequest, d, v)
			return
		}
	}
	rec := httptest.NewRecorder()
	api, err := apiRequest(r, body)
	if err == nil {
		err = deals{p.Deps}.create(rec, api)
	}
	var opened struct {
		ID string `json:"id"`
	}
	if err == nil {
		err = json.Unmarshal(rec.Body.Bytes(), &opened)
	}
	if err != nil || opened.ID == "" {
		if err == nil {
			err = problem(http.StatusInternalServerError, "internal", "the deal was opened without an ID")
		}
		pr := asProblem(err, p.Log, r)
		msg, fe := d.refused(pr)
		d.Error = msg
		for f, m := range fe {
			if name, ok := newDealFields[f]; ok {
				if v.Errors[name] != "" {
					v.Errors[name] += "; "
				}
				v.Errors[name] += m
			} else { // a field the form does not have: said above it
				d.Error += " " + d.P.Field(f) + d.P.T("colon") + m
			}
		}
		p.showNewDeal(w, r, pr.Status, d, v)
		return
	}
	http.Redirect(w, r, "/deals/"+url.PathEscape(opened.ID)+"?done="+deal.ActOpen, http.StatusSeeOther)
}
