package customerimport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/l2c/l2c/internal/customerimport"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/workbook"
	"github.com/l2c/l2c/internal/workbook/workbooktest"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

var staff = []identity.User{
	{ID: "zhao", Name: "Zhao Min", Roles: []identity.Role{identity.RoleSalesAssistant}},
	{ID: "wang", Name: "Wang Wei", Roles: []identity.Role{identity.RoleSales}},
	{ID: "liu", Name: "刘洋", Roles: []identity.Role{identity.RoleSales}},
	{ID: "li", Name: "Li Na", Roles: []identity.Role{identity.RoleSalesManager}},
	{ID: "lina2", Name: "Li Na", Roles: []identity.Role{identity.RoleSales}},
	{ID: "sun", Name: "Sun Li", Roles: []identity.Role{identity.RoleFinance}},
}

type env struct {
	db   *database.DB
	pool *pgxpool.Pool
	im   *customerimport.Importer
}

var shared testenv.Shared[env]

func setup(t testing.TB) *env {
	t.Helper()
	return shared.Get(t, func() *env {
		db, pool := testenv.SharedDB(t, staff...)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		return &env{db: db, pool: pool, im: customerimport.New(db, log, time.UTC)}
	})
}

var zhao = staff[0]

func (e *env) run(t *testing.T, name string, data []byte, mode customerimport.Mode, dry bool) (*customerimport.Report, error) {
	t.Helper()
	return e.im.Run(context.Background(), customerimport.Request{FileName: name, Data: data, Mode: mode, DryRun: dry, Actor: zhao})
}

// snapshot is every stored customer whose code starts with prefix, as text,
// to show that a refused import changed nothing.
func (e *env) snapshot(t *testing.T, prefix string) string {
	t.Helper()
	var s string
	err := e.pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(c::text, E'\n' ORDER BY code), '')
		FROM customers c WHERE code LIKE $1 || '%'`, prefix).Scan(&s)
	require.NoError(t, err)
	return s
}

func (e *env) customer(t *testing.T, code string) database.Customer {
	t.Helper()
	got, err := e.db.CustomersByCode(context.Background(), []string{code})
	require.NoError(t, err)
	c, ok := got[code]
	require.True(t, ok, "customer %s is stored", code)
	return c
}

func ptr(v int64) *int64 { return &v }

// errorsAt indexes a report's errors as "B5" → message.
func errorsAt(rep *customerimport.Report) map[string]string {
	out := map[string]string{}
	for _, e := range rep.Errors {
		out[fmt.Sprintf("%s%d", e.Column, e.Row)] += e.Message
	}
	return out
}

func fileKind(t *testing.T, err error) workbook.ErrorKind {
	t.Helper()
	var fe *workbook.FileError
	require.True(t, errors.As(err, &fe), "want a whole-file error, got %v", err)
	return fe.Kind
}

var enHeader = []any{"Customer code", "Customer name", "Tax ID", "Address", "Contact", "Phone", "Payment terms",
	"Minimum discount", "Credit limit", "Value class", "Sales owner"}

func TestEnglishHeaders(t *testing.T) {
	e := setup(t)
	data := workbooktest.XLSX(t, workbooktest.Sheet{Name: "Customers", Rows: [][]any{
		enHeader,
		{"EN-1", "Suzhou Precision Parts Co.", "91320594MA1M7XKW25", "328 Xinghu St, Suzhou", "Zhang Wei", "0512-62881234", "NT30", "85%", "500000", "A", "wang"},
		{"EN-2", "Ningbo Auto Components", "", "", "", 13800138000, "", 0.9, 1200000.5, "b", "Wang Wei"},
		{"EN-3", "Wuxi Textile Machinery", nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}})
	rep, err := e.run(t, "customers.xlsx", data, "", false)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusImported, rep.Status, rep.Message)
	require.Equal(t, customerimport.Counts{Total: 3, Accepted: 3, Inserted: 3}, rep.Rows)
	require.Equal(t, "en", rep.File.Language)
	require.Equal(t, 1, rep.File.HeaderRow)
	require.Empty(t, rep.Ignored)

	c := e.customer(t, "EN-1")
	require.Equal(t, "Suzhou Precision Parts Co.", c.Name)
	require.Equal(t, "91320594MA1M7XKW25", c.TaxID)
	require.Equal(t, ptr(8500), c.MinDiscountBP)
	require.Equal(t, ptr(50000000), c.CreditLimit)
	require.Equal(t, "A", c.ValueClass)
	require.Equal(t, "wang", c.SalesOwner)
	require.Equal(t, "CNY", c.Currency)
	require.Equal(t, "import", c.Source)
	c = e.customer(t, "EN-2")
	require.Equal(t, "13800138000", c.Phone)
	require.Equal(t, ptr(9000), c.MinDiscountBP)
	require.Equal(t, ptr(120000050), c.CreditLimit)
	require.Equal(t, "B", c.ValueClass)
	require.Equal(t, "wang", c.SalesOwner, "a full name resolves to the user")
	c = e.customer(t, "EN-3")
	require.Nil(t, c.MinDiscountBP)
	require.Nil(t, c.CreditLimit)

	// The same file again changes nothing and says so.
	rep, err = e.run(t, "customers.xlsx", data, "", false)
	require.NoError(t, err)
	require.Equal(t, customerimport.Counts{Total: 3, Accepted: 3, Unchanged: 3}, rep.Rows)
}

// TestChineseHeadersBelowATitle: the header sits in row 4 under a title and a
// blank row; extra columns are ignored and listed; the result speaks Chinese
// and keeps the rows where they were.
func TestChineseHeadersBelowATitle(t *testing.T) {
	e := setup(t)
	data := workbooktest.XLSX(t, workbooktest.Sheet{Name: "说明", Rows: [][]any{{"请在“客户”表中填写"}}},
		workbooktest.Sheet{Name: "客户", Rows: [][]any{
			{"2026 年华东区新客户清单"},
			{"制表：赵敏"},
			nil,
			{"序号", "客户编码*", "客户名称（必填）", "税号", "地址", "联系人", "联系电话", "付款条件", "最低折扣（%）", "信用额度（元）", "客户等级", "销售负责人", "备注"},
			{1, "ZH-1", "苏州精密零件有限公司", "", "苏州工业园区星湖街 328 号", "张伟", "0512-62881234", "月结30天", "八五折", "50万", "A类", "wang", "老客户介绍"},
			nil,
			{"序号", "客户编码*", "客户名称（必填）", "税号", "地址", "联系人", "联系电话", "付款条件", "最低折扣（%）", "信用额度（元）", "客户等级", "销售负责人", "备注"},
			{2, "ZH-2", "宁波汽车零部件有限公司", "", "", "", "", "", 88, "1,200,000.00", "B", "刘洋"},
			{3, "ZH-3", "", "", "", "", "", "", "120%", "", "D", "nobody"},
		}})
	rep, err := e.run(t, "客户清单.xlsx", data, customerimport.AcceptValid, false)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusPartial, rep.Status)
	require.Equal(t, customerimport.Counts{Total: 3, Accepted: 2, Rejected: 1, Inserted: 2}, rep.Rows)
	require.Equal(t, "客户", rep.File.Sheet)
	require.Equal(t, 4, rep.File.HeaderRow)
	require.Equal(t, "zh", rep.File.Language)
	require.Equal(t, []customerimport.ColumnUse{{Column: "A", Header: "序号"}, {Column: "M", Header: "备注"}}, rep.Ignored)
	require.Contains(t, rep.Message, "已导入 2/3 个客户")
	errs := errorsAt(rep)
	require.Len(t, errs, 4)
	require.Contains(t, errs["C9"], "必填")
	require.Contains(t, errs["I9"], "超过标价的 100%")
	require.Contains(t, errs["K9"], "A、B 或 C")
	require.Contains(t, errs["L9"], "没有用户")

	c := e.customer(t, "ZH-1")
	require.Equal(t, ptr(8500), c.MinDiscountBP)
	require.Equal(t, ptr(50000000), c.CreditLimit)
	require.Equal(t, "A", c.ValueClass)
	require.Equal(t, "月结30天", c.PaymentTerms)
	require.Equal(t, "liu", e.customer(t, "ZH-2").SalesOwner)

	// The result: summary first, then the sheet as it was, annotated.
	f, err := excelize.OpenReader(bytes.NewReader(rep.Result))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{"导入结果", "客户"}, f.GetSheetList())
	require.Equal(t, "customers.result.xlsx", strings.Replace(rep.ResultName, "客户清单", "customers", 1))
	title, _ := f.GetCellValue("客户", "A1")
	require.Equal(t, "2026 年华东区新客户清单", title)
	head, _ := f.GetCellValue("客户", "N4")
	require.Equal(t, "导入结果", head)
	ok, _ := f.GetCellValue("客户", "N5")
	require.Equal(t, "✓ 新增", ok)
	again, _ := f.GetCellValue("客户", "B7")
	require.Equal(t, "客户编码*", again, "a repeated header is kept, and not imported")
	none, _ := f.GetCellValue("客户", "N7")
	require.Empty(t, none)
	bad, _ := f.GetCellValue("客户", "N9")
	require.True(t, strings.HasPrefix(bad, "✗ 客户名称: 必填"), bad)
	comments, err := f.GetComments("客户")
	require.NoError(t, err)
	cells := map[string]bool{}
	for _, c := range comments {
		cells[c.Cell] = true
	}
	require.Equal(t, map[string]bool{"C9": true, "I9": true, "K9": true, "L9": true}, cells)
	style, _ := f.GetCellStyle("客户", "I9")
	require.Equal(t, "FFC7CE", f.Styles.Fills.Fill[*f.Styles.CellXfs.Xf[style].FillID].PatternFill.FgColor.RGB[2:])
	panes, _ := f.GetPanes("客户")
	require.Equal(t, 4, panes.YSplit, "frozen below the header")
	discount, _ := f.GetCellValue("客户", "I5")
	require.Equal(t, "85%", discount, "understood numbers are written back typed")
}

func TestGBKCSV(t *testing.T) {
	e := setup(t)
	csv := "客户编码,客户名称,地址,最低折扣,信用额度,销售负责人\r\n" +
		"GBK-1,苏州精密零件有限公司,\"苏州市工业园区, 星湖街 328 号\",85%,\"500,000.00\",wang\r\n" +
		"GBK-2,无锡纺织机械厂,无锡市,0.9,,\r\n"
	before := e.snapshot(t, "GBK-")
	rep, err := e.run(t, "客户.csv", workbooktest.GBK(t, csv), "", true)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusValidated, rep.Status)
	require.Equal(t, customerimport.Counts{Total: 2, Accepted: 2, Inserted: 2}, rep.Rows)
	require.Equal(t, before, e.snapshot(t, "GBK-"), "a dry run writes nothing")

	rep, err = e.run(t, "客户.csv", workbooktest.GBK(t, csv), "", false)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusImported, rep.Status)
	require.Equal(t, "csv", rep.File.Format)
	require.Equal(t, "GBK", rep.File.Encoding)
	require.Equal(t, customerimport.Counts{Total: 2, Accepted: 2, Inserted: 2}, rep.Rows)
	c := e.customer(t, "GBK-1")
	require.Equal(t, "苏州精密零件有限公司", c.Name)
	require.Equal(t, "苏州市工业园区, 星湖街 328 号", c.Address)
	require.Equal(t, ptr(50000000), c.CreditLimit)
	require.Equal(t, "无锡纺织机械厂", e.customer(t, "GBK-2").Name)
}

// TestNumbersWrittenAsText: discounts and amounts as people type them; what
// is unambiguous is read, the rest refused with a reason.
func TestNumbersWrittenAsText(t *testing.T) {
	e := setup(t)
	rows := [][]any{{"Customer code", "Customer name", "Minimum discount", "Credit limit"}}
	type want struct {
		discount, credit *int64
		err              string // in the discount or credit cell
	}
	cases := []struct {
		discount, credit string
		want
	}{
		{"85%", "500000", want{discount: ptr(8500), credit: ptr(50000000)}},
		{"0.85", "500,000.00", want{discount: ptr(8500), credit: ptr(50000000)}},
		{"85", "¥1,200", want{discount: ptr(8500), credit: ptr(120000)}},
		{"８５％", "50万", want{discount: ptr(8500), credit: ptr(50000000)}},
		{"八五折", "1.5万元", want{discount: ptr(8500), credit: ptr(1500000)}},
		{"8.5折", "RMB 0", want{discount: ptr(8500), credit: ptr(0)}},
		{"95折", "", want{discount: ptr(9500)}},
		{"87.5", "100.5", want{discount: ptr(8750), credit: ptr(10050)}},
		{"0.8500000000000001", "", want{discount: ptr(8500)}},
		{"100%", "", want{discount: ptr(10000)}},
		{"1", "", want{err: "ambiguous"}},
		{"0.85%", "", want{err: "did you mean 85%"}},
		{"120", "", want{err: "more than 100%"}},
		{"85.123%", "", want{err: "too many decimals"}},
		{"about 85", "", want{err: "not a discount"}},
		{"", "1.234,56", want{err: "ambiguous"}},
		{"", "-5000", want{err: "negative"}},
		{"", "500.123", want{err: "more than two decimals"}},
		{"", "$5000", want{err: "currency sign"}},
		{"", "5E+05", want{err: "scientific notation"}},
	}
	for i, c := range cases {
		rows = append(rows, []any{fmt.Sprintf("NUM-%02d", i), "Customer " + fmt.Sprint(i), c.discount, c.credit})
	}
	data := workbooktest.XLSX(t, workbooktest.Sheet{Name: "Sheet1", Rows: rows})
	before := e.snapshot(t, "NUM-")
	rep, err := e.run(t, "numbers.xlsx", data, customerimport.AllOrNothing, false)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusRejected, rep.Status)
	require.Equal(t, customerimport.Counts{Total: 20, Accepted: 10, Rejected: 10, Inserted: 10}, rep.Rows)
	require.Equal(t, before, e.snapshot(t, "NUM-"), "all or nothing: nothing written")

	rep, err = e.run(t, "numbers.xlsx", data, customerimport.AcceptValid, false)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusPartial, rep.Status)
	require.Equal(t, customerimport.Counts{Total: 20, Accepted: 10, Rejected: 10, Inserted: 10}, rep.Rows)
	errs := errorsAt(rep)
	for i, c := range cases {
		row := i + 2
		if c.err != "" {
			msg := errs[fmt.Sprintf("C%d", row)] + errs[fmt.Sprintf("D%d", row)]
			require.Contains(t, msg, c.err, "row %d: %q %q", row, c.discount, c.credit)
			continue
		}
		got := e.customer(t, fmt.Sprintf("NUM-%02d", i))
		require.Equal(t, c.want.discount, got.MinDiscountBP, "row %d discount %q", row, c.discount)
		require.Equal(t, c.want.credit, got.CreditLimit, "row %d credit %q", row, c.credit)
	}
}

// TestDuplicates: a code twice in the file rejects both rows; a tax ID that
// belongs to another customer is refused; a code already in l2c may correct
// its phone but not its terms.
func TestDuplicates(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	_, err := e.db.CustomersUpsert(ctx, []database.Customer{
		{Code: "DUP-1", Name: "Suzhou Parts", TaxID: "91310000132209637T", Phone: "0512-1", MinDiscountBP: ptr(9000), Source: "erp", SalesOwner: "wang"},
		{Code: "DUP-4", Name: "Ningbo Auto", MinDiscountBP: ptr(9000), CreditLimit: ptr(100000), Source: "erp"},
		{Code: "DUP-5", Name: "Wuxi Textile", Address: "Wuxi", Source: "import"},
	}, nil)
	require.NoError(t, err)
	data := workbooktest.XLSX(t, workbooktest.Sheet{Name: "Customers", Rows: [][]any{
		{"Customer code", "Customer name", "Tax ID", "Address", "Phone", "Minimum discount", "Sales owner"},
		{"DUP-1", "Suzhou Parts", "91310000132209637T", "", "0512-62881234", "90%", "wang"}, // 2: update: phone
		{"DUP-2", "Hangzhou Motors", "", "", "", "", ""},                                    // 3: twice in the file
		{"DUP-3", "Someone Else", "91310000132209637T", "", "", "", ""},                     // 4: DUP-1's tax ID
		{"DUP-2", "Hangzhou Motors Ltd", "", "", "", "", ""},                                // 5: twice in the file
		{"DUP-4", "Ningbo Auto", "", "", "", "85%", ""},                                     // 6: a terms change
		{"DUP-5", "Wuxi Textile", "", "Wuxi", "", "", ""},                                   // 7: unchanged
		{"DUP-6", "Changzhou Tools", "91110108MA01G1KP40", "", "", "", ""},                  // 8: new
		{"DUP-7", "Changzhou Tools 2", "91110108MA01G1KP40", "", "", "", ""},                // 9: DUP-6's tax ID, in the file
		{"DUP-8", "Taizhou Valves", "", "", "", "", ""},                                     // 10: new
	}})
	before := e.snapshot(t, "DUP-")
	rep, err := e.run(t, "dups.xlsx", data, "", false)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusRejected, rep.Status)
	require.Equal(t, customerimport.Counts{Total: 9, Accepted: 3, Rejected: 6, Inserted: 1, Updated: 1, Unchanged: 1}, rep.Rows, "%+v", rep.Errors)
	require.Equal(t, before, e.snapshot(t, "DUP-"))
	errs := errorsAt(rep)
	require.Contains(t, errs["A3"], "appears again in row 5")
	require.Contains(t, errs["A5"], "also in row 3")
	require.Contains(t, errs["C4"], "already belongs to customer DUP-1")
	require.Contains(t, errs["F6"], "change request")
	require.Contains(t, errs["F6"], "90%")
	require.Contains(t, errs["C8"], "appears again in row 9")
	require.Contains(t, errs["C9"], "also in row 8")
	require.Len(t, errs, 6)

	rep, err = e.run(t, "dups.xlsx", data, customerimport.AcceptValid, false)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusPartial, rep.Status)
	require.Equal(t, customerimport.Counts{Total: 9, Accepted: 3, Rejected: 6, Inserted: 1, Updated: 1, Unchanged: 1}, rep.Rows)
	c := e.customer(t, "DUP-1")
	require.Equal(t, "0512-62881234", c.Phone, "the phone is corrected")
	require.Equal(t, "erp", c.Source, "the rest is kept as the ERP sent it")
	require.Equal(t, ptr(9000), c.MinDiscountBP)
	require.Equal(t, ptr(9000), e.customer(t, "DUP-4").MinDiscountBP, "terms are not changed by an import")
	require.Equal(t, "Taizhou Valves", e.customer(t, "DUP-8").Name)
	existing, err := e.db.CustomerCodesExisting(ctx, []string{"DUP-2", "DUP-3", "DUP-6", "DUP-7"})
	require.NoError(t, err)
	require.Empty(t, existing)
}

func TestMissingRequiredColumn(t *testing.T) {
	e := setup(t)
	data := workbooktest.XLSX(t, workbooktest.Sheet{Name: "客户", Rows: [][]any{
		{"客户名称", "地址", "电话"},
		{"苏州精密零件有限公司", "苏州", "0512-62881234"},
	}})
	rep, err := e.run(t, "no-code.xlsx", data, customerimport.AcceptValid, false)
	require.Equal(t, workbook.ErrorKind("missing_column"), fileKind(t, err))
	require.Contains(t, err.Error(), "客户编码 (Customer code)")
	require.Contains(t, err.Error(), "row 1")
	require.Equal(t, customerimport.StatusFailed, rep.Status)
	job, err := e.db.ImportGet(context.Background(), rep.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", job.Status)
	require.Equal(t, "missing_column", job.ErrorKind)
	require.Contains(t, job.Message, "缺少必填列")
}

// TestFormulas: a formula's calculated value is read like any value; a
// formula never calculated has none and is refused; text that would run as a
// formula when exported is refused in names.
func TestFormulas(t *testing.T) {
	e := setup(t)
	data := workbooktest.XLSX(t, workbooktest.Sheet{Name: "Customers", Rows: [][]any{
		{"Customer code", "Customer name", "Credit limit", "Address"},
		{"FX-1", workbooktest.Formula{Expr: `"Suzhou "&"Parts"`, Cached: "Suzhou Parts"}, workbooktest.Formula{Expr: "100*5000", Cached: 500000}, ""},
		{"FX-2", "Ningbo Auto", workbooktest.Formula{Expr: "100*5000"}, ""},
		{"FX-3", `=HYPERLINK("http://evil.example","Click")`, "", ""},
		{"FX-4", "Wuxi Textile", "", "@SUM(1+1)*cmd|' /C calc'!A0"},
	}})
	before := e.snapshot(t, "FX-")
	rep, err := e.run(t, "formulas.xlsx", data, "", false)
	require.NoError(t, err)
	require.Equal(t, customerimport.Counts{Total: 4, Accepted: 1, Rejected: 3, Inserted: 1}, rep.Rows)
	require.Equal(t, before, e.snapshot(t, "FX-"))
	require.Equal(t, 3, rep.Formulas)
	errs := errorsAt(rep)
	require.Contains(t, errs["C3"], "never calculated")
	require.Contains(t, errs["B4"], "run as a formula")
	require.Contains(t, errs["D5"], "run as a formula")

	rep, err = e.run(t, "formulas.xlsx", data, customerimport.AcceptValid, false)
	require.NoError(t, err)
	require.Equal(t, customerimport.Counts{Total: 4, Accepted: 1, Rejected: 3, Inserted: 1}, rep.Rows)
	c := e.customer(t, "FX-1")
	require.Equal(t, "Suzhou Parts", c.Name)
	require.Equal(t, ptr(50000000), c.CreditLimit)

	// The result never carries a formula: the refused text comes back as text.
	f, err := excelize.OpenReader(bytes.NewReader(rep.Result))
	require.NoError(t, err)
	defer f.Close()
	v, _ := f.GetCellValue("Customers", "B4")
	require.Equal(t, `=HYPERLINK("http://evil.example","Click")`, v)
	formula, _ := f.GetCellFormula("Customers", "B4")
	require.Empty(t, formula)
}

// TestFilesThatCannotBeImported: each is refused whole, with a reason, and
// the database is as it was.
func TestFilesThatCannotBeImported(t *testing.T) {
	e := setup(t)
	good := workbooktest.XLSX(t, workbooktest.Sheet{Name: "S", Rows: [][]any{
		{"Customer code", "Customer name"}, {"BAD-1", "Should never be stored"}, {"BAD-2", "Nor this"},
	}})
	cases := []struct {
		name string
		file string
		data []byte
		kind workbook.ErrorKind
		says string
	}{
		{"renamed text file", "customers.xlsx", []byte("Shopping list\nmilk\neggs\n"), "not_a_workbook", "plain text"},
		{"truncated", "customers.xlsx", good[:len(good)-200], workbook.ErrDamaged, "incomplete"},
		{"legacy xls", "customers.xls", workbooktest.LegacyXLS(), workbook.ErrLegacyXLS, "Save As"},
		{"zip bomb", "customers.xlsx", workbooktest.ZipBomb(t, 512<<20), workbook.ErrZipBomb, "unpack"},
		{"no header", "customers.csv", []byte("a,b\n1,2\n"), "no_header", "客户编码"},
		{"header only", "customers.csv", []byte("客户编码,客户名称\n"), "no_rows", "no customers"},
		{"duplicate column", "customers.csv", []byte("客户编码,客户名称,电话,手机\nBAD-3,x,1,2\n"), "duplicate_column", "电话"},
	}
	before := e.snapshot(t, "BAD-")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			rep, err := e.run(t, c.file, c.data, customerimport.AcceptValid, false)
			require.Equal(t, c.kind, fileKind(t, err), "%v", err)
			require.Contains(t, err.Error(), c.says)
			require.Equal(t, customerimport.StatusFailed, rep.Status)
			require.Less(t, time.Since(start), 2*time.Second)
			require.Equal(t, before, e.snapshot(t, "BAD-"))
		})
	}
}

func TestWhoMayImport(t *testing.T) {
	e := setup(t)
	data := []byte("客户编码,客户名称\nAUTH-1,x\n")
	for _, u := range []identity.User{staff[1], staff[5]} {
		_, err := e.im.Run(context.Background(), customerimport.Request{FileName: "c.csv", Data: data, Actor: u})
		require.ErrorIs(t, err, customerimport.ErrForbidden, u.ID)
	}
	require.Equal(t, "", e.snapshot(t, "AUTH-"))
}

func TestSalesOwners(t *testing.T) {
	e := setup(t)
	data := []byte("Customer code,Customer name,Sales owner\nOWN-1,a,WANG\nOWN-2,b,Li Na\nOWN-3,c,sun\nOWN-4,d,li\nOWN-5,e,刘洋\n")
	rep, err := e.run(t, "owners.csv", data, customerimport.AcceptValid, false)
	require.NoError(t, err)
	require.Equal(t, customerimport.Counts{Total: 5, Accepted: 3, Rejected: 2, Inserted: 3}, rep.Rows)
	errs := errorsAt(rep)
	require.Contains(t, errs["C3"], "names 2 users (li, lina2)")
	require.Contains(t, errs["C4"], "not in sales")
	require.Equal(t, "wang", e.customer(t, "OWN-1").SalesOwner)
	require.Equal(t, "li", e.customer(t, "OWN-4").SalesOwner)
	require.Equal(t, "liu", e.customer(t, "OWN-5").SalesOwner)
}

// TestTemplateRoundTrip: the template, filled in with Excel's own API, imports.
func TestTemplateRoundTrip(t *testing.T) {
	e := setup(t)
	for _, lang := range []workbook.Lang{workbook.Chinese, workbook.English} {
		var buf bytes.Buffer
		require.NoError(t, customerimport.WriteTemplate(&buf, lang, workbook.DefaultLimits()))
		f, err := excelize.OpenReader(&buf)
		require.NoError(t, err)
		sheets := f.GetSheetList()
		require.Len(t, sheets, 2)
		header, err := f.GetRows(sheets[0])
		require.NoError(t, err)
		require.Len(t, header[0], 12)
		comments, err := f.GetComments(sheets[0])
		require.NoError(t, err)
		require.Len(t, comments, 12, "every column is explained")
		dv, err := f.GetDataValidations(sheets[0])
		require.NoError(t, err)
		require.Len(t, dv, 2)
		code := "TPL-" + string(lang)
		require.NoError(t, f.SetSheetRow(sheets[0], "A2", &[]any{code, "Template Customer", "", "", "", "0512-62881234", "NT30", "85%", 500000, "A", "wang", "CNY"}))
		var filled bytes.Buffer
		require.NoError(t, f.Write(&filled))
		f.Close()
		rep, err := e.run(t, "template.xlsx", filled.Bytes(), "", false)
		require.NoError(t, err)
		require.Equal(t, customerimport.StatusImported, rep.Status, rep.Message)
		require.Equal(t, string(lang), rep.File.Language)
		require.Equal(t, ptr(8500), e.customer(t, code).MinDiscountBP)
	}
}
