// Package customerimport imports customer master workbooks (.xlsx or .csv) the
// way a sales assistant expects: headers in Chinese or English found wherever
// they sit, numbers understood however Excel shows them, every row checked, and
// the same workbook handed back with each bad cell highlighted and explained,
// plus a summary sheet.
//
// An import only creates customers and corrects their address, contact and
// phone. A code that is already in l2c must agree with the stored name, tax ID
// and commercial terms: discount, credit and payment terms change through an
// approved change request, never through a spreadsheet (see DOMAIN.md).
package customerimport

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/textnorm"
	"github.com/l2c/l2c/internal/workbook"
)

// Mode says what happens to the good rows of a file that also has bad ones.
type Mode string

const (
	// AllOrNothing imports nothing unless every row is good: the default, so
	// a half-imported list never has to be untangled.
	AllOrNothing Mode = "all_or_nothing"
	// AcceptValid imports the good rows and reports the bad ones; it must be
	// chosen explicitly.
	AcceptValid Mode = "accept_valid"
)

// ParseMode reads a mode as the API and the CLI spell it; empty is AllOrNothing.
func ParseMode(s string) (Mode, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_") {
	case "", "all_or_nothing":
		return AllOrNothing, nil
	case "accept_valid", "accept_valid_rows":
		return AcceptValid, nil
	}
	return "", fmt.Errorf("unknown mode %q: want all-or-nothing or accept-valid", s)
}

// Status is how an import ended.
type Status string

const (
	StatusRunning   Status = "running"
	StatusImported  Status = "imported"           // every row written
	StatusPartial   Status = "partially_imported" // good rows written, bad rows reported (accept_valid)
	StatusRejected  Status = "rejected"           // nothing written: rows have errors
	StatusValidated Status = "validated"          // dry run: nothing written by design
	StatusFailed    Status = "failed"             // the file as a whole could not be used
)

// CanImport reports whether u may import customers: the sales assistants who
// enter them, their managers, and admins.
func CanImport(u identity.User) bool {
	return u.Has(identity.RoleSalesAssistant, identity.RoleSalesManager, identity.RoleAdmin)
}

// ErrForbidden is returned when the actor may not import customers.
var ErrForbidden = errors.New("only sales assistants, sales managers and admins may import customers")

// Request is one file to import.
type Request struct {
	FileName string
	Data     []byte
	Mode     Mode
	DryRun   bool
	// Lang of the result's messages; empty follows the file's header.
	Lang  workbook.Lang
	Actor identity.User
}

// Counts are what happened to the file's rows (blank rows are not counted).
type Counts struct {
	Total     int `json:"total"`
	Accepted  int `json:"accepted"`
	Rejected  int `json:"rejected"`
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Requested are new customers sent for approval (Importer.Onboard).
	Requested int `json:"requested,omitempty"`
}

// RowError is one problem with one cell.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Field   string `json:"field"`
	Value   string `json:"value"`
	Message string `json:"message"`
}

// ColumnUse tells how a column of the file was read.
type ColumnUse struct {
	Column string `json:"column"`
	Header string `json:"header"`
	Field  string `json:"field,omitempty"`
}

// FileInfo describes the file as l2c read it.
type FileInfo struct {
	Name      string `json:"name"`
	Size      int    `json:"size"`
	SHA256    string `json:"sha256"`
	Format    string `json:"format,omitempty"`
	Encoding  string `json:"encoding,omitempty"`
	Sheet     string `json:"sheet,omitempty"`
	HeaderRow int    `json:"header_row,omitempty"`
	Language  string `json:"language,omitempty"`
}

// maxReportErrors bounds the errors listed in the JSON report; the result
// workbook has them all.
const maxReportErrors = 200

// Report is the outcome of an import, as the API shows it and the import job
// keeps it.
type Report struct {
	ID         int64       `json:"id"`
	Status     Status      `json:"status"`
	Message    string      `json:"message"`
	Mode       Mode        `json:"mode"`
	DryRun     bool        `json:"dry_run"`
	File       FileInfo    `json:"file"`
	Rows       Counts      `json:"rows"`
	Columns    []ColumnUse `json:"columns,omitempty"`
	Ignored    []ColumnUse `json:"ignored_columns,omitempty"`
	Formulas   int         `json:"formula_cells,omitempty"`
	Errors     []RowError  `json:"errors,omitempty"`
	ErrorCount int         `json:"error_count"`
	ErrorKind  string      `json:"error_kind,omitempty"`
	ResultName string      `json:"result_name,omitempty"`
	CreatedBy  string      `json:"created_by"`
	StartedAt  time.Time   `json:"started_at"`
	FinishedAt time.Time   `json:"finished_at"`

	// Result is the annotated workbook; it is stored with the job and
	// downloaded separately.
	Result []byte `json:"-"`
}

// Importer runs customer imports and records them as import jobs.
type Importer struct {
	DB     *database.DB
	Log    *slog.Logger
	Limits workbook.Limits
	// Location is where times in the result workbook are shown.
	Location *time.Location
	Now      func() time.Time
	// Onboard, when set, takes the rows of customers l2c does not know:
	// they become new-customer requests (lead customers awaiting their
	// customer_onboarding case), not active customers. The API sets it; the
	// CLI's bulk load (an admin's, from the ERP's own export) writes them.
	Onboard func(ctx context.Context, importID int64, rows []database.Customer) error
}

// New returns an Importer with the default limits.
func New(db *database.DB, log *slog.Logger, loc *time.Location) *Importer {
	if log == nil {
		log = slog.Default()
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Importer{DB: db, Log: log, Limits: workbook.DefaultLimits(), Location: loc, Now: time.Now}
}

// progressEvery is how often, in rows, a running import records its progress.
const progressEvery = 10_000

// Run imports one file. A file that cannot be used at all returns a
// *workbook.FileError along with a report (status failed); rows with errors
// are not an error: the report says what happened to each. Every run is
// recorded as an import job, whatever its outcome.
func (im *Importer) Run(ctx context.Context, req Request) (*Report, error) {
	if !CanImport(req.Actor) {
		return nil, ErrForbidden
	}
	if req.Mode == "" {
		req.Mode = AllOrNothing
	}
	sum := sha256.Sum256(req.Data)
	rep := &Report{Mode: req.Mode, DryRun: req.DryRun, CreatedBy: req.Actor.ID, StartedAt: im.Now().UTC(),
		File: FileInfo{Name: req.FileName, Size: len(req.Data), SHA256: fmt.Sprintf("%x", sum)}}
	id, err := im.DB.ImportStart(ctx, database.ImportJob{Kind: "customers", FileName: req.FileName,
		FileSize: int64(len(req.Data)), FileSHA256: sum[:], Mode: string(req.Mode), DryRun: req.DryRun, CreatedBy: req.Actor.ID})
	if err != nil {
		return nil, err
	}
	rep.ID = id
	log := im.Log.With("import", id, "file", req.FileName, "by", req.Actor.ID)
	log.InfoContext(ctx, "customer import started", "bytes", len(req.Data), "mode", req.Mode, "dry_run", req.DryRun)

	runErr := im.run(ctx, req, rep, log)
	var fe *workbook.FileError
	switch {
	case errors.As(runErr, &fe):
		rep.Status, rep.ErrorKind = StatusFailed, string(fe.Kind)
		rep.Message = fe.Text.In(orDefault(req.Lang, workbook.Chinese))
	case runErr != nil:
		// The cause is logged, not shown: it may be a database error.
		log.ErrorContext(ctx, "customer import failed", "err", runErr)
		rep.Status, rep.ErrorKind = StatusFailed, "internal"
		rep.Message = workbook.Text{EN: "the import stopped on an error on l2c's side and changed nothing; try again, and tell an admin if it happens again",
			ZH: "导入因系统内部错误中止，未做任何修改；请重试，如再次发生请联系管理员"}.In(orDefault(req.Lang, workbook.Chinese))
	}
	rep.FinishedAt = im.Now().UTC()
	// The job is recorded even when the request was cancelled.
	if err := im.finish(context.WithoutCancel(ctx), rep); err != nil {
		return rep, errors.Join(runErr, err)
	}
	log.InfoContext(ctx, "customer import finished", "status", rep.Status, "total", rep.Rows.Total,
		"accepted", rep.Rows.Accepted, "rejected", rep.Rows.Rejected, "inserted", rep.Rows.Inserted,
		"updated", rep.Rows.Updated, "took", rep.FinishedAt.Sub(rep.StartedAt))
	return rep, runErr
}

func orDefault(l, def workbook.Lang) workbook.Lang {
	if l == "" {
		return def
	}
	return l
}

func (im *Importer) finish(ctx context.Context, rep *Report) error {
	report, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("import report: %w", err)
	}
	c := rep.Rows
	return im.DB.ImportFinish(ctx, database.ImportJob{ID: rep.ID, Status: string(rep.Status), FileFormat: rep.File.Format,
		RowsRead: c.Total, RowsTotal: c.Total, Accepted: c.Accepted, Rejected: c.Rejected, Inserted: c.Inserted,
		Updated: c.Updated, Unchanged: c.Unchanged, ErrorKind: rep.ErrorKind, Message: rep.Message, Report: report,
		ResultName: rep.ResultName}, rep.Result)
}

// rowStatus is what becomes of one row.
type rowStatus uint8

const (
	rowRejected rowStatus = iota
	rowNew
	rowUpdate
	rowUnchanged
	rowOnboard // a new customer, sent for approval
)

type issue struct {
	field Field
	col   int
	value string // the cell as written
	text  workbook.Text
}

// row is one non-blank data row: what the file says, and what l2c made of it.
type row struct {
	num     int
	given   uint16 // fields with a value in the file
	changed uint16 // for an update: the fields that change
	flagged uint16 // fields already told they are repeated further down
	status  rowStatus
	issues  []issue
}

func bit(f Field) uint16 { return 1 << f }

func (r *row) add(f Field, col int, value string, t *workbook.Text) {
	if t != nil {
		r.issues = append(r.issues, issue{field: f, col: col, value: value, text: *t})
	}
}

// hasIssue reports whether field f of the row has a problem already.
func (r *row) hasIssue(f Field) bool {
	return slices.ContainsFunc(r.issues, func(i issue) bool { return i.field == f })
}

// sheetRead is what the first pass learned about the file.
type sheetRead struct {
	sheet    string
	kept     kept // every non-blank row of the sheet, for the result
	hdr      *header
	rows     []row
	in       []database.Customer // as the file says, aligned with rows
	owners   []string            // sales owner as written, aligned with rows
	lastRow  int
	maxCols  int
	formulas int
	// headless are columns with data but no header: ignored, and said so.
	headless map[int]bool
	// onboard are the new customers for Importer.Onboard.
	onboard []database.Customer
}

func (im *Importer) run(ctx context.Context, req Request, rep *Report, log *slog.Logger) error {
	book, err := workbook.Open(req.Data, req.FileName, im.Limits)
	if err != nil {
		return err
	}
	rep.File.Format, rep.File.Encoding = string(book.Format()), book.Encoding()
	phase := time.Now()
	sr, err := im.read(ctx, book, rep.ID, log)
	book.Close() // every row read is kept in sr.kept; the book is not read again
	if err != nil {
		return err
	}
	log.DebugContext(ctx, "customer import read", "rows", len(sr.rows), "took", time.Since(phase))
	lang := orDefault(req.Lang, sr.hdr.lang)
	describe(sr, rep)

	// Checks against the database and the write happen under one lock, so no
	// other import can add a code between "it is new" and writing it.
	unlock := func() {}
	if !req.DryRun {
		release, err := im.DB.CustomerImportLock(ctx)
		if err != nil {
			return err
		}
		unlock = sync.OnceFunc(release)
		defer unlock()
	}
	phase = time.Now()
	write, err := im.checkAgainstDatabase(ctx, sr)
	if err != nil {
		return err
	}
	log.DebugContext(ctx, "customer import checked", "took", time.Since(phase))
	c := &rep.Rows
	for _, r := range sr.rows {
		c.Total++
		switch r.status {
		case rowRejected:
			c.Rejected++
		case rowNew:
			c.Inserted++
		case rowOnboard:
			c.Requested++
		case rowUpdate:
			c.Updated++
		case rowUnchanged:
			c.Unchanged++
		}
	}
	c.Accepted = c.Total - c.Rejected
	writing := false
	switch {
	case req.DryRun:
		rep.Status = StatusValidated
	case c.Accepted == 0 || (c.Rejected > 0 && req.Mode == AllOrNothing):
		rep.Status = StatusRejected
	default:
		rep.Status, writing = StatusImported, len(write) > 0 || len(sr.onboard) > 0
		if c.Rejected > 0 {
			rep.Status = StatusPartial
		}
	}
	rep.Errors, rep.ErrorCount = rowErrors(sr, lang, maxReportErrors)

	// The annotated sheet is written while the database takes the rows: one
	// is CPU in this process, the other mostly waiting on PostgreSQL.
	phase = time.Now()
	res, err := im.startResult(sr, rep, req, lang)
	if err != nil {
		return err
	}
	defer res.close()
	annotated := make(chan error, 1)
	status := rep.Status
	go func() { annotated <- res.writeData(ctx, status) }()
	var writeErr error
	if writing {
		var n database.UpsertCounts
		if len(write) > 0 {
			n, writeErr = im.DB.CustomersUpsert(ctx, write, nil)
		}
		if writeErr == nil && len(sr.onboard) > 0 {
			writeErr = im.Onboard(ctx, rep.ID, sr.onboard)
		}
		if writeErr == nil {
			log.DebugContext(ctx, "customer import written", "rows", len(write), "requested", len(sr.onboard), "took", time.Since(phase))
			// The database has the last word: a row someone else wrote in the
			// meantime counts as what actually happened to it.
			c.Inserted, c.Updated = int(n.Inserted), int(n.Updated)
			c.Unchanged = c.Accepted - c.Inserted - c.Updated - c.Requested
		}
	}
	unlock() // the next import may check against what is now written
	annotateErr := <-annotated
	if writeErr != nil {
		return fmt.Errorf("write customers: %w", writeErr)
	}
	rep.Message = summarize(rep.Status, req.Mode, *c).In(lang)
	if c.Requested > 0 && writing && writeErr == nil {
		rep.Message += workbook.Textf(" %d new customers were sent for approval: they are lead customers until approved and created in the ERP.",
			"%d 个新客户已提交审批：审批通过并在 ERP 中创建前为线索客户。", c.Requested).In(lang)
	}
	if annotateErr == nil {
		rep.Result, annotateErr = res.finish(rep)
	}
	if annotateErr != nil {
		if !writing {
			return annotateErr
		}
		// The customers are written; what is missing is only the workbook
		// that says so, and the report says it instead.
		log.ErrorContext(ctx, "customer import result not written", "err", annotateErr)
		rep.Result = nil
		rep.Message += workbook.Text{EN: " (The annotated workbook could not be made; the errors are listed here.)",
			ZH: "（未能生成标注结果工作簿，错误列表见此处。）"}.In(lang)
		return nil
	}
	log.DebugContext(ctx, "customer import annotated", "bytes", len(rep.Result), "took", time.Since(phase))
	rep.ResultName = resultName(req.FileName)
	return nil
}

// describe notes in the report how the file was read.
func describe(sr *sheetRead, rep *Report) {
	rep.File.Sheet, rep.File.HeaderRow, rep.File.Language = sr.sheet, sr.hdr.row, string(sr.hdr.lang)
	rep.Formulas = sr.formulas
	for f := range numFields {
		if c := sr.hdr.col[f]; c >= 0 {
			rep.Columns = append(rep.Columns, ColumnUse{Column: colName(c), Header: sr.hdr.labels[c], Field: f.Key()})
		}
	}
	ignored := slices.Clone(sr.hdr.ignored)
	for c := range sr.headless {
		ignored = append(ignored, c)
	}
	slices.Sort(ignored)
	for _, c := range ignored {
		u := ColumnUse{Column: colName(c)}
		if c < len(sr.hdr.labels) {
			u.Header = strings.TrimSpace(sr.hdr.labels[c])
		}
		rep.Ignored = append(rep.Ignored, u)
	}
}

// resultName is the annotated workbook's file name: customers.xlsx → customers.result.xlsx.
func resultName(name string) string {
	base := strings.TrimSuffix(path.Base(strings.ReplaceAll(name, `\`, "/")), path.Ext(name))
	if base == "" || base == "." {
		base = "customers"
	}
	return base + ".result.xlsx"
}

func summarize(s Status, mode Mode, c Counts) workbook.Text {
	switch s {
	case StatusImported:
		return workbook.Textf("Imported %d customers: %d added, %d updated, %d unchanged.",
			"已导入 %d 个客户：新增 %d，更新 %d，无变化 %d。", c.Accepted, c.Inserted, c.Updated, c.Unchanged)
	case StatusPartial:
		return workbook.Textf("Imported %d of %d customers (%d added, %d updated, %d unchanged); %d rows were rejected: see the highlighted cells.",
			"已导入 %d/%d 个客户（新增 %d，更新 %d，无变化 %d）；%d 行未通过校验，见标红的单元格。",
			c.Accepted, c.Total, c.Inserted, c.Updated, c.Unchanged, c.Rejected)
	case StatusValidated:
		return workbook.Textf("Dry run, nothing was written: %d of %d rows are good (%d would be added, %d updated, %d unchanged) and %d have errors.",
			"试运行，未写入任何数据：%d/%d 行正确（将新增 %d，更新 %d，无变化 %d），%d 行有错误。",
			c.Accepted, c.Total, c.Inserted, c.Updated, c.Unchanged, c.Rejected)
	}
	if c.Accepted == 0 {
		return workbook.Textf("Nothing was imported: all %d rows have errors. Fix the highlighted cells and upload the file again.",
			"未导入任何数据：全部 %d 行都有错误。请修改标红的单元格后重新上传。", c.Total)
	}
	return workbook.Textf("Nothing was imported: %d of %d rows have errors, and the file is imported all or nothing. Fix the highlighted cells and upload again, or import with accept-valid to take the %d good rows now.",
		"未导入任何数据：%d/%d 行有错误，而本次为“全部或全不”导入。请修改标红的单元格后重新上传，或选择“仅导入正确行”先导入其余 %d 行。",
		c.Rejected, c.Total, c.Accepted)
}

// read finds the header, then parses and checks every row on its own and
// against the rows before it. The rows' text is kept compactly for the result
// (see kept), so the file is read once.
func (im *Importer) read(ctx context.Context, book *workbook.Book, jobID int64, log *slog.Logger) (*sheetRead, error) {
	for _, sheet := range book.Sheets() {
		rows, err := book.Rows(sheet)
		if err != nil {
			return nil, err
		}
		sr, err := im.readSheet(ctx, book, sheet, rows, jobID, log)
		rows.Close()
		if err != nil || sr != nil {
			return sr, err
		}
	}
	if book.NameSaysWorkbook() {
		return nil, workbook.FileErrorf("not_a_workbook",
			"%s is not an Excel workbook: it holds plain text, and no header row with the template's columns (客户编码/Customer code, 客户名称/Customer name, …) was found in it. Upload the real .xlsx file, or download the template",
			"%s 不是 Excel 工作簿：它是纯文本文件，且其中没有包含模板列（客户编码、客户名称等）的表头行。请上传真正的 .xlsx 文件，或下载导入模板", book.Name())
	}
	return nil, workbook.FileErrorf("no_header",
		"no header row was found in the first %d rows of %s: a header names at least 客户编码 (Customer code) and 客户名称 (Customer name). Use the template, or rename the columns",
		"%[2]s 的前 %[1]d 行中没有找到表头：表头至少应包含“客户编码”和“客户名称”。请使用导入模板，或修改列名", headerSearchRows, book.Name())
}

// readSheet reads one sheet; it returns nil and no error when the sheet has no header.
func (im *Importer) readSheet(ctx context.Context, book *workbook.Book, sheet string, rows *workbook.Rows, jobID int64, log *slog.Logger) (*sheetRead, error) {
	var sr *sheetRead
	var before kept          // rows above the header, kept in case this sheet has one
	seen := map[string]int{} // code → index of its first row
	for rows.Next() {
		num, cells := rows.Num(), rows.Values()
		if sr == nil {
			if num > headerSearchRows {
				return nil, nil
			}
			h, ferr := findHeader(num, cells)
			if ferr != nil {
				return nil, ferr
			}
			before.add(num, cells)
			if h != nil {
				sr = &sheetRead{sheet: sheet, hdr: h, kept: before, lastRow: num, maxCols: len(cells), headless: map[int]bool{}}
				// Sized once: growing a slice of 100,000 customers step by step
				// copies it (with the collector's write barriers) again and again.
				if n := rows.SizeHint() - num; n > 0 {
					sr.rows = make([]row, 0, n)
					sr.in = make([]database.Customer, 0, n)
					sr.owners = make([]string, 0, n)
					sr.kept.nums = slices.Grow(sr.kept.nums, n)
					sr.kept.first = slices.Grow(sr.kept.first, n)
				}
			}
			continue
		}
		sr.lastRow = num
		sr.maxCols = max(sr.maxCols, len(cells))
		if blank(cells) {
			continue
		}
		sr.kept.add(num, cells)
		if sr.hdr.repeats(cells) {
			continue // ERP exports repeat the header on every printed page
		}
		r, c, owner := sr.parseRow(num, cells, rows)
		if r.given == 0 {
			continue // only ignored columns have data: a note or a total, not a customer
		}
		i := len(sr.rows)
		sr.rows = append(sr.rows, r)
		sr.in = append(sr.in, c)
		sr.owners = append(sr.owners, owner)
		sr.duplicates(i, seen)
		if len(sr.rows)%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := im.DB.ImportProgress(ctx, jobID, len(sr.rows)); err != nil {
				log.WarnContext(ctx, "import progress not recorded", "err", err)
			}
			log.DebugContext(ctx, "customer import progress", "rows", len(sr.rows))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if sr == nil {
		return nil, nil
	}
	sr.formulas = rows.Formulas()
	if len(sr.rows) == 0 {
		return nil, workbook.FileErrorf("no_rows",
			"%s has a header in row %d but no customers below it", "%s 第 %d 行是表头，但下面没有客户数据", book.Name(), sr.hdr.row)
	}
	return sr, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseRow reads one row's cells into a customer, noting every problem.
func (sr *sheetRead) parseRow(num int, cells []string, rows *workbook.Rows) (row, database.Customer, string) {
	r := row{num: num}
	h := sr.hdr
	raw := func(f Field) string {
		if c := h.col[f]; c >= 0 && c < len(cells) {
			return cells[c]
		}
		return ""
	}
	for f := range numFields {
		c := h.col[f]
		if c < 0 {
			continue
		}
		if clean(raw(f)) != "" {
			r.given |= bit(f)
		} else if rows.Uncalculated(c) {
			r.add(f, c, "", bad("holds a formula that was never calculated, so it has no value: open the file in Excel or WPS and save it, or paste the column as values",
				"是从未计算过的公式，没有值：请用 Excel 或 WPS 打开并保存，或将该列“选择性粘贴为数值”"))
		}
	}
	for i, v := range cells {
		if i >= len(h.labels) || strings.TrimSpace(h.labels[i]) == "" {
			if strings.TrimSpace(v) != "" && !slices.Contains(h.col[:], i) {
				sr.headless[i] = true
			}
		}
	}
	col := func(f Field) int { return h.col[f] }
	var c database.Customer
	var p *workbook.Text
	c.Source = "import"
	c.Currency, p = parseCurrency(raw(FieldCurrency))
	r.add(FieldCurrency, col(FieldCurrency), raw(FieldCurrency), p)
	if c.Currency == "" {
		c.Currency = money.DefaultCurrency
	}
	if !r.hasIssue(FieldCode) {
		c.Code, p = parseCode(raw(FieldCode))
		r.add(FieldCode, col(FieldCode), raw(FieldCode), p)
	}
	if !r.hasIssue(FieldName) {
		c.Name, p = parseWritten(raw(FieldName), 200, true)
		r.add(FieldName, col(FieldName), raw(FieldName), p)
	}
	c.TaxID, p = parseTaxID(raw(FieldTaxID), c.Currency)
	r.add(FieldTaxID, col(FieldTaxID), raw(FieldTaxID), p)
	c.Address, p = parseWritten(raw(FieldAddress), 500, false)
	r.add(FieldAddress, col(FieldAddress), raw(FieldAddress), p)
	c.ContactName, p = parseWritten(raw(FieldContact), 100, false)
	r.add(FieldContact, col(FieldContact), raw(FieldContact), p)
	c.Phone, p = parsePhone(raw(FieldPhone))
	r.add(FieldPhone, col(FieldPhone), raw(FieldPhone), p)
	c.PaymentTerms, p = parseText(raw(FieldPaymentTerms), 40, false)
	r.add(FieldPaymentTerms, col(FieldPaymentTerms), raw(FieldPaymentTerms), p)
	c.MinDiscountBP, p = parseDiscount(raw(FieldMinDiscount))
	r.add(FieldMinDiscount, col(FieldMinDiscount), raw(FieldMinDiscount), p)
	c.CreditLimit, p = parseMoney(raw(FieldCreditLimit))
	r.add(FieldCreditLimit, col(FieldCreditLimit), raw(FieldCreditLimit), p)
	c.ValueClass, p = parseClass(raw(FieldValueClass))
	r.add(FieldValueClass, col(FieldValueClass), raw(FieldValueClass), p)
	owner := clean(raw(FieldSalesOwner))
	return r, c, owner
}

// duplicates flags a row whose code an earlier row of the file already has:
// both rows are rejected, since l2c cannot know which is right. Tax IDs are
// compared once the database has said who holds them.
func (sr *sheetRead) duplicates(i int, seen map[string]int) {
	c := sr.in[i]
	if c.Code == "" {
		return
	}
	first, ok := seen[c.Code]
	if !ok {
		seen[c.Code] = i
		return
	}
	sr.repeated(FieldCode, c.Code, first, i)
}

// repeated rejects row i for repeating value from row first, and row first
// for being repeated (once).
func (sr *sheetRead) repeated(f Field, value string, first, i int) {
	r, fr := &sr.rows[i], &sr.rows[first]
	col := sr.hdr.col[f]
	r.add(f, col, value, bad("%s is also in row %d; each customer may appear once in a file", "%s 与第 %d 行重复；同一客户在文件中只能出现一次", value, fr.num))
	if fr.flagged&bit(f) == 0 {
		fr.flagged |= bit(f)
		fr.add(f, col, value, bad("%s appears again in row %d; each customer may appear once in a file", "%s 在第 %d 行再次出现；同一客户在文件中只能出现一次", value, r.num))
	}
}

// taxIDs rejects tax IDs held by someone else: by another customer in l2c,
// or by another row of the file when l2c has no holder (then l2c cannot know
// which row is right, and rejects them all).
func (sr *sheetRead) taxIDs(holders map[string][]database.CustomerRef) {
	// Most tax IDs appear once: remember the first row of each, and a list
	// only for those that repeat or that l2c already holds.
	first := make(map[string]int, len(sr.in))
	groups := map[string][]int{}
	var order []string
	for i, c := range sr.in {
		r := &sr.rows[i]
		if c.TaxID == "" || r.hasIssue(FieldTaxID) || r.hasIssue(FieldCode) {
			continue
		}
		f, seen := first[c.TaxID]
		switch {
		case !seen:
			first[c.TaxID] = i
			if len(holders[c.TaxID]) > 0 {
				groups[c.TaxID] = []int{i}
				order = append(order, c.TaxID)
			}
		case groups[c.TaxID] == nil:
			groups[c.TaxID] = []int{f, i}
			order = append(order, c.TaxID)
		default:
			groups[c.TaxID] = append(groups[c.TaxID], i)
		}
	}
	col := sr.hdr.col[FieldTaxID]
	for _, tax := range order {
		rows, held := groups[tax], holders[tax]
		if len(held) == 0 {
			for _, i := range rows[1:] {
				sr.repeated(FieldTaxID, tax, rows[0], i)
			}
			continue
		}
		for _, i := range rows {
			code := sr.in[i].Code
			if slices.ContainsFunc(held, func(h database.CustomerRef) bool { return h.Code == code }) {
				continue
			}
			h := held[0]
			sr.rows[i].add(FieldTaxID, col, tax, bad("%s already belongs to customer %s “%s” in l2c; one company has one customer code",
				"%s 已属于系统中的客户 %s“%s”；同一家公司只能有一个客户编码", tax, h.Code, h.Name))
		}
	}
}

// checkAgainstDatabase resolves sales owners, compares codes that already
// exist with what is stored, and refuses tax IDs that belong to another
// customer. It sets each row's status and returns the customers to write.
func (im *Importer) checkAgainstDatabase(ctx context.Context, sr *sheetRead) ([]database.Customer, error) {
	var codes, taxIDs, owners []string
	seenOwner := map[string]bool{}
	for i, c := range sr.in {
		if c.Code != "" {
			codes = append(codes, c.Code)
		}
		if c.TaxID != "" {
			taxIDs = append(taxIDs, c.TaxID)
		}
		if o := sr.owners[i]; o != "" && !seenOwner[o] {
			seenOwner[o] = true
			owners = append(owners, o)
		}
	}
	stored, err := im.DB.CustomersByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	holders, err := im.DB.CustomersByTaxID(ctx, taxIDs)
	if err != nil {
		return nil, err
	}
	resolve, err := im.owners(ctx, owners)
	if err != nil {
		return nil, err
	}
	sr.taxIDs(holders)
	// New customers sent for approval are checked for the same company
	// under another code too, as one entered by hand is.
	var sameCompany map[string]database.Duplicate
	if im.Onboard != nil {
		var names []string
		for _, c := range sr.in {
			if _, known := stored[c.Code]; !known && c.Name != "" {
				names = append(names, c.Name)
			}
		}
		if sameCompany, err = im.DB.CustomersSameCompany(ctx, names); err != nil {
			return nil, err
		}
	}
	// The customers to write take the place of the parsed ones, which are not
	// needed afterwards: 100,000 customers are not held twice.
	write := sr.in[:0]
	for i := range sr.rows {
		r, c := &sr.rows[i], &sr.in[i]
		if o := sr.owners[i]; o != "" {
			id, p := resolve(o)
			c.SalesOwner = id
			r.add(FieldSalesOwner, sr.hdr.col[FieldSalesOwner], o, p)
		}
		s, exists := stored[c.Code]
		var merged database.Customer
		if exists && c.Code != "" {
			merged, r.changed = sr.compare(r, *c, s)
		}
		if d, dup := sameCompany[c.Name]; dup && !exists {
			r.add(FieldName, sr.hdr.col[FieldName], c.Name, bad("the same company as customer %s (%s)",
				"与客户 %s（%s）为同一公司", d.Code, d.Name))
		}
		if len(r.issues) > 0 {
			r.status = rowRejected
			continue
		}
		switch {
		case !exists && im.Onboard != nil:
			r.status = rowOnboard
			sr.onboard = append(sr.onboard, *c)
		case !exists:
			r.status = rowNew
			write = append(write, *c)
		case r.changed != 0:
			r.status = rowUpdate
			write = append(write, merged)
		default:
			r.status = rowUnchanged
		}
	}
	sr.in, sr.owners = nil, nil // overwritten by write; not to be read again
	return write, nil
}

// owners resolves sales owners as written (an ID, or a full name) to user IDs
// of people in sales.
func (im *Importer) owners(ctx context.Context, keys []string) (func(string) (string, *workbook.Text), error) {
	users, err := im.DB.UsersFind(ctx, keys)
	if err != nil {
		return nil, err
	}
	return func(key string) (string, *workbook.Text) {
		k := strings.ToLower(key)
		var byName []identity.User
		for _, u := range users {
			if u.ID == k {
				byName = []identity.User{u}
				break
			}
			if strings.ToLower(u.Name) == k {
				byName = append(byName, u)
			}
		}
		switch len(byName) {
		case 0:
			return "", bad("no user %q in l2c: write the user ID of a sales rep", "系统中没有用户“%s”：请填写销售人员的用户名", key)
		case 1:
			u := byName[0]
			if !u.Has(identity.RoleSales, identity.RoleSalesManager) {
				return "", bad("%s (%s) is not in sales; a customer's sales owner is a sales rep or sales manager",
					"%s（%s）不是销售人员；销售负责人须为销售或销售经理", u.Name, u.ID)
			}
			return u.ID, nil
		}
		ids := make([]string, len(byName))
		for i, u := range byName {
			ids[i] = u.ID
		}
		return "", bad("%q names %d users (%s); write the user ID", "“%s”对应 %d 个用户（%s）；请填写用户名", key, len(ids), strings.Join(ids, ", "))
	}, nil
}

// compare checks a row whose code is already in l2c against what is stored.
// Address, contact and phone may be corrected by an import; every other field
// given must equal the stored one. Empty cells keep what is stored. It returns
// the stored customer with the corrections and which fields change.
func (sr *sheetRead) compare(r *row, in, s database.Customer) (database.Customer, uint16) {
	out := s
	var changed uint16
	for _, e := range []struct {
		f      Field
		in, st string
		set    func(*database.Customer)
	}{
		{FieldAddress, in.Address, s.Address, func(c *database.Customer) { c.Address = in.Address }},
		{FieldContact, in.ContactName, s.ContactName, func(c *database.Customer) { c.ContactName = in.ContactName }},
		{FieldPhone, in.Phone, s.Phone, func(c *database.Customer) { c.Phone = in.Phone }},
	} {
		// The same text in other widths or spacing is no correction: what is
		// stored stays as it was written.
		if r.given&bit(e.f) != 0 && !r.hasIssue(e.f) && !textnorm.Same(e.in, e.st) {
			e.set(&out)
			changed |= bit(e.f)
		}
	}
	governed := []struct {
		f      Field
		in, st string
	}{
		{FieldName, in.Name, s.Name},
		{FieldTaxID, in.TaxID, s.TaxID},
		{FieldPaymentTerms, in.PaymentTerms, s.PaymentTerms},
		{FieldMinDiscount, showPercent(in.MinDiscountBP), showPercent(s.MinDiscountBP)},
		{FieldCreditLimit, showMoney(in.CreditLimit), showMoney(s.CreditLimit)},
		{FieldValueClass, in.ValueClass, s.ValueClass},
		{FieldSalesOwner, in.SalesOwner, s.SalesOwner},
		{FieldCurrency, in.Currency, s.Currency},
	}
	for _, g := range governed {
		if r.given&bit(g.f) == 0 || r.hasIssue(g.f) || g.in == g.st || (g.f == FieldName && textnorm.Same(g.in, g.st)) {
			continue
		}
		stored := g.st
		if stored == "" {
			stored = "—"
		}
		col := sr.hdr.col[g.f]
		switch g.f {
		case FieldName:
			r.add(g.f, col, g.in, bad("customer %s is “%s” in l2c: check the code; a renamed company is renamed in the ERP",
				"客户 %s 在系统中名为“%s”：请核对客户编码；公司更名请在 ERP 中修改", in.Code, stored))
		case FieldMinDiscount, FieldCreditLimit, FieldPaymentTerms:
			r.add(g.f, col, g.in, bad("customer %s has %s here but %s in l2c; discount, credit and payment terms change through an approved change request, not an import",
				"客户 %s 此处为 %s，系统中为 %s；折扣、信用额度和付款条件须通过变更申请审批后修改，不能通过导入修改", in.Code, g.in, stored))
		case FieldSalesOwner:
			r.add(g.f, col, g.in, bad("customer %s belongs to %s in l2c; a sales manager reassigns customers",
				"客户 %s 在系统中的负责人是 %s；更换负责人请由销售经理操作", in.Code, stored))
		default:
			r.add(g.f, col, g.in, bad("customer %s has %s here but %s in l2c; an import does not change it",
				"客户 %s 此处为 %s，系统中为 %s；导入不能修改此项", in.Code, g.in, stored))
		}
	}
	return out, changed
}

func showPercent(bp *int64) string {
	if bp == nil {
		return ""
	}
	s := fmt.Sprintf("%d.%02d", *bp/100, *bp%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".") + "%"
}

func showMoney(minor *int64) string {
	if minor == nil {
		return ""
	}
	return money.Amount(*minor).String()
}

// rowErrors lists the problems, row by row, at most max of them.
func rowErrors(sr *sheetRead, lang workbook.Lang, max int) ([]RowError, int) {
	var out []RowError
	n := 0
	for _, r := range sr.rows {
		for _, is := range r.issues {
			n++
			if len(out) < max {
				out = append(out, RowError{Row: r.num, Column: colName(is.col), Field: is.field.Key(),
					Value: is.value, Message: is.text.In(lang)})
			}
		}
	}
	return out, n
}

// kept holds rows of text end to end in one buffer: a 100,000-row sheet is a
// few allocations, not a million strings for the garbage collector to trace.
type kept struct {
	nums  []int32
	first []int32  // row i's cells are ends[first[i]:first[i+1]]
	ends  []uint32 // where each cell's text ends in buf
	buf   []byte
}

func (k *kept) add(num int, cells []string) {
	if len(k.first) == 0 {
		k.first = append(k.first, 0)
	}
	k.nums = append(k.nums, int32(num))
	for _, c := range cells {
		k.buf = append(k.buf, c...)
		k.ends = append(k.ends, uint32(len(k.buf)))
	}
	k.first = append(k.first, int32(len(k.ends)))
}

func (k *kept) len() int { return len(k.nums) }

// row returns row i's number and cells.
func (k *kept) row(i int) (int, []string) {
	from, to := k.first[i], k.first[i+1]
	cells := make([]string, to-from)
	start := uint32(0)
	if from > 0 {
		start = k.ends[from-1]
	}
	for j := range cells {
		end := k.ends[int(from)+j]
		cells[j] = string(k.buf[start:end])
		start = end
	}
	return int(k.nums[i]), cells
}
