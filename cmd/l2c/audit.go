package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/config"
)

// errTampered makes `l2c audit verify` exit non-zero when the trail was tampered with.
var errTampered = errors.New("the audit trail does not verify")

// runAudit checks the audit trail: `l2c audit verify` prints what it found and
// fails if any entry was edited, removed or cut off the end.
func runAudit(ctx context.Context, cfg config.Config, args []string) error {
	if len(args) != 1 || args[0] != "verify" {
		return errors.New("usage: l2c audit verify")
	}
	key, set := audit.KeyFromEnv(os.Getenv)
	if !set {
		fmt.Fprintln(os.Stderr, "l2c audit: L2C_AUDIT_KEY is not set; verifying with the development key")
	}
	chain, err := audit.NewChain(key)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	report, err := db.AuditVerify(ctx, chain)
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
