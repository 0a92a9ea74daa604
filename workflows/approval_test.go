package workflows

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

func u(id string) identity.User { return identity.User{ID: id} }

func yes() *bool { b := true; return &b }

func mil(s string) *money.Amount { a, _ := money.Parse(s); return &a }

// testRules is a contract-review routing: the sales managers (any one), then
// finance and the head of sales together (all) when payment terms are
// non-standard, then the GM (the requester's manager's manager in this org)
// from 1,000,000 up.
var testRules = approval.RuleSet{Kind: approval.KindContractReview, Version: 3, Stages: []approval.StageRule{
	{Stage: approval.Stage{Name: "sales_manager", Approvers: []string{"role:sales_manager"}, Rule: approval.RuleAny, SLAHours: 8, RemindBeforeHours: 2}},
	{Stage: approval.Stage{Name: "finance", Approvers: []string{"role:finance", "user:boss"}, Rule: approval.RuleAll, SLAHours: 8,
		Inputs: []string{"payment_terms"}}, When: &approval.Condition{NonstandardPaymentTerms: yes()}},
	{Stage: approval.Stage{Name: "gm", Approvers: []string{"user:gm"}, Rule: approval.RuleAny, SLAHours: 8, RemindBeforeHours: 2,
		ReassignOnEscalation: true, Inputs: []string{"amount"}}, When: &approval.Condition{AmountAtLeast: mil("1000000")}},
}}

// org: who manages whom, and who holds which role.
var (
	managerOf   = map[string]string{"wang": "li", "li": "boss", "he": "boss", "gm": "chair", "chair": "owner", "sun": "boss"}
	roleHolders = map[string][]string{"sales_manager": {"he", "li"}, "finance": {"sun"}}
)

type approvalTest struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	saved []activities.SaveCaseInput
	in    ApprovalInput
	away  map[string]string // out-of-office: user → delegate
	// disabled accounts: escalation climbs past them
	disabled map[string]bool
	// workflow is what run starts: the plain ApprovalWorkflow, or the name a
	// keyed one was registered under (keyed).
	workflow any
}

func newApprovalTest(t *testing.T, facts approval.Facts, subject ...approval.Field) *approvalTest {
	at := &approvalTest{t: t, env: newEnv(), away: map[string]string{}, disabled: map[string]bool{}, workflow: ApprovalWorkflow}
	at.env.SetStartTime(start)
	var a *activities.Approvals
	at.env.RegisterActivity(a)
	at.env.OnActivity(a.ChooseRoute, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ChooseRouteInput) (activities.ChooseRouteResult, error) {
			return activities.ChooseRouteResult{Route: testRules.Route(in.Facts), RulesVersion: testRules.Version}, nil
		})
	at.env.OnActivity(a.ResolveApprovers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ResolveInput) ([]approval.Assignee, error) {
			var out []approval.Assignee
			for _, ap := range in.Approvers {
				kind, val, _ := strings.Cut(ap, ":")
				ids := []string{val}
				if kind == "role" {
					ids = roleHolders[val]
				}
				for _, id := range ids {
					if id == in.Requester {
						continue
					}
					if d, ok := at.away[id]; ok {
						out = append(out, approval.Assignee{User: d, OnBehalfOf: id})
					} else {
						out = append(out, approval.Assignee{User: id})
					}
				}
			}
			return out, nil
		})
	at.env.OnActivity(a.ScheduleStage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ScheduleInput) (activities.Schedule, error) {
			sla := time.Duration(in.SLAHours) * time.Hour
			return activities.Schedule{DueAt: in.From.Add(sla), RemindAt: in.From.Add(sla - time.Duration(in.RemindBeforeHours)*time.Hour)}, nil
		})
	at.env.OnActivity(a.Managers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, users []string) (map[string]string, error) {
			out := map[string]string{}
			for _, u := range users {
				if m, ok := managerOf[u]; ok {
					out[u] = m
				}
			}
			return out, nil
		})
	at.env.OnActivity(a.EscalationManagers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EscalationInput) (map[string]string, error) {
			out := map[string]string{}
			for _, u := range in.Holders {
				m := managerOf[u]
				for m != "" && (at.disabled[m] || slices.Contains(in.Barred, m)) {
					m = managerOf[m]
				}
				if m != "" {
					out[u] = m
				}
			}
			return out, nil
		})
	at.env.OnActivity(a.RecentRuleEditors, mock.Anything, mock.Anything).Return([]string(nil), nil)
	at.env.OnActivity(a.SaveCase, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SaveCaseInput) error {
			at.saved = append(at.saved, in)
			return nil
		})
	at.in = ApprovalInput{Case: approval.Case{ID: "contract_review.D-1.1", Kind: approval.KindContractReview,
		Title: "HT-1 for Suzhou Parts", DealID: "D-1", Requester: "wang", Team: "east", Subject: subject, Facts: facts, OpenedAt: start}}
	return at
}

// send schedules an update by name, delay after the start, recording its error in out.
func (at *approvalTest) send(delay time.Duration, name string, arg any, out *error) {
	at.env.RegisterDelayedCallback(func() {
		at.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{OnAccept: func() {},
			OnReject: func(err error) { *out = err }, OnComplete: func(_ any, err error) { *out = err }}, arg)
	}, delay)
}

func (at *approvalTest) decide(delay time.Duration, who string, approve bool, note string, out *error) {
	at.send(delay, ApprovalDecideUpdate, DecideInput{Actor: u(who), Approve: approve, Note: note}, out)
}

// status records the case as the status query shows it, delay after the start.
func (at *approvalTest) status(delay time.Duration, got *approval.Case) {
	queryAt(at.t, at.env, delay, ApprovalStatusQuery, got)
}

// run runs the case to its end and returns it, as the workflow's result.
func (at *approvalTest) run() approval.Case {
	at.env.ExecuteWorkflow(at.workflow, at.in)
	require.True(at.t, at.env.IsWorkflowCompleted())
	require.NoError(at.t, at.env.GetWorkflowError())
	var c approval.Case
	require.NoError(at.t, at.env.GetWorkflowResult(&c))
	return c
}

// notices returns every notice sent, as "recipient: subject".
func (at *approvalTest) notices() []string {
	var out []string
	for _, s := range at.saved {
		for _, n := range s.Notices {
			out = append(out, n.Recipient+": "+n.Subject)
		}
	}
	return out
}

func statuses(c approval.Case) []string {
	var out []string
	for _, s := range c.Steps {
		out = append(out, s.ID+"="+string(s.Status)+"@"+s.Approver)
	}
	return out
}

func TestRouteChosenByRulesWithAnyAndAllStages(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 150000000, NonstandardPaymentTerms: true})
	var e [6]error
	at.decide(time.Hour, "wang", true, "", &e[0])          // the requester never approves
	at.decide(2*time.Hour, "li", true, "fine", &e[1])      // any-of: li decides for both managers
	at.decide(3*time.Hour, "he", true, "", &e[2])          // too late: he's step was closed
	at.decide(4*time.Hour, "sun", true, "terms ok", &e[3]) // all-of: sun and boss both needed
	at.decide(5*time.Hour, "boss", true, "", &e[4])
	at.decide(6*time.Hour, "gm", true, "", &e[5])
	c := at.run()

	outcomesAre(t, e[:], "forbidden", "ok", "forbidden", "ok", "ok", "ok")
	require.Equal(t, approval.StatusApproved, c.Status)
	require.Equal(t, []string{"sales_manager", "finance", "gm"}, stageNames(c.Route))
	require.Equal(t, 3, c.RulesVersion)
	require.Equal(t, []string{"r1.s0.he=skipped@he", "r1.s0.li=approved@li", "r1.s1.sun=approved@sun",
		"r1.s1.boss=approved@boss", "r1.s2.gm=approved@gm"}, statuses(c))
}

func TestSmallStandardContractNeedsOnlyTheManager(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 100000})
	var e error
	at.decide(time.Hour, "he", true, "", &e)
	c := at.run()
	require.NoError(t, e)
	require.Equal(t, []string{"sales_manager"}, stageNames(c.Route))
	require.Equal(t, approval.StatusApproved, c.Status)
}

func TestReminderThenEscalationClimbsTheOrgChart(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 200000000})
	var e [3]error
	at.decide(time.Hour, "li", true, "", &e[0])
	// gm's stage is entered at 1h: reminder at 7h, escalation to chair at 9h
	// (the step is handed over), then to owner at 17h.
	var at10h approval.Case
	at.status(10*time.Hour, &at10h)
	at.decide(11*time.Hour, "gm", true, "", &e[1]) // gm no longer holds it
	at.decide(20*time.Hour, "owner", true, "signed off", &e[2])
	c := at.run()

	outcomesAre(t, e[:], "ok", "forbidden", "ok")
	require.Equal(t, []string{"chair"}, at10h.Holders())
	require.Equal(t, 1, at10h.Steps[2].EscalationLevel)
	require.Equal(t, "gm", at10h.Steps[2].OnBehalfOf)
	n := at.notices()
	require.Contains(t, n, "gm: Reminder: review contract_review.D-1.1 is due soon")
	require.Contains(t, n, "chair: Review contract_review.D-1.1 is overdue")
	require.Contains(t, n, "owner: Review contract_review.D-1.1 is overdue")
	last := c.Steps[len(c.Steps)-1]
	require.Equal(t, "owner", last.Approver)
	require.Equal(t, 2, last.EscalationLevel)
	require.Equal(t, approval.StatusApproved, c.Status)
}

// TestEscalationPassesADisabledManager: gm's manager chair has left (a
// disabled account): the overdue step goes to chair's manager, owner, and
// chair is told nothing.
func TestEscalationPassesADisabledManager(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 200000000})
	at.disabled["chair"] = true
	var e [2]error
	at.decide(time.Hour, "li", true, "", &e[0])
	var at10h approval.Case
	at.status(10*time.Hour, &at10h)
	at.decide(11*time.Hour, "owner", true, "signed off", &e[1])
	c := at.run()

	outcomesAre(t, e[:], "ok", "ok")
	require.Equal(t, []string{"owner"}, at10h.Holders())
	require.Equal(t, "gm", at10h.Steps[2].OnBehalfOf)
	for _, n := range at.notices() {
		require.False(t, strings.HasPrefix(n, "chair:"), n)
	}
	require.Contains(t, at.notices(), "owner: Review contract_review.D-1.1 is overdue")
	require.Equal(t, approval.StatusApproved, c.Status)
}

func TestDelegation(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 100000})
	at.away["he"] = "zhao" // he is on leave: his step goes to zhao
	var e [4]error
	at.send(time.Hour, ApprovalDelegateUpdate, DelegateInput{Actor: u("li"), To: "wang", Note: "you know it"}, &e[0])
	at.send(2*time.Hour, ApprovalDelegateUpdate, DelegateInput{Actor: u("li"), To: "chen", Note: "chen knows the customer"}, &e[1])
	at.decide(3*time.Hour, "li", true, "", &e[2])
	at.decide(4*time.Hour, "chen", true, "ok", &e[3])
	c := at.run()

	outcomesAre(t, e[:], "invalid" /* not to the requester */, "ok", "forbidden", "ok")
	require.Equal(t, []string{"r1.s0.he=skipped@zhao", "r1.s0.li=approved@chen"}, statuses(c))
	require.Equal(t, "he", c.Steps[0].OnBehalfOf)
	require.Equal(t, "li", c.Steps[1].OnBehalfOf)
	require.Contains(t, c.Comments[0].Text, "delegated to chen")
}

func TestRejectAmendResubmitKeepsUnchangedApprovals(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 150000000, NonstandardPaymentTerms: true},
		approval.Field{Name: "amount", Value: "1500000.00"}, approval.Field{Name: "payment_terms", Value: "90 days"})
	var e [7]error
	at.decide(time.Hour, "li", true, "", &e[0])
	at.decide(2*time.Hour, "sun", true, "", &e[1])
	at.decide(3*time.Hour, "boss", true, "", &e[2])
	at.decide(4*time.Hour, "gm", false, "", &e[3])                              // a reason is required
	at.decide(5*time.Hour, "gm", false, "price too low for this volume", &e[4]) // returned to wang
	at.env.RegisterDelayedCallback(func() {
		at.env.SignalWorkflow(ApprovalResubmitSignal, ResubmitInput{Actor: "wang", Facts: approval.Facts{Amount: 160000000, NonstandardPaymentTerms: true},
			Subject: []approval.Field{{Name: "amount", Value: "1600000.00"}, {Name: "payment_terms", Value: "90 days"}}})
	}, 6*time.Hour)
	at.decide(7*time.Hour, "he", true, "", &e[5]) // sales_manager's inputs are "all": it reviews again
	at.decide(8*time.Hour, "gm", true, "better", &e[6])
	c := at.run()

	outcomesAre(t, e[:], "ok", "-", "-", "invalid", "ok", "ok", "ok")
	require.Equal(t, approval.StatusApproved, c.Status)
	require.Equal(t, 2, c.Round)
	var round2 []string
	for _, s := range c.Steps {
		if s.Round == 2 {
			round2 = append(round2, s.ID+"="+string(s.Status))
		}
	}
	// finance reviews only the payment terms, which did not change: it keeps its approval.
	require.Equal(t, []string{"r2.s0.he=approved", "r2.s0.li=skipped", "r2.s1.sun=carried", "r2.s1.boss=carried", "r2.s2.gm=approved"}, round2)
	gm := c.Steps[len(c.Steps)-1]
	require.Equal(t, []approval.Change{{Field: "amount", Before: "1500000.00", After: "1600000.00"}}, gm.Changes)
	require.Contains(t, at.notices(), "wang: Review contract_review.D-1.1 was returned")
}

func TestWithdrawal(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 100000})
	var e [3]error
	at.send(time.Hour, ApprovalWithdrawUpdate, WithdrawInput{Actor: u("li")}, &e[0])
	at.send(2*time.Hour, ApprovalCommentUpdate, CommentInput{Actor: u("he"), Text: "call me before you resubmit"}, &e[1])
	at.send(3*time.Hour, ApprovalWithdrawUpdate, WithdrawInput{Actor: u("wang"), Note: "customer postponed"}, &e[2])
	c := at.run()
	outcomesAre(t, e[:], "forbidden", "ok", "ok")
	require.Equal(t, approval.StatusWithdrawn, c.Status)
	require.Equal(t, []string{"r1.s0.he=withdrawn@he", "r1.s0.li=withdrawn@li"}, statuses(c))
	require.Len(t, c.Comments, 2)
}

func stageNames(route []approval.Stage) []string {
	var out []string
	for _, s := range route {
		out = append(out, s.Name)
	}
	return out
}

// outcomesAre checks what became of each message sent: "ok" it was
// applied, "-" not checked, else the kind of refusal it got.
func outcomesAre(t *testing.T, errs []error, want ...string) {
	t.Helper()
	require.Len(t, want, len(errs))
	for i, w := range want {
		switch w {
		case "-":
		case "ok":
			require.NoError(t, errs[i], "message %d", i)
		default:
			refusalIs(t, errs[i], w)
		}
	}
}

func refusalIs(t *testing.T, err error, kind string) {
	t.Helper()
	require.Error(t, err)
	require.True(t, strings.HasPrefix(errType(err), ErrTypeRefusal+kind), "got %v (%s)", err, errType(err))
}

// TestFiftyConcurrentDecisionsOneWins: fifty decisions on one step arrive in
// the same instant (one workflow task); exactly one is applied and every other
// is refused, with nothing recorded twice.
func TestFiftyConcurrentDecisionsOneWins(t *testing.T) {
	at := newApprovalTest(t, approval.Facts{Amount: 100000})
	errs := make([]error, 50)
	completed := 0
	for i := range errs {
		at.env.RegisterDelayedCallback(func() {
			at.env.UpdateWorkflow(ApprovalDecideUpdate, "", &testsuite.TestUpdateCallback{OnAccept: func() {},
				OnReject:   func(err error) { errs[i] = err; completed++ },
				OnComplete: func(_ any, err error) { errs[i] = err; completed++ }},
				DecideInput{Actor: u("li"), Approve: true})
		}, time.Hour)
	}
	c := at.run()
	require.Equal(t, 50, completed)
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.True(t, strings.HasPrefix(errType(err), ErrTypeRefusal), "%v", err)
	}
	require.Equal(t, 1, won)
	require.Equal(t, approval.StatusApproved, c.Status)
	approvals := 0
	for _, s := range c.Steps {
		if s.Status == approval.StepApproved {
			approvals++
		}
	}
	require.Equal(t, 1, approvals)
}
