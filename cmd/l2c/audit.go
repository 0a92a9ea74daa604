package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/database"
)

// errTampered makes `l2c audit verify` exit non-zero when the trail was tampered with.
var errTampered = errors.New("the audit trail does not verify")

// auditChainFor keys the audit trail for every command that appends to it or
// checks it: serve, worker, users, seed, import, audit. Outside `l2c dev`
// L2C_AUDIT_KEY must be set to a key of at least 32 random bytes that is not
// a published placeholder (audit.CheckKey): a trail keyed with a public key
// can be rewritten by anyone who can write to the database, and would prove
// nothing. Under `l2c dev` the development key stands in when it is unset.
func auditChainFor(cfg config.Config, log *slog.Logger) (audit.Chain, error) {
	raw := os.Getenv("L2C_AUDIT_KEY")
	if cfg.Dev {
		key, set := audit.KeyFromEnv(os.Getenv)
		if !set && log != nil {
			log.Warn("L2C_AUDIT_KEY is not set: the audit trail uses the development key, which proves nothing")
		}
		return audit.NewChain(key)
	}
	key, err := audit.CheckKey(raw)
	if err != nil {
		return audit.Chain{}, fmt.Errorf("refusing to start: %w (only `l2c dev` runs without one)", err)
	}
	return audit.NewChain(key)
}

// runAudit checks the audit trail: `l2c audit verify` prints what it found and
// fails if any entry was edited, removed or cut off the end, or if the trail
// ends before a checkpoint in L2C_AUDIT_CHECKPOINT_FILE; `l2c audit
// checkpoint` writes a checkpoint of the head now.
func runAudit(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	if len(args) != 1 || (args[0] != "verify" && args[0] != "checkpoint") {
		return errors.New("usage: l2c audit verify | l2c audit checkpoint")
	}
	chain, err := auditChainFor(cfg, log)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "checkpoint" {
		cp, err := writeCheckpoint(ctx, cfg, db, chain, log)
		if err != nil {
			return err
		}
		out, _ := json.Marshal(cp)
		fmt.Println(string(out))
		return nil
	}
	var cps []audit.Checkpoint
	if cfg.AuditCheckpointFile != "" {
		if cps, err = audit.ReadCheckpointFile(cfg.AuditCheckpointFile); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(os.Stderr, "l2c audit: L2C_AUDIT_CHECKPOINT_FILE is not set: an emptied or restored trail cannot be told from a short one")
	}
	report, err := db.AuditVerifyAgainst(ctx, chain, cps)
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(report, "", "  ")
	fmt.Println(string(out))
	if !report.OK {
		return errTampered
	}
	return nil
}

// writeCheckpoint signs the trail's head as it is now and keeps it outside
// the database: in the log always, and appended to L2C_AUDIT_CHECKPOINT_FILE
// when it is set (a disk or mount the database's operators cannot rewrite).
func writeCheckpoint(ctx context.Context, cfg config.Config, db *database.DB, chain audit.Chain, log *slog.Logger) (audit.Checkpoint, error) {
	cp, err := db.AuditCheckpoint(ctx, chain, time.Now())
	if err != nil {
		return cp, err
	}
	if log != nil {
		log.Info("audit checkpoint", "seq", cp.Seq, "head", cp.Head, "at", cp.At, "sig", cp.Sig)
	}
	if cfg.AuditCheckpointFile != "" {
		if err := audit.AppendCheckpoint(cfg.AuditCheckpointFile, cp); err != nil {
			return cp, err
		}
	}
	return cp, nil
}

// checkpointEvery writes a checkpoint every cfg.AuditCheckpointEvery until
// ctx ends, and one last one then (the head at shutdown).
func checkpointEvery(ctx context.Context, cfg config.Config, db *database.DB, chain audit.Chain, log *slog.Logger) {
	every := cfg.AuditCheckpointEvery
	if every <= 0 {
		every = 15 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if _, err := writeCheckpoint(sctx, cfg, db, chain, log); err != nil {
				log.Error("audit checkpoint at shutdown failed", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if _, err := writeCheckpoint(ctx, cfg, db, chain, log); err != nil && ctx.Err() == nil {
				log.Error("audit checkpoint failed", "err", err)
			}
		}
	}
}
