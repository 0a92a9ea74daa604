package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// TestApprSaveCaseAuditsOnce: a decision's audit entry is written by SaveCase
// in the transaction that saves the case, and a retried save (the same case
// version again, as Temporal retries an activity whose reply was lost) neither
// appends it twice nor fails; the trail verifies.
func TestApprSaveCaseAuditsOnce(t *testing.T) {
	ctx := context.Background()
	db := testenv.OpenDB(t)
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: "appr-req", Name: "R", Roles: []identity.Role{identity.RoleSales}}, "", ""))
	chain := testenv.AuditChain(t)
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
	entries := auditEntries(t, db, "approval_case", c.ID, "approval.decide", "he")
	require.NoError(t, a.SaveCase(ctx, in))
	require.Equal(t, 1, entries())
	require.NoError(t, a.SaveCase(ctx, in), "a retry succeeds")
	require.Equal(t, 1, entries(), "and records nothing twice")
	requireTrailVerifies(t, db, chain)
}

// TestApprERPRecordRefusedOnce: ConfirmERPRecord refuses a payment the ERP's
// data does not hold and an invoice it holds for no deal, each with a reason
// and an audit entry (actor system); a refusal recorded again under the same
// check key (a retried activity) appends nothing; the trail verifies.
func TestApprERPRecordRefusedOnce(t *testing.T) {
	ctx := context.Background()
	db := testenv.OpenDB(t)
	chain := testenv.AuditChain(t)
	a := &activities.Deals{DB: db, Audit: chain}
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	_, err := db.InvoicesUpsert(ctx, []database.ERPInvoice{{Number: "INV-APPR-C1", CustomerCode: "C1", Amount: 10000,
		Currency: "CNY", IssuedOn: day, DueOn: day.AddDate(0, 1, 0), ERPChangedAt: time.Now()}}, nil)
	require.NoError(t, err)

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	check := func(rec deal.ERPRecord) activities.ERPRecordCheck {
		v, err := env.ExecuteActivity(a.ConfirmERPRecord, activities.ConfirmERPRecordInput{DealID: "D-APPR-C1", Record: rec})
		require.NoError(t, err)
		var c activities.ERPRecordCheck
		require.NoError(t, v.Get(&c))
		return c
	}
	c := check(deal.ERPRecord{Payment: &deal.Payment{Reference: "PAY-NONE", Amount: 10000, ReceivedOn: deal.DateOf(day)}})
	require.False(t, c.Held)
	require.Contains(t, c.Reason, "holds no payment PAY-NONE")
	c = check(deal.ERPRecord{Invoice: &deal.Invoice{Number: "INV-APPR-C1", Amount: 10000, IssuedOn: deal.DateOf(day),
		DueOn: deal.DateOf(day.AddDate(0, 1, 0))}})
	require.False(t, c.Held)
	require.Contains(t, c.Reason, "does not bill deal D-APPR-C1")
	c = check(deal.ERPRecord{})
	require.False(t, c.Held, "neither an invoice nor a payment")

	entries := auditEntries(t, db, "deal", "D-APPR-C1", "deal.erp_record_refused", "system")
	require.Equal(t, 3, entries())
	e := audit.Entry{At: time.Now(), Actor: "system", Action: "deal.erp_record_refused", ObjectType: "deal", ObjectID: "D-APPR-C1"}
	require.NoError(t, db.ERPRecordRefused(ctx, chain, "run/7", "D-APPR-C1", "PAY-X", "test", e))
	require.NoError(t, db.ERPRecordRefused(ctx, chain, "run/7", "D-APPR-C1", "PAY-X", "test", e), "a retry succeeds")
	require.Equal(t, 4, entries(), "and records nothing twice")
	requireTrailVerifies(t, db, chain)
}

// auditEntries counts the audit entries of one object, each asserted to be
// action by actor: what a control's "recorded once" checks read.
func auditEntries(t *testing.T, db *database.DB, objectType, objectID, action, actor string) func() int {
	return func() int {
		n := 0
		require.NoError(t, db.AuditEach(context.Background(), database.AuditFilter{ObjectType: objectType, ObjectID: objectID},
			func(e audit.Entry) error {
				require.Equal(t, action, e.Action)
				require.Equal(t, actor, e.Actor)
				n++
				return nil
			}))
		return n
	}
}

// requireTrailVerifies checks the whole audit trail still verifies under chain.
func requireTrailVerifies(t *testing.T, db *database.DB, chain audit.Chain) {
	t.Helper()
	report, err := db.AuditVerify(context.Background(), chain)
	require.NoError(t, err)
	require.True(t, report.OK, "%+v", report)
}

// TestApprDisabledAccountsHoldNoStep: a disabled account (someone who left,
// whose work waits for its handover) is routed no new step, whichever way a
// stage names them: a named approver is left out, a disabled manager is
// climbed past to theirs, and a disabled delegate leaves the step with the
// approver; enabled again, they are routed as before.
func TestApprDisabledAccountsHoldNoStep(t *testing.T) {
	ctx := context.Background()
	db := testenv.OpenDB(t)
	testenv.AddUsers(t, db,
		identity.User{ID: "dis-top", Name: "Top", Roles: []identity.Role{identity.RoleSalesManager}},
		identity.User{ID: "dis-fin", Name: "Fin", Roles: []identity.Role{identity.RoleFinance}},
		identity.User{ID: "dis-alt", Name: "Alt", Roles: []identity.Role{identity.RoleFinance}})
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: "dis-mid", Name: "Mid", Roles: []identity.Role{identity.RoleSalesManager}}, "dis-top", ""))
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: "dis-rep", Name: "Rep", Roles: []identity.Role{identity.RoleSales}}, "dis-mid", ""))
	now := time.Now().UTC()
	_, err := db.DelegationAdd(ctx, database.Delegation{User: "dis-fin", Delegate: "dis-alt", Starts: now.Add(-time.Hour),
		Ends: now.Add(24 * time.Hour), Reason: "away", CreatedBy: "dis-fin"}, testenv.AuditChain(t),
		audit.Entry{At: now, Actor: "dis-fin", Action: "delegation.add", ObjectType: "delegation", ObjectID: "dis-fin"})
	require.NoError(t, err)
	a := &activities.Approvals{DB: db}
	resolve := func(approvers ...string) []approval.Assignee {
		got, err := a.ResolveApprovers(ctx, activities.ResolveInput{Approvers: approvers, Requester: "dis-rep", At: now})
		require.NoError(t, err)
		return got
	}
	disable := func(id string, off bool) { require.NoError(t, db.UserSetDisabled(ctx, id, off, now)) }

	require.Equal(t, []approval.Assignee{{User: "dis-mid"}}, resolve("manager"))
	require.Equal(t, []approval.Assignee{{User: "dis-alt", OnBehalfOf: "dis-fin"}}, resolve("user:dis-fin"))

	disable("dis-mid", true)
	require.Equal(t, []approval.Assignee{{User: "dis-top"}}, resolve("manager"), "a disabled manager is climbed past")
	require.Equal(t, []approval.Assignee{{User: "dis-top"}}, resolve("user:dis-mid"),
		"a disabled named approver is left out; with nobody left, the climb decides")
	disable("dis-alt", true)
	require.Equal(t, []approval.Assignee{{User: "dis-fin"}}, resolve("user:dis-fin"), "a disabled delegate takes no step")

	disable("dis-mid", false)
	disable("dis-alt", false)
	require.Equal(t, []approval.Assignee{{User: "dis-mid"}}, resolve("manager"), "enabled again, routed again")
	require.Equal(t, []approval.Assignee{{User: "dis-alt", OnBehalfOf: "dis-fin"}}, resolve("user:dis-fin"))
}

// TestApprEscalationClimbsPastDisabledManagers: an overdue step escalates to
// its holder's manager, or past a disabled one (and past anyone barred from
// the stage: the requester, the people the subject names) to the first
// manager up who is neither; with nobody eligible above, the holder is left
// out (escalation stops climbing), and a cycle in the chart ends the climb.
func TestApprEscalationClimbsPastDisabledManagers(t *testing.T) {
	ctx := context.Background()
	db := testenv.OpenDB(t)
	testenv.AddUsers(t, db, identity.User{ID: "escu-chair", Name: "Chair", Roles: []identity.Role{identity.RoleSalesManager}})
	for _, u := range [][2]string{{"escu-top", "escu-chair"}, {"escu-mid", "escu-top"}, {"escu-fin", "escu-mid"},
		{"escu-cy2", ""}, {"escu-cy1", "escu-cy2"}, {"escu-cy2", "escu-cy1"}} {
		require.NoError(t, db.UserUpsert(ctx, identity.User{ID: u[0], Name: u[0], Roles: []identity.Role{identity.RoleFinance}}, u[1], ""))
	}
	now := time.Now().UTC()
	a := &activities.Approvals{DB: db}
	up := func(barred ...string) map[string]string {
		got, err := a.EscalationManagers(ctx, activities.EscalationInput{Holders: []string{"escu-fin", "escu-cy1"}, Barred: barred})
		require.NoError(t, err)
		return got
	}
	disable := func(id string, off bool) { require.NoError(t, db.UserSetDisabled(ctx, id, off, now)) }

	require.Equal(t, map[string]string{"escu-fin": "escu-mid", "escu-cy1": "escu-cy2"}, up())
	disable("escu-mid", true)
	disable("escu-cy2", true)
	require.Equal(t, map[string]string{"escu-fin": "escu-top"}, up(), "a disabled manager is climbed past; a cycle ends the climb")
	require.Equal(t, map[string]string{"escu-fin": "escu-chair"}, up("escu-top"), "so is a barred one (the requester)")
	disable("escu-chair", true)
	require.Empty(t, up("escu-top"), "nobody eligible above: no escalation")
	disable("escu-mid", false)
	require.Equal(t, map[string]string{"escu-fin": "escu-mid"}, up("escu-top"), "enabled again, escalated to again")
}
