package activities_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/wiring"
	"github.com/l2c/l2c/workflows"
)

// BenchmarkERPSyncNoPaging syncs 1,000,000 customers from a server without
// server-driven paging (it would send the whole entity set in one answer if
// asked without $top) and prints the syncing process's peak memory:
//
//	sync_nopaging_peak_mb  VmHWM of the process running worker and sync (target ≤ 200)
//
// The simulator runs in this process; the sync in a child (testenv.RunChild),
// so the figure is the sync's alone.
func BenchmarkERPSyncNoPaging(b *testing.B) {
	n := testenv.BenchRows(1_000_000)
	sim := erpsim.New(erpsim.Options{Customers: n, Seed: 98, NoPaging: true, Log: testenv.Quiet})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	for range b.N {
		res := testenv.RunChild(b, "TestERPNoPagingChild", "L2C_BENCH_ERP_URL="+srv.URL)
		if res["inserted"] != strconv.Itoa(n+3) {
			b.Fatalf("the sync did not take every row: %v", res)
		}
		fmt.Printf("BENCH sync_nopaging_peak_mb %s MB\n", res["peak_mb"])
		fmt.Printf("BENCH sync_nopaging_rows_per_s %s rows/s\n", res["rows_per_s"])
	}
}

// TestERPNoPagingChild is the child of BenchmarkERPSyncNoPaging; run alone it skips.
func TestERPNoPagingChild(t *testing.T) {
	db, dbURL := testenv.ChildDatabase(t)
	erpURL := os.Getenv("L2C_BENCH_ERP_URL")
	if erpURL == "" || db == nil {
		t.Skip("the child of BenchmarkERPSyncNoPaging")
	}
	ctx := context.Background()
	raw, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	_, err = raw.Exec(ctx, `TRUNCATE sync_rejects, sync_runs, sync_checkpoints; DELETE FROM customers WHERE source = 'erp';
		UPDATE sync_schedules SET running_run = NULL, enabled = false`)
	require.NoError(t, err)
	raw.Close(ctx)
	conn, err := sap.New(sap.Config{BaseURL: erpURL, Username: "L2C_COMM", Password: "sim-secret",
		MinDiscountField: erpsim.DefaultMinDiscountField, CreditLimitField: erpsim.DefaultCreditLimitField, Log: testenv.Quiet})
	require.NoError(t, err)
	tc := testenv.TemporalClient(t)
	w := worker.New(tc, workflows.TaskQueue, worker.Options{})
	wiring.Register(w, wiring.Deps{DB: db, Log: testenv.Quiet,
		ERP: &activities.ERP{Conn: conn, DB: db, Temporal: tc, Log: testenv.Quiet, ChunkBudget: 10 * time.Minute}})
	require.NoError(t, w.Start())
	defer w.Stop()
	began := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SyncWorkflowID("customers", "bench-nopaging"),
		TaskQueue: workflows.TaskQueue}, workflows.SyncWorkflow,
		workflows.SyncInput{Entity: "customers", Trigger: workflows.SyncTriggerManual, HeartbeatTimeout: time.Minute})
	require.NoError(t, err)
	var st workflows.SyncStatus
	require.NoError(t, run.Get(ctx, &st))
	require.Equal(t, "succeeded", st.Status, st.Error)
	secs := time.Since(began).Seconds()
	testenv.Report(t, "inserted=%d rows_per_s=%.0f", st.Counts.Inserted, float64(st.Counts.Inserted)/secs)
}
