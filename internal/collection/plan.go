// Package collection is cash collection after the contract (回款): the
// collection plan of a contract (instalments, each a share or an amount of
// the contract, with the event that triggers it and the rule that makes it
// due), the dunning ladder that climbs while an instalment stays unpaid,
// late interest, receivables ageing buckets and the weekly forecast.
//
// Everything here is pure: dates in, dates and amounts out, no clock, no
// database. The SQL in internal/database/collection*.go does the same
// arithmetic set-based over every open instalment; tests hold the two to
// the same answers.
package collection

import (
	"fmt"
	"slices"
	"time"

	"github.com/l2c/l2c/internal/civil"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/refusal"
)

// Date is a calendar day.
type Date = civil.Date

// Trigger is the deal's event an instalment waits for before it can fall due.
type Trigger string

const (
	TriggerSigning       Trigger = "signing"        // the contract review approved it (签约)
	TriggerOrder         Trigger = "order"          // the sales order was placed
	TriggerShipment      Trigger = "shipment"       // the first shipment left
	TriggerFinalDelivery Trigger = "final_delivery" // the final shipment left
	TriggerAcceptance    Trigger = "acceptance"     // the customer accepted the delivery (验收)
	TriggerInvoice       Trigger = "invoice"        // the first invoice was issued
	// TriggerWarrantyEnd is retention money (质保金): due when the warranty
	// ends, WarrantyMonths after acceptance.
	TriggerWarrantyEnd Trigger = "warranty_end"
)

// Triggers lists every trigger in the order a deal meets them.
var Triggers = []Trigger{TriggerSigning, TriggerOrder, TriggerShipment, TriggerFinalDelivery,
	TriggerAcceptance, TriggerInvoice, TriggerWarrantyEnd}

// DueKind says how a due date is counted from its trigger.
type DueKind string

const (
	DueCalendarDays DueKind = "calendar_days" // N days after the trigger
	DueWorkingDays  DueKind = "working_days"  // N working days after, on the company calendar
	DueEndOfMonth   DueKind = "end_of_month"  // the end of the trigger's month, then N days (月结N天)
)

// DueRule makes a due date from a trigger date.
type DueRule struct {
	Kind DueKind `json:"kind"`
	Days int     `json:"days"`
}

// Instalment is one part of a plan: a share of the contract (PercentBP,
// basis points: 3000 = 30%) or a fixed Amount, never both.
type Instalment struct {
	Label     string        `json:"label,omitempty"`
	PercentBP int64         `json:"percent_bp,omitempty"`
	Amount    *money.Amount `json:"amount,omitempty"`
	Trigger   Trigger       `json:"trigger"`
	// WarrantyMonths is the warranty after acceptance (TriggerWarrantyEnd only).
	WarrantyMonths int     `json:"warranty_months,omitempty"`
	Due            DueRule `json:"due"`
}

// Plan is a contract's collection plan (回款计划).
type Plan struct {
	Instalments []Instalment `json:"instalments"`
	// InterestBP is the yearly late interest rate in basis points (500 = 5%
	// a year), accrued from each due date on what is still owed; 0: none.
	InterestBP int64 `json:"interest_bp,omitempty"`
	// Template names the company template the plan came from, if any.
	Template string `json:"template,omitempty"`
}

// Retention reports whether the instalment is retention money.
func (in Instalment) Retention() bool { return in.Trigger == TriggerWarrantyEnd }

// MaxInstalments bounds a plan; real ones have two to six.
const MaxInstalments = 24

// Check reports every problem with p's shape, each naming its field
// (instalments[2].trigger), without looking at any contract amount.
func (p Plan) Check() error {
	var fe refusal.Fields
	p.check(&fe)
	return fe.Err()
}

func (p Plan) check(fe *refusal.Fields) {
	if len(p.Instalments) == 0 {
		fe.Add("instalments", "a plan needs at least one instalment")
	}
	if len(p.Instalments) > MaxInstalments {
		fe.Add("instalments", "at most %d instalments", MaxInstalments)
	}
	if p.InterestBP < 0 || p.InterestBP > 10000 {
		fe.Add("interest_bp", "is a yearly rate in basis points, 0 to 10000 (100%%)")
	}
	for i, in := range p.Instalments {
		at := func(f string) string { return fmt.Sprintf("instalments[%d].%s", i, f) }
		switch {
		case in.PercentBP != 0 && in.Amount != nil:
			fe.Add(at("amount"), "an instalment is a percent_bp or an amount, not both")
		case in.PercentBP == 0 && in.Amount == nil:
			fe.Add(at("percent_bp"), "an instalment needs a percent_bp (3000 = 30%%) or an amount")
		case in.Amount != nil && *in.Amount <= 0:
			fe.Add(at("amount"), "must be more than 0")
		case in.PercentBP < 0 || in.PercentBP > 10000:
			fe.Add(at("percent_bp"), "must be between 1 and 10000 (100%%)")
		}
		if !slices.Contains(Triggers, in.Trigger) {
			fe.Add(at("trigger"), "%q is not a trigger; want one of %v", in.Trigger, Triggers)
		}
		if in.Trigger == TriggerWarrantyEnd && (in.WarrantyMonths < 1 || in.WarrantyMonths > 120) {
			fe.Add(at("warranty_months"), "retention needs the warranty in months after acceptance, 1 to 120")
		}
		if in.Trigger != TriggerWarrantyEnd && in.WarrantyMonths != 0 {
			fe.Add(at("warranty_months"), "only a warranty_end instalment has a warranty")
		}
		switch in.Due.Kind {
		case DueCalendarDays, DueWorkingDays, DueEndOfMonth:
		default:
			fe.Add(at("due.kind"), "%q is not a due rule; want calendar_days, working_days or end_of_month", in.Due.Kind)
		}
		if in.Due.Days < 0 || in.Due.Days > 366 {
			fe.Add(at("due.days"), "must be 0 to 366")
		}
	}
}

// Validate checks p against the contract amount: its shape, and that its
// instalments total the contract exactly. The refusal names the last
// instalment when the total is off, since that is where a person fixes it.
func (p Plan) Validate(contract money.Amount) error {
	var fe refusal.Fields
	p.check(&fe)
	if len(fe) == 0 {
		if contract <= 0 {
			fe.Add("contract", "the deal has no contract amount to plan against")
		} else if total, ok := p.total(contract); !ok || total != contract {
			last := fmt.Sprintf("instalments[%d]", len(p.Instalments)-1)
			fe.Add(last, "the plan totals %s (%s); the contract is %s", p.describeTotal(), total, contract)
		}
	}
	return fe.Err()
}

// total is what the plan's instalments add up to for contract; false when
// the shares and amounts cannot be exact (a share of a fraction of a cent
// left over with nowhere to go).
func (p Plan) total(contract money.Amount) (money.Amount, bool) {
	fixed, share := p.sums()
	// The shares cover exactly what the amounts leave when
	// (contract - fixed) * 10000 == contract * share.
	if share == 0 {
		return fixed, true
	}
	if (int64(contract)-int64(fixed))*10000 == int64(contract)*share {
		return contract, true
	}
	part, _ := contract.MulRatio(share, 10000)
	return fixed + part, false
}

// sums are the plan's fixed amounts and its shares, in basis points.
func (p Plan) sums() (fixed money.Amount, share int64) {
	for _, in := range p.Instalments {
		if in.Amount != nil {
			fixed += *in.Amount
		} else {
			share += in.PercentBP
		}
	}
	return fixed, share
}

func (p Plan) describeTotal() string {
	fixed, share := p.sums()
	return fmt.Sprintf("%d.%02d%% and %s fixed", share/100, share%100, fixed)
}

// Amounts are the instalments' amounts for contract, in plan order, adding
// up to it exactly: each share is rounded half away from zero and the last
// share takes what rounding left. Call it on a validated plan.
func (p Plan) Amounts(contract money.Amount) []money.Amount {
	out := make([]money.Amount, len(p.Instalments))
	var fixed money.Amount
	last := -1
	for i, in := range p.Instalments {
		if in.Amount != nil {
			out[i] = *in.Amount
			fixed += *in.Amount
			continue
		}
		out[i], _ = contract.MulRatio(in.PercentBP, 10000)
		last = i
	}
	if last >= 0 {
		var sum money.Amount
		for _, a := range out {
			sum += a
		}
		out[last] += contract - sum
	}
	return out
}

// TriggerOn is the day instalment in's trigger happened, given the days the
// deal's events happened (from the deal; missing: not yet). Retention's is
// acceptance plus the warranty. False when it has not happened.
func (in Instalment) TriggerOn(events map[Trigger]Date) (Date, bool) {
	if in.Trigger == TriggerWarrantyEnd {
		acc, ok := events[TriggerAcceptance]
		if !ok {
			return Date{}, false
		}
		return AddMonths(acc, in.WarrantyMonths), true
	}
	d, ok := events[in.Trigger]
	return d, ok
}

// Workdays answers whether a day is worked (calendar.Calendar.IsWorkday).
type Workdays interface {
	IsWorkday(d Date) bool
}

// DueOn is the due date from the trigger's day. Working days count the
// days worked after the trigger (0: the trigger's day itself, or the next
// working day when it is not worked).
func (r DueRule) DueOn(trigger Date, cal Workdays) Date {
	switch r.Kind {
	case DueWorkingDays:
		d := trigger
		for !cal.IsWorkday(d) {
			d = d.AddDays(1)
		}
		for n := r.Days; n > 0; {
			d = d.AddDays(1)
			if cal.IsWorkday(d) {
				n--
			}
		}
		return d
	case DueEndOfMonth:
		return EndOfMonth(trigger).AddDays(r.Days)
	default:
		return trigger.AddDays(r.Days)
	}
}

// EndOfMonth is the last day of d's month.
func EndOfMonth(d Date) Date {
	next := Date{Year: d.Year, Month: d.Month, Day: 1}.AddDays(32)
	return Date{Year: next.Year, Month: next.Month, Day: 1}.AddDays(-1)
}

// AddMonths is d n months later, on the month's last day when d's day is
// past it (31 January + 1 month = 28 or 29 February).
func AddMonths(d Date, n int) Date {
	first := Date{Year: d.Year, Month: d.Month, Day: 1}
	m := int(first.Month) - 1 + n
	first.Year += m / 12
	first.Month = time.Month(m%12 + 1)
	if last := EndOfMonth(first); d.Day > last.Day {
		return last
	}
	first.Day = d.Day
	return first
}

// Event is a deal's trigger happening: on a calendar day (On), or at an
// instant (At) whose day is the company's (the database reads it in the
// calendar's zone).
type Event struct {
	Trigger Trigger
	On      Date
	At      time.Time
}
