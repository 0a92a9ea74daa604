package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/kingdee/kingdeesim"
	"github.com/l2c/l2c/internal/config"
)

// runERPSim serves the ERP simulator until ctx is cancelled.
func runERPSim(ctx context.Context, _ config.Config, log *slog.Logger, args []string) error {
	fs := commandFlags("erpsim", "usage: l2c erpsim [flags]\n\nServes an SAP S/4HANA OData v2 simulator (see connectors/erpsim). Flags:\n")
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	kd := fs.Bool("kingdee", false, "serve a Kingdee K3 Cloud simulator (/k3cloud/, data centre L2C_DC, user l2c_api) instead of SAP")
	var o erpsim.Options
	fs.IntVar(&o.Customers, "customers", 500, "customers to generate (1000000 is fine: rows are computed on demand)")
	fs.IntVar(&o.Invoices, "invoices", 2000, "invoices to generate")
	fs.Uint64Var(&o.Seed, "seed", 1, "generation seed")
	fs.IntVar(&o.PageSize, "page-size", 1000, "server page size (at most 5000)")
	fs.BoolVar(&o.Strict, "strict", false, "refuse Edm.Time literals in $filter with a 500, as some OData v2 servers do")
	fs.BoolVar(&o.NoPaging, "no-paging", false, "no server-driven paging: a read returns every matching row unless $top says less")
	fs.StringVar(&o.Username, "user", "L2C_COMM", "basic-auth user")
	fs.StringVar(&o.Password, "password", "sim-secret", "basic-auth password (and OAuth client secret)")
	fs.DurationVar(&o.Faults.Latency, "latency", 0, "latency added to every request")
	fs.Float64Var(&o.Faults.SpikeRate, "spike-rate", 0, "share of requests delayed by -spike")
	fs.DurationVar(&o.Faults.Spike, "spike", time.Second, "latency of a spike")
	fs.Float64Var(&o.Faults.ErrorRate, "error-rate", 0, "share of requests answered 5xx")
	fs.Float64Var(&o.Faults.RateLimitRate, "rate-limit-rate", 0, "share of requests answered 429")
	fs.IntVar(&o.Faults.RetryAfter, "retry-after", 1, "Retry-After seconds of a 429")
	fs.Float64Var(&o.Faults.DropRate, "drop-rate", 0, "share of connections dropped without an answer")
	fs.Float64Var(&o.Faults.StaleETagRate, "stale-etag-rate", 0, "share of updates that find the record changed by someone else")
	fs.Float64Var(&o.Faults.MalformedRate, "malformed-rate", 0, "share of generated rows served malformed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.ClientSecret = o.Password
	o.Log = log
	var handler http.Handler
	if *kd {
		handler = kingdeesim.New(kingdeesim.Options{Customers: o.Customers, Receivables: o.Invoices, Seed: o.Seed,
			Password: o.Password, Log: log, Faults: kingdeesim.Faults{Latency: o.Faults.Latency, ErrorRate: o.Faults.ErrorRate}}).Handler()
	} else {
		handler = erpsim.New(o).Handler()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Info("ERP simulator serving", "url", "http://"+ln.Addr().String(), "customers", o.Customers+3,
		"invoices", o.Invoices, "user", o.Username, "faults", "/sim/faults")
	return serveUntil(ctx, srv, func() error { return srv.Serve(ln) }, 5*time.Second)
}
