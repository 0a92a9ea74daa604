package database_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
)

// stuckFixture writes, straight into the tables, the cases of kind
// sk_review of every way a case can become someone's: their deal (own, team,
// report, department stage), the customer of its terms change (owned or
// nobody's), having asked, holding or having held a step, for themselves or
// for someone away, and being the delegate of a holder away now.
func stuckFixture(t testing.TB) time.Time {
	t.Helper()
	conn := rawConn(t)
	now := time.Now().UTC().Truncate(time.Second)
	exec := testenv.Exec(t, conn)
	exec(`DELETE FROM approval_steps WHERE kind = 'sk_review'`)
	exec(`DELETE FROM terms_changes WHERE customer_code LIKE 'sk-%'`)
	exec(`DELETE FROM approval_cases WHERE kind = 'sk_review'`)
	exec(`DELETE FROM delegations WHERE user_id LIKE 'sk-%'`)
	exec(`INSERT INTO users (id, name, team, manager_id, roles) VALUES
		('sk-m1', 'M1', 'skA', NULL, ARRAY['sales_manager']), ('sk-m2', 'M2', 'skB', NULL, ARRAY['sales_manager']),
		('sk-r1', 'R1', 'skA', 'sk-m1', ARRAY['sales']), ('sk-r2', 'R2', 'skB', 'sk-m2', ARRAY['sales']),
		('sk-r3', 'R3', 'skC', 'sk-m1', ARRAY['sales']),
		('sk-x', 'X', '', NULL, ARRAY['sales']), ('sk-ap', 'AP', 'skC', NULL, ARRAY['sales_manager']),
		('sk-dg', 'DG', '', NULL, ARRAY['sales']), ('sk-del', 'DEL', '', NULL, ARRAY['delivery']),
		('sk-fin', 'FIN', '', NULL, ARRAY['finance'])
		ON CONFLICT (id) DO NOTHING`)
	exec(`INSERT INTO customers (code, name, payment_terms, sales_owner, source) VALUES
		('sk-C1', 'C1', 'NT30', 'sk-r1', 'manual'), ('sk-C2', 'C2', 'NT30', NULL, 'manual'), ('sk-C3', 'C3', 'NT30', 'sk-r2', 'manual')
		ON CONFLICT (code) DO NOTHING`)
	deal := func(id, owner, stage string, delivery any) {
		exec(`INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount, discoverer, sales_owner,
				delivery_owner, stage, stage_entered_at, holder, created_by, created_at, version)
			VALUES ($1, 'T', 'sk-C1', 'C1', false, 'CNY', 100, $2, $2, $4, $3, now(), '', $2, now(), 1) ON CONFLICT (id) DO NOTHING`,
			id, owner, stage, delivery)
	}
	deal("sk-D1", "sk-r1", "contract_review", nil)
	deal("sk-D2", "sk-r2", "contract_review", nil)
	deal("sk-D3", "sk-r2", "order", "sk-del")
	deal("sk-D4", "sk-r3", "contract_review", nil)
	kase := func(id, deal, requester, team string) {
		exec(`INSERT INTO approval_cases (id, kind, deal_id, title, requester, team, status, round, rules_version, route, subject, facts, opened_at, version)
			VALUES ($1, 'sk_review', NULLIF($2, ''), 'Case', $3, $4, 'in_review', 1, 1, '[]', '[]', '{}', now(), 1)`, id, deal, requester, team)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	n := 0
	step := func(kase, approver, behalf, status, stage string, index int) {
		n++
		entered := now.Add(-time.Duration(rng.IntN(500)) * time.Hour)
		var decided, due any
		if status != "pending" {
			decided = entered.Add(time.Duration(1+rng.IntN(3000)) * time.Minute)
		}
		if rng.IntN(4) > 0 {
			due = entered.Add(time.Duration(rng.IntN(48)) * time.Hour)
		}
		exec(`INSERT INTO approval_steps (id, case_id, kind, team, requester, round, stage_index, stage, approver, on_behalf_of, status,
				entered_at, due_at, decided_at, decided_by)
			SELECT $1, k.id, k.kind, k.team, k.requester, 1, $6, $5, $3, $4, $7, $8, $9, $10, CASE WHEN $7 = 'pending' THEN '' ELSE $3 END
			FROM approval_cases k WHERE k.id = $2`, fmt.Sprintf("st%d", n), kase, approver, behalf, stage, index, status, entered, due, decided)
	}
	kase("sk-K1", "sk-D1", "sk-r1", "skA")
	kase("sk-K2", "sk-D2", "sk-r2", "skB")
	kase("sk-K3", "sk-D3", "sk-r2", "skB")
	kase("sk-K4", "", "sk-x", "")
	kase("sk-K5", "", "sk-x", "")
	kase("sk-K6", "", "sk-x", "")
	kase("sk-K7", "sk-D4", "sk-r3", "skC")
	exec(`INSERT INTO terms_changes (customer_code, requested_by, reason, before, after, case_id, status, requested_at) VALUES
		('sk-C2', 'sk-x', 'r', '{}', '{}', 'sk-K4', 'in_review', now()), ('sk-C3', 'sk-x', 'r', '{}', '{}', 'sk-K5', 'in_review', now())`)
	exec(`INSERT INTO delegations (user_id, delegate_id, starts_at, ends_at) VALUES ('sk-ap', 'sk-dg', now() - interval '1 day', now() + interval '1 day')`)
	for i, k := range []string{"sk-K1", "sk-K2", "sk-K3", "sk-K4", "sk-K5", "sk-K6", "sk-K7"} {
		holders := []string{"sk-ap", "sk-m2", "sk-x", "sk-m1", "sk-fin"}
		for j := range 12 {
			status := []string{"approved", "rejected", "approved", "pending", "skipped"}[(i+j)%5]
			stage := []string{"sales_manager", "finance", "legal"}[j%3]
			behalf := ""
			if i == 5 && j == 3 {
				behalf = "sk-r1"
			}
			step(k, holders[(i+j%2)%len(holders)], behalf, status, stage, j%3)
		}
	}
	return now
}

// stuckViewers are the fixture's people as database.ViewerOf sees them.
func stuckViewers() map[string]database.Viewer {
	return map[string]database.Viewer{
		"manager A":  {ID: "sk-m1", Team: "skA", Manager: true, Unowned: true},
		"manager B":  {ID: "sk-m2", Team: "skB", Manager: true, Unowned: true},
		"rep":        {ID: "sk-r1"},
		"other rep":  {ID: "sk-r2"},
		"requester":  {ID: "sk-x"},
		"approver":   {ID: "sk-ap", Team: "skC", Manager: true, Unowned: true},
		"delegate":   {ID: "sk-dg"},
		"delivery":   {ID: "sk-del", Stages: []string{"order", "delivery"}},
		"finance":    {ID: "sk-fin", All: true},
		"a stranger": {ID: "sk-nobody"},
	}
}

// TestCaseReachIsCaseVisible: the stuck report of a viewer who does not see
// every case, read from the cases they may reach (caseReach), is the report
// read by testing the visibility predicate on every open step, for every way
// a case becomes someone's and with every filter, in the same order.
func TestCaseReachIsCaseVisible(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	now := stuckFixture(t)
	filters := []database.StuckFilter{{}, {Team: "skB"}, {Holder: "sk-ap"}, {Requester: "sk-x"}, {MinAge: 100 * time.Hour}}
	saw := map[string]int{}
	for name, v := range stuckViewers() {
		for _, f := range filters {
			f.Kind, f.Viewer, f.Now, f.Limit = "sk_review", v, now, 1000
			got, err := db.Stuck(ctx, f)
			require.NoError(t, err)
			want, err := db.StuckByPredicate(ctx, f)
			require.NoError(t, err)
			require.Equal(t, want, got, "%s, %+v", name, f)
			if f.Team == "" && f.Holder == "" && f.Requester == "" && f.MinAge == 0 {
				saw[name] = len(got)
			}
		}
	}
	// The fixture reaches each of them differently (and a stranger nothing).
	require.Equal(t, 0, saw["a stranger"])
	require.Less(t, saw["rep"], saw["finance"])
	require.Less(t, saw["manager A"], saw["finance"])
	require.Less(t, 0, saw["delegate"], "the delegate of a holder away sees the held cases")
	require.Less(t, 0, saw["delivery"], "a department sees its stages' deals")
}

// TestStageTimesFromBuckets: the stage times read from the buckets (the
// summary kept by triggers for those who see every case, the cases they may
// reach for the others) have the exact counts and average and a P90 within a
// bucket's width (4.4 %) of the exact nearest-rank P90, for every viewer; and
// they stay so as steps are decided, reopened, deleted and bulk-inserted.
func TestStageTimesFromBuckets(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	now := stuckFixture(t)
	conn := rawConn(t)
	check := func(when string) {
		t.Helper()
		for name, v := range stuckViewers() {
			got, err := db.StageTimes(ctx, "sk_review", v, now)
			require.NoError(t, err)
			want, err := db.StageTimesExact(ctx, "sk_review", v, now)
			require.NoError(t, err)
			require.Len(t, got, len(want), "%s %s: %+v", when, name, got)
			for i := range want {
				w, g := want[i], got[i]
				require.Equal(t, [2]any{w.Kind, w.Stage}, [2]any{g.Kind, g.Stage}, "%s %s", when, name)
				require.Equal(t, w.Decided, g.Decided, "%s %s %s decided", when, name, w.Stage)
				require.Equal(t, w.OpenSteps, g.OpenSteps, "%s %s %s open", when, name, w.Stage)
				require.InDelta(t, w.AvgHours, g.AvgHours, 1e-6, "%s %s %s average", when, name, w.Stage)
				require.InEpsilon(t, max(w.P90Hours, 1e-9), max(g.P90Hours, 1e-9), 0.045, "%s %s %s P90", when, name, w.Stage)
			}
		}
	}
	check("as written")
	exec := testenv.Exec(t, conn)
	exec(`UPDATE approval_steps SET status = 'approved', decided_at = entered_at + interval '7 hours', decided_by = approver
		WHERE kind = 'sk_review' AND status = 'pending' AND case_id = 'sk-K1'`)
	check("decided")
	exec(`UPDATE approval_steps SET decided_at = decided_at + interval '3 hours' WHERE kind = 'sk_review' AND case_id = 'sk-K2'`)
	check("moved")
	exec(`UPDATE approval_steps SET status = 'pending', decided_at = NULL WHERE kind = 'sk_review' AND case_id = 'sk-K3' AND status = 'approved'`)
	check("reopened")
	exec(`DELETE FROM approval_steps WHERE kind = 'sk_review' AND case_id = 'sk-K6' AND stage = 'legal'`)
	check("deleted")
	exec(`INSERT INTO approval_steps (id, case_id, kind, team, requester, round, stage_index, stage, approver, status, entered_at, decided_at, decided_by)
		SELECT 'bulk' || i, 'sk-K' || (1 + i % 7), 'sk_review', '', 'sk-x', 2, i % 3, (ARRAY['sales_manager', 'finance', 'legal'])[1 + i % 3],
			'sk-m2', CASE WHEN i % 4 = 0 THEN 'pending' ELSE 'approved' END, now() - interval '100 hours',
			CASE WHEN i % 4 = 0 THEN NULL ELSE now() - interval '100 hours' + (i * 37 % 5000) * interval '1 minute' END, ''
		FROM generate_series(1, 2000) i
		ON CONFLICT (case_id, id) DO UPDATE SET status = 'rejected'`)
	check("bulk")
}

// TestStageTimesExactUnderConcurrentWritesAndCompaction: two writers save
// steps of one kind at once (insert, decide, reopen, delete, each in its own
// transaction, as decisions do) while two compactions run at once (two
// replicas' scheduler ticks) and a reader reads: no save waits for another
// on the summary, no compaction counts a delta twice or drops one, and after
// each round the figures of those who see every case are exactly those
// counted from the steps, folded or not.
func TestStageTimesExactUnderConcurrentWritesAndCompaction(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	now := stuckFixture(t)
	all := database.Viewer{ID: "sk-fin", All: true}
	check := func(when string) {
		t.Helper()
		got, err := db.StageTimes(ctx, "sk_review", all, now)
		require.NoError(t, err)
		want, err := db.StageTimesExact(ctx, "sk_review", all, now)
		require.NoError(t, err)
		require.Len(t, got, len(want), "%s: %+v", when, got)
		for i := range want {
			w, g := want[i], got[i]
			require.Equal(t, [4]any{w.Kind, w.Stage, w.Decided, w.OpenSteps}, [4]any{g.Kind, g.Stage, g.Decided, g.OpenSteps}, when)
			require.InDelta(t, w.AvgHours, g.AvgHours, 1e-6, "%s %s average", when, w.Stage)
		}
	}
	check("as written")
	stages := []string{"sales_manager", "finance", "legal"}
	writer := func(w, round int) error {
		conn, err := pgx.Connect(ctx, testenv.DatabaseURL(t))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		for i := range 30 {
			tx, err := conn.Begin(ctx)
			if err != nil {
				return err
			}
			id := fmt.Sprintf("cw%d-%d-%d", w, round, i)
			kase := fmt.Sprintf("sk-K%d", 1+(i+w)%7)
			_, err = tx.Exec(ctx, `INSERT INTO approval_steps (id, case_id, kind, team, requester, round, stage_index, stage,
					approver, status, entered_at, decided_by)
				VALUES ($1, $2, 'sk_review', '', 'sk-x', 3, $3, $4, 'sk-m2', 'pending', $5, '')`,
				id, kase, i%3, stages[i%3], now.Add(-time.Duration(50+i*7)*time.Hour))
			if err == nil && i > 0 {
				prev := fmt.Sprintf("cw%d-%d-%d", w, round, i-1)
				switch i % 5 {
				case 1, 2, 3:
					_, err = tx.Exec(ctx, `UPDATE approval_steps SET status = 'approved', decided_by = approver,
						decided_at = entered_at + $2 * interval '1 minute' WHERE id = $1 AND kind = 'sk_review'`, prev, 30+i*41)
				case 4:
					_, err = tx.Exec(ctx, `DELETE FROM approval_steps WHERE id = $1 AND kind = 'sk_review'`, prev)
				}
			}
			if err == nil && i%10 == 9 {
				// A reopened step goes back to the open steps.
				_, err = tx.Exec(ctx, `UPDATE approval_steps SET status = 'pending', decided_at = NULL
					WHERE id = $1 AND kind = 'sk_review' AND status = 'approved'`, fmt.Sprintf("cw%d-%d-%d", w, round, i-7))
			}
			if err != nil {
				_ = tx.Rollback(ctx)
				return err
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	var folded atomic.Int64
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		done := make(chan struct{})
		for w := range 2 {
			wg.Go(func() { errs <- writer(w, round) })
		}
		// repeat runs f every pause until the writers are done or f fails.
		var bg sync.WaitGroup
		repeat := func(pause time.Duration, f func() error) {
			bg.Go(func() {
				for {
					if err := f(); err != nil {
						errs <- err
						return
					}
					select {
					case <-done:
						return
					case <-time.After(pause):
					}
				}
			})
		}
		for range 2 {
			repeat(5*time.Millisecond, func() error {
				n, err := db.CompactStageTimes(ctx)
				folded.Add(n)
				return err
			})
		}
		repeat(10*time.Millisecond, func() error {
			_, err := db.StageTimes(ctx, "sk_review", all, now)
			return err
		})
		wg.Wait()
		close(done)
		bg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		check(fmt.Sprintf("round %d, deltas waiting", round))
		_, err := db.CompactStageTimes(ctx)
		require.NoError(t, err)
		check(fmt.Sprintf("round %d, compacted", round))
	}
	require.Positive(t, folded.Load(), "the compactions ran while the writers wrote")
	var waiting int
	require.NoError(t, rawConn(t).QueryRow(ctx, `SELECT count(*) FROM approval_stage_time_deltas`).Scan(&waiting))
	require.Zero(t, waiting, "a compaction leaves no delta behind")
}

// TestStageTimesSaveDoesNotWaitForAnother: while one transaction has decided
// a step of a kind and not committed, another decides a step of the same
// kind and stage and commits at once (00110's triggers made it wait for the
// first's lock on the kind until that committed).
func TestStageTimesSaveDoesNotWaitForAnother(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	now := stuckFixture(t)
	first, second := rawConn(t), rawConn(t)
	for i, conn := range []*pgx.Conn{first, second} {
		_, err := conn.Exec(ctx, `INSERT INTO approval_steps (id, case_id, kind, team, requester, round, stage_index, stage,
				approver, status, entered_at, decided_by)
			VALUES ($1, 'sk-K1', 'sk_review', '', 'sk-x', 4, 1, 'finance', 'sk-m2', 'pending', $2, '')`,
			fmt.Sprintf("nw-%d", i), now.Add(-5*time.Hour))
		require.NoError(t, err)
	}
	decide := `UPDATE approval_steps SET status = 'approved', decided_by = approver, decided_at = $2
		WHERE case_id = 'sk-K1' AND id = $1`
	tx, err := first.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, decide, "nw-0", now)
	require.NoError(t, err)
	_, err = second.Exec(ctx, `SET lock_timeout = '2s'`)
	require.NoError(t, err)
	start := time.Now()
	_, err = second.Exec(ctx, decide, "nw-1", now)
	require.NoError(t, err, "the second decision waited for the first")
	require.Less(t, time.Since(start), 2*time.Second)
	require.NoError(t, tx.Commit(ctx))
	got, err := db.StageTimes(ctx, "sk_review", database.Viewer{ID: "sk-fin", All: true}, now)
	require.NoError(t, err)
	want, err := db.StageTimesExact(ctx, "sk_review", database.Viewer{ID: "sk-fin", All: true}, now)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, [2]int64{want[i].Decided, want[i].OpenSteps}, [2]int64{got[i].Decided, got[i].OpenSteps}, want[i].Stage)
	}
}
