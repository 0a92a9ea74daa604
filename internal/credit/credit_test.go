package credit

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/money"
)

func amount(v int64) *money.Amount { a := money.Amount(v); return &a }

func TestDecide(t *testing.T) {
	p := DefaultPolicy()
	kinds := func(d Decision) []string {
		var out []string
		for _, r := range d.Reasons {
			out = append(out, r.Kind)
		}
		return out
	}
	// Within the limit, nothing overdue: passes.
	d := p.Decide(Exposure{Receivables: 100, Order: 100, Limit: amount(500)})
	require.False(t, d.Hold)
	require.Equal(t, money.Amount(200), d.Exposure.Total)
	// Over the limit; a release in force lifts it.
	d = p.Decide(Exposure{Receivables: 400, Unbilled: 100, Order: 100, Advances: 50, Limit: amount(500)})
	require.Equal(t, []string{ReasonOverLimit}, kinds(d))
	require.Equal(t, money.Amount(550), d.Exposure.Total)
	require.False(t, p.Decide(Exposure{Receivables: 400, Unbilled: 100, Order: 100, Advances: 50, Limit: amount(500), Allowance: 50}).Hold)
	// No limit recorded: not checked against one.
	require.False(t, p.Decide(Exposure{Receivables: 1e9, Order: 1}).Hold)
	// Overdue beyond the class's grace (C: 15 days), not within it (A: 60).
	require.Equal(t, []string{ReasonOverdue}, kinds(p.Decide(Exposure{Order: 1, OldestOverdueDays: 16, ValueClass: "C"})))
	require.False(t, p.Decide(Exposure{Order: 1, OldestOverdueDays: 16, ValueClass: "A"}).Hold)
	// Fully covered by advances: limit and overdue do not hold it; a block does.
	d = p.Decide(Exposure{Receivables: 100, Order: 100, Advances: 200, Limit: amount(0), OldestOverdueDays: 99})
	require.False(t, d.Hold)
	require.True(t, d.Covered)
	require.Equal(t, []string{ReasonBlocked}, kinds(p.Decide(Exposure{Order: 100, Advances: 200, Blocked: true})))
	// The dunning ladder's credit hold holds it too, whatever the limit and advances.
	d = p.Decide(Exposure{Order: 100, Advances: 200, Limit: amount(1000), DunningHoldSince: "2026-04-14"})
	require.Equal(t, []string{ReasonDunningHold}, kinds(d))
	require.Equal(t, "the dunning ladder holds the customer's new orders since 2026-04-14", d.Summary())
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy("a=90, other=10")
	require.NoError(t, err)
	require.Equal(t, 90, p.Grace("A"))
	require.Equal(t, 30, p.Grace("B"))
	require.Equal(t, 10, p.Grace(""))
	for _, bad := range []string{"A", "D=5", "A=-1", "B=x"} {
		_, err := ParsePolicy(bad)
		require.Error(t, err, bad)
	}
}
