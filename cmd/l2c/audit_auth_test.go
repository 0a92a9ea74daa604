package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
)

// TestAuthServeAndWorkerRefuseAPublicKey: outside `l2c dev`, the key serve,
// worker and the CLI load must be a real secret; in dev the development key
// stands in.
func TestAuthServeAndWorkerRefuseAPublicKey(t *testing.T) {
	for _, key := range []string{"", audit.DevKey, "replace-with-a-long-random-secret", "too short"} {
		t.Setenv("L2C_AUDIT_KEY", key)
		_, err := auditChainFor(config.Config{}, nil)
		require.Error(t, err, "%q", key)
		require.Contains(t, err.Error(), "refusing to start")
		require.Contains(t, err.Error(), "openssl rand -hex 32")
	}
	t.Setenv("L2C_AUDIT_KEY", "")
	_, err := auditChainFor(config.Config{Dev: true}, nil)
	require.NoError(t, err, "l2c dev runs with the development key")
	t.Setenv("L2C_AUDIT_KEY", "3f9a0c1e5b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d")
	_, err = auditChainFor(config.Config{}, nil)
	require.NoError(t, err)
}

// TestAuthCheckpointCommandAndVerify: `l2c audit checkpoint` appends a signed
// checkpoint to the file, `l2c audit verify` passes against it, and fails once
// the trail is emptied.
func TestAuthCheckpointCommandAndVerify(t *testing.T) {
	ctx := context.Background()
	key := "3f9a0c1e5b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d"
	t.Setenv("L2C_AUDIT_KEY", key)
	cfg := config.Config{DatabaseURL: testenv.DatabaseURL(t), AuditCheckpointFile: filepath.Join(t.TempDir(), "cp.jsonl")}
	db, err := database.Open(ctx, cfg.DatabaseURL)
	require.NoError(t, err)
	defer db.Close()
	chain, err := audit.NewChain([]byte(key))
	require.NoError(t, err)
	for i := range 3 {
		_, err := db.AuditAppend(ctx, chain, audit.Entry{At: time.Now(), Actor: "cli:test", Action: "user.save", ObjectID: fmt.Sprint(i)})
		require.NoError(t, err)
	}
	require.NoError(t, runAudit(ctx, cfg, nil, []string{"checkpoint"}))
	cps, err := audit.ReadCheckpointFile(cfg.AuditCheckpointFile)
	require.NoError(t, err)
	require.Len(t, cps, 1)
	require.True(t, chain.Signed(cps[0]))
	require.NoError(t, runAudit(ctx, cfg, nil, []string{"verify"}))

	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `TRUNCATE audit_log, audit_head`)
	require.NoError(t, err)
	require.ErrorIs(t, runAudit(ctx, cfg, nil, []string{"verify"}), errTampered, "an emptied trail is caught by the checkpoint")
	cfg.AuditCheckpointFile = ""
	require.NoError(t, runAudit(ctx, cfg, nil, []string{"verify"}), "without checkpoints it cannot be told from a new one")
}
