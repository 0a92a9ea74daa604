// Package api is l2c's HTTP interface: a JSON API under /api/v1 and health
// probes. Handlers parse, check who is asking, call the workflow or the
// database, and render; errors become RFC 9457 problem details in one place.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// Deps is what the API needs from the rest of l2c.
type Deps struct {
	DB       *database.DB
	Temporal client.Client
	// Location is the company's time zone: dates in requests end at midnight here.
	Location *time.Location
	Log      *slog.Logger
	// Now is the clock; tests may replace it. Defaults to time.Now.
	Now func() time.Time
	// Audit chains the audit trail's entries (keyed from L2C_AUDIT_KEY).
	Audit audit.Chain
	// Orders looks up the sales orders a person names (place_order's
	// erp_order_no) in the ERP; nil when no ERP that can is configured, and
	// then such an order number is refused, since it cannot be checked.
	Orders OrderChecker
	// Limits caps request rates; NewRouter fills in defaults.
	Limits Limits
	// Sessions configures logins to the pages; NewRouter fills in defaults.
	Sessions Sessions
	// AuditCheckpoints is the file of signed checkpoints of the audit trail
	// (L2C_AUDIT_CHECKPOINT_FILE); GET /api/v1/audit/verify holds the trail
	// against it when set.
	AuditCheckpoints string
	// BigDeals is what My work shows management as a big deal signed
	// recently; NewRouter fills in defaults (100,000.00 in 10 days).
	BigDeals BigDeals
	// MetricsToken, when set, lets Prometheus scrape /metrics with it as a
	// bearer token (otherwise only administrators may).
	MetricsToken string
	// queue serialises requests on one deal or case (see keyedLocks).
	queue *keyedLocks
	// importing holds a slot per import running on this replica.
	importing chan struct{}
}

// BigDeals are contracts of at least Amount signed in the last Days days.
type BigDeals struct {
	Amount money.Amount
	Days   int
}

// OrderChecker reads a sales order from the ERP (connectors.OrderReader).
type OrderChecker interface {
	ReadSalesOrder(ctx context.Context, number string) (connectors.SalesOrder, error)
}

// Limits are the API's rate limits, in requests a second with a burst.
type Limits struct {
	PerIP, PerUser *limiter
	// Logins limits password attempts, in PostgreSQL for all replicas (see
	// passwordLogin).
	Logins LoginLimits
	// Imports is how many imports one replica runs at once; the next is told
	// to retry (429) before its upload is read. 0: 2.
	Imports int
}

// LoginLimits are the buckets a password attempt spends from, each Burst
// attempts refilled one every Every.
type LoginLimits struct {
	// PerAddress: from one address, whichever users it tries.
	PerAddress Rate
	// PerUserAddress: for one user from one address, the limit someone
	// guessing from elsewhere cannot use up for the user.
	PerUserAddress Rate
	// PerUser: the ceiling for one user from browsers they have not logged in
	// from before, across every address.
	PerUser Rate
	// PerDevice: for one user from a browser they logged in from before (it
	// holds a signed device cookie), instead of the two above.
	PerDevice Rate
}

// Rate is a token bucket: Burst at once, then one every Every.
type Rate struct {
	Burst float64
	Every time.Duration
}

// DefaultLoginLimits: 30 attempts from an address then one every 2 s; 5 for a
// user from an address (or from a known browser) then one every 12 s; 50 for a
// user from unknown browsers overall, then one every 12 s.
var DefaultLoginLimits = LoginLimits{
	PerAddress:     Rate{Burst: 30, Every: 2 * time.Second},
	PerUserAddress: Rate{Burst: 5, Every: 12 * time.Second},
	PerUser:        Rate{Burst: 50, Every: 12 * time.Second},
	PerDevice:      Rate{Burst: 5, Every: 12 * time.Second},
}

// NewLimits makes the limits: perIP failed authentications a second from one
// address, perUser requests a second from one user; each with bursts of 4×.
// Password attempts are limited by DefaultLoginLimits.
func NewLimits(perIP, perUser float64) Limits {
	return Limits{PerIP: newLimiter(perIP, 4*perIP, time.Now), PerUser: newLimiter(perUser, 4*perUser, time.Now),
		Logins: DefaultLoginLimits}
}

// NewRouter returns the whole HTTP surface.
func NewRouter(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	d.queue = &keyedLocks{}
	d.Temporal = signing(d.Temporal, d.Audit)
	if d.Limits.PerIP == nil || d.Limits.PerUser == nil {
		logins, imports := d.Limits.Logins, d.Limits.Imports
		d.Limits = NewLimits(50, 20)
		d.Limits.Imports = imports
		if logins != (LoginLimits{}) {
			d.Limits.Logins = logins
		}
	}
	if d.Limits.Logins == (LoginLimits{}) {
		d.Limits.Logins = DefaultLoginLimits
	}
	if d.Limits.Imports <= 0 {
		d.Limits.Imports = 2
	}
	d.importing = make(chan struct{}, d.Limits.Imports)
	d.Sessions.defaults()
	if d.BigDeals.Amount <= 0 {
		d.BigDeals.Amount = 100000_00
	}
	if d.BigDeals.Days <= 0 {
		d.BigDeals.Days = 10
	}
	r := chi.NewRouter()
	r.Use(httpMetrics, middleware.RequestID, requestLog(d.Log), middleware.Recoverer, securityHeaders, middleware.Timeout(30*time.Second))

	h := health{db: d.DB, temporal: d.Temporal}
	r.Get("/healthz", h.live)
	r.Get("/readyz", handle(d.Log, h.ready))
	r.Method(http.MethodGet, "/metrics", d.metricsEndpoint())

	pages{d}.Routes(r)
	r.Mount("/auth", d.authRoutes())
	r.Route("/api/v1", d.apiRoutes)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem(http.StatusNotFound, probNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem(http.StatusMethodNotAllowed, probMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path))
	})
	return r
}

// handlerFunc is an HTTP handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// bodyFor is the caller and the request's JSON body, for a caller that may
// (else 403 why, the body unread).
func bodyFor[T any](w http.ResponseWriter, r *http.Request, may func(identity.User) bool, why string) (identity.User, T, error) {
	var body T
	me := actor(r)
	if !may(me) {
		return me, body, problem(http.StatusForbidden, probForbidden, why)
	}
	return me, body, decodeJSON(w, r, &body)
}

// hasRole is whether a user has one of roles (for bodyFor).
func hasRole(roles ...identity.Role) func(identity.User) bool {
	return func(u identity.User) bool { return u.Has(roles...) }
}

// handle adapts a handlerFunc: a returned error becomes a problem response.
func handle(log *slog.Logger, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeProblem(w, r, asProblem(err, log, r))
		}
	}
}

// requestLog logs each request once it is done, with its status and duration.
func requestLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			log.LogAttrs(r.Context(), slog.LevelInfo, "http",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", ww.Status()), slog.Duration("took", time.Since(start)),
				slog.String("request_id", middleware.GetReqID(r.Context())))
		})
	}
}

type health struct {
	db       *database.DB
	temporal client.Client
}

// live answers as long as the process serves HTTP.
func (health) live(w http.ResponseWriter, _ *http.Request) {
	_ = writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready answers 200 only when PostgreSQL and Temporal both answer.
func (h health) ready(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.db.Ping(ctx); err != nil {
		return problem(http.StatusServiceUnavailable, probNotReady, "PostgreSQL does not answer")
	}
	if _, err := h.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return problem(http.StatusServiceUnavailable, probNotReady, "Temporal does not answer")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
