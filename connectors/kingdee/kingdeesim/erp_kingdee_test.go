package kingdeesim_test

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
	"github.com/l2c/l2c/connectors/kingdee"
	"github.com/l2c/l2c/connectors/kingdee/kingdeesim"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func erpKingdee(t *testing.T, o kingdeesim.Options, mod ...func(*kingdee.Config)) (*kingdeesim.Sim, *kingdee.Client) {
	t.Helper()
	o.Log = quiet
	sim := kingdeesim.New(o)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	cfg := kingdee.Config{BaseURL: srv.URL + "/k3cloud/", AcctID: "L2C_DC", Username: "l2c_api", Password: "sim-secret",
		MinDiscountField: kingdeesim.DefaultMinDiscountField, CreditLimitField: kingdeesim.DefaultCreditLimitField,
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, Log: quiet}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := kingdee.New(cfg)
	require.NoError(t, err)
	return sim, c
}

func TestERPKingdeeReadsInPagesAndDeltas(t *testing.T) {
	epoch := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	now := epoch.Add(time.Hour)
	sim, c := erpKingdee(t, kingdeesim.Options{Customers: 4500, Receivables: 3000, Seed: 5, Epoch: epoch,
		Now: func() time.Time { return now }}, func(cfg *kingdee.Config) { cfg.PageSize = 1000 })
	custs, bad, pages := connectorstest.ReadAll(t, c.CustomersChanged, time.Time{})
	require.Empty(t, bad)
	require.Len(t, custs, 4500)
	require.Equal(t, 5, pages)
	seen := map[string]bool{}
	for _, cu := range custs {
		require.False(t, seen[cu.Code], "read twice: %s", cu.Code)
		seen[cu.Code] = true
		require.Equal(t, "CNY", cu.Currency)
		require.NotNil(t, cu.MinDiscountBP)
		require.NotEmpty(t, cu.ETag)
	}
	require.Contains(t, custs[0].Name, "（", "registered names keep their full-width parentheses")

	changed := sim.ChangeCustomers(30, 2)
	delta, _, _ := connectorstest.ReadAll(t, c.CustomersChanged, epoch.Add(30*time.Minute))
	got := map[string]bool{}
	for _, cu := range delta {
		got[cu.Code] = true
	}
	for _, code := range changed {
		require.True(t, got[code], code)
	}
	require.Len(t, delta, 30)

	invs, bad, _ := connectorstest.ReadAll(t, c.InvoicesChanged, time.Time{})
	require.Empty(t, bad)
	require.Len(t, invs, 3000)
	pays, bad, _ := connectorstest.ReadAll(t, c.PaymentsChanged, time.Time{})
	require.Empty(t, bad)
	require.Greater(t, len(pays), 1000)
	require.Less(t, len(pays), 2000)
	for _, p := range pays[:5] {
		require.NotEmpty(t, p.InvoiceNo)
		require.Positive(t, p.Amount)
	}
}

// A session that the server dropped is logged in again, once; wrong
// credentials are a clear, non-retryable refusal.
func TestERPKingdeeSessionsAndLogin(t *testing.T) {
	sim, c := erpKingdee(t, kingdeesim.Options{Customers: 10})
	_, err := c.Customer(context.Background(), "C0000003")
	require.NoError(t, err)
	sim.ExpireSessions()
	cu, err := c.Customer(context.Background(), "C0000004")
	require.NoError(t, err)
	require.Equal(t, "C0000004", cu.Code)

	_, bad := erpKingdee(t, kingdeesim.Options{}, func(cfg *kingdee.Config) { cfg.Password = "wrong" })
	_, err = bad.CustomersChanged(context.Background(), time.Time{}, "")
	require.ErrorIs(t, err, connectors.ErrInvalid)
	require.Contains(t, err.Error(), "用户名或密码错误")

	_, err = c.Customer(context.Background(), "NOPE")
	require.ErrorIs(t, err, connectors.ErrNotFound)
}

// Creates are repeatable (a retry finds the first), terms change only
// against the version they were approved on, and nothing changes otherwise.
func TestERPKingdeeWritesAreIdempotentAndGuarded(t *testing.T) {
	ctx := context.Background()
	sim, c := erpKingdee(t, kingdeesim.Options{Customers: 10})
	idem := connectors.Idempotency{Key: "approval/NC-7", FirstSent: time.Now()}
	nc := connectors.NewCustomer{Name: "瑞丰贸易（上海）有限公司", City: "上海", Currency: "CNY"}
	a, err := c.CreateCustomer(ctx, idem, nc)
	require.NoError(t, err)
	b, err := c.CreateCustomer(ctx, idem, nc)
	require.NoError(t, err)
	require.Equal(t, a.Code, b.Code)
	require.Equal(t, "瑞丰贸易（上海）有限公司", a.Name)

	cur, err := c.Customer(ctx, "C0000005")
	require.NoError(t, err)
	sim.ChangeCustomers(1, 5) // someone edits it in Kingdee after approval
	nt := "SKTJ03_SYS"
	bp := int64(7000)
	_, err = c.UpdateCustomerTerms(ctx, "C0000005", cur.ETag, connectors.Terms{PaymentTerms: &nt, MinDiscountBP: &bp})
	require.ErrorIs(t, err, connectors.ErrConflict)
	after, err := c.Customer(ctx, "C0000005")
	require.NoError(t, err)
	require.Equal(t, cur.PaymentTerms, after.PaymentTerms, "a stale version writes nothing")
	up, err := c.UpdateCustomerTerms(ctx, "C0000005", after.ETag, connectors.Terms{PaymentTerms: &nt, MinDiscountBP: &bp})
	require.NoError(t, err)
	require.Equal(t, nt, up.PaymentTerms)
	require.Equal(t, int64(7000), *up.MinDiscountBP)
	require.NotEqual(t, after.ETag, up.ETag)

	o := connectors.NewSalesOrder{Customer: "C0000002", CustomerRef: "HT-2026-9", Items: []connectors.OrderItem{
		{Material: "SP-100", Quantity: 2, NetPrice: 500000}}}
	so1, err := c.CreateSalesOrder(ctx, connectors.Idempotency{Key: "deal/D-1/order"}, o)
	require.NoError(t, err)
	so2, err := c.CreateSalesOrder(ctx, connectors.Idempotency{Key: "deal/D-1/order"}, o)
	require.NoError(t, err)
	require.Equal(t, so1.Number, so2.Number)
	require.Equal(t, int64(1000000), so1.NetValue)
	ships, err := c.Shipments(ctx, so1.Number)
	require.NoError(t, err)
	require.Empty(t, ships)
	_, err = sim.Ship(so1.Number, true)
	require.NoError(t, err)
	ships, err = c.Shipments(ctx, so1.Number)
	require.NoError(t, err)
	require.Len(t, ships, 1)
	require.True(t, ships[0].Final)

	_, err = c.CreateSalesOrder(ctx, connectors.Idempotency{Key: "x"}, connectors.NewSalesOrder{Customer: "NOPE",
		CustomerRef: "R", Items: []connectors.OrderItem{{Material: "M", Quantity: 1}}})
	require.True(t, errors.Is(err, connectors.ErrInvalid), "%v", err)
}

func TestERPKingdeeOutagesAreRetriedThenReported(t *testing.T) {
	sim, c := erpKingdee(t, kingdeesim.Options{Customers: 100, Faults: kingdeesim.Faults{ErrorRate: 0.3}, Seed: 3},
		func(cfg *kingdee.Config) { cfg.PageSize = 10 })
	custs, _, _ := connectorstest.ReadAll(t, c.CustomersChanged, time.Time{})
	require.Len(t, custs, 100)
	require.Positive(t, sim.Injected())
	sim.SetFaults(kingdeesim.Faults{ErrorRate: 1})
	_, err := c.CustomersChanged(context.Background(), time.Time{}, "")
	require.ErrorIs(t, err, connectors.ErrUnavailable)
	require.Contains(t, err.Error(), "HTTP 503")
}
