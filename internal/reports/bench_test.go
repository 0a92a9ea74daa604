package reports_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/l2c/l2c/internal/reports"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/workbook"
)

// BenchmarkExport100k exports a 100,000-deal pipeline. The export runs in a
// child process (this test binary, TestExportChild alone) so that its peak
// resident memory, VmHWM from /proc/self/status, is the export's own.
func BenchmarkExport100k(b *testing.B) {
	seed100k(b, setup(b).pool)
	out := filepath.Join(b.TempDir(), "pipeline.xlsx")
	b.ResetTimer()
	for range b.N {
		res := testenv.RunChild(b, "TestExportChild", "L2C_BENCH_EXPORT="+out)
		if res["rows"] != "100000" {
			b.Fatalf("export did not write every deal: %v", res)
		}
		fmt.Printf("BENCH export_100k_s %s s\n", res["seconds"])
		fmt.Printf("BENCH export_100k_peak_mb %s MB\n", res["peak_mb"])
	}
}

// seed100k writes 100,000 deals in many stages, a third with contracts and a
// fifth with invoices and payments, in a few statements.
func seed100k(b *testing.B, pool *pgxpool.Pool) {
	for _, sql := range []string{
		`DELETE FROM deal_payments; DELETE FROM deal_invoices; DELETE FROM deal_contracts; DELETE FROM approval_steps;
		 DELETE FROM approval_cases; DELETE FROM deals`,
		`INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount,
			purchase_timeframe, discoverer, sales_owner, delivery_owner, payment_owner, stage, stage_entered_at, holder,
			lost_reason, created_by, created_at, closed_at, version)
		SELECT 'X-' || lpad(i::text, 7, '0'), '数控主轴 CNC spindles, line ' || i, 'C' || lpad((i % 5000)::text, 5, '0'),
			'苏州精密零件有限公司 ' || (i % 5000), i % 10 = 0, 'CNY', (i % 1000) * 10000 + 50000,
			(ARRAY['now', '3_months', '6_months', '1_year'])[i % 4 + 1], o, o, 'zhou', 'wu',
			(ARRAY['opportunity', 'quote', 'contract_review', 'order', 'delivery', 'payment_collection', 'closed', 'lost'])[i % 8 + 1],
			now() - (i % 90) * interval '1 day', o, CASE WHEN i % 8 = 7 THEN 'price' ELSE '' END, o,
			now() - (i % 200) * interval '1 day', CASE WHEN i % 8 >= 6 THEN now() END, 1
		FROM generate_series(1, 100000) i, LATERAL (SELECT (ARRAY['wang', 'liu'])[i % 2 + 1] AS o) owner`,
		`INSERT INTO deal_contracts (deal_id, number, amount, review_status, review_round, requested_by, requested_at)
		SELECT id, 'HT-' || id, expected_amount, 'approved', 1, sales_owner, now() FROM deals WHERE right(id, 1) IN ('1', '4', '7')`,
		`INSERT INTO deal_invoices (deal_id, number, amount, issued_on, due_on, recorded_by, recorded_at)
		SELECT id, 'INV-' || id, expected_amount / 2, current_date - 60, current_date - 30, 'sun', now() FROM deals WHERE right(id, 1) IN ('2', '7')`,
		`INSERT INTO deal_payments (deal_id, reference, amount, received_on, invoice_no, recorded_by, recorded_at)
		SELECT deal_id, 'PAY-' || deal_id, amount / 2, current_date - 10, number, 'wu', now() FROM deal_invoices`,
	} {
		if _, err := pool.Exec(context.Background(), sql); err != nil {
			b.Fatal(err)
		}
	}
}

func TestExportChild(t *testing.T) {
	out := os.Getenv("L2C_BENCH_EXPORT")
	if out == "" {
		t.Skip("run by BenchmarkExport100k")
	}
	ctx := context.Background()
	start := time.Now()
	db, _ := testenv.ChildDatabase(t)
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	res, err := reports.New(db, shanghai).Export(ctx, w, reports.Pipeline, reports.Params{Lang: workbook.Chinese}, admin)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	testenv.Report(t, "rows=%d seconds=%.2f", res.Rows, took.Seconds())
}
