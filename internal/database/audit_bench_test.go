package database_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
)

// BenchmarkAuditVerify100k verifies a chain of 100,000 entries.
func BenchmarkAuditVerify100k(b *testing.B) {
	ctx := context.Background()
	db, chain, conn := auditSetup(b)

	// Build the chain in memory and COPY it in: appending one by one would
	// measure the writes, not the verification.
	const n = 100_000
	rows := make([][]any, 0, n)
	prev := []byte{}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := int64(1); i <= n; i++ {
		e := audit.Entry{Seq: i, At: at.Add(time.Duration(i) * time.Second), Actor: fmt.Sprintf("u%d", i%100),
			Action: "approval.decide", ObjectType: "case", ObjectID: fmt.Sprintf("c-%d", i),
			Detail: []byte(fmt.Sprintf(`{"approve":true,"note":"entry %d"}`, i)), Prev: prev}
		e.MAC = chain.MAC(prev, e)
		rows = append(rows, []any{e.Seq, e.At, e.Actor, e.Action, e.ObjectType, e.ObjectID, string(e.Detail), e.Prev, e.MAC})
		prev = e.MAC
	}
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"audit_log"},
		[]string{"seq", "at", "actor", "action", "object_type", "object_id", "detail", "prev_mac", "mac"}, pgx.CopyFromRows(rows))
	require.NoError(b, err)
	_, err = conn.Exec(ctx, `INSERT INTO audit_head (id, seq, mac) VALUES (true, $1, $2)`, int64(n), chain.HeadMAC(n, prev))
	require.NoError(b, err)

	var runs []time.Duration
	for range 3 {
		t0 := time.Now()
		r, err := db.AuditVerify(ctx, chain)
		took := time.Since(t0)
		require.NoError(b, err)
		require.True(b, r.OK, "%v", r.Faults)
		require.Equal(b, int64(n), r.Entries)
		runs = append(runs, took)
	}
	slices.Sort(runs)
	fmt.Printf("BENCH audit_verify_100k_s %.3f s\n", runs[1].Seconds()) // the median of three
}
