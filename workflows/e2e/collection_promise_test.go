package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/money"
)

// TestCollectionBrokenPromiseEndToEnd: the advance of 30,000.00 (due 12
// March 2026), billed in the ERP simulator as two invoices of 15,000.00,
// is late; the collector records the customer's promise to pay it all by
// Monday 16 March. Only one invoice is cleared that day: the next day's
// tick finds the promise broken and climbs at once to the manager's step
// (lateness alone would still say "due" until 19 March), telling the owner
// and the manager each on their own, not in the day's digest.
func TestCollectionBrokenPromiseEndToEnd(t *testing.T) {
	const so = "4500009002"
	s := newScenario(t, "C1002", liu, mustTime("2026-03-02 08:00"))
	s.sign(so)
	ctx := context.Background()
	got := map[string]any{}
	var first string
	s.at("2026-03-02", "08:30", step{Sync: []string{"customers"}}, nil, nil)
	s.at("2026-03-02", "11:00", step{}, func() {
		first = s.bill("C1002", so, 1500000)
		s.bill("C1002", so, 1500000)
	}, nil)
	s.at("2026-03-05", "12:00", step{Sync: []string{"invoices", "payments"}, Tick: true}, nil, nil)
	s.at("2026-03-12", "13:00", step{}, func() {
		p, err := s.db.PromiseAdd(ctx, database.Promise{DealID: s.deal.Deal.ID, No: 1, PromisedOn: day("2026-03-16"),
			Amount: 3000000, RecordedBy: "wu"})
		assert.NoError(t, err)
		got["promise"] = p.Status
	}, nil)
	s.at("2026-03-16", "12:00", step{Sync: []string{"invoices", "payments"}, Tick: true}, func() { s.clear(first) }, func() {
		_, promises, err := s.db.CollectionTrail(ctx, s.deal.Deal.ID)
		assert.NoError(t, err)
		got["2026-03-16"] = append(s.trail(), promises[0].Status)
	})
	s.at("2026-03-17", "12:00", step{Tick: true}, nil, func() {
		events, promises, err := s.db.CollectionTrail(ctx, s.deal.Deal.ID)
		assert.NoError(t, err)
		got["2026-03-17"] = append(s.trail(), promises[0].Status)
		got["last"] = events[len(events)-1]
		got["lines"] = s.lines()
	})
	s.tickDaily("2026-03-05", "2026-03-20")
	s.run()

	require.Equal(t, "open", got["promise"])
	// The promised day itself is still in time.
	require.Equal(t, []string{"2026-03-09 1 reminder [wu]", "2026-03-12 1 due [wu]", "open"}, got["2026-03-16"])
	require.Equal(t, []string{"2026-03-09 1 reminder [wu]", "2026-03-12 1 due [wu]", "2026-03-17 1 manager [wu li]", "broken"},
		got["2026-03-17"])
	last := got["last"].(database.DunningEvent)
	require.Equal(t, "promise to pay by 2026-03-16 broken", last.Why)
	require.Equal(t, money.Amount(1500000), last.Outstanding, "half paid")
	require.Equal(t, "1 advance due 2026-03-12 paid 15000.00 credited 0.00 open 15000.00 settled - step \"manager\" next \"finance\" on 2026-04-14",
		got["lines"].([]string)[0])
	for _, who := range []string{"wu", "li"} {
		n, err := s.db.NotificationByKey(ctx, "dunning/"+s.deal.Deal.ID+"/1/manager/"+who)
		require.NoError(t, err, who)
		require.Equal(t, "Collection manager: "+s.deal.Deal.ID+" instalment 1", n.Subject)
		require.Contains(t, n.Body, "a promise to pay was broken")
		digests, err := s.db.DunningDigestsOf(ctx, who, time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		for _, d := range digests {
			require.NotContains(t, d.Body, "- manager:", "%s: not in the day's digest", who)
		}
	}
	// The manager's step is not taken again when lateness reaches it.
	require.Equal(t, got["2026-03-17"].([]string)[:3], s.trail())
}
