package erpsim_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/connectors/connectorstest"
	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/sap"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// start runs a simulator on a loopback port and returns it with a connector
// pointed at it.
func start(t *testing.T, o erpsim.Options) (*erpsim.Sim, *sap.Client) {
	t.Helper()
	sim, c, _ := erpStart(t, o)
	return sim, c
}

func TestCustomersFullAndDelta(t *testing.T) {
	epoch := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	now := epoch.Add(time.Hour)
	sim, c := start(t, erpsim.Options{Customers: 2500, Seed: 7, Epoch: epoch, Now: func() time.Time { return now }})

	rows, bad, pages := connectorstest.ReadAll(t, c.CustomersChanged, time.Time{})
	require.Empty(t, bad)
	require.Len(t, rows, 2503)
	require.Equal(t, 3, pages) // 1,000 a page, server-driven
	seen := map[string]bool{}
	var newest time.Time
	for _, r := range rows {
		require.False(t, seen[r.Code], "customer %s twice", r.Code)
		seen[r.Code] = true
		require.NotEmpty(t, r.Name)
		require.NotEmpty(t, r.ETag)
		require.NotNil(t, r.MinDiscountBP)
		if r.ChangedAt.After(newest) {
			newest = r.ChangedAt
		}
	}
	require.True(t, newest.Before(epoch))

	// Nothing changed since the newest stamp but the newest rows themselves.
	delta, _, _ := connectorstest.ReadAll(t, c.CustomersChanged, newest)
	require.LessOrEqual(t, len(delta), 3)

	changed := sim.ChangeCustomers(40, 3)
	delta, _, _ = connectorstest.ReadAll(t, c.CustomersChanged, epoch)
	require.Len(t, delta, 40)
	for _, r := range delta {
		require.Contains(t, changed, r.Code)
		require.Equal(t, now, r.ChangedAt)
	}
}

func TestMalformedRowsAreRejectedAndTheRestRead(t *testing.T) {
	_, c := start(t, erpsim.Options{Customers: 1000, Invoices: 1000, Seed: 3,
		Faults: erpsim.Faults{MalformedRate: 0.05}})
	rows, bad, _ := connectorstest.ReadAll(t, c.CustomersChanged, time.Time{})
	require.NotEmpty(t, bad)
	require.Equal(t, 1003, len(rows)+len(bad))
	for _, b := range bad {
		require.NotEmpty(t, b.Key)
		require.NotEmpty(t, b.Reason)
	}
	inv, badInv, _ := connectorstest.ReadAll(t, c.InvoicesChanged, time.Time{})
	require.NotEmpty(t, badInv)
	require.Equal(t, 1000, len(inv)+len(badInv))
}

func TestTermsUpdateWithETag(t *testing.T) {
	ctx := context.Background()
	sim, c := start(t, erpsim.Options{Customers: 10})
	cust, err := c.Customer(ctx, "C1001")
	require.NoError(t, err)
	nt60, bp := "NT60", int64(8000)
	got, err := c.UpdateCustomerTerms(ctx, "C1001", cust.ETag, connectors.Terms{PaymentTerms: &nt60, MinDiscountBP: &bp})
	require.NoError(t, err)
	require.Equal(t, "NT60", got.PaymentTerms)
	require.Equal(t, int64(8000), *got.MinDiscountBP)
	require.NotEqual(t, cust.ETag, got.ETag)

	// The old ETag is stale now: a clear conflict, nothing written.
	nt90 := "NT90"
	_, err = c.UpdateCustomerTerms(ctx, "C1001", cust.ETag, connectors.Terms{PaymentTerms: &nt90})
	require.ErrorIs(t, err, connectors.ErrConflict)
	again, err := c.Customer(ctx, "C1001")
	require.NoError(t, err)
	require.Equal(t, "NT60", again.PaymentTerms)

	// Someone else edits a generated customer between read and write.
	g, err := c.Customer(ctx, "10000004")
	require.NoError(t, err)
	require.True(t, sim.TouchCustomer("10000004"))
	_, err = c.UpdateCustomerTerms(ctx, "10000004", g.ETag, connectors.Terms{PaymentTerms: &nt90})
	require.ErrorIs(t, err, connectors.ErrConflict)
}

func TestCreatesAreRepeatable(t *testing.T) {
	ctx := context.Background()
	sim, c := start(t, erpsim.Options{})
	idem := connectors.Idempotency{Key: "cust-req-17", FirstSent: time.Now()}
	nc := connectors.NewCustomer{Name: "Hangzhou Valve Works 杭州阀门", City: "Hangzhou", Phone: "0571-1234", Currency: "CNY", PaymentTerms: "NT30"}
	a, err := c.CreateCustomer(ctx, idem, nc)
	require.NoError(t, err)
	b, err := c.CreateCustomer(ctx, idem, nc)
	require.NoError(t, err)
	require.Equal(t, a.Code, b.Code)
	byKey, err := c.CustomerByKey(ctx, "cust-req-17")
	require.NoError(t, err)
	require.Equal(t, a.Code, byKey.Code)
	_, err = c.CustomerByKey(ctx, "never-sent")
	require.ErrorIs(t, err, connectors.ErrNotFound)

	oidem := connectors.Idempotency{Key: "deal/D-000001/order", FirstSent: time.Now()}
	o := connectors.NewSalesOrder{Customer: a.Code, CustomerRef: "HT-2026-001", Currency: "CNY",
		Items: []connectors.OrderItem{{Material: "SP-100", Quantity: 4, NetPrice: 1200000}}}
	so, err := c.CreateSalesOrder(ctx, oidem, o)
	require.NoError(t, err)
	require.Equal(t, int64(4800000), so.NetValue)
	so2, err := c.CreateSalesOrder(ctx, oidem, o)
	require.NoError(t, err)
	require.Equal(t, so.Number, so2.Number)
	found, err := c.FindSalesOrder(ctx, a.Code, "HT-2026-001")
	require.NoError(t, err)
	require.Equal(t, so.Number, found.Number)

	ships, err := c.Shipments(ctx, so.Number)
	require.NoError(t, err)
	require.Empty(t, ships)
	_, err = sim.Ship(so.Number, false)
	require.NoError(t, err)
	_, err = sim.Ship(so.Number, true)
	require.NoError(t, err)
	ships, err = c.Shipments(ctx, so.Number)
	require.NoError(t, err)
	require.Len(t, ships, 2)
	require.True(t, ships[1].Final)

	inv, err := sim.Bill(so.Number)
	require.NoError(t, err)
	invs, _, _ := connectorstest.ReadAll(t, c.InvoicesChanged, time.Now().Add(-time.Minute))
	require.Len(t, invs, 1)
	require.Equal(t, inv, invs[0].Number)
	require.Equal(t, so.Number, invs[0].SalesOrder)
	require.Equal(t, int64(4800000*113/100), invs[0].Amount)
	_, err = sim.Clear(inv)
	require.NoError(t, err)
	pays, _, _ := connectorstest.ReadAll(t, c.PaymentsChanged, time.Now().Add(-time.Minute))
	require.Len(t, pays, 1)
	require.Equal(t, inv, pays[0].InvoiceNo)
}

func TestGeneratedInvoicesAndPayments(t *testing.T) {
	epoch := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	_, c := start(t, erpsim.Options{Customers: 100, Invoices: 3000, Epoch: epoch})
	invs, bad, _ := connectorstest.ReadAll(t, c.InvoicesChanged, time.Time{})
	require.Empty(t, bad)
	require.Len(t, invs, 3000)
	pays, _, _ := connectorstest.ReadAll(t, c.PaymentsChanged, time.Time{})
	require.Greater(t, len(pays), 1500)
	require.Less(t, len(pays), 1800)
	recent, _, _ := connectorstest.ReadAll(t, c.PaymentsChanged, epoch.AddDate(0, 0, -10))
	require.NotEmpty(t, recent)
	require.Less(t, len(recent), 100)
}

func TestFaultsAreRetriedAway(t *testing.T) {
	sim, c := start(t, erpsim.Options{Customers: 3000, PageSize: 100,
		Faults: erpsim.Faults{ErrorRate: 0.2, DropRate: 0.05, SpikeRate: 0.1, Spike: 20 * time.Millisecond}})
	rows, bad, _ := connectorstest.ReadAll(t, c.CustomersChanged, time.Time{})
	require.Empty(t, bad)
	require.Len(t, rows, 3003)
	require.Greater(t, sim.Requests(), int64(31), "31 pages, and retries of the faults")
}

func TestAuth(t *testing.T) {
	sim := erpsim.New(erpsim.Options{Log: quiet})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	bad, err := sap.New(sap.Config{BaseURL: srv.URL, Username: "L2C_COMM", Password: "wrong", Log: quiet})
	require.NoError(t, err)
	_, err = bad.Customer(context.Background(), "C1001")
	require.ErrorIs(t, err, connectors.ErrInvalid)

	oauth, err := sap.New(sap.Config{BaseURL: srv.URL, TokenURL: srv.URL + "/oauth/token", ClientID: "l2c",
		ClientSecret: "sim-secret", Log: quiet})
	require.NoError(t, err)
	got, err := oauth.Customer(context.Background(), "C1002")
	require.NoError(t, err)
	require.Equal(t, "Ningbo Auto Components", got.Name)
	var ce *connectors.Error
	_, err = oauth.Customer(context.Background(), "NOPE")
	require.True(t, errors.As(err, &ce))
	require.ErrorIs(t, err, connectors.ErrNotFound)
}
