package workflows

import (
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/refusal"
)

// --- the approval workflow's contract ---

// ApprovalWorkflowID is the workflow ID of a review case.
func ApprovalWorkflowID(caseID string) string { return contract.ApprovalWorkflowID(caseID) }

// The approval workflow's messages (see internal/contract).
const (
	ApprovalDecideUpdate   = contract.ApprovalDecideUpdate
	ApprovalDelegateUpdate = contract.ApprovalDelegateUpdate
	ApprovalCommentUpdate  = contract.ApprovalCommentUpdate
	ApprovalWithdrawUpdate = contract.ApprovalWithdrawUpdate
	ApprovalResubmitSignal = contract.ApprovalResubmitSignal
	ApprovalStatusQuery    = contract.ApprovalStatusQuery
	ReviewSignal           = contract.ReviewSignal
)

// The approval workflow's payloads (see internal/contract).
type (
	ApprovalInput = contract.ApprovalInput
	DecideInput   = contract.DecideInput
	DelegateInput = contract.DelegateInput
	CommentInput  = contract.CommentInput
	WithdrawInput = contract.WithdrawInput
	ResubmitInput = contract.ResubmitInput
	ReviewNews    = contract.ReviewNews
)

// approvalActivity: like saving a deal's transition, saving a case must
// eventually succeed, and a person waits on it.
var approvalActivity = saveOptions

// ApprovalWorkflow runs one review case through its route: stage after stage,
// each decided by its approvers (any one or all), with a reminder before each
// stage's SLA and an escalation up the org chart at it and at every SLA after.
// A rejection returns the case to the requester, who may resubmit (a new round)
// or withdraw. The parent hears of each of these through ReviewSignal.
func ApprovalWorkflow(ctx workflow.Context, in ApprovalInput) (approval.Case, error) {
	return runApproval(ctx, in, nil)
}

// runApproval runs a case whose Updates are checked against key (nil: unchecked).
func runApproval(ctx workflow.Context, in ApprovalInput, key *UpdateKey) (approval.Case, error) {
	p := &approvalProcess{c: in.Case, parent: in.Parent, updates: key, lastSeq: -1}
	if err := p.setup(ctx); err != nil {
		return p.c, err
	}
	return p.run(ctx)
}

type approvalProcess struct {
	c      approval.Case
	parent string
	// updates checks the API's signature on Updates (nil: unchecked).
	updates *UpdateKey
	// saving serialises changes, as in the deal workflow; busy is true while one
	// is being saved, when validators must not judge by the state about to change.
	// With local activities (version 1) a save finishes inside the workflow task
	// that makes it, so no request can see the database ahead of the workflow,
	// and validators always judge: a refused request never becomes history.
	saving workflow.Mutex
	busy   bool
	// local: activities run as local activities (LocalActivitiesChange).
	local bool
	// resubmissions holds amended subjects the parent sent, oldest first;
	// lastSeq is the Seq of the last one taken (-1: none yet).
	resubmissions []ResubmitInput
	lastSeq       int64
	// per stage entry: whether the reminder went out, and when to escalate next
	reminded     bool
	nextEscalate time.Time
	topReached   bool // the holders have no managers left to escalate to
}

// LocalActivitiesChange versions the approval workflow: from version 1 its
// activities (short database reads and writes) run as local activities, in the
// worker that runs the workflow, which saves the server round trips between a
// decision and the next stage. Cases started before keep regular activities.
const LocalActivitiesChange = "local-activities"

var approvalLocalActivity = workflow.LocalActivityOptions{
	StartToCloseTimeout:    10 * time.Second,
	ScheduleToCloseTimeout: 5 * time.Minute, // then the workflow task fails and Temporal retries it
	RetryPolicy:            approvalActivity.RetryPolicy,
}

// exec runs one of the case's activities, locally from version 1.
func (p *approvalProcess) exec(ctx workflow.Context, fn any, args ...any) workflow.Future {
	if p.local {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, approvalLocalActivity), fn, args...)
	}
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, approvalActivity), fn, args...)
}

// ApprovalControlsChange versions the approval workflow: from version 1 a case runs
// under approval.ControlsV1 (people named on the subject excluded, four eyes,
// rejections that must be answered by the stage that made them); from
// version 2 under approval.ControlsV2 (the rule-editor check of a decision in
// its save). Cases started before keep the rules they started with.
const ApprovalControlsChange = "approval-controls"

// ResubmitSeqChange versions the approval workflow: from version 1 a case
// takes a resubmission only when its Seq is above the last one's, so the
// parent's signed resubmission, sent again by someone who read it from
// history, does not start another round on an old subject. The version is
// taken at the first resubmission a run considers.
const ResubmitSeqChange = "resubmit-seq"

// EscalationClimbChange versions the approval workflow: from version 1 an
// overdue step escalates to its holder's first manager up the chain who is
// neither a disabled account nor barred from the stage (the requester, the
// people the subject names, four eyes), as approvers are resolved
// (activities.Approvals.EscalationManagers); before, to the holder's manager
// whoever they were. The version is taken at the first escalation a run makes.
const EscalationClimbChange = "escalation-climb"

func (p *approvalProcess) setup(ctx workflow.Context) error {
	p.saving = workflow.NewMutex(ctx)
	p.local = workflow.GetVersion(ctx, LocalActivitiesChange, workflow.DefaultVersion, 1) == 1
	// The controls' version is the change's: 0 before the controls, then
	// approval.ControlsV1, ControlsV2. One marker for all of them, since each
	// GetVersion also writes a search attribute, at a cost to every case.
	p.c.Controls = int(workflow.GetVersion(ctx, ApprovalControlsChange, workflow.DefaultVersion, approval.ControlsV2))
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, ApprovalResubmitSignal)
		for {
			var in ResubmitInput
			if !ch.Receive(ctx, &in) {
				return
			}
			p.resubmissions = append(p.resubmissions, in)
		}
	})
	if err := workflow.SetQueryHandler(ctx, ApprovalStatusQuery, func() (approval.Case, error) { return p.c, nil }); err != nil {
		return err
	}
	type handler struct {
		name     string
		fn       any
		validate any
	}
	for _, h := range []handler{
		{ApprovalDecideUpdate, p.decide, validated(p, ApprovalDecideUpdate, func(ctx workflow.Context, in DecideInput) error {
			_, err := approval.Decide(p.c, in.Actor.ID, in.OnBehalfOf, in.Approve, in.Note, now(ctx))
			return err
		})},
		{ApprovalDelegateUpdate, p.delegate, validated(p, ApprovalDelegateUpdate, func(ctx workflow.Context, in DelegateInput) error {
			_, err := approval.Delegate(p.c, in.Actor.ID, in.To, in.Note, now(ctx))
			return err
		})},
		{ApprovalCommentUpdate, p.comment, validated(p, ApprovalCommentUpdate, func(ctx workflow.Context, in CommentInput) error {
			_, err := approval.AddComment(p.c, in.Actor.ID, in.StepID, in.Text, now(ctx))
			return err
		})},
		{ApprovalWithdrawUpdate, p.withdraw, validated(p, ApprovalWithdrawUpdate, func(ctx workflow.Context, in WithdrawInput) error {
			_, err := approval.Withdraw(p.c, in.Actor.ID, in.Note, now(ctx))
			return err
		})},
	} {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.fn,
			workflow.UpdateHandlerOptions{Validator: h.validate}); err != nil {
			return err
		}
	}
	return nil
}

// validated is the validator of a case's Update name: the input must be
// signed (authenticate); while a change is in flight (without local
// activities) the handler decides once it is saved; otherwise check says
// whether the case takes it.
func validated[I signable](p *approvalProcess, name string, check func(ctx workflow.Context, in I) error) func(workflow.Context, I) error {
	return func(ctx workflow.Context, in I) error {
		if err := authenticate(ctx, p.updates, name, currentUpdateID(ctx), in); err != nil {
			return err
		}
		if p.busy && !p.local {
			return nil // the handler decides, once the change in flight is saved
		}
		return refusalError(check(ctx, in))
	}
}

// now is workflow time at the precision PostgreSQL keeps, so the case the
// workflow holds and the one read back from the database are equal.
func now(ctx workflow.Context) time.Time { return workflow.Now(ctx).UTC().Truncate(time.Microsecond) }

func (p *approvalProcess) run(ctx workflow.Context) (approval.Case, error) {
	ctx = workflow.WithActivityOptions(ctx, approvalActivity)
	var a *activities.Approvals
	var route activities.ChooseRouteResult
	if err := p.exec(ctx, a.ChooseRoute, activities.ChooseRouteInput{Kind: p.c.Kind, Facts: p.c.Facts}).Get(ctx, &route); err != nil {
		return p.c, err
	}
	p.c.Route, p.c.RulesVersion, p.c.Round, p.c.Status = route.Route, route.RulesVersion, 1, approval.StatusInReview
	p.c.DistinctApprovers = route.DistinctApprovers && p.c.Controls >= approval.ControlsV1
	if p.c.Steps == nil {
		p.c.Steps, p.c.Comments = []approval.Step{}, []approval.Comment{}
	}
	err := p.change(ctx, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
		return p.enter(ctx, c, 0, t)
	})
	for err == nil && !p.c.Status.Done() {
		switch p.c.Status {
		case approval.StatusInReview:
			err = p.awaitStage(ctx)
		case approval.StatusReturned:
			p.tellParent(ctx)
			err = p.awaitResubmission(ctx)
		}
	}
	if ctx.Err() != nil { // the parent went away (a lost deal): withdraw on its behalf
		return p.c, p.cancelled(ctx)
	}
	if err != nil {
		return p.c, err
	}
	p.tellParent(ctx)
	return p.c, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// awaitStage waits for the current stage to be decided, reminding and
// escalating as its SLA comes and goes, then moves to the next stage.
func (p *approvalProcess) awaitStage(ctx workflow.Context) error {
	if p.c.StageDone() {
		return p.change(ctx, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
			next, i, more := approval.Advance(c, t)
			if !more {
				return next, approval.Notices(c, next, "approved"), nil
			}
			return p.enter(ctx, next, i, t)
		})
	}
	version := p.c.Version
	changed := func() bool { return p.c.Version != version }
	at, fire := p.nextDeadline()
	if at.IsZero() {
		return workflow.Await(ctx, changed)
	}
	if wait := at.Sub(workflow.Now(ctx)); wait > 0 {
		if ok, err := workflow.AwaitWithTimeout(ctx, wait, changed); err != nil || ok {
			return err
		}
	}
	return fire(ctx)
}

// nextDeadline is the next SLA event of the current stage: the reminder, then
// the escalation, then one more escalation every SLA after that.
func (p *approvalProcess) nextDeadline() (time.Time, func(workflow.Context) error) {
	pending := p.c.Pending()
	if len(pending) == 0 || pending[0].DueAt == nil {
		return time.Time{}, nil
	}
	if !p.reminded && pending[0].RemindAt != nil && pending[0].RemindAt.Before(*pending[0].DueAt) {
		return *pending[0].RemindAt, p.remind
	}
	if p.topReached {
		return time.Time{}, nil
	}
	if p.nextEscalate.IsZero() {
		p.nextEscalate = *pending[0].DueAt
	}
	return p.nextEscalate, p.escalate
}

func (p *approvalProcess) remind(ctx workflow.Context) error {
	p.reminded = true
	return p.change(ctx, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
		return c, approval.Notices(c, c, "reminder"), nil
	})
}

// escalate tells each open step's holder's manager, and hands the step to them
// when the stage says so; the next escalation comes one SLA later.
func (p *approvalProcess) escalate(ctx workflow.Context) error {
	var a *activities.Approvals
	var managers map[string]string
	st := p.c.Route[p.c.Current]
	var up workflow.Future
	if workflow.GetVersion(ctx, EscalationClimbChange, workflow.DefaultVersion, 1) == 1 {
		up = p.exec(ctx, a.EscalationManagers, activities.EscalationInput{Holders: p.c.Holders(), Barred: p.c.Barred(st.Name)})
	} else {
		up = p.exec(ctx, a.Managers, p.c.Holders())
	}
	if err := up.Get(ctx, &managers); err != nil {
		return err
	}
	if len(managers) == 0 {
		// Nobody above the holders: stop climbing rather than escalate to no
		// one every SLA for as long as the case stays open.
		p.topReached = true
		return nil
	}
	err := p.change(ctx, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
		next := approval.Escalate(c, managers, st.ReassignOnEscalation)
		return next, approval.EscalationNotices(c, next, managers), nil
	})
	if err != nil {
		return err
	}
	var sched activities.Schedule
	err = p.exec(ctx, a.ScheduleStage, activities.ScheduleInput{From: p.nextEscalate, SLAHours: st.SLAHours}).Get(ctx, &sched)
	p.nextEscalate = sched.DueAt
	return err
}

// enter resolves stage i's approvers and opens its steps. Called under the lock.
func (p *approvalProcess) enter(ctx workflow.Context, c approval.Case, i int, t time.Time) (approval.Case, []approval.Notice, error) {
	if i >= len(c.Route) { // the rules gave no stages: nothing to review
		next, _, _ := approval.Advance(c, t)
		return next, approval.Notices(c, next, "approved"), nil
	}
	var a *activities.Approvals
	st := c.Route[i]
	var who []approval.Assignee
	if _, carried := c.Carried(i); !carried {
		in := activities.ResolveInput{Approvers: st.Approvers, Requester: c.Requester, At: t, Kind: c.Kind,
			Excluded: c.Barred(st.Name)}
		if err := p.exec(ctx, a.ResolveApprovers, in).Get(ctx, &who); err != nil {
			return c, nil, err
		}
	}
	var sched activities.Schedule
	in := activities.ScheduleInput{From: t, SLAHours: st.SLAHours, RemindBeforeHours: st.RemindBeforeHours}
	if err := p.exec(ctx, a.ScheduleStage, in).Get(ctx, &sched); err != nil {
		return c, nil, err
	}
	p.reminded, p.nextEscalate, p.topReached = false, time.Time{}, false
	next := approval.Enter(c, i, who, sched.RemindAt, sched.DueAt, t)
	return next, approval.Notices(c, next, "entered"), nil
}

// awaitResubmission waits, after a rejection, for the amended subject or a withdrawal.
func (p *approvalProcess) awaitResubmission(ctx workflow.Context) error {
	version := p.c.Version
	var in ResubmitInput
	for {
		if err := workflow.Await(ctx, func() bool { return len(p.resubmissions) > 0 || p.c.Version != version }); err != nil {
			return err
		}
		if len(p.resubmissions) == 0 {
			return nil // withdrawn, or commented on: look again
		}
		in = p.resubmissions[0]
		p.resubmissions = p.resubmissions[1:]
		if p.c.Controls >= approval.ControlsV1 && authenticate(ctx, p.updates, ApprovalResubmitSignal, "", in) != nil {
			continue // refused and logged: not from the parent; the case waits for its own
		}
		if workflow.GetVersion(ctx, ResubmitSeqChange, workflow.DefaultVersion, 1) == 1 {
			if in.Seq <= p.lastSeq {
				workflow.GetLogger(ctx).Warn("resubmission refused: taken before", "case", p.c.ID, "seq", in.Seq,
					"last", p.lastSeq)
				continue
			}
			p.lastSeq = in.Seq
		}
		break
	}
	var a *activities.Approvals
	var route activities.ChooseRouteResult
	if err := p.exec(ctx, a.ChooseRoute, activities.ChooseRouteInput{Kind: p.c.Kind, Facts: in.Facts}).Get(ctx, &route); err != nil {
		return err
	}
	return p.change(ctx, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
		next, err := approval.Resubmit(c, in.Actor, in.Subject, in.Facts, route.Route, route.RulesVersion, t)
		if err != nil {
			workflow.GetLogger(ctx).Warn("resubmission refused", "case", c.ID, "error", err)
			return c, nil, errNothingToDo
		}
		if in.Title != "" {
			next.Title = in.Title
		}
		return p.enter(ctx, next, 0, t)
	})
}

// cancelled withdraws the case because the process that asked for it ended.
func (p *approvalProcess) cancelled(ctx workflow.Context) error {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	return p.change(dctx, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
		next, err := approval.Withdraw(c, c.Requester, "the deal no longer needs this review", t)
		if err != nil {
			return c, nil, errNothingToDo
		}
		return next, nil, nil
	})
}

func (p *approvalProcess) decide(ctx workflow.Context, in DecideInput) (approval.Case, error) {
	rec := activities.AuditRecord{Actor: in.Actor.ID, Action: ApprovalDecideUpdate,
		Detail: map[string]any{"approve": in.Approve, "note": in.Note, "on_behalf_of": in.OnBehalfOf}}
	rec.BarIfRuleEditor = p.c.Controls >= approval.ControlsV2
	err := p.changeAudited(ctx, &rec, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
		if c.Controls >= approval.ControlsV1 && !rec.BarIfRuleEditor {
			// Separation of duties at the moment of deciding: who edited this
			// kind's rules lately decides none of its cases, as approver or delegate.
			var a *activities.Approvals
			var editors []string
			if err := p.exec(ctx, a.RecentRuleEditors, activities.RuleEditorsInput{Kind: c.Kind, At: t}).Get(ctx, &editors); err != nil {
				return c, nil, err
			}
			if slices.Contains(editors, in.Actor.ID) {
				return c, nil, refusal.Deny("%s", activities.RuleEditorRefusal(in.Actor.ID, c.Kind))
			}
		}
		next, err := approval.Decide(c, in.Actor.ID, in.OnBehalfOf, in.Approve, in.Note, t)
		switch {
		case err != nil:
			return next, nil, err
		case next.Status == approval.StatusReturned:
			return next, approval.Notices(c, next, "returned"), nil
		case p.local && next.StageDone():
			// The decision completes its stage: open the next one in the same
			// save, so the decision and what follows land together.
			adv, i, more := approval.Advance(next, t)
			if !more {
				return adv, approval.Notices(next, adv, "approved"), nil
			}
			entered, notices, err := p.enter(ctx, adv, i, t)
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeNoApprover {
				// Nobody may decide the next stage: the decision stands on
				// its own, and the case then fails visibly (awaitStage).
				return next, nil, nil
			}
			return entered, notices, err
		}
		return next, nil, nil
	})
	return p.c, refusalError(err)
}

func (p *approvalProcess) delegate(ctx workflow.Context, in DelegateInput) (approval.Case, error) {
	rec := activities.AuditRecord{Actor: in.Actor.ID, Action: ApprovalDelegateUpdate,
		Detail: map[string]any{"to": in.To, "note": in.Note}}
	err := p.changeAudited(ctx, &rec, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
		next, err := approval.Delegate(c, in.Actor.ID, in.To, in.Note, t)
		return next, approval.Notices(c, next, "delegated"), err
	})
	return p.c, refusalError(err)
}

func (p *approvalProcess) comment(ctx workflow.Context, in CommentInput) (approval.Case, error) {
	rec := activities.AuditRecord{Actor: in.Actor.ID, Action: ApprovalCommentUpdate,
		Detail: map[string]any{"step_id": in.StepID, "text": in.Text}}
	err := p.changeAudited(ctx, &rec, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
		next, err := approval.AddComment(c, in.Actor.ID, in.StepID, in.Text, t)
		return next, nil, err
	})
	return p.c, refusalError(err)
}

func (p *approvalProcess) withdraw(ctx workflow.Context, in WithdrawInput) (approval.Case, error) {
	rec := activities.AuditRecord{Actor: in.Actor.ID, Action: ApprovalWithdrawUpdate, Detail: map[string]any{"note": in.Note}}
	err := p.changeAudited(ctx, &rec, func(c approval.Case, t time.Time) (approval.Case, []approval.Notice, error) {
		next, err := approval.Withdraw(c, in.Actor.ID, in.Note, t)
		return next, approval.Notices(c, next, "withdrawn"), err
	})
	return p.c, refusalError(err)
}

// change applies one step under the lock, saves the case with its notices, and
// only then adopts it.
func (p *approvalProcess) change(ctx workflow.Context, step func(approval.Case, time.Time) (approval.Case, []approval.Notice, error)) error {
	return p.changeAudited(ctx, nil, step)
}

// changeAudited is change for a person's act: its audit entry rec is saved
// with the case, in the same transaction.
func (p *approvalProcess) changeAudited(ctx workflow.Context, rec *activities.AuditRecord,
	step func(approval.Case, time.Time) (approval.Case, []approval.Notice, error)) error {
	if err := p.saving.Lock(ctx); err != nil {
		return err
	}
	p.busy = true
	defer func() { p.busy = false; p.saving.Unlock() }()
	next, notices, err := step(p.c, now(ctx))
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return err
	}
	next.Version = p.c.Version + 1
	var a *activities.Approvals
	in := activities.SaveCaseInput{Case: next, Notices: notices}
	if rec != nil {
		r := *rec
		r.At = now(ctx)
		in.Audit = []activities.AuditRecord{r}
	}
	if err := p.exec(ctx, a.SaveCase, in).Get(ctx, nil); err != nil {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeRuleEditor {
			return refusal.Deny("%s", appErr.Message())
		}
		return err
	}
	p.c = next
	return nil
}

// tellParent signals the parent when the case was returned, approved or
// withdrawn. Each news is sent once: the signal's request ID is derived from
// the case, its round and status.
func (p *approvalProcess) tellParent(ctx workflow.Context) {
	if p.parent == "" || p.c.Status == approval.StatusInReview {
		return
	}
	news := ReviewNews{CaseID: p.c.ID, Kind: p.c.Kind, Status: p.c.Status, Round: p.c.Round}
	if last := lastDecision(p.c); last != nil {
		news.By, news.Note = last.DecidedBy, last.Note
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	err := workflow.SignalExternalWorkflow(dctx, p.parent, "", ReviewSignal, news).Get(dctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("could not tell the parent", "case", p.c.ID, "parent", p.parent, "error", err)
	}
}

// NewsCheckChange versions the deal and terms-change workflows: from version
// 1 they believe a case's news (ReviewSignal, which anyone who reaches
// Temporal can send) only when the case's own record agrees (ConfirmNews),
// and take who decided and why from that record. Runs started before keep
// taking the news as it came.
const NewsCheckChange = "review-news-check"

// confirmNews checks news heard by parent against the case's record; it
// returns the news as recorded, or false (refused, on the audit trail) when
// the record disagrees or cannot be read.
func confirmNews(ctx workflow.Context, parent string, news ReviewNews) (ReviewNews, bool) {
	var a *activities.Approvals
	var check activities.NewsCheck
	actx := workflow.WithActivityOptions(ctx, saveOptions)
	in := activities.NewsInput{Parent: parent, CaseID: news.CaseID, Status: news.Status, Round: news.Round}
	if err := workflow.ExecuteActivity(actx, a.ConfirmNews, in).Get(ctx, &check); err != nil {
		workflow.GetLogger(ctx).Error("review news not checked; ignored", "parent", parent, "case", news.CaseID, "error", err)
		return news, false
	}
	if !check.Agrees {
		workflow.GetLogger(ctx).Warn("review news refused: the case recorded otherwise", "parent", parent,
			"case", news.CaseID, "heard", news.Status, "recorded", check.Status)
		return news, false
	}
	news.By, news.Note = check.By, check.Note
	return news, true
}

func lastDecision(c approval.Case) *approval.Step {
	var last *approval.Step
	for i := range c.Steps {
		s := &c.Steps[i]
		if s.Round == c.Round && s.DecidedAt != nil && (s.Status == approval.StepRejected || s.Status == approval.StepApproved) {
			if last == nil || s.DecidedAt.After(*last.DecidedAt) {
				last = s
			}
		}
	}
	return last
}
