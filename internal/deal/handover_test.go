package deal

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/identity"
)

func handOverTo(t *testing.T, to string) Action {
	t.Helper()
	spec, ok := LookupAction(ActHandOver)
	require.True(t, ok)
	a, err := spec.Action(HandOverPayload{SalesOwner: to}, "")
	require.NoError(t, err)
	return a
}

// TestHandOverRules: a sales manager or an admin hands a deal to another
// sales owner, recorded in its history; the rep does not give their deal
// away, and the new seller may not be the one who delivers or collects it.
func TestHandOverRules(t *testing.T) {
	d := dealControlled(t)
	d = apply(t, d, rep, Action{Name: ActAssignOwners, DeliveryOwner: "zhou", PaymentOwner: "wu", OwnerRoles: dealRoles})
	refuse(t, d, rep, handOverTo(t, "liu"), ErrForbidden)
	refuse(t, d, identity.User{ID: "zhao", Roles: []identity.Role{identity.RoleSalesAssistant}}, handOverTo(t, "liu"), ErrForbidden)
	de := refuse(t, d, boss, handOverTo(t, "zhou"), ErrInvalid)
	require.Equal(t, []string{"sales_owner"}, fields(de))
	de = refuse(t, d, boss, handOverTo(t, ""), ErrInvalid)
	require.Equal(t, []string{"sales_owner"}, fields(de))
	refuse(t, d, boss, handOverTo(t, "wang"), ErrInvalid)

	next, h, err := Apply(d, boss, handOverTo(t, "liu"), d.StageEnteredAt)
	require.NoError(t, err)
	require.Equal(t, "liu", next.Owners.Sales)
	require.Equal(t, d.Stage, next.Stage)
	require.Equal(t, "handed over from wang to liu", h.Reason)
	admin := identity.User{ID: "admin", Roles: []identity.Role{identity.RoleAdmin}}
	_, _, err = Apply(d, admin, handOverTo(t, "liu"), d.StageEnteredAt)
	require.NoError(t, err)
}
