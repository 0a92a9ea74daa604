package api_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/api"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/metrics"
)

// erpScrape reads /metrics with token and returns the body.
func erpScrape(t *testing.T, s *stack, token string) (int, string) {
	t.Helper()
	r := mustSend(t, http.MethodGet, s.url+"/metrics", token, "", nil)
	return r.status, r.raw
}

// /metrics shows every family an operator watches: HTTP latency by route
// pattern, the Temporal SDK's worker metrics, sync rows and failures, the
// outbox, open and overdue approval steps. Only an admin (or the scrape
// token) reads it.
func TestERPMetricsShowEveryFamily(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	// A worker whose client reports to the registry, as `l2c worker` does.
	mc, err := client.NewClientFromExisting(s.tc, client.Options{MetricsHandler: metrics.TemporalHandler()})
	require.NoError(t, err)
	defer mc.Close()
	w := worker.New(mc, "erp-metrics-test", worker.Options{})
	w.RegisterWorkflowWithOptions(func(workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "ERPMetricsNoop"})
	require.NoError(t, w.Start())
	time.Sleep(500 * time.Millisecond)
	w.Stop()
	// A failed sync run and a notification in the outbox, so their figures are not all zero.
	_, err = s.db.SyncRunClaim(ctx, database.SyncRun{ID: "sync/invoices/erp-metrics", Entity: "invoices", Trigger: "manual"})
	require.NoError(t, err)
	require.NoError(t, s.db.SyncRunAttemptFailed(ctx, "sync/invoices/erp-metrics", "attempt 1: ERP unavailable"))
	require.NoError(t, s.db.SyncRunFinish(ctx, database.SyncRun{ID: "sync/invoices/erp-metrics", Entity: "invoices",
		Status: database.SyncFailed, Error: "ERP unavailable"}))
	s.do("GET", "/api/v1/deals/", "tok-wang", "")
	s.do("GET", "/api/v1/deals/D-NOPE-1", "tok-wang", "")

	for _, tok := range []string{"", "tok-wang", "tok-sun", "tok-li"} {
		status, body := erpScrape(t, s, tok)
		require.Contains(t, []int{401, 403}, status, "%q: %s", tok, body)
		require.NotContains(t, body, "l2c_http_request_duration_seconds")
	}
	status, body := erpScrape(t, s, "tok-admin")
	require.Equal(t, http.StatusOK, status, body)
	for _, family := range []string{
		`l2c_http_request_duration_seconds_bucket{method="GET",route="/api/v1/deals/{id}",status="404"`,
		`l2c_http_request_duration_seconds_count{method="GET",route="/api/v1/deals",status="200"}`,
		"temporal_worker_start", "temporal_request", "temporal_poller_start",
		`l2c_sync_rows_total{entity="invoices",outcome="inserted"}`,
		`l2c_sync_runs_total{entity="invoices",status="failed"}`,
		`l2c_sync_failed_attempts_total{entity="invoices"}`,
		`l2c_sync_stale{entity="customers"}`,
		`l2c_outbox_notifications{state="pending"}`, `l2c_outbox_notifications{state="failed"}`,
		"l2c_approval_steps_open ", "l2c_approval_steps_overdue ", "l2c_metrics_database_up 1",
	} {
		if !strings.Contains(body, family) {
			t.Errorf("/metrics has no %s", family)
		}
	}
	require.NotContains(t, body, "D-NOPE-1", "routes are patterns, not paths")
}

// The OpenAPI document is valid OpenAPI 3.1 and says exactly what the router
// serves: every route documented, every documented route served.
func TestERPOpenAPIMatchesTheRouter(t *testing.T) {
	s := setup(t)
	r := s.do("GET", "/api/v1/openapi.json", "tok-wang", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(r.raw))
	require.NoError(t, err)
	require.Equal(t, "3.1", doc.OpenAPIMajorMinor(), "version %s", doc.OpenAPI)
	require.NoError(t, doc.Validate(context.Background()))

	router := api.NewRouter(api.Deps{Log: discard()}).(chi.Routes)
	param := regexp.MustCompile(`\{[^}]*\}|\*`)
	norm := func(method, path string) string {
		return strings.ToUpper(method) + " " + param.ReplaceAllString(path, "{}")
	}
	served := map[string]bool{}
	require.NoError(t, chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served[norm(method, route)] = true
		return nil
	}))
	documented, optional := map[string]bool{}, map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			k := norm(method, path)
			documented[k] = true
			if _, ok := op.Extensions["x-l2c-optional"]; ok {
				optional[k] = true
			}
		}
	}
	var undocumented, unserved []string
	for k := range served {
		if !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if !served[k] && !optional[k] {
			unserved = append(unserved, k)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unserved)
	require.Empty(t, undocumented, "routes the router serves that api/openapi.json does not document (add them):\n%s",
		strings.Join(undocumented, "\n"))
	require.Empty(t, unserved, "operations api/openapi.json documents that the router does not serve (remove or mark x-l2c-optional):\n%s",
		strings.Join(unserved, "\n"))
}
