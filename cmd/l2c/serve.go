package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/api"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/metrics"
	"github.com/l2c/l2c/internal/notify"
	"github.com/l2c/l2c/internal/wiring"
	"github.com/l2c/l2c/workflows"
)

// sessions configures logins to the pages, with SSO when an issuer is set.
func sessions(cfg config.Config) api.Sessions {
	s := api.Sessions{TTL: cfg.SessionTTL, Idle: cfg.SessionIdle}
	if o := cfg.OIDC; o.Issuer != "" {
		s.OIDC = &api.OIDC{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: o.RedirectURL}
	}
	return s
}

// runServe runs the HTTP API until ctx is cancelled, then drains in-flight
// requests for up to 15 seconds.
func runServe(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	chain, db, tc, err := connectAudited(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	defer tc.Close()

	// Checkpoints of the audit trail's head, outside the database; the last
	// one at shutdown, before db.Close.
	if cfg.AuditCheckpointFile == "" && !cfg.Dev {
		log.Warn("L2C_AUDIT_CHECKPOINT_FILE is not set: audit checkpoints go to the log only")
	}
	cctx, stopCheckpoints := context.WithCancel(ctx)
	checkpointsDone := make(chan struct{})
	go func() { defer close(checkpointsDone); checkpointEvery(cctx, cfg, db, chain, log) }()
	defer func() { stopCheckpoints(); <-checkpointsDone }()

	// Every replica delivers queued notifications; SKIP LOCKED shares the work.
	ncfg, err := notify.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	dctx, stopDispatcher := context.WithCancel(ctx)
	dispatcherDone := make(chan struct{})
	go func() { defer close(dispatcherDone); _ = ncfg.Dispatcher(db, log).Run(dctx) }()
	// Runs before db.Close (deferred earlier): the last batch commits first.
	defer func() { stopDispatcher(); <-dispatcherDone }()

	runScheduler(ctx, cfg, db, tc, log)
	orders, err := orderChecker(cfg, log)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr: cfg.HTTPAddr,
		Handler: api.NewRouter(api.Deps{DB: db, Temporal: tc, Location: cfg.Location, Log: log, Audit: chain,
			AuditCheckpoints: cfg.AuditCheckpointFile, Sessions: sessions(cfg), Orders: orders,
			MetricsToken: os.Getenv("L2C_METRICS_TOKEN"), BigDeals: api.BigDeals{Amount: cfg.BigDealAmount, Days: cfg.BigDealDays},
			Limits: api.Limits{Imports: cfg.ImportsAtOnce}}),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	log.Info("serving", "addr", cfg.HTTPAddr)
	return serveUntil(ctx, srv, func() error {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, srv.ListenAndServe())
	}, 15*time.Second)
}

// serveUntil runs serve (srv's Serve or ListenAndServe) until ctx ends, then
// gives requests in flight up to grace to finish: the one way `serve` and
// `erpsim` stop. serve's error, which it returns only when it could not
// listen or stopped serving, ends it at once.
func serveUntil(ctx context.Context, srv *http.Server, serve func() error, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// runWorker runs the Temporal worker until ctx is cancelled.
func runWorker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	// The worker's activities append to the audit trail too: same key, same rules.
	chain, db, tc, err := connectAudited(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	defer tc.Close()

	w := worker.New(tc, workflows.TaskQueue, worker.Options{})
	sod, err := ruleEditWindow(os.Getenv("L2C_SOD_WINDOW"))
	if err != nil {
		return err
	}
	erp, err := erpActivities(cfg, db, tc, log)
	if err != nil {
		return err
	}
	wiring.Register(w, wiring.Deps{DB: db, Log: log, Audit: chain, RuleEditWindow: sod, Calendar: workingCalendar(db), ERP: erp,
		CreditPolicy: cfg.CreditPolicy, Location: cfg.Location, CreditReleaseDays: cfg.CreditReleaseDays,
		Deliveries: &activities.Deliveries{Grace: cfg.DeliveryGrace, ShipmentPoll: cfg.ShipmentPoll}})
	serveWorkerMetrics(ctx, db, log)
	log.Info("worker started", "task_queue", workflows.TaskQueue)
	return w.Run(interruptOn(ctx))
}

// workingCalendar reads the company calendar SLAs are counted on, falling back
// to mainland China's when none is stored.
func workingCalendar(db *database.DB) func(context.Context) (activities.WorkingTime, error) {
	return func(ctx context.Context) (activities.WorkingTime, error) {
		c, err := db.CalendarGet(ctx, calendar.DefaultID)
		if errors.Is(err, database.ErrNotFound) {
			return calendar.China(), nil
		}
		if err != nil {
			return nil, err // not a nil *Calendar inside the interface
		}
		return c, nil
	}
}

// ruleEditWindow reads L2C_SOD_WINDOW: how long an admin who edited a kind's
// routing rules may not approve that kind ("0" turns the check off).
func ruleEditWindow(s string) (time.Duration, error) {
	if s == "" {
		return activities.DefaultRuleEditWindow, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("L2C_SOD_WINDOW=%q: want a duration such as 168h, or 0", s)
	}
	return d, nil
}

// interruptOn adapts ctx to the worker's stop channel.
func interruptOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch
}

// runMigrate applies pending migrations to cfg.DatabaseURL.
func runMigrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set")
	}
	applied, err := database.Migrate(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "versions", applied)
	return nil
}

// connectAudited is connect for the API and the worker, which both append to
// the audit trail: the trail's key first, since without one fit for
// production nothing starts.
func connectAudited(ctx context.Context, cfg config.Config, log *slog.Logger) (audit.Chain, *database.DB, client.Client, error) {
	chain, err := auditChainFor(cfg, log)
	if err != nil {
		return audit.Chain{}, nil, nil, err
	}
	db, tc, err := connect(ctx, cfg, log)
	return chain, db, tc, err
}

func connect(ctx context.Context, cfg config.Config, log *slog.Logger) (*database.DB, client.Client, error) {
	if cfg.DatabaseURL == "" {
		return nil, nil, errors.New("DATABASE_URL is not set")
	}
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	tc, err := dialTemporal(ctx, cfg, log)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, tc, nil
}

// dialTemporal connects to cfg's Temporal frontend.
func dialTemporal(ctx context.Context, cfg config.Config, log *slog.Logger) (client.Client, error) {
	addr := cfg.TemporalAddress
	if addr == "" {
		addr = "127.0.0.1:7233"
	}
	opts := client.Options{HostPort: addr, Namespace: cfg.TemporalNamespace, Logger: log.With("component", "temporal"),
		MetricsHandler: metrics.TemporalHandler()}
	if err := temporalTLS(cfg, &opts); err != nil {
		return nil, err
	}
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", addr, err)
	}
	return tc, nil
}

// temporalTLS sets up the connection to a Temporal frontend that is not on a
// private network: mutual TLS with TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (and
// TEMPORAL_TLS_CA for a private CA), or an API key (TEMPORAL_API_KEY, over
// TLS). Without any of them the connection is plain gRPC.
func temporalTLS(cfg config.Config, opts *client.Options) error {
	if cfg.TemporalTLSCert == "" && cfg.TemporalTLSCA == "" && cfg.TemporalAPIKey == "" {
		return nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TemporalTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
		if err != nil {
			return fmt.Errorf("TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if cfg.TemporalTLSCA != "" {
		pem, err := os.ReadFile(cfg.TemporalTLSCA)
		if err != nil {
			return fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("TEMPORAL_TLS_CA=%s: no PEM certificate in it", cfg.TemporalTLSCA)
		}
		tc.RootCAs = pool
	}
	opts.ConnectionOptions.TLS = tc
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	return nil
}
