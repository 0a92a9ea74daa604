package e2e_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/workflows"
)

// TestCollectionSignedPlanChangeEndToEnd: on Friday 6 March 2026 the rep
// asks to change the signed 30/60/10 plan to 40/50/10 (the customer's board
// agreed a bigger advance). The change is a plan_change approval case
// (PlanChangeWorkflow and its ApprovalWorkflow child): the requester cannot
// decide it and his try changes nothing; finance approves it on Monday 9
// March and the instalments follow, the advance still due ten days after
// signing. The ERP simulator's 30,000.00 invoice cleared on 12 March then
// leaves 10,000.00 of the bigger advance open, and that day's tick takes
// the due step on it.
func TestCollectionSignedPlanChangeEndToEnd(t *testing.T) {
	const so = "4500009003"
	s := newScenario(t, "C1003", zhao, mustTime("2026-03-02 08:00"))
	s.sign(so)
	ctx := context.Background()
	got := map[string]any{}
	plan405010 := plan306010
	plan405010.Instalments = append([]collection.Instalment(nil), plan306010.Instalments...)
	plan405010.Instalments[0].PercentBP, plan405010.Instalments[1].PercentBP = 4000, 5000
	var caseID string
	var inv string
	s.at("2026-03-02", "08:30", step{Sync: []string{"customers"}}, nil, nil)
	s.at("2026-03-02", "11:00", step{}, func() { inv = s.bill("C1003", so, 3000000) }, nil)
	s.at("2026-03-05", "12:00", step{Sync: []string{"invoices", "payments"}, Tick: true}, nil, nil)
	s.at("2026-03-06", "15:00", step{change: func() workflows.PlanChangeInput {
		p := s.plan()
		c, err := s.db.PlanChangeCreate(ctx, database.PlanChange{DealID: s.deal.Deal.ID, RequestedBy: zhao.ID,
			Reason: "the customer's board approved the bigger advance", After: plan405010, RequestedAt: s.clock().UTC()},
			func(n int64) string { return workflows.PlanChangeCaseID(s.deal.Deal.ID, n) })
		assert.NoError(t, err)
		caseID = c.CaseID
		return workflows.PlanChangeInput{ID: c.ID, DealID: s.deal.Deal.ID, Title: "Spindles for C1003",
			Requester: zhao, Reason: c.Reason, Currency: "CNY", Contract: p.ContractAmount,
			Before: c.Before, After: c.After, RequestedAt: c.RequestedAt, Sellers: []string{zhao.ID}}
	}}, nil, nil)
	s.at("2026-03-07", "12:00", step{Tick: true}, nil, func() { got["before"] = s.lines() })
	s.at("2026-03-09", "12:00", step{Tick: true}, nil, func() {
		got["after"] = s.lines()
		ch, err := s.db.PlanChangeList(ctx, s.deal.Deal.ID)
		assert.NoError(t, err)
		got["changes"] = ch
		got["version"] = s.plan().Version
	})
	s.at("2026-03-12", "12:00", step{Sync: []string{"invoices", "payments"}, Tick: true}, func() { s.clear(inv) },
		func() { got["paid"] = append(s.lines()[:1], s.trail()...) })
	s.tickDaily("2026-03-05", "2026-03-13")
	// The requester's own try, on the Saturday; finance's on Monday morning.
	s.decide("by the requester", "2026-03-07", "10:00", workflows.PlanChangeCaseID(s.deal.Deal.ID, 1),
		workflows.DecideInput{Actor: zhao, Approve: true})
	s.decide("by finance", "2026-03-09", "10:00", workflows.PlanChangeCaseID(s.deal.Deal.ID, 1),
		workflows.DecideInput{Actor: fin, Approve: true, Note: "ok"})
	refused := s.run("by the requester")

	require.Equal(t, workflows.PlanChangeCaseID(s.deal.Deal.ID, 1), caseID)
	require.ErrorContains(t, refused["by the requester"], "zhao requested this review and cannot decide it")
	// Refused, nothing changed: the plan as signed on the Saturday, its
	// reminder not yet taken (a day off takes no step; Monday's tick does).
	require.Equal(t, []string{
		"1 advance due 2026-03-12 paid 0.00 credited 0.00 open 30000.00 settled - step \"\" next \"reminder\" on 2026-03-09",
		"2 delivery due - paid 0.00 credited 0.00 open 60000.00 settled - step \"\" next \"\" on -",
		"3 retention due - paid 0.00 credited 0.00 open 10000.00 settled - step \"\" next \"\" on -"}, got["before"])
	require.Equal(t, []string{
		"1 advance due 2026-03-12 paid 0.00 credited 0.00 open 40000.00 settled - step \"reminder\" next \"due\" on 2026-03-12",
		"2 delivery due - paid 0.00 credited 0.00 open 50000.00 settled - step \"\" next \"\" on -",
		"3 retention due - paid 0.00 credited 0.00 open 10000.00 settled - step \"\" next \"\" on -"}, got["after"])
	ch := got["changes"].([]database.PlanChange)
	require.Len(t, ch, 1)
	require.Equal(t, "approved", ch[0].Status)
	require.Equal(t, "approved by sun", ch[0].Detail)
	require.Equal(t, mustTime("2026-03-09 10:00"), ch[0].DecidedAt.In(shanghai))
	require.Equal(t, 2, got["version"])
	require.Equal(t, []string{
		"1 advance due 2026-03-12 paid 30000.00 credited 0.00 open 10000.00 settled - step \"due\" next \"manager\" on 2026-03-19",
		"2026-03-09 1 reminder [wu]", "2026-03-12 1 due [wu]"}, got["paid"])
}
