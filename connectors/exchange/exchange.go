// Package exchange connects l2c to an ERP that only trades files: the ERP
// exports spreadsheets into a folder, l2c reads them, and l2c's write-backs
// are workbooks the ERP imports. Files are read with internal/workbook (.xlsx
// or .csv, UTF-8 or GBK, zip-bomb and size limits), headers in Chinese or
// English. The folder:
//
//	inbox/      the ERP's exports: customers*.xlsx (客户*), invoices* (发票*), payments* (收款*, 回款*)
//	processed/  files every row of which is stored in l2c: moved here, never read twice
//	rejected/   files that cannot be read at all, each with a .txt saying why
//	outbox/     l2c's write-backs for the ERP to import: terms-*, customer-*, order-* workbooks
//
// A file is a delta in itself, so the sync's "since" is not used: every file
// in the inbox is read, oldest name first, in pages of rows. Rows that cannot
// be read are rejected with their file and row number; the rest are stored.
package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/internal/workbook"
)

// Config says where the folder is.
type Config struct {
	Dir string
	// Limits bound what one file may cost to read (workbook.DefaultLimits).
	Limits workbook.Limits
	// PageRows is how many rows make one page (5,000 by default).
	PageRows int
	Log      *slog.Logger
	Now      func() time.Time
}

// Connector is an exchange folder. It implements connectors.ERP and
// connectors.Acknowledger.
type Connector struct {
	cfg Config

	mu   sync.Mutex
	open *openFile // the file being paged through, kept between pages
}

var (
	_ connectors.ERP          = (*Connector)(nil)
	_ connectors.Acknowledger = (*Connector)(nil)
)

const (
	inbox     = "inbox"
	processed = "processed"
	rejected  = "rejected"
	outbox    = "outbox"
)

// New checks the folder and creates its subfolders.
func New(cfg Config) (*Connector, error) {
	if cfg.Dir == "" {
		return nil, errors.New("exchange folder: no directory given (L2C_EXCHANGE_DIR)")
	}
	for _, d := range []string{inbox, processed, rejected, outbox} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("exchange folder: %w", err)
		}
	}
	if cfg.Limits == (workbook.Limits{}) {
		cfg.Limits = workbook.DefaultLimits()
	}
	if cfg.PageRows <= 0 {
		cfg.PageRows = 5000
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Connector{cfg: cfg}, nil
}

// prefixes name the files of each entity in the inbox.
var prefixes = map[string][]string{
	connectors.EntityCustomers: {"customers", "customer", "客户"},
	connectors.EntityInvoices:  {"invoices", "invoice", "发票"},
	connectors.EntityPayments:  {"payments", "payment", "收款", "回款"},
}

// cursor is a position in the inbox: rows of file already handed out; Row -1
// means the whole file was, and it may be moved aside once acknowledged.
type cursor struct {
	File string `json:"f"`
	Row  int    `json:"r"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

func parseCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil || c.File == "" || strings.ContainsAny(c.File, `/\`) {
		return c, &connectors.Error{Kind: connectors.ErrInvalid, Op: "exchange cursor", Message: "unreadable cursor " + s}
	}
	return c, nil
}

// files lists the entity's files in the inbox, by name.
func (x *Connector) files(entity string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(x.cfg.Dir, inbox))
	if err != nil {
		return nil, &connectors.Error{Kind: connectors.ErrUnavailable, Op: "list exchange inbox", Err: err}
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		lower := strings.ToLower(name)
		ext := filepath.Ext(lower)
		if !e.Type().IsRegular() || (ext != ".xlsx" && ext != ".csv" && ext != ".xlsm" && ext != ".txt") ||
			strings.HasPrefix(name, "~$") || strings.HasPrefix(name, ".") {
			continue // Excel's lock files, half-copied temporaries
		}
		for _, p := range prefixes[entity] {
			if strings.HasPrefix(lower, p) {
				out = append(out, name)
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// openFile is a file being read, page by page.
type openFile struct {
	entity string
	name   string
	rows   *workbook.Rows
	header map[string]int // field → column
	served int            // data rows handed out so far
	mtime  time.Time
}

// page hands out the next page of entity's rows after cur, converting each row
// with conv, which names the row (its key) and leaves in the line the first
// problem it found. It is the engine behind the three ChangeReader methods.
func page[T any](x *Connector, ctx context.Context, entity, cur string, conv func(l *line) (T, string)) (connectors.Page[T], error) {
	var out connectors.Page[T]
	c, err := parseCursor(cur)
	if err != nil {
		return out, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if c.File == "" || c.Row < 0 {
		// The next file after c.File (the first when starting).
		names, err := x.files(entity)
		if err != nil {
			return out, err
		}
		i := sort.SearchStrings(names, c.File)
		if i < len(names) && names[i] == c.File {
			i++
		}
		if i >= len(names) {
			return out, nil // nothing more: the run is done
		}
		c = cursor{File: names[i]}
	}
	f, rej, err := x.openAt(ctx, entity, c)
	if err != nil {
		return out, err
	}
	if rej != "" {
		// The file as a whole is unreadable: reported once, moved aside.
		out.Rejected = append(out.Rejected, connectors.Rejected{Key: c.File, Reason: rej})
		out.Next = cursor{File: c.File, Row: -1}.String()
		return out, nil
	}
	for len(out.Rows)+len(out.Rejected) < x.cfg.PageRows && f.rows.Next() {
		vals := f.rows.Values()
		f.served++
		if blank(vals) {
			continue
		}
		key := fmt.Sprintf("%s row %d", f.name, f.rows.Num())
		l := &line{f: f, vals: vals}
		v, id := conv(l)
		if l.err != nil {
			if id != "" {
				key += " (" + id + ")"
			}
			out.Rejected = append(out.Rejected, connectors.Rejected{Key: key, Reason: l.err.Error()})
			continue
		}
		out.Rows = append(out.Rows, v)
	}
	if err := f.rows.Err(); err != nil {
		x.open = nil
		return connectors.Page[T]{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: "read " + f.name, Err: err}
	}
	if len(out.Rows)+len(out.Rejected) < x.cfg.PageRows {
		out.Next = cursor{File: f.name, Row: -1}.String()
		x.open = nil
	} else {
		out.Next = cursor{File: f.name, Row: f.served}.String()
	}
	return out, nil
}

// openAt returns the file positioned after c.Row data rows, reusing the open
// one when it is already there. rej is why the file cannot be read at all.
func (x *Connector) openAt(ctx context.Context, entity string, c cursor) (*openFile, string, error) {
	if o := x.open; o != nil && o.entity == entity && o.name == c.File && o.served == c.Row {
		return o, "", nil
	}
	x.open = nil
	path := filepath.Join(x.cfg.Dir, inbox, c.File)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		// Moved aside already (acknowledged): nothing left to hand out.
		return nil, "", &connectors.Error{Kind: connectors.ErrInvalid, Op: "read " + c.File, Message: "the file is no longer in the inbox"}
	}
	if err != nil {
		return nil, "", &connectors.Error{Kind: connectors.ErrUnavailable, Op: "read " + c.File, Err: err}
	}
	if st.Size() > x.cfg.Limits.MaxFileBytes {
		return nil, x.reject(c.File, workbook.TooLarge(c.File, st.Size(), x.cfg.Limits.MaxFileBytes).Text), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", &connectors.Error{Kind: connectors.ErrUnavailable, Op: "read " + c.File, Err: err}
	}
	book, err := workbook.Open(data, c.File, x.cfg.Limits)
	var fe *workbook.FileError
	if errors.As(err, &fe) {
		return nil, x.reject(c.File, fe.Text), nil
	}
	if err != nil {
		return nil, "", &connectors.Error{Kind: connectors.ErrInvalid, Op: "read " + c.File, Err: err}
	}
	sheets := book.Sheets()
	if len(sheets) == 0 {
		return nil, x.reject(c.File, workbook.Textf("the file has no worksheet", "文件中没有工作表")), nil
	}
	rows, err := book.Rows(sheets[0])
	if err != nil {
		return nil, x.reject(c.File, workbook.Textf("%v", "%v", err)), nil
	}
	f := &openFile{entity: entity, name: c.File, rows: rows, mtime: st.ModTime().UTC()}
	// The header is the first row that is not blank.
	for rows.Next() {
		if vals := rows.Values(); !blank(vals) {
			h, missing := mapHeader(entity, vals)
			if len(missing) > 0 {
				return nil, x.reject(c.File, workbook.Textf("no column for %s in the header row %d",
					"表头（第 %[2]d 行）缺少列：%[1]s", strings.Join(missing, ", "), rows.Num())), nil
			}
			f.header = h
			break
		}
	}
	if f.header == nil {
		return nil, x.reject(c.File, workbook.Textf("the file has no header row", "文件没有表头行")), nil
	}
	for f.served < c.Row && rows.Next() {
		f.served++
	}
	x.open = f
	return f, "", nil
}

// reject moves an unreadable file to rejected/ with a note saying why, and
// returns the reason in both languages.
func (x *Connector) reject(name string, why workbook.Text) string {
	reason := why.EN
	if why.ZH != "" && why.ZH != why.EN {
		reason += " / " + why.ZH
	}
	dst := filepath.Join(x.cfg.Dir, rejected, x.stamp()+name)
	if err := os.Rename(filepath.Join(x.cfg.Dir, inbox, name), dst); err != nil {
		x.cfg.Log.Warn("exchange: could not move a rejected file aside", "file", name, "err", err)
	} else {
		_ = os.WriteFile(dst+".txt", []byte(reason+"\n"), 0o644)
	}
	x.cfg.Log.Warn("exchange: file rejected", "file", name, "reason", reason)
	return reason
}

func (x *Connector) stamp() string { return x.cfg.Now().UTC().Format("20060102T150405Z") + "-" }

// Acknowledge moves a file whose rows are all stored to processed/.
func (x *Connector) Acknowledge(_ context.Context, entity, cur string) error {
	c, err := parseCursor(cur)
	if err != nil || c.File == "" || c.Row >= 0 {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if o := x.open; o != nil && o.name == c.File {
		x.open = nil
	}
	src := filepath.Join(x.cfg.Dir, inbox, c.File)
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil // moved already (or rejected)
	}
	if err := os.Rename(src, filepath.Join(x.cfg.Dir, processed, x.stamp()+c.File)); err != nil {
		return &connectors.Error{Kind: connectors.ErrUnavailable, Op: "move " + c.File + " to processed", Err: err}
	}
	x.cfg.Log.Info("exchange: file processed", "entity", entity, "file", c.File)
	return nil
}

func blank(vals []string) bool {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// columns are each entity's fields and the headers that name them, in
// English and Chinese. Required fields come first.
var columns = map[string][]struct {
	field    string
	required bool
	names    []string
}{
	connectors.EntityCustomers: {
		{"code", true, []string{"code", "customer", "customer code", "customer no", "customer number", "客户编码", "客户代码", "客户编号", "客户号"}},
		{"name", true, []string{"name", "customer name", "客户名称", "名称", "客户"}},
		{"tax_id", false, []string{"tax id", "tax no", "uscc", "税号", "统一社会信用代码", "纳税人识别号"}},
		{"address", false, []string{"address", "地址", "客户地址"}},
		{"phone", false, []string{"phone", "telephone", "电话", "联系电话"}},
		{"payment_terms", false, []string{"payment terms", "terms", "付款条件", "结算方式", "账期"}},
		{"min_discount", false, []string{"min discount", "minimum discount", "最低折扣", "折扣下限"}},
		{"credit_limit", false, []string{"credit limit", "信用额度"}},
		{"currency", false, []string{"currency", "币种", "币别"}},
		{"blocked", false, []string{"blocked", "冻结", "是否冻结"}},
		{"changed_at", false, []string{"changed at", "last changed", "修改时间", "最后修改时间"}},
	},
	connectors.EntityInvoices: {
		{"number", true, []string{"number", "invoice", "invoice no", "invoice number", "发票号", "发票号码", "开票单号"}},
		{"customer", true, []string{"customer", "customer code", "客户编码", "客户代码", "客户编号"}},
		{"amount", true, []string{"amount", "gross amount", "total", "金额", "含税金额", "价税合计"}},
		{"issued_on", true, []string{"issued on", "invoice date", "date", "开票日期", "日期"}},
		{"due_on", false, []string{"due on", "due date", "到期日", "到期日期"}},
		{"sales_order", false, []string{"sales order", "order", "order no", "销售订单", "订单号", "销售订单号"}},
		{"currency", false, []string{"currency", "币种", "币别"}},
		{"cancelled", false, []string{"cancelled", "canceled", "作废", "是否作废"}},
	},
	connectors.EntityPayments: {
		{"reference", true, []string{"reference", "payment", "payment no", "receipt no", "收款单号", "回款单号", "流水号"}},
		{"invoice_no", true, []string{"invoice", "invoice no", "invoice number", "发票号", "发票号码"}},
		{"amount", true, []string{"amount", "金额", "收款金额", "回款金额"}},
		{"received_on", true, []string{"received on", "date", "收款日期", "回款日期", "日期"}},
		{"customer", false, []string{"customer", "customer code", "客户编码", "客户代码"}},
		{"currency", false, []string{"currency", "币种", "币别"}},
	},
}

func norm(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.TrimSuffix(strings.TrimSuffix(h, "*"), "＊")
	return strings.Join(strings.FieldsFunc(h, func(r rune) bool { return r == ' ' || r == '_' || r == '-' || r == '.' }), " ")
}

// mapHeader finds each field's column; missing lists required fields with none.
func mapHeader(entity string, header []string) (map[string]int, []string) {
	at := map[string]int{}
	for i, h := range header {
		at[norm(h)] = i
	}
	out := map[string]int{}
	var missing []string
	for _, col := range columns[entity] {
		for _, n := range col.names {
			if i, ok := at[norm(n)]; ok {
				out[col.field] = i
				break
			}
		}
		if _, ok := out[col.field]; !ok && col.required {
			missing = append(missing, col.names[0]+" / "+col.names[len(col.names)-1])
		}
	}
	return out, missing
}

func (f *openFile) get(vals []string, field string) string {
	i, ok := f.header[field]
	if !ok || i >= len(vals) {
		return ""
	}
	return strings.TrimSpace(vals[i])
}

// line reads one row's fields by name and keeps the first problem found, so
// a row is refused for what is wrong first in the order its fields are read.
type line struct {
	f    *openFile
	vals []string
	err  error
}

func (l *line) get(field string) string { return l.f.get(l.vals, field) }

// fail keeps err unless a problem was found before.
func (l *line) fail(err error) {
	if l.err == nil {
		l.err = err
	}
}

// need is a field that may not be empty; what names it to the person.
func (l *line) need(field, what string) string {
	s := l.get(field)
	if s == "" {
		l.fail(errors.New(what + " is empty"))
	}
	return s
}

// amount is a required amount, in minor units.
func (l *line) amount(field string) int64 {
	v, err := amount(l.get(field))
	if err != nil {
		l.fail(fmt.Errorf("%s: %w", field, err))
	}
	return v
}

// day is a required date; what names it to the person.
func (l *line) day(field, what string) time.Time {
	t, err := parseDay(l.get(field))
	if err != nil {
		l.fail(fmt.Errorf("%s: %w", what, err))
	}
	return t
}

// yes is a yes-or-no field; empty is no.
func (l *line) yes(field string) bool {
	b, err := yes(l.get(field))
	if err != nil {
		l.fail(err)
	}
	return b
}

// CustomersChanged implements connectors.ChangeReader.
func (x *Connector) CustomersChanged(ctx context.Context, _ time.Time, cur string) (connectors.Page[connectors.Customer], error) {
	return page(x, ctx, connectors.EntityCustomers, cur, func(l *line) (connectors.Customer, string) {
		c := connectors.Customer{Code: l.need("code", "customer code"), Name: l.need("name", "customer name"), TaxID: l.get("tax_id"),
			Address: l.get("address"), Phone: l.get("phone"), PaymentTerms: l.get("payment_terms"),
			Currency: strings.ToUpper(l.get("currency")), ChangedAt: l.f.mtime}
		if c.Currency != "" && len(c.Currency) != 3 {
			l.fail(fmt.Errorf("currency %q is not a three-letter code", c.Currency))
		}
		if s := l.get("min_discount"); s != "" {
			bp, err := percent(s)
			if err != nil {
				l.fail(fmt.Errorf("minimum discount: %w", err))
			}
			c.MinDiscountBP = &bp
		}
		if s := l.get("credit_limit"); s != "" {
			amt, err := amount(s)
			if err != nil || amt < 0 {
				l.fail(fmt.Errorf("credit limit %q is not an amount", s))
			}
			c.CreditLimit = &amt
		}
		c.Blocked = l.yes("blocked")
		if s := l.get("changed_at"); s != "" {
			t, err := parseTime(s)
			if err != nil {
				l.fail(fmt.Errorf("changed at: %w", err))
			}
			c.ChangedAt = t
		}
		return c, c.Code
	})
}

// InvoicesChanged implements connectors.ChangeReader.
func (x *Connector) InvoicesChanged(ctx context.Context, _ time.Time, cur string) (connectors.Page[connectors.Invoice], error) {
	return page(x, ctx, connectors.EntityInvoices, cur, func(l *line) (connectors.Invoice, string) {
		inv := connectors.Invoice{Number: l.need("number", "invoice number"), Customer: l.need("customer", "customer"),
			SalesOrder: l.get("sales_order"), Currency: orCNY(l.get("currency")), ChangedAt: l.f.mtime,
			Amount: l.amount("amount"), IssuedOn: l.day("issued_on", "issue date")}
		inv.DueOn = inv.IssuedOn.AddDate(0, 0, 30)
		if l.get("due_on") != "" {
			inv.DueOn = l.day("due_on", "due date")
		}
		inv.Cancelled = l.yes("cancelled")
		return inv, inv.Number
	})
}

// PaymentsChanged implements connectors.ChangeReader.
func (x *Connector) PaymentsChanged(ctx context.Context, _ time.Time, cur string) (connectors.Page[connectors.Payment], error) {
	return page(x, ctx, connectors.EntityPayments, cur, func(l *line) (connectors.Payment, string) {
		p := connectors.Payment{Reference: l.need("reference", "payment reference"), InvoiceNo: l.need("invoice_no", "invoice number"),
			Customer: l.get("customer"), Currency: orCNY(l.get("currency")), ChangedAt: l.f.mtime,
			Amount: l.amount("amount"), ReceivedOn: l.day("received_on", "received date")}
		return p, p.Reference
	})
}

func orCNY(c string) string {
	if c == "" {
		return "CNY"
	}
	return strings.ToUpper(c)
}

// amount reads "12,345.60", "¥12345.6" or "12345" into minor units.
func amount(s string) (int64, error) {
	t := strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", " ", "").Replace(s)
	if t == "" {
		return 0, errors.New("empty")
	}
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	whole, frac, _ := strings.Cut(t, ".")
	frac, ok := connectors.Hundredths(frac)
	if !ok {
		return 0, fmt.Errorf("%q has more than two decimals", s)
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w > 1e15 {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	return v, nil
}

// percent reads a minimum discount as a share of list price: "85", "85%",
// "0.85" or the Chinese "八五折" style "8.5折" — as basis points.
func percent(s string) (int64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "%"), "％"))
	zhe := strings.HasSuffix(t, "折")
	t = strings.TrimSuffix(t, "折")
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a percentage", s)
	}
	switch {
	case zhe:
		f *= 10 // 8.5折 = 85%
	case f > 0 && f <= 1 && !strings.HasSuffix(strings.TrimSpace(s), "%"):
		f *= 100 // 0.85 = 85%
	}
	bp := int64(f*100 + 0.5)
	if bp < 1 || bp > 10000 {
		return 0, fmt.Errorf("%q is not between 0.01%% and 100%%", s)
	}
	return bp, nil
}

func yes(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "n", "no", "false", "0", "否":
		return false, nil
	case "y", "yes", "true", "1", "x", "是":
		return true, nil
	}
	return false, fmt.Errorf("%q is neither yes nor no", s)
}

var dayLayouts = []string{"2006-01-02", "2006/01/02", "2006/1/2", "2006-1-2", "2006.01.02", "2006年1月2日", "20060102"}

func parseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range dayLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if t, err := parseTime(s); err == nil {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date like 2026-11-02", s)
}

func parseTime(s string) (time.Time, error) {
	for _, l := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006/01/02 15:04:05", "2006-01-02 15:04", "2006/1/2 15:04"} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time like 2026-11-02 15:04:05", s)
}

// --- write-backs: workbooks in outbox/ for the ERP to import ---

// outFile writes one workbook into the outbox under name, replacing a file of
// the same name (a retried write-back writes the same file again).
func (x *Connector) outFile(name, title string, header []string, rows [][]workbook.Cell) error {
	w, err := workbook.NewWriter(title, "l2c")
	if err != nil {
		return err
	}
	defer w.Close()
	cols := make([]workbook.Column, len(header))
	for i := range cols {
		cols[i] = workbook.Column{Width: 18, Text: true}
	}
	sh, err := w.NewSheet(title, workbook.SheetOptions{Columns: cols, HeaderRow: 1, Freeze: true})
	if err != nil {
		return err
	}
	hc := make([]workbook.Cell, len(header))
	for i, h := range header {
		hc[i] = workbook.Str(h)
	}
	if err := sh.WriteRow(hc...); err != nil {
		return err
	}
	for _, r := range rows {
		if err := sh.WriteRow(r...); err != nil {
			return err
		}
	}
	if err := sh.Close(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := w.Write(&buf); err != nil {
		return err
	}
	// Write then rename, so the ERP never picks up half a file.
	dst := filepath.Join(x.cfg.Dir, outbox, name)
	tmp := filepath.Join(x.cfg.Dir, outbox, "."+name+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return &connectors.Error{Kind: connectors.ErrUnavailable, Op: "write " + name, Err: err}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return &connectors.Error{Kind: connectors.ErrUnavailable, Op: "write " + name, Err: err}
	}
	return nil
}

// safe makes a key usable in a file name.
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == '*' || r == '?' || r == '"' || r == '<' || r == '>' || r == '|' || r < ' ' {
			return '_'
		}
		return r
	}, s)
}

func optCell(p *int64, f func(int64) workbook.Cell) workbook.Cell {
	if p == nil {
		return workbook.Str("")
	}
	return f(*p)
}

func moneyCell(v int64) workbook.Cell { return workbook.Str(fmt.Sprintf("%d.%02d", v/100, v%100)) }

// Customer answers with the code only: a folder cannot be asked about one
// customer; the next import of the ERP's customer file brings the rest.
func (x *Connector) Customer(_ context.Context, code string) (connectors.Customer, error) {
	return connectors.Customer{Code: code}, nil
}

// CustomerByKey finds a new-customer request written before under key.
func (x *Connector) CustomerByKey(_ context.Context, key string) (connectors.Customer, error) {
	if _, err := os.Stat(filepath.Join(x.cfg.Dir, outbox, "customer-"+safe(key)+".xlsx")); err == nil {
		return connectors.Customer{}, nil // requested; the ERP assigns the number when it imports it
	}
	return connectors.Customer{}, &connectors.Error{Kind: connectors.ErrNotFound, Op: "find customer request " + key}
}

// CreateCustomer writes a new-customer workbook for the ERP to import. The
// customer has no number until the ERP assigns one and exports it.
func (x *Connector) CreateCustomer(_ context.Context, idem connectors.Idempotency, c connectors.NewCustomer) (connectors.Customer, error) {
	pt := c.PaymentTerms
	if c.Terms.PaymentTerms != nil {
		pt = *c.Terms.PaymentTerms
	}
	row := []workbook.Cell{workbook.Str(idem.Key), workbook.Str(c.Name), workbook.Str(c.TaxID), workbook.Str(c.Street),
		workbook.Str(c.City), workbook.Str(c.PostalCode), workbook.Str(c.Country), workbook.Str(c.Phone),
		workbook.Str(orCNY(c.Currency)), workbook.Str(pt), optCell(c.Terms.MinDiscountBP, workbook.Percent),
		optCell(c.Terms.CreditLimit, moneyCell)}
	err := x.outFile("customer-"+safe(idem.Key)+".xlsx", "new customer 新客户",
		[]string{"request 申请号", "name 客户名称", "tax id 税号", "street 街道", "city 城市", "postal code 邮编", "country 国家",
			"phone 电话", "currency 币种", "payment terms 付款条件", "min discount 最低折扣", "credit limit 信用额度"},
		[][]workbook.Cell{row})
	return connectors.Customer{}, err
}

// UpdateCustomerTerms writes a terms-change workbook for the ERP to import.
// A folder has no versions to compare, so etag is recorded, not checked.
func (x *Connector) UpdateCustomerTerms(_ context.Context, code, etag string, t connectors.Terms) (connectors.Customer, error) {
	pt := ""
	if t.PaymentTerms != nil {
		pt = *t.PaymentTerms
	}
	name := fmt.Sprintf("terms-%s-%s.xlsx", safe(code), x.cfg.Now().UTC().Format("20060102T150405Z"))
	err := x.outFile(name, "terms change 条件变更",
		[]string{"customer 客户编码", "payment terms 付款条件", "min discount 最低折扣", "credit limit 信用额度", "based on 版本"},
		[][]workbook.Cell{{workbook.Str(code), workbook.Str(pt), optCell(t.MinDiscountBP, workbook.Percent),
			optCell(t.CreditLimit, moneyCell), workbook.Str(etag)}})
	if err != nil {
		return connectors.Customer{}, err
	}
	return connectors.Customer{Code: code, PaymentTerms: pt, MinDiscountBP: t.MinDiscountBP, CreditLimit: t.CreditLimit}, nil
}

func orderFile(customer, ref string) string {
	return "order-" + safe(customer) + "-" + safe(ref) + ".xlsx"
}

// FindSalesOrder finds an order written before for the customer and reference.
func (x *Connector) FindSalesOrder(_ context.Context, customer, ref string) (connectors.SalesOrder, error) {
	if _, err := os.Stat(filepath.Join(x.cfg.Dir, outbox, orderFile(customer, ref))); err == nil {
		return connectors.SalesOrder{Customer: customer, CustomerRef: ref}, nil
	}
	return connectors.SalesOrder{}, &connectors.Error{Kind: connectors.ErrNotFound, Op: "find order " + ref}
}

// CreateSalesOrder writes an order workbook for the ERP to import; the ERP's
// order number arrives later with its invoices.
func (x *Connector) CreateSalesOrder(_ context.Context, idem connectors.Idempotency, o connectors.NewSalesOrder) (connectors.SalesOrder, error) {
	var rows [][]workbook.Cell
	var total int64
	for _, it := range o.Items {
		rows = append(rows, []workbook.Cell{workbook.Str(o.Customer), workbook.Str(o.CustomerRef),
			workbook.Date(o.RequestedDelivery), workbook.Str(it.Material), workbook.Int(it.Quantity), workbook.Str(it.Unit),
			moneyCell(it.NetPrice), workbook.Str(orCNY(o.Currency)), workbook.Str(idem.Key)})
		total += it.NetPrice * it.Quantity
	}
	err := x.outFile(orderFile(o.Customer, o.CustomerRef), "sales order 销售订单",
		[]string{"customer 客户编码", "reference 合同号", "delivery 交货日期", "material 物料", "quantity 数量", "unit 单位",
			"net price 单价", "currency 币种", "request 申请号"}, rows)
	if err != nil {
		return connectors.SalesOrder{}, err
	}
	return connectors.SalesOrder{Customer: o.Customer, CustomerRef: o.CustomerRef, NetValue: total, Currency: orCNY(o.Currency)}, nil
}

// Shipments are not exported through the folder.
func (x *Connector) Shipments(_ context.Context, salesOrder string) ([]connectors.Shipment, error) {
	return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: "read shipments of " + salesOrder,
		Message: "the exchange folder carries no shipments"}
}
