package workflows

import "testing"

// TestCreditAndOnboardingReplay replays recorded runs of the credit hold, the
// onboarding of a new customer, and a deal whose order was held and released
// (credit-check), through today's code.
func TestCreditAndOnboardingReplay(t *testing.T) {
	for file, wf := range map[string]any{
		// an order held for an overdue invoice, released by finance with terms
		"testdata/credit_hold_released.json": CreditHoldWorkflow,
		// credit-check: the order held, then released into delivery
		"testdata/deal_credit_held_released.json": DealWorkflow,
		// a new customer approved by the sales manager and created in the ERP
		"testdata/customer_onboarding_created.json": OnboardingWorkflow,
	} {
		replay(t, wf, file)
	}
}
