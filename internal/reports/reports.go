// Package reports exports l2c's reports as .xlsx workbooks: the pipeline, the
// receivables ageing, the reviews that are stuck and the ERP sync runs. Each is
// streamed from PostgreSQL into excelize's StreamWriter row by row, with typed
// cells (money as numbers, dates as dates), a frozen and filtered header,
// column widths, labels in Chinese or English, and an "About" sheet saying
// what was exported, when, by whom and with which filters.
//
// Who may export what is decided here, so the API and the CLI agree.
package reports

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/i18n"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/workbook"
)

// Name names a report.
type Name string

const (
	Pipeline     Name = "pipeline"
	Receivables  Name = "receivables-ageing"
	StuckReviews Name = "stuck-reviews"
	SyncRuns     Name = "sync-runs"
	// The collection reports (issue 13): every open item the ERP holds, the
	// forecast by week, deliveries due and late, big deals signed recently.
	CollectionAgeing   Name = "collection-ageing"
	CollectionForecast Name = "collection-forecast"
	DeliveriesDue      Name = "deliveries-due"
	BigDeals           Name = "big-deals"
)

// Info describes a report: what it is and who may export it.
type Info struct {
	Name        Name          `json:"name"`
	Title       workbook.Text `json:"-"`
	Description workbook.Text `json:"-"`
	// roles may export it; RoleSales is handled apart (own deals only).
	roles []identity.Role
	// everyone may export it: each gets the slice the API shows them.
	everyone bool
	// write writes the report's sheets (all but About).
	write func(*export, context.Context) error
}

// catalogJSON is every report, in the order they are listed: names, titles
// and descriptions in both languages, and who may export each (sync runs are
// read by those who manage the sync, as in the API: api/sync.go).
//
//go:embed catalog.json
var catalogJSON []byte

// writers write each report's sheets.
var writers = map[Name]func(*export, context.Context) error{
	Pipeline:           (*export).pipeline,
	Receivables:        (*export).receivables,
	StuckReviews:       (*export).stuckReviews,
	SyncRuns:           (*export).syncRuns,
	CollectionAgeing:   (*export).collectionAgeing,
	CollectionForecast: (*export).collectionForecast,
	DeliveriesDue:      (*export).deliveriesDue,
	BigDeals:           (*export).bigDeals,
}

var (
	catalog = func() []Info {
		var list []struct {
			Name        Name            `json:"name"`
			Title       workbook.Text   `json:"title"`
			Description workbook.Text   `json:"description"`
			Roles       []identity.Role `json:"roles"`
			Everyone    bool            `json:"everyone"`
		}
		if err := json.Unmarshal(catalogJSON, &list); err != nil {
			panic(fmt.Sprintf("reports: catalog.json: %v", err))
		}
		infos := make([]Info, len(list))
		for i, r := range list {
			infos[i] = Info{Name: r.Name, Title: r.Title, Description: r.Description, roles: r.Roles, everyone: r.Everyone,
				write: writers[r.Name]}
			if infos[i].write == nil {
				panic(fmt.Sprintf("reports: catalog.json: nothing writes %s", r.Name))
			}
			for _, role := range r.Roles {
				if !role.Valid() {
					panic(fmt.Sprintf("reports: catalog.json: %s: no role %q", r.Name, role))
				}
			}
		}
		return infos
	}()
	aliases = map[string]Name{"receivables": Receivables, "ageing": Receivables, "aging": Receivables,
		"receivables-aging": Receivables, "stuck": StuckReviews, "sync": SyncRuns, "syncs": SyncRuns,
		"forecast": CollectionForecast, "deliveries": DeliveriesDue}
)

// Lookup finds a report by name (or a short alias: receivables, stuck, sync).
func Lookup(name string) (Info, bool) {
	n := Name(strings.ToLower(strings.TrimSpace(name)))
	if a, ok := aliases[string(n)]; ok {
		n = a
	}
	for _, i := range catalog {
		if i.Name == n {
			return i, true
		}
	}
	return Info{}, false
}

// All lists every report.
func All() []Info { return append([]Info(nil), catalog...) }

// Allowed reports whether u may export the report at all.
func (i Info) Allowed(u identity.User) bool {
	return i.everyone || u.Has(i.roles...) || (i.Name == Pipeline && u.Has(identity.RoleSales))
}

// ErrForbidden is returned when the viewer may not export a report.
var ErrForbidden = errors.New("not allowed to export this report")

// ParamError names a parameter that cannot be used.
type ParamError struct {
	Field, Message string
}

func (e *ParamError) Error() string { return e.Field + ": " + e.Message }

// Params shape a report. Each report reads the ones it knows.
type Params struct {
	Lang workbook.Lang
	// Pipeline: one stage, and a person named anywhere on the deal.
	Stage string
	Owner string
	// Receivables: the day the ageing is as of; zero is today.
	AsOf time.Time
	// Stuck reviews: one kind of review.
	Kind string
	// Sync runs: one entity, and runs started since; zero is 30 days back.
	Entity string
	Since  time.Time
	// The collection reports: narrowed to an office, an owner (Owner above)
	// and a customer; the ageing grouped By (customer, owner, office; all
	// three when empty); the forecast's Weeks; the big deals' Amount and Days.
	Office, Customer, By string
	Weeks, Days          int
	Amount               money.Amount
}

// Reporter writes reports.
type Reporter struct {
	DB *database.DB
	// Location is where times are shown and "today" is.
	Location *time.Location
	Now      func() time.Time
}

// New returns a Reporter showing times in loc.
func New(db *database.DB, loc *time.Location) *Reporter {
	if loc == nil {
		loc = time.UTC
	}
	return &Reporter{DB: db, Location: loc, Now: time.Now}
}

// Result is what an export produced.
type Result struct {
	FileName string
	Rows     int
}

// Export writes report name as .xlsx to out, as viewer may see it: the deals,
// customers and review steps the API would show them (database.ViewerOf). A
// sales rep's pipeline holds only the deals they own as sales.
func (r *Reporter) Export(ctx context.Context, out io.Writer, name Name, p Params, viewer identity.User) (Result, error) {
	info, ok := Lookup(string(name))
	if !ok {
		return Result{}, &ParamError{Field: "report", Message: fmt.Sprintf("no report %q", name)}
	}
	if !info.Allowed(viewer) {
		return Result{}, ErrForbidden
	}
	if p.Lang == "" {
		p.Lang = workbook.Chinese
	}
	now := r.Now()
	x := &export{r: r, info: info, p: p, viewer: viewer, now: now, loc: r.Location}
	if info.Name == Pipeline && !viewer.Has(info.roles...) {
		x.salesOwner = viewer.ID // allowed only as a sales rep: their own deals
	}
	var err error
	if x.names, err = r.DB.UserNames(ctx); err != nil {
		return Result{}, err
	}
	x.w, err = workbook.NewWriter(info.Title.In(p.Lang), "l2c")
	if err != nil {
		return Result{}, err
	}
	defer x.w.Close()
	if err := info.write(x, ctx); err != nil {
		return Result{}, err
	}
	if err := x.about(); err != nil {
		return Result{}, err
	}
	if err := x.w.Write(out); err != nil {
		return Result{}, err
	}
	return Result{FileName: fmt.Sprintf("%s-%s.xlsx", info.Name, now.In(r.Location).Format("2006-01-02")), Rows: x.rows}, nil
}

// ExportBytes is Export into memory, for callers that must know the export
// succeeded before they send anything.
func (r *Reporter) ExportBytes(ctx context.Context, name Name, p Params, viewer identity.User) ([]byte, Result, error) {
	var buf bytes.Buffer
	res, err := r.Export(ctx, &buf, name, p, viewer)
	return buf.Bytes(), res, err
}

// export is one report being written.
type export struct {
	r          *Reporter
	info       Info
	p          Params
	viewer     identity.User
	now        time.Time
	loc        *time.Location
	names      map[string]string
	salesOwner string
	w          *workbook.Writer
	rows       int
	filters    [][2]string // shown on the About sheet
}

// column is one column of a report's main sheet.
type column struct {
	en, zh string
	width  float64
}

// sheet starts a sheet with a frozen, filtered header row.
func (x *export) sheet(name workbook.Text, cols []column) (*workbook.Sheet, error) {
	widths := make([]workbook.Column, len(cols))
	header := make([]workbook.Cell, len(cols))
	for i, c := range cols {
		widths[i] = workbook.Column{Width: c.width}
		header[i] = workbook.Str(workbook.Text{EN: c.en, ZH: c.zh}.In(x.p.Lang)).With(workbook.MarkHeader)
	}
	s, err := x.w.NewSheet(name.In(x.p.Lang), workbook.SheetOptions{Columns: widths, HeaderRow: 1, Freeze: true, Filter: true})
	if err != nil {
		return nil, err
	}
	return s, s.WriteRow(header...)
}

func (x *export) t(en, zh string) string { return workbook.Text{EN: en, ZH: zh}.In(x.p.Lang) }

// person shows a user by name, falling back to the ID.
func (x *export) person(id string) workbook.Cell {
	if id == "" {
		return workbook.Cell{}
	}
	if strings.HasPrefix(id, "role:") {
		// In the pages' words ("any sales manager"), so a report and a page
		// name a role's holder alike.
		return workbook.Str(i18n.Printer{Lang: i18n.Lang(x.p.Lang)}.Person(id))
	}
	if n, ok := x.names[id]; ok && n != "" {
		return workbook.Str(n)
	}
	return workbook.Str(id)
}

// about writes the last sheet: what this export is.
func (x *export) about() error {
	s, err := x.w.NewSheet(x.t("About", "说明"), workbook.SheetOptions{Columns: []workbook.Column{{Width: 18}, {Width: 80}}})
	if err != nil {
		return err
	}
	by := x.viewer.ID
	if x.viewer.Name != "" {
		by = x.viewer.Name + " (" + x.viewer.ID + ")"
	}
	rows := [][2]workbook.Cell{
		{workbook.Str(x.t("Report", "报表")), workbook.Str(x.info.Title.In(x.p.Lang))},
		{workbook.Str(x.t("What it shows", "内容")), workbook.Str(x.info.Description.In(x.p.Lang))},
		{workbook.Str(x.t("Exported", "导出时间")), workbook.DateTime(x.now, x.loc)},
		{workbook.Str(x.t("Time zone", "时区")), workbook.Str(x.loc.String())},
		{workbook.Str(x.t("Exported by", "导出人")), workbook.Str(by)},
		{workbook.Str(x.t("Rows", "行数")), workbook.Int(int64(x.rows))},
	}
	if x.salesOwner != "" {
		rows = append(rows, [2]workbook.Cell{workbook.Str(x.t("Scope", "范围")), workbook.Str(x.t("deals you own as sales", "本人负责的商机"))})
	}
	for _, f := range x.filters {
		rows = append(rows, [2]workbook.Cell{workbook.Str(f[0]), workbook.Str(f[1])})
	}
	for _, r := range rows {
		if err := s.WriteRow(r[0].With(workbook.MarkBold), r[1]); err != nil {
			return err
		}
	}
	return s.Close()
}

// progressEvery is how often, in rows, a long export checks for cancellation.
const progressEvery = 5000

func (x *export) row(ctx context.Context, s *workbook.Sheet, cells ...workbook.Cell) error {
	x.rows++
	if x.rows%progressEvery == 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return s.WriteRow(cells...)
}
