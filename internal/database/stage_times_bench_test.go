package database_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/testenv"
)

// BenchmarkStageTimesParallelSaves: 8 transactions at once each decide a
// step of the same kind and stage and then do 20 ms of the rest of a save
// before committing, once with the triggers of 00111 (deltas appended) and
// once, in the same database, with 00110's (a lock per kind, an upsert of the
// stage's open-steps row), put back from 00111's Down. With 00110's the saves
// wait for each other (about 8 × 20 ms); with the deltas they overlap.
func BenchmarkStageTimesParallelSaves(b *testing.B) {
	ctx := context.Background()
	_ = setup(b)
	stuckFixture(b)
	pool, err := pgxpool.New(ctx, testenv.DatabaseURL(b))
	require.NoError(b, err)
	defer pool.Close()
	const parallel, rounds = 8, 5
	run := func(name string) time.Duration {
		var total time.Duration
		for r := range rounds {
			for i := range parallel {
				_, err := pool.Exec(ctx, `INSERT INTO approval_steps (id, case_id, kind, team, requester, round, stage_index, stage,
						approver, status, entered_at, decided_by)
					VALUES ($1, 'sk-K1', 'sk_review', '', 'sk-x', 5, 1, 'finance', 'sk-m2', 'pending', now() - interval '3 hours', '')`,
					fmt.Sprintf("%s-%d-%d", name, r, i))
				require.NoError(b, err)
			}
			t0 := time.Now()
			var wg sync.WaitGroup
			for i := range parallel {
				wg.Go(func() {
					tx, err := pool.Begin(ctx)
					require.NoError(b, err)
					defer func() { _ = tx.Rollback(ctx) }()
					_, err = tx.Exec(ctx, `UPDATE approval_steps SET status = 'approved', decided_by = approver, decided_at = now()
						WHERE case_id = 'sk-K1' AND id = $1`, fmt.Sprintf("%s-%d-%d", name, r, i))
					require.NoError(b, err)
					_, err = tx.Exec(ctx, `SELECT pg_sleep(0.02)`)
					require.NoError(b, err)
					require.NoError(b, tx.Commit(ctx))
				})
			}
			wg.Wait()
			total += time.Since(t0)
		}
		return total / rounds
	}
	deltas := run("pd")
	down, err := os.ReadFile("migrations/00111_stage_time_deltas.sql")
	require.NoError(b, err)
	fn := func(s string) string {
		return s[strings.Index(s, "CREATE OR REPLACE FUNCTION"):strings.LastIndex(s, "-- +goose StatementEnd")]
	}
	up, old, _ := strings.Cut(string(down), "-- +goose Down")
	_, err = pool.Exec(ctx, fn(old))
	require.NoError(b, err)
	// Whatever runs after in this database gets 00111's triggers back.
	defer func() { _, err := pool.Exec(ctx, fn(up)); require.NoError(b, err) }()
	locked := run("pl")
	fmt.Printf("BENCH stage_times_parallel_saves_deltas_ms %.1f ms\n", float64(deltas.Microseconds())/1000)
	fmt.Printf("BENCH stage_times_parallel_saves_locked_ms %.1f ms\n", float64(locked.Microseconds())/1000)
	fmt.Printf("BENCH stage_times_parallel_saves_ratio %.2f ratio\n", float64(locked)/float64(deltas))
}
