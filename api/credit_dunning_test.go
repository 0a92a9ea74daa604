package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/testenv"
)

// An order for a customer the dunning ladder holds (collection_credit_holds,
// the row finance's step writes) is held for finance with the reason
// dunning_hold, the day shown on the case; the rep cannot release it and
// nothing changes when they try; when the tick ends the hold (nothing of
// the customer's stands at a holding step) it asks the holds to check
// again, and the order is released by itself. An unflagged customer's order, otherwise the same, goes on.
func TestCreditDunningHoldHoldsNewOrders(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testenv.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	clean := fmt.Sprintf("CR-DUNOK-%d", time.Now().UnixNano())
	s.creditCustomer(clean, nil, "B", nil, 0)
	_, placed := s.orderFor(clean)
	require.Equal(t, "delivery", placed.body["stage"], "an unflagged customer's order passes")

	code := fmt.Sprintf("CR-DUNNING-%d", time.Now().UnixNano())
	s.creditCustomer(code, nil, "B", nil, 0)
	_, err = pool.Exec(ctx, `INSERT INTO collection_credit_holds (customer_code, deal_id, no, since) VALUES ($1, 'D-OLD', 1, '2026-04-14')`, code)
	require.NoError(t, err)
	id, placed := s.orderFor(code)
	require.Equal(t, "order", placed.body["stage"], "held: the order waits in the order stage")
	var hold map[string]any
	require.Eventually(t, func() bool { hold = s.creditHold(id); return hold != nil }, 10*time.Second, 50*time.Millisecond)
	reasons := hold["reasons"].([]any)
	require.Len(t, reasons, 1)
	require.Equal(t, "dunning_hold", reasons[0].(map[string]any)["kind"])
	require.Contains(t, reasons[0].(map[string]any)["detail"], "since 2026-04-14")
	require.Equal(t, "2026-04-14", hold["exposure"].(map[string]any)["dunning_hold_since"])
	holdID, caseID := hold["id"].(string), hold["case_id"].(string)
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(holders(c)) > 0 })
	require.Equal(t, "credit_hold", c["kind"])
	require.Contains(t, c["subject"], map[string]any{"name": "dunning_hold_since", "value": "2026-04-14"})

	// The rep who placed the order cannot release it: refused, nothing changed.
	before, steps := s.dealSnapshot(id), apprSteps(c)
	entries, releases := apprCount(t, s, "audit_log"), apprCount(t, s, "credit_releases")
	release := `{"amount":"500.00","expires_on":"` + future(20) + `","reason":"the customer says it paid"}`
	require.Equal(t, 403, s.do("POST", "/api/v1/credit-holds/"+holdID+"/release", "tok-wang", release).status)
	s.decide(caseID, "wang", 403, `{"approve":true}`)
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, before, s.dealSnapshot(id))
	require.Equal(t, steps, apprSteps(s.waitCase(caseID, func(map[string]any) bool { return true })))
	require.Equal(t, "held", s.creditHold(id)["status"])
	require.Equal(t, entries, apprCount(t, s, "audit_log"))
	require.Equal(t, releases, apprCount(t, s, "credit_releases"))
	var flagged int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM collection_credit_holds WHERE customer_code = $1`, code).Scan(&flagged))
	require.Equal(t, 1, flagged, "the dunning hold itself is untouched")

	// Still flagged, a re-check keeps the order held.
	r := s.do("POST", "/api/v1/sync/payments/run", "tok-admin", "")
	require.Equal(t, 202, r.status, r.raw)
	time.Sleep(time.Second)
	require.Equal(t, "held", s.creditHold(id)["status"])

	// The tick lifts the dunning hold (none of the customer's instalments
	// stands at a holding step) and asks the credit holds to check again:
	// the order is released by itself.
	r = s.do("POST", "/api/v1/collection/dunning/run", "tok-sun", "")
	require.Equal(t, 200, r.status, r.raw)
	require.GreaterOrEqual(t, r.body["holds_cleared"], float64(1))
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM collection_credit_holds WHERE customer_code = $1`, code).Scan(&flagged))
	require.Zero(t, flagged)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "delivery" }, 30*time.Second, 100*time.Millisecond)
	hold = s.creditHold(id)
	require.Equal(t, "released", hold["status"])
	require.Equal(t, "system", hold["released_by"])
}
