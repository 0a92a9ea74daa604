package activities_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/kingdee"
	"github.com/l2c/l2c/connectors/kingdee/kingdeesim"
	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/scheduler"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// The same sync, against ERPs that behave differently from l2c's default
// simulator: a server that refuses Edm.Time literals (strict), one without
// server-driven paging, and Kingdee K3 Cloud. Each does a full sync, a delta,
// and a re-sync that changes nothing.

// erpScenario is one ERP under test: the environment, and how to change n of
// its customers as ERP users would (returning their codes).
type erpScenario struct {
	name   string
	env    func(t *testing.T) *syncEnv
	change func(e *syncEnv, n int) []string
	// failAll makes every later request to the ERP fail.
	failAll func(e *syncEnv)
	total   int64
	pages   int64 // pages a full sync reads, when the scenario fixes it
}

func erpScenarios() []erpScenario {
	simChange := func(e *syncEnv, n int) []string { return e.sim.ChangeCustomers(n, 5) }
	simFail := func(e *syncEnv) { e.sim.SetFaults(erpsim.Faults{ErrorRate: 1}) }
	var ksim *kingdeesim.Sim
	return []erpScenario{
		{name: "kingdee", total: 2000, pages: 3, env: func(t *testing.T) *syncEnv {
			e := setup(t, erpsim.Options{})
			ksim = kingdeesim.New(kingdeesim.Options{Customers: 2000, Receivables: 1500, Seed: 23, Log: testenv.Quiet})
			srv := httptest.NewServer(ksim.Handler())
			t.Cleanup(srv.Close)
			e.erp.Conn, e.clean = erpKingdeeConn(t, srv.URL, 900), erpKingdeeConn(t, srv.URL, 0)
			return e
		}, change: func(e *syncEnv, n int) []string { return ksim.ChangeCustomers(n, 5) },
			failAll: func(*syncEnv) { ksim.SetFaults(kingdeesim.Faults{ErrorRate: 1}) }},
		{name: "strict", total: 2003, change: simChange, failAll: simFail, env: func(t *testing.T) *syncEnv {
			return setup(t, erpsim.Options{Customers: 2000, PageSize: 500, Seed: 21, Strict: true})
		}},
		{name: "nopaging", total: 2003, pages: 7, change: simChange, failAll: simFail, env: func(t *testing.T) *syncEnv {
			e := setup(t, erpsim.Options{Customers: 2000, Seed: 22, NoPaging: true})
			e.erpPageSize(300)
			return e
		}},
	}
}

// erpKingdeeConn is a Kingdee connector to the simulator at url (pageSize 0: the default).
func erpKingdeeConn(t *testing.T, url string, pageSize int) *kingdee.Client {
	return erpKingdeeConnTB(t, url, pageSize)
}

func erpKingdeeConnTB(t testing.TB, url string, pageSize int) *kingdee.Client {
	c, err := kingdee.New(kingdee.Config{BaseURL: url + "/k3cloud/", AcctID: "L2C_DC", Username: "l2c_api",
		Password: "sim-secret", PageSize: pageSize, MinDiscountField: kingdeesim.DefaultMinDiscountField,
		CreditLimitField: kingdeesim.DefaultCreditLimitField, MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond, Log: testenv.Quiet})
	require.NoError(t, err)
	return c
}

// erpPageSize makes the sync read client pages of n rows.
func (e *syncEnv) erpPageSize(n int) {
	c, err := sap.New(sap.Config{BaseURL: e.url, Username: "L2C_COMM", Password: "sim-secret", PageSize: n,
		MinDiscountField: erpsim.DefaultMinDiscountField, CreditLimitField: erpsim.DefaultCreditLimitField,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Log: testenv.Quiet})
	require.NoError(e.t, err)
	e.conn, e.erp.Conn = c, c
}

func TestERPSyncFullDeltaResyncOnEveryServer(t *testing.T) {
	for _, sc := range erpScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			e := sc.env(t)
			st := e.sync("customers", sc.name+"-full", workflows.SyncInput{})
			require.Equal(t, "succeeded", st.Status, st.Error)
			require.Equal(t, sc.total, st.Counts.Inserted)
			require.Equal(t, sc.total, e.requireInStep("customers"))
			if sc.pages > 0 {
				require.Equal(t, sc.pages, st.Counts.Pages, "client pages")
			}

			changed := sc.change(e, 40)
			require.Len(t, changed, 40)
			st = e.sync("customers", sc.name+"-delta", workflows.SyncInput{})
			require.Equal(t, "succeeded", st.Status, st.Error)
			require.Equal(t, int64(40), st.Counts.Updated)
			require.Zero(t, st.Counts.Inserted)
			require.Less(t, st.Counts.Read, sc.total/4, "a delta reads the changes, not the table")
			e.requireInStep("customers")

			st = e.sync("customers", sc.name+"-again", workflows.SyncInput{})
			require.Equal(t, "succeeded", st.Status, st.Error)
			require.Zero(t, st.Counts.Updated+st.Counts.Inserted, "a re-sync changes 0 rows")
		})
	}
}

// Every ERP failing outright: the run ends failed with the ERP's error, the
// admins are told, and the entity's health line says so; later it is stale
// and alerts.
func TestERPFailingAndStaleOnEveryServer(t *testing.T) {
	for _, sc := range erpScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			e := sc.env(t)
			_, err := e.raw.Exec(ctx, staleFromScratch)
			require.NoError(t, err)
			st := e.sync("customers", sc.name+"-ok", workflows.SyncInput{})
			require.Equal(t, "succeeded", st.Status, st.Error)
			before, sum, err := e.db.SyncChecksum(ctx, "customers")
			require.NoError(t, err)

			sc.failAll(e)
			id := workflows.SyncWorkflowID("customers", sc.name+"-down")
			run, err := e.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
				workflows.SyncWorkflow, workflows.SyncInput{Entity: "customers", Trigger: workflows.SyncTriggerManual,
					TimeBudget: 4 * time.Second})
			require.NoError(t, err)
			wctx, cancel := context.WithTimeout(ctx, 40*time.Second)
			defer cancel()
			var out workflows.SyncStatus
			require.Error(t, run.Get(wctx, &out))
			r, err := e.db.SyncRunGet(ctx, id)
			require.NoError(t, err)
			require.Equal(t, database.SyncFailed, r.Status)
			require.Contains(t, r.Error, "HTTP 50")
			require.Positive(t, r.FailedAttempts)
			require.Len(t, erpNotifications(t, e, "sync-failed/"+id), 1)
			after, sum2, err := e.db.SyncChecksum(ctx, "customers")
			require.NoError(t, err)
			require.Equal(t, before, after)
			require.Equal(t, sum, sum2, "a failed run changed nothing")
			require.Equal(t, database.SyncFailed, erpHealth(t, e, "customers").LastStatus)

			require.NoError(t, scheduler.CheckHealth(ctx, e.db, time.Now().Add(2*time.Hour), testenv.Quiet))
			require.Len(t, erpNotifications(t, e, "sync-stale/customers"), 1)
		})
	}
}

// Kingdee's receivables and receipts sync like SAP's billing documents and
// cleared items: l2c ends up holding exactly what Kingdee holds.
func TestERPKingdeeInvoicesAndPaymentsSync(t *testing.T) {
	var kingdeeScenario erpScenario
	for _, sc := range erpScenarios() {
		if sc.name == "kingdee" {
			kingdeeScenario = sc
		}
	}
	e := kingdeeScenario.env(t)
	for _, entity := range []string{"customers", "invoices", "payments"} {
		st := e.sync(entity, "kingdee-"+entity, workflows.SyncInput{})
		require.Equal(t, "succeeded", st.Status, st.Error)
		require.Zero(t, st.Counts.Rejected, entity)
	}
	require.Equal(t, int64(1500), e.requireInStep("invoices"))
	require.Positive(t, e.requireInStep("payments"))
	st := e.sync("invoices", "kingdee-invoices-again", workflows.SyncInput{})
	require.Zero(t, st.Counts.Inserted+st.Counts.Updated)
}
