package database_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// BenchmarkCollectionViews loads, with COPY, open instalments (1,000,000,
// or L2C_BENCH_ROWS) of deals of 200 reps collected by 200 payment owners in
// 20 offices, and as many open ERP items, then times the collection views a
// page reads: the dunning queue's first and a deep page for finance, a
// payment owner's open instalments (My work), and finance's ageing narrowed
// to an office (from the summary) and to a customer (live), against a bare
// round trip measured the same way.
func BenchmarkCollectionViews(b *testing.B) {
	ctx := context.Background()
	db, conn := collectionConn(b)
	n := testenv.BenchRows(1_000_000)
	const reps, offices, customers, perDeal = 200, 20, 20_000, 4
	today := collDay("2026-06-30")
	for i := range reps {
		for _, kind := range []string{"vrep", "vpay"} {
			require.NoError(b, db.UserUpsert(ctx, identity.User{ID: fmt.Sprintf("%s%03d", kind, i), Name: kind, Team: fmt.Sprintf("voffice%02d", i%offices),
				Roles: []identity.Role{identity.RoleSales}}, "", ""))
		}
	}
	_, err := conn.Exec(ctx, `DELETE FROM dunning_events; DELETE FROM collection_promises; DELETE FROM collection_credit_holds;
		DELETE FROM collection_instalments; DELETE FROM receivable_items`)
	require.NoError(b, err)
	copyRows := func(table string, cols []string, n int, row func(i int) []any) { copyN(b, conn, table, cols, n, row) }
	code := func(i int) string { return fmt.Sprintf("VC%05d", i%customers) }
	who := func(kind string, i int) string { return fmt.Sprintf("%s%03d", kind, i%reps) }
	copyRows("customers", []string{"code", "name", "sales_owner", "source"}, customers, func(i int) []any {
		return []any{code(i), "Customer " + code(i), who("vrep", i), "erp"}
	})
	at := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)
	deals := n / perDeal
	dealID := func(i int) string { return fmt.Sprintf("DV-%07d", i) }
	copyRows("deals", []string{"id", "title", "customer_code", "customer_name", "tendered", "currency", "expected_amount",
		"discoverer", "sales_owner", "payment_owner", "stage", "stage_entered_at", "created_by", "created_at", "version"}, deals,
		func(i int) []any {
			return []any{dealID(i), "Bench", code(i), "Customer", false, "CNY", int64(10000000), who("vrep", i), who("vrep", i),
				who("vpay", i), "payment_collection", at, who("vrep", i), at, int64(9)}
		})
	day := func(offset int) time.Time { return pgDay(today.AddDays(offset)) }
	copyRows("collection_instalments", []string{"deal_id", "no", "trigger", "due_kind", "due_days", "amount", "currency",
		"customer_code", "payment_owner", "trigger_on", "due_on"}, deals*perDeal, func(i int) []any {
		d := i / perDeal
		return []any{dealID(d), i%perDeal + 1, "signing", "calendar_days", 10, int64(2500000), "CNY", code(d),
			who("vpay", d), day(i%240 - 130), day(i%240 - 120)}
	})
	copyRows("receivable_items", []string{"number", "customer_code", "deal_id", "currency", "issued_on", "due_on", "amount", "open"}, n,
		func(i int) []any {
			return []any{fmt.Sprintf("VI%07d", i), code(i), dealID(i % deals), "CNY", day(i%200 - 160), day(i%200 - 130), int64(100000), int64(100000)}
		})
	_, err = conn.Exec(ctx, `ANALYZE customers; ANALYZE deals; ANALYZE collection_instalments; ANALYZE receivable_items`)
	require.NoError(b, err)
	require.NoError(b, db.CollectionSummariesRefresh(ctx, today))

	p99 := func(runs int, f func(i int)) time.Duration {
		var took []time.Duration
		for i := range runs {
			t0 := time.Now()
			f(i)
			took = append(took, time.Since(t0))
		}
		slices.Sort(took)
		return took[len(took)*99/100]
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fin := database.ViewerOf(identity.User{ID: "sun", Roles: []identity.Role{identity.RoleFinance}})
	bare := p99(50, func(int) {
		var one int
		require.NoError(b, conn.QueryRow(ctx, `SELECT 1`).Scan(&one))
	})
	var deep string
	queue := p99(50, func(i int) {
		q, next, err := db.DunningQueue(ctx, fin, database.ReceivableFilter{}, today, deep, 100)
		require.NoError(b, err)
		require.Len(b, q, 100)
		if i%10 == 9 {
			deep = next // ten pages on, then again
		}
	})
	mine := p99(50, func(i int) {
		list, err := db.OpenInstalmentsOf(ctx, who("vpay", i), today, 200)
		require.NoError(b, err)
		require.NotEmpty(b, list)
	})
	office := p99(30, func(i int) {
		a, err := db.ReceivablesAgeingOf(ctx, fin, "owner", today, database.ReceivableFilter{Office: fmt.Sprintf("voffice%02d", i%offices)}, "", 100)
		require.NoError(b, err)
		require.NotEmpty(b, a.Rows)
	})
	customer := p99(30, func(i int) {
		a, err := db.ReceivablesAgeingOf(ctx, fin, "customer", today, database.ReceivableFilter{Customer: code(i * 7)}, "", 100)
		require.NoError(b, err)
		require.NotEmpty(b, a.Rows)
	})
	// The queue's plan for finance ten pages in: read from the queue's index
	// in order, stopping at the page.
	plan, err := conn.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+database.DunningQueueSQL(fin, database.ReceivableFilter{}),
		"sun", true, "", false, []string{}, pgDay(today), pgDay(today.AddDays(-100)), "", 0, "", "", "", 100)
	require.NoError(b, err)
	lines, err := pgx.CollectRows(plan, pgx.RowTo[string])
	require.NoError(b, err)
	for _, l := range lines {
		fmt.Println("  " + l)
	}
	fmt.Printf("BENCH collection_views_bare_round_trip_ms %.2f ms (%d rows)\n", ms(bare), n)
	fmt.Printf("BENCH dunning_queue_page_p99_ms %.1f ms\n", ms(queue))
	fmt.Printf("BENCH my_instalments_p99_ms %.1f ms\n", ms(mine))
	fmt.Printf("BENCH ageing_office_filter_p99_ms %.1f ms\n", ms(office))
	fmt.Printf("BENCH ageing_customer_filter_p99_ms %.1f ms\n", ms(customer))
}
