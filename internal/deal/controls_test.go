package deal

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/identity"
)

var (
	deliverer = identity.User{ID: "zhou", Roles: []identity.Role{identity.RoleDelivery}}
	collector = identity.User{ID: "wu", Roles: []identity.Role{identity.RoleCollector}}
	dealRoles = map[string][]identity.Role{"wang": rep.Roles, "liu": other.Roles, "zhou": deliverer.Roles,
		"wu": collector.Roles, "sun": fin.Roles, "li": boss.Roles}
)

// dealControlled is a deal that runs the controls, in contract review.
func dealControlled(t *testing.T) Deal {
	d := opened(t, Opening{Title: "T", Customer: Customer{Code: "C1", Name: "C"}})
	d.Controls = true
	d = apply(t, d, rep, validQuote) // 999.99 at list price
	return apply(t, d, rep, Action{Name: ActAcceptQuote})
}

func TestSegregationOfDuties(t *testing.T) {
	o := Owners{Discoverer: "liu", Sales: "wang"}
	both := map[string]string{"delivery": "d", "payment": "p"}
	for _, c := range []struct {
		delivery, payment string
		fields            []string
	}{
		{"zhou", "wu", nil},
		{"zhou", "sun", nil}, // finance may own the money
		{"wang", "wang", []string{"d", "p"}},
		{"liu", "liu", []string{"d", "p"}}, // the discoverer sells too
		{"wu", "zhou", []string{"d", "p"}}, // wrong roles
		{"li", "li", []string{"d", "p"}},   // a manager holds neither
		{"ghost", "", []string{"d"}},       // no roles known
	} {
		o.Delivery, o.Payment = c.delivery, c.payment
		err := SegregationOfDuties(o, dealRoles, both)
		if c.fields == nil {
			require.NoError(t, err, c)
			continue
		}
		var de *Error
		require.ErrorAs(t, err, &de, c)
		require.Equal(t, c.fields, fields(de), c)
	}
	o.Delivery, o.Payment = "wang", "wang"
	require.NoError(t, SegregationOfDuties(o, dealRoles, map[string]string{}), "only the owners asked about are checked")
}

func TestAssignOwnersUnderControls(t *testing.T) {
	d := dealControlled(t)
	a := Action{Name: ActAssignOwners, DeliveryOwner: "wang", PaymentOwner: "wang", OwnerRoles: dealRoles}
	de := refuse(t, d, rep, a, ErrInvalid)
	require.Equal(t, []string{"delivery_owner", "payment_owner"}, fields(de))
	// Without the roles looked up nothing is assigned.
	de = refuse(t, d, rep, Action{Name: ActAssignOwners, DeliveryOwner: "zhou"}, ErrInvalid)
	require.Equal(t, []string{"delivery_owner"}, fields(de))
	d = apply(t, d, rep, Action{Name: ActAssignOwners, DeliveryOwner: "zhou", PaymentOwner: "wu", OwnerRoles: dealRoles})
	require.Equal(t, "zhou", d.Owners.Delivery)

	// A deal from before the controls keeps its old rules (its history replays).
	old := opened(t, Opening{Title: "T", Customer: Customer{Name: "C"}})
	apply(t, old, rep, Action{Name: ActAssignOwners, DeliveryOwner: "wang", PaymentOwner: "wang"})
}

func TestCheckSegregation(t *testing.T) {
	d := Deal{Stage: StageDelivery, Owners: Owners{Discoverer: "liu", Sales: "wang", Delivery: "zhou", Payment: "wu"}}
	sellerWithRoles := identity.User{ID: "wang", Roles: []identity.Role{identity.RoleSales, identity.RoleDelivery,
		identity.RoleFinance, identity.RoleCollector}}
	for _, c := range []struct {
		stage  Stage
		action ActionName
		by     identity.User
		ok     bool
	}{
		{StageDelivery, ActRecordShipment, deliverer, true},
		{StageDelivery, ActRecordShipment, sellerWithRoles, false},
		{StageDelivery, ActRecordShipment, boss, false},
		{StagePaymentCollection, ActRecordInvoice, fin, true},
		{StagePaymentCollection, ActRecordInvoice, collector, false}, // the payment owner, not finance
		{StagePaymentCollection, ActRecordInvoice, sellerWithRoles, false},
		{StagePaymentCollection, ActRecordPayment, collector, true},
		{StagePaymentCollection, ActRecordPayment, fin, true},
		{StagePaymentCollection, ActRecordPayment, sellerWithRoles, false},
		{StagePaymentCollection, ActRecordPayment, other, false}, // the discoverer
		{StageQuote, ActRecordShipment, rep, true},               // the stage refuses it, not this
	} {
		d.Stage = c.stage
		err := CheckSegregation(c.action, &d, c.by)
		if c.ok {
			require.NoError(t, err, c)
		} else {
			var de *Error
			require.ErrorAs(t, err, &de, c)
			require.Equal(t, ErrForbidden, de.Kind)
		}
	}
}

func TestContractFactsFromData(t *testing.T) {
	for _, c := range []struct {
		terms, customer, template string
		nonstandard, nonTemplate  bool
	}{
		{"NT30", "NT30", "TPL", false, false},
		{"nt30", "NT30", "TPL", false, false},
		{"", "NT30", "TPL", false, false}, // the customer's own terms
		{"NT180", "NT30", "TPL", true, false},
		{"NT30", "", "TPL", true, false}, // no terms approved for the customer
		{"NT30", "NT30", " ", false, true},
	} {
		ns, nt := ContractFacts(c.terms, c.customer, c.template)
		require.Equal(t, [2]bool{c.nonstandard, c.nonTemplate}, [2]bool{ns, nt}, c)
	}

	d := dealControlled(t)
	terms := "NT30"
	// Whatever the client says, the facts come from the data.
	d = apply(t, d, rep, Action{Name: ActSubmitContract, ContractNo: "HT-1", Amount: amt("999.99"),
		PaymentTerms: "NT180", NonstandardTerms: false, NonTemplate: false, CustomerPaymentTerms: &terms})
	require.True(t, d.Contract.NonstandardTerms)
	require.True(t, d.Contract.NonTemplate)
	require.False(t, d.Contract.BelowQuote)
	require.Equal(t, *amt("999.99"), *d.Contract.QuoteTotal)
}

func TestContractBelowQuote(t *testing.T) {
	terms := "NT30"
	for amount, below := range map[string]bool{"999.99": false, "998.99": false, "998.98": true, "100": true, "2000": false} {
		d := dealControlled(t)
		d = apply(t, d, rep, Action{Name: ActSubmitContract, ContractNo: "HT-1", Amount: amt(amount), TemplateID: "TPL",
			CustomerPaymentTerms: &terms})
		require.Equal(t, below, d.Contract.BelowQuote, amount)
	}
	d := dealControlled(t)
	d = apply(t, d, rep, Action{Name: ActSubmitContract, ContractNo: "HT-1", Amount: amt("500"), TemplateID: "TPL",
		CustomerPaymentTerms: &terms})
	require.Equal(t, "50", d.EffectiveDiscount().String())
}

func TestMissingMinimumNeedsApproval(t *testing.T) {
	d := opened(t, Opening{Title: "T", Customer: Customer{Code: "C1", Name: "C"}})
	d.Controls, d.ReviewEngine = true, true
	pct := Percent(9900)
	q := validQuote
	q.Discount = &pct
	d = apply(t, d, rep, q)
	require.Equal(t, QuotePendingApproval, d.CurrentQuote().Status)
	require.Equal(t, Hundred, *d.CurrentQuote().MinDiscount)
}

func TestServerFieldsRefused(t *testing.T) {
	for _, f := range []string{"nonstandard_terms", "non_template", "customer_payment_terms"} {
		require.Equal(t, []FieldError{{Field: f, Message: "is worked out by l2c and cannot be sent"}},
			UnexpectedFields(ActSubmitContract, []string{"action", f}))
	}
	require.Equal(t, []FieldError{{Field: "owner_roles", Message: "is worked out by l2c and cannot be sent"}},
		UnexpectedFields(ActAssignOwners, []string{"owner_roles"}))
	require.Empty(t, UnexpectedFields(ActSubmitContract, []string{"template_id", "payment_terms"}))
}
