package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/config"
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
