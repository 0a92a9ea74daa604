package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/i18n"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/reports"
)

// The customer pages: the search, and one customer's page with its terms,
// receivables by age, deals and changes of terms, and the form that asks for
// one. They read through the API's own functions (customerFilterOf,
// CustomerGet, CustomerReceivables, termsCustomer, startTermsChange): a
// customer the API answers 404 for is a 404 here, and a change the API
// refuses is refused here with the same message next to its field.

// customerListView is /customers: the filters and a page of customers.
type customerListView struct {
	Q, Owner, Class, Blocked string
	Customers                []database.CustomerView
	Next, After              string
	Errors                   fieldErrors
}

func (p pages) customerList(w http.ResponseWriter, r *http.Request, d pageData) {
	d.Title, d.Nav = d.P.T("customers"), "customers"
	q := r.URL.Query()
	v := &customerListView{Q: q.Get("q"), Owner: q.Get("owner"), Class: q.Get("class"), Blocked: q.Get("blocked"),
		After: q.Get("after"), Errors: fieldErrors{}}
	d.View = v
	status := http.StatusOK
	// The sales owner by name or user name, as the deal list takes it; the
	// API's parser then reads the user's ID.
	var ownerErr string
	if owner := strings.TrimSpace(v.Owner); owner != "" {
		id, err := p.personNamed(r, &d, "owner", owner)
		if err != nil {
			pr := asProblem(err, p.Log, r)
			if pr.Status >= http.StatusInternalServerError {
				p.failed(w, r, d, err)
				return
			}
			_, fe := refusal(pr)
			ownerErr, status = fe["owner"], http.StatusBadRequest
		}
		q.Set("owner", id)
		named := r.Clone(r.Context())
		named.URL.RawQuery = q.Encode()
		r = named
	}
	f, err := customerFilterOf(r)
	if err != nil {
		// The API's refusal, next to the filter it names; the list is then
		// the unfiltered first page, so the page still helps.
		pr := asProblem(err, p.Log, r)
		_, v.Errors = refusal(pr)
		status = pr.Status
		f = database.CustomerFilter{Viewer: pageViewer(r), Limit: customersPageDefault}
	}
	if ownerErr != "" {
		v.Errors["owner"] = ownerErr
	}
	f.Limit = min(f.Limit, 50)
	list, err := p.DB.CustomerList(r.Context(), f)
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	v.Customers, v.Next = list, nextAfter(list, f.Limit, func(c database.CustomerView) string { return c.Code })
	var ids []string
	for _, c := range list {
		ids = append(ids, c.SalesOwner)
	}
	p.names(r.Context(), &d, ids...)
	p.render(w, status, "customers.html", d)
}

// NextQuery is the query of the list's next page: the same filters, after the last code.
func (v *customerListView) NextQuery() string {
	return v.query(v.Next)
}

// FirstQuery is the query of the list's first page.
func (v *customerListView) FirstQuery() string { return v.query("") }

func (v *customerListView) query(after string) string {
	q := url.Values{}
	for k, s := range map[string]string{"q": v.Q, "owner": v.Owner, "class": v.Class, "blocked": v.Blocked, "after": after} {
		if s != "" {
			q.Set(k, s)
		}
	}
	return q.Encode()
}

// customerPageView is one customer's page.
type customerPageView struct {
	C database.CustomerView
	// Receivables are shown to those who see them (nil otherwise), with
	// their open amounts by age.
	Receivables *database.Receivables
	Invoices    []agedInvoice
	Ageing      []ageingLine
	Deals       []deal.Deal
	// Holders are who each deal waits on now (dealHolders).
	Holders map[string][]string
	// Changes are the customer's changes of terms, newest first, for those who see its terms.
	Changes []termsChangeRow
	// The terms-change form, for those who may ask for one.
	MayRequest bool
	Form       termsForm
	Route      []routeStage
	Today      string
	// Class is the customer's class with the factors and thresholds behind
	// it, for those who see the customer whole.
	Class *classView
}

// agedInvoice is an invoice with how long it is overdue.
type agedInvoice struct {
	database.ReceivableInvoice
	DaysOverdue int
	Bucket      int
}

// ageingLine is one currency's open amounts per ageing bucket (not yet
// due, 1–30, 31–60, 61–90, over 90 days overdue), as the receivables report
// buckets them, and the total.
type ageingLine struct {
	Currency string
	Buckets  []money.Amount
	Total    money.Amount
}

// termsChangeRow is a change of terms as its page shows it.
type termsChangeRow struct {
	database.TermsChange
	Changes []subjectLine
}

// termsForm is what the terms-change form shows: the values (today's, or
// what was typed into a refused one) and the refusal's messages.
type termsForm struct {
	PaymentTerms, MinDiscount, CreditLimit, Reason string
	Error                                          string
	Errors                                         fieldErrors
}

// routeStage is a stage a change of terms would go through, with who would
// hold it, resolved as the approval workflow resolves it.
type routeStage struct {
	Name string
	Who  []string
	// When is the condition under which the stage applies, in words; "" when it always does.
	When string
	// Nobody: the stage resolves to no one now (the case would go to the requester's manager).
	Nobody bool
}

// AgeingLabels are the ageing buckets' names, in order.
func (v *customerPageView) AgeingLabels() []string {
	return []string{"ageing.current", "ageing.1_30", "ageing.31_60", "ageing.61_90", "ageing.over_90"}
}

func (p pages) customerPage(w http.ResponseWriter, r *http.Request, d pageData) {
	if r.URL.Query().Get("done") == "terms" {
		d.Notice = d.P.T("terms_requested")
	}
	p.showCustomer(w, r, http.StatusOK, d, chi.URLParam(r, "code"), nil)
}

// showCustomer renders customer code; form is a refused terms form, or nil.
func (p pages) showCustomer(w http.ResponseWriter, r *http.Request, status int, d pageData, code string, form *termsForm) {
	c, err := p.DB.CustomerGet(r.Context(), code, pageViewer(r))
	if err != nil {
		p.failed(w, r, d, customerProblem(err, code))
		return
	}
	d.Title, d.Nav = c.Name+" · "+c.Code, "customers"
	now := p.Now()
	v := &customerPageView{C: c, Today: deal.DateOf(now.In(p.location())).String()}
	d.View = v
	ids := []string{c.SalesOwner}
	if rec, err := p.DB.CustomerReceivables(r.Context(), code, pageViewer(r)); err == nil {
		v.Receivables = &rec
		v.Invoices, v.Ageing = ageing(rec, deal.DateOf(now.In(p.location())))
	} else if !errors.Is(err, database.ErrNotFound) {
		p.failed(w, r, d, err)
		return
	}
	deals, err := p.DB.DealList(r.Context(), database.DealFilter{Viewer: pageViewer(r), Customer: code, Limit: 50})
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	v.Deals, v.Holders = deals, p.dealHolders(r, deals)
	for _, dl := range deals {
		ids = append(ids, dl.Owners.Sales)
		ids = append(ids, v.Holders[dl.ID]...)
	}
	if c.Terms != nil {
		cc, err := p.DB.CustomerClassGet(r.Context(), code, pageViewer(r))
		if err != nil {
			p.failed(w, r, d, err)
			return
		}
		v.Class = classViewOf(d.P, cc)
		changes, err := p.DB.TermsChangeList(r.Context(), code)
		if err != nil {
			p.failed(w, r, d, err)
			return
		}
		for i := len(changes) - 1; i >= 0; i-- {
			v.Changes = append(v.Changes, termsChangeRow{TermsChange: changes[i], Changes: p.termsLines(d.P, changes[i])})
			ids = append(ids, changes[i].RequestedBy)
		}
		v.MayRequest = mayRequestTerms(*d.User)
	}
	if v.MayRequest {
		if form != nil {
			v.Form = *form
		} else {
			v.Form = currentTerms(c.Terms)
		}
		route, who, err := p.termsRoute(r, d.P, c)
		if err != nil {
			p.Log.WarnContext(r.Context(), "terms route", "customer", code, "err", err) // the form works without it
		}
		v.Route = route
		ids = append(ids, who...)
	}
	p.names(r.Context(), &d, ids...)
	for i := range v.Route {
		for j, id := range v.Route[i].Who {
			v.Route[i].Who[j] = d.P.Person(id)
		}
	}
	p.render(w, status, "customer.html", d)
}

func (p pages) location() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// ageing ages rec's open invoices as of day, oldest due first, and totals
// their open amounts per currency and bucket.
func ageing(rec database.Receivables, day deal.Date) ([]agedInvoice, []ageingLine) {
	var out []agedInvoice
	var lines []ageingLine
	for _, inv := range rec.Invoices {
		if inv.Cancelled || inv.Open <= 0 {
			continue
		}
		overdue := daysBetween(inv.DueOn, day)
		b := reports.AgeingBucket(int64(overdue))
		out = append(out, agedInvoice{ReceivableInvoice: inv, DaysOverdue: max(overdue, 0), Bucket: b})
		i := 0
		for i < len(lines) && lines[i].Currency != inv.Currency {
			i++
		}
		if i == len(lines) {
			lines = append(lines, ageingLine{Currency: inv.Currency, Buckets: make([]money.Amount, reports.AgeingBuckets)})
		}
		lines[i].Buckets[b] += inv.Open
		lines[i].Total += inv.Open
	}
	return out, lines
}

// daysBetween is how many days from a to b (negative when b is before a).
func daysBetween(a, b deal.Date) int {
	return int(b.End(time.UTC).Sub(a.End(time.UTC)).Hours() / 24)
}

// currentTerms fills the form with today's terms: a person changes what
// they mean to, and what they leave as it is does not change.
func currentTerms(t *database.CustomerTerms) termsForm {
	f := termsForm{PaymentTerms: t.PaymentTerms, Errors: fieldErrors{}}
	if t.MinDiscountBP != nil {
		f.MinDiscount = deal.Percent(*t.MinDiscountBP).String()
	}
	if t.CreditLimit != nil {
		f.CreditLimit = t.CreditLimit.String()
	}
	return f
}

// termsLines words a change's terms, before → after.
func (p pages) termsLines(pr i18n.Printer, t database.TermsChange) []subjectLine {
	var before, after activities.CustomerTerms
	_ = json.Unmarshal(t.Before, &before)
	_ = json.Unmarshal(t.After, &after)
	var out []subjectLine
	if after.PaymentTerms != nil {
		b := pr.T("none")
		if before.PaymentTerms != nil && *before.PaymentTerms != "" {
			b = *before.PaymentTerms
		}
		out = append(out, subjectLine{Name: "payment_terms", Before: b, Value: *after.PaymentTerms})
	}
	pct := func(bp *int64) string {
		if bp == nil {
			return pr.T("none")
		}
		return deal.Percent(*bp).String() + "%"
	}
	if after.MinDiscountBP != nil {
		out = append(out, subjectLine{Name: "min_discount", Before: pct(before.MinDiscountBP), Value: pct(after.MinDiscountBP)})
	}
	amt := func(v *int64) string {
		if v == nil {
			return pr.T("none")
		}
		return pr.Money(money.Amount(*v), "")
	}
	if after.CreditLimit != nil {
		out = append(out, subjectLine{Name: "credit_limit", Before: amt(before.CreditLimit), Value: amt(after.CreditLimit)})
	}
	return out
}

// termsRoute is who would approve a change of customer c's terms asked for
// by the viewer, now: each stage of the terms_change rules that such a
// change can reach (a change's only fact is its new credit limit, the
// amount), its approvers resolved as the workflow resolves them (never the
// requester nor the customer's sales owner), and the condition of a stage
// that depends on the credit limit. who lists the people named, for their names.
func (p pages) termsRoute(r *http.Request, pr i18n.Printer, c database.CustomerView) (route []routeStage, who []string, err error) {
	rs, err := p.DB.ApprovalRulesLatest(r.Context(), approval.KindTermsChange)
	if err != nil {
		return nil, nil, err
	}
	a := activities.Approvals{DB: p.DB, Log: p.Log, RuleEditWindow: activities.DefaultRuleEditWindow}
	var excluded []string
	if c.SalesOwner != "" {
		excluded = []string{c.SalesOwner}
	}
	for _, st := range rs.Stages {
		when, ok := termsCondition(pr, st.When)
		if !ok {
			continue // asks for a fact a change of terms never has
		}
		as, err := a.ResolveApprovers(r.Context(), activities.ResolveInput{Approvers: st.Approvers, Requester: actor(r).ID,
			At: p.Now(), Kind: approval.KindTermsChange, Excluded: excluded})
		rt := routeStage{Name: st.Name, When: when, Nobody: err != nil || len(as) == 0}
		for _, x := range as {
			rt.Who = append(rt.Who, x.User)
			who = append(who, x.User)
		}
		route = append(route, rt)
	}
	return route, who, nil
}

// termsCondition words a stage's condition for a change of terms, whose
// facts are its new credit limit (as the amount) and nothing else; ok is
// false when no change of terms meets it.
func termsCondition(pr i18n.Printer, c *approval.Condition) (string, bool) {
	if c == nil {
		return "", true
	}
	if !c.Holds(approval.Facts{Amount: amountWithin(c)}) {
		return "", false
	}
	var parts []string
	if c.AmountAtLeast != nil {
		parts = append(parts, pr.T("when_credit_at_least", pr.Money(*c.AmountAtLeast, "")))
	}
	if c.AmountBelow != nil {
		parts = append(parts, pr.T("when_credit_below", pr.Money(*c.AmountBelow, "")))
	}
	return strings.Join(parts, pr.T("list_sep")), true
}

// amountWithin is an amount the condition's amount bounds allow.
func amountWithin(c *approval.Condition) money.Amount {
	if c.AmountAtLeast != nil {
		return *c.AmountAtLeast
	}
	return 0
}

// termsSubmit takes the terms-change form through the API's checks
// (termsCustomer, startTermsChange). A refusal comes back to the customer's
// page with the API's messages next to their fields and what was typed.
func (p pages) termsSubmit(w http.ResponseWriter, r *http.Request, d pageData) {
	code := chi.URLParam(r, "code")
	d.Here = "/customers/" + code
	h := customers{p.Deps}
	c, err := h.termsCustomer(r, code)
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	form := termsForm{PaymentTerms: strings.TrimSpace(r.PostFormValue("payment_terms")),
		MinDiscount: strings.TrimSpace(r.PostFormValue("min_discount")), CreditLimit: strings.TrimSpace(r.PostFormValue("credit_limit")),
		Reason: r.PostFormValue("reason"), Errors: fieldErrors{}}
	req := termsChangeRequest{Reason: form.Reason}
	if form.PaymentTerms != "" {
		req.PaymentTerms = &form.PaymentTerms
	}
	if form.MinDiscount != "" {
		if pc, err := deal.ParsePercent(form.MinDiscount); err != nil {
			form.Errors["min_discount"] = d.P.T("want_percent")
		} else {
			bp := int64(pc)
			req.MinDiscountBP = &bp
		}
	}
	if form.CreditLimit != "" {
		if a, err := money.Parse(strings.ReplaceAll(form.CreditLimit, ",", "")); err != nil {
			form.Errors["credit_limit"] = d.P.T("want_amount")
		} else {
			req.CreditLimit = &a
		}
	}
	if len(form.Errors) == 0 {
		if _, err = h.startTermsChange(r, c, req); err == nil {
			http.Redirect(w, r, "/customers/"+url.PathEscape(code)+"?done=terms#h-changes", http.StatusSeeOther)
			return
		}
	}
	status := http.StatusUnprocessableEntity
	if err != nil {
		pr := asProblem(err, p.Log, r)
		status = pr.Status
		var fe fieldErrors
		form.Error, fe = refusal(pr)
		if len(fe) > 0 {
			form.Error = d.P.T("check_fields") // the fields say what is wrong
		}
		for f, m := range fe {
			switch f {
			case "min_discount_bp":
				f = "min_discount"
			case "(body)":
				form.Error += d.P.T("colon") + m
				continue
			}
			form.Errors[f] = m
		}
	} else {
		form.Error = d.P.T("check_fields")
	}
	p.showCustomer(w, r, status, d, code, &form)
}
