// Package approval is the approval engine's domain: routing rules, the route a
// case is given, and the pure rules for deciding, delegating, escalating,
// withdrawing and resubmitting. The approval workflow runs these functions;
// PostgreSQL keeps their results as the read model for inboxes and reports.
package approval

import (
	"fmt"
	"slices"
	"strings"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/refusal"
)

// Kind is a kind of review. Each kind has its own routing rules.
type Kind string

const (
	KindQuoteDiscount  Kind = "quote_discount"      // a discount below the customer's approved minimum
	KindContractReview Kind = "contract_review"     // 合同评审
	KindCustomOrder    Kind = "custom_order"        // 定制订单 review before production
	KindTermsChange    Kind = "terms_change"        // a customer's minimum discount, payment terms or credit limit
	KindCreditHold     Kind = "credit_hold"         // an order held at the credit check (信用冻结)
	KindOnboarding     Kind = "customer_onboarding" // a new customer (新客户) before the ERP creates it
	KindPlanChange     Kind = "plan_change"         // a signed contract's collection plan (回款计划变更)
	KindMarketActivity Kind = "market_activity"     // a trade fair, seminar or samples, before they run (市场活动)
)

// Kinds lists every kind of review.
var Kinds = []Kind{KindQuoteDiscount, KindContractReview, KindCustomOrder, KindTermsChange, KindCreditHold, KindOnboarding, KindPlanChange, KindMarketActivity}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Rule says how a stage with several approvers is decided.
type Rule string

const (
	RuleAny Rule = "any" // the first approval decides the stage
	RuleAll Rule = "all" // every approver must approve
)

// Facts are what routing rules look at.
type Facts struct {
	Amount                  money.Amount `json:"amount"`
	CustomProducts          bool         `json:"custom_products"`
	NonstandardPaymentTerms bool         `json:"nonstandard_payment_terms"`
	NonTemplateContract     bool         `json:"non_template_contract"`
	DiscountBelowMinimum    bool         `json:"discount_below_minimum"`
	// Customer is the customer's code; CustomerClass its value class and
	// payment grade ("A2"; "" not ranked), filled in when the route is
	// chosen (activities.Approvals.ChooseRoute) from the class it holds then.
	Customer      string `json:"customer,omitempty"`
	CustomerClass string `json:"customer_class,omitempty"`
}

// Condition selects the cases a stage applies to: every condition that is set
// must hold. An absent condition always holds.
type Condition struct {
	AmountAtLeast           *money.Amount `json:"amount_at_least,omitempty"`
	AmountBelow             *money.Amount `json:"amount_below,omitempty"`
	CustomProducts          *bool         `json:"custom_products,omitempty"`
	NonstandardPaymentTerms *bool         `json:"nonstandard_payment_terms,omitempty"`
	NonTemplateContract     *bool         `json:"non_template_contract,omitempty"`
	DiscountBelowMinimum    *bool         `json:"discount_below_minimum,omitempty"`
	// CustomerClassIn holds when the customer's class is one of these: a
	// value class ("A": any payment grade) or a class with its grade ("C3").
	CustomerClassIn []string `json:"customer_class_in,omitempty"`
}

// Holds reports whether f meets the condition.
func (c *Condition) Holds(f Facts) bool {
	if c == nil {
		return true
	}
	is := func(want *bool, got bool) bool { return want == nil || *want == got }
	return (c.AmountAtLeast == nil || f.Amount >= *c.AmountAtLeast) &&
		(c.AmountBelow == nil || f.Amount < *c.AmountBelow) &&
		is(c.CustomProducts, f.CustomProducts) && is(c.NonstandardPaymentTerms, f.NonstandardPaymentTerms) &&
		is(c.NonTemplateContract, f.NonTemplateContract) && is(c.DiscountBelowMinimum, f.DiscountBelowMinimum) &&
		(c.CustomerClassIn == nil || classIn(c.CustomerClassIn, f.CustomerClass))
}

// classIn reports whether class ("A2") is one of want ("A" or "A2").
func classIn(want []string, class string) bool {
	if class == "" {
		return false
	}
	return slices.Contains(want, class) || slices.Contains(want, class[:1])
}

// CustomerClasses are the values customer_class_in takes.
var CustomerClasses = []string{"A", "B", "C", "A0", "A1", "A2", "A3", "B0", "B1", "B2", "B3", "C0", "C1", "C2", "C3"}

// Empty reports whether no condition is set.
func (c *Condition) Empty() bool {
	return c.AmountAtLeast == nil && c.AmountBelow == nil && c.CustomProducts == nil &&
		c.NonstandardPaymentTerms == nil && c.NonTemplateContract == nil && c.DiscountBelowMinimum == nil &&
		c.CustomerClassIn == nil
}

// UsesCustomerClass reports whether any stage routes on the customer's class.
func (rs RuleSet) UsesCustomerClass() bool {
	for _, s := range rs.Stages {
		if s.When != nil && s.When.CustomerClassIn != nil {
			return true
		}
	}
	return false
}

// Stage is one step of a route: who approves, how, and how fast.
type Stage struct {
	Name string `json:"name"`
	// Approvers are "user:<id>", "role:<role>" (everyone holding it) or
	// "manager" (the requester's manager), resolved when the stage is entered.
	Approvers []string `json:"approvers"`
	Rule      Rule     `json:"rule"`
	// SLAHours is working time (on the company calendar) to decide the stage.
	SLAHours int `json:"sla_hours"`
	// RemindBeforeHours is how long before the SLA the approvers are reminded.
	RemindBeforeHours int `json:"remind_before_hours,omitempty"`
	// ReassignOnEscalation hands the step to the holder's manager at the SLA
	// instead of only telling them.
	ReassignOnEscalation bool `json:"reassign_on_escalation,omitempty"`
	// Inputs are the subject fields this stage reviews: on resubmission, a
	// stage whose inputs did not change keeps its approval. Empty means all.
	Inputs []string `json:"inputs,omitempty"`
}

// StageRule is a stage and the condition under which a case gets it.
type StageRule struct {
	Stage
	When *Condition `json:"when,omitempty"`
}

// RuleSet is the routing of one kind of review: its possible stages in order.
type RuleSet struct {
	Kind    Kind        `json:"kind"`
	Version int         `json:"version"`
	Stages  []StageRule `json:"stages"`
	// DistinctApprovers (four eyes): a person decides at most one stage of a
	// case. Left out, it is on; turning it off is a recorded rule edit.
	DistinctApprovers *bool `json:"distinct_approvers"`
}

// Distinct reports whether the rule set keeps four eyes (the default).
func (rs RuleSet) Distinct() bool { return rs.DistinctApprovers == nil || *rs.DistinctApprovers }

// Validate checks a rule set before it is saved, naming every bad field.
func (rs RuleSet) Validate() error {
	var fe refusal.Fields
	add := fe.Add
	if !rs.Kind.Valid() {
		add("kind", "%q is not a kind of review; want one of %v", rs.Kind, Kinds)
	}
	if len(rs.Stages) == 0 {
		add("stages", "at least one stage is required")
	}
	seen := map[string]bool{}
	for i, s := range rs.Stages {
		f := fmt.Sprintf("stages[%d]", i)
		switch {
		case strings.TrimSpace(s.Name) == "":
			add(f+".name", "is required")
		case seen[s.Name]:
			add(f+".name", "%q is used by an earlier stage", s.Name)
		}
		seen[s.Name] = true
		if len(s.Approvers) == 0 {
			add(f+".approvers", "at least one approver is required")
		}
		for j, a := range s.Approvers {
			if msg := checkApprover(a); msg != "" {
				add(fmt.Sprintf("%s.approvers[%d]", f, j), "%s", msg)
			}
		}
		if s.Rule != RuleAny && s.Rule != RuleAll {
			add(f+".rule", "%q: want any or all", s.Rule)
		}
		if s.SLAHours < 1 || s.SLAHours > 2000 {
			add(f+".sla_hours", "must be between 1 and 2000 working hours")
		}
		if s.RemindBeforeHours < 0 || (s.RemindBeforeHours >= s.SLAHours && s.SLAHours > 0) {
			add(f+".remind_before_hours", "must be at least 0 and less than sla_hours")
		}
		if s.When != nil {
			if s.When.Empty() {
				add(f+".when", "has no condition; leave it out to always apply the stage")
			}
			if s.When.AmountAtLeast != nil && s.When.AmountBelow != nil && *s.When.AmountAtLeast >= *s.When.AmountBelow {
				add(f+".when", "amount_at_least must be below amount_below, or no case matches")
			}
			if (s.When.AmountAtLeast != nil && *s.When.AmountAtLeast < 0) || (s.When.AmountBelow != nil && *s.When.AmountBelow < 0) {
				add(f+".when", "amounts must not be negative")
			}
			if s.When.CustomerClassIn != nil && len(s.When.CustomerClassIn) == 0 {
				add(f+".when.customer_class_in", "name at least one class, or leave it out")
			}
			for j, c := range s.When.CustomerClassIn {
				if !slices.Contains(CustomerClasses, c) {
					add(fmt.Sprintf("%s.when.customer_class_in[%d]", f, j), "%q is not a class; want A, B or C, or one with its payment grade 0 to 3 such as A1", c)
				}
			}
		}
	}
	if err := fe.Err(); err != nil {
		err.(*refusal.Error).Message = "the rules are not valid; nothing was saved"
		return err
	}
	return nil
}

func checkApprover(a string) string {
	switch kind, val, _ := strings.Cut(a, ":"); kind {
	case "manager":
		if val != "" {
			return `"manager" takes no value`
		}
	case "user":
		if val == "" {
			return "user:<id> needs an ID"
		}
	case "role":
		if !identity.Role(val).Valid() {
			return fmt.Sprintf("%q is not a role", val)
		}
	default:
		return fmt.Sprintf("%q: want user:<id>, role:<role> or manager", a)
	}
	return ""
}

// Route returns the stages a case with facts f goes through, in order.
func (rs RuleSet) Route(f Facts) []Stage {
	var out []Stage
	for _, s := range rs.Stages {
		if s.When.Holds(f) {
			out = append(out, s.Stage)
		}
	}
	return out
}

// Users returns the user IDs the rule set names, so a save can check they exist.
func (rs RuleSet) Users() []string {
	var ids []string
	for _, s := range rs.Stages {
		for _, a := range s.Approvers {
			if id, ok := strings.CutPrefix(a, "user:"); ok && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
