package database_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// BenchmarkCollection1M loads, with COPY, 250,000 signed deals of 200 reps
// in 20 offices with 1,000,000 open instalments (due from 120 days ago to
// 120 days ahead) and 1,000,000 open ERP items of 20,000 customers, then
// times the dunning tick deciding every instalment (from scratch, then the
// next day), the summaries' rebuild, the ageing and the forecast.
func BenchmarkCollection1M(b *testing.B) {
	ctx := context.Background()
	db, conn := collectionConn(b)
	// L2C_BENCH_ROWS scales the instalments and items (customers with them).
	const reps, offices, perDeal = 200, 20, 4
	items := testenv.BenchRows(1_000_000)
	deals, customers := items/perDeal, max(items/50, reps)
	today := collDay("2026-06-30")
	start := time.Now()
	for i := range reps {
		require.NoError(b, db.UserUpsert(ctx, identity.User{ID: fmt.Sprintf("rep%03d", i), Name: "Rep", Team: fmt.Sprintf("office%02d", i%offices),
			Roles: []identity.Role{identity.RoleSales}}, "", ""))
	}
	_, err := conn.Exec(ctx, `DELETE FROM dunning_events; DELETE FROM collection_promises; DELETE FROM collection_credit_holds;
		DELETE FROM collection_instalments; DELETE FROM receivable_items; DELETE FROM notifications WHERE dedupe_key LIKE 'dunning%'`)
	require.NoError(b, err)
	copyRows := func(table string, cols []string, n int, row func(i int) []any) { copyN(b, conn, table, cols, n, row) }
	code := func(i int) string { return fmt.Sprintf("BC%05d", i%customers) }
	rep := func(i int) string { return fmt.Sprintf("rep%03d", i%reps) }
	copyRows("customers", []string{"code", "name", "sales_owner", "source", "value_class"}, customers, func(i int) []any {
		return []any{code(i), "Customer " + code(i), rep(i), "erp", []string{"A", "B", "C", ""}[i%4]}
	})
	at := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)
	dealID := func(i int) string { return fmt.Sprintf("DB-%07d", i) }
	copyRows("deals", []string{"id", "title", "customer_code", "customer_name", "tendered", "currency", "expected_amount",
		"discoverer", "sales_owner", "payment_owner", "stage", "stage_entered_at", "created_by", "created_at", "version"}, deals,
		func(i int) []any {
			return []any{dealID(i), "Bench", code(i), "Customer", false, "CNY", int64(10000000), rep(i), rep(i), "wu",
				"payment_collection", at, rep(i), at, int64(9)}
		})
	day := func(offset int) time.Time { return pgDay(today.AddDays(offset)) }
	copyRows("collection_instalments", []string{"deal_id", "no", "trigger", "due_kind", "due_days", "amount", "currency",
		"customer_code", "value_class", "payment_owner", "trigger_on", "due_on", "paid"}, deals*perDeal, func(i int) []any {
		d := i / perDeal
		return []any{dealID(d), i%perDeal + 1, "signing", "calendar_days", 10, int64(2500000), "CNY", code(d),
			[]string{"A", "B", "C", ""}[d%4], "wu", day(i%240 - 130), day(i%240 - 120), int64(i%3) * 500000}
	})
	copyRows("receivable_items", []string{"number", "customer_code", "currency", "issued_on", "due_on", "amount", "open"}, items,
		func(i int) []any {
			return []any{fmt.Sprintf("BI%07d", i), code(i), "CNY", day(i%200 - 160), day(i%200 - 130), int64(100000 + i%7*1000),
				int64(100000 + i%7*1000 - i%3*20000)}
		})
	_, err = conn.Exec(ctx, `ANALYZE customers; ANALYZE deals; ANALYZE collection_instalments; ANALYZE receivable_items`)
	require.NoError(b, err)
	fmt.Printf("collection bench: loaded in %s\n", time.Since(start))

	if os.Getenv("L2C_TICK_EXPLAIN") != "" {
		// Every statement over a second with its plan, in the server's log.
		for _, set := range []string{"session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = '1s'",
			"auto_explain.log_analyze = on", "auto_explain.log_buffers = on"} {
			_, err = conn.Exec(ctx, `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET `+strings.ReplaceAll(set, "'", "''")+`', current_database()); END $$`)
			require.NoError(b, err)
		}
		db = testenv.OpenDB(b)
	}
	cal := calendar.China()
	t0 := time.Now()
	first, err := db.DunningTick(ctx, today, cal, testChain)
	require.NoError(b, err)
	tick := time.Since(t0)
	fmt.Printf("collection bench: first tick %s %+v\n", tick, first)
	require.Equal(b, int64(deals*perDeal), first.Decided)

	t0 = time.Now()
	next, err := db.DunningTick(ctx, today.AddDays(1), cal, testChain)
	require.NoError(b, err)
	nextTick := time.Since(t0)
	t0 = time.Now()
	require.NoError(b, db.CollectionSummariesRefresh(ctx, today))
	refresh := time.Since(t0)

	p99 := func(n int, f func(i int)) time.Duration {
		var runs []time.Duration
		for i := range n {
			t0 := time.Now()
			f(i)
			runs = append(runs, time.Since(t0))
		}
		slices.Sort(runs)
		return runs[len(runs)*99/100]
	}
	fin := database.ViewerOf(identity.User{ID: "sun", Roles: []identity.Role{identity.RoleFinance}})
	oneRep := database.ViewerOf(identity.User{ID: "rep007", Team: "office07", Roles: []identity.Role{identity.RoleSales}})
	by := []string{"customer", "owner", "office"}
	ageing := p99(60, func(i int) {
		after := ""
		if i%3 == 0 {
			after = code(i * 37 % (customers / 2))
		}
		a, err := db.ReceivablesAgeing(ctx, fin, by[i%3], today, after, 100)
		require.NoError(b, err)
		require.NotEmpty(b, a.Rows)
	})
	// A sales manager of office07 (its ten reps' customers) and wu, the
	// collector named on every deal of the bench (who sees them all, live).
	require.NoError(b, db.UserUpsert(ctx, identity.User{ID: "mgr07", Name: "Manager", Team: "office07",
		Roles: []identity.Role{identity.RoleSalesManager}}, "", ""))
	manager := database.ViewerOf(identity.User{ID: "mgr07", Team: "office07", Roles: []identity.Role{identity.RoleSalesManager}})
	collector := database.ViewerOf(identity.User{ID: "wu", Roles: []identity.Role{identity.RoleCollector}})
	viewerP99 := func(v database.Viewer, n int) (ageing, forecast time.Duration) {
		ageing = p99(n, func(i int) {
			a, err := db.ReceivablesAgeing(ctx, v, by[i%3], today, "", 100)
			require.NoError(b, err)
			require.NotEmpty(b, a.Rows)
		})
		forecast = p99(n, func(int) {
			f, err := db.CollectionForecast(ctx, v, today, 13)
			require.NoError(b, err)
			require.NotEmpty(b, f.Weeks)
		})
		return ageing, forecast
	}
	ageingRep, forecastRep := viewerP99(oneRep, 30)
	ageingMgr, forecastMgr := viewerP99(manager, 30)
	ageingCol, forecastCol := viewerP99(collector, 6)
	// The baseline, in the same run: a round trip, and a count over the
	// million items.
	roundTrip := p99(60, func(int) {
		var one int
		require.NoError(b, conn.QueryRow(ctx, `SELECT 1`).Scan(&one))
	})
	t0 = time.Now()
	var n int
	require.NoError(b, conn.QueryRow(ctx, `SELECT count(*) FROM receivable_items`).Scan(&n))
	count := time.Since(t0)
	load, _ := os.ReadFile("/proc/loadavg")
	forecast := p99(60, func(int) {
		f, err := db.CollectionForecast(ctx, fin, today, 13)
		require.NoError(b, err)
		require.NotEmpty(b, f.Weeks)
	})
	fmt.Printf("BENCH dunning_tick_1m_s %.2f s (first tick: %d steps, %d notifications, %d holds)\n",
		tick.Seconds(), first.Steps, first.Notifications, first.HoldsAdded)
	fmt.Printf("BENCH dunning_tick_1m_next_day_s %.2f s (%d steps)\n", nextTick.Seconds(), next.Steps)
	fmt.Printf("BENCH collection_summaries_1m_s %.2f s\n", refresh.Seconds())
	fmt.Printf("BENCH ageing_1m_p99_ms %.1f ms\n", float64(ageing.Microseconds())/1000)
	fmt.Printf("BENCH ageing_1m_rep_p99_ms %.1f ms\n", float64(ageingRep.Microseconds())/1000)
	fmt.Printf("BENCH forecast_p99_ms %.1f ms\n", float64(forecast.Microseconds())/1000)
	fmt.Printf("BENCH forecast_rep_p99_ms %.1f ms\n", float64(forecastRep.Microseconds())/1000)
	fmt.Printf("BENCH ageing_1m_manager_p99_ms %.1f ms\n", float64(ageingMgr.Microseconds())/1000)
	fmt.Printf("BENCH forecast_manager_p99_ms %.1f ms\n", float64(forecastMgr.Microseconds())/1000)
	fmt.Printf("BENCH ageing_1m_collector_p99_ms %.1f ms (a collector named on every deal: everything, live)\n",
		float64(ageingCol.Microseconds())/1000)
	fmt.Printf("BENCH forecast_collector_p99_ms %.1f ms\n", float64(forecastCol.Microseconds())/1000)
	fmt.Printf("BENCH collection_baseline_select1_p99_ms %.2f ms\n", float64(roundTrip.Microseconds())/1000)
	fmt.Printf("BENCH collection_baseline_count_1m_ms %.1f ms (count(*) over %d items)\n", float64(count.Microseconds())/1000, n)
	fmt.Printf("collection bench: %d items, load average %s", items, load)
}

func pgDay(d calendar.Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }
