package api_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// The fault test of issue 12: the worker runs as a process of its own and is
// killed with SIGKILL, several times, while 200 deals place their orders in
// the ERP and the ERP ships them. Afterwards the ERP holds exactly one order
// per deal and every deal has each of its shipments once.

// faultDeals is how many deals the fault test drives: the 200
// (L2C_FAULT_DEALS overrides it, for a quicker look).
func faultDeals() int {
	if n, err := strconv.Atoi(os.Getenv("L2C_FAULT_DEALS")); err == nil && n > 0 {
		return n
	}
	return 200
}

// dealsAtOrder starts n deals for the customer with code, 16 at a time,
// each straight in the order stage with its owners named: a deal workflow
// started as the API starts one (update-with-start, then DealOpenedUpdate),
// with a deal whose quote was accepted and whose contract li approved by the
// deal's own rules (deal.Apply), not by requests and an approval case. The
// fault test is about the orders and shipments; the way to the order stage
// through the API (dealToOrder, TestOrder*) would cost it a minute at 200.
func (s *stack) dealsAtOrder(code string, n int) []string {
	s.t.Helper()
	ctx := context.Background()
	users := map[string]identity.User{}
	for _, u := range staff {
		users[u.ID] = u
	}
	day := time.Now().In(shanghai).AddDate(0, 0, 5)
	amount, due := money.Amount(100000), deal.DateOf(day)
	validTo := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, shanghai) // the end of the quote's last day
	open := func(id string) error {
		now := time.Now().UTC()
		today := deal.DateOf(now.In(shanghai))
		d, opened, err := deal.Open(id, deal.Opening{Title: "Fault " + id, Customer: deal.Customer{Code: code, Name: code},
			Owners: deal.Owners{Sales: "wang"}}, users["wang"], now)
		if err != nil {
			return err
		}
		for _, step := range []struct {
			by string
			a  deal.Action
		}{
			{"wang", deal.Action{Name: deal.ActSubmitQuote, Lines: []deal.QuoteLine{{SKU: "A", Quantity: 1, UnitPrice: amount}},
				ValidUntil: due, DeadlineAt: validTo, Today: today}},
			{"wang", deal.Action{Name: deal.ActAcceptQuote, Today: today}},
			{"wang", deal.Action{Name: deal.ActSubmitContract, ContractNo: "HT-" + id, Amount: &amount, TemplateID: "TPL-STD", Today: today}},
			{"li", deal.Action{Name: deal.ActApproveContract, Today: today}},
			{"wang", deal.Action{Name: deal.ActAssignOwners, DeliveryOwner: "zhou", PaymentOwner: "wu", Today: today}},
		} {
			if d, _, err = deal.Apply(d, users[step.by], step.a, now); err != nil {
				return fmt.Errorf("%s: %w", step.a.Name, err)
			}
		}
		if d.Stage != deal.StageOrder {
			return fmt.Errorf("in %s, not in the order stage", d.Stage)
		}
		opened.Seq, opened.To, opened.Reason = d.Version, d.Stage, "opened at the order stage for the fault test"
		start := s.tc.NewWithStartWorkflowOperation(client.StartWorkflowOptions{ID: workflows.DealWorkflowID(id),
			TaskQueue: workflows.TaskQueue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL},
			workflows.DealWorkflow, workflows.DealInput{Deal: d, Opened: opened})
		wait, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		upd, err := s.tc.UpdateWithStartWorkflow(wait, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: start,
			UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: workflows.DealWorkflowID(id), UpdateName: workflows.DealOpenedUpdate,
				WaitForStage: client.WorkflowUpdateStageCompleted}})
		if err != nil {
			return err
		}
		return upd.Get(wait, nil)
	}
	ids, errs := make([]string, n), make([]error, n)
	inParallel(n, 16, func(i int) {
		if ids[i], errs[i] = s.db.DealNextID(ctx); errs[i] == nil {
			errs[i] = open(ids[i])
		}
	})
	for i, err := range errs {
		require.NoError(s.t, err, "deal %d (%s)", i, ids[i])
	}
	return ids
}

// childWorker is a worker process: this test binary running
// TestOrderFaultChildWorker against the stack's PostgreSQL, Temporal and
// simulator.
type childWorker struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func (s *stack) startChildWorker() *childWorker {
	s.t.Helper()
	c := &childWorker{cmd: exec.Command(os.Args[0], "-test.run=^TestOrderFaultChildWorker$", "-test.count=1")}
	c.cmd.Env = append(os.Environ(), "L2C_FAULT_CHILD=1", "L2C_FAULT_DATABASE_URL="+testenv.DatabaseURL(s.t),
		"L2C_FAULT_TEMPORAL="+testenv.TemporalHostPort(s.t), "L2C_FAULT_SIM="+s.simURL)
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	require.NoError(s.t, c.cmd.Start())
	return c
}

// kill ends the worker the hard way: no activity finishes, nothing is
// handed back.
func (c *childWorker) kill(t testing.TB) {
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	_ = c.cmd.Wait()
}

// TestOrderFaultChildWorker is the child's side: a worker until killed.
func TestOrderFaultChildWorker(t *testing.T) {
	if os.Getenv("L2C_FAULT_CHILD") == "" {
		t.Skip("run by TestOrderFaultWorkerKilled")
	}
	ctx := context.Background()
	db, err := database.Open(ctx, os.Getenv("L2C_FAULT_DATABASE_URL"))
	require.NoError(t, err)
	tc, err := client.Dial(client.Options{HostPort: os.Getenv("L2C_FAULT_TEMPORAL"), Namespace: "default"})
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	// A killed worker's workflows are taken up by the next after 3 s, not
	// the shared stack's minute, and its shipment watches after 3 s without
	// a heartbeat; the ERP is asked for shipments every 500 ms. Eight
	// pollers of each kind: 200 deals at once keep two busy.
	w := stackWorkerWith(tc, db, testChain(t), simClient(t, os.Getenv("L2C_FAULT_SIM"), log), log,
		&activities.Deliveries{ShipmentPoll: 500 * time.Millisecond, WatchHeartbeat: 3 * time.Second},
		worker.Options{StickyScheduleToStartTimeout: 3 * time.Second, MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 8})
	require.NoError(t, w.Run(worker.InterruptCh()))
}

// TestOrderFaultWorkerKilled: the deals place stock orders and the ERP ships
// each in two deliveries while the only worker, a separate process, is
// killed with SIGKILL three times (faultDeals deals: 200). Every deal ends in payment collection
// with one ERP order and two shipments, each recorded once.
func TestOrderFaultWorkerKilled(t *testing.T) {
	s := setup(t)
	n := faultDeals()
	code := s.dealERPCustomer("Fault Co")
	ordersBefore := s.sim.OrderCount()
	began := time.Now()
	ids := s.dealsAtOrder(code, n)
	prepared := time.Since(began)

	// From here on the only worker is a process of its own.
	s.worker.Stop()
	defer func() {
		w := stackWorker(s.tc, s.db, testChain(t), s.erp, discard(), 100*time.Millisecond, time.Minute)
		require.NoError(t, w.Start())
		shared.Get(t, nil).worker = w // built already, by setup above
	}()
	child := s.startChildWorker()
	defer func() { child.kill(t) }()
	faultStart := time.Now()

	var wg sync.WaitGroup
	var placed, shippedAll time.Duration
	wg.Add(2)
	go func() { // the sales team places every order; a request cut short is sent again with its key
		defer wg.Done()
		defer func() { placed = time.Since(faultStart) }()
		inParallel(n, 24, func(i int) {
			for time.Since(faultStart) < 2*time.Minute {
				r := apprDoKey(t, s, "POST", "/api/v1/deals/"+ids[i]+"/actions", "tok-wang", "place-"+ids[i], stockOrder())
				switch {
				case r.status == 200:
					return
				case r.status < 500: // refused: sending it again cannot help
					t.Errorf("place_order on %s: %s", ids[i], r.raw)
					return
				}
				time.Sleep(200 * time.Millisecond) // the worker was killed under it: the same request, the same key
			}
		})
	}()
	go func() { // the ERP ships each order in two deliveries once it holds it
		defer wg.Done()
		defer func() { shippedAll = time.Since(faultStart) }()
		shipped := map[string]bool{}
		for len(shipped) < n && time.Since(faultStart) < 2*time.Minute {
			for _, id := range ids {
				if so := s.sim.OrdersFor(id); !shipped[id] && len(so) > 0 {
					_, err1 := s.sim.Ship(so[0], false)
					_, err2 := s.sim.Ship(so[0], true)
					require.NoError(t, err1)
					require.NoError(t, err2)
					shipped[id] = true
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	// Three kills, each once the worker before had a few seconds of work
	// (L2C_FAULT_KILLS=0 runs the same without any: the baseline).
	kills := 3
	if k, err := strconv.Atoi(os.Getenv("L2C_FAULT_KILLS")); err == nil && k >= 0 {
		kills = k
	}
	for range kills {
		time.Sleep(4 * time.Second)
		child.kill(t)
		child = s.startChildWorker()
	}
	wg.Wait()

	// Every deal as PostgreSQL holds it, in one query: its stage, its ERP
	// order, its shipments and how often each was recorded.
	ctx := context.Background()
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	type dealRow struct {
		stage, erpNumber                  string
		shipments, ordersStored, recorded int
	}
	read := func() map[string]dealRow {
		rows, err := conn.Query(ctx, `SELECT d.id, d.stage, coalesce(o.erp_number, ''),
			(SELECT count(*) FROM deal_shipments s WHERE s.deal_id = d.id),
			(SELECT count(*) FROM deal_history h WHERE h.deal_id = d.id AND h.action = 'erp_order_created'),
			(SELECT count(*) FROM deal_history h WHERE h.deal_id = d.id AND h.action = 'erp_shipment')
			FROM deals d LEFT JOIN deal_orders o ON o.deal_id = d.id WHERE d.id = ANY($1)`, ids)
		require.NoError(t, err)
		out := map[string]dealRow{}
		for rows.Next() {
			var id string
			var r dealRow
			require.NoError(t, rows.Scan(&id, &r.stage, &r.erpNumber, &r.shipments, &r.ordersStored, &r.recorded))
			out[id] = r
		}
		require.NoError(t, rows.Err())
		return out
	}
	collecting := func(deals map[string]dealRow) (k int) {
		for _, r := range deals {
			if r.stage == string(deal.StagePaymentCollection) {
				k++
			}
		}
		return k
	}
	var deals map[string]dealRow
	if !assert.Eventually(t, func() bool { deals = read(); return collecting(deals) == n }, time.Minute, 250*time.Millisecond) {
		t.Fatalf("deals in payment collection: %d of %d\nworker:\n%s", collecting(deals), n, &child.out)
	}
	settled := time.Since(faultStart)

	require.Equal(t, n, s.sim.OrderCount()-ordersBefore, "no stray order in the ERP")
	for _, id := range ids {
		orders := s.sim.OrdersFor(id)
		require.Len(t, orders, 1, "deal %s: one ERP order", id)
		require.Equal(t, dealRow{stage: string(deal.StagePaymentCollection), erpNumber: orders[0], shipments: 2, ordersStored: 1, recorded: 2},
			deals[id], "deal %s: its one ERP order stored once, each of its two shipments applied once", id)
	}
	t.Logf("%d deals: prepared in %s; through %d SIGKILLs every order placed after %s, in the ERP and shipped after %s, every deal in payment collection after %s",
		n, prepared.Round(time.Second), kills, placed.Round(time.Second), shippedAll.Round(time.Second), settled.Round(time.Second))
}

// inParallel runs f(0..n-1) on at most width goroutines.
func inParallel(n, width int, f func(i int)) { testenv.InParallel(n, width, f) }
