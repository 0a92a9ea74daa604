package database_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
)

// auditSetup empties the package database's audit trail and returns the
// database, a chain to sign entries with, and a connection of the test's own
// to tamper with the trail.
func auditSetup(t testing.TB) (*database.DB, audit.Chain, *pgx.Conn) {
	t.Helper()
	db := setup(t)
	chain := testenv.AuditChain(t)
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	_, err := conn.Exec(context.Background(), `TRUNCATE audit_log, audit_head`)
	require.NoError(t, err)
	return db, chain, conn
}

// TestAuditTamperIsDetected: the trail verifies; then each kind of tampering
// (an edited entry, a deleted one, entries cut off the end) is named.
func TestAuditTamperIsDetected(t *testing.T) {
	ctx := context.Background()
	db, chain, conn := auditSetup(t)

	for i := range 10 {
		detail, _ := json.Marshal(map[string]any{"approve": i%2 == 0, "note": fmt.Sprintf("n %d", i)})
		_, err := db.AuditAppend(ctx, chain, audit.Entry{At: time.Now(), Actor: "li", Action: "approval.decide",
			ObjectType: "case", ObjectID: fmt.Sprintf("c-%d", i), Detail: detail})
		require.NoError(t, err)
	}
	r, err := db.AuditVerify(ctx, chain)
	require.NoError(t, err)
	require.True(t, r.OK, "%v", r.Faults)
	require.Equal(t, int64(10), r.Entries)

	other, _ := audit.NewChain([]byte("someone else's key, long enough"))
	r, err = db.AuditVerify(ctx, other)
	require.NoError(t, err)
	require.False(t, r.OK, "a different key cannot vouch for the trail")

	tamper := func(sql string) audit.Report {
		t.Helper()
		tx, err := conn.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx) //nolint:errcheck // undo the tampering for the next case
		_, err = tx.Exec(ctx, sql)
		require.NoError(t, err)
		// Verify on the same connection, inside the tampering transaction.
		rows, err := tx.Query(ctx, `SELECT seq, at, actor, action, object_type, object_id, detail, prev_mac, mac FROM audit_log ORDER BY seq`)
		require.NoError(t, err)
		v := audit.NewVerifier(chain)
		for rows.Next() {
			var e audit.Entry
			var detail string
			require.NoError(t, rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &detail, &e.Prev, &e.MAC))
			if detail != "" {
				e.Detail = []byte(detail)
			}
			v.Add(e)
		}
		var seq int64
		var mac []byte
		require.NoError(t, tx.QueryRow(ctx, `SELECT seq, mac FROM audit_head`).Scan(&seq, &mac))
		return v.Done(seq, mac)
	}
	r = tamper(`UPDATE audit_log SET detail = '{"approve": true, "note": "n 3"}' WHERE seq = 4`)
	require.False(t, r.OK)
	require.Contains(t, r.Faults, "entry 4 was changed after it was written")
	r = tamper(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`)
	require.Contains(t, r.Faults, "entry 2 was changed after it was written")
	r = tamper(`DELETE FROM audit_log WHERE seq = 6`)
	require.Contains(t, r.Faults, "entry 7 follows entry 5: entries 6 to 6 are missing")
	r = tamper(`DELETE FROM audit_log WHERE seq > 8`)
	require.False(t, r.OK)
	require.Contains(t, r.Faults[0], "the trail ends at entry 8 but its seal says 10")

	r, err = db.AuditVerify(ctx, chain)
	require.NoError(t, err)
	require.True(t, r.OK, "rolled back: intact again")
}
