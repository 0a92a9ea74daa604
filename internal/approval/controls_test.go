package approval

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var apprT0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func apprYes() *bool { b := true; return &b }

// apprRules: a sales manager, finance when terms are non-standard, the GM.
var apprRules = RuleSet{Kind: KindContractReview, Version: 1, Stages: []StageRule{
	{Stage: Stage{Name: "sales_manager", Approvers: []string{"role:sales_manager"}, Rule: RuleAny, SLAHours: 8}},
	{Stage: Stage{Name: "finance", Approvers: []string{"role:finance"}, Rule: RuleAny, SLAHours: 8,
		Inputs: []string{"amount", "payment_terms"}}, When: &Condition{NonstandardPaymentTerms: apprYes()}},
	{Stage: Stage{Name: "gm", Approvers: []string{"manager"}, Rule: RuleAny, SLAHours: 8}},
}}

func apprCase(controls int, facts Facts) Case {
	c := Case{ID: "contract_review.D-1.1", Kind: KindContractReview, Requester: "zhao", Status: StatusInReview, Round: 1,
		Route: apprRules.Route(facts), Facts: facts, Excluded: []string{"li", "liu"}, DistinctApprovers: true,
		Controls: controls, Subject: []Field{{"amount", "5000"}, {"payment_terms", "NT180"}}}
	return Enter(c, 0, []Assignee{{User: "he"}}, apprT0, apprT0.Add(8*time.Hour), apprT0)
}

func apprMust(t *testing.T) func(Case, error) Case {
	return func(c Case, err error) Case {
		t.Helper()
		require.NoError(t, err)
		return c
	}
}

// A stage that rejected stays in every later route and decides again; the
// stage before it keeps its approval only while nothing before it is new.
func TestApprRejectingStageDecidesAgain(t *testing.T) {
	c := apprCase(ControlsV1, Facts{NonstandardPaymentTerms: true})
	c = apprMust(t)(Decide(c, "he", "", true, "", apprT0))
	c, i, _ := Advance(c, apprT0)
	c = Enter(c, i, []Assignee{{User: "sun"}}, apprT0, apprT0, apprT0)
	c = apprMust(t)(Decide(c, "sun", "", false, "NT180 is not acceptable", apprT0))
	require.Equal(t, StatusReturned, c.Status)

	// Same subject, the flag declared away: the new facts drop finance.
	facts := Facts{NonstandardPaymentTerms: false}
	c = apprMust(t)(Resubmit(c, "zhao", c.Subject, facts, apprRules.Route(facts), 1, apprT0))
	require.Equal(t, []string{"sales_manager", "finance", "gm"}, names(c.Route), "finance stays where it stood")
	kept, ok := c.Carried(0)
	require.True(t, ok, "the sales manager's approval is carried: nothing changed")
	require.Len(t, kept, 1)
	c = Enter(c, 0, nil, apprT0, apprT0, apprT0)
	require.True(t, c.StageDone())
	c, i, _ = Advance(c, apprT0)
	require.Equal(t, 1, i)
	_, ok = c.Carried(1)
	require.False(t, ok, "a stage that rejected is never carried")

	// Before the controls (a case already running), the old behaviour stays.
	old := apprCase(0, Facts{NonstandardPaymentTerms: true})
	old = apprMust(t)(Decide(old, "he", "", true, "", apprT0))
	old, i, _ = Advance(old, apprT0)
	old = Enter(old, i, []Assignee{{User: "sun"}}, apprT0, apprT0, apprT0)
	old = apprMust(t)(Decide(old, "sun", "", false, "no", apprT0))
	old = apprMust(t)(Resubmit(old, "zhao", old.Subject, facts, apprRules.Route(facts), 1, apprT0))
	require.Equal(t, []string{"sales_manager", "gm"}, names(old.Route))
}

// An approval is carried only when every stage before it in this round is
// carried or approved again.
func TestApprCarriedOnlyAfterEarlierStages(t *testing.T) {
	c := Case{ID: "x", Requester: "wang", Status: StatusReturned, Round: 2, Controls: ControlsV1,
		Route:           []Stage{{Name: "a"}, {Name: "b"}},
		Subject:         []Field{{"amount", "1"}},
		PreviousSubject: []Field{{"amount", "1"}},
		Steps: []Step{
			{ID: "r1.s0.he", Round: 1, StageIndex: 0, Stage: "a", Approver: "he", Status: StepApproved, DecidedBy: "he"},
			{ID: "r1.s1.sun", Round: 1, StageIndex: 1, Stage: "b", Approver: "sun", Status: StepApproved, DecidedBy: "sun"},
		}}
	_, ok := c.Carried(1)
	require.False(t, ok, "stage a of round 2 is not decided yet")
	c.Steps = append(c.Steps, Step{ID: "r2.s0.he", Round: 2, StageIndex: 0, Stage: "a", Status: StepCarried, DecidedBy: "he"})
	_, ok = c.Carried(1)
	require.True(t, ok)
}

// Four eyes and the people the subject names, for approvers, delegates and escalation.
func TestApprWhoMayDecide(t *testing.T) {
	c := apprCase(ControlsV1, Facts{})
	require.Contains(t, c.Ineligible("zhao", "sales_manager"), "requested")
	require.Contains(t, c.Ineligible("li", "sales_manager"), "named on")
	require.Empty(t, c.Ineligible("he", "sales_manager"))

	// he's step, delegated to li (the sales owner): refused, named on the subject.
	_, err := Delegate(c, "he", "li", "", apprT0)
	require.ErrorContains(t, err, "named on")
	c = apprMust(t)(Decide(c, "he", "", true, "", apprT0))
	c, i, _ := Advance(c, apprT0)
	require.Contains(t, c.Ineligible("he", "gm"), "four eyes")
	require.Equal(t, []string{"zhao", "li", "liu", "he"}, c.Barred("gm"))

	// The GM step reaches he anyway (by escalation from an earlier
	// resolution): he may not decide it, and escalation never hands it to him.
	c = Enter(c, i, []Assignee{{User: "he"}}, apprT0, apprT0, apprT0)
	_, err = Decide(c, "he", "", true, "", apprT0)
	require.ErrorContains(t, err, "four eyes")
	c.Steps[len(c.Steps)-1].Approver = "gm"
	up := Escalate(c, map[string]string{"gm": "he"}, true)
	require.Equal(t, "gm", up.Steps[len(up.Steps)-1].Approver, "not back to someone who decided")

	// A delegate of the GM who is the discoverer is refused at deciding.
	_, err = Decide(c, "liu", "gm", true, "", apprT0)
	require.ErrorContains(t, err, "named on")

	// With four eyes off, he may decide a second stage; exclusions still hold.
	c.DistinctApprovers = false
	c.Steps[len(c.Steps)-1].Approver = "he"
	_ = apprMust(t)(Decide(c, "he", "", true, "", apprT0))
	_, err = Decide(c, "liu", "he", true, "", apprT0)
	require.Error(t, err)
}

func TestApprRuleSetDistinctDefaultsOn(t *testing.T) {
	require.True(t, RuleSet{}.Distinct())
	off := false
	require.False(t, RuleSet{DistinctApprovers: &off}.Distinct())
}

func names(route []Stage) []string {
	var out []string
	for _, s := range route {
		out = append(out, s.Name)
	}
	return out
}
