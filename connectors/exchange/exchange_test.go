package exchange_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/connectors/connectorstest"
	"github.com/l2c/l2c/connectors/exchange"
	"github.com/l2c/l2c/internal/workbook"
	"github.com/l2c/l2c/internal/workbook/workbooktest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func folder(t *testing.T, pageRows int) (*exchange.Connector, string) {
	dir := t.TempDir()
	x, err := exchange.New(exchange.Config{Dir: dir, PageRows: pageRows, Log: quiet, Limits: workbook.DefaultLimits(),
		Now: func() time.Time { return time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC) }})
	require.NoError(t, err)
	return x, dir
}

func drop(t *testing.T, dir, name string, data []byte) {
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inbox", name), data, 0o644))
}

func readAll[T any](t *testing.T, x *exchange.Connector, read func(context.Context, time.Time, string) (connectors.Page[T], error), entity string) ([]T, []connectors.Rejected, int) {
	t.Helper()
	return connectorstest.ReadAll(t, read, time.Time{}, func(next string) {
		require.NoError(t, x.Acknowledge(context.Background(), entity, next))
	})
}

func TestCustomersFromChineseGBKCSVAndEnglishXLSX(t *testing.T) {
	x, dir := folder(t, 2)
	gbk, err := simplifiedchinese.GBK.NewEncoder().String("客户编码,客户名称,税号,付款条件,最低折扣,信用额度,冻结\n" +
		"C1001,苏州精密零件有限公司,91320500MA1XXXXX01,NT30,85%,\"500,000.00\",否\n" +
		",无名客户,,,,,\n" +
		"C1002,宁波汽车零部件,,NT60,8.5折,abc,否\n" +
		"C1003,无锡纺织机械,,NT30,0.9,,是\n")
	require.NoError(t, err)
	drop(t, dir, "客户_20261101.csv", []byte(gbk))
	drop(t, dir, "customers_20261102.xlsx", workbooktest.XLSX(t, workbooktest.Sheet{Name: "Customers", Rows: [][]any{
		{"Customer Code", "Customer Name", "Payment Terms", "Min Discount"},
		{"C2001", "Hangzhou Valves", "NT45", 80},
	}}))
	drop(t, dir, "~$customers_20261102.xlsx", []byte("lock file"))
	drop(t, dir, "invoices_1.csv", []byte("not for customers"))

	rows, bad, _ := readAll(t, x, x.CustomersChanged, connectors.EntityCustomers)
	require.Len(t, rows, 3)
	require.Equal(t, "C2001", rows[0].Code) // files in name order: "customers_…" before "客户_…"
	require.Equal(t, int64(8000), *rows[0].MinDiscountBP)
	require.Equal(t, "苏州精密零件有限公司", rows[1].Name)
	require.Equal(t, int64(8500), *rows[1].MinDiscountBP)
	require.Equal(t, int64(50000000), *rows[1].CreditLimit)
	require.Equal(t, "C1003", rows[2].Code)
	require.True(t, rows[2].Blocked)
	require.Equal(t, int64(9000), *rows[2].MinDiscountBP)
	require.Len(t, bad, 2)
	require.Contains(t, bad[0].Key, "row 3")
	require.Contains(t, bad[0].Reason, "code is empty")
	require.Contains(t, bad[1].Key, "C1002")
	require.Contains(t, bad[1].Reason, "credit limit")

	// Both files were moved aside once stored; a second pass reads nothing.
	left, _ := os.ReadDir(filepath.Join(dir, "inbox"))
	require.Len(t, left, 2) // the lock file and the invoices
	done, _ := os.ReadDir(filepath.Join(dir, "processed"))
	require.Len(t, done, 2)
	rows, bad, pages := readAll(t, x, x.CustomersChanged, connectors.EntityCustomers)
	require.Empty(t, rows)
	require.Empty(t, bad)
	require.Equal(t, 1, pages)
}

func TestUnreadableFilesAreMovedAsideWithAReason(t *testing.T) {
	x, dir := folder(t, 100)
	drop(t, dir, "invoices_a.xlsx", []byte("%PDF-1.7 not a workbook"))
	drop(t, dir, "invoices_b.csv", []byte("foo,bar\n1,2\n"))
	drop(t, dir, "invoices_c.csv", []byte("Invoice No,Customer,Amount,Invoice Date,Sales Order\nINV-1,C1001,\"43,200.00\",2026-11-02,SO-1\nINV-2,C1001,12.345,2026-11-02,\n"))
	rows, bad, _ := readAll(t, x, x.InvoicesChanged, connectors.EntityInvoices)
	require.Len(t, rows, 1)
	require.Equal(t, int64(4320000), rows[0].Amount)
	require.Equal(t, "SO-1", rows[0].SalesOrder)
	require.Equal(t, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), rows[0].DueOn)
	require.Len(t, bad, 3)
	require.Equal(t, "invoices_a.xlsx", bad[0].Key)
	require.Equal(t, "invoices_b.csv", bad[1].Key)
	require.Contains(t, bad[1].Reason, "no column")
	require.Contains(t, bad[2].Reason, "two decimals")
	rej, _ := os.ReadDir(filepath.Join(dir, "rejected"))
	require.Len(t, rej, 4) // two files and their reasons
}

func TestResumingMidFileDoesNotRepeatRows(t *testing.T) {
	x, dir := folder(t, 2)
	drop(t, dir, "payments_1.csv", []byte("收款单号,发票号,金额,收款日期\nP1,INV-1,100,2026-11-01\nP2,INV-1,200,2026/11/02\nP3,INV-2,300,2026年11月3日\n"))
	p1, err := x.PaymentsChanged(context.Background(), time.Time{}, "")
	require.NoError(t, err)
	require.Len(t, p1.Rows, 2)
	// A new process (another worker) resumes from the saved cursor.
	y, err := exchange.New(exchange.Config{Dir: dir, PageRows: 2, Log: quiet})
	require.NoError(t, err)
	p2, err := y.PaymentsChanged(context.Background(), time.Time{}, p1.Next)
	require.NoError(t, err)
	require.Len(t, p2.Rows, 1)
	require.Equal(t, "P3", p2.Rows[0].Reference)
	require.Equal(t, time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), p2.Rows[0].ReceivedOn)
}

func TestWriteBacksAreWorkbooksInTheOutbox(t *testing.T) {
	ctx := context.Background()
	x, dir := folder(t, 100)
	nt := "NT60"
	bp := int64(8000)
	c, err := x.UpdateCustomerTerms(ctx, "C1001", "", connectors.Terms{PaymentTerms: &nt, MinDiscountBP: &bp})
	require.NoError(t, err)
	require.Equal(t, "NT60", c.PaymentTerms)
	_, err = x.CustomerByKey(ctx, "approval/NC-1")
	require.ErrorIs(t, err, connectors.ErrNotFound)
	_, err = x.CreateCustomer(ctx, connectors.Idempotency{Key: "approval/NC-1"}, connectors.NewCustomer{Name: "Jinan Castings"})
	require.NoError(t, err)
	_, err = x.CustomerByKey(ctx, "approval/NC-1")
	require.NoError(t, err)
	_, err = x.CreateSalesOrder(ctx, connectors.Idempotency{Key: "deal/D-1/order"}, connectors.NewSalesOrder{Customer: "C1001",
		CustomerRef: "HT-1", Items: []connectors.OrderItem{{Material: "SP-100", Quantity: 4, NetPrice: 1200000}}})
	require.NoError(t, err)
	so, err := x.FindSalesOrder(ctx, "C1001", "HT-1")
	require.NoError(t, err)
	require.Equal(t, "HT-1", so.CustomerRef)
	out, _ := os.ReadDir(filepath.Join(dir, "outbox"))
	require.Len(t, out, 3)
	for _, f := range out {
		data, err := os.ReadFile(filepath.Join(dir, "outbox", f.Name()))
		require.NoError(t, err)
		book, err := workbook.Open(data, f.Name(), workbook.DefaultLimits())
		require.NoError(t, err, f.Name())
		require.NotEmpty(t, book.Sheets())
	}
	_, err = x.Shipments(ctx, "SO-1")
	require.ErrorIs(t, err, connectors.ErrInvalid)
}
