package deal

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/l2c/l2c/internal/identity"
)

// ActResendOrder (the sales team: salesTeam) sends an order the ERP refused
// (a customer blocked there, a material it does not sell) to the ERP again,
// once a person has fixed the cause: in the ERP, or on the order's lines
// (a material's number corrected). The deal's workflow creates it as it
// created the first time: still one ERP order in the end.
const ActResendOrder ActionName = "resend_order"

// ResendOrderPayload is what a re-send may correct: the material of order
// lines, by line number (1 is the first), when the ERP refused the one the
// quote named. Quantities and prices stay as contracted.
type ResendOrderPayload struct {
	Lines []MaterialFix `json:"lines,omitempty"`
}

// MaterialFix names the material the ERP knows for an order line.
type MaterialFix struct {
	Line int    `json:"line"`
	SKU  string `json:"sku"`
}

// maxMaterial is the longest material number an ERP takes (SAP's 40).
const maxMaterial = 40

// OrderRefused reports whether the ERP refused the deal's order and it waits
// for a person to fix the cause and re-send it.
func (d *Deal) OrderRefused() bool {
	return d.Order != nil && d.Order.ERP != nil && d.Order.ERP.Status == ERPOrderRefused
}

// resendOrder puts a refused order back to waiting for the ERP, with the
// materials corrected: the workflow asks the ERP again (under a new
// Repeatability-Request-ID, the refusal's being spent), and the history keeps
// what the ERP said the first time.
func resendOrder(next *Deal, _ identity.User, a Action, p ResendOrderPayload, now time.Time) (string, error) {
	if !next.OrderRefused() {
		status := "no order in the ERP"
		if next.Order != nil && next.Order.ERP != nil {
			status = "the order is " + string(next.Order.ERP.Status) + " in the ERP"
		}
		return "", wrongStage("deal %s has no order the ERP refused (%s): there is nothing to re-send", next.ID, status)
	}
	o := next.Order
	var fe fieldErrors
	seen := map[int]bool{}
	for i, f := range p.Lines {
		field := fmt.Sprintf("lines[%d]", i)
		sku := strings.TrimSpace(f.SKU)
		switch {
		case f.Line < 1 || f.Line > len(o.Lines):
			fe.Add(field+".line", "%d is not a line of the order (1 to %d)", f.Line, len(o.Lines))
		case seen[f.Line]:
			fe.Add(field+".line", "line %d is corrected twice", f.Line)
		case sku == "" || utf8.RuneCountInString(sku) > maxMaterial:
			fe.Add(field+".sku", "is required: the material number the ERP knows, at most %d characters", maxMaterial)
		}
		seen[f.Line] = true
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	e := o.ERP
	reason := orDefault(a.Reason, fmt.Sprintf("order re-sent to the ERP (it had refused it: %s)", e.Error))
	for _, f := range p.Lines {
		l := &o.Lines[f.Line-1]
		reason += fmt.Sprintf("; line %d material %s corrected to %s", f.Line, l.SKU, strings.TrimSpace(f.SKU))
		l.SKU = strings.TrimSpace(f.SKU)
	}
	e.Status, e.Error, e.Since, e.DoneAt, e.Waiting = ERPOrderWaiting, "", now, nil, nil
	e.Resends++
	return reason, nil
}
