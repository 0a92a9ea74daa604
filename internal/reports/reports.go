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

var (
	managers = []identity.Role{identity.RoleSalesManager, identity.RoleFinance, identity.RoleAdmin}
	catalog  = []Info{
		{Name: Pipeline, Title: workbook.Text{EN: "Pipeline", ZH: "销售管道"},
			Description: workbook.Text{EN: "Every deal: stage, since when, who holds it, owners, and money expected, contracted, invoiced and paid. Sales reps get their own deals.",
				ZH: "全部商机：阶段、进入时间、当前处理人、负责人，以及预计、合同、开票和回款金额。销售人员只能导出自己的商机。"},
			write: (*export).pipeline, roles: managers},
		{Name: Receivables, Title: workbook.Text{EN: "Receivables ageing", ZH: "应收账款账龄"},
			Description: workbook.Text{EN: "Invoices not fully paid on a day, with days overdue and ageing bucket, and totals by customer.",
				ZH: "截至某日未结清的发票，含逾期天数和账龄区间，并按客户汇总。"},
			write: (*export).receivables, roles: append([]identity.Role{identity.RoleCollector}, managers...)},
		{Name: StuckReviews, Title: workbook.Text{EN: "Stuck reviews", ZH: "滞留审批"},
			Description: workbook.Text{EN: "Every open review step: who holds it, since when, when it was due, and how far it has escalated.",
				ZH: "所有未完成的审批步骤：当前处理人、等待时长、到期时间和升级级别。"},
			write: (*export).stuckReviews, roles: append([]identity.Role{identity.RoleMarketManager}, managers...)},
		// Sync runs are read by those who manage the sync, as in the API (api/sync.go).
		{Name: SyncRuns, Title: workbook.Text{EN: "ERP sync runs", ZH: "ERP 同步记录"},
			Description: workbook.Text{EN: "Runs of the ERP sync: when, how long, what was read, written and rejected, and errors.",
				ZH: "ERP 同步运行记录：时间、耗时、读取、写入和拒绝的行数，以及错误。"},
			write: (*export).syncRuns, roles: []identity.Role{identity.RoleAdmin}},
		{Name: CollectionAgeing, Title: workbook.Text{EN: "Receivables ageing (ERP open items)", ZH: "应收账龄（ERP 未清项）"},
			Description: workbook.Text{EN: "Every open item the ERP holds, deal or no deal, aged on a day (current, 1–30, 31–60, 61–90, 90+), by customer, owner and office. Each person gets what they may see.",
				ZH: "ERP 中全部未清项（含无商机的发票），按截至日账龄（未到期、1–30、31–60、61–90、90 天以上），按客户、负责人和办事处汇总。每人只导出自己可见的部分。"},
			write: (*export).collectionAgeing, everyone: true},
		{Name: CollectionForecast, Title: workbook.Text{EN: "Collection forecast", ZH: "回款预测"},
			Description: workbook.Text{EN: "Money expected in each week from the collection plans and each customer's historical days to pay.",
				ZH: "根据回款计划和客户历史付款天数，预计每周回款金额。"},
			write: (*export).collectionForecast, everyone: true},
		{Name: DeliveriesDue, Title: workbook.Text{EN: "Deliveries due and late", ZH: "待交付与逾期交付"},
			Description: workbook.Text{EN: "Open orders due within the next working days, and those already late.",
				ZH: "近期到期及已逾期的未完成订单交付。"},
			write: (*export).deliveriesDue, everyone: true},
		{Name: BigDeals, Title: workbook.Text{EN: "Big deals signed recently", ZH: "近期签约大单"},
			Description: workbook.Text{EN: "Contracts of at least an amount signed in the last days.",
				ZH: "近期签约且金额不低于门槛的合同。"},
			write: (*export).bigDeals, everyone: true},
	}
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
	if info.Name == Pipeline && !viewer.Has(managers...) {
		x.salesOwner = viewer.ID // a sales rep sees their own deals
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
