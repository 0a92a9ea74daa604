package database_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/ownership"
	"github.com/l2c/l2c/internal/testenv"
)

// classesDB is a database of the test's own, migrated: the classification
// ranks every customer in it, so the known data set must be alone there.
func classesDB(tb testing.TB) (*database.DB, *pgx.Conn) {
	tb.Helper()
	ctx := context.Background()
	url := testenv.EmptyDatabaseURL(tb)
	_, err := database.Migrate(ctx, url)
	require.NoError(tb, err)
	db, err := database.Open(ctx, url)
	require.NoError(tb, err)
	tb.Cleanup(db.Close)
	return db, testenv.Conn(tb, url)
}

// classInvoice is an invoice of the known data set with its payments.
type classInvoice struct {
	customer, number string
	amount           int64 // yuan
	issued, due      string
	currency         string
	cancelled        bool
	paid             []classPayment
}

type classPayment struct {
	amount int64
	on     string
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// loadClassData writes the known data set: customers with their current
// class, invoices and payments (amounts in yuan, stored in fen).
func loadClassData(tb testing.TB, conn *pgx.Conn, customers [][]any, invoices []classInvoice) {
	tb.Helper()
	copyIn(tb, conn, "customers", []string{"code", "name", "source", "value_class", "payment_grade", "sales_owner"}, customers)
	var inv, pay [][]any
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, i := range invoices {
		cur := i.currency
		if cur == "" {
			cur = "CNY"
		}
		inv = append(inv, []any{i.number, i.customer, i.amount * 100, cur, day(i.issued), day(i.due), i.cancelled, at})
		for n, p := range i.paid {
			pay = append(pay, []any{i.number + "-P" + string(rune('0'+n)), i.number, i.customer, p.amount * 100, cur, day(p.on), at})
		}
	}
	copyIn(tb, conn, "erp_invoices", []string{"number", "customer_code", "amount", "currency", "issued_on", "due_on", "cancelled", "erp_changed_at"}, inv)
	copyIn(tb, conn, "erp_payments", []string{"reference", "invoice_no", "customer_code", "amount", "currency", "received_on", "erp_changed_at"}, pay)
}

func ip(v int) *int { return &v }

// TestClassesABCTimesPaymentGrade: ABC by the trailing twelve months'
// invoiced revenue × the payment grade, on a known data set as of
// 2026-11-16, every customer's class and factors asserted; then the
// proposals, reviewed: the owner may not decide their own customer's, an
// approval applies, a rejection leaves the class, a stale one is refused.
func TestClassesABCTimesPaymentGrade(t *testing.T) {
	ctx := context.Background()
	db, conn := classesDB(t)
	chain := testenv.AuditChain(t)
	testenv.AddUsers(t, db, identity.User{ID: "rep", Name: "Rep", Team: "east", Roles: []identity.Role{identity.RoleSales}},
		identity.User{ID: "boss", Name: "Boss", Team: "east", Roles: []identity.Role{identity.RoleSalesManager, identity.RoleSales}},
		identity.User{ID: "fin", Name: "Fin", Roles: []identity.Role{identity.RoleFinance}})
	// Revenue (yuan): K1 500, K2 200, K3 100, K4 100 (a tie), K5 60, K6 40,
	// K7 nothing, K8 30 less a credit note of 50: the positive total is 1000.
	loadClassData(t, conn, [][]any{
		{"K1", "One", "manual", "", int16(0), "boss"}, {"K2", "Two", "manual", "A", int16(0), "rep"},
		{"K3", "Three", "manual", "B", int16(0), "rep"}, {"K4", "Four", "manual", "", int16(0), "rep"},
		{"K5", "Five", "manual", "B", int16(1), "rep"}, {"K6", "Six", "manual", "", int16(0), "rep"},
		{"K7", "Seven", "manual", "C", int16(0), "rep"}, {"K8", "Eight", "manual", "", int16(0), "rep"},
	}, []classInvoice{
		// K1: paid in 20 days, before the due date.
		{customer: "K1", number: "I1", amount: 500, issued: "2026-06-01", due: "2026-07-01", paid: []classPayment{{500, "2026-06-21"}}},
		// Outside the window: issued the day before it, and on the run's day.
		{customer: "K1", number: "I1-old", amount: 9000, issued: "2025-11-15", due: "2025-12-15", paid: []classPayment{{9000, "2025-12-01"}}},
		{customer: "K1", number: "I1-today", amount: 9000, issued: "2026-11-16", due: "2026-12-16"},
		// K2: 150 on time in 30 days, 50 twenty days late (51 days to pay).
		{customer: "K2", number: "I2a", amount: 150, issued: "2026-08-01", due: "2026-09-01", paid: []classPayment{{150, "2026-08-31"}}},
		{customer: "K2", number: "I2b", amount: 50, issued: "2026-03-01", due: "2026-04-01", paid: []classPayment{{50, "2026-04-21"}}},
		// K3: nothing due yet: not graded.
		{customer: "K3", number: "I3", amount: 100, issued: "2026-10-20", due: "2026-12-20"},
		// K4: 40 of 100 paid 30 days late, 60 still open; and an invoice from
		// before the window still open since 2025-07-01.
		{customer: "K4", number: "I4", amount: 100, issued: "2026-01-10", due: "2026-02-10", paid: []classPayment{{40, "2026-03-12"}}},
		{customer: "K4", number: "I4-old", amount: 10, issued: "2025-06-01", due: "2025-07-01"},
		// K5: paid on its due date.
		{customer: "K5", number: "I5", amount: 60, issued: "2026-09-01", due: "2026-10-01", paid: []classPayment{{60, "2026-10-01"}}},
		// K6: ten days late; a cancelled invoice does not count.
		{customer: "K6", number: "I6", amount: 40, issued: "2026-05-01", due: "2026-05-31", paid: []classPayment{{40, "2026-06-10"}}},
		{customer: "K6", number: "I6-x", amount: 1000, issued: "2026-05-01", due: "2026-05-31", cancelled: true},
		// K7: only an invoice in another currency.
		{customer: "K7", number: "I7", amount: 700, issued: "2026-05-01", due: "2026-05-31", currency: "USD", paid: []classPayment{{700, "2026-05-02"}}},
		// K8: 30 paid on time, then a credit note of 50.
		{customer: "K8", number: "I8", amount: 30, issued: "2026-04-01", due: "2026-05-01", paid: []classPayment{{30, "2026-04-30"}}},
		{customer: "K8", number: "I8-cn", amount: -50, issued: "2026-06-01", due: "2026-06-01"},
	})

	at := time.Date(2026, 11, 16, 1, 0, 0, 0, time.UTC)
	run, err := db.ClassifyRun(ctx, chain, "classify/test-1", "system", at)
	require.NoError(t, err)
	require.Equal(t, 8, run.Customers)
	require.Equal(t, "2026-11-16", run.AsOf)
	require.Equal(t, "100000", run.TotalRevenue)
	require.Equal(t, 6, run.Proposed, "K5 and K7 already hold their computed class")

	fin := database.ViewerOf(identity.User{ID: "fin", Roles: []identity.Role{identity.RoleFinance}})
	type want struct {
		class                   string
		grade                   int
		revenue                 int64
		invoices, share, before int
		rank                    int
		days, onTime, overdue   *int
	}
	for code, w := range map[string]want{
		"K1": {"A", 1, 500, 1, 5000, 0, 1, ip(20), ip(10000), ip(0)},
		"K2": {"A", 2, 200, 2, 2000, 5000, 2, ip(35), ip(7500), ip(20)},
		"K3": {"A", 0, 100, 1, 1000, 7000, 3, nil, nil, nil},
		"K4": {"A", 3, 100, 1, 1000, 7000, 3, ip(61), ip(0), ip(503)},
		"K5": {"B", 1, 60, 1, 600, 9000, 5, ip(30), ip(10000), ip(0)},
		"K6": {"C", 3, 40, 1, 400, 9600, 6, ip(40), ip(0), ip(10)},
		"K7": {"C", 0, 0, 0, 0, 10000, 7, nil, nil, nil},
		"K8": {"C", 1, -20, 2, 0, 10000, 8, ip(29), ip(10000), ip(0)},
	} {
		c, err := db.CustomerClassGet(ctx, code, fin)
		require.NoError(t, err, code)
		require.NotNil(t, c.Computed, code)
		got := c.Computed
		f := got.Factors
		require.Equal(t, want{got.Class, got.Grade, int64(f.Revenue) / 100, f.Invoices, f.ShareBP, f.BeforeBP, f.Rank,
			f.DaysToPay, f.OnTimeBP, f.LongestOverdue}, w, code)
		require.Equal(t, 8000, got.Rules.AShareBP, code)
		require.Equal(t, 45, got.Rules.Good.MaxDaysToPay, code)
	}

	// The customers keep their classes until a proposal is approved.
	proposals, err := db.ClassProposalList(ctx, fin, "pending", 0, 100)
	require.NoError(t, err)
	var moves []string
	ids := map[string]int64{}
	for _, p := range proposals {
		moves = append(moves, p.Customer+":"+p.OldClass+string(rune('0'+p.OldGrade))+">"+p.NewClass+string(rune('0'+p.NewGrade)))
		ids[p.Customer] = p.ID
	}
	require.Equal(t, []string{"K1:0>A1", "K2:A0>A2", "K3:B0>A0", "K4:0>A3", "K6:0>C3", "K8:0>C1"}, moves)
	class, _, err := db.CustomerClassOf(ctx, "K2")
	require.NoError(t, err)
	require.Equal(t, "A", class)

	// The same run again does nothing more; the next night refreshes the
	// same proposals rather than adding to them.
	again, err := db.ClassifyRun(ctx, chain, "classify/test-1", "system", at)
	require.NoError(t, err)
	require.Equal(t, run.ID, again.ID)
	_, err = db.ClassifyRun(ctx, chain, "classify/test-2", "system", at)
	require.NoError(t, err)
	after, err := db.ClassProposalList(ctx, fin, "pending", 0, 100)
	require.NoError(t, err)
	require.Len(t, after, 6)
	require.Equal(t, ids["K1"], after[0].ID)

	count := func(q string, args ...any) int {
		var n int
		require.NoError(t, conn.QueryRow(ctx, q, args...).Scan(&n))
		return n
	}
	audited := count(`SELECT count(*) FROM audit_log`)
	boss := database.ViewerOf(identity.User{ID: "boss", Team: "east", Roles: []identity.Role{identity.RoleSalesManager, identity.RoleSales}})
	// The manager owns K1: deciding it by name is refused, and nothing changes.
	_, err = db.ClassProposalsDecide(ctx, chain, database.ClassDecision{By: "boss", Viewer: boss, IDs: []int64{ids["K2"], ids["K1"]},
		Approve: true, At: at})
	require.ErrorIs(t, err, database.ErrClassOwnCustomer)
	require.Equal(t, 6, count(`SELECT count(*) FROM class_proposals WHERE status = 'pending'`))
	require.Equal(t, 0, count(`SELECT count(*) FROM customers WHERE value_class = 'A' AND payment_grade = 2`))
	require.Equal(t, audited, count(`SELECT count(*) FROM audit_log`))

	// A rejection leaves the class; a stale proposal is refused.
	rej, err := db.ClassProposalsDecide(ctx, chain, database.ClassDecision{By: "fin", Viewer: fin, IDs: []int64{ids["K6"]},
		Note: "one late payment", At: at})
	require.NoError(t, err)
	require.Equal(t, "rejected", rej.Decided[0].Status)
	class, _, err = db.CustomerClassOf(ctx, "K6")
	require.NoError(t, err)
	require.Equal(t, "", class)
	_, err = conn.Exec(ctx, `UPDATE customers SET value_class = 'B' WHERE code = 'K8'`)
	require.NoError(t, err)
	_, err = db.ClassProposalsDecide(ctx, chain, database.ClassDecision{By: "fin", Viewer: fin, IDs: []int64{ids["K8"]}, Approve: true, At: at})
	require.ErrorIs(t, err, database.ErrClassStale)

	// The manager approves all they may: their own K1 and the stale K8 are
	// left; finance rejects those two all at once.
	res, err := db.ClassProposalsDecide(ctx, chain, database.ClassDecision{By: "boss", Viewer: boss, All: true, Approve: true, At: at})
	require.NoError(t, err)
	require.Len(t, res.Decided, 3)
	require.Equal(t, []int64{ids["K1"], ids["K8"]}, res.Skipped, "their own, and the stale one")
	res, err = db.ClassProposalsDecide(ctx, chain, database.ClassDecision{By: "fin", Viewer: fin, All: true, Approve: false, Note: "not yet", At: at})
	require.NoError(t, err)
	require.Len(t, res.Decided, 2, "K1 and K8 rejected")
	for code, w := range map[string]string{"K1": "", "K2": "A2", "K3": "A0", "K4": "A3", "K5": "B1", "K6": "", "K7": "C0", "K8": "B0"} {
		class, grade, err := db.CustomerClassOf(ctx, code)
		require.NoError(t, err)
		got := class + string(rune('0'+grade))
		if class == "" {
			got = ""
		}
		require.Equal(t, w, got, code)
	}
	require.Equal(t, audited+3, count(`SELECT count(*) FROM audit_log`))
	// A decided proposal is not decided again.
	_, err = db.ClassProposalsDecide(ctx, chain, database.ClassDecision{By: "fin", Viewer: fin, IDs: []int64{ids["K2"]}, Approve: true, At: at})
	require.ErrorIs(t, err, database.ErrClassNotPending)
	var re *database.ClassRefusal
	require.True(t, errors.As(err, &re))
	require.Equal(t, ids["K2"], re.ID)
}

// TestClassChangeMovesThePoolClockAndTheDunningLadder: the class a review
// applies is the one the pool clock and the dunning ladder read. A customer
// idle for 30 working days is warned under the unranked clock (20 days,
// warned 5 before); once its computed class A (60 days) is approved, the
// next night withdraws the warning, and its open instalment is dunned by
// class A's ladder.
func TestClassChangeMovesThePoolClockAndTheDunningLadder(t *testing.T) {
	ctx := context.Background()
	db, conn := classesDB(t)
	chain := testenv.AuditChain(t)
	testenv.AddUsers(t, db, identity.User{ID: "rep", Name: "Rep", Team: "east", Roles: []identity.Role{identity.RoleSales}},
		identity.User{ID: "boss", Name: "Boss", Team: "east", Roles: []identity.Role{identity.RoleSalesManager}})
	cal := calendar.China()
	at := time.Date(2026, 11, 16, 1, 0, 0, 0, time.UTC)
	idleSince := cal.DateOf(at)
	for range 30 {
		idleSince = ownership.WorkdaysBack(cal, idleSince, 1)
	}
	loadClassData(t, conn, [][]any{{"PX", "Pool Co", "manual", "", int16(0), "rep"}}, []classInvoice{
		{customer: "PX", number: "PX-1", amount: 100, issued: "2026-06-01", due: "2026-07-01", paid: []classPayment{{100, "2026-06-20"}}}})
	_, err := conn.Exec(ctx, `UPDATE customers SET owned_since = $1 WHERE code = 'PX'`, day(idleSince.String()))
	require.NoError(t, err)
	// The deal is lost (a running contract would be a follow-up); its
	// instalment stands for any the customer owes.
	_, err = conn.Exec(ctx, `INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount,
			discoverer, sales_owner, stage, stage_entered_at, created_by, created_at, version)
		VALUES ('D-PX', 'Pool deal', 'PX', 'Pool Co', false, 'CNY', 100000, 'rep', 'rep', 'lost', $1, 'rep', $1, 1)`,
		day("2026-01-05"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO collection_instalments (deal_id, no, trigger, due_kind, due_days, amount, currency,
			customer_code, value_class, due_on)
		VALUES ('D-PX', 1, 'signing', 'calendar_days', 10, 100000, 'CNY', 'PX', '', '2026-12-01')`)
	require.NoError(t, err)
	_, rules, err := db.OwnershipRules(ctx)
	require.NoError(t, err)
	clock := func(at time.Time) database.RecycleCounts {
		n, err := db.PoolRecycle(ctx, chain, at, ownership.Cutoffs(cal, at, rules))
		require.NoError(t, err)
		return n
	}
	warned := func() int {
		var n int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pool_warnings WHERE customer_code = 'PX'`).Scan(&n))
		return n
	}

	require.Equal(t, int64(1), clock(at).Warned, "unranked: warned at 15 idle working days")
	run, err := db.ClassifyRun(ctx, chain, "classify/pool", "system", at)
	require.NoError(t, err)
	require.Equal(t, 1, run.Proposed)
	require.Equal(t, 1, warned(), "a proposal changes no clock")
	boss := database.ViewerOf(identity.User{ID: "boss", Team: "east", Roles: []identity.Role{identity.RoleSalesManager}})
	_, err = db.ClassProposalsDecide(ctx, chain, database.ClassDecision{By: "boss", Viewer: boss, All: true, Approve: true, At: at})
	require.NoError(t, err)

	next := at.Add(24 * time.Hour)
	n := clock(next)
	require.Equal(t, int64(1), n.Cleared, "class A: 30 idle days are within its 60")
	require.Equal(t, int64(0), n.Recycled)
	require.Equal(t, 0, warned())
	var ladder string
	require.NoError(t, conn.QueryRow(ctx, `SELECT value_class FROM collection_instalments WHERE deal_id = 'D-PX'`).Scan(&ladder))
	require.Equal(t, "A", ladder, "the instalment is dunned by class A's ladder")
}
