package deal

import (
	"fmt"
	"time"

	"github.com/l2c/l2c/internal/identity"
)

// ActResendOrder (the sales team: salesTeam) sends an order the ERP refused (a customer blocked there, a
// material it does not sell) to the ERP again, once a person has fixed the
// cause in the ERP. The deal's workflow creates it as it created the first
// time: still one ERP order in the end.
const ActResendOrder ActionName = "resend_order"

// OrderRefused reports whether the ERP refused the deal's order and it waits
// for a person to fix the cause and re-send it.
func (d *Deal) OrderRefused() bool {
	return d.Order != nil && d.Order.ERP != nil && d.Order.ERP.Status == ERPOrderRefused
}

// resendOrder puts a refused order back to waiting for the ERP: the workflow
// asks the ERP again (under a new Repeatability-Request-ID, the refusal's
// being spent), and the history keeps what the ERP said the first time.
func resendOrder(next *Deal, _ identity.User, a Action, now time.Time) (string, error) {
	if !next.OrderRefused() {
		status := "no order in the ERP"
		if next.Order != nil && next.Order.ERP != nil {
			status = "the order is " + string(next.Order.ERP.Status) + " in the ERP"
		}
		return "", wrongStage("deal %s has no order the ERP refused (%s): there is nothing to re-send", next.ID, status)
	}
	e := next.Order.ERP
	refused := e.Error
	e.Status, e.Error, e.Since, e.DoneAt, e.Waiting = ERPOrderWaiting, "", now, nil, nil
	e.Resends++
	return orDefault(a.Reason, fmt.Sprintf("order re-sent to the ERP (it had refused it: %s)", refused)), nil
}
