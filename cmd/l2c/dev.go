package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/devstack"
	"github.com/l2c/l2c/internal/scheduler"
	"github.com/l2c/l2c/workflows"
)

// runDev runs the whole system on one machine: it finds or starts PostgreSQL and
// a Temporal dev server (see internal/devstack), migrates and seeds the database,
// then runs the worker and the API until ctx is cancelled, and finally stops what
// it started, in reverse order.
func runDev(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := commandFlags("dev", "usage: l2c dev\n\nStarts PostgreSQL, Temporal, migrations, demo data, worker and API; Ctrl-C stops them.\n")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	cfg.Dev = true // the development audit key may stand in (auditChainFor)
	pg, err := devstack.Postgres(ctx, cfg.DataDir, log)
	if err != nil {
		return err
	}
	defer stopLogged(log, "postgres", pg.Stop)
	if cfg.DatabaseURL, err = pg.EnsureDatabase(ctx, "l2c"); err != nil {
		return err
	}

	temporal, err := devstack.Temporal(ctx, devstack.TemporalOptions{
		DataDir:   cfg.DataDir,
		Namespace: cfg.TemporalNamespace,
		Log:       log,
	})
	if err != nil {
		return err
	}
	defer stopLogged(log, "temporal", temporal.Stop)
	cfg.TemporalAddress = temporal.HostPort()

	stopSim, err := startDevSim(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer stopLogged(log, "erpsim", stopSim)

	if err := runMigrate(ctx, cfg, log); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := runSeed(ctx, cfg, log); err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return untilCancelled(gctx, "worker", runWorker(gctx, cfg, log)) })
	g.Go(func() error { return untilCancelled(gctx, "serve", runServe(gctx, cfg, log)) })
	g.Go(func() error {
		if err := waitHTTPReady(gctx, log, cfg.HTTPAddr); err != nil {
			return nil // cancelled: the other two report why
		}
		syncDemoCustomers(gctx, cfg, log)
		printBanner(cfg, temporal)
		return nil
	})
	return g.Wait()
}

// untilCancelled turns an early return of a long-running part into an error, so
// that one part stopping stops them all instead of leaving a half-running system.
func untilCancelled(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		if err == nil || errors.Is(err, context.Canceled) {
			return nil
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	if err == nil {
		return fmt.Errorf("%s stopped unexpectedly", name)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// waitHTTPReady polls GET /readyz until it answers 200 or ctx ends.
func waitHTTPReady(ctx context.Context, log *slog.Logger, addr string) error {
	url := apiURL(addr) + "/readyz"
	hc := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	slow := time.After(60 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-slow:
			log.Warn("dev: API not ready after 60s; still waiting", "url", url)
		case <-tick.C:
		}
	}
}

// apiURL is the base URL for reaching an API listening on addr; a wildcard or
// empty host is reached through loopback.
func apiURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func printBanner(cfg config.Config, temporal *devstack.TemporalServer) {
	ui := temporal.UIURL()
	if ui == "" {
		ui = "(TEMPORAL_ADDRESS=" + cfg.TemporalAddress + ", not started here)"
	}
	fmt.Fprintf(os.Stdout, `
l2c is running. Ctrl-C stops it.
  API          %s/api/v1
  Approvals    %s/inbox  (log in as li, wang, ...: password %s)
  Temporal UI  %s
  Postgres     %s
  demo tokens: see README (e.g. Authorization: Bearer demo-wang)

`, apiURL(cfg.HTTPAddr), apiURL(cfg.HTTPAddr), demoPassword, ui, devstack.Redact(cfg.DatabaseURL))
}

func stopLogged(log *slog.Logger, what string, stop func() error) {
	if err := stop(); err != nil {
		log.Error("dev: stop "+what, "err", err)
	}
}

// syncDemoCustomers reads the simulator's customers once before the banner is
// printed. A deal names a customer from l2c's copy of the customer master, and
// quotes and contracts are judged against its terms (minimum discount, payment
// terms), so the README's walkthrough needs them there from the first minute,
// not after the first scheduled sync. A failure is only logged: the scheduled
// sync tries again.
func syncDemoCustomers(ctx context.Context, cfg config.Config, log *slog.Logger) {
	db, tc, err := connect(ctx, cfg, log)
	if err != nil {
		log.Warn("dev: no first customer sync", "err", err)
		return
	}
	defer db.Close()
	defer tc.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	id, _, err := scheduler.StartRun(ctx, tc, "customers", workflows.SyncTriggerManual, "system",
		"dev-"+workflows.SyncBucket(time.Now()))
	if err == nil {
		err = tc.GetWorkflow(ctx, id, "").Get(ctx, nil)
	}
	if err != nil {
		log.Warn("dev: the first customer sync did not finish", "run", id, "err", err)
		return
	}
	log.Info("dev: customers read from the ERP simulator", "run", id)
}
