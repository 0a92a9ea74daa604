package database_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
)

// BenchmarkClassify100k classifies 100,000 customers with 1,000,000 invoices
// (issued over the last 400 days, revenue skewed so a few customers make most
// of it) and 900,000 payments, some late, loaded with COPY into a database of
// its own. It prints the run's time (classify_100k_s), and as a baseline in
// the same run a plain aggregate over the same invoices and payments (the
// revenue per customer and the paid amount per invoice, nothing written) and
// the ratio. L2C_BENCH_ROWS sets the customers (invoices are ten times as many).
func BenchmarkClassify100k(b *testing.B) {
	ctx := context.Background()
	db, conn := classesDB(b)
	chain := testenv.AuditChain(b)
	customers := testenv.BenchRows(100_000)
	invoices := customers * 10
	today := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	code := func(i int) string { return fmt.Sprintf("CB%06d", i) }

	copyRows := func(table string, cols []string, n int, row func(i int) []any) { copyN(b, conn, table, cols, n, row) }
	copyRows("customers", []string{"code", "name", "source", "value_class"}, customers, func(i int) []any {
		return []any{code(i), "Customer " + code(i), "erp", []string{"A", "B", "C", ""}[i%4]}
	})
	// The receivable triggers refresh per statement; the bench builds the
	// open items once after loading instead.
	_, err := conn.Exec(ctx, `ALTER TABLE erp_invoices DISABLE TRIGGER USER; ALTER TABLE erp_payments DISABLE TRIGGER USER`)
	require.NoError(b, err)
	at := today.Add(-time.Hour)
	inv := func(i int) (c int, amount int64, issued, due time.Time) {
		c = (i * 7919) % customers
		// Customer c's invoices are worth about 1,000,000/(c+50) times the least.
		amount = int64(10000 + 1_000_000_000/(c+50)*(1+i%3))
		issued = today.AddDate(0, 0, -1-i%400)
		return c, amount, issued, issued.AddDate(0, 0, 30)
	}
	copyRows("erp_invoices", []string{"number", "customer_code", "amount", "currency", "issued_on", "due_on", "cancelled", "erp_changed_at"},
		invoices, func(i int) []any {
			c, amount, issued, due := inv(i)
			return []any{fmt.Sprintf("BI%07d", i), code(c), amount, "CNY", issued, due, i%97 == 0, at}
		})
	// Nine in ten invoices paid: most within the month, every seventh late
	// by up to 80 days.
	paid := invoices * 9 / 10
	copyRows("erp_payments", []string{"reference", "invoice_no", "customer_code", "amount", "currency", "received_on", "erp_changed_at"},
		paid, func(i int) []any {
			c, amount, issued, _ := inv(i)
			days := 10 + i%20
			if i%7 == 0 {
				days = 30 + i%80
			}
			return []any{fmt.Sprintf("BP%07d", i), fmt.Sprintf("BI%07d", i), code(c), amount, "CNY", issued.AddDate(0, 0, days), at}
		})
	_, err = conn.Exec(ctx, `ALTER TABLE erp_invoices ENABLE TRIGGER USER; ALTER TABLE erp_payments ENABLE TRIGGER USER;
		INSERT INTO receivable_items (number, customer_code, deal_id, currency, issued_on, due_on, amount, open)
		SELECT i.number, i.customer_code, i.deal_id, i.currency, i.issued_on, i.due_on, i.amount, i.amount - coalesce(p.paid, 0)
		FROM erp_invoices i LEFT JOIN (SELECT invoice_no, sum(amount) AS paid FROM erp_payments GROUP BY 1) p ON p.invoice_no = i.number
		WHERE NOT i.cancelled AND i.amount - coalesce(p.paid, 0) <> 0;
		ANALYZE customers; ANALYZE erp_invoices; ANALYZE erp_payments; ANALYZE receivable_items`)
	require.NoError(b, err)

	// The baseline: the same invoices and payments read and aggregated, per
	// invoice then per customer, nothing ranked, graded or written.
	from := today.AddDate(0, 0, -365)
	t0 := time.Now()
	var n int64
	require.NoError(b, conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT customer_code, sum(amount), sum(paid) FROM (
			SELECT i.customer_code, i.amount, sum(p.amount) AS paid FROM erp_invoices i LEFT JOIN erp_payments p ON p.invoice_no = i.number
			WHERE NOT i.cancelled AND i.issued_on >= $1 AND i.issued_on < $2 GROUP BY i.number) x GROUP BY 1) y`, from, today).Scan(&n))
	baseline := time.Since(t0)
	require.Positive(b, n)

	// L2C_BENCH_EXPLAIN prints the computation's plan (and runs it once more).
	if os.Getenv("L2C_BENCH_EXPLAIN") != "" {
		r := database.DefaultClassRules()
		_, err := conn.Exec(ctx, `SET work_mem = '256MB'`) // as the run sets it
		require.NoError(b, err)
		rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+database.ClassifySQL, from, today, r.Currency, r.AShareBP,
			r.AShareBP+r.BShareBP, r.Good.MaxDaysToPay, r.Good.MinOnTimeBP, r.Good.MaxOverdueDays,
			r.Fair.MaxDaysToPay, r.Fair.MinOnTimeBP, r.Fair.MaxOverdueDays)
		require.NoError(b, err)
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(b, err)
		fmt.Println(strings.Join(plan, "\n"))
	}
	t0 = time.Now()
	run, err := db.ClassifyRun(ctx, chain, "classify/bench", "system", today.Add(time.Hour))
	took := time.Since(t0)
	require.NoError(b, err)
	require.Equal(b, customers, run.Customers)
	require.Positive(b, run.Proposed)
	var a, bb, c int
	require.NoError(b, conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE value_class = 'A'), count(*) FILTER (WHERE value_class = 'B'),
		count(*) FILTER (WHERE value_class = 'C') FROM customer_classes`).Scan(&a, &bb, &c))
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("classified %d customers (A %d, B %d, C %d; %d proposals) in %s; baseline aggregate %s; load %s",
		run.Customers, a, bb, c, run.Proposed, took, baseline, strings.TrimSpace(string(load)))
	fmt.Printf("BENCH classify_100k_s %.2f s (%d customers, %d invoices)\n", took.Seconds(), customers, invoices)
	fmt.Printf("BENCH classify_baseline_aggregate_s %.2f s\n", baseline.Seconds())
	fmt.Printf("BENCH classify_vs_aggregate_ratio %.2f\n", took.Seconds()/baseline.Seconds())
}

// copyN COPYs n rows, row(i) each, into table: for a bench's millions, made
// as they are sent rather than held in memory.
func copyN(tb testing.TB, conn *pgx.Conn, table string, cols []string, n int, row func(i int) []any) {
	tb.Helper()
	i := 0
	_, err := conn.CopyFrom(context.Background(), pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		return row(i - 1), nil
	}))
	require.NoError(tb, err, table)
}
