package reports_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/reports"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/workbook"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestAgeingBucketsAreCollections: the reports and the customer page age in
// collection's brackets, column for column.
func TestAgeingBucketsAreCollections(t *testing.T) {
	require.Equal(t, len(collection.Buckets), reports.AgeingBuckets)
	for days, want := range map[int64]int{-5: 0, 0: 0, 1: 1, 30: 1, 31: 2, 60: 2, 61: 3, 90: 3, 91: 4, 400: 4} {
		require.Equal(t, want, reports.AgeingBucket(days), days)
	}
}

var (
	wang  = identity.User{ID: "wang", Name: "Wang Wei", Roles: []identity.Role{identity.RoleSales}}
	liu   = identity.User{ID: "liu", Name: "Liu Yang", Roles: []identity.Role{identity.RoleSales}}
	li    = identity.User{ID: "li", Name: "Li Na", Roles: []identity.Role{identity.RoleSalesManager}}
	sun   = identity.User{ID: "sun", Name: "Sun Li", Roles: []identity.Role{identity.RoleFinance}}
	wu    = identity.User{ID: "wu", Name: "Wu Fang", Roles: []identity.Role{identity.RoleCollector}}
	zhou  = identity.User{ID: "zhou", Name: "Zhou Qiang", Roles: []identity.Role{identity.RoleDelivery}}
	admin = identity.User{ID: "admin", Name: "Administrator", Roles: []identity.Role{identity.RoleAdmin}}
	staff = []identity.User{wang, liu, li, sun, wu, zhou, admin}
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// now is the reports' clock: 2026-06-30 10:00 in Shanghai.
var now = time.Date(2026, 6, 30, 2, 0, 0, 0, time.UTC)

type env struct {
	db   *database.DB
	pool *pgxpool.Pool
	rep  *reports.Reporter
}

var shared testenv.Shared[env]

func setup(t testing.TB) *env {
	t.Helper()
	return shared.Get(t, func() *env {
		ctx := context.Background()
		db, pool := testenv.SharedDB(t, staff...)
		// li manages both reps, so li's exports hold their deals (reports
		// follow the same visibility as the API).
		for _, u := range []identity.User{wang, liu} {
			require.NoError(t, db.UserUpsert(ctx, u, "li", ""))
		}
		r := reports.New(db, shanghai)
		r.Now = func() time.Time { return now }
		seed(t, pool)
		return &env{db: db, pool: pool, rep: r}
	})
}

func sqlExec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	testenv.Exec(t, pool)(sql, args...)
}

// seed writes a few deals the way the deal workflow records them.
func seed(t testing.TB, pool *pgxpool.Pool) {
	deal := `INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount,
		purchase_timeframe, discoverer, sales_owner, delivery_owner, payment_owner, stage, stage_entered_at, holder,
		lost_reason, created_by, created_at, closed_at, version)
		VALUES ($1, $2, $3, $4, false, 'CNY', $5, '3_months', $6, $6, NULLIF($7, ''), NULLIF($8, ''), $9, $10, $11, '', $6, $10, NULL, 1)`
	entered := time.Date(2026, 6, 20, 1, 0, 0, 0, time.UTC)
	sqlExec(t, pool, deal, "R-1", "=HYPERLINK(\"http://evil\",\"x\")", "C1", "Suzhou Parts", 4800000, "wang", "zhou", "wu", "payment_collection", entered, "wu")
	sqlExec(t, pool, deal, "R-2", "Presses", "C2", "Ningbo Auto", 26000000, "liu", "", "", "contract_review", entered, "role:sales_manager")
	sqlExec(t, pool, deal, "R-3", "Gearboxes", "C1", "Suzhou Parts", 950000, "wang", "zhou", "wu", "payment_collection", entered, "wu")
	contract := `INSERT INTO deal_contracts (deal_id, number, amount, review_status, review_round, requested_by, requested_at)
		VALUES ($1, $2, $3, 'approved', 1, 'wang', $4)`
	sqlExec(t, pool, contract, "R-1", "HT-1", 4320000, entered)
	sqlExec(t, pool, contract, "R-3", "HT-3", 900000, entered)
	inv := `INSERT INTO deal_invoices (deal_id, number, amount, issued_on, due_on, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, 'sun', now())`
	pay := `INSERT INTO deal_payments (deal_id, reference, amount, received_on, invoice_no, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, 'wu', now())`
	// INV-1 due 2026-03-01 (121 days overdue), INV-2 due 2026-06-10 (20 days),
	// INV-3 due 2026-07-31 (not due); 5,000.00 paid to INV-2 directly, 8,000.00
	// unassigned, which pays INV-1 (oldest due) first.
	sqlExec(t, pool, inv, "R-1", "INV-1", 1000000, "2026-02-01", "2026-03-01")
	sqlExec(t, pool, inv, "R-1", "INV-2", 2000000, "2026-05-11", "2026-06-10")
	sqlExec(t, pool, inv, "R-1", "INV-3", 1320000, "2026-07-01", "2026-07-31") // issued after the as-of day below
	sqlExec(t, pool, pay, "R-1", "B-1", 500000, "2026-06-15", "INV-2")
	sqlExec(t, pool, pay, "R-1", "B-2", 800000, "2026-06-20", "")
	sqlExec(t, pool, pay, "R-1", "B-3", 100000, "2026-07-05", "") // after the as-of day
	// one invoice 45 days overdue, unpaid; one paid in full.
	sqlExec(t, pool, inv, "R-3", "INV-9", 400000, "2026-04-16", "2026-05-16")
	sqlExec(t, pool, inv, "R-3", "INV-10", 500000, "2026-04-16", "2026-05-16")
	sqlExec(t, pool, pay, "R-3", "B-9", 500000, "2026-05-10", "INV-10")
}

func open(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func rowsOf(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	return rows
}

func TestPipeline(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	data, res, err := e.rep.ExportBytes(ctx, reports.Pipeline, reports.Params{Lang: workbook.English}, li)
	require.NoError(t, err)
	require.Equal(t, 3, res.Rows)
	require.Equal(t, "pipeline-2026-06-30.xlsx", res.FileName)
	f := open(t, data)
	require.Equal(t, []string{"Pipeline", "About"}, f.GetSheetList())
	rows := rowsOf(t, f, "Pipeline")
	require.Len(t, rows, 4)
	require.Equal(t, "Deal", rows[0][0])
	require.Equal(t, []string{"R-1", `=HYPERLINK("http://evil","x")`, "C1", "Suzhou Parts", "Payment collection",
		"2026-06-20 09:00", "10", "Wu Fang", "Wang Wei", "Zhou Qiang", "Wu Fang", "CNY", "48,000.00", "43,200.00",
		"43,200.00", "14,000.00", "29,200.00", "within 3 months", "no", "2026-06-20 09:00"}, rows[1])
	require.Equal(t, "any sales manager", rows[2][7])
	formula, err := f.GetCellFormula("Pipeline", "B2")
	require.NoError(t, err)
	require.Empty(t, formula, "a title that looks like a formula stays text")
	raw, _ := f.GetCellValue("Pipeline", "M2", excelize.Options{RawCellValue: true})
	require.Equal(t, "48000", raw, "money is a number")
	typ, _ := f.GetCellType("Pipeline", "F2")
	require.Equal(t, excelize.CellTypeUnset, typ, "dates are numbers with a date format")
	panes, err := f.GetPanes("Pipeline")
	require.NoError(t, err)
	require.True(t, panes.Freeze)
	require.Equal(t, "_xlnm._FilterDatabase", f.GetDefinedName()[0].Name)

	// Chinese, one stage.
	data, res, err = e.rep.ExportBytes(ctx, reports.Pipeline, reports.Params{Lang: workbook.Chinese, Stage: "contract_review"}, sun)
	require.NoError(t, err)
	require.Equal(t, 1, res.Rows)
	f = open(t, data)
	rows = rowsOf(t, f, "销售管道")
	require.Equal(t, "商机编号", rows[0][0])
	require.Equal(t, "合同评审", rows[1][4])
	require.Equal(t, "任一销售经理", rows[1][7])

	// A sales rep gets their own deals only.
	_, res, err = e.rep.ExportBytes(ctx, reports.Pipeline, reports.Params{}, wang)
	require.NoError(t, err)
	require.Equal(t, 2, res.Rows)
	_, res, err = e.rep.ExportBytes(ctx, reports.Pipeline, reports.Params{}, liu)
	require.NoError(t, err)
	require.Equal(t, 1, res.Rows)

	_, _, err = e.rep.ExportBytes(ctx, reports.Pipeline, reports.Params{}, zhou)
	require.ErrorIs(t, err, reports.ErrForbidden)
	_, _, err = e.rep.ExportBytes(ctx, reports.Pipeline, reports.Params{Stage: "won"}, li)
	var pe *reports.ParamError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "stage", pe.Field)
}

func TestReceivablesAgeing(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	asOf := time.Date(2026, 6, 30, 0, 0, 0, 0, shanghai)
	data, res, err := e.rep.ExportBytes(ctx, reports.Receivables, reports.Params{Lang: workbook.English, AsOf: asOf}, wu)
	require.NoError(t, err)
	f := open(t, data)
	require.Equal(t, []string{"Receivables", "By customer", "About"}, f.GetSheetList())
	rows := rowsOf(t, f, "Receivables")
	// INV-1: 10,000.00 less the unassigned 8,000.00 → 2,000.00, 121 days.
	// INV-2: 20,000.00 less 5,000.00 paid to it → 15,000.00, 20 days.
	// INV-3 is issued after the day; INV-9 4,000.00 is 45 days overdue;
	// INV-10 is paid.
	require.Equal(t, 3, res.Rows)
	want := [][]string{
		{"C1", "Suzhou Parts", "R-1", "INV-1", "2026-02-01", "2026-03-01", "CNY", "10,000.00", "8,000.00", "2,000.00", "121", "Over 90 days", "Wu Fang", "Wang Wei"},
		{"C1", "Suzhou Parts", "R-3", "INV-9", "2026-04-16", "2026-05-16", "CNY", "4,000.00", "0.00", "4,000.00", "45", "31–60 days", "Wu Fang", "Wang Wei"},
		{"C1", "Suzhou Parts", "R-1", "INV-2", "2026-05-11", "2026-06-10", "CNY", "20,000.00", "5,000.00", "15,000.00", "20", "1–30 days", "Wu Fang", "Wang Wei"},
	}
	require.Equal(t, want, rows[1:])
	totals := rowsOf(t, f, "By customer")
	require.Equal(t, []string{"C1", "Suzhou Parts", "CNY", "0.00", "15,000.00", "4,000.00", "0.00", "2,000.00", "21,000.00"}, totals[1])

	// A week later the late payment and the July invoice count.
	_, res, err = e.rep.ExportBytes(ctx, reports.Receivables, reports.Params{AsOf: asOf.AddDate(0, 0, 7)}, sun)
	require.NoError(t, err)
	require.Equal(t, 4, res.Rows)

	_, _, err = e.rep.ExportBytes(ctx, reports.Receivables, reports.Params{}, wang)
	require.ErrorIs(t, err, reports.ErrForbidden, "sales reps do not see everyone's receivables")
}

func TestStuckReviewsAndSyncRuns(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	sqlExec(t, e.pool, `INSERT INTO approval_cases (id, kind, deal_id, title, requester, status, round, rules_version, route,
		subject, facts, opened_at, version) VALUES ('CR-R-2-1', 'contract_review', 'R-2', 'Contract HT-2 for Presses', 'liu',
		'in_review', 1, 1, '[]', '{}', '{}', $1, 1)`, now.Add(-30*time.Hour))
	sqlExec(t, e.pool, `INSERT INTO approval_steps (id, case_id, kind, requester, round, stage_index, stage, approver, status,
		entered_at, due_at, escalation_level) VALUES ('s1', 'CR-R-2-1', 'contract_review', 'liu', 1, 0, 'sales_manager', 'li',
		'pending', $1, $2, 1)`, now.Add(-30*time.Hour), now.Add(-22*time.Hour))
	data, res, err := e.rep.ExportBytes(ctx, reports.StuckReviews, reports.Params{Lang: workbook.English}, li)
	require.NoError(t, err)
	require.Equal(t, 1, res.Rows)
	rows := rowsOf(t, open(t, data), "Stuck reviews")
	require.Equal(t, []string{"CR-R-2-1", "Contract review", "Contract HT-2 for Presses", "R-2", "Liu Yang", "",
		"sales_manager", "1", "Li Na", "", "2026-06-29 04:00", "30", "2026-06-29 12:00", "22", "1"}, rows[1])
	_, _, err = e.rep.ExportBytes(ctx, reports.StuckReviews, reports.Params{}, wang)
	require.ErrorIs(t, err, reports.ErrForbidden)

	sqlExec(t, e.pool, `INSERT INTO sync_runs (id, entity, trigger, status, started_at, finished_at, rows_read, inserted, updated)
		VALUES ('sync/customers/1', 'customers', 'schedule', 'succeeded', $1, $2, 120, 20, 3),
		       ('sync/invoices/1', 'invoices', 'manual', 'failed', $1, $2, 0, 0, 0),
		       ('sync/invoices/0', 'invoices', 'schedule', 'succeeded', $3, $3, 0, 0, 0)`,
		now.Add(-time.Hour), now.Add(-time.Hour+42*time.Second), now.AddDate(0, 0, -40))
	_, _, err = e.rep.ExportBytes(ctx, reports.SyncRuns, reports.Params{}, sun)
	require.ErrorIs(t, err, reports.ErrForbidden, "sync runs are the sync administrators', as in the API")
	data, res, err = e.rep.ExportBytes(ctx, reports.SyncRuns, reports.Params{Lang: workbook.Chinese}, admin)
	require.NoError(t, err)
	require.Equal(t, 2, res.Rows, "runs of the last 30 days")
	rows = rowsOf(t, open(t, data), "同步记录")
	require.Equal(t, "运行编号", rows[0][0])
	require.Equal(t, []string{"sync/customers/1", "customers", "schedule", "", "成功", "2026-06-30 09:00", "2026-06-30 09:00", "42", "", "0", "120", "20", "3"}, rows[2][:13])
	require.Equal(t, "失败", rows[1][4])
	_, res, err = e.rep.ExportBytes(ctx, reports.SyncRuns, reports.Params{Entity: "invoices", Since: now.AddDate(0, 0, -60)}, admin)
	require.NoError(t, err)
	require.Equal(t, 2, res.Rows)
}

func TestCatalog(t *testing.T) {
	for alias, want := range map[string]reports.Name{"pipeline": reports.Pipeline, "receivables": reports.Receivables,
		"stuck": reports.StuckReviews, "sync-runs": reports.SyncRuns} {
		i, ok := reports.Lookup(alias)
		require.True(t, ok, alias)
		require.Equal(t, want, i.Name)
	}
	_, ok := reports.Lookup("payroll")
	require.False(t, ok)
	i, _ := reports.Lookup("receivables")
	require.True(t, i.Allowed(wu))
	require.False(t, i.Allowed(zhou))
}
