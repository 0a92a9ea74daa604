package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The sync's health is a page too, for administrators only.
func TestERPSyncHealthPage(t *testing.T) {
	s := setup(t)
	res := newBrowser(t, s.url).do("GET", "/sync/health", "", "")
	require.Equal(t, http.StatusSeeOther, res.status, "anonymous: to the login")
	for _, u := range []string{"wang", "sun", "li"} {
		res = pagesSession(t, s, u).do("GET", "/sync/health", "", "")
		require.Equal(t, http.StatusForbidden, res.status, "%s: %s", u, res.body)
		require.NotContains(t, res.body, "payments")
	}
	// The health is the sync page's (/sync); its first address still works.
	admin := pagesSession(t, s, "admin")
	admin.lang = "en"
	for _, path := range []string{"/sync/health", "/sync"} {
		res = admin.do("GET", path, "", "")
		require.Equal(t, http.StatusOK, res.status, res.body)
		for _, want := range []string{"Customers", "Invoices", "Payments", "Last success", "Checkpoint", "Rejected"} {
			require.Contains(t, res.body, want)
		}
	}
}
