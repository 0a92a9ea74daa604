package activities_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/connectors/connectorstest"
	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/exchange"
	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/scheduler"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/wiring"
	"github.com/l2c/l2c/workflows"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// syncEnv is one test's ERP simulator, connector, database and worker. Tests
// in this package share the database and the sync's global state
// (checkpoints, schedules), so they run one after another and reset it.
type syncEnv struct {
	t      testing.TB
	sim    *erpsim.Sim
	conn   *sap.Client
	clean  connectors.ERP // the same ERP without faults: the truth to compare with
	db     *database.DB
	raw    *pgx.Conn
	tc     client.Client
	erp    *activities.ERP
	worker worker.Worker
	url    string // the simulator's
}

func newConn(t testing.TB, url string) *sap.Client {
	c, err := sap.New(sap.Config{BaseURL: url, Username: "L2C_COMM", Password: "sim-secret",
		MinDiscountField: erpsim.DefaultMinDiscountField, CreditLimitField: erpsim.DefaultCreditLimitField,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Log: testenv.Quiet})
	require.NoError(t, err)
	return c
}

func setup(t testing.TB, o erpsim.Options) *syncEnv {
	t.Helper()
	ctx := context.Background()
	db := testenv.OpenDB(t)
	raw := testenv.Conn(t, testenv.DatabaseURL(t))
	_, err := raw.Exec(ctx, `TRUNCATE sync_rejects, sync_runs, erp_payments, erp_invoices, sync_checkpoints;
		DELETE FROM customers WHERE source = 'erp';
		UPDATE sync_schedules SET running_run = NULL, enabled = false`)
	require.NoError(t, err)

	o.Log = testenv.Quiet
	sim := erpsim.New(o)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	e := &syncEnv{t: t, sim: sim, conn: newConn(t, srv.URL), clean: newConn(t, srv.URL), db: db, raw: raw,
		tc: testenv.TemporalClient(t), url: srv.URL}
	e.erp = &activities.ERP{Conn: e.conn, DB: db, Temporal: e.tc, Log: testenv.Quiet, ChunkBudget: 5 * time.Second}
	e.startWorker()
	return e
}

func (e *syncEnv) startWorker() {
	w := worker.New(e.tc, workflows.TaskQueue, worker.Options{})
	wiring.Register(w, wiring.Deps{DB: e.db, Log: testenv.Quiet, ERP: e.erp})
	w.RegisterWorkflowWithOptions(dealStub, workflow.RegisterOptions{Name: "DealStub"})
	require.NoError(e.t, w.Start())
	e.worker = w
	e.t.Cleanup(w.Stop)
}

// sync runs one sync of entity to its end and returns its outcome.
func (e *syncEnv) sync(entity, id string, in workflows.SyncInput) workflows.SyncStatus {
	e.t.Helper()
	in.Entity, in.Trigger = entity, workflows.SyncTriggerManual
	run, err := e.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: workflows.SyncWorkflowID(entity, id),
		TaskQueue: workflows.TaskQueue}, workflows.SyncWorkflow, in)
	require.NoError(e.t, err)
	return e.wait(run, 60*time.Second)
}

// wait waits up to timeout for the sync run to end and returns its outcome.
func (e *syncEnv) wait(run client.WorkflowRun, timeout time.Duration) workflows.SyncStatus {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var st workflows.SyncStatus
	require.NoError(e.t, run.Get(ctx, &st))
	return st
}

// truth reads every record of entity from the ERP without faults and
// returns their count and the checksum SyncChecksum computes over l2c's copy.
func (e *syncEnv) truth(entity string) (int64, string) {
	e.t.Helper()
	var lines []string
	key := func(l string) string { k, _, _ := strings.Cut(l, "|"); return k }
	switch entity {
	case "customers":
		rows, _, _ := connectorstest.ReadAll(e.t, e.clean.CustomersChanged, time.Time{})
		for _, c := range rows {
			lines = append(lines, strings.Join([]string{c.Code, c.Name, c.TaxID, c.Address, c.Phone, c.PaymentTerms,
				optInt(c.MinDiscountBP), optInt(c.CreditLimit), c.Currency, fmt.Sprint(c.Blocked),
				fmt.Sprint(c.ChangedAt.Unix()), c.ETag}, "|"))
		}
	case "invoices":
		rows, _, _ := connectorstest.ReadAll(e.t, e.clean.InvoicesChanged, time.Time{})
		for _, v := range rows {
			lines = append(lines, strings.Join([]string{v.Number, v.Customer, v.SalesOrder, fmt.Sprint(v.Amount),
				v.Currency, v.IssuedOn.Format(time.DateOnly), v.DueOn.Format(time.DateOnly), fmt.Sprint(v.Cancelled),
				fmt.Sprint(v.ChangedAt.Unix())}, "|"))
		}
	case "payments":
		rows, _, _ := connectorstest.ReadAll(e.t, e.clean.PaymentsChanged, time.Time{})
		for _, v := range rows {
			lines = append(lines, strings.Join([]string{v.Reference, v.InvoiceNo, v.Customer, fmt.Sprint(v.Amount),
				v.Currency, v.ReceivedOn.Format(time.DateOnly)}, "|"))
		}
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(key(a), key(b)) })
	sum := md5.Sum([]byte(strings.Join(lines, "\n")))
	return int64(len(lines)), hex.EncodeToString(sum[:])
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}

// requireInStep checks that l2c holds exactly what the ERP holds.
func (e *syncEnv) requireInStep(entity string) int64 {
	e.t.Helper()
	wantN, wantSum := e.truth(entity)
	n, sum, err := e.db.SyncChecksum(context.Background(), entity)
	require.NoError(e.t, err)
	require.Equal(e.t, wantN, n, "%s: row count", entity)
	require.Equal(e.t, wantSum, sum, "%s: checksum", entity)
	return n
}

func TestFullSyncThenDelta(t *testing.T) {
	e := setup(t, erpsim.Options{Customers: 2000, PageSize: 500, Seed: 11})
	st := e.sync("customers", "full", workflows.SyncInput{})
	require.Equal(t, "succeeded", st.Status)
	require.Equal(t, int64(2003), st.Counts.Inserted)
	require.Equal(t, int64(5), st.Counts.Pages)
	require.Equal(t, int64(2003), e.requireInStep("customers"))
	testenv.RecordHistory(t, e.tc, workflows.SyncWorkflowID("customers", "full"), "sync_customers.json")

	run, err := e.db.SyncRunGet(context.Background(), workflows.SyncWorkflowID("customers", "full"))
	require.NoError(t, err)
	require.Equal(t, database.SyncSucceeded, run.Status)
	require.Equal(t, int64(2003), run.Read)
	require.NotNil(t, run.FinishedAt)

	changed := e.sim.ChangeCustomers(60, 5)
	st = e.sync("customers", "delta", workflows.SyncInput{})
	require.Equal(t, "succeeded", st.Status)
	require.Equal(t, int64(60), st.Counts.Updated)
	require.Zero(t, st.Counts.Inserted)
	// The delta reads the changes and the few rows inside the overlap window, not the table.
	require.Less(t, st.Counts.Read, int64(100), "delta read %d rows", st.Counts.Read)
	require.Len(t, changed, 60)
	e.requireInStep("customers")

	// Reading the same changes again changes nothing.
	st = e.sync("customers", "again", workflows.SyncInput{})
	require.Zero(t, st.Counts.Updated+st.Counts.Inserted)
	require.Positive(t, st.Counts.Unchanged)
}

func TestCrashMidSyncResumesWithoutLossOrDuplicates(t *testing.T) {
	e := setup(t, erpsim.Options{Customers: 3000, PageSize: 100, Seed: 12,
		Faults: erpsim.Faults{Latency: 40 * time.Millisecond}})
	run, err := e.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: workflows.SyncWorkflowID("customers", "crash"), TaskQueue: workflows.TaskQueue}, workflows.SyncWorkflow,
		workflows.SyncInput{Entity: "customers", Trigger: workflows.SyncTriggerManual, HeartbeatTimeout: 2 * time.Second})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		r, err := e.db.SyncRunGet(context.Background(), run.GetID())
		return err == nil && r.Pages >= 6
	}, 30*time.Second, 20*time.Millisecond)
	e.worker.Stop() // the worker dies mid-run
	before, _, err := e.db.SyncChecksum(context.Background(), "customers")
	require.NoError(t, err)
	require.Less(t, before, int64(3003))

	e.startWorker() // another worker picks the run up
	st := e.wait(run, 60*time.Second)
	require.Equal(t, "succeeded", st.Status)
	require.Equal(t, int64(3003), e.requireInStep("customers"))
	// Resumed after the last page written: at most the page in flight is read twice.
	require.LessOrEqual(t, st.Counts.Read, int64(3003+100))
	require.GreaterOrEqual(t, st.Counts.Read, int64(3003))
}

func TestFaultsLatencyAndErrorsConvergeOnTheERPsData(t *testing.T) {
	e := setup(t, erpsim.Options{Customers: 1500, Invoices: 1500, PageSize: 250, Seed: 13,
		Faults: erpsim.Faults{ErrorRate: 0.2, SpikeRate: 0.1, Spike: 150 * time.Millisecond,
			RateLimitRate: 0.02, RetryAfter: 1, DropRate: 0.03}})
	for _, entity := range []string{"customers", "invoices", "payments"} {
		st := e.sync(entity, "faults", workflows.SyncInput{})
		require.Equal(t, "succeeded", st.Status, entity)
	}
	// The faults really happened: the runs above succeeded through them.
	require.Positive(t, e.sim.Injected(), "faults injected in %d requests", e.sim.Requests())
	e.sim.SetFaults(erpsim.Faults{})
	require.Equal(t, int64(1503), e.requireInStep("customers"))
	require.Equal(t, int64(1500), e.requireInStep("invoices"))
	require.Positive(t, e.requireInStep("payments"))
}

func TestMalformedRowsAreRejectedAndReported(t *testing.T) {
	e := setup(t, erpsim.Options{Customers: 1000, Seed: 14, Faults: erpsim.Faults{MalformedRate: 0.03}})
	st := e.sync("customers", "malformed", workflows.SyncInput{})
	require.Equal(t, "succeeded", st.Status)
	require.Positive(t, st.Counts.Rejected)
	require.Equal(t, int64(1003), st.Counts.Read)
	require.Equal(t, int64(1003)-st.Counts.Rejected, st.Counts.Inserted)
	rejects, err := e.db.SyncRejectsList(context.Background(), workflows.SyncWorkflowID("customers", "malformed"), 1000)
	require.NoError(t, err)
	require.Len(t, rejects, int(st.Counts.Rejected))
	for _, r := range rejects {
		require.NotEmpty(t, r.Key)
		require.NotEmpty(t, r.Reason)
	}
	n, _, err := e.db.SyncChecksum(context.Background(), "customers")
	require.NoError(t, err)
	require.Equal(t, int64(1003)-st.Counts.Rejected, n)
}

func TestStaleETagOnTermsUpdateIsAClearConflict(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{Customers: 20, Seed: 15})
	e.sync("customers", "etag", workflows.SyncInput{})
	var etag, terms string
	require.NoError(t, e.raw.QueryRow(ctx, `SELECT erp_etag, payment_terms FROM customers WHERE code = '10000007'`).Scan(&etag, &terms))
	require.NotEmpty(t, etag)

	// Someone changes the customer in the ERP after the terms were approved.
	require.True(t, e.sim.TouchCustomer("10000007"))
	nt90, bp := "NT90", int64(7500)
	in := activities.WriteCustomerTermsInput{Code: "10000007", ETag: etag,
		Terms: activities.CustomerTerms{PaymentTerms: &nt90, MinDiscountBP: &bp}}
	_, err := e.erp.WriteCustomerTerms(ctx, in)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.Equal(t, activities.ErrTypeERPConflict, appErr.Type())
	require.True(t, appErr.NonRetryable())
	cur, err := e.clean.Customer(ctx, "10000007")
	require.NoError(t, err)
	require.Equal(t, terms, cur.PaymentTerms, "nothing written to the ERP")
	var localTerms, localETag string
	require.NoError(t, e.raw.QueryRow(ctx, `SELECT payment_terms, erp_etag FROM customers WHERE code = '10000007'`).
		Scan(&localTerms, &localETag))
	require.Equal(t, terms, localTerms, "nothing half-written in l2c")
	require.Equal(t, cur.ETag, localETag, "l2c now knows the ERP's version")

	// Approved against the current version, it goes through; a retry is a no-op.
	in.ETag = cur.ETag
	res, err := e.erp.WriteCustomerTerms(ctx, in)
	require.NoError(t, err)
	res2, err := e.erp.WriteCustomerTerms(ctx, in)
	require.NoError(t, err)
	require.Equal(t, res.ETag, res2.ETag)
	after, err := e.clean.Customer(ctx, "10000007")
	require.NoError(t, err)
	require.Equal(t, "NT90", after.PaymentTerms)
	require.Equal(t, int64(7500), *after.MinDiscountBP)

	// Someone saves the customer between our read and our PATCH (412).
	e.sim.SetFaults(erpsim.Faults{StaleETagRate: 1})
	nt30 := "NT30"
	_, err = e.erp.WriteCustomerTerms(ctx, activities.WriteCustomerTermsInput{Code: "10000008",
		Terms: activities.CustomerTerms{PaymentTerms: &nt30}})
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.Equal(t, activities.ErrTypeERPConflict, appErr.Type())
}

func TestWriteBacksAreIdempotent(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{})
	first := time.Now()
	nt30 := "NT30"
	c1, err := e.erp.CreateERPCustomer(ctx, activities.CreateERPCustomerInput{Key: "approval/NC-1", FirstSent: first,
		Name: "Jinan Castings Co.", City: "Jinan", Terms: activities.CustomerTerms{PaymentTerms: &nt30}})
	require.NoError(t, err)
	c2, err := e.erp.CreateERPCustomer(ctx, activities.CreateERPCustomerInput{Key: "approval/NC-1", FirstSent: first,
		Name: "Jinan Castings Co.", City: "Jinan", Terms: activities.CustomerTerms{PaymentTerms: &nt30}})
	require.NoError(t, err)
	require.Equal(t, c1.Code, c2.Code)
	var local string
	require.NoError(t, e.raw.QueryRow(ctx, `SELECT payment_terms FROM customers WHERE code = $1`, c1.Code).Scan(&local))
	require.Equal(t, "NT30", local)

	in := activities.CreateSalesOrderInput{Key: "deal/D-9/order", FirstSent: first, Customer: c1.Code, CustomerRef: "HT-9",
		Items: []activities.SalesOrderItem{{Material: "SP-100", Quantity: 2, NetPrice: 500000}}}
	o1, err := e.erp.CreateSalesOrder(ctx, in)
	require.NoError(t, err)
	o2, err := e.erp.CreateSalesOrder(ctx, in)
	require.NoError(t, err)
	require.Equal(t, o1.Number, o2.Number)
	require.Equal(t, int64(1000000), o1.NetValue)
	_, err = e.sim.Ship(o1.Number, true)
	require.NoError(t, err)
	ships, err := e.erp.ReadShipments(ctx, o1.Number)
	require.NoError(t, err)
	require.Len(t, ships, 1)
	require.True(t, ships[0].Final)
}

// TestWatchShipments: the watch reports a delivery the deal does not have
// as soon as the ERP has one, says when the ERP stops answering (three reads
// in a row), and when it answers again.
func TestWatchShipments(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{})
	c, err := e.erp.CreateERPCustomer(ctx, activities.CreateERPCustomerInput{Key: "approval/NC-W", FirstSent: time.Now(),
		Name: "Watch Co.", City: "Jinan"})
	require.NoError(t, err)
	o, err := e.erp.CreateSalesOrder(ctx, activities.CreateSalesOrderInput{Key: "order/D-W", FirstSent: time.Now(),
		Customer: c.Code, CustomerRef: "D-W", Items: []activities.SalesOrderItem{{Material: "SP-1", Quantity: 1}}})
	require.NoError(t, err)
	first, err := e.sim.Ship(o.Number, false)
	require.NoError(t, err)
	in := activities.WatchShipmentsInput{SalesOrder: o.Number, Known: []string{first}, Poll: 20 * time.Millisecond, Wait: 5 * time.Second}
	go func() { time.Sleep(100 * time.Millisecond); _, _ = e.sim.Ship(o.Number, true) }()
	res, err := e.erp.WatchShipments(ctx, in)
	require.NoError(t, err)
	require.Len(t, res.Shipments, 1, "only the delivery the deal does not have")
	require.True(t, res.Shipments[0].Final)
	require.False(t, res.Failing)

	e.sim.SetFaults(erpsim.Faults{ErrorRate: 1})
	in.Known = append(in.Known, res.Shipments[0].Number)
	res, err = e.erp.WatchShipments(ctx, in)
	require.NoError(t, err)
	require.True(t, res.Failing)
	require.Equal(t, 3, res.Attempts)
	require.Contains(t, res.LastError, "HTTP 5")

	e.sim.SetFaults(erpsim.Faults{})
	in.Failing = true
	res, err = e.erp.WatchShipments(ctx, in)
	require.NoError(t, err)
	require.False(t, res.Failing, "answering again")
	require.Empty(t, res.Shipments)
}

// dealStub stands in for a deal's workflow: it collects the ERP records
// signalled to it until it has want of them.
func dealStub(ctx workflow.Context, want int) ([]workflows.ERPRecord, error) {
	var got []workflows.ERPRecord
	ch := workflow.GetSignalChannel(ctx, workflows.DealERPSignal)
	for len(got) < want {
		var r workflows.ERPRecord
		ch.Receive(ctx, &r)
		got = append(got, r)
	}
	return got, nil
}

func TestInvoicesAndPaymentsSignalTheirDeals(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{Customers: 10, Invoices: 300, Seed: 16})
	wang := identity.User{ID: "wang", Name: "Wang", Roles: []identity.Role{identity.RoleSales}}
	require.NoError(t, e.db.UserUpsert(ctx, wang, "", ""))
	dealID := fmt.Sprintf("D-SIG-%d", time.Now().UnixNano())
	now := time.Now().UTC().Truncate(time.Microsecond)
	d, opened, err := deal.Open(dealID, deal.Opening{Title: "Spindles", Customer: deal.Customer{Code: "C1001", Name: "Suzhou"}}, wang, now)
	require.NoError(t, err)
	_, err = e.db.DealSave(ctx, d, opened, nil)
	require.NoError(t, err)
	d.Version++
	d.Order = &deal.Order{Kind: deal.OrderStock, ERPNumber: "SO-" + dealID, DeliveryDue: deal.DateOf(now), DueAt: now,
		Review: deal.Review{Status: deal.ReviewNotNeeded, RequestedBy: "wang", RequestedAt: now}}
	_, err = e.db.DealSave(ctx, d, deal.HistoryEntry{Seq: 2, Action: "place_order", Actor: "wang", To: d.Stage, At: now}, nil)
	require.NoError(t, err)

	stub, err := e.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.DealWorkflowID(dealID),
		TaskQueue: workflows.TaskQueue}, "DealStub", 2)
	require.NoError(t, err)

	inv := e.sim.AddInvoice("C1001", "SO-"+dealID, 4320000)
	st := e.sync("invoices", "sig", workflows.SyncInput{})
	require.Equal(t, "succeeded", st.Status)
	require.Equal(t, int64(1), st.Counts.Signalled)
	_, err = e.sim.Clear(inv)
	require.NoError(t, err)
	st = e.sync("payments", "sig", workflows.SyncInput{})
	require.Equal(t, int64(1), st.Counts.Signalled)

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var got []workflows.ERPRecord
	require.NoError(t, stub.Get(wctx, &got))
	require.Len(t, got, 2)
	require.Equal(t, inv, got[0].Invoice.Number)
	require.Equal(t, "erp", got[0].Invoice.RecordedBy)
	require.Equal(t, int64(4320000*113/100), int64(got[0].Invoice.Amount))
	require.Equal(t, inv, got[1].Payment.InvoiceNo)
	require.Equal(t, "erp", got[1].Payment.RecordedBy)

	// A second run finds nothing new to tell.
	st = e.sync("invoices", "sig2", workflows.SyncInput{})
	require.Zero(t, st.Counts.Signalled)
}

func TestOverlappingRunIsSkipped(t *testing.T) {
	e := setup(t, erpsim.Options{Customers: 1500, PageSize: 100, Faults: erpsim.Faults{Latency: 50 * time.Millisecond}})
	first, err := e.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: workflows.SyncWorkflowID("customers", "long"), TaskQueue: workflows.TaskQueue}, workflows.SyncWorkflow,
		workflows.SyncInput{Entity: "customers", Trigger: workflows.SyncTriggerSchedule})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		r, err := e.db.SyncRunGet(context.Background(), first.GetID())
		return err == nil && r.Pages >= 1
	}, 20*time.Second, 10*time.Millisecond)
	st := e.sync("customers", "overlap", workflows.SyncInput{})
	require.Equal(t, "skipped", st.Status)
	require.Equal(t, first.GetID(), st.HeldBy)
	var done workflows.SyncStatus
	require.NoError(t, first.Get(context.Background(), &done))
	require.Equal(t, "succeeded", done.Status)
	skipped, err := e.db.SyncRunGet(context.Background(), workflows.SyncWorkflowID("customers", "overlap"))
	require.NoError(t, err)
	require.Equal(t, database.SyncSkipped, skipped.Status)
}

func TestTwoSchedulersTickingAtOnceStartOneRun(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{Customers: 50})
	// The same tick from two replicas: one run.
	started := make([]bool, 2)
	testenv.InParallel(len(started), len(started), func(i int) {
		_, ok, err := scheduler.StartRun(ctx, e.tc, "customers", workflows.SyncTriggerSchedule, "", "20261102T010000Z")
		require.NoError(t, err)
		started[i] = ok
	})
	require.ElementsMatch(t, []bool{true, false}, started)

	// Two whole schedulers on a two-second schedule for about five seconds.
	_, err := e.db.SyncScheduleSave(ctx, "customers", "@every 2s", true, "test")
	require.NoError(t, err)
	sctx, cancel := context.WithCancel(ctx)
	var swg sync.WaitGroup
	for range 2 {
		s := scheduler.New(scheduler.Options{DB: e.db, Temporal: e.tc, Log: testenv.Quiet, Poll: 100 * time.Millisecond})
		swg.Add(1)
		go func() { defer swg.Done(); _ = s.Run(sctx) }()
	}
	time.Sleep(5 * time.Second)
	cancel()
	swg.Wait()
	_, err = e.db.SyncScheduleSave(ctx, "customers", "*/15 * * * *", false, "test")
	require.NoError(t, err)
	runs, err := e.db.SyncRunList(ctx, "customers", 100)
	require.NoError(t, err)
	buckets := map[string]int{}
	scheduled := 0
	for _, r := range runs {
		if r.Trigger == workflows.SyncTriggerSchedule && !strings.HasSuffix(r.ID, "20261102T010000Z") {
			scheduled++
			buckets[r.ID]++
		}
	}
	// Two or three ticks happened; each started one run, not two.
	require.GreaterOrEqual(t, scheduled, 2)
	require.LessOrEqual(t, scheduled, 3)
	for id, n := range buckets {
		require.Equal(t, 1, n, id)
	}
}

func TestExchangeFolderSync(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{})
	dir := t.TempDir()
	x, err := exchange.New(exchange.Config{Dir: dir, PageRows: 2, Log: testenv.Quiet})
	require.NoError(t, err)
	e.erp.Conn = x
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inbox", "customers_1.csv"),
		[]byte("客户编码,客户名称,付款条件\nX1,甲公司,NT30\nX2,乙公司,NT60\n,无编码,\nX3,丙公司,NT30\n"), 0o644))
	st := e.sync("customers", "exchange", workflows.SyncInput{})
	require.Equal(t, "succeeded", st.Status)
	require.Equal(t, int64(3), st.Counts.Inserted)
	require.Equal(t, int64(1), st.Counts.Rejected)
	var n int
	require.NoError(t, e.raw.QueryRow(ctx, `SELECT count(*) FROM customers WHERE code IN ('X1','X2','X3')`).Scan(&n))
	require.Equal(t, 3, n)
	done, err := os.ReadDir(filepath.Join(dir, "processed"))
	require.NoError(t, err)
	require.Len(t, done, 1, "the file is moved aside once stored")
	st = e.sync("customers", "exchange-again", workflows.SyncInput{})
	require.Zero(t, st.Counts.Read, "a file is never read twice")
}
