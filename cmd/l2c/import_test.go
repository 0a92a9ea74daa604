package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// TestImportCommandSendsUnknownCustomersForApproval: `l2c import customers`
// takes the API's path (api.OnboardImported): a row of a customer l2c knows
// updates it, a row of an unknown code becomes a new-customer request with
// its customer_onboarding case (a lead customer, NEW-…), never an active
// customer; a dry run sends nothing.
func TestImportCommandSendsUnknownCustomersForApproval(t *testing.T) {
	ctx := context.Background()
	t.Setenv("L2C_AUDIT_KEY", "3f9a0c1e5b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d")
	cfg := config.Config{DatabaseURL: testenv.DatabaseURL(t), TemporalAddress: testenv.TemporalHostPort(t),
		TemporalNamespace: "default", Location: time.UTC}
	db := testenv.OpenDB(t)
	log := slog.New(slog.DiscardHandler)
	testenv.AddUsers(t, db, identity.User{ID: "cli-zhao", Name: "Zhao", Roles: []identity.Role{identity.RoleSalesAssistant}})
	_, err := db.CustomersUpsert(ctx, []database.Customer{{Code: "CLI-KNOWN", Name: "常州工具厂", Source: "manual"}}, nil)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "customers.csv")
	require.NoError(t, os.WriteFile(file, []byte("客户编码,客户名称,地址\nCLI-KNOWN,常州工具厂,常州市新北区\nCLI-NEW,昆山精密模具有限公司,昆山市\n"), 0o644))
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	requests := func() int {
		var n int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM customer_onboardings WHERE request->>'import_code' = 'CLI-NEW'`).Scan(&n))
		return n
	}

	require.NoError(t, runImport(ctx, cfg, log, []string{"customers", file, "-dry-run", "-as", "cli-zhao"}))
	require.Zero(t, requests(), "a dry run sends nothing")

	require.NoError(t, runImport(ctx, cfg, log, []string{"customers", file, "-as", "cli-zhao"}))
	have, err := db.CustomerCodesExisting(ctx, []string{"CLI-KNOWN", "CLI-NEW"})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"CLI-KNOWN": true}, have, "the unknown code is not an active customer")
	var id int64
	var code, status, by string
	var importID *int64
	require.NoError(t, conn.QueryRow(ctx, `SELECT id, provisional_code, status, requested_by, import_id FROM customer_onboardings
		WHERE request->>'import_code' = 'CLI-NEW'`).Scan(&id, &code, &status, &by, &importID))
	require.Equal(t, "in_review", status)
	require.Equal(t, "cli-zhao", by)
	require.NotNil(t, importID, "the request names its import")
	require.Regexp(t, `^NEW-`, code, "a lead customer under its provisional code")
	_, err = testenv.TemporalClient(t).DescribeWorkflowExecution(ctx, workflows.OnboardingWorkflowID(id), "")
	require.NoError(t, err, "its customer_onboarding case runs")

	// Imported again: the request is there already, nothing is sent twice.
	require.Error(t, runImport(ctx, cfg, log, []string{"customers", file, "-as", "cli-zhao"}))
	require.Equal(t, 1, requests())
}
