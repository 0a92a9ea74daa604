package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// TestDealControlsInTheWorkflow (issue 10): a deal started now runs the
// controls version. Its rules refuse whoever sells the deal shipping,
// invoicing or collecting it and owners without the roles; a contract below
// its quote is routed as a further discount; each person's save carries the
// request its audit entry records.
func TestDealControlsInTheWorkflow(t *testing.T) {
	dt := newDealTest(t, deal.Opening{Title: "Spindles", Customer: deal.Customer{Code: "C1", Name: "Suzhou Parts"}})
	roles := map[string][]identity.Role{"wang": wang.Roles, "zhou": zhou.Roles, "wu": wu.Roles}
	terms := "NT30"
	h := time.Hour
	var errs [12]error
	dt.at(1*h, wang, quote, &errs[0]) // 10,000.00 at list price
	dt.at(2*h, wang, deal.Action{Name: deal.ActAcceptQuote}, &errs[1])
	dt.at(3*h, wang, deal.Action{Name: deal.ActSubmitContract, ContractNo: "HT-7", Amount: amount("6000"), TemplateID: "TPL",
		CustomerPaymentTerms: &terms}, &errs[2])
	dt.review(3*h+time.Minute, "contract_review.D-1.1", approval.StatusApproved, "li")
	dt.at(4*h, wang, deal.Action{Name: deal.ActAssignOwners, DeliveryOwner: "wang", PaymentOwner: "wang", OwnerRoles: roles}, &errs[3])
	dt.at(4*h+time.Minute, wang, deal.Action{Name: deal.ActAssignOwners, DeliveryOwner: "zhou", PaymentOwner: "wu"}, &errs[4]) // no roles looked up
	dt.at(4*h+2*time.Minute, wang, deal.Action{Name: deal.ActAssignOwners, DeliveryOwner: "zhou", PaymentOwner: "wu", OwnerRoles: roles}, &errs[5])
	dt.at(5*h, wang, deal.Action{Name: deal.ActPlaceOrder, Kind: deal.OrderStock, DeliveryDue: deal.Date{Year: 2026, Month: 11, Day: 20}}, &errs[6])
	sellerWithRoles := identity.User{ID: "wang", Roles: []identity.Role{identity.RoleSales, identity.RoleDelivery, identity.RoleFinance}}
	ship := deal.Action{Name: deal.ActRecordShipment, ShipmentNo: "S-1", ShippedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, Final: true}
	dt.at(6*h, sellerWithRoles, ship, &errs[7])
	dt.at(6*h+time.Minute, zhou, ship, &errs[8])
	invoice := deal.Action{Name: deal.ActRecordInvoice, InvoiceNo: "INV-1", Amount: amount("6000"),
		IssuedOn: deal.Date{Year: 2026, Month: 11, Day: 2}, DueOn: deal.Date{Year: 2026, Month: 12, Day: 2}}
	dt.at(7*h, wu, invoice, &errs[9]) // the payment owner, not finance
	dt.at(7*h+time.Minute, sun, invoice, &errs[10])
	dt.at(8*h, sellerWithRoles, deal.Action{Name: deal.ActRecordPayment, PaymentRef: "P-1", Amount: amount("6000"),
		ReceivedOn: deal.Date{Year: 2026, Month: 11, Day: 3}}, &errs[11])
	dt.run()

	for i, err := range errs {
		switch i {
		case 3, 4:
			ruleErrorIs(t, err, deal.ErrInvalid)
		case 7, 9, 11:
			ruleErrorIs(t, err, deal.ErrForbidden)
		default:
			require.NoError(t, err, "action %d", i)
		}
	}
	require.Len(t, dt.cases, 1)
	c := dt.cases[0].Case
	require.True(t, c.Facts.DiscountBelowMinimum, "6,000 against a 10,000 quote is a further discount")
	require.False(t, c.Facts.NonstandardPaymentTerms)
	require.False(t, c.Facts.NonTemplateContract)
	require.Contains(t, c.Subject, approval.Field{Name: "quote_total", Value: "10000.00 CNY"})
	require.Contains(t, c.Subject, approval.Field{Name: "effective_discount", Value: "60%"})

	require.Nil(t, dt.saved[0].Action, "the opening is no person's action")
	require.Equal(t, deal.ActSubmitQuote, dt.saved[1].Action.Name)
	for _, s := range dt.saved {
		if s.Entry.Action == "review_approved" {
			require.Nil(t, s.Action, "news from the case is not a request")
		}
	}
}
