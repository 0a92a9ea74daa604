package database_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/ownership"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/textnorm"
)

// TestOwnershipMatchFormsAgreeWithGo: the SQL forms customers are matched on
// (l2c_fold, l2c_phone_key, indexed) are textnorm.Fold's and
// ownership.PhoneKey's, so what Go calls the same name the index finds.
func TestOwnershipMatchFormsAgreeWithGo(t *testing.T) {
	ctx := context.Background()
	setup(t)
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	for _, s := range []string{"苏州精密（集团）有限公司", "  Suzhou  Precision\tParts ", "ＡＢＣ　贸易１２３", "x\u200by", "Ａ－Ｂ＿Ｃ！？（）［］｛｝",
		"已经 正常", "O'Brien & Co.", "\ufeffBOM Co"} {
		var fold string
		require.NoError(t, conn.QueryRow(ctx, `SELECT l2c_fold($1)`, s).Scan(&fold))
		require.Equal(t, textnorm.Fold(s), fold, "%q", s)
	}
	for _, s := range []string{"+86 512-6666-0001", "0086 (512) 6666 0001", "138 0013 8000", "8613800138000", "ext. 12", ""} {
		var key string
		require.NoError(t, conn.QueryRow(ctx, `SELECT l2c_phone_key($1)`, s).Scan(&key))
		require.Equal(t, ownership.PhoneKey(s), key, "%q", s)
	}
}

// BenchmarkPoolRecycle100k runs the pool clock over 100,000 owned customers
// with 200,000 activities and 10,000 deals with 50,000 history rows, all
// bulk-loaded with COPY: once as of a day that warns a share of them, and once
// a month later, when the warned return to the pool.
func BenchmarkPoolRecycle100k(b *testing.B) {
	ctx := context.Background()
	db := setup(b)
	chain, err := audit.NewChain([]byte("a bench key of enough length"))
	require.NoError(b, err)
	conn := testenv.Conn(b, testenv.DatabaseURL(b))

	const customers, reps = 100_000, 100
	now := time.Date(2026, 11, 16, 2, 0, 0, 0, time.UTC)
	for i := range reps {
		require.NoError(b, db.UserUpsert(ctx, identity.User{ID: fmt.Sprintf("pb-%d", i), Name: "Rep", Roles: []identity.Role{identity.RoleSales}}, "", ""))
	}
	classes := []string{"A", "B", "C", ""}
	rows := make([][]any, 0, customers)
	for i := range customers {
		rows = append(rows, []any{fmt.Sprintf("PB-%06d", i), fmt.Sprintf("Bench customer %d", i), "manual", classes[i%4],
			fmt.Sprintf("pb-%d", i%reps), now.AddDate(0, 0, -(i % 150))})
	}
	copyIn(b, conn, "customers", []string{"code", "name", "source", "value_class", "sales_owner", "owned_since"}, rows)
	rows = rows[:0]
	for i := range 200_000 {
		c := (i * 7) % customers
		rows = append(rows, []any{fmt.Sprintf("PB-%06d", c), "call", now.AddDate(0, 0, -(i % 200)), fmt.Sprintf("pb-%d", c%reps)})
	}
	copyIn(b, conn, "customer_activities", []string{"customer_code", "kind", "happened_at", "by_user"}, rows)
	rows = rows[:0]
	var hist [][]any
	stages := []string{"opportunity", "quote", "order", "delivery", "closed", "lost"}
	for i := range 10_000 {
		c := (i * 13) % customers
		id, owner, at := fmt.Sprintf("PB-D%05d", i), fmt.Sprintf("pb-%d", c%reps), now.AddDate(0, 0, -(i%300))
		var closed any
		if stages[i%6] == "closed" {
			closed = at
		}
		rows = append(rows, []any{id, "Bench deal", fmt.Sprintf("PB-%06d", c), "Bench", false, "CNY", int64(100000), owner, owner,
			stages[i%6], at, owner, at, closed, int64(1)})
		for s := range 5 {
			hist = append(hist, []any{id, int64(s + 1), "submit_quote", owner, "opportunity", "quote", at.Add(time.Duration(s) * time.Hour)})
		}
	}
	copyIn(b, conn, "deals", []string{"id", "title", "customer_code", "customer_name", "tendered", "currency", "expected_amount",
		"discoverer", "sales_owner", "stage", "stage_entered_at", "created_by", "created_at", "closed_at", "version"}, rows)
	copyIn(b, conn, "deal_history", []string{"deal_id", "seq", "action", "actor", "from_stage", "to_stage", "at"}, hist)
	_, err = conn.Exec(ctx, `ANALYZE customers, customer_activities, deals, deal_history`)
	require.NoError(b, err)

	cal := calendar.China()
	rules := []ownership.Rule{{Class: "A", IdleDays: 60, WarnDays: 10}, {Class: "B", IdleDays: 40, WarnDays: 5},
		{Class: "C", IdleDays: 20, WarnDays: 5}, {Class: "", IdleDays: 20, WarnDays: 5}}
	var slowest time.Duration
	for _, at := range []time.Time{now, now.AddDate(0, 0, 30)} {
		t0 := time.Now()
		n, err := db.PoolRecycle(ctx, chain, at, ownership.Cutoffs(cal, at, rules))
		took := time.Since(t0)
		require.NoError(b, err)
		require.Positive(b, n.Idle)
		b.Logf("pool clock as of %s: %+v in %s", at.Format(time.DateOnly), n, took)
		slowest = max(slowest, took)
	}
	var pooled int64
	require.NoError(b, conn.QueryRow(ctx, `SELECT count(*) FROM customers WHERE code LIKE 'PB-%' AND sales_owner IS NULL`).Scan(&pooled))
	require.Positive(b, pooled, "some returned to the pool")
	fmt.Printf("BENCH pool_recycle_100k_s %.3f s\n", slowest.Seconds())
}

func copyIn(tb testing.TB, conn *pgx.Conn, table string, cols []string, rows [][]any) {
	tb.Helper()
	_, err := conn.CopyFrom(context.Background(), pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	require.NoError(tb, err, table)
}

// rawConn is a connection of its own to the package's database, closed when
// tb ends.
func rawConn(tb testing.TB) *pgx.Conn { return testenv.Conn(tb, testenv.DatabaseURL(tb)) }
