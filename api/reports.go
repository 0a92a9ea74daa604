package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/reports"
	"github.com/l2c/l2c/internal/workbook"
)

// reportsAPI serves /api/v1/reports: the reports the caller may export, and
// each one as an .xlsx download.
type reportsAPI struct{ Deps }

// list names the reports the caller may export, in their language.
func (h reportsAPI) list(w http.ResponseWriter, r *http.Request) error {
	lang, explicit := requestLang(r, r.URL.Query().Get("lang"))
	if !explicit {
		lang = workbook.Chinese
	}
	type item struct {
		Name        reports.Name `json:"name"`
		Title       string       `json:"title"`
		Description string       `json:"description"`
		URL         string       `json:"url"`
	}
	out := []item{}
	for _, i := range reports.All() {
		if i.Allowed(actor(r)) {
			out = append(out, item{Name: i.Name, Title: i.Title.In(lang), Description: i.Description.In(lang),
				URL: "/api/v1/reports/" + string(i.Name)})
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reports": out})
}

// export answers with the report as .xlsx. Parameters: lang (zh, en; else
// Accept-Language, else Chinese), and per report stage and owner (pipeline),
// as_of (receivables, YYYY-MM-DD, default today), kind (stuck reviews),
// entity and since (sync runs, YYYY-MM-DD, default 30 days back); office,
// owner and customer (the collection reports), by and as_of (collection
// ageing), weeks (forecast), amount and days (big deals). The
// workbook is built whole before anything is sent, so a failure is a proper
// problem response rather than a cut-off file.
func (h reportsAPI) export(w http.ResponseWriter, r *http.Request) error {
	info, ok := reports.Lookup(chi.URLParam(r, "name"))
	if !ok {
		return problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no report %q; GET /api/v1/reports lists them", chi.URLParam(r, "name")))
	}
	q := r.URL.Query()
	lang, explicit := requestLang(r, q.Get("lang"))
	if !explicit {
		lang = workbook.Chinese
	}
	p := reports.Params{Lang: lang, Stage: q.Get("stage"), Owner: q.Get("owner"), Kind: q.Get("kind"), Entity: q.Get("entity")}
	var err error
	if p.AsOf, err = h.day(q.Get("as_of"), "as_of"); err != nil {
		return err
	}
	if p.Since, err = h.day(q.Get("since"), "since"); err != nil {
		return err
	}
	p.Office, p.Customer, p.By = q.Get("office"), q.Get("customer"), q.Get("by")
	if p.Weeks, err = intParam(r, "weeks", 0, 1, 104); err != nil {
		return err
	}
	if p.Amount, p.Days, err = bigDealParams(r, h.BigDeals); err != nil {
		return err
	}
	rep := reports.New(h.DB, h.Location)
	rep.Now = h.Now
	data, res, err := rep.ExportBytes(r.Context(), info.Name, p, actor(r))
	var pe *reports.ParamError
	switch {
	case errors.Is(err, reports.ErrForbidden):
		return problem(http.StatusForbidden, probForbidden, fmt.Sprintf("you may not export the %s report", info.Name))
	case errors.As(err, &pe):
		return problem(http.StatusBadRequest, probInvalidQuery, "a parameter cannot be used", deal.FieldError{Field: pe.Field, Message: pe.Message})
	case err != nil:
		return err
	}
	h.Log.InfoContext(r.Context(), "report exported", "report", info.Name, "rows", res.Rows, "by", actor(r).ID, "bytes", len(data))
	return sendWorkbook(w, res.FileName, data)
}

// day reads a YYYY-MM-DD parameter as the start of that day in the company's zone.
func (h reportsAPI) day(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := deal.ParseDate(s)
	if err != nil {
		return time.Time{}, problem(http.StatusBadRequest, probInvalidQuery, "bad date", deal.FieldError{Field: field, Message: err.Error()})
	}
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc), nil
}
