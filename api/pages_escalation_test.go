package api_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/identity"
)

// TestPageEscalatesPastADisabledManager: the deal page's "now waiting" line
// names whom the review escalates to as the workflow climbs: he's manager
// pe-off is a disabled account, so it is pe-off's manager, pe-up.
func TestPageEscalatesPastADisabledManager(t *testing.T) {
	s := setup(t)
	s.addUsers(teamUser{identity.User{ID: "pe-up", Name: "Pe Up", Roles: []identity.Role{identity.RoleDelivery}}, ""},
		teamUser{identity.User{ID: "pe-off", Name: "Pe Off", Roles: []identity.Role{identity.RoleDelivery}}, "pe-up"})
	authExec(t, `UPDATE users SET disabled = (id = 'pe-off') WHERE id LIKE 'pe-%'; UPDATE users SET manager_id = 'pe-off' WHERE id = 'he'`)
	t.Cleanup(func() { authExec(t, `UPDATE users SET manager_id = NULL WHERE id = 'he'`) })
	id, _ := s.inContractReview(`"contract_no":"HT-PE","amount":"100"`)
	line := regexp.MustCompile(`(?s)<p class="waiting[^"]*" role="status">.*?</p>`).FindString(
		pagesSession(t, s, "li").do("GET", "/deals/"+id, "", "").body)
	require.Contains(t, line, "之后升级至 Pe Up", line)
	require.NotContains(t, line, "Pe Off", "the disabled manager is passed over")
}
