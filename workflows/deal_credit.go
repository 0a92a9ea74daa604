package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/credit"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// CreditCheckChange versions the deal workflow: from version 1 placing an
// order first checks the customer's credit (checkCredit). An order over the
// limit, for a customer with receivables overdue beyond the policy, or for a
// customer blocked in the ERP is recorded but held: the deal stays in the
// order stage and a credit-hold workflow (credit.go) decides; its end moves
// the deal on or leaves the order to be placed again. The version is taken at
// each place_order, so deals already running check their next order.
const CreditCheckChange = "credit-check"

// creditOptions: the check is a short read; a person waits on it.
var creditOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 5 * time.Second},
}

// orderAmount is what the order commits the customer to: the contract's
// amount, else the deal's expected amount.
func (p *dealProcess) orderAmount() money.Amount {
	if p.deal.Contract != nil && p.deal.Contract.Amount > 0 {
		return p.deal.Contract.Amount
	}
	return p.deal.ExpectedAmount
}

// checkCredit checks the order about to be placed; nil when it may go on.
func (p *dealProcess) checkCredit(ctx workflow.Context) (*credit.Decision, error) {
	var a *activities.Credit
	var d credit.Decision
	in := activities.CheckCreditInput{DealID: p.deal.ID, Customer: p.deal.Customer.Code, Amount: p.orderAmount(), At: workflow.Now(ctx)}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, creditOptions), a.CheckCredit, in).Get(ctx, &d); err != nil {
		return nil, fmt.Errorf("credit check: %w", err)
	}
	if !d.Hold {
		return nil, nil
	}
	return &d, nil
}

// creditHoldOf is the hold a failed check puts on the order being placed
// (next): its ID is the deal and the version of that transition.
func creditHoldOf(next deal.Deal, d credit.Decision) deal.CreditHold {
	h := deal.CreditHold{ID: fmt.Sprintf("%s.%d", next.ID, next.Version), Summary: d.Summary(), Exposure: d.Exposure.Total}
	if d.Exposure.Limit != nil {
		l := *d.Exposure.Limit
		h.Limit = &l
	}
	return h
}

// holdForCredit starts the hold the last transition put on the order, and
// applies its end to the deal when it comes.
func (p *dealProcess) holdForCredit(ctx workflow.Context, by identity.User, d credit.Decision) error {
	o := p.deal.Order
	if !o.CreditHeld() {
		return nil
	}
	hold := *o.Credit
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: CreditHoldWorkflowID(hold.ID),
		TaskQueue: TaskQueue, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL})
	child := workflow.ExecuteChildWorkflow(cctx, CreditHoldWorkflow, CreditHoldInput{ID: hold.ID, DealID: p.deal.ID,
		DealTitle: p.deal.Title, Customer: p.deal.Customer.Code, CustomerName: p.deal.Customer.Name, Requester: by,
		Amount: p.orderAmount(), Currency: p.deal.Currency, Decision: d, HeldAt: hold.HeldAt, Excluded: p.subjectPeople()})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return fmt.Errorf("start credit hold %s: %w", hold.ID, err)
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		var st CreditHoldStatus
		if err := child.Get(ctx, &st); err != nil {
			if ctx.Err() == nil {
				workflow.GetLogger(ctx).Error("credit hold failed", "hold", hold.ID, "error", err)
			}
			return
		}
		err := p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
			return deal.SettleCreditHold(d, hold.ID, st.Status == contract.CreditReleased, st.By, st.Note, now)
		})
		if err != nil {
			workflow.GetLogger(ctx).Info("credit hold's end not applied", "hold", hold.ID, "error", err)
		}
	})
	return nil
}
