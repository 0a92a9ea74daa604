package funnel_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/funnel"
	"github.com/l2c/l2c/internal/money"
)

var t0 = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

func at(days float64) time.Time { return t0.Add(time.Duration(days * 24 * float64(time.Hour))) }

// knownHistory: six deals. D1 and D6 (tendered) won, D2 lost in quote, D3 in
// opportunity, D4 waits in contract review, D5 in opportunity.
func knownHistory() []funnel.Transition {
	type step struct {
		to   deal.Stage
		days float64
	}
	var ts []funnel.Transition
	add := func(id string, steps ...step) {
		from := deal.Stage("")
		for _, s := range steps {
			ts = append(ts, funnel.Transition{DealID: id, From: from, To: s.to, At: at(s.days)})
			from = s.to
		}
	}
	add("D1", step{deal.StageOpportunity, 0}, step{deal.StageQuote, 2}, step{deal.StageContractReview, 5},
		step{deal.StageOrder, 9}, step{deal.StageDelivery, 12})
	add("D2", step{deal.StageOpportunity, 0}, step{deal.StageQuote, 4}, step{deal.StageLost, 10.5})
	add("D3", step{deal.StageOpportunity, 0}, step{deal.StageLost, 1})
	add("D4", step{deal.StageOpportunity, 0}, step{deal.StageQuote, 2}, step{deal.StageContractReview, 3})
	add("D5", step{deal.StageOpportunity, 0})
	add("D6", step{deal.StageOpportunity, 0}, step{deal.StageQuote, 1}, step{deal.StageBid, 3},
		step{deal.StageContractReview, 6}, step{deal.StageOrder, 8})
	return ts
}

func bp(v int) *int           { return &v }
func days(v float64) *float64 { return &v }

// TestFunnelOnAKnownHistory: every figure of every stage, exactly; with a
// minimum sample of 3 the stages with fewer decided deals use the ladder.
func TestFunnelOnAKnownHistory(t *testing.T) {
	rules := funnel.DefaultRules
	rules.MinSample = 3
	f := funnel.Compute(knownHistory(), rules)
	require.Equal(t, 6, f.Deals)
	require.Equal(t, []funnel.StageFigures{
		{Stage: deal.StageOpportunity, Entered: 6, MovedOn: 4, Lost: 1, Open: 1, ConversionBP: bp(8000),
			Won: 2, LostLater: 2, Sample: 4, HistoryBP: bp(5000), LadderBP: 1000, ProbabilityBP: 5000, Source: "history",
			Exits: 5, MeanDays: days(2), MedianDays: days(2)},
		{Stage: deal.StageQuote, Entered: 4, MovedOn: 3, Lost: 1, ConversionBP: bp(7500),
			Won: 2, LostLater: 1, Sample: 3, HistoryBP: bp(6667), LadderBP: 2500, ProbabilityBP: 6667, Source: "history",
			Exits: 4, MeanDays: days(3.1), MedianDays: days(2.5)},
		{Stage: deal.StageBid, Entered: 1, MovedOn: 1, ConversionBP: bp(10000),
			Won: 1, Sample: 1, HistoryBP: bp(10000), LadderBP: 4000, ProbabilityBP: 4000, Source: "ladder",
			Exits: 1, MeanDays: days(3), MedianDays: days(3)},
		{Stage: deal.StageContractReview, Entered: 3, MovedOn: 2, Open: 1, ConversionBP: bp(10000),
			Won: 2, Sample: 2, HistoryBP: bp(10000), LadderBP: 6000, ProbabilityBP: 6000, Source: "ladder",
			Exits: 2, MeanDays: days(3), MedianDays: days(3)},
	}, f.Stages)

	// The default sample (20) is above every stage's: the ladder throughout.
	f = funnel.Compute(knownHistory(), funnel.DefaultRules)
	for _, s := range f.Stages {
		require.Equal(t, "ladder", s.Source, s.Stage)
		require.Equal(t, funnel.DefaultRules.Ladder[s.Stage], s.ProbabilityBP, s.Stage)
	}
	// No history at all: the ladder, and no rates.
	f = funnel.Compute(nil, funnel.DefaultRules)
	require.Zero(t, f.Deals)
	require.Nil(t, f.Stages[0].ConversionBP)
	require.Nil(t, f.Stages[0].MeanDays)
	require.Equal(t, 1000, f.Stages[0].ProbabilityBP)
}

func TestFunnelRulesChecked(t *testing.T) {
	require.Empty(t, funnel.DefaultRules.Check())
	bad := funnel.Rules{MinSample: 0, Ladder: map[deal.Stage]int{deal.StageOpportunity: -1, deal.StageQuote: 10001,
		deal.StageBid: 100, deal.StageOrder: 9000}}
	require.Equal(t, []funnel.FieldError{
		{"min_sample", "0: want a whole number of deals from 1 to 100000"},
		{"ladder.opportunity", "-1: want basis points from 0 to 10000"},
		{"ladder.quote", "10001: want basis points from 0 to 10000"},
		{"ladder.contract_review", "is required (basis points, 10000 = 100%)"},
		{"ladder.order", "is not a funnel stage (opportunity, quote, bid, contract_review)"},
	}, bad.Check())
}

// TestWeightedPipelineByMonth: amount × the stage's probability, by the
// owner's month, else the timeframe from the opening, else none (last); a
// past month is the current one; the commit categories beside.
func TestWeightedPipelineByMonth(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, loc)
	rules := funnel.DefaultRules
	rules.MinSample = 3
	f := funnel.Compute(knownHistory(), rules) // opportunity 5000, quote 6667, bid 4000, contract review 6000
	opened := time.Date(2026, 10, 20, 0, 0, 0, 0, loc)
	ds := []funnel.OpenDeal{
		{ID: "A", Stage: deal.StageQuote, Currency: "CNY", Amount: 300000_00, ExpectedOrderMonth: "2027-01", CommitCategory: "commit", CreatedAt: opened},
		{ID: "B", Stage: deal.StageOpportunity, Currency: "CNY", Amount: 100000_00, PurchaseTimeframe: deal.Timeframe3Months, CreatedAt: opened},
		{ID: "C", Stage: deal.StageContractReview, Currency: "CNY", Amount: 50000_00, ExpectedOrderMonth: "2026-11", CommitCategory: "best_case", CreatedAt: opened},
		{ID: "D", Stage: deal.StageBid, Currency: "CNY", Amount: 20000_00, PurchaseTimeframe: deal.TimeframeNow, CreatedAt: opened},
		{ID: "E", Stage: deal.StageOpportunity, Currency: "USD", Amount: 10000_00, CreatedAt: opened},
		{ID: "F", Stage: deal.StageQuote, Currency: "CNY", Amount: 1_00, ExpectedOrderMonth: "2027-01", CommitCategory: "pipeline", CreatedAt: opened},
	}
	fc := funnel.Weigh(ds, f, now, loc)
	type row struct {
		id, month, from string
		bp              int
		weighted        money.Amount
	}
	var got []row
	for _, d := range fc.Deals {
		got = append(got, row{d.ID, d.Month, d.MonthFrom, d.ProbabilityBP, d.Weighted})
	}
	require.Equal(t, []row{
		{"C", "2026-12", "owner", 6000, 30000_00},     // November has passed
		{"D", "2026-12", "timeframe", 4000, 8000_00},  // now, opened in October: this month
		{"A", "2027-01", "owner", 6667, 200010_00},    // 300000 × 0.6667
		{"B", "2027-01", "timeframe", 5000, 50000_00}, // October + 3 months
		{"F", "2027-01", "owner", 6667, 67},           // 1.00 × 0.6667 = 0.6667 → 0.67
		{"E", "", "none", 5000, 5000_00},
	}, got)
	require.Equal(t, []funnel.MonthTotal{
		{Month: "2026-12", Currency: "CNY", Deals: 2, Amount: 70000_00, Weighted: 38000_00,
			ByCommit: map[string]money.Amount{"best_case": 50000_00, "": 20000_00}},
		{Month: "2027-01", Currency: "CNY", Deals: 3, Amount: 400001_00, Weighted: 250010_67,
			ByCommit: map[string]money.Amount{"commit": 300000_00, "": 100000_00, "pipeline": 1_00}},
		{Month: "", Currency: "USD", Deals: 1, Amount: 10000_00, Weighted: 5000_00,
			ByCommit: map[string]money.Amount{"": 10000_00}},
	}, fc.Months)
}
