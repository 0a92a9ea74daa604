package api

import (
	"crypto/subtle"
	_ "embed"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/l2c/l2c/internal/database"
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

// syncHealthPage shows the sync's health lines to an administrator, as GET
// /api/v1/sync/health does.
func (p pages) syncHealthPage(w http.ResponseWriter, r *http.Request, d pageData) {
	w.Header().Set("Content-Security-Policy", pageCSP)
	d.Title = "ERP sync health"
	page := struct {
		pageData
		Health []database.SyncHealth
		Stale  int
	}{pageData: d}
	status := http.StatusOK
	if !d.User.Has(identity.RoleAdmin) {
		page.Error, status = "only an administrator may see the ERP sync", http.StatusForbidden
	} else if hs, err := p.DB.SyncHealthList(r.Context(), p.Now()); err != nil {
		p.Log.ErrorContext(r.Context(), "sync health page", "err", err)
		page.Error, status = "the sync's health could not be read; try again", http.StatusServiceUnavailable
	} else {
		page.Health = hs
		for _, h := range hs {
			if h.Stale {
				page.Stale++
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTemplates.ExecuteTemplate(w, "sync_health.html", page); err != nil {
		p.Log.Error("render page", "page", "sync_health.html", "err", err)
	}
}
