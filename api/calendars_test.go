package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/api"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// TestCalendarsAPI needs only PostgreSQL: the calendar endpoints never touch
// Temporal, so it runs its own router rather than the shared stack.
func TestCalendarsAPI(t *testing.T) {
	db := testenv.OpenDB(t)
	testenv.AddUsers(t, db, identity.User{ID: "cal-admin", Name: "Admin", Roles: []identity.Role{identity.RoleAdmin}},
		identity.User{ID: "cal-rep", Name: "Rep", Roles: []identity.Role{identity.RoleSales}})
	// Calendar edits are audited: with the key of the package's one trail.
	chain := testenv.AuditChain(t)
	srv := httptest.NewServer(api.NewRouter(api.Deps{DB: db, Audit: chain, Log: discard()}))
	t.Cleanup(srv.Close)

	call := func(method, path, token, body string) (int, map[string]any) {
		t.Helper()
		r := mustSend(t, method, srv.URL+path, token, "application/json", strings.NewReader(body))
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.raw), &out))
		return r.status, out
	}

	status, body := call("GET", "/api/v1/calendars/default", "tok-cal-rep", "")
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, "Asia/Shanghai", body["time_zone"])
	require.Contains(t, body["days"], map[string]any{"date": "2026-02-14", "kind": "workday", "name": "春节调休上班"})

	status, _ = call("GET", "/api/v1/calendars/nope", "tok-cal-rep", "")
	require.Equal(t, http.StatusNotFound, status)

	plant := `{"name":"Plant 2","time_zone":"Asia/Shanghai","weekdays":["mon","tue","wed","thu","fri","sat"],
		"hours":[{"start":"08:00","end":"12:00"},{"start":"13:00","end":"17:00"}],
		"days":[{"date":"2026-10-01","kind":"holiday","name":"国庆节"}]}`
	status, body = call("PUT", "/api/v1/calendars/api-plant", "tok-cal-rep", plant)
	require.Equal(t, http.StatusForbidden, status, body)
	status, _ = call("GET", "/api/v1/calendars/api-plant", "tok-cal-admin", "")
	require.Equal(t, http.StatusNotFound, status, "a refused PUT saves nothing")

	status, body = call("PUT", "/api/v1/calendars/api-plant", "tok-cal-admin", plant)
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, "api-plant", body["id"])
	require.Equal(t, []any{"mon", "tue", "wed", "thu", "fri", "sat"}, body["weekdays"])

	bad := `{"time_zone":"Asia/Shanghia","weekdays":["mon"],"hours":[{"start":"09:00","end":"12:00"},{"start":"11:00","end":"18:00"}],
		"days":[{"date":"2026-10-10","kind":"workday"},{"date":"2026-10-10","kind":"holiday"}]}`
	status, body = call("PUT", "/api/v1/calendars/api-plant", "tok-cal-admin", bad)
	require.Equal(t, http.StatusUnprocessableEntity, status, body)
	require.Equal(t, "/problems/invalid", body["type"])
	var fields []string
	for _, e := range body["errors"].([]any) {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	require.Equal(t, []string{"time_zone", "hours[1]", "days[1].date"}, fields)

	status, body = call("PUT", "/api/v1/calendars/api-plant", "tok-cal-admin", `{"id":"other","time_zone":"UTC"}`)
	require.Equal(t, http.StatusUnprocessableEntity, status, body)
	status, body = call("PUT", "/api/v1/calendars/api-plant", "tok-cal-admin", `{"weekdays":"mon"}`)
	require.Equal(t, http.StatusBadRequest, status, body)
	require.Equal(t, "weekdays", body["errors"].([]any)[0].(map[string]any)["field"])

	status, body = call("GET", "/api/v1/calendars/api-plant", "tok-cal-rep", "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Plant 2", body["name"], "rejected PUTs changed nothing")
	require.Len(t, body["days"], 1)
}
