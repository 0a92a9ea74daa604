package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// TestApprSaveCaseAuditsOnce: a decision's audit entry is written by SaveCase
// in the transaction that saves the case, and a retried save (the same case
// version again, as Temporal retries an activity whose reply was lost) neither
// appends it twice nor fails; the trail verifies.
func TestApprSaveCaseAuditsOnce(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, testenv.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: "appr-req", Name: "R", Roles: []identity.Role{identity.RoleSales}}, "", ""))
	chain, err := audit.NewChain([]byte("the activities tests' audit key"))
	require.NoError(t, err)
	a := &activities.Approvals{DB: db, Audit: chain}

	at := time.Now().UTC().Truncate(time.Microsecond)
	c := approval.Case{ID: "quote_discount.APPR-1.1", Kind: approval.KindQuoteDiscount, Title: "t", Requester: "appr-req",
		Status: approval.StatusInReview, Round: 1, Route: []approval.Stage{{Name: "one"}}, Subject: []approval.Field{},
		Steps: []approval.Step{}, Comments: []approval.Comment{}, OpenedAt: at, Version: 1}
	require.NoError(t, a.SaveCase(ctx, activities.SaveCaseInput{Case: c}))
	c.Version = 2
	c.Steps = []approval.Step{{ID: "r1.s0.he", Round: 1, Stage: "one", Approver: "he", Status: approval.StepApproved,
		EnteredAt: at, DecidedAt: &at, DecidedBy: "he"}}
	in := activities.SaveCaseInput{Case: c, Audit: []activities.AuditRecord{{At: at, Actor: "he",
		Action: "approval.decide", Detail: map[string]any{"approve": true}}}}
	entries := func() int {
		n := 0
		require.NoError(t, db.AuditEach(ctx, database.AuditFilter{ObjectType: "approval_case", ObjectID: c.ID}, func(e audit.Entry) error {
			require.Equal(t, "approval.decide", e.Action)
			require.Equal(t, "he", e.Actor)
			n++
			return nil
		}))
		return n
	}
	require.NoError(t, a.SaveCase(ctx, in))
	require.Equal(t, 1, entries())
	require.NoError(t, a.SaveCase(ctx, in), "a retry succeeds")
	require.Equal(t, 1, entries(), "and records nothing twice")

	report, err := db.AuditVerify(ctx, chain)
	require.NoError(t, err)
	require.True(t, report.OK, "%+v", report)
}
