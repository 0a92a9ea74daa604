package database_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/testenv"
)

// TestAuthVerifyNeedsTheHeadAndHoldsAgainstCheckpoints: a trail whose seal
// was removed fails; a trail emptied, or put back to an older copy (entries
// and seal, consistent with each other), verifies by itself but fails
// against a checkpoint taken before.
func TestAuthVerifyNeedsTheHeadAndHoldsAgainstCheckpoints(t *testing.T) {
	ctx := context.Background()
	db, chain, conn := auditSetup(t)
	exec := testenv.Exec(t, conn)
	appendN := func(n int) {
		for i := range n {
			_, err := db.AuditAppend(ctx, chain, audit.Entry{At: time.Now(), Actor: "li", Action: "rules.save", ObjectID: fmt.Sprint(i)})
			require.NoError(t, err)
		}
	}
	appendN(5)
	// The copy a restore would put back: five entries and their seal.
	exec(`CREATE TEMP TABLE old_log AS SELECT * FROM audit_log`)
	exec(`CREATE TEMP TABLE old_head AS SELECT * FROM audit_head`)
	appendN(5)
	cp, err := db.AuditCheckpoint(ctx, chain, time.Now())
	require.NoError(t, err)
	require.Equal(t, int64(10), cp.Seq)
	require.True(t, chain.Signed(cp))
	cps := []audit.Checkpoint{cp}

	r, err := db.AuditVerifyAgainst(ctx, chain, cps)
	require.NoError(t, err)
	require.True(t, r.OK, "%v", r.Faults)

	// The seal removed, the entries kept.
	exec(`DELETE FROM audit_head`)
	r, err = db.AuditVerify(ctx, chain)
	require.NoError(t, err)
	require.False(t, r.OK)
	require.Contains(t, r.Faults, "the trail has 10 entries but no seal: the head row was removed")

	// Put back to the older copy: consistent, so only the checkpoint tells.
	exec(`DELETE FROM audit_log; INSERT INTO audit_log SELECT * FROM old_log; INSERT INTO audit_head SELECT * FROM old_head`)
	r, err = db.AuditVerify(ctx, chain)
	require.NoError(t, err)
	require.True(t, r.OK, "without a checkpoint, an older copy looks whole")
	r, err = db.AuditVerifyAgainst(ctx, chain, cps)
	require.NoError(t, err)
	require.False(t, r.OK)
	require.Contains(t, r.Faults[0], "the trail ends at entry 5 but the checkpoint of")

	// Emptied, seal and all.
	exec(`TRUNCATE audit_log, audit_head`)
	r, err = db.AuditVerifyAgainst(ctx, chain, cps)
	require.NoError(t, err)
	require.False(t, r.OK)
	require.Contains(t, r.Faults[0], "the trail ends at entry 0")

	// Rebuilt to ten entries with the key's help is not possible; rebuilt
	// without it, the checkpoint's head does not match.
	appendN(10)
	r, err = db.AuditVerifyAgainst(ctx, chain, cps)
	require.NoError(t, err)
	require.False(t, r.OK, "ten new entries are not the ten the checkpoint saw")
	require.Contains(t, r.Faults[0], "is not the entry the checkpoint")

	// A checkpoint made with another key counts for nothing.
	other, _ := audit.NewChain([]byte("someone else's key, long enough"))
	forged := other.Checkpoint(3, []byte("x"), time.Now())
	r, err = db.AuditVerifyAgainst(ctx, chain, []audit.Checkpoint{forged})
	require.NoError(t, err)
	require.Contains(t, r.Faults[0], "is not signed with this key")
	exec(`TRUNCATE audit_log, audit_head`)
}
