package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/api"
	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/exchange"
	"github.com/l2c/l2c/connectors/kingdee"
	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/metrics"
	"github.com/l2c/l2c/internal/scheduler"
)

// erpConnector builds the configured ERP connector; nil when none is configured.
func erpConnector(cfg config.Config, log *slog.Logger) (connectors.ERP, error) {
	e := cfg.ERP
	switch e.Kind {
	case "":
		log.Warn("no ERP configured (L2C_ERP_KIND): ERP sync runs will fail until one is")
		return nil, nil
	case "sap":
		return sap.New(sap.Config{BaseURL: e.SAPURL, Username: e.SAPUser, Password: e.SAPPassword,
			TokenURL: e.SAPTokenURL, ClientID: e.SAPClientID, ClientSecret: e.SAPClientSecret, SAPClient: e.SAPClient,
			SalesOrganization: e.SAPSalesOrg, DistributionChannel: e.SAPDistChannel, Division: e.SAPDivision,
			MinDiscountField: e.SAPMinDiscountField, CreditLimitField: e.SAPCreditLimitField, TimeZone: e.SAPTimeZone,
			PageSize: e.SAPPageSize, DayDeltas: e.SAPDayDeltas, Log: log.With("component", "sap")})
	case "kingdee":
		return kingdee.New(kingdee.Config{BaseURL: e.KingdeeURL, AcctID: e.KingdeeAcctID, Username: e.KingdeeUser,
			Password: e.KingdeePassword, OrgNumber: e.KingdeeOrg, MinDiscountField: e.KingdeeMinDiscountField,
			CreditLimitField: e.KingdeeCreditLimitField, TimeZone: e.KingdeeTimeZone, Log: log.With("component", "kingdee")})
	case "exchange":
		if e.ExchangeDir == "" {
			return nil, errors.New("L2C_ERP_KIND=exchange needs L2C_EXCHANGE_DIR")
		}
		return exchange.New(exchange.Config{Dir: e.ExchangeDir, Log: log.With("component", "exchange")})
	}
	return nil, fmt.Errorf("unknown ERP kind %q", e.Kind)
}

// orderChecker is how the API checks an order number a person typed: the
// configured ERP, from the same configuration as the worker's, when it can
// look orders up; nil otherwise, and then the API refuses such numbers.
func orderChecker(cfg config.Config, log *slog.Logger) (api.OrderChecker, error) {
	conn, err := erpConnector(cfg, log)
	if err != nil {
		return nil, err
	}
	if r, ok := conn.(connectors.OrderReader); ok {
		return r, nil
	}
	log.Warn("the ERP cannot look up sales orders: place_order refuses an erp_order_no it cannot check")
	return nil, nil
}

// erpActivities are the ERP sync and write-back activities for a worker.
func erpActivities(cfg config.Config, db *database.DB, tc client.Client, log *slog.Logger) (*activities.ERP, error) {
	conn, err := erpConnector(cfg, log)
	if err != nil {
		return nil, err
	}
	return &activities.ERP{Conn: conn, DB: db, Temporal: tc, Log: log.With("component", "erp")}, nil
}

// runScheduler ticks the ERP sync schedules until ctx ends, if enabled.
func runScheduler(ctx context.Context, cfg config.Config, db *database.DB, tc client.Client, log *slog.Logger) {
	if !cfg.ERP.Scheduler {
		log.Info("sync scheduler off (L2C_SYNC_SCHEDULER=off)")
		return
	}
	go func() {
		_ = scheduler.New(scheduler.Options{DB: db, Temporal: tc, Log: log.With("component", "scheduler"),
			PoolRecycle: cfg.PoolRecycle, Classify: cfg.Classify, FollowUps: cfg.FollowUps}).Run(ctx)
	}()
}

// startDevSim runs the ERP simulator in-process for `l2c dev` when no ERP is
// configured, and points cfg at it. It returns a function that stops it.
func startDevSim(ctx context.Context, cfg *config.Config, log *slog.Logger) (func() error, error) {
	if cfg.ERP.Kind != "" {
		return func() error { return nil }, nil
	}
	sim := erpsim.New(erpsim.Options{Customers: 500, Invoices: 2000, Seed: 1, Log: log.With("component", "erpsim")})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ERP simulator: %w", err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	cfg.ERP.Kind, cfg.ERP.SAPURL, cfg.ERP.SAPUser, cfg.ERP.SAPPassword = "sap", url, "L2C_COMM", "sim-secret"
	cfg.ERP.SAPMinDiscountField, cfg.ERP.SAPCreditLimitField = erpsim.DefaultMinDiscountField, erpsim.DefaultCreditLimitField
	log.Info("ERP simulator started", "url", url, "admin", url+"/sim/faults")
	return func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}, nil
}

// serveWorkerMetrics serves /metrics on L2C_METRICS_ADDR for a worker that
// runs apart from `serve` (its Temporal SDK metrics live in its process),
// requiring L2C_METRICS_TOKEN as a bearer token when it is set.
func serveWorkerMetrics(ctx context.Context, db *database.DB, log *slog.Logger) {
	addr := os.Getenv("L2C_METRICS_ADDR")
	if addr == "" {
		return
	}
	token := os.Getenv("L2C_METRICS_TOKEN")
	h := metrics.Handler(db)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) != 1 {
			http.Error(w, "send the scrape token (L2C_METRICS_TOKEN) as a bearer token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("worker metrics: listen", "addr", addr, "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("worker metrics served", "addr", addr)
}
