package activities_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/connectors/kingdee/kingdeesim"
	"github.com/l2c/l2c/internal/testenv"
)

// TestWatchShipmentsKingdee: the deal's order and delivery through the
// Kingdee connector, as the deal workflow asks for them over SAP's: the
// order created once through a retry (found by its reference) and read back
// by its number (how a person's link is checked), the day the
// ERP plans confirmed and later moved, a partial and a final outbound
// delivery (销售出库单) read, each once, the final one marked final.
func TestWatchShipmentsKingdee(t *testing.T) {
	ctx := context.Background()
	ksim := kingdeesim.New(kingdeesim.Options{Log: testenv.Quiet})
	srv := httptest.NewServer(ksim.Handler())
	t.Cleanup(srv.Close)
	erp := &activities.ERP{Conn: erpKingdeeConn(t, srv.URL, 0), DB: testenv.OpenDB(t), Log: testenv.Quiet}
	c, err := erp.CreateERPCustomer(ctx, activities.CreateERPCustomerInput{Key: "approval/NC-KW", FirstSent: time.Now(),
		Name: "金蝶发货测试有限公司", City: "Shenzhen"})
	require.NoError(t, err)
	due := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	in := activities.CreateSalesOrderInput{Key: "order/D-KW", FirstSent: time.Now(), Customer: c.Code, CustomerRef: "D-KW",
		RequestedDelivery: due, Items: []activities.SalesOrderItem{{Material: "SP-1", Quantity: 2, NetPrice: 150000}, {Material: "SP-2", Quantity: 1}}}
	o, err := erp.CreateSalesOrder(ctx, in)
	require.NoError(t, err)
	again, err := erp.CreateSalesOrder(ctx, in)
	require.NoError(t, err)
	require.Equal(t, o.Number, again.Number, "a retry finds the order the first attempt made")
	// A person linking the order by its number: read back, with its customer.
	read, err := erp.Conn.(connectors.OrderReader).ReadSalesOrder(ctx, o.Number)
	require.NoError(t, err)
	require.Equal(t, c.Code, read.Customer)
	require.Equal(t, "D-KW", read.CustomerRef)
	_, err = erp.Conn.(connectors.OrderReader).ReadSalesOrder(ctx, "XSDD999999")
	require.ErrorIs(t, err, connectors.ErrNotFound)

	// The planned day of each line is the one asked for: confirmed.
	watch := activities.WatchShipmentsInput{SalesOrder: o.Number, Poll: 20 * time.Millisecond, Wait: 5 * time.Second}
	res, err := erp.WatchShipments(ctx, watch)
	require.NoError(t, err)
	require.Equal(t, []time.Time{due, due}, res.Confirmed)
	require.Empty(t, res.Shipments)

	// Running late: the planner moves it three days out.
	watch.Confirmed = res.Confirmed
	late := due.AddDate(0, 0, 3)
	require.NoError(t, ksim.Confirm(o.Number, late))
	res, err = erp.WatchShipments(ctx, watch)
	require.NoError(t, err)
	require.Equal(t, []time.Time{late, late}, res.Confirmed)
	watch.Confirmed = res.Confirmed

	// A partial delivery, then the rest: each read once, the last final.
	first, err := ksim.Ship(o.Number, false)
	require.NoError(t, err)
	res, err = erp.WatchShipments(ctx, watch)
	require.NoError(t, err)
	require.Nil(t, res.Confirmed, "the planned days did not move")
	require.Len(t, res.Shipments, 1)
	require.Equal(t, first, res.Shipments[0].Number)
	require.False(t, res.Shipments[0].Final)
	watch.Known = append(watch.Known, first)
	go func() { time.Sleep(100 * time.Millisecond); _, _ = ksim.Ship(o.Number, true) }()
	res, err = erp.WatchShipments(ctx, watch)
	require.NoError(t, err)
	require.Len(t, res.Shipments, 1, "only the delivery the deal does not have")
	require.NotEqual(t, first, res.Shipments[0].Number)
	require.True(t, res.Shipments[0].Final)
	require.False(t, res.Failing)
}
