package database_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/testenv"
)

// BenchmarkCreditCheck measures the credit check's exposure query at the
// order: 100,000 customers, 1,000,000 open invoices (a third of them partly
// paid) and some advances, bulk-loaded with COPY; 2,000 checks of random
// customers, one at a time. It prints credit_check_p99_ms (target ≤ 10) and
// fails if the plan reads erp_invoices or erp_payments without an index.
func BenchmarkCreditCheck(b *testing.B) {
	ctx := context.Background()
	db := setup(b)
	conn := testenv.Conn(b, testenv.DatabaseURL(b))

	const customers, invoices = 100_000, 1_000_000
	code := func(i int) string { return fmt.Sprintf("BCR%06d", i) }
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"customers"}, []string{"code", "name", "credit_limit", "currency", "value_class", "source"},
		pgx.CopyFromSlice(customers, func(i int) ([]any, error) {
			return []any{code(i), "Bench customer " + code(i), int64(rng.IntN(5_000_000_00)), "CNY", []string{"A", "B", "C", ""}[i%4], "erp"}, nil
		}))
	require.NoError(b, err)
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"erp_invoices"}, []string{"number", "customer_code", "amount", "currency", "issued_on",
		"due_on", "erp_changed_at"},
		pgx.CopyFromSlice(invoices, func(i int) ([]any, error) {
			due := today.AddDate(0, 0, rng.IntN(120)-90)
			return []any{fmt.Sprintf("BINV%07d", i), code(rng.IntN(customers)), int64(1000_00 + rng.IntN(100_000_00)), "CNY",
				due.AddDate(0, 0, -30), due, now}, nil
		}))
	require.NoError(b, err)
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"erp_payments"}, []string{"reference", "invoice_no", "customer_code", "amount", "currency",
		"received_on", "erp_changed_at"},
		pgx.CopyFromSlice(invoices/3+customers/10, func(i int) ([]any, error) {
			if i >= invoices/3 { // advances: received, applied to no invoice
				return []any{fmt.Sprintf("BADV%07d", i), "", code(rng.IntN(customers)), int64(500_00), "CNY", today, now}, nil
			}
			// Invoice 3i's customer is not known here; the check reads payments by invoice, which is what matters.
			return []any{fmt.Sprintf("BPAY%07d", i), fmt.Sprintf("BINV%07d", 3*i), "", int64(500_00), "CNY", today, now}, nil
		}))
	require.NoError(b, err)
	// As autovacuum would after a bulk load: statistics and the visibility map.
	for _, t := range []string{"customers", "erp_invoices", "erp_payments", "deals"} {
		_, err = conn.Exec(ctx, `VACUUM ANALYZE `+t)
		require.NoError(b, err)
	}
	require.NoError(b, err)

	var plan []string
	rows, err := conn.Query(ctx, "EXPLAIN "+database.ExposureSQL, code(42), "D-none", today, now)
	require.NoError(b, err)
	for rows.Next() {
		var line string
		require.NoError(b, rows.Scan(&line))
		plan = append(plan, line)
	}
	require.NoError(b, rows.Err())
	for _, table := range []string{"erp_invoices", "erp_payments", "customers"} {
		for _, line := range plan {
			require.NotContains(b, line, "Seq Scan on "+table, "the exposure query must use an index:\n%s", strings.Join(plan, "\n"))
		}
	}

	// Each check is paired with a bare round trip (SELECT 1) on the same
	// pool: on a shared machine the baseline says how much of the tail is
	// waiting for a CPU rather than the query.
	const checks = 2000
	took, base := make([]time.Duration, 0, checks), make([]time.Duration, 0, checks)
	for range checks {
		c := code(rng.IntN(customers))
		t0 := time.Now()
		_, err := db.CreditExposure(ctx, c, "D-none", money.Amount(100_000_00), today, now)
		took = append(took, time.Since(t0))
		require.NoError(b, err)
		t0 = time.Now()
		require.NoError(b, db.Ping(ctx))
		base = append(base, time.Since(t0))
	}
	slices.Sort(took)
	slices.Sort(base)
	p := func(d []time.Duration, q float64) float64 {
		return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
	}
	fmt.Printf("BENCH credit_check_p50_ms %.2f ms\n", p(took, 0.5))
	fmt.Printf("BENCH credit_check_p90_ms %.2f ms\n", p(took, 0.9))
	fmt.Printf("BENCH credit_check_p99_ms %.2f ms\n", p(took, 0.99))
	fmt.Printf("BENCH credit_check_roundtrip_p99_ms %.2f ms\n", p(base, 0.99))
}
