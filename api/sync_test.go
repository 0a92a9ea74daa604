package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSyncAdministrationIsForAdmins(t *testing.T) {
	s := setup(t)
	for _, ep := range []struct{ method, path, body string }{
		{"GET", "/api/v1/sync/schedules", ""},
		{"PUT", "/api/v1/sync/schedules/customers", `{"spec":"@hourly"}`},
		{"POST", "/api/v1/sync/customers/run", ""},
		{"GET", "/api/v1/sync/runs", ""},
		{"GET", "/api/v1/sync/runs/sync/customers/x", ""},
	} {
		r := s.do(ep.method, ep.path, "tok-wang", ep.body)
		require.Equal(t, http.StatusForbidden, r.status, "%s %s: %s", ep.method, ep.path, r.raw)
		r = s.do(ep.method, ep.path, "", ep.body)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s %s", ep.method, ep.path)
	}
}

func TestSyncSchedulesAndRuns(t *testing.T) {
	s := setup(t)
	r := s.do("GET", "/api/v1/sync/schedules", "tok-admin", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Len(t, r.body["schedules"], 3)

	r = s.do("PUT", "/api/v1/sync/schedules/invoices", "tok-admin", `{"spec":"every five minutes"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, r.raw)
	require.Contains(t, r.raw, `"field":"spec"`)
	r = s.do("PUT", "/api/v1/sync/schedules/suppliers", "tok-admin", `{"spec":"@hourly"}`)
	require.Equal(t, http.StatusNotFound, r.status, r.raw)
	r = s.do("PUT", "/api/v1/sync/schedules/invoices", "tok-admin", `{"spec":"*/10 * * * *","enabled":false}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Equal(t, "*/10 * * * *", r.body["spec"])
	require.Equal(t, false, r.body["enabled"])
	require.Equal(t, "admin", r.body["updated_by"])

	// Run now: the run is started (no worker here runs it) and can be looked up.
	r = s.do("POST", "/api/v1/sync/payments/run", "tok-admin", "")
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	id := r.body["id"].(string)
	require.True(t, strings.HasPrefix(id, "sync/payments/manual-"), id)
	require.Equal(t, "/api/v1/sync/runs/"+id, r.header.Get("Location"))

	r = s.do("GET", "/api/v1/sync/runs?entity=payments&limit=5", "tok-admin", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	r = s.do("GET", "/api/v1/sync/runs?limit=0", "tok-admin", "")
	require.Equal(t, http.StatusUnprocessableEntity, r.status, r.raw)
	r = s.do("GET", "/api/v1/sync/runs/sync/customers/never", "tok-admin", "")
	require.Equal(t, http.StatusNotFound, r.status, r.raw)
	r = s.do("POST", "/api/v1/sync/suppliers/run", "tok-admin", "")
	require.Equal(t, http.StatusNotFound, r.status, r.raw)
}
