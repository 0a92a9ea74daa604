package approval

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/refusal"
)

// Status is where a case stands.
type Status string

const (
	StatusInReview  Status = "in_review"
	StatusReturned  Status = "returned"  // rejected: back with the requester to amend and resubmit, or withdraw
	StatusApproved  Status = "approved"  // every stage approved
	StatusWithdrawn Status = "withdrawn" // the requester (or the process behind it) gave up
)

// Done reports whether the case is finished.
func (s Status) Done() bool { return s == StatusApproved || s == StatusWithdrawn }

// StepStatus is where one approver's step stands.
type StepStatus string

const (
	StepPending   StepStatus = "pending"
	StepApproved  StepStatus = "approved"
	StepRejected  StepStatus = "rejected"
	StepSkipped   StepStatus = "skipped"   // another approver decided an any-of stage, or the stage was rejected
	StepCarried   StepStatus = "carried"   // approved in an earlier round and its inputs did not change
	StepWithdrawn StepStatus = "withdrawn" // the case was withdrawn while the step was open
)

// Field is one named piece of what is being approved ("amount": "43200.00").
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Change is one field that differs from the previous round.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Step is one approver's part in one stage of one round.
type Step struct {
	ID         string     `json:"id"`
	Round      int        `json:"round"`
	StageIndex int        `json:"stage_index"`
	Stage      string     `json:"stage"`
	Approver   string     `json:"approver"`
	OnBehalfOf string     `json:"on_behalf_of,omitempty"` // the approver this step was delegated or escalated from
	Status     StepStatus `json:"status"`
	EnteredAt  time.Time  `json:"entered_at"`
	RemindAt   *time.Time `json:"remind_at,omitempty"`
	DueAt      *time.Time `json:"due_at,omitempty"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
	DecidedBy  string     `json:"decided_by,omitempty"`
	Note       string     `json:"note,omitempty"`
	// Changes is what changed since the previous round, for the approver to review.
	Changes         []Change `json:"changes,omitempty"`
	EscalationLevel int      `json:"escalation_level,omitempty"`
}

// Comment is a remark anyone involved adds to a case or one of its steps.
type Comment struct {
	Author string    `json:"author"`
	StepID string    `json:"step_id,omitempty"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// Case is one review: the workflow's state and the read model's content.
type Case struct {
	ID        string `json:"id"`
	Kind      Kind   `json:"kind"`
	Title     string `json:"title"`
	DealID    string `json:"deal_id,omitempty"`
	Requester string `json:"requester"`
	Team      string `json:"team,omitempty"`

	Status       Status  `json:"status"`
	Round        int     `json:"round"`
	RulesVersion int     `json:"rules_version"`
	Route        []Stage `json:"route"`
	// Current is the index in Route of the stage under review.
	Current         int     `json:"current"`
	Subject         []Field `json:"subject"`
	PreviousSubject []Field `json:"previous_subject,omitempty"`
	Facts           Facts   `json:"facts"`

	Steps    []Step    `json:"steps"`
	Comments []Comment `json:"comments"`

	// Excluded are the people the subject names (a deal's sales owner and
	// discoverer, a customer's sales owner): like the requester, they never
	// approve it, not as an approver, a delegate or by escalation.
	Excluded []string `json:"excluded,omitempty"`
	// DistinctApprovers (four eyes, from the rule set): a person decides at
	// most one stage of the case.
	DistinctApprovers bool `json:"distinct_approvers"`
	// Controls is the version of the controls the case runs under: 0 for cases
	// started before ControlsV1, which keep the rules they started with.
	Controls int `json:"controls"`

	OpenedAt time.Time  `json:"opened_at"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
	// Version counts saved changes; it guards the read model against stale writes.
	Version int64 `json:"version"`
}

// Assignee is who a new step goes to, and on whose behalf when an
// out-of-office delegation redirected it.
type Assignee struct {
	User       string `json:"user"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
}

// Pending returns the open steps of the current stage.
func (c *Case) Pending() []Step {
	var out []Step
	for _, s := range c.Steps {
		if s.Status == StepPending {
			out = append(out, s)
		}
	}
	return out
}

// Holders are the people the case waits on now.
func (c *Case) Holders() []string {
	var out []string
	for _, s := range c.Pending() {
		out = append(out, s.Approver)
	}
	return out
}

func (c Case) clone() Case {
	n := c
	n.Route = slices.Clone(c.Route)
	n.Subject = slices.Clone(c.Subject)
	n.PreviousSubject = slices.Clone(c.PreviousSubject)
	n.Steps = slices.Clone(c.Steps)
	n.Comments = slices.Clone(c.Comments)
	n.Excluded = slices.Clone(c.Excluded)
	return n
}

func stepID(round, stage int, user string) string {
	return fmt.Sprintf("r%d.s%d.%s", round, stage, user)
}

// idOf returns the approver a step ID names.
func idOf(stepID string) string { return strings.SplitN(stepID, ".", 3)[2] }

// ControlsV1 is the first version of the controls: excluded people, four
// eyes, and rejections that cannot be carried or routed away.
const ControlsV1 = 1

// ControlsV2 checks at the save of a decision, in its transaction, that the
// decider did not edit the kind's routing rules lately; under ControlsV1 the
// workflow asks before deciding, as an activity of its own.
const ControlsV2 = 2

// Carried returns the approvals of stage i from the previous round when the
// stage keeps them: it was approved then and none of its inputs changed since.
// Under the controls, also: the stage never rejected in any earlier round (a
// stage that said no says yes again itself), and every stage before it in
// this round is carried or approved again.
func (c *Case) Carried(i int) ([]Step, bool) {
	if c.Round < 2 || c.PreviousSubject == nil {
		return nil, false
	}
	st := c.Route[i]
	if len(c.diff(st.Inputs)) > 0 {
		return nil, false
	}
	if c.Controls >= ControlsV1 {
		if c.rejected(st.Name) {
			return nil, false
		}
		for j := 0; j < i; j++ {
			if !c.stageApproved(c.Round, j) {
				return nil, false
			}
		}
	}
	var kept []Step
	for _, s := range c.Steps {
		if s.Round == c.Round-1 && s.Stage == st.Name && (s.Status == StepApproved || s.Status == StepCarried) {
			kept = append(kept, s)
		}
	}
	return kept, len(kept) > 0
}

// rejected reports whether stage name rejected in any round.
func (c *Case) rejected(name string) bool {
	return slices.ContainsFunc(c.Steps, func(s Step) bool { return s.Stage == name && s.Status == StepRejected })
}

// stageApproved reports whether stage index i of round is approved or carried.
func (c *Case) stageApproved(round, i int) bool {
	return slices.ContainsFunc(c.Steps, func(s Step) bool {
		return s.Round == round && s.StageIndex == i && (s.Status == StepApproved || s.Status == StepCarried)
	})
}

// Ineligible says why user may not decide stage (by name) of the case, or ""
// when they may: the requester never; under the controls, nor anyone the
// subject names, nor (four eyes) anyone who decided another stage of it.
func (c *Case) Ineligible(user, stage string) string {
	switch {
	case user == c.Requester:
		return user + " requested this review and cannot decide it"
	case c.Controls < ControlsV1:
		return ""
	case slices.Contains(c.Excluded, user):
		return user + " is named on what is reviewed (sales owner or discoverer) and cannot decide it"
	}
	if c.DistinctApprovers {
		for _, s := range c.Steps {
			if s.Stage != stage && s.DecidedBy == user &&
				(s.Status == StepApproved || s.Status == StepRejected || s.Status == StepCarried) {
				return fmt.Sprintf("%s decided stage %s of this case; a person decides one stage at most (four eyes)", user, s.Stage)
			}
		}
	}
	return ""
}

// Barred lists who may not hold a step of stage: the requester, the people
// the subject names, and (four eyes) who decided another stage. Resolution
// passes them over and climbs to the next manager up instead.
func (c *Case) Barred(stage string) []string {
	out := []string{c.Requester}
	if c.Controls < ControlsV1 {
		return out
	}
	for _, u := range c.Excluded {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	for _, s := range c.Steps {
		if s.DecidedBy != "" && !slices.Contains(out, s.DecidedBy) && c.Ineligible(s.DecidedBy, stage) != "" {
			out = append(out, s.DecidedBy)
		}
	}
	return out
}

// diff lists the fields among names (all when empty) that changed since the previous round.
func (c *Case) diff(names []string) []Change {
	if c.PreviousSubject == nil {
		return nil
	}
	before := map[string]string{}
	for _, f := range c.PreviousSubject {
		before[f.Name] = f.Value
	}
	var out []Change
	seen := map[string]bool{}
	for _, f := range c.Subject {
		seen[f.Name] = true
		if (len(names) == 0 || slices.Contains(names, f.Name)) && before[f.Name] != f.Value {
			out = append(out, Change{f.Name, before[f.Name], f.Value})
		}
	}
	for _, f := range c.PreviousSubject { // fields that disappeared
		if !seen[f.Name] && (len(names) == 0 || slices.Contains(names, f.Name)) {
			out = append(out, Change{f.Name, f.Value, ""})
		}
	}
	return out
}

// Enter opens stage i: a step per assignee, due by the given times. A stage
// that keeps an earlier round's approval gets one carried step instead.
func Enter(c Case, i int, who []Assignee, remindAt, dueAt time.Time, now time.Time) Case {
	n := c.clone()
	n.Current = i
	st := n.Route[i]
	if kept, ok := c.Carried(i); ok {
		for _, prev := range kept {
			t := now
			n.Steps = append(n.Steps, Step{ID: stepID(n.Round, i, idOf(prev.ID)), Round: n.Round, StageIndex: i,
				Stage: st.Name, Approver: prev.Approver, OnBehalfOf: prev.OnBehalfOf, Status: StepCarried,
				EnteredAt: now, DecidedAt: &t, DecidedBy: prev.DecidedBy,
				Note: fmt.Sprintf("kept from round %d: its inputs did not change", prev.Round)})
		}
		return n
	}
	changes := n.diff(st.Inputs)
	for _, a := range who {
		r, d := remindAt, dueAt
		// A step is named for the approver the route chose, even when someone
		// else holds it for them.
		owner := a.User
		if a.OnBehalfOf != "" {
			owner = a.OnBehalfOf
		}
		n.Steps = append(n.Steps, Step{ID: stepID(n.Round, i, owner), Round: n.Round, StageIndex: i, Stage: st.Name,
			Approver: a.User, OnBehalfOf: a.OnBehalfOf, Status: StepPending, EnteredAt: now,
			RemindAt: &r, DueAt: &d, Changes: changes})
	}
	return n
}

// StageDone reports whether the current stage is decided: approved (or
// carried) by one approver for an any-of stage, by all for an all-of stage.
func (c *Case) StageDone() bool {
	var approved, open int
	for _, s := range c.Steps {
		if s.Round != c.Round || s.StageIndex != c.Current {
			continue
		}
		switch s.Status {
		case StepApproved, StepCarried:
			approved++
		case StepPending:
			open++
		}
	}
	if approved == 0 {
		return false
	}
	return c.Route[c.Current].Rule == RuleAny || open == 0
}

// Decide records actor's decision on their pending step of the current stage.
// Only the step's approver (who may hold it by delegation) can decide it, the
// requester never, and a decided step stays decided. A rejection returns the
// case to the requester; an approval that completes an any-of stage closes the
// stage's other steps.
//
// onBehalfOf, when set, is the approver whose step actor decides as their
// out-of-office delegate; the caller has checked the delegation.
func Decide(c Case, actor, onBehalfOf string, approve bool, note string, now time.Time) (Case, error) {
	if c.Status != StatusInReview {
		return c, refusal.Conflict("case %s is %s; there is nothing to decide", c.ID, c.Status)
	}
	if why := c.Ineligible(actor, c.Route[c.Current].Name); why != "" {
		return c, refusal.Deny("%s", why)
	}
	holder := actor
	if onBehalfOf != "" {
		holder = onBehalfOf
	}
	i := slices.IndexFunc(c.Steps, func(s Step) bool {
		return s.Round == c.Round && s.StageIndex == c.Current && s.Approver == holder
	})
	if i < 0 {
		return c, refusal.Deny("%s holds no step of the current stage (%s); it waits on %s",
			holder, c.Route[c.Current].Name, strings.Join(c.Holders(), ", "))
	}
	if c.Steps[i].Status != StepPending {
		return c, refusal.Conflict("step %s is already %s", c.Steps[i].ID, c.Steps[i].Status)
	}
	if !approve && strings.TrimSpace(note) == "" {
		return c, refusal.Field("note", "is required to reject: say what to change")
	}
	n := c.clone()
	t := now
	s := &n.Steps[i]
	s.DecidedAt, s.DecidedBy, s.Note = &t, actor, note
	if onBehalfOf != "" {
		s.Approver, s.OnBehalfOf = actor, onBehalfOf
	}
	if approve {
		s.Status = StepApproved
		if n.StageDone() {
			n.closeOpen(StepSkipped, now)
		}
		return n, nil
	}
	s.Status = StepRejected
	n.closeOpen(StepSkipped, now)
	n.Status = StatusReturned
	return n, nil
}

// Advance moves past a decided stage: it reports the next stage to enter, or
// approves the case when none is left.
func Advance(c Case, now time.Time) (Case, int, bool) {
	n := c.clone()
	if next := n.Current + 1; next < len(n.Route) {
		return n, next, true
	}
	n.Current = len(n.Route)
	n.Status = StatusApproved
	t := now
	n.ClosedAt = &t
	return n, 0, false
}

// closeOpen closes every pending step with status st.
func (c *Case) closeOpen(st StepStatus, now time.Time) {
	for i := range c.Steps {
		if c.Steps[i].Status == StepPending {
			t := now
			c.Steps[i].Status, c.Steps[i].DecidedAt = st, &t
		}
	}
}

// Delegate hands actor's pending step to another person, on the record.
func Delegate(c Case, actor, to, note string, now time.Time) (Case, error) {
	if c.Status != StatusInReview {
		return c, refusal.Conflict("case %s is %s; there is nothing to delegate", c.ID, c.Status)
	}
	switch to {
	case "":
		return c, refusal.Field("to", "is required: whom to delegate to")
	case actor:
		return c, refusal.Field("to", "cannot delegate to yourself")
	}
	if why := c.Ineligible(to, c.Route[c.Current].Name); why != "" {
		return c, refusal.Field("to", "%s", why)
	}
	i := slices.IndexFunc(c.Steps, func(s Step) bool { return s.Status == StepPending && s.Approver == actor })
	if i < 0 {
		return c, refusal.Deny("%s holds no open step to delegate", actor)
	}
	if slices.ContainsFunc(c.Steps, func(s Step) bool {
		return s.Round == c.Round && s.StageIndex == c.Current && s.Approver == to
	}) {
		return c, refusal.Field("to", "%s already has a step in this stage", to)
	}
	n := c.clone()
	s := &n.Steps[i]
	if s.OnBehalfOf == "" {
		s.OnBehalfOf = actor
	}
	s.Approver = to // the step keeps its ID: it is the same step, held by someone else
	n.Comments = append(n.Comments, Comment{Author: actor, StepID: s.ID, At: now,
		Text: strings.TrimSpace("delegated to " + to + ". " + note)})
	return n, nil
}

// Escalate is what happens when a stage's SLA passes: each open step's holder's
// manager is told, and with reassign the step moves up to that manager. The
// next escalation climbs one more manager. managers maps a holder to their
// manager; a holder without one stays put.
func Escalate(c Case, managers map[string]string, reassign bool) Case {
	n := c.clone()
	for i := range n.Steps {
		s := &n.Steps[i]
		if s.Status != StepPending {
			continue
		}
		s.EscalationLevel++
		m, ok := managers[s.Approver]
		if !reassign || !ok || m == "" || n.Ineligible(m, s.Stage) != "" || n.hasStep(m) {
			continue
		}
		if s.OnBehalfOf == "" {
			s.OnBehalfOf = s.Approver
		}
		s.Approver = m
	}
	return n
}

func (c *Case) hasStep(user string) bool {
	return slices.ContainsFunc(c.Steps, func(s Step) bool {
		return s.Round == c.Round && s.StageIndex == c.Current && s.Approver == user
	})
}

// Withdraw ends the case at the requester's wish.
func Withdraw(c Case, actor, note string, now time.Time) (Case, error) {
	if c.Status.Done() {
		return c, refusal.Conflict("case %s is already %s", c.ID, c.Status)
	}
	if actor != c.Requester {
		return c, refusal.Deny("only the requester (%s) can withdraw this review", c.Requester)
	}
	n := c.clone()
	n.closeOpen(StepWithdrawn, now)
	n.Status = StatusWithdrawn
	t := now
	n.ClosedAt = &t
	if strings.TrimSpace(note) != "" {
		n.Comments = append(n.Comments, Comment{Author: actor, Text: "withdrawn: " + note, At: now})
	}
	return n, nil
}

// Resubmit starts a new round after a rejection with the amended subject and
// the route the rules give it now. Stages whose inputs did not change keep
// their approval when they are entered.
func Resubmit(c Case, actor string, subject []Field, facts Facts, route []Stage, rulesVersion int, now time.Time) (Case, error) {
	if c.Status != StatusReturned {
		return c, refusal.Conflict("case %s is %s; only a returned case can be resubmitted", c.ID, c.Status)
	}
	if actor != c.Requester {
		return c, refusal.Deny("only the requester (%s) can resubmit this review", c.Requester)
	}
	if len(route) == 0 {
		return c, refusal.Conflict("the rules give this case no stages")
	}
	n := c.clone()
	n.PreviousSubject, n.Subject, n.Facts = c.Subject, slices.Clone(subject), facts
	if c.Controls >= ControlsV1 {
		route = c.keepRejecting(route)
	}
	n.Route, n.RulesVersion = slices.Clone(route), rulesVersion
	n.Round++
	n.Current = 0
	n.Status = StatusInReview
	return n, nil
}

// keepRejecting returns route with every stage that rejected in an earlier
// round put back where it stood, if the new facts dropped it: a rejection is
// answered by the stage that made it, never by editing a fact away.
func (c *Case) keepRejecting(route []Stage) []Stage {
	out := slices.Clone(route)
	for k, st := range c.Route {
		if !c.rejected(st.Name) || slices.ContainsFunc(out, func(s Stage) bool { return s.Name == st.Name }) {
			continue
		}
		// After the last stage of out that came before it in the old route.
		at := 0
		for i, s := range out {
			if slices.ContainsFunc(c.Route[:k], func(p Stage) bool { return p.Name == s.Name }) {
				at = i + 1
			}
		}
		out = slices.Insert(out, at, st)
	}
	return out
}

// AddComment lets anyone involved (the requester or an approver of any round)
// remark on the case or on one of its steps.
func AddComment(c Case, actor, stepID, text string, now time.Time) (Case, error) {
	if strings.TrimSpace(text) == "" {
		return c, refusal.Field("text", "is required")
	}
	involved := actor == c.Requester || slices.ContainsFunc(c.Steps, func(s Step) bool {
		return s.Approver == actor || s.OnBehalfOf == actor
	})
	if !involved {
		return c, refusal.Deny("only the requester and the approvers can comment on case %s", c.ID)
	}
	if stepID != "" && !slices.ContainsFunc(c.Steps, func(s Step) bool { return s.ID == stepID }) {
		return c, refusal.Field("step_id", "no step %q in case %s", stepID, c.ID)
	}
	n := c.clone()
	n.Comments = append(n.Comments, Comment{Author: actor, StepID: stepID, Text: text, At: now})
	return n, nil
}
