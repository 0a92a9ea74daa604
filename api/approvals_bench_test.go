package api_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// BenchmarkApprovalViews measures the inbox and the stuck report through the
// HTTP API on 100,000 open steps among 1,000,000.
func BenchmarkApprovalViews(b *testing.B) {
	s := benchStack(b)

	const n = 100
	rng := rand.New(rand.NewPCG(1, 2))
	measure := func(path func() (string, string)) []time.Duration {
		var ds []time.Duration
		for range n {
			p, tok := path()
			t0 := time.Now()
			r := s.do("GET", p, tok, "")
			ds = append(ds, time.Since(t0))
			require.Equal(b, 200, r.status, r.raw)
		}
		return ds
	}
	inbox := measure(func() (string, string) {
		return "/api/v1/approvals/inbox", fmt.Sprintf("tok-bu%d", rng.IntN(1000))
	})
	filters := []string{"", "kind=contract_review", "team=team10", "holder=bu42", "owner=br10", "min_age_hours=100",
		"kind=custom_order&team=team0&min_age_hours=24"}
	var stuck []time.Duration
	for _, f := range filters {
		ds := measure(func() (string, string) { return "/api/v1/approvals/stuck?" + f, "tok-admin" })
		b.Logf("stuck report %q: p50 %.1f ms, p99 %.1f ms", f, ms(pct(ds, 50)), ms(pct(ds, 99)))
		stuck = append(stuck, ds...)
	}
	fmt.Printf("BENCH inbox_p50_ms %.1f ms\n", ms(pct(inbox, 50)))
	fmt.Printf("BENCH inbox_p99_ms %.1f ms\n", ms(pct(inbox, 99)))
	fmt.Printf("BENCH stuck_report_p50_ms %.1f ms\n", ms(pct(stuck, 50)))
	fmt.Printf("BENCH stuck_report_p99_ms %.1f ms\n", ms(pct(stuck, 99)))
}

// BenchmarkApprovalDecisions runs approval cases of three single-approver
// stages, deciding every step through the workflow's Update, and a bare
// workflow doing the same number of Updates and activities on the same dev
// server; it reports decision throughput as a ratio to the bare one, and the
// latency from a decision to the next stage's first activity starting.
func BenchmarkApprovalDecisions(b *testing.B) {
	s := setup(b)
	ctx := context.Background()
	for _, id := range []string{"ba1", "ba2", "ba3", "breq"} {
		_, err := s.db.UsersMissing(ctx, []string{id})
		require.NoError(b, err)
	}
	pool, err := pgxpool.New(ctx, testenv.DatabaseURL(b))
	require.NoError(b, err)
	defer pool.Close()
	_, err = pool.Exec(ctx, `INSERT INTO users (id, name, roles) SELECT x, x, ARRAY['sales_manager']
		FROM unnest(ARRAY['ba1','ba2','ba3','breq']) x ON CONFLICT DO NOTHING`)
	require.NoError(b, err)
	rules := approval.RuleSet{Kind: approval.KindQuoteDiscount, Stages: []approval.StageRule{
		{Stage: approval.Stage{Name: "one", Approvers: []string{"user:ba1"}, Rule: approval.RuleAny, SLAHours: 8}},
		{Stage: approval.Stage{Name: "two", Approvers: []string{"user:ba2"}, Rule: approval.RuleAny, SLAHours: 8}},
		{Stage: approval.Stage{Name: "three", Approvers: []string{"user:ba3"}, Rule: approval.RuleAny, SLAHours: 8}},
	}}
	chain := testenv.AuditChain(b)
	_, err = s.db.ApprovalRulesSave(ctx, rules, "admin", chain, audit.Entry{At: time.Now(), Actor: "admin",
		Action: "approval_rules.save", ObjectType: "approval_rules", ObjectID: string(rules.Kind)})
	require.NoError(b, err)

	const queue = "bench"
	timed := &timedApprovals{Approvals: &activities.Approvals{DB: s.db, Log: discard(), Audit: chain}, started: map[string][]time.Time{}}
	w := worker.New(s.tc, queue, worker.Options{})
	w.RegisterWorkflow(workflows.ApprovalWorkflow)
	w.RegisterActivity(timed)
	w.RegisterWorkflow(bareWorkflow)
	w.RegisterActivity(noop)
	require.NoError(b, w.Start())
	defer w.Stop()

	const cases = 30
	measuring := false // the latency phase: one decision at a time, as a person makes them
	run := func(name string, cases, parallel int, start func(id string) error, decide func(id string, stage int) error) time.Duration {
		ids := make([]string, cases)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s-%d-%d", name, time.Now().UnixNano(), i)
			require.NoError(b, start(ids[i]))
		}
		t0 := time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, parallel)
		for _, id := range ids {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				for stage := 1; stage <= 3; stage++ {
					require.NoError(b, decide(id, stage))
				}
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}
	var mu sync.Mutex
	var latencies []time.Duration
	startCase := func(id string) error {
		c := approval.Case{ID: id, Kind: approval.KindQuoteDiscount, Title: "bench", Requester: "breq", OpenedAt: time.Now().UTC().Truncate(time.Microsecond)}
		_, err := s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ApprovalWorkflowID(id), TaskQueue: queue},
			workflows.ApprovalWorkflow, workflows.ApprovalInput{Case: c})
		if err != nil {
			return err
		}
		// Wait until the first stage is open.
		for timed.count(workflows.ApprovalWorkflowID(id)) < 1 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		return nil
	}
	decideCase := func(id string, stage int) error {
		wid := workflows.ApprovalWorkflowID(id)
		sent := time.Now()
		upd, err := s.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: wid, UpdateName: workflows.ApprovalDecideUpdate,
			Args:         []any{workflows.DecideInput{Actor: staffUser(fmt.Sprintf("ba%d", stage)), Approve: true}},
			WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return err
		}
		if err := upd.Get(ctx, nil); err != nil {
			return err
		}
		if stage < 3 && measuring { // the next stage's approvers are resolved once this decision is saved
			for timed.count(wid) < stage+1 {
				time.Sleep(time.Millisecond)
			}
			mu.Lock()
			latencies = append(latencies, timed.at(wid, stage).Sub(sent))
			mu.Unlock()
		}
		return nil
	}
	startBare := func(id string) error {
		_, err := s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, bareWorkflow)
		return err
	}
	bump := func(id string, stage int) error {
		upd, err := s.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: "bump",
			WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return err
		}
		return upd.Get(ctx, nil)
	}
	// Alternate the two, three rounds each, and compare medians: this machine
	// is shared, and a single pair of runs can land in different weather.
	var approvalRuns, bareRuns []time.Duration
	for range 3 {
		approvalRuns = append(approvalRuns, run("bench.approval", cases, cases, startCase, decideCase))
		bareRuns = append(bareRuns, run("bench.bare", cases, cases, startBare, bump))
	}
	approvalTime, bareTime := pct(approvalRuns, 50), pct(bareRuns, 50)
	measuring = true
	run("bench.latency", 20, 1, startCase, decideCase)
	decisions := float64(cases * 3)
	fmt.Printf("BENCH approval_decisions_per_s %.1f decisions/s\n", decisions/approvalTime.Seconds())
	fmt.Printf("BENCH bare_updates_per_s %.1f updates/s\n", decisions/bareTime.Seconds())
	fmt.Printf("BENCH approval_throughput_ratio %.2f ratio\n", bareTime.Seconds()/approvalTime.Seconds())
	fmt.Printf("BENCH decision_to_next_step_p50_ms %.1f ms\n", ms(pct(latencies, 50)))
	fmt.Printf("BENCH decision_to_next_step_p99_ms %.1f ms\n", ms(pct(latencies, 99)))
}

// bareWorkflow is the baseline: per case, as many Updates (3) and activities
// (11, local like the approval workflow's) as a three-stage approval case runs,
// in the same places (4 on opening: choose route, resolve, schedule, save; 3
// for each of the first two decisions: resolve, schedule, save; 1 for the
// last: save), with nothing else.
func bareWorkflow(ctx workflow.Context) error {
	opts := workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second}
	run := func(ctx workflow.Context, n int) error {
		ctx = workflow.WithLocalActivityOptions(ctx, opts)
		for range n {
			if err := workflow.ExecuteLocalActivity(ctx, noop).Get(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	}
	perUpdate := []int{3, 3, 1}
	done := 0
	if err := workflow.SetUpdateHandler(ctx, "bump", func(uctx workflow.Context) error {
		n := perUpdate[done]
		done++
		return run(uctx, n)
	}); err != nil {
		return err
	}
	if err := run(ctx, 4); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return done == 3 && workflow.AllHandlersFinished(ctx) })
}

func noop(context.Context) error { return nil }

// timedApprovals notes when each case's ResolveApprovers starts: the first
// thing a stage does once the decision before it is saved.
type timedApprovals struct {
	*activities.Approvals
	mu      sync.Mutex
	started map[string][]time.Time
}

func (a *timedApprovals) ResolveApprovers(ctx context.Context, in activities.ResolveInput) ([]approval.Assignee, error) {
	wid := activity.GetInfo(ctx).WorkflowExecution.ID
	a.mu.Lock()
	a.started[wid] = append(a.started[wid], time.Now())
	a.mu.Unlock()
	return a.Approvals.ResolveApprovers(ctx, in)
}

func (a *timedApprovals) count(wid string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.started[wid])
}

func (a *timedApprovals) at(wid string, i int) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.started[wid][i]
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// benchStack is the test stack with benchSeed's data loaded.
func benchStack(b *testing.B) *stack {
	b.Helper()
	s := setup(b)
	pool, err := pgxpool.New(context.Background(), testenv.DatabaseURL(b))
	require.NoError(b, err)
	defer pool.Close()
	benchSeed(b, pool, s.db)
	return s
}

// benchSeed loads the benchmarks' data once per test database, in
// PostgreSQL itself (INSERT … SELECT over generate_series: no rows cross the
// wire, faster than COPY from the client): 1,000 sales managers (bu*) and
// 1,000 reps (br*, br<n> reporting to bu<n>, 20 teams), 100 delivery (bd*)
// and 100 collection (bp*) owners, 5,000 customers, 100,000 deals (BD-*, a
// tenth in contract review, the rest spread over the other stages) with
// 1,000,000 history rows and the stage rows of their stage, and one approval
// case per deal (bench.<n> for BD-<n>) with ten steps: all ten open in the
// cases of the deals in contract review (100,000 open steps), decided in the
// others (900,000), each with its working time on the company calendar as
// CaseSave saves it (db.BackfillWorkingSeconds, migration 00113's). Reruns
// insert nothing.
func benchSeed(b *testing.B, pool *pgxpool.Pool, db *database.DB) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	for _, q := range []string{
		`INSERT INTO users (id, name, team, roles, token_sha256)
			SELECT 'bu' || i, 'Bench ' || i, 'team' || (i % 20), ARRAY['sales_manager'], sha256(('tok-bu' || i)::bytea)
			FROM generate_series(0, 999) i ON CONFLICT DO NOTHING`,
		`INSERT INTO users (id, name, team, manager_id, roles, token_sha256)
			SELECT 'br' || i, 'Rep ' || i, 'team' || (i % 20), 'bu' || i, ARRAY['sales'], sha256(('tok-br' || i)::bytea)
			FROM generate_series(0, 999) i ON CONFLICT DO NOTHING`,
		`INSERT INTO users (id, name, roles, token_sha256)
			SELECT p || i, CASE p WHEN 'bd' THEN 'Delivery ' ELSE 'Collector ' END || i,
				ARRAY[CASE p WHEN 'bd' THEN 'delivery' ELSE 'collector' END], sha256(('tok-' || p || i)::bytea)
			FROM generate_series(0, 99) i, unnest(ARRAY['bd', 'bp']) p ON CONFLICT DO NOTHING`,
		`INSERT INTO customers (code, name, payment_terms, min_discount_bp, sales_owner, source)
			SELECT 'BC' || i, 'Bench customer ' || i, (ARRAY['NT30', 'NT60', 'NT90'])[1 + i % 3], 9000, 'br' || (i % 1000), 'manual'
			FROM generate_series(0, 4999) i ON CONFLICT DO NOTHING`,
		`INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount, discoverer, sales_owner,
				delivery_owner, payment_owner, stage, stage_entered_at, holder, created_by, created_at, closed_at, version)
			SELECT 'BD-' || lpad(i::text, 6, '0'), 'Bench deal ' || i, 'BC' || (i % 5000), 'Bench customer ' || (i % 5000),
				false, 'CNY', (10000 + i % 200 * 5000)::bigint * 100, 'br' || (i % 1000), 'br' || (i % 1000),
				CASE WHEN s.late THEN 'bd' || (i % 100) END, CASE WHEN s.late THEN 'bp' || (i % 100) END,
				s.st, now() - (i % 500) * interval '1 hour',
				CASE WHEN s.st = 'contract_review' THEN 'approval:bench.' || i WHEN s.st IN ('closed', 'lost') THEN '' ELSE 'br' || (i % 1000) END,
				'br' || (i % 1000), now() - (i % 2000 + 24) * interval '1 hour',
				CASE WHEN s.st IN ('closed', 'lost') THEN now() - (i % 500) * interval '1 hour' END, 12
			FROM generate_series(0, 99999) i,
				LATERAL (SELECT CASE WHEN i % 10 = 0 THEN 'contract_review'
					ELSE (ARRAY['opportunity', 'quote', 'bid', 'order', 'delivery', 'payment_collection', 'closed', 'lost'])[1 + i % 8] END st) s0,
				LATERAL (SELECT s0.st, s0.st IN ('order', 'delivery', 'payment_collection', 'closed') late) s
			ON CONFLICT DO NOTHING`,
		`INSERT INTO deal_history (deal_id, seq, action, actor, from_stage, to_stage, reason, at)
			SELECT d.id, j, (ARRAY['open', 'submit_quote', 'submit_quote', 'accept_quote', 'submit_contract', 'place_order',
					'assign_owners', 'record_shipment', 'record_invoice', 'record_payment'])[j],
				d.sales_owner, CASE WHEN j = 1 THEN '' ELSE d.stage END, d.stage, 'bench', d.created_at + j * interval '1 minute'
			FROM deals d, generate_series(1, 10) j WHERE d.id LIKE 'BD-%' ON CONFLICT DO NOTHING`,
		`INSERT INTO deal_contracts (deal_id, number, amount, payment_terms, template_id, review_status, review_round,
				requested_by, requested_at, decided_by, decided_at, case_id)
			SELECT d.id, 'HT-' || d.id, d.expected_amount, 'NT90', 'TPL-STD',
				CASE WHEN d.stage = 'contract_review' THEN 'pending' ELSE 'approved' END, 1, d.sales_owner, d.created_at,
				CASE WHEN d.stage = 'contract_review' THEN '' ELSE 'bu' || (substr(d.id, 4)::int % 1000) END,
				CASE WHEN d.stage <> 'contract_review' THEN d.stage_entered_at END, 'bench.' || substr(d.id, 4)::int
			FROM deals d WHERE d.id LIKE 'BD-%' AND d.stage IN ('contract_review', 'order', 'delivery', 'payment_collection', 'closed')
			ON CONFLICT DO NOTHING`,
		`INSERT INTO deal_orders (deal_id, kind, delivery_due, due_at, review_status, review_round, requested_by, requested_at)
			SELECT d.id, 'stock', current_date + (substr(d.id, 4)::int % 40 - 20), now() + (substr(d.id, 4)::int % 40 - 20) * interval '1 day',
				'approved', 1, d.sales_owner, d.stage_entered_at
			FROM deals d WHERE d.id LIKE 'BD-%' AND d.stage IN ('order', 'delivery', 'payment_collection', 'closed')
			ON CONFLICT DO NOTHING`,
		`INSERT INTO deal_invoices (deal_id, number, amount, issued_on, due_on, recorded_by, recorded_at)
			SELECT d.id, 'INV-' || d.id, d.expected_amount, current_date - 40, current_date + (substr(d.id, 4)::int % 60 - 30),
				d.payment_owner, d.stage_entered_at
			FROM deals d WHERE d.id LIKE 'BD-%' AND d.stage IN ('payment_collection', 'closed')
			ON CONFLICT DO NOTHING`,
		`INSERT INTO approval_cases (id, kind, deal_id, title, requester, team, status, round, rules_version, route, subject, facts, opened_at, version)
			SELECT 'bench.' || i, (ARRAY['contract_review', 'custom_order', 'quote_discount'])[1 + i % 3], d.id, 'Bench case ' || i,
				d.sales_owner, 'team' || (i % 20), CASE WHEN i % 10 = 0 THEN 'in_review' ELSE 'approved' END,
				1, 1, '[]', jsonb_build_array(jsonb_build_object('name', 'amount', 'value', (d.expected_amount / 100) || '.00'),
					jsonb_build_object('name', 'customer', 'value', d.customer_name),
					jsonb_build_object('name', 'payment_terms', 'value', 'NT90')), '{}', now() - (i % 2000) * interval '1 hour', 1
			FROM generate_series(0, 99999) i JOIN deals d ON d.id = 'BD-' || lpad(i::text, 6, '0') ON CONFLICT DO NOTHING`,
		// Ten steps a case: all ten open in every tenth case (100,000), decided elsewhere.
		`INSERT INTO approval_steps (id, case_id, kind, team, requester, round, stage_index, stage, approver, status,
				entered_at, remind_at, due_at, decided_at, decided_by)
			SELECT 'r1.s0.bu' || ((i * 7 + j * 131) % 1000), c.id, c.kind, c.team, c.requester, 1, 0, 'sales_manager',
				'bu' || ((i * 7 + j * 131) % 1000), CASE WHEN i % 10 = 0 THEN 'pending' ELSE 'approved' END,
				c.opened_at, c.opened_at + interval '6 hours', c.opened_at + interval '8 hours',
				CASE WHEN i % 10 = 0 THEN NULL ELSE c.opened_at + (j + 1) * interval '1 hour' END,
				CASE WHEN i % 10 = 0 THEN '' ELSE 'bu' || ((i * 7 + j * 131) % 1000) END
			FROM generate_series(0, 99999) i JOIN approval_cases c ON c.id = 'bench.' || i, generate_series(0, 9) j
			ON CONFLICT DO NOTHING`,
	} {
		_, err := pool.Exec(ctx, q)
		require.NoError(b, err, q)
	}
	_, err := db.BackfillWorkingSeconds(ctx)
	require.NoError(b, err)
	// VACUUM as autovacuum would have by then: index-only scans need the
	// visibility map.
	_, err = pool.Exec(ctx, `VACUUM ANALYZE users, customers, deals, deal_history, deal_contracts, deal_orders, deal_invoices,
		approval_cases, approval_steps`)
	require.NoError(b, err)
	var deals, history, open, all int
	require.NoError(b, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM deals), (SELECT count(*) FROM deal_history),
		count(*) FILTER (WHERE status = 'pending'), count(*) FROM approval_steps`).Scan(&deals, &history, &open, &all))
	b.Logf("seeded %d deals, %d history rows, %d open steps among %d in %s", deals, history, open, all, time.Since(start).Round(time.Second))
}
