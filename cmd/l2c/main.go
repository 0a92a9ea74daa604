// Command l2c is the one binary of the lead-to-cash engine:
//
//	l2c dev       start everything on one machine (PostgreSQL, Temporal, worker, API, demo data)
//	l2c serve     the HTTP API
//	l2c worker    the Temporal worker (workflows and activities)
//	l2c migrate   apply database migrations
//	l2c seed      load demo users and deals
//	l2c users add create a user and print their API token
//	l2c audit verify  check the audit trail's chain (and its checkpoints)
//	l2c audit checkpoint  write a signed checkpoint of the trail's head now
//	l2c erpsim    serve the ERP simulator (SAP S/4HANA OData v2)
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // L2C_TIMEZONE must resolve even on images without zoneinfo

	"github.com/l2c/l2c/internal/config"
)

const usage = `usage: l2c <command> [flags]

commands:
  dev         start PostgreSQL, Temporal, migrations, demo data, worker and API on this machine
  serve       run the HTTP API
  worker      run the Temporal worker
  migrate     apply database migrations
  seed        load demo users and deals
  users add   create a user and print their API token
  audit verify  check that no audit entry was edited or removed (held against L2C_AUDIT_CHECKPOINT_FILE)
  audit checkpoint  write a signed checkpoint of the audit trail's head to the log and L2C_AUDIT_CHECKPOINT_FILE
  erpsim      serve the ERP simulator (SAP S/4HANA OData v2) for development and tests
  import      import customers from a workbook: import customers FILE [-mode accept-valid] [-dry-run] [-as USER]
  export      export a report as .xlsx: export REPORT [-o FILE] (pipeline, receivables-ageing, stuck-reviews, sync-runs, customer-template)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "l2c:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "dev":
		err = runDev(ctx, cfg, log, args)
	case "serve":
		err = runServe(ctx, cfg, log)
	case "worker":
		err = runWorker(ctx, cfg, log)
	case "migrate":
		err = runMigrate(ctx, cfg, log)
	case "seed":
		err = runSeed(ctx, cfg, log)
	case "users":
		err = runUsers(ctx, cfg, args)
	case "audit":
		err = runAudit(ctx, cfg, log, args)
	case "erpsim":
		err = runERPSim(ctx, cfg, log, args)
	case "import":
		err = runImport(ctx, cfg, log, args)
	case "export":
		err = runExport(ctx, cfg, log, args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "l2c: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "l2c "+cmd+":", err)
		os.Exit(1)
	}
}

// commandFlags is a command's flag set, whose help is the command's usage
// text followed by its flags, and whose errors return to the caller (main
// prints them once, with the command's name).
func commandFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage); fs.PrintDefaults() }
	return fs
}
