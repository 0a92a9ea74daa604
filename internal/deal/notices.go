package deal

import "fmt"

// Notice is a message to one person about a transition: someone must now act,
// or something they own went wrong.
type Notice struct {
	Recipient string `json:"recipient"` // a user ID, or "role:<role>"
	Subject   string `json:"subject"`
	Body      string `json:"body"`
}

// Notices says who must hear of transition h, which took prev to next: whoever
// the deal now waits on (unless they did it themselves), the sales owner when a
// quote expires or the deal ends, both the delivery and sales owners when a
// delivery is overdue, the delivery owner at each step of a delivery's
// follow-up (and their manager when it is escalated), and the sales and
// delivery owners when the ERP refuses the order. The list is in a fixed order, so replays agree.
func Notices(prev, next Deal, h HistoryEntry) []Notice {
	var out []Notice
	add := func(to, subject string) {
		if to == "" || to == h.Actor {
			return
		}
		for _, n := range out {
			if n.Recipient == to {
				return
			}
		}
		out = append(out, Notice{Recipient: to, Subject: subject,
			Body: fmt.Sprintf("%s (%s) — %s: %s", next.ID, next.Title, next.Stage, h.Reason)})
	}
	switch {
	case h.Action == "expire_quote":
		add(next.Owners.Sales, fmt.Sprintf("Quote for %s expired unanswered", next.ID))
	case h.Action == "delivery_overdue":
		add(next.Owners.Delivery, fmt.Sprintf("Delivery of %s is overdue", next.ID))
		add(next.Owners.Sales, fmt.Sprintf("Delivery of %s is overdue", next.ID))
	case h.Action == string(NoticeReminder):
		add(next.Owners.Delivery, fmt.Sprintf("Delivery of %s is due on %s", next.ID, next.Order.DeliveryDue))
	case h.Action == string(NoticeDueToday):
		add(next.Owners.Delivery, fmt.Sprintf("Delivery of %s is due today", next.ID))
	case h.Action == string(NoticeEscalation):
		add(next.Order.FollowUp.EscalatedTo, fmt.Sprintf("Delivery of %s is late (due %s)", next.ID, next.Order.DeliveryDue))
		add(next.Owners.Delivery, fmt.Sprintf("Delivery of %s is late (due %s)", next.ID, next.Order.DeliveryDue))
	case h.Action == "erp_confirmed" && next.Order.ConfirmedLate():
		add(next.Owners.Delivery, fmt.Sprintf("The ERP confirms %s later than promised", next.ID))
		add(next.Owners.Sales, fmt.Sprintf("The ERP confirms %s later than promised", next.ID))
	case h.Action == "erp_order_refused":
		add(next.Owners.Sales, fmt.Sprintf("The ERP refused the order of %s", next.ID))
		add(next.Owners.Delivery, fmt.Sprintf("The ERP refused the order of %s", next.ID))
	case next.Stage.Terminal():
		add(next.Owners.Sales, fmt.Sprintf("Deal %s is %s", next.ID, next.Stage))
	}
	if next.Holder != prev.Holder || next.Stage != prev.Stage {
		add(next.Holder, fmt.Sprintf("Deal %s waits on you (%s)", next.ID, next.Stage))
	}
	return out
}
