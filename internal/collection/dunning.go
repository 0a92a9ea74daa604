package collection

import (
	"fmt"
	"slices"

	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/refusal"
)

// Audience is who a dunning step goes to.
type Audience string

const (
	ToOwner   Audience = "owner"   // the deal's payment owner (货款负责人)
	ToManager Audience = "manager" // the payment owner's manager
	ToFinance Audience = "finance" // everyone holding the finance role
	ToSales   Audience = "sales"   // the deal's sales owner, who knows the customer
)

// Step is one rung of a dunning ladder, taken Offset working days after the
// due date (negative: before it).
type Step struct {
	Name   string     `json:"name"`
	Offset int        `json:"offset_working_days"`
	To     []Audience `json:"to"`
	// CreditHold flags the customer: new orders are held for finance until
	// the instalments at this step are paid.
	CreditHold bool `json:"credit_hold,omitempty"`
	// Letter names the letter template sent to the customer (催款函).
	Letter string `json:"letter,omitempty"`
}

// Ladder is the dunning a company runs for one customer value class ("" is
// every class without its own).
type Ladder struct {
	ValueClass string `json:"value_class"`
	Steps      []Step `json:"steps"`
}

// DefaultLadder is what l2c runs until a company saves its own: a reminder
// to the owner three working days before due, the owner at due, the owner's
// manager after a working week, finance and a credit hold after about a
// month (22 working days), a formal letter after about two (44).
var DefaultLadder = Ladder{Steps: []Step{
	{Name: "reminder", Offset: -3, To: []Audience{ToOwner}},
	{Name: "due", Offset: 0, To: []Audience{ToOwner}},
	{Name: "manager", Offset: 5, To: []Audience{ToOwner, ToManager}},
	{Name: "finance", Offset: 22, To: []Audience{ToOwner, ToManager, ToFinance}, CreditHold: true},
	{Name: "letter", Offset: 44, To: []Audience{ToOwner, ToFinance, ToSales}, Letter: "dunning-letter"},
}}

// Check reports every problem with the ladder, naming its field.
func (l Ladder) Check() error {
	var fe refusal.Fields
	switch l.ValueClass {
	case "", "A", "B", "C":
	default:
		fe.Add("value_class", "%q is not a value class; want A, B, C or empty for the default", l.ValueClass)
	}
	if len(l.Steps) == 0 || len(l.Steps) > 12 {
		fe.Add("steps", "a ladder has 1 to 12 steps")
	}
	names := map[string]bool{}
	for i, s := range l.Steps {
		at := func(f string) string { return fmt.Sprintf("steps[%d].%s", i, f) }
		if s.Name == "" || names[s.Name] {
			fe.Add(at("name"), "each step needs a name of its own")
		}
		names[s.Name] = true
		if i > 0 && s.Offset <= l.Steps[i-1].Offset {
			fe.Add(at("offset_working_days"), "steps climb: each comes after the one before (%d)", l.Steps[i-1].Offset)
		}
		if s.Offset < -60 || s.Offset > 400 {
			fe.Add(at("offset_working_days"), "must be -60 to 400")
		}
		if len(s.To) == 0 {
			fe.Add(at("to"), "a step goes to someone: owner, manager, finance or sales")
		}
		for j, a := range s.To {
			if !slices.Contains([]Audience{ToOwner, ToManager, ToFinance, ToSales}, a) {
				fe.Add(fmt.Sprintf("steps[%d].to[%d]", i, j), "%q is not owner, manager, finance or sales", a)
			}
		}
	}
	return fe.Err()
}

// Decision is what the ladder says of one open instalment on a day.
type Decision struct {
	// Reached is the index of the highest step due by now (-1: none yet);
	// steps from Taken+1 to Reached are taken now.
	Reached int
	// Next is the index of the step after Reached (len(Steps): none left),
	// and NextAt its working-day offset from the due date.
	Next   int
	NextAt int
}

// Decide places an instalment on the ladder: lateness is today's working-day
// offset from the due date (negative before it). A broken promise to pay
// escalates at once, one step above what lateness alone reached (but at
// least to the step after due).
func (l Ladder) Decide(lateness int, brokenPromise bool) Decision {
	reached := -1
	for i, s := range l.Steps {
		if s.Offset <= lateness {
			reached = i
		}
	}
	if brokenPromise {
		due := -1
		for i, s := range l.Steps {
			if s.Offset <= 0 {
				due = i
			}
		}
		reached = min(max(reached+1, due+1), len(l.Steps)-1)
	}
	d := Decision{Reached: reached, Next: reached + 1}
	if d.Next < len(l.Steps) {
		d.NextAt = l.Steps[d.Next].Offset
	}
	return d
}

// Applied is money applied to an instalment on a day: a payment, or a
// credit note reducing what is owed.
type Applied struct {
	On     Date
	Amount money.Amount
}

// Interest is the late interest on an instalment of amount due on due, at a
// yearly rate of rateBP basis points, up to and including asOf: each day
// after the due date accrues rate/365 on what was still owed at the start
// of that day, so a partial payment lowers the base from its day on and the
// interest already accrued stays. Rounded half away from zero, once.
func Interest(amount money.Amount, due Date, applied []Applied, asOf Date, rateBP int64) money.Amount {
	if rateBP == 0 || !due.Before(asOf) {
		return 0
	}
	applied = slices.Clone(applied)
	slices.SortFunc(applied, func(a, b Applied) int { return CompareDates(a.On, b.On) })
	owed := int64(amount)
	var amountDays int64 // Σ owed × days, in minor units × days
	from := due
	for _, a := range applied {
		if !due.Before(a.On) { // paid on or before the due date: never late
			owed -= int64(a.Amount)
			continue
		}
		if asOf.Before(a.On) {
			break
		}
		// Days from the day after `from` up to the payment's day, which
		// still accrues on the amount owed at its start.
		amountDays += max(owed, 0) * int64(daysBetween(from, a.On))
		owed -= int64(a.Amount)
		from = a.On
	}
	amountDays += max(owed, 0) * int64(daysBetween(from, asOf))
	v, _ := money.Amount(amountDays).MulRatio(rateBP, 10000*365)
	return v
}

// daysBetween is the number of days from a to b (b after a: positive).
func daysBetween(a, b Date) int {
	return int(b.End(utc).Sub(a.End(utc)).Hours() / 24)
}

// CompareDates orders days: -1 when a is before b, 1 after, 0 the same.
func CompareDates(a, b Date) int {
	switch {
	case a.Before(b):
		return -1
	case b.Before(a):
		return 1
	}
	return 0
}
