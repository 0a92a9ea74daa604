package database_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/testenv"
)

// TestCollectionViewsKnownData: the ageing narrowed to a customer, an owner
// and an office, the open items behind it, and the dunning queue paged, on
// the known data set; a rep sees none of it for another rep's customers.
func TestCollectionViewsKnownData(t *testing.T) {
	ctx := context.Background()
	db := collectionSetup(t)
	testenv.AgeingKnownData(t, db)
	asOf := collDay("2026-06-30")
	type line = map[collection.Bucket]money.Amount
	fin := database.ViewerOf(collFin)

	a, err := db.ReceivablesAgeingOf(ctx, fin, "customer", asOf, database.ReceivableFilter{Customer: "AG1"}, "", 100)
	require.NoError(t, err)
	require.Len(t, a.Rows, 1)
	require.Equal(t, line{"current": 90000, "1_30": 30000, "31_60": 0, "61_90": 0, "90_plus": 0}, a.Rows[0].Buckets)
	require.Equal(t, money.Amount(120000), a.Totals[0].Total)
	a, err = db.ReceivablesAgeingOf(ctx, fin, "customer", asOf, database.ReceivableFilter{Owner: "agerep"}, "", 1)
	require.NoError(t, err)
	require.Equal(t, "AG1", a.Next)
	require.Equal(t, money.Amount(390000), a.Totals[0].Total, "the totals are the filter's, not the page's")
	a, err = db.ReceivablesAgeingOf(ctx, fin, "office", asOf, database.ReceivableFilter{Office: "north"}, "", 100)
	require.NoError(t, err)
	require.Len(t, a.Rows, 1)
	require.Equal(t, line{"current": 90000, "1_30": 30000, "31_60": 200000, "61_90": 0, "90_plus": 70000}, a.Rows[0].Buckets)

	// From the summary the tick rebuilds, the same figures.
	require.NoError(t, db.CollectionSummariesRefresh(ctx, asOf))
	a, err = db.ReceivablesAgeingOf(ctx, fin, "owner", asOf, database.ReceivableFilter{Office: "north"}, "", 100)
	require.NoError(t, err)
	require.NotNil(t, a.RefreshedAt)
	require.Len(t, a.Rows, 1)
	require.Equal(t, "agerep", a.Rows[0].Key)
	require.Equal(t, line{"current": 90000, "1_30": 30000, "31_60": 200000, "61_90": 0, "90_plus": 70000}, a.Rows[0].Buckets)
	require.Equal(t, money.Amount(390000), a.Totals[0].Total)

	var items []string
	var open money.Amount
	require.NoError(t, db.ReceivableOpenItems(ctx, database.ViewerOf(identity.User{ID: "agerep", Roles: []identity.Role{identity.RoleSales}}),
		database.ReceivableFilter{}, func(it database.OpenItem) error {
			items, open = append(items, it.Number), open+it.Open
			return nil
		}))
	require.Equal(t, []string{"AG-A2", "AG-A4", "AG-A1", "AG-B2", "AG-B1"}, items, "by customer, then due day")
	require.Equal(t, money.Amount(390000), open)

	// Another rep sees nothing of agerep's, in any form.
	other := database.ViewerOf(collRep)
	a, err = db.ReceivablesAgeingOf(ctx, other, "customer", asOf, database.ReceivableFilter{Customer: "AG1"}, "", 100)
	require.NoError(t, err)
	require.Empty(t, a.Rows)
	require.NoError(t, db.ReceivableOpenItems(ctx, other, database.ReceivableFilter{Owner: "agerep"}, func(it database.OpenItem) error {
		t.Fatalf("wang sees %s", it.Number)
		return nil
	}))

	// Two signed deals: their advances (30,000.00, due 12 March) are in the
	// queue from the due day, a page at a time; wu collects both.
	// qrep sells them (the package's other tests sell to AG1 too).
	qrep := identity.User{ID: "qrep", Name: "Q Rep", Team: "south", Roles: []identity.Role{identity.RoleSales}}
	require.NoError(t, db.UserUpsert(ctx, qrep, "", ""))
	c1 := signedDealOf(t, db, "AG1", qrep)
	c2 := signedDealOf(t, db, "AG2", qrep)
	mineOnly := database.ViewerOf(qrep)
	q, next, err := db.DunningQueue(ctx, fin, database.ReceivableFilter{Customer: "AG1"}, collDay("2026-03-11"), "", 10)
	require.NoError(t, err)
	require.Empty(t, q, "not due yet")
	require.Empty(t, next)
	f := database.ReceivableFilter{Owner: "wu"}
	q, next, err = db.DunningQueue(ctx, mineOnly, f, collDay("2026-03-20"), "", 1)
	require.NoError(t, err)
	require.Len(t, q, 1)
	require.Equal(t, c1.d.ID, q[0].DealID)
	require.Equal(t, 8, q[0].DaysOverdue)
	require.Equal(t, money.Amount(3000000), q[0].Open)
	q, next, err = db.DunningQueue(ctx, mineOnly, f, collDay("2026-03-20"), next, 1)
	require.NoError(t, err)
	require.Equal(t, c2.d.ID, q[0].DealID)
	q, _, err = db.DunningQueue(ctx, mineOnly, f, collDay("2026-03-20"), next, 1)
	require.NoError(t, err)
	require.Empty(t, q)
	_, _, err = db.DunningQueue(ctx, fin, f, collDay("2026-03-20"), "garbage", 1)
	var ce *database.CursorError
	require.ErrorAs(t, err, &ce)
	q, _, err = db.DunningQueue(ctx, database.ViewerOf(identity.User{ID: "agerep", Roles: []identity.Role{identity.RoleSales}}), database.ReceivableFilter{Customer: "AG2"}, collDay("2026-03-20"), "", 10)
	require.NoError(t, err)
	require.Empty(t, q, "agerep does not see qrep's deals")

	mine, err := db.OpenInstalmentsOf(ctx, "wu", collDay("2026-03-20"), 100)
	require.NoError(t, err)
	var ofThese []database.OpenInstalment
	for _, o := range mine {
		if o.DealID == c1.d.ID {
			ofThese = append(ofThese, o)
		}
	}
	require.Len(t, ofThese, 3, "the advance, then the two not yet due")
	require.Equal(t, 1, ofThese[0].No)
	require.Nil(t, ofThese[1].DueOn)

	// Deliveries due and big deals, through the same predicate.
	c1.act("2026-03-05", qrep, deal.Action{Name: deal.ActPlaceOrder, Kind: deal.OrderStock, DeliveryDue: collDay("2026-03-10")})
	dl, err := db.DeliveriesReport(ctx, fin, database.ReceivableFilter{Office: "south"}, collDay("2026-03-12"), collDay("2026-03-26"), 100)
	require.NoError(t, err)
	require.Len(t, dl, 1)
	require.True(t, dl[0].Late)
	require.Equal(t, 2, dl[0].DaysLate)
	dl, err = db.DeliveriesReport(ctx, other, database.ReceivableFilter{}, collDay("2026-03-12"), collDay("2026-03-26"), 100)
	require.NoError(t, err)
	require.Empty(t, dl)
}
