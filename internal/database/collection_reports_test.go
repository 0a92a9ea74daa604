package database_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
)

// TestCollectionReportsEqualUnsummarised compares every viewer's ageing (by
// customer, owner and office, with totals) and forecast with the
// unsummarised statements over every item (ReceivableLiveSQL,
// ForecastLiveSQL), after invoices, payments and a credit note arrive:
// reps of one team and of another, their manager, a collector, delivery,
// and finance reading the summaries just rebuilt.
func TestCollectionReportsEqualUnsummarised(t *testing.T) {
	ctx := context.Background()
	db, conn := collectionConn(t)
	users := []struct {
		user    identity.User
		manager string
	}{
		{identity.User{ID: "eqmgr", Name: "EQ manager", Team: "eq-east", Roles: []identity.Role{identity.RoleSales, identity.RoleSalesManager}}, ""},
		{identity.User{ID: "eqrep1", Name: "EQ rep 1", Team: "eq-east", Roles: []identity.Role{identity.RoleSales}}, "eqmgr"},
		{identity.User{ID: "eqrep2", Name: "EQ rep 2", Team: "eq-east", Roles: []identity.Role{identity.RoleSales}}, "eqmgr"},
		{identity.User{ID: "eqrep3", Name: "EQ rep 3", Team: "eq-west", Roles: []identity.Role{identity.RoleSales}}, ""},
	}
	for _, u := range users {
		require.NoError(t, db.UserUpsert(ctx, u.user, u.manager, ""))
	}
	_, err := db.CustomersUpsert(ctx, []database.Customer{
		{Code: "EQ1", Name: "Equal One", SalesOwner: "eqrep1", Currency: "CNY", Source: "erp"},
		{Code: "EQ2", Name: "Equal Two", SalesOwner: "eqrep1", Currency: "CNY", Source: "erp"},
		{Code: "EQ3", Name: "Equal Three", SalesOwner: "eqrep2", Currency: "CNY", Source: "erp"},
		{Code: "EQ4", Name: "Equal Four", SalesOwner: "eqrep3", Currency: "CNY", Source: "erp"},
		{Code: "EQ5", Name: "Equal Five", Currency: "CNY", Source: "erp"}, // nobody's yet
	}, nil)
	require.NoError(t, err)
	// Plans, so the forecast has instalments: EQ1's deal collected by wu.
	signedDealOf(t, db, "EQ1", users[1].user)
	signedDealOf(t, db, "EQ4", users[3].user)
	t.Cleanup(func() { // paid, for the other tests' dunning ticks over the same database
		_, _ = conn.Exec(ctx, `UPDATE collection_instalments SET paid = amount, settled_on = '2026-01-05'
			WHERE customer_code IN ('EQ1', 'EQ4')`)
	})

	day := func(s string) time.Time { return collDay(s).End(time.UTC).Add(-24 * time.Hour) }
	inv := func(no, customer, currency string, amount int64, due string) database.ERPInvoice {
		return database.ERPInvoice{Number: no, CustomerCode: customer, Amount: amount, Currency: currency, IssuedOn: day("2026-01-05"),
			DueOn: day(due), ERPChangedAt: time.Now()}
	}
	pay := func(ref, invoice, customer string, amount int64, on string) database.ERPPayment {
		return database.ERPPayment{Reference: ref, InvoiceNo: invoice, CustomerCode: customer, Amount: amount, Currency: "CNY",
			ReceivedOn: day(on), ERPChangedAt: time.Now()}
	}
	asOf := collDay("2026-06-30")
	viewers := map[string]database.Viewer{"finance": database.ViewerOf(collFin), "collector wu": database.ViewerOf(identity.User{ID: "wu", Roles: []identity.Role{identity.RoleCollector}}),
		"delivery zhou": database.ViewerOf(identity.User{ID: "zhou", Roles: []identity.Role{identity.RoleDelivery}})}
	for _, u := range users {
		viewers[u.user.ID] = database.ViewerOf(u.user)
	}
	// The unsummarised answer, in the report's order.
	reference := func(v database.Viewer, by string) []string {
		cols := map[string][2]string{"customer": {"customer_code", "customer_name"}, "owner": {"owner", "owner"},
			"office": {"office", "office"}, "": {"''", "''"}}[by]
		key, name, group := cols[0], cols[1], cols[0]+", currency"
		if by == "" { // the totals
			group = "currency"
		}
		rows, err := conn.Query(ctx, `SELECT `+key+`, max(`+name+`), `+database.AgeingColumnsSQL+` FROM (`+database.ReceivableLiveSQL+`) x
			GROUP BY `+group+` ORDER BY 1, 3`, append(database.ViewerCustomerArgs(v), asOf.String())...)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var k, n, currency string
			var b [5]*int64
			var total, items int64
			err := r.Scan(&k, &n, &currency, &b[0], &b[1], &b[2], &b[3], &b[4], &total, &items)
			if n == k {
				n = ""
			}
			var bs []string
			for _, x := range b {
				if x == nil {
					bs = append(bs, "0")
				} else {
					bs = append(bs, fmt.Sprint(*x))
				}
			}
			return fmt.Sprintf("%s|%s|%s|%s|%d|%d", k, n, currency, strings.Join(bs, ","), total, items), err
		})
		require.NoError(t, err)
		return out
	}
	lines := func(rows []database.AgeingRow) []string {
		out := []string{}
		for _, r := range rows {
			var bs []string
			for _, b := range []string{"current", "1_30", "31_60", "61_90", "90_plus"} {
				bs = append(bs, fmt.Sprint(int64(r.Buckets[collection.Bucket(b)])))
			}
			out = append(out, fmt.Sprintf("%s|%s|%s|%s|%d|%d", r.Key, r.Name, r.Currency, strings.Join(bs, ","), int64(r.Total), r.Items))
		}
		return out
	}
	forecastRef := func(v database.Viewer, today string) []string {
		rows, err := conn.Query(ctx, `SELECT week, currency, sum(expected), sum(items) FROM (`+database.ForecastLiveSQL+`) x
			GROUP BY 1, 2 ORDER BY 1, 2`, append(database.ViewerArgs(v), today)...)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var week time.Time
			var currency string
			var expected, items int64
			err := r.Scan(&week, &currency, &expected, &items)
			return fmt.Sprintf("%s|%s|%d|%d", week.Format(time.DateOnly), currency, expected, items), err
		})
		require.NoError(t, err)
		return out
	}
	compareViewers := func(stage string, few int) {
		t.Helper()
		stage = fmt.Sprintf("%s (few=%d)", stage, few)
		for name, v := range viewers {
			for _, by := range database.AgeingBy {
				a, err := db.ReceivablesAgeing(ctx, v, by, asOf, "", 100000)
				require.NoError(t, err)
				require.Equal(t, v.All, a.RefreshedAt != nil, "%s: %s reads the summaries", stage, name)
				require.Equal(t, reference(v, by), lines(a.Rows), "%s: %s by %s", stage, name, by)
				require.Equal(t, reference(v, ""), lines(a.Totals), "%s: %s's totals by %s", stage, name, by)
			}
			days := []string{"2026-03-05", "2026-06-30"}
			if v.All { // the summary is as of its day
				days = days[1:]
			}
			for _, today := range days {
				f, err := db.CollectionForecast(ctx, v, collDay(today), 520)
				require.NoError(t, err)
				got := []string{}
				for _, w := range f.Weeks {
					got = append(got, fmt.Sprintf("%s|%s|%d|%d", w.Week, w.Currency, int64(w.Expected), w.Items))
				}
				require.Empty(t, f.Later)
				require.Equal(t, forecastRef(v, today), got, "%s: %s's forecast on %s", stage, name, today)
			}
		}
		// Not empty: each viewer sees what they should.
		for name, want := range map[string][]string{"eqrep1": {"EQ1", "EQ2"}, "eqrep3": {"EQ4"},
			"eqmgr": {"EQ1", "EQ2", "EQ3", "EQ5"}, "collector wu": {"EQ1", "EQ4"}} {
			a, err := db.ReceivablesAgeing(ctx, viewers[name], "customer", asOf, "", 100000)
			require.NoError(t, err)
			var got []string
			for _, r := range a.Rows {
				if strings.HasPrefix(r.Key, "EQ") && (len(got) == 0 || got[len(got)-1] != r.Key) {
					got = append(got, r.Key)
				}
			}
			require.Equal(t, want, got, "%s: %s's customers", stage, name)
		}
	}
	compare := func(stage string) {
		t.Helper()
		require.NoError(t, db.CollectionSummariesRefresh(ctx, asOf))
		for _, few := range []int{2000, 0} { // each viewer's items by index, and in one pass
			restore := database.SetReachFew(few)
			compareViewers(stage, few)
			restore()
		}
	}

	_, err = db.InvoicesUpsert(ctx, []database.ERPInvoice{
		inv("EQ-1A", "EQ1", "CNY", 100000, "2026-07-10"), inv("EQ-1B", "EQ1", "CNY", 50000, "2026-06-15"),
		inv("EQ-2A", "EQ2", "USD", 70000, "2026-03-01"), inv("EQ-3A", "EQ3", "CNY", 200000, "2026-05-15"),
		inv("EQ-4A", "EQ4", "CNY", 40000, "2026-04-20"), inv("EQ-5A", "EQ5", "CNY", 30000, "2026-06-01"),
		inv("EQ-9A", "EQ9", "CNY", 10000, "2026-06-20"), // a customer l2c does not know
	}, nil)
	require.NoError(t, err)
	compare("invoices")
	_, err = db.InvoicesUpsert(ctx, []database.ERPInvoice{
		inv("EQ-1C", "EQ1", "CNY", 80000, "2026-02-15"), inv("EQ-3B", "EQ3", "USD", 60000, "2026-06-29"),
		inv("EQ-4B", "EQ4", "CNY", 90000, "2026-01-10"),
	}, nil)
	require.NoError(t, err)
	compare("more invoices")
	_, err = db.PaymentsUpsert(ctx, []database.ERPPayment{
		pay("EQ-P1", "EQ-1B", "EQ1", 20000, "2026-06-25"), pay("EQ-P2", "EQ-1C", "EQ1", 80000, "2026-03-01"), // partly, in full
		pay("EQ-P3", "EQ-4A", "EQ4", 15000, "2026-05-02"),
	}, nil)
	require.NoError(t, err)
	compare("payments")
	_, err = db.InvoicesUpsert(ctx, []database.ERPInvoice{inv("EQ-3C", "EQ3", "CNY", -25000, "2026-06-30")}, nil)
	require.NoError(t, err)
	compare("a credit note")
}
