package approval

import (
	"fmt"
	"strings"
)

// Notice is a message to one person about a case.
type Notice struct {
	Recipient string `json:"recipient"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
}

// Notices says who hears of an event on a case that took it from prev to next:
// "entered" (new steps wait on their approvers), "reminder" (the SLA is near),
// "delegated", "returned", "approved" or "withdrawn" (the requester hears).
func Notices(prev, next Case, event string) []Notice {
	var out []Notice
	tell := func(to, subject, body string) {
		for _, n := range out {
			if n.Recipient == to {
				return
			}
		}
		out = append(out, Notice{to, subject, fmt.Sprintf("%s (%s): %s", next.Title, next.ID, body)})
	}
	switch event {
	case "entered", "delegated":
		for _, s := range newHolders(prev, next) {
			due := ""
			if s.DueAt != nil {
				due = ", due " + s.DueAt.Format("2006-01-02 15:04 MST")
			}
			body := fmt.Sprintf("stage %s waits on you%s", s.Stage, due)
			if len(s.Changes) > 0 {
				body += "; changed since the last round: " + describe(s.Changes)
			}
			tell(s.Approver, fmt.Sprintf("Review %s waits on you", next.ID), body)
		}
	case "reminder":
		for _, s := range next.Pending() {
			tell(s.Approver, fmt.Sprintf("Reminder: review %s is due soon", next.ID),
				fmt.Sprintf("stage %s is due %s", s.Stage, s.DueAt.Format("2006-01-02 15:04 MST")))
		}
	case "returned":
		last := lastRejection(next)
		tell(next.Requester, fmt.Sprintf("Review %s was returned", next.ID),
			fmt.Sprintf("%s rejected stage %s: %s", last.DecidedBy, last.Stage, last.Note))
	case "approved", "withdrawn":
		tell(next.Requester, fmt.Sprintf("Review %s is %s", next.ID, next.Status), "round "+fmt.Sprint(next.Round))
	}
	return out
}

// EscalationNotices tells each overdue holder's manager, and whoever the step
// was handed to.
func EscalationNotices(prev, next Case, managers map[string]string) []Notice {
	var out []Notice
	for _, s := range prev.Pending() {
		m := managers[s.Approver]
		if m == "" {
			continue
		}
		out = append(out, Notice{m, fmt.Sprintf("Review %s is overdue", next.ID),
			fmt.Sprintf("%s (%s): stage %s has waited on %s past its SLA (due %s)", next.Title, next.ID, s.Stage,
				s.Approver, s.DueAt.Format("2006-01-02 15:04 MST"))})
	}
	return out
}

func newHolders(prev, next Case) []Step {
	held := map[string]bool{}
	for _, s := range prev.Pending() {
		held[s.ID+"/"+s.Approver] = true
	}
	var out []Step
	for _, s := range next.Pending() {
		if !held[s.ID+"/"+s.Approver] {
			out = append(out, s)
		}
	}
	return out
}

func lastRejection(c Case) Step {
	for i := len(c.Steps) - 1; i >= 0; i-- {
		if c.Steps[i].Status == StepRejected {
			return c.Steps[i]
		}
	}
	return Step{}
}

func describe(changes []Change) string {
	parts := make([]string, len(changes))
	for i, ch := range changes {
		parts[i] = fmt.Sprintf("%s %q → %q", ch.Field, ch.Before, ch.After)
	}
	return strings.Join(parts, ", ")
}
