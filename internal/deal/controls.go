package deal

import (
	"slices"
	"strings"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// The controls an auditor expects on a deal (issue 10): no one sells, ships,
// invoices and collects the same deal; the facts that route a review come from
// data, not from the requester. Deals whose workflow runs them have
// Deal.Controls set (a workflow version, like ReviewEngine), so deals started
// before keep the rules their history was made with.

// SegregationOfDuties checks the delivery and payment owners of o against its
// sales owner and discoverer and against the roles each holds (roles is keyed
// by user ID, as looked up by the API). Only the owners named in check are
// checked, each under its field name: {"delivery": "owners.delivery"} say.
func SegregationOfDuties(o Owners, roles map[string][]identity.Role, check map[string]string) error {
	var fe fieldErrors
	seller := func(id string) bool { return id == o.Sales || id == o.Discoverer }
	has := func(id string, want ...identity.Role) bool {
		return identity.User{ID: id, Roles: roles[id]}.Has(want...)
	}
	if f, ok := check["delivery"]; ok && o.Delivery != "" {
		switch {
		case seller(o.Delivery):
			fe.Add(f, "%s sells this deal (sales owner or discoverer) and cannot also own its delivery", o.Delivery)
		case !has(o.Delivery, identity.RoleDelivery):
			fe.Add(f, "%s does not hold the delivery role", o.Delivery)
		}
	}
	if f, ok := check["payment"]; ok && o.Payment != "" {
		switch {
		case seller(o.Payment):
			fe.Add(f, "%s sells this deal (sales owner or discoverer) and cannot also collect its money", o.Payment)
		case !has(o.Payment, identity.RoleCollector, identity.RoleFinance):
			fe.Add(f, "%s holds neither the collector nor the finance role", o.Payment)
		}
	}
	return fe.Err()
}

// sells reports whether by sells deal d: its sales owner or discoverer.
func sells(d *Deal, by identity.User) bool {
	return by.ID == d.Owners.Sales || by.ID == d.Owners.Discoverer
}

// ContractFacts works out the two facts that route a contract to finance and
// legal: non-standard terms are terms other than the customer's approved ones
// in l2c's customer master (a customer with none approved has no standard
// terms); a contract without a template ID is not on a template. terms empty
// means the customer's approved terms.
func ContractFacts(terms, customerTerms, templateID string) (nonstandard, nonTemplate bool) {
	terms, customerTerms = strings.TrimSpace(terms), strings.TrimSpace(customerTerms)
	nonstandard = customerTerms == "" || (terms != "" && !strings.EqualFold(terms, customerTerms))
	return nonstandard, strings.TrimSpace(templateID) == ""
}

// QuoteTolerance is how far below the accepted quote's net total a contract
// may be (rounding) before it counts as a further discount: one currency unit.
const QuoteTolerance money.Amount = 100

// AcceptedQuote returns the quote the customer accepted, if any.
func (d *Deal) AcceptedQuote() *Quote {
	for i := len(d.Quotes) - 1; i >= 0; i-- {
		if d.Quotes[i].Status == QuoteAccepted {
			return &d.Quotes[i]
		}
	}
	return nil
}

// deriveContractFacts sets what the requester may not declare on c: its
// routing facts and whether it undercuts the accepted quote (a further
// discount, reviewed like a discount below the customer's minimum).
func deriveContractFacts(d *Deal, c *Contract, a Action) {
	customerTerms := ""
	if a.CustomerPaymentTerms != nil {
		customerTerms = *a.CustomerPaymentTerms
	}
	c.NonstandardTerms, c.NonTemplate = ContractFacts(c.PaymentTerms, customerTerms, c.TemplateID)
	if c.PaymentTerms == "" {
		c.PaymentTerms = customerTerms
	}
	if q := d.AcceptedQuote(); q != nil {
		total := q.NetTotal
		c.QuoteTotal = &total
		c.BelowQuote = c.Amount < total-QuoteTolerance
	}
}

// EffectiveDiscount is the contract amount as a share of the accepted quote's
// list price, or nil without one.
func (d *Deal) EffectiveDiscount() *Percent {
	q := d.AcceptedQuote()
	if d.Contract == nil || q == nil || q.ListTotal <= 0 {
		return nil
	}
	p, ok := d.Contract.Amount.MulRatio(int64(Hundred), int64(q.ListTotal))
	if !ok {
		return nil
	}
	pct := Percent(p)
	return &pct
}

// controlledMay wraps who-may-act checks with the segregation of duties when
// the deal runs the controls.
func controlledMay(action ActionName, d *Deal, by identity.User) error {
	if !d.Controls {
		return nil
	}
	return CheckSegregation(action, d, by)
}

// CheckSegregation refuses by an action on d that the segregation of duties
// forbids: whoever sells a deal does not record its shipments, invoices or
// payments; invoices come from finance (or the ERP), hand-recorded payments
// from finance or a collector. The API applies it to every deal; the rules to
// deals that run the controls.
func CheckSegregation(action ActionName, d *Deal, by identity.User) error {
	s, ok := LookupAction(action)
	if !ok || !slices.Contains(s.Stages, d.Stage) || s.Segregated == nil {
		return nil // the stage refuses it first, with its own answer
	}
	return s.Segregated(d, by)
}

// shipsApart: whoever sells a deal does not record its shipments; the
// delivery team does.
func shipsApart(d *Deal, by identity.User) error {
	if sells(d, by) {
		return forbidden("%s sells this deal and cannot record its shipments", by.ID)
	}
	if !by.Has(identity.RoleDelivery) {
		return forbidden("only the delivery team records shipments")
	}
	return nil
}

// invoicesApart: invoices come from finance, never from whoever sells the deal.
func invoicesApart(d *Deal, by identity.User) error {
	if sells(d, by) || !by.Has(identity.RoleFinance) {
		return forbidden("invoices come from the ERP or from finance (and not from whoever sells the deal)")
	}
	return nil
}

// collectsApart: payments recorded by hand come from finance or a collector,
// never from whoever sells the deal.
func collectsApart(d *Deal, by identity.User) error {
	if sells(d, by) {
		return forbidden("%s sells this deal and cannot record its payments", by.ID)
	}
	if !by.Has(identity.RoleFinance, identity.RoleCollector) {
		return forbidden("a payment recorded by hand needs finance or a collector")
	}
	return nil
}

// checkAssignedOwners refuses owners that break the segregation of duties, on
// a deal that runs the controls. The API puts the named people's roles on the
// action; without them nothing can be checked, so nothing is assigned.
func checkAssignedOwners(next *Deal, a Action) error {
	if !next.Controls {
		return nil
	}
	check := map[string]string{}
	// A fixed order, not a map's: the first refusal must be the same on replay.
	for _, o := range []struct{ role, field, id string }{
		{"delivery", "delivery_owner", a.DeliveryOwner}, {"payment", "payment_owner", a.PaymentOwner}} {
		if o.id == "" {
			continue
		}
		if _, ok := a.OwnerRoles[o.id]; !ok {
			return badField(o.field, "the roles of %s were not looked up", o.id)
		}
		check[o.role] = o.field
	}
	return SegregationOfDuties(next.Owners, a.OwnerRoles, check)
}
