package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// erpHealthLine finds one entity's line in a GET /api/v1/sync/health answer.
func erpHealthLine(t *testing.T, r reply, entity string) map[string]any {
	t.Helper()
	lines, ok := r.body["entities"].([]any)
	require.True(t, ok, r.raw)
	for _, l := range lines {
		if m := l.(map[string]any); m["entity"] == entity {
			return m
		}
	}
	t.Fatalf("no health line for %s: %s", entity, r.raw)
	return nil
}

func TestERPSyncHealthForAdmins(t *testing.T) {
	s := setup(t)
	for _, tok := range []string{"tok-wang", "tok-sun", "tok-li"} {
		r := s.do("GET", "/api/v1/sync/health", tok, "")
		require.Equal(t, http.StatusForbidden, r.status, "%s: %s", tok, r.raw)
	}
	require.Equal(t, http.StatusUnauthorized, s.do("GET", "/api/v1/sync/health", "", "").status)

	r := s.do("GET", "/api/v1/sync/health", "tok-admin", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Len(t, r.body["entities"], 3)
	line := erpHealthLine(t, r, "payments")
	for _, k := range []string{"last_success_at", "checkpoint_at", "checkpoint_age_s", "rejected_last_run", "stale_after_s", "stale"} {
		require.Contains(t, line, k)
	}

	// The threshold is set with the schedule, and a bad one changes nothing.
	r = s.do("PUT", "/api/v1/sync/schedules/payments", "tok-admin", `{"spec":"*/5 * * * *","stale_after":"90m"}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.EqualValues(t, 5400, r.body["stale_after_s"])
	for _, bad := range []string{`"soon"`, `"10s"`, `"-1h"`, `"1000h"`, `90`} {
		r = s.do("PUT", "/api/v1/sync/schedules/payments", "tok-admin", `{"spec":"@hourly","stale_after":`+bad+`}`)
		require.Contains(t, []int{http.StatusUnprocessableEntity, http.StatusBadRequest}, r.status, "%s: %s", bad, r.raw)
		require.Contains(t, r.raw, "stale_after", bad)
	}
	r = s.do("GET", "/api/v1/sync/health", "tok-admin", "")
	line = erpHealthLine(t, r, "payments")
	require.EqualValues(t, 5400, line["stale_after_s"], "refused changes left the threshold as it was")
	require.Equal(t, "*/5 * * * *", line["spec"], "refused changes left the schedule as it was")
}
