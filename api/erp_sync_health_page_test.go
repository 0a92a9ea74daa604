package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// erpSessionBrowser is a browser logged in as user (a session opened directly).
func erpSessionBrowser(t *testing.T, s *stack, user string) *browser {
	t.Helper()
	b := newBrowser(t, s.url)
	secret := "erp-health-page-" + user + time.Now().Format("150405.000000")
	_, err := s.db.SessionCreate(context.Background(), user, secret, "password", "", "", time.Now(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	b.cookies["__Host-l2c_session"] = secret
	return b
}

// The sync's health is a page too, for administrators only.
func TestERPSyncHealthPage(t *testing.T) {
	s := setup(t)
	res := newBrowser(t, s.url).do("GET", "/sync/health", "", "")
	require.Equal(t, http.StatusSeeOther, res.status, "anonymous: to the login")
	for _, u := range []string{"wang", "sun", "li"} {
		res = erpSessionBrowser(t, s, u).do("GET", "/sync/health", "", "")
		require.Equal(t, http.StatusForbidden, res.status, "%s: %s", u, res.body)
		require.NotContains(t, res.body, "payments")
	}
	// The health is the sync page's (/sync); its first address still works.
	admin := erpSessionBrowser(t, s, "admin")
	admin.lang = "en"
	for _, path := range []string{"/sync/health", "/sync"} {
		res = admin.do("GET", path, "", "")
		require.Equal(t, http.StatusOK, res.status, res.body)
		for _, want := range []string{"Customers", "Invoices", "Payments", "Last success", "Checkpoint", "Rejected"} {
			require.Contains(t, res.body, want)
		}
	}
}
