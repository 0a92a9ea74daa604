// Package credit is the credit check at the order: a customer's exposure and
// the policy that decides whether an order goes on or is held for finance.
// It is pure: the database computes the figures (database.CreditExposure),
// the activities and the hold workflow apply Decide to them.
package credit

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/money"
)

// Exposure is what the customer owes or is about to owe, as the check saw it.
// Total = Receivables + Unbilled + Order − Advances − nothing else; the
// allowance of active releases raises the limit, not the exposure.
type Exposure struct {
	Customer string `json:"customer"`
	Currency string `json:"currency"`
	// Receivables are the customer's open invoices in the ERP (l2c's synced
	// copy): invoiced, not cancelled, less the payments against them.
	Receivables money.Amount `json:"receivables"`
	// Unbilled are the customer's other orders placed and not yet invoiced
	// (deals in delivery or payment collection: contract amount less their
	// invoices).
	Unbilled money.Amount `json:"unbilled"`
	// Order is the order being checked.
	Order money.Amount `json:"order"`
	// Advances are receipts not applied to any invoice (预收款).
	Advances money.Amount `json:"advances"`
	Total    money.Amount `json:"total"`
	// Limit is the customer's credit limit; nil when none is recorded (the
	// limit is then not checked).
	Limit *money.Amount `json:"limit,omitempty"`
	// Allowance is the sum of manual releases still in force.
	Allowance money.Amount `json:"allowance"`
	// OldestOverdueDays is how many days the oldest open invoice is past due
	// (0: none overdue).
	OldestOverdueDays int    `json:"oldest_overdue_days"`
	ValueClass        string `json:"value_class,omitempty"`
	Blocked           bool   `json:"blocked"`
	// Pending: the customer is not yet approved (onboarding); no order may
	// be placed for them.
	Pending bool `json:"pending,omitempty"`
	// DunningHoldSince is the day the dunning ladder put the customer's new
	// orders on hold (a step with credit_hold reached), as 2006-01-02; empty
	// when not held. The hold lasts until the tick lifts it (none of the
	// customer's open instalments stands at a holding step any more).
	DunningHoldSince string `json:"dunning_hold_since,omitempty"`
}

// Reason kinds of a hold.
const (
	ReasonOverLimit = "over_limit"
	ReasonOverdue   = "overdue"
	ReasonBlocked   = "blocked"
	// ReasonDunningHold: the dunning ladder holds the customer's new orders
	// (collection_credit_holds), whatever the limit and the advances.
	ReasonDunningHold = "dunning_hold"
)

// Reason is one cause of a hold, in words finance reads.
type Reason struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Decision is the outcome of a check.
type Decision struct {
	Hold     bool     `json:"hold"`
	Reasons  []Reason `json:"reasons,omitempty"`
	Exposure Exposure `json:"exposure"`
	// Covered: advances cover the whole exposure, so the limit and overdue
	// rules do not apply.
	Covered bool `json:"covered,omitempty"`
}

// Policy is the company's credit policy.
type Policy struct {
	// OverdueDays is, per value class (A, B, C, and "" for customers without
	// one), how many days past due an open invoice may be before new orders
	// are held.
	OverdueDays map[string]int
}

// DefaultPolicy: the best customers get the longest grace.
func DefaultPolicy() Policy {
	return Policy{OverdueDays: map[string]int{"A": 60, "B": 30, "C": 15, "": 30}}
}

// ParsePolicy reads L2C_CREDIT_OVERDUE_DAYS: "A=60,B=30,C=15,other=30";
// classes left out keep the default.
func ParsePolicy(s string) (Policy, error) {
	p := DefaultPolicy()
	if strings.TrimSpace(s) == "" {
		return p, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k = strings.ToUpper(strings.TrimSpace(k))
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil || n < 0 {
			return p, fmt.Errorf("%q: want CLASS=DAYS, e.g. A=60", part)
		}
		switch k {
		case "A", "B", "C":
		case "OTHER", "":
			k = ""
		default:
			return p, fmt.Errorf("%q: the value classes are A, B, C and other", part)
		}
		p.OverdueDays[k] = n
	}
	return p, nil
}

// Grace is the overdue days allowed for a value class.
func (p Policy) Grace(class string) int {
	if d, ok := p.OverdueDays[class]; ok {
		return d
	}
	return p.OverdueDays[""]
}

// Decide applies the policy to e (whose Total it fills in). An order fully
// covered by advances (Total ≤ 0) passes the limit and overdue rules; a
// customer blocked in the ERP, or under the dunning ladder's credit hold, is
// held whatever.
func (p Policy) Decide(e Exposure) Decision {
	e.Total = e.Receivables + e.Unbilled + e.Order - e.Advances
	d := Decision{Exposure: e, Covered: e.Total <= 0}
	if e.Blocked {
		d.Reasons = append(d.Reasons, Reason{Kind: ReasonBlocked, Detail: "the customer is blocked in the ERP"})
	}
	if e.DunningHoldSince != "" {
		d.Reasons = append(d.Reasons, Reason{Kind: ReasonDunningHold, Detail: "the dunning ladder holds the customer's new orders since " +
			e.DunningHoldSince})
	}
	if !d.Covered {
		if e.Limit != nil && e.Total > *e.Limit+e.Allowance {
			d.Reasons = append(d.Reasons, Reason{Kind: ReasonOverLimit, Detail: fmt.Sprintf(
				"exposure %s is over the credit limit %s%s by %s", e.Total, *e.Limit, allowance(e.Allowance), e.Total-*e.Limit-e.Allowance)})
		}
		if g := p.Grace(e.ValueClass); e.OldestOverdueDays > g {
			d.Reasons = append(d.Reasons, Reason{Kind: ReasonOverdue, Detail: fmt.Sprintf(
				"an invoice is %d days overdue; class %s allows %d", e.OldestOverdueDays, classOf(e.ValueClass), g)})
		}
	}
	d.Hold = len(d.Reasons) > 0
	return d
}

func allowance(a money.Amount) string {
	if a == 0 {
		return ""
	}
	return " (+" + a.String() + " released)"
}

func classOf(c string) string {
	if c == "" {
		return "(none)"
	}
	return c
}

// Summary is the hold in one line, for the deal's history and page.
func (d Decision) Summary() string {
	var parts []string
	for _, r := range d.Reasons {
		parts = append(parts, r.Detail)
	}
	return strings.Join(parts, "; ")
}

// DaysOverdue is how many whole days due is before today (both calendar days).
func DaysOverdue(due, today time.Time) int {
	n := int(today.Sub(due).Hours() / 24)
	if n < 0 {
		return 0
	}
	return n
}

// Release is finance's manual release of a hold: an allowance on top of the
// customer's limit until it expires, with who granted it and why.
type Release struct {
	Amount     money.Amount `json:"amount"`
	Reason     string       `json:"reason"`
	ApprovedBy string       `json:"approved_by"`
	ApprovedAt time.Time    `json:"approved_at"`
	ExpiresAt  time.Time    `json:"expires_at"`
}
