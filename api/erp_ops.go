package api

import (
	"crypto/subtle"
	_ "embed"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/metrics"
)

// Operations: Prometheus metrics and the OpenAPI document.

// httpMetrics records every request's latency by method, route pattern and
// status. The pattern (/api/v1/deals/{id}), not the path, keeps the number
// of series bounded whatever IDs are asked for.
func httpMetrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" {
				route = strings.ReplaceAll(p, "/*/", "/")
			}
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		metrics.ObserveHTTP(r.Method, route, status, time.Since(start))
	})
}

// metricsEndpoint serves /metrics to Prometheus: with the scrape token
// (L2C_METRICS_TOKEN, as "Authorization: Bearer …"), or to an administrator's
// API token or session. The figures say how busy and how stuck the business
// is, which is not for everyone.
func (d Deps) metricsEndpoint() http.Handler {
	serve := metrics.Handler(d.DB)
	authed := authenticate(d)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !actor(r).Has(identity.RoleAdmin) {
			writeProblem(w, r, problem(http.StatusForbidden, probForbidden, "only an administrator or the scrape token may read the metrics"))
			return
		}
		serve.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && d.MetricsToken != "" &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(d.MetricsToken)) == 1 {
			serve.ServeHTTP(w, r)
			return
		}
		authed.ServeHTTP(w, r)
	})
}

//go:embed openapi.json
var openAPIDocument []byte

// openAPI serves the OpenAPI 3.1 description of /api/v1 (api/openapi.json,
// kept true by TestERPOpenAPIMatchesTheRouter).
func openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIDocument)
}
