package activities_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/scheduler"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// erpNotifications lists the queued notifications whose dedupe key starts with prefix.
func erpNotifications(t *testing.T, e *syncEnv, prefix string) []database.Notification {
	t.Helper()
	rows, err := e.raw.Query(context.Background(), `SELECT dedupe_key, recipient, subject, body FROM notifications
		WHERE dedupe_key LIKE $1 || '%' ORDER BY id`, prefix)
	require.NoError(t, err)
	defer rows.Close()
	var out []database.Notification
	for rows.Next() {
		var n database.Notification
		require.NoError(t, rows.Scan(&n.DedupeKey, &n.Recipient, &n.Subject, &n.Body))
		out = append(out, n)
	}
	require.NoError(t, rows.Err())
	return out
}

// An ERP that answers nothing but errors: while the run retries, it shows
// its failed attempts and the last error; after its time budget it ends
// failed with the error, the integration admins are told once, and nothing
// was written.
func TestERPFailingERPShowsAttemptsThenFailsAndNotifies(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{Customers: 100, Seed: 31, Faults: erpsim.Faults{ErrorRate: 1}})
	_, err := e.raw.Exec(ctx, `DELETE FROM notifications WHERE dedupe_key LIKE 'sync-%'`)
	require.NoError(t, err)
	before, beforeSum, err := e.db.SyncChecksum(ctx, "customers")
	require.NoError(t, err)
	id := workflows.SyncWorkflowID("customers", "failing")
	run, err := e.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.SyncWorkflow, workflows.SyncInput{Entity: "customers", Trigger: workflows.SyncTriggerManual,
			TimeBudget: 6 * time.Second})
	require.NoError(t, err)

	// While it retries: running, with its attempts and last error.
	require.Eventually(t, func() bool {
		r, err := e.db.SyncRunGet(ctx, id)
		return err == nil && r.Status == database.SyncRunning && r.FailedAttempts >= 2 && r.LastError != "" && r.LastErrorAt != nil
	}, 20*time.Second, 50*time.Millisecond, "a retrying run shows its failed attempts and last error")
	r, err := e.db.SyncRunGet(ctx, id)
	require.NoError(t, err)
	require.Contains(t, r.LastError, "HTTP 5")

	var st workflows.SyncStatus
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.Error(t, run.Get(wctx, &st))
	r, err = e.db.SyncRunGet(ctx, id)
	require.NoError(t, err)
	require.Equal(t, database.SyncFailed, r.Status)
	require.Contains(t, r.Error, "time budget")
	require.Equal(t, 1, strings.Count(r.Error, "GET A_BusinessPartner"), "the ERP's message once, not its wrappers: %s", r.Error)
	require.NotNil(t, r.FinishedAt)

	notes := erpNotifications(t, e, "sync-failed/")
	require.Len(t, notes, 1)
	require.Equal(t, "role:admin", notes[0].Recipient)
	require.Contains(t, notes[0].Subject, "customers")
	require.Contains(t, notes[0].Body, id)

	// Finishing the run again (a retried activity) tells nobody twice.
	require.NoError(t, e.db.SyncRunFinish(ctx, database.SyncRun{ID: id, Entity: "customers", Status: database.SyncFailed, Error: r.Error}))
	require.Len(t, erpNotifications(t, e, "sync-failed/"), 1)

	after, afterSum, err := e.db.SyncChecksum(ctx, "customers")
	require.NoError(t, err)
	require.Equal(t, before, after, "nothing written")
	require.Equal(t, beforeSum, afterSum)
	h := erpHealth(t, e, "customers")
	require.Equal(t, database.SyncFailed, h.LastStatus)
	require.NotEmpty(t, h.LastError)
}

func erpHealth(t *testing.T, e *syncEnv, entity string) database.SyncHealth {
	t.Helper()
	hs, err := e.db.SyncHealthList(context.Background(), time.Now())
	require.NoError(t, err)
	for _, h := range hs {
		if h.Entity == entity {
			return h
		}
	}
	t.Fatalf("no health line for %s in %+v", entity, hs)
	return database.SyncHealth{}
}

// Killed three times mid-run, the run counts every row once: the counts
// commit with the rows they count.
func TestERPCountsSurviveWorkerKills(t *testing.T) {
	e := setup(t, erpsim.Options{Customers: 3000, PageSize: 100, Seed: 32,
		Faults: erpsim.Faults{Latency: 30 * time.Millisecond}})
	e.erpPageSize(100)
	id := workflows.SyncWorkflowID("customers", "kills")
	run, err := e.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.SyncWorkflow, workflows.SyncInput{Entity: "customers", Trigger: workflows.SyncTriggerManual,
			HeartbeatTimeout: 2 * time.Second})
	require.NoError(t, err)
	for kill := 1; kill <= 3; kill++ {
		pages := int64(kill * 6)
		require.Eventually(t, func() bool {
			r, err := e.db.SyncRunGet(context.Background(), id)
			return err == nil && r.Pages >= pages
		}, 40*time.Second, 10*time.Millisecond)
		e.worker.Stop()
		e.startWorker()
	}
	st := e.wait(run, 90*time.Second)
	require.Equal(t, "succeeded", st.Status)
	require.Equal(t, int64(3003), e.requireInStep("customers"))
	r, err := e.db.SyncRunGet(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, int64(3003), r.Inserted, "every row inserted once, counted once")
	require.Equal(t, r.Read, r.Inserted+r.Updated+r.Unchanged+r.Rejected, "every row read is counted once: %+v", r.SyncCounts)
}

// staleFromScratch has no sync alert told yet and customers alone watched
// for staleness, stale after an hour.
const staleFromScratch = `DELETE FROM notifications WHERE dedupe_key LIKE 'sync-%';
	UPDATE sync_schedules SET stale_alerted_at = NULL, stale_after = interval '1 hour', enabled = (entity = 'customers')`

// An entity whose last success is older than its threshold is stale: the
// health line says so and the integration admins are told once, however
// many replicas check; a successful run clears it, and it can alert again.
func TestERPStaleEntityAlertsOnce(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{Customers: 50, Seed: 33})
	_, err := e.raw.Exec(ctx, staleFromScratch)
	require.NoError(t, err)
	st := e.sync("customers", "fresh", workflows.SyncInput{})
	require.Equal(t, "succeeded", st.Status)
	h := erpHealth(t, e, "customers")
	require.False(t, h.Stale)
	require.NotNil(t, h.LastSuccessAt)
	require.NotNil(t, h.CheckpointAt)

	// Two hours later nothing has succeeded since.
	later := time.Now().Add(2 * time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs { // three replicas check at the same moment
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = scheduler.CheckHealth(ctx, e.db, later, testenv.Quiet) }()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, scheduler.CheckHealth(ctx, e.db, later.Add(time.Minute), testenv.Quiet)) // and again a minute later
	hs, err := e.db.SyncHealthList(ctx, later)
	require.NoError(t, err)
	for _, h := range hs {
		require.True(t, h.Stale, "%s", h.Entity)
	}
	notes := erpNotifications(t, e, "sync-stale/customers")
	require.Len(t, notes, 1)
	require.Equal(t, "role:admin", notes[0].Recipient)
	require.True(t, strings.Contains(notes[0].Body, "customers"))
	require.Empty(t, erpNotifications(t, e, "sync-stale/invoices"), "a disabled schedule is stale by choice: no alert")

	// A success clears it; stale again later, it alerts again.
	st = e.sync("customers", "fresh-again", workflows.SyncInput{})
	require.Equal(t, "succeeded", st.Status)
	require.NoError(t, scheduler.CheckHealth(ctx, e.db, time.Now(), testenv.Quiet))
	require.False(t, erpHealth(t, e, "customers").Stale)
	require.NoError(t, scheduler.CheckHealth(ctx, e.db, time.Now().Add(3*time.Hour), testenv.Quiet))
	require.Len(t, erpNotifications(t, e, "sync-stale/customers"), 2)
}
