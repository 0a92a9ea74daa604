package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/wiring"
	"github.com/l2c/l2c/workflows"
)

// fastHours is a working calendar whose hour lasts hour, so an SLA passes
// while a test waits.
type fastHours struct{ hour time.Duration }

func (f fastHours) Add(from time.Time, d time.Duration) time.Time {
	return from.Add(time.Duration(d/time.Hour) * f.hour)
}

// TestApprEscalationSkipsADisabledManager (attack: escalation to someone who
// left): a case's only step is held by esce-fin, whose manager esce-mid is a
// disabled account. Past the SLA the step escalates, on a real worker and
// dev server, to esce-mid's manager esce-top, who approves it; esce-mid holds
// no step and is told nothing, and nobody's account changes.
func TestApprEscalationSkipsADisabledManager(t *testing.T) {
	ctx := context.Background()
	db := testenv.OpenDB(t)
	chain := testenv.AuditChain(t)
	tc := testenv.TemporalClient(t)
	raw := testenv.Conn(t, testenv.DatabaseURL(t))
	testenv.AddUsers(t, db,
		identity.User{ID: "esce-top", Name: "Top", Roles: []identity.Role{identity.RoleFinance}},
		identity.User{ID: "esce-req", Name: "Req", Roles: []identity.Role{identity.RoleSales}},
		identity.User{ID: "esce-admin", Name: "Admin", Roles: []identity.Role{identity.RoleAdmin}})
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: "esce-mid", Name: "Mid", Roles: []identity.Role{identity.RoleFinance}}, "esce-top", ""))
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: "esce-fin", Name: "Fin", Roles: []identity.Role{identity.RoleFinance}}, "esce-mid", ""))
	now := time.Now().UTC()
	require.NoError(t, db.UserSetDisabled(ctx, "esce-mid", true, now))
	rules := approval.RuleSet{Kind: approval.KindMarketActivity, Stages: []approval.StageRule{{Stage: approval.Stage{
		Name: "finance", Approvers: []string{"user:esce-fin"}, Rule: approval.RuleAny, SLAHours: 1, ReassignOnEscalation: true}}}}
	require.NoError(t, rules.Validate())
	_, err := db.ApprovalRulesSave(ctx, rules, "esce-admin", chain, audit.Entry{At: now, Actor: "esce-admin",
		Action: "approval_rules.save", ObjectType: "approval_rules", ObjectID: string(rules.Kind)})
	require.NoError(t, err)

	people := func() string { // everyone's account as the test left it
		var s string
		require.NoError(t, raw.QueryRow(ctx, `SELECT string_agg(concat_ws('/', id, manager_id, disabled, roles::text, team), ';' ORDER BY id)
			FROM users WHERE id LIKE 'esce-%'`).Scan(&s))
		return s
	}
	count := func(sql string, args ...any) int {
		var n int
		require.NoError(t, raw.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}
	before := people()

	// A worker whose working hour is 3 s, on a queue of its own.
	const queue = "escalation-climb-test"
	w := worker.New(tc, queue, worker.Options{})
	wiring.Register(w, wiring.Deps{DB: db, Log: testenv.Quiet, Audit: chain,
		Calendar: func(context.Context) (activities.WorkingTime, error) { return fastHours{3 * time.Second}, nil }})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	caseID := "market_activity.ESC-1.1"
	wid := workflows.ApprovalWorkflowID(caseID)
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid, TaskQueue: queue}, "ApprovalWorkflow",
		workflows.ApprovalInput{Case: approval.Case{ID: caseID, Kind: approval.KindMarketActivity, Title: "Trade fair",
			Requester: "esce-req", Subject: []approval.Field{{Name: "budget", Value: "5000.00"}}, OpenedAt: now.Truncate(time.Microsecond)}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		c, err := db.CaseGet(ctx, caseID)
		return err == nil && len(c.Holders()) == 1 && c.Holders()[0] == "esce-top"
	}, 60*time.Second, 200*time.Millisecond, "the step escalates past the disabled manager")

	key := workflows.UpdateKeyFrom(chain)
	signed, err := workflows.SignUpdate(key, wid, workflows.ApprovalDecideUpdate, "esc-decide-1",
		workflows.DecideInput{Actor: identity.User{ID: "esce-top", Roles: []identity.Role{identity.RoleFinance}}, Approve: true, Note: "fine"})
	require.NoError(t, err)
	h, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: wid, UpdateID: "esc-decide-1",
		UpdateName: workflows.ApprovalDecideUpdate, Args: []any{signed}, WaitForStage: client.WorkflowUpdateStageCompleted})
	require.NoError(t, err)
	require.NoError(t, h.Get(ctx, nil))
	var c approval.Case
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(t, run.Get(wctx, &c))

	require.Equal(t, approval.StatusApproved, c.Status)
	require.Len(t, c.Steps, 1)
	s := c.Steps[0]
	require.Equal(t, []any{"esce-top", "esce-fin", 1, approval.StepApproved}, []any{s.Approver, s.OnBehalfOf, s.EscalationLevel, s.Status})
	require.Zero(t, count(`SELECT count(*) FROM notifications WHERE recipient = 'esce-mid'`), "the disabled manager is told nothing")
	require.Zero(t, count(`SELECT count(*) FROM approval_steps WHERE approver = 'esce-mid' OR on_behalf_of = 'esce-mid'`),
		"and holds no step")
	require.Equal(t, 1, count(`SELECT count(*) FROM notifications WHERE recipient = 'esce-top' AND subject LIKE '%overdue%'`))
	require.Equal(t, before, people(), "nobody's account changed")
	testenv.RecordHistory(t, tc, wid, "approval_escalation_climb.json")
}
