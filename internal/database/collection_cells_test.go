package database_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// TestCollectionCellsManagerAndCollectorKnownData: a sales manager's and a
// collector's ageing and forecast, read from the report cells, equal the
// figures worked out by hand from the items and instalments each may see
// (in euros, a currency no other test uses, as of Tuesday 30 June 2026),
// before and after the refresh folds the cells; and an item or an
// instalment out of their reach never shows: added, their figures are
// unchanged; a deal handed to another collector leaves its collector's
// figures at once.
//
//	ckmgr   sales manager of ck-east; ckrep1 is in ck-east and reports to ckmgr
//	ckrep2  sales rep of ck-west
//	ckcol   collector, payment owner of CK-D1 (CK1) and CK-D4 (CK4)
//
//	CK1 (ckrep1)  CK-1A 1,000.00 due 07-10 current; CK-1B 400.00 due 06-15 1-30;
//	              CK-1C 300.00 due 06-01 1-30, billed on CK-D1 (its owner: ckcol)
//	CK2 (ckrep1)  CK-2A 600.00 due 05-01 31-60, 100.00 paid; CK-2B -50.00 due 06-30 current
//	CK3 (ckrep2)  CK-3A 800.00 due 03-01 90+
//	CK4 (ckrep2)  CK-4A 250.00 due 04-10 61-90
//
//	CK-D1 (ckrep1) 1,000.00 due 07-08 (week 07-06); 500.00 due 06-10, 200.00 paid (late: this week)
//	CK-D3 (ckrep2)   900.00 due 07-08
//	CK-D4 (ckrep2)   700.00 due 07-20 (week 07-20)
func TestCollectionCellsManagerAndCollectorKnownData(t *testing.T) {
	ctx := context.Background()
	db, conn := collectionConn(t)
	exec := testenv.Exec(t, conn)
	for _, u := range []struct {
		user    identity.User
		manager string
	}{
		{identity.User{ID: "ckmgr", Name: "CK manager", Team: "ck-east", Roles: []identity.Role{identity.RoleSalesManager}}, ""},
		{identity.User{ID: "ckrep1", Name: "CK rep 1", Team: "ck-east", Roles: []identity.Role{identity.RoleSales}}, "ckmgr"},
		{identity.User{ID: "ckrep2", Name: "CK rep 2", Team: "ck-west", Roles: []identity.Role{identity.RoleSales}}, ""},
		{identity.User{ID: "ckcol", Name: "CK collector", Roles: []identity.Role{identity.RoleCollector}}, ""},
	} {
		require.NoError(t, db.UserUpsert(ctx, u.user, u.manager, ""))
	}
	_, err := db.CustomersUpsert(ctx, []database.Customer{
		{Code: "CK1", Name: "Cell One", SalesOwner: "ckrep1", Currency: "EUR", Source: "erp"},
		{Code: "CK2", Name: "Cell Two", SalesOwner: "ckrep1", Currency: "EUR", Source: "erp"},
		{Code: "CK3", Name: "Cell Three", SalesOwner: "ckrep2", Currency: "EUR", Source: "erp"},
		{Code: "CK4", Name: "Cell Four", SalesOwner: "ckrep2", Currency: "EUR", Source: "erp"},
	}, nil)
	require.NoError(t, err)
	at := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)
	newDeal := func(id, customer, rep, collector string) {
		exec(`INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount, discoverer,
			sales_owner, payment_owner, stage, stage_entered_at, created_by, created_at, version)
			VALUES ($1, 'Cells', $2, $2, false, 'EUR', 100000, $3, $3, $4, 'delivery', $5, $3, $5, 1)`, id, customer, rep, collector, at)
	}
	instalment := func(dealID string, no int, customer string, amount, paid int64, due string) {
		exec(`INSERT INTO collection_instalments (deal_id, no, trigger, due_kind, due_days, amount, currency, customer_code,
			payment_owner, trigger_on, due_on, paid) VALUES ($1, $2, 'signing', 'calendar_days', 0, $3, 'EUR', $4, '', $5, $5, $6)`,
			dealID, no, amount, customer, due, paid)
	}
	newDeal("CK-D1", "CK1", "ckrep1", "ckcol")
	newDeal("CK-D3", "CK3", "ckrep2", "wu")
	newDeal("CK-D4", "CK4", "ckrep2", "ckcol")
	instalment("CK-D1", 1, "CK1", 100000, 0, "2026-07-08")
	instalment("CK-D1", 2, "CK1", 50000, 20000, "2026-06-10")
	instalment("CK-D3", 1, "CK3", 90000, 0, "2026-07-08")
	instalment("CK-D4", 1, "CK4", 70000, 0, "2026-07-20")
	t.Cleanup(func() { // paid, for the other tests' dunning ticks over the same database
		_, _ = conn.Exec(ctx, `UPDATE collection_instalments SET paid = amount, settled_on = '2026-01-05' WHERE deal_id LIKE 'CK-%'`)
	})
	day := func(s string) time.Time { return collDay(s).End(time.UTC).Add(-24 * time.Hour) }
	inv := func(no, customer string, amount int64, due string) database.ERPInvoice {
		return database.ERPInvoice{Number: no, CustomerCode: customer, Amount: amount, Currency: "EUR", IssuedOn: day("2026-01-05"),
			DueOn: day(due), ERPChangedAt: time.Now()}
	}
	_, err = db.InvoicesUpsert(ctx, []database.ERPInvoice{
		inv("CK-1A", "CK1", 100000, "2026-07-10"), inv("CK-1B", "CK1", 40000, "2026-06-15"), inv("CK-1C", "CK1", 30000, "2026-06-01"),
		inv("CK-2A", "CK2", 60000, "2026-05-01"), inv("CK-2B", "CK2", -5000, "2026-06-30"),
		inv("CK-3A", "CK3", 80000, "2026-03-01"), inv("CK-4A", "CK4", 25000, "2026-04-10"),
	}, nil)
	require.NoError(t, err)
	_, err = db.PaymentsUpsert(ctx, []database.ERPPayment{{Reference: "CK-P1", InvoiceNo: "CK-2A", CustomerCode: "CK2", Amount: 10000,
		Currency: "EUR", ReceivedOn: day("2026-06-20"), ERPChangedAt: time.Now()}}, nil)
	require.NoError(t, err)
	exec(`UPDATE erp_invoices SET deal_id = 'CK-D1' WHERE number = 'CK-1C'`) // the sync's link to the deal

	asOf := collDay("2026-06-30")
	manager := database.ViewerOf(identity.User{ID: "ckmgr", Team: "ck-east", Roles: []identity.Role{identity.RoleSalesManager}})
	collector := database.ViewerOf(identity.User{ID: "ckcol", Roles: []identity.Role{identity.RoleCollector}})
	// A viewer's euro lines: key|current,1-30,31-60,61-90,90+|total|items.
	ageing := func(v database.Viewer, by string) (rows []string, total string) {
		t.Helper()
		a, err := db.ReceivablesAgeing(ctx, v, by, asOf, "", 100000)
		require.NoError(t, err)
		require.Nil(t, a.RefreshedAt, "read live")
		line := func(r database.AgeingRow) string {
			var bs []string
			for _, b := range collection.Buckets {
				bs = append(bs, fmt.Sprint(int64(r.Buckets[b])))
			}
			return fmt.Sprintf("%s|%s|%d|%d", r.Key, strings.Join(bs, ","), int64(r.Total), r.Items)
		}
		for _, r := range a.Rows {
			if r.Currency == "EUR" {
				rows = append(rows, line(r))
			}
		}
		for _, r := range a.Totals {
			if r.Currency == "EUR" {
				total = line(r)
			}
		}
		return rows, total
	}
	forecast := func(v database.Viewer) []string {
		t.Helper()
		f, err := db.CollectionForecast(ctx, v, asOf, 520)
		require.NoError(t, err)
		var out []string
		for _, w := range f.Weeks {
			if w.Currency == "EUR" {
				out = append(out, fmt.Sprintf("%s|%d|%d", w.Week, int64(w.Expected), w.Items))
			}
		}
		return out
	}
	type figures struct {
		customers, owners, offices []string
		total                      string
		forecast                   []string
	}
	read := func(v database.Viewer) figures {
		t.Helper()
		var f figures
		f.customers, f.total = ageing(v, "customer")
		var total string
		f.owners, total = ageing(v, "owner")
		require.Equal(t, f.total, total)
		f.offices, total = ageing(v, "office")
		require.Equal(t, f.total, total)
		f.forecast = forecast(v)
		return f
	}
	wantManager := figures{
		customers: []string{"CK1|100000,70000,0,0,0|170000|3", "CK2|-5000,0,50000,0,0|45000|2"},
		owners:    []string{"ckcol|0,30000,0,0,0|30000|1", "ckrep1|95000,40000,50000,0,0|185000|4"},
		offices:   []string{"|0,30000,0,0,0|30000|1", "ck-east|95000,40000,50000,0,0|185000|4"},
		total:     "|95000,70000,50000,0,0|215000|5",
		forecast:  []string{"2026-06-29|30000|1", "2026-07-06|100000|1"},
	}
	wantCollector := figures{
		customers: []string{"CK1|100000,70000,0,0,0|170000|3", "CK4|0,0,0,25000,0|25000|1"},
		owners:    []string{"ckcol|0,30000,0,0,0|30000|1", "ckrep1|100000,40000,0,0,0|140000|2", "ckrep2|0,0,0,25000,0|25000|1"},
		offices:   []string{"|0,30000,0,0,0|30000|1", "ck-east|100000,40000,0,0,0|140000|2", "ck-west|0,0,0,25000,0|25000|1"},
		total:     "|100000,70000,0,25000,0|195000|4",
		forecast:  []string{"2026-06-29|30000|1", "2026-07-06|100000|1", "2026-07-20|70000|1"},
	}
	check := func(stage string) {
		t.Helper()
		for _, few := range []int{2000, 0} { // the cells of a list of customers, and every cell tested
			restore := database.SetReachFew(few)
			require.Equal(t, wantManager, read(manager), "%s (few=%d): the manager's figures", stage, few)
			require.Equal(t, wantCollector, read(collector), "%s (few=%d): the collector's figures", stage, few)
			restore()
		}
	}
	check("before any fold")
	require.NoError(t, db.CollectionSummariesRefresh(ctx, asOf))
	check("folded")

	// Out of their reach: ckrep2's new invoice on CK3, a new instalment of
	// CK-D3 and a payment on CK3's item. Their figures do not move; ckrep2
	// and finance see the new item (it is there).
	rep2 := database.ViewerOf(identity.User{ID: "ckrep2", Team: "ck-west", Roles: []identity.Role{identity.RoleSales}})
	rep2Before, _ := ageing(rep2, "customer")
	_, err = db.InvoicesUpsert(ctx, []database.ERPInvoice{inv("CK-3B", "CK3", 990000, "2026-06-25")}, nil)
	require.NoError(t, err)
	_, err = db.PaymentsUpsert(ctx, []database.ERPPayment{{Reference: "CK-P3", InvoiceNo: "CK-3A", CustomerCode: "CK3", Amount: 30000,
		Currency: "EUR", ReceivedOn: day("2026-06-28"), ERPChangedAt: time.Now()}}, nil)
	require.NoError(t, err)
	instalment("CK-D3", 2, "CK3", 880000, 0, "2026-07-01")
	check("out of reach, before a fold")
	rep2After, _ := ageing(rep2, "customer")
	require.Equal(t, []string{"CK3|0,990000,0,0,50000|1040000|2", "CK4|0,0,0,25000,0|25000|1"}, rep2After)
	require.NotEqual(t, rep2Before, rep2After)
	require.NoError(t, db.CollectionSummariesRefresh(ctx, asOf))
	check("out of reach, folded")

	// CK-D4 handed to wu: ckcol no longer collects CK4, and its items and
	// instalment leave ckcol's figures at once, fold or no fold.
	exec(`UPDATE deals SET payment_owner = 'wu' WHERE id = 'CK-D4'`)
	wantCollector = figures{
		customers: wantCollector.customers[:1],
		owners:    wantCollector.owners[:2],
		offices:   wantCollector.offices[:2],
		total:     "|100000,70000,0,0,0|170000|3",
		forecast:  wantCollector.forecast[:2],
	}
	check("handed over")
	require.NoError(t, db.CollectionSummariesRefresh(ctx, asOf))
	check("handed over, folded")

	// Paid and settled instalments and a cancelled invoice leave everyone's
	// figures.
	exec(`UPDATE collection_instalments SET paid = amount, settled_on = '2026-06-30' WHERE deal_id = 'CK-D1' AND no = 2`)
	_, err = db.InvoicesUpsert(ctx, []database.ERPInvoice{func() database.ERPInvoice {
		i := inv("CK-1B", "CK1", 40000, "2026-06-15")
		i.Cancelled = true
		return i
	}()}, nil)
	require.NoError(t, err)
	for _, w := range []*figures{&wantManager, &wantCollector} {
		w.forecast = []string{"2026-07-06|100000|1"}
		w.customers[0] = "CK1|100000,30000,0,0,0|130000|2"
	}
	wantManager.owners[1], wantManager.offices[1] = "ckrep1|95000,0,50000,0,0|145000|3", "ck-east|95000,0,50000,0,0|145000|3"
	wantManager.total = "|95000,30000,50000,0,0|175000|4"
	wantCollector.owners[1], wantCollector.offices[1] = "ckrep1|100000,0,0,0,0|100000|1", "ck-east|100000,0,0,0,0|100000|1"
	wantCollector.total = "|100000,30000,0,0,0|130000|2"
	check("paid and cancelled")
	require.NoError(t, db.CollectionSummariesRefresh(ctx, asOf))
	check("paid and cancelled, folded")
}
