package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/civil"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/i18n"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/reports"
)

// The collection pages (回款): the receivables ageing, the forecast by week,
// deliveries due and late, big deals signed recently and finance's dunning
// queue, each with the filters (office, owner, customer) as GET parameters
// and a link to the same report as a workbook. They read the functions the
// JSON reads (collectionAPI, database/collection_views.go) with the same
// viewer, so a page shows a rep what the API and the export show them.
// On the deal page: the plan, the dunning steps, the promises, and the
// form that records a promise (recordPromise, the API's one rule).

// collectionTabs are the collection pages, in the order the tabs show them,
// with the report each exports.
var collectionTabs = []struct {
	Kind, Path string
	Report     reports.Name
}{
	{"ageing", "/collection/ageing", reports.CollectionAgeing},
	{"forecast", "/collection/forecast", reports.CollectionForecast},
	{"deliveries", "/collection/deliveries", reports.DeliveriesDue},
	{"big_deals", "/collection/big-deals", reports.BigDeals},
	{"dunning", "/collection/dunning", ""},
}

// dunningRoles may open the dunning queue, as GET /api/v1/collection/dunning-queue.
var dunningRoles = []identity.Role{identity.RoleFinance, identity.RoleCollector, identity.RoleAdmin}

// collectionView is one collection page.
type collectionView struct {
	Kind      string
	Tabs      []collectionTab
	Filter    database.ReceivableFilter
	By        string
	AsOf      string
	Errors    fieldErrors
	ExportURL string
	NextURL   string
	Today     civil.Date

	Ageing     []ageingRowLine
	Totals     []ageingRowLine
	Refreshed  string
	Forecast   *database.Forecast
	Deliveries []database.DeliveryRow
	BigDeals   []database.BigDealRow
	BigAmount  string
	BigDays    int
	Queue      []database.OpenInstalment
}

type collectionTab struct {
	Kind, Path string
	Current    bool
}

// ageingRowLine is a row of the ageing as the page shows it: the bucket
// amounts in order, and where its name links to.
type ageingRowLine struct {
	Key, Name, Link, Currency string
	Amounts                   []money.Amount
	Total                     money.Amount
	Items                     int64
}

// Buckets are the ageing's columns, in order.
func (v *collectionView) Buckets() []collection.Bucket { return collection.Buckets }

func (p pages) collectionPage(kind string) func(http.ResponseWriter, *http.Request, pageData) {
	return func(w http.ResponseWriter, r *http.Request, d pageData) {
		d.Title, d.Nav = d.P.T("collection."+kind), "collection"
		h := collectionAPI{p.Deps}
		q := r.URL.Query()
		v := &collectionView{Kind: kind, Filter: receivableFilter(r), Errors: fieldErrors{}, Today: h.today()}
		d.View = v
		me := actor(r)
		for _, t := range collectionTabs {
			if t.Kind == "dunning" && !me.Has(dunningRoles...) {
				continue
			}
			v.Tabs = append(v.Tabs, collectionTab{Kind: t.Kind, Path: t.Path, Current: t.Kind == kind})
		}
		// The export link carries the page's filters and language.
		export := url.Values{"lang": {d.Lang}}
		for k, val := range map[string]string{"office": v.Filter.Office, "owner": v.Filter.Owner, "customer": v.Filter.Customer} {
			if val != "" {
				export.Set(k, val)
			}
		}
		ids := []string{v.Filter.Owner}
		status := http.StatusOK
		var err error
		switch kind {
		case "ageing":
			v.By = q.Get("by")
			if v.By == "" {
				v.By = "customer"
			}
			if !slices.Contains(database.AgeingBy, v.By) {
				v.Errors["by"], v.By, status = d.P.T("want_ageing_by"), "customer", http.StatusBadRequest
			}
			asOf := v.Today
			if s := q.Get("as_of"); s != "" {
				if asOf, err = civil.ParseDate(s); err != nil {
					v.Errors["as_of"], asOf, status = d.P.T("want_date"), v.Today, http.StatusBadRequest
				}
			}
			v.AsOf = asOf.String()
			export.Set("as_of", v.AsOf)
			var a database.Ageing
			if a, err = p.DB.ReceivablesAgeingOf(r.Context(), pageViewer(r), v.By, asOf, v.Filter, q.Get("after"), 100); err != nil {
				break
			}
			if a.RefreshedAt != nil {
				v.Refreshed = d.P.Time(*a.RefreshedAt)
			}
			for _, row := range a.Rows {
				l := ageingLineOf(row)
				switch v.By {
				case "customer":
					l.Name = row.Name
					if row.Name != "" { // a customer l2c knows
						l.Link = "/customers/" + url.PathEscape(row.Key)
					}
				case "owner":
					ids = append(ids, row.Key)
				}
				v.Ageing = append(v.Ageing, l)
			}
			for _, row := range a.Totals {
				v.Totals = append(v.Totals, ageingLineOf(row))
			}
			if a.Next != "" {
				v.NextURL = withQuery(r, "after", a.Next)
			}
		case "forecast":
			var f database.Forecast
			if f, err = p.DB.CollectionForecast(r.Context(), pageViewer(r), v.Today, reports.ForecastWeeks); err == nil {
				v.Forecast = &f
			}
		case "deliveries":
			until := database.WorkdaysAhead(p.workingCalendar(r.Context()), v.Today, database.DeliveryHorizon)
			if v.Deliveries, err = p.DB.DeliveriesReport(r.Context(), pageViewer(r), v.Filter, v.Today, until, 500); err == nil {
				for _, dl := range v.Deliveries {
					ids = append(ids, dl.DeliveryOwner, dl.SalesOwner)
				}
			}
		case "big_deals":
			v.BigAmount, v.BigDays = d.P.Money(p.BigDeals.Amount, "CNY"), p.BigDeals.Days
			since := p.Now().AddDate(0, 0, -p.BigDeals.Days)
			if v.BigDeals, err = p.DB.BigDealsReport(r.Context(), pageViewer(r), v.Filter, p.BigDeals.Amount, since, 500); err == nil {
				for _, b := range v.BigDeals {
					ids = append(ids, b.SalesOwner)
				}
			}
		case "dunning":
			if !me.Has(dunningRoles...) {
				p.message(w, http.StatusForbidden, d, d.P.T("forbidden"), d.P.Refusal("the dunning queue is for finance, collectors and administrators"))
				return
			}
			var next string
			v.Queue, next, err = p.DB.DunningQueue(r.Context(), pageViewer(r), v.Filter, v.Today, q.Get("after"), 100)
			var ce *database.CursorError
			if errors.As(err, &ce) {
				v.Errors["after"], status = d.P.T("bad_cursor"), http.StatusBadRequest
				v.Queue, next, err = p.DB.DunningQueue(r.Context(), pageViewer(r), v.Filter, v.Today, "", 100)
			}
			for _, o := range v.Queue {
				ids = append(ids, o.PaymentOwner)
			}
			if next != "" {
				v.NextURL = withQuery(r, "after", next)
			}
		}
		if err != nil {
			p.failed(w, r, d, err)
			return
		}
		for _, t := range collectionTabs {
			if t.Kind == kind && t.Report != "" {
				v.ExportURL = "/collection/export/" + string(t.Report) + "?" + export.Encode()
			}
		}
		p.names(r.Context(), &d, ids...)
		p.render(w, status, "collection.html", d)
	}
}

func ageingLineOf(row database.AgeingRow) ageingRowLine {
	l := ageingRowLine{Key: row.Key, Currency: row.Currency, Total: row.Total, Items: row.Items}
	for _, b := range collection.Buckets {
		l.Amounts = append(l.Amounts, row.Buckets[b])
	}
	return l
}

// withQuery is the request's address with one parameter set.
func withQuery(r *http.Request, key, value string) string {
	q := r.URL.Query()
	q.Set(key, value)
	return r.URL.Path + "?" + q.Encode()
}

// collectionExport downloads a collection report as a workbook, through the
// API's export (the same checks, the same viewer), in the page's language.
func (p pages) collectionExport(w http.ResponseWriter, r *http.Request, d pageData) {
	name := chi.URLParam(r, "name")
	if !slices.ContainsFunc(collectionTabs, func(t struct {
		Kind, Path string
		Report     reports.Name
	}) bool {
		return t.Report != "" && string(t.Report) == name
	}) {
		p.message(w, http.StatusNotFound, d, d.P.T("not_found"), d.P.T("not_found"))
		return
	}
	p.download(w, r, d, reportsAPI{p.Deps}.export)
}

// dealCollection is the deal page's collection section: the plan, who each
// dunning step told, and whether the viewer may record a promise.
type dealCollection struct {
	planView
	Told       map[string][]string
	MayPromise bool
	Open       []int // the open instalments' numbers, for the form
}

// ToldOf is who step told about instalment no.
func (c *dealCollection) ToldOf(no int, step string) []string {
	return c.Told[strconv.Itoa(no)+"/"+step]
}

// collectionOf fills the deal page's collection section, and the names it shows.
func (p pages) collectionOf(r *http.Request, d *pageData, dl deal.Deal) (*dealCollection, error) {
	pv, err := collectionAPI{p.Deps}.planOf(r, dl)
	if err != nil {
		return nil, err
	}
	if pv.Plan == nil && len(pv.Dunning) == 0 && len(pv.Promises) == 0 {
		return nil, nil
	}
	c := &dealCollection{planView: pv, MayPromise: mayPromise(actor(r), dl) == nil}
	if c.Told, err = p.DB.DunningTold(r.Context(), dl.ID); err != nil {
		return nil, err
	}
	var ids []string
	for _, in := range pv.Instalments {
		if in.SettledOn == nil {
			c.Open = append(c.Open, in.No)
		}
	}
	for _, pr := range pv.Promises {
		ids = append(ids, pr.RecordedBy)
	}
	for _, who := range c.Told {
		ids = append(ids, who...)
	}
	p.names(r.Context(), d, ids...)
	return c, nil
}

// promiseSubmit records a promise to pay from the deal page's form: the
// API's checks (recordPromise); refused, the page again with the messages
// by the fields and what was typed; recorded, back to the deal (PRG).
func (p pages) promiseSubmit(w http.ResponseWriter, r *http.Request, d pageData) {
	id := chi.URLParam(r, "id")
	d.Here = "/deals/" + id
	fields := fieldErrors{}
	no, err := strconv.Atoi(r.PostFormValue("no"))
	if err != nil || no < 1 {
		no = 0
	}
	req := promiseRequest{Note: r.PostFormValue("note")}
	if s := strings.TrimSpace(r.PostFormValue("promised_on")); s != "" {
		if req.PromisedOn, err = civil.ParseDate(s); err != nil {
			fields["promised_on"] = d.P.T("want_date")
		}
	}
	if s := strings.TrimSpace(r.PostFormValue("amount")); s != "" {
		if a, err := money.Parse(strings.ReplaceAll(s, ",", "")); err != nil {
			fields["amount"] = d.P.T("want_amount")
		} else {
			req.Amount = &a
		}
	}
	status := http.StatusUnprocessableEntity
	msg := d.P.T("check_fields")
	if len(fields) == 0 {
		_, err = collectionAPI{p.Deps}.recordPromise(r, id, no, req)
		if err == nil {
			http.Redirect(w, r, "/deals/"+url.PathEscape(id)+"?done=promise#h-collection", http.StatusSeeOther)
			return
		}
		pr := asProblem(err, p.Log, r)
		if pr.Status == http.StatusNotFound || pr.Status == http.StatusForbidden {
			p.failed(w, r, d, err)
			return
		}
		var fe fieldErrors
		msg, fe = d.refused(pr)
		status = pr.Status
		for f, m := range fe {
			fields[f] = m
		}
	}
	p.showDeal(w, r, status, d, id, &dealForms{Refused: "promise", Error: msg, Errors: fields, Values: r.PostForm})
}

// dunningStep names a ladder's step: the default ladder's in words, a
// company's own by the name it gave.
func dunningStep(p i18n.Printer, step string) string {
	if k := "dunning." + step; i18n.Has(k) {
		return p.T(k)
	}
	return step
}
