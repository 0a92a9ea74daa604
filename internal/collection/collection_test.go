package collection

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/refusal"
	"github.com/l2c/l2c/internal/testenv/must"
)

// day and amt read the days and amounts the tests write.
var day, amt = must.Date, must.Amount

// plan306010 is the source cases' plan: 30% at signing, 60% on final
// delivery, 10% retention a year after acceptance.
func plan306010() Plan {
	return Plan{InterestBP: 500, Instalments: []Instalment{
		{Label: "advance", PercentBP: 3000, Trigger: TriggerSigning, Due: DueRule{Kind: DueCalendarDays, Days: 10}},
		{Label: "delivery", PercentBP: 6000, Trigger: TriggerFinalDelivery, Due: DueRule{Kind: DueWorkingDays, Days: 5}},
		{Label: "retention", PercentBP: 1000, Trigger: TriggerWarrantyEnd, WarrantyMonths: 12, Due: DueRule{Kind: DueCalendarDays}},
	}}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var r *refusal.Error
	require.True(t, errors.As(err, &r), "want a refusal, got %v", err)
	out := map[string]string{}
	for _, f := range r.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func TestCollPlanTotalsTheContract(t *testing.T) {
	p := plan306010()
	require.NoError(t, p.Validate(*amt("100000.01")))
	got := p.Amounts(*amt("100000.01"))
	require.Equal(t, []money.Amount{3000000, 6000001, 1000000}, got, "shares rounded, the last share takes the rest")

	mixed := Plan{Instalments: []Instalment{
		{Amount: amt("20000.00"), Trigger: TriggerSigning, Due: DueRule{Kind: DueCalendarDays}},
		{PercentBP: 8000, Trigger: TriggerAcceptance, Due: DueRule{Kind: DueEndOfMonth, Days: 30}},
	}}
	require.NoError(t, mixed.Validate(*amt("100000.00")))
	require.Equal(t, []money.Amount{2000000, 8000000}, mixed.Amounts(*amt("100000.00")))

	short := plan306010()
	short.Instalments[2].PercentBP = 500
	f := fieldsOf(t, short.Validate(*amt("100000.00")))
	require.Contains(t, f["instalments[2]"], "95.00% and 0.00 fixed")
	require.Contains(t, f["instalments[2]"], "the contract is 100000.00")

	over := mixed
	over.Instalments = append([]Instalment{}, mixed.Instalments...)
	over.Instalments[0].Amount = amt("20000.01")
	require.Contains(t, fieldsOf(t, over.Validate(*amt("100000.00"))), "instalments[1]")
}

func TestCollPlanShapeNamesEachField(t *testing.T) {
	bad := Plan{InterestBP: -1, Instalments: []Instalment{
		{PercentBP: 3000, Amount: amt("1.00"), Trigger: "payday", Due: DueRule{Kind: "someday", Days: -1}},
		{Trigger: TriggerWarrantyEnd, Due: DueRule{Kind: DueCalendarDays}},
		{PercentBP: 100, Trigger: TriggerSigning, WarrantyMonths: 3, Due: DueRule{Kind: DueCalendarDays}},
	}}
	f := fieldsOf(t, bad.Validate(100))
	for _, want := range []string{"interest_bp", "instalments[0].amount", "instalments[0].trigger", "instalments[0].due.kind",
		"instalments[0].due.days", "instalments[1].percent_bp", "instalments[1].warranty_months", "instalments[2].warranty_months"} {
		require.Contains(t, f, want)
	}
	require.Contains(t, fieldsOf(t, Plan{}.Validate(100)), "instalments")
	require.Contains(t, fieldsOf(t, plan306010().Validate(0)), "contract")
}

func TestCollDueDatesFollowTheirTrigger(t *testing.T) {
	cal := calendar.China()
	p := plan306010()
	events := map[Trigger]Date{TriggerSigning: day("2026-01-05")}
	on, ok := p.Instalments[0].TriggerOn(events)
	require.True(t, ok)
	require.Equal(t, day("2026-01-15"), p.Instalments[0].Due.DueOn(on, cal))
	_, ok = p.Instalments[1].TriggerOn(events)
	require.False(t, ok, "no final delivery yet: no due date guessed")
	_, ok = p.Instalments[2].TriggerOn(events)
	require.False(t, ok)

	// Final delivery on Friday 30 January 2026: five working days skip the
	// weekend; from 13 February they count the make-up Saturday 14th, skip
	// the Spring Festival holiday (15–23) and end on the 27th.
	events[TriggerFinalDelivery] = day("2026-01-30")
	on, _ = p.Instalments[1].TriggerOn(events)
	require.Equal(t, day("2026-02-06"), p.Instalments[1].Due.DueOn(on, cal))
	require.Equal(t, day("2026-02-27"), DueRule{Kind: DueWorkingDays, Days: 5}.DueOn(day("2026-02-13"), cal))

	events[TriggerAcceptance] = day("2026-02-28")
	on, _ = p.Instalments[2].TriggerOn(events)
	require.Equal(t, day("2027-02-28"), on, "retention falls due 12 months after acceptance")

	require.Equal(t, day("2026-03-30"), DueRule{Kind: DueEndOfMonth, Days: 30}.DueOn(day("2026-02-10"), cal))
	require.Equal(t, day("2026-02-28"), AddMonths(day("2026-01-31"), 1))
	require.Equal(t, day("2028-02-29"), AddMonths(day("2027-02-28"), 12).AddDays(1))
	require.Equal(t, day("2026-12-31"), EndOfMonth(day("2026-12-05")))
}

func TestCollLadderClimbs(t *testing.T) {
	l := DefaultLadder
	require.NoError(t, l.Check())
	for _, c := range []struct {
		lateness      int
		broken        bool
		reached, next int
	}{
		{-10, false, -1, 0}, {-3, false, 0, 1}, {-1, false, 0, 1}, {0, false, 1, 2}, {4, false, 1, 2},
		{5, false, 2, 3}, {22, false, 3, 4}, {44, false, 4, 5}, {300, false, 4, 5},
		// A broken promise climbs at once: to the manager from anywhere up to
		// due, one above lateness after.
		{-5, true, 2, 3}, {1, true, 2, 3}, {6, true, 3, 4}, {50, true, 4, 5},
	} {
		d := l.Decide(c.lateness, c.broken)
		require.Equal(t, c.reached, d.Reached, "lateness %d broken %v", c.lateness, c.broken)
		require.Equal(t, c.next, d.Next, "lateness %d broken %v", c.lateness, c.broken)
	}
	bad := Ladder{ValueClass: "Z", Steps: []Step{{Name: "a", Offset: 3, To: []Audience{"boss"}}, {Name: "a", Offset: 3}}}
	f := fieldsOf(t, bad.Check())
	for _, want := range []string{"value_class", "steps[0].to[0]", "steps[1].name", "steps[1].offset_working_days", "steps[1].to"} {
		require.Contains(t, f, want)
	}
}

func TestCollInterestSurvivesPartialPayments(t *testing.T) {
	// 10,000.00 due 1 March at 7.3% a year: 2.00 a day on the whole amount.
	due := day("2026-03-01")
	require.Equal(t, money.Amount(0), Interest(1000000, due, nil, due, 730))
	require.Equal(t, money.Amount(2000), Interest(1000000, due, nil, day("2026-03-11"), 730))
	// Half paid on 11 March: ten days on 10,000, then 1.00 a day on 5,000.
	half := []Applied{{On: day("2026-03-11"), Amount: 500000}}
	require.Equal(t, money.Amount(2000+1000), Interest(1000000, due, half, day("2026-03-21"), 730))
	// Paid in full on 21 March: what accrued stays, nothing more accrues.
	full := append(half, Applied{On: day("2026-03-21"), Amount: 500000})
	require.Equal(t, money.Amount(3000), Interest(1000000, due, full, day("2026-06-30"), 730))
	// Paid before due: nothing late.
	require.Equal(t, money.Amount(0), Interest(1000000, due, []Applied{{On: day("2026-02-20"), Amount: 1000000}}, day("2026-06-30"), 730))
	require.Equal(t, money.Amount(0), Interest(1000000, due, nil, day("2026-06-30"), 0))
}

func TestCollAgeingAndForecastDates(t *testing.T) {
	asOf := day("2026-06-30")
	for due, want := range map[string]Bucket{
		"2026-07-15": BucketCurrent, "2026-06-30": BucketCurrent, "2026-06-29": Bucket1to30, "2026-05-31": Bucket1to30,
		"2026-05-30": Bucket31to60, "2026-05-01": Bucket31to60, "2026-04-30": Bucket61to90, "2026-04-01": Bucket61to90,
		"2026-03-31": Bucket90Plus,
	} {
		require.Equal(t, want, BucketOf(day(due), asOf), due)
	}
	today := day("2026-06-30") // a Tuesday
	require.Equal(t, day("2026-06-29"), WeekOf(today))
	require.Equal(t, day("2026-07-06"), WeekOf(day("2026-07-12")))
	require.Equal(t, today, ExpectedOn(day("2026-06-01"), 10, today), "late and still unpaid: expected now")
	require.Equal(t, day("2026-07-20"), ExpectedOn(day("2026-07-10"), 10, today))
	require.Equal(t, day("2026-07-05"), ExpectedOn(day("2026-07-10"), -5, today))
}

func TestCollAllocateOldestDueFirst(t *testing.T) {
	owed := []Owed{
		{Amount: 300, Due: day("2026-01-15")},
		{Amount: 600, Due: day("2026-02-10")},
		{Amount: 100}, // retention, not yet due
	}
	moves := []Move{
		{Ref: "P2", On: day("2026-02-20"), Amount: 500},
		{Ref: "P1", On: day("2026-01-20"), Amount: 400}, // covers the advance and part of delivery
		{Ref: "P1", On: day("2026-01-20"), Amount: 400}, // the same payment arriving twice
		{Ref: "CN1", On: day("2026-02-21"), Amount: 50, Credit: true},
	}
	got := Allocate(owed, moves)
	require.Equal(t, Allocation{Paid: 300, Applied: []Applied{{day("2026-01-20"), 300}}, SettledOn: day("2026-01-20")}, got[0])
	require.Equal(t, Allocation{Paid: 600, Applied: []Applied{{day("2026-01-20"), 100}, {day("2026-02-20"), 500}},
		SettledOn: day("2026-02-20")}, got[1])
	// The credit note reduces what is left: the retention.
	require.Equal(t, Allocation{Credited: 50, Applied: []Applied{{day("2026-02-21"), 50}}}, got[2])
	require.Equal(t, money.Amount(50), got[2].Open(100))
}
