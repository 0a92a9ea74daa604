package deal

import (
	"fmt"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/identity"
)

// ActHandOver moves a deal to another sales owner: when a rep leaves or is
// disabled, their open deals go with their customers to a named successor
// (internal/ownership, POST /api/v1/ownership/handovers), one audited
// transition per deal.
const ActHandOver ActionName = "hand_over"

// HandOverPayload names the deal's new sales owner.
type HandOverPayload struct {
	SalesOwner string `json:"sales_owner,omitempty"`
}

// People: the new sales owner.
func (p HandOverPayload) People() map[string]string {
	return map[string]string{"sales_owner": p.SalesOwner}
}

// handingOver: a sales manager or an admin moves deals between reps; the
// rep themself does not give their deals away.
func handingOver(d *Deal, by identity.User) error {
	if by.Has(identity.RoleSalesManager, identity.RoleAdmin) {
		return nil
	}
	return forbidden("only a sales manager or an admin may hand a deal to another sales owner")
}

func handOver(next *Deal, _ identity.User, a Action, p HandOverPayload, _ time.Time) (string, error) {
	to := strings.TrimSpace(p.SalesOwner)
	switch {
	case to == "":
		return "", badField("sales_owner", "is required: whom to hand the deal to")
	case to == next.Owners.Sales:
		return "", badField("sales_owner", "%s sells this deal already", to)
	case to == next.Owners.Delivery || to == next.Owners.Payment:
		// Segregation of duties: whoever sells a deal does not deliver or collect it.
		return "", badField("sales_owner", "%s delivers or collects this deal and cannot also sell it", to)
	}
	from := next.Owners.Sales
	next.Owners.Sales = to
	return orDefault(a.Reason, fmt.Sprintf("handed over from %s to %s", from, to)), nil
}
