package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
)

// ErrTypeNoApprover marks a stage whose approvers resolve to nobody: retrying
// will not conjure one, so the case fails visibly instead.
const ErrTypeNoApprover = "NoApprover"

// WorkingTime adds working time on the company calendar.
type WorkingTime interface {
	Add(from time.Time, d time.Duration) time.Time
}

// Approvals are the approval workflow's side effects: choosing routes,
// resolving people, scheduling SLAs, and saving cases.
type Approvals struct {
	DB  *database.DB
	Log *slog.Logger
	// Calendar returns the working calendar SLAs are counted on; nil counts
	// around the clock.
	Calendar func(ctx context.Context) (WorkingTime, error)
	// RuleEditWindow: an admin who saved a kind's routing rules is not an
	// approver of that kind for this long afterwards (separation of duties).
	RuleEditWindow time.Duration
	// Audit seals the entries of decisions, comments, delegations and
	// withdrawals, appended in the transaction that saves the case.
	Audit audit.Chain
}

// DefaultRuleEditWindow is the separation-of-duties window unless configured.
const DefaultRuleEditWindow = 7 * 24 * time.Hour

type ChooseRouteInput struct {
	Kind  approval.Kind
	Facts approval.Facts
}

type ChooseRouteResult struct {
	Route        []approval.Stage
	RulesVersion int
	// DistinctApprovers: the rule set keeps four eyes.
	DistinctApprovers bool
}

// ChooseRoute applies the kind's current rules to the case's facts.
func (a *Approvals) ChooseRoute(ctx context.Context, in ChooseRouteInput) (ChooseRouteResult, error) {
	rs, err := a.DB.ApprovalRulesLatest(ctx, in.Kind)
	if err != nil {
		return ChooseRouteResult{}, err
	}
	// The customer's class is a fact of routing as it stands now: read here,
	// recorded in the activity's result, never re-read on replay.
	if rs.UsesCustomerClass() && in.Facts.Customer != "" && in.Facts.CustomerClass == "" {
		class, grade, err := a.DB.CustomerClassOf(ctx, in.Facts.Customer)
		if err != nil {
			return ChooseRouteResult{}, err
		}
		if class != "" {
			in.Facts.CustomerClass = fmt.Sprintf("%s%d", class, grade)
		}
	}
	return ChooseRouteResult{Route: rs.Route(in.Facts), RulesVersion: rs.Version, DistinctApprovers: rs.Distinct()}, nil
}

type ResolveInput struct {
	Approvers []string
	Requester string
	At        time.Time
	// Kind lets separation of duties keep out whoever edited its rules lately.
	Kind approval.Kind
	// Excluded may not hold the stage (approval.Case.Barred): the people the
	// subject names and, under four eyes, who decided another stage.
	Excluded []string
}

// maxClimb bounds a walk up the org chart (a cycle in it ends the walk too).
const maxClimb = 16

// ResolveApprovers turns a stage's approvers (users, roles, "manager") into
// people: never the requester, nor anyone excluded from the case, nor someone
// who edited this kind's routing rules within the separation-of-duties window,
// nor a disabled account (whose work waits for its handover), each once;
// someone away on a time-boxed delegation is replaced by their
// delegate, on the record, unless the delegate is excluded too (then the step
// stays with the approver). "manager" is the requester's manager, or the first
// one up the chain who is not excluded or disabled; with nobody left, the same climb from
// the requester decides.
func (a *Approvals) ResolveApprovers(ctx context.Context, in ResolveInput) ([]approval.Assignee, error) {
	excluded := slices.Clone(in.Excluded)
	if in.Kind != "" && a.RuleEditWindow > 0 {
		editors, err := a.DB.ApprovalRuleEditors(ctx, in.Kind, in.At.Add(-a.RuleEditWindow))
		if err != nil {
			return nil, err
		}
		excluded = append(excluded, editors...)
	}
	barred := func(id string) bool { return id == "" || id == in.Requester || slices.Contains(excluded, id) }
	var users []string
	add := func(ids ...string) {
		for _, id := range ids {
			if !barred(id) && !slices.Contains(users, id) {
				users = append(users, id)
			}
		}
	}
	// manager climbs from the requester to the first manager who is not barred.
	var climbed *string
	manager := func() (string, error) { // looked up only when a stage needs it
		if climbed != nil {
			return *climbed, nil
		}
		at, seen := in.Requester, []string{in.Requester}
		found := ""
		for range maxClimb {
			m, err := a.DB.Managers(ctx, []string{at})
			if err != nil {
				return "", err
			}
			next := m[at]
			if next == "" || slices.Contains(seen, next) {
				break
			}
			if !barred(next) {
				off, err := a.DB.UsersDisabled(ctx, []string{next})
				if err != nil {
					return "", err
				}
				if len(off) == 0 { // a disabled manager is passed over, as an excluded one is
					found = next
					break
				}
			}
			seen, at = append(seen, next), next
		}
		climbed = &found
		return found, nil
	}
	for _, ap := range in.Approvers {
		kind, val, _ := strings.Cut(ap, ":")
		switch kind {
		case "user":
			add(val)
		case "role":
			ids, err := a.DB.UsersWithRole(ctx, val)
			if err != nil {
				return nil, err
			}
			add(ids...)
		case "manager":
			m, err := manager()
			if err != nil {
				return nil, err
			}
			add(m)
		}
	}
	// One read gives which of them are disabled (a named approver may be; a
	// role's members and a climbed-to manager are not) and who is away.
	var away map[string]string
	if len(users) > 0 {
		off, delegates, err := a.DB.RoutingStatus(ctx, users, in.At)
		if err != nil {
			return nil, err
		}
		users, away = slices.DeleteFunc(users, func(u string) bool { return slices.Contains(off, u) }), delegates
	}
	if len(users) == 0 {
		m, err := manager()
		if err != nil {
			return nil, err
		}
		add(m)
		if len(users) > 0 {
			if _, away, err = a.DB.RoutingStatus(ctx, users, in.At); err != nil {
				return nil, err
			}
		}
	}
	if len(users) == 0 {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("nobody but the requester or people excluded from the case can approve %v, and no manager above %s is eligible",
				in.Approvers, in.Requester), ErrTypeNoApprover, nil)
	}
	out := make([]approval.Assignee, 0, len(users))
	for _, u := range users {
		as := approval.Assignee{User: u}
		if d, ok := away[u]; ok && !barred(d) && !slices.Contains(users, d) {
			as = approval.Assignee{User: d, OnBehalfOf: u}
		} else if ok && a.Log != nil {
			a.Log.InfoContext(ctx, "delegate passed over: excluded from the case", "approver", u, "delegate", d)
		}
		out = append(out, as)
	}
	return out, nil
}

type RuleEditorsInput struct {
	Kind approval.Kind
	At   time.Time
}

// RecentRuleEditors lists who saved the kind's routing rules within the
// separation-of-duties window before At: at the moment of deciding they may
// not decide a case of that kind, not even as someone's delegate.
func (a *Approvals) RecentRuleEditors(ctx context.Context, in RuleEditorsInput) ([]string, error) {
	if a.RuleEditWindow <= 0 {
		return nil, nil
	}
	return a.DB.ApprovalRuleEditors(ctx, in.Kind, in.At.Add(-a.RuleEditWindow))
}

type ScheduleInput struct {
	From              time.Time
	SLAHours          int
	RemindBeforeHours int
}

type Schedule struct {
	RemindAt time.Time
	DueAt    time.Time
}

// ScheduleStage works out when a stage entered at From is due, and when its
// approvers are reminded, in working hours on the company calendar.
func (a *Approvals) ScheduleStage(ctx context.Context, in ScheduleInput) (Schedule, error) {
	var cal WorkingTime = aroundTheClock{}
	if a.Calendar != nil {
		c, err := a.Calendar(ctx)
		if err != nil {
			return Schedule{}, err
		}
		cal = c
	}
	sla := time.Duration(in.SLAHours) * time.Hour
	s := Schedule{DueAt: cal.Add(in.From, sla), RemindAt: cal.Add(in.From, sla-time.Duration(in.RemindBeforeHours)*time.Hour)}
	s.DueAt, s.RemindAt = s.DueAt.UTC().Truncate(time.Microsecond), s.RemindAt.UTC().Truncate(time.Microsecond)
	return s, nil
}

type aroundTheClock struct{}

func (aroundTheClock) Add(from time.Time, d time.Duration) time.Time { return from.Add(d) }

// Managers maps each holder to their manager, for escalation (cases before
// the escalation-climb version; EscalationManagers since).
func (a *Approvals) Managers(ctx context.Context, users []string) (map[string]string, error) {
	return a.DB.Managers(ctx, users)
}

type EscalationInput struct {
	// Holders are the people the stage waits on.
	Holders []string
	// Barred may not hold the stage (approval.Case.Barred): the requester, the
	// people the subject names and, under four eyes, who decided another stage.
	Barred []string
}

// EscalationManagers maps each holder to whom their overdue step escalates:
// their manager or, past a disabled account (whose work waits for its
// handover) or someone barred from the stage, the first manager up the chain
// who is neither, as ResolveApprovers climbs. A holder with nobody eligible
// above is left out: with nobody for any holder, escalation stops climbing.
func (a *Approvals) EscalationManagers(ctx context.Context, in EscalationInput) (map[string]string, error) {
	return a.DB.EscalationTargets(ctx, in.Holders, in.Barred, maxClimb)
}

type SaveCaseInput struct {
	Case    approval.Case
	Notices []approval.Notice
	// Audit are the entries of the change, appended in the same transaction,
	// once per case version however often the activity is retried.
	Audit []AuditRecord
}

// AuditRecord is one audited act on a case, as the workflow saw it.
type AuditRecord struct {
	At     time.Time
	Actor  string
	Action string
	Detail any
	// BarIfRuleEditor refuses the save (ErrTypeRuleEditor) when Actor saved
	// the case kind's routing rules within the separation-of-duties window
	// before At: the check and the decision it guards are one transaction.
	BarIfRuleEditor bool `json:",omitempty"`
}

// ErrTypeRuleEditor is SaveCase's refusal of a decision by someone who edited
// the kind's routing rules lately; the workflow turns it into a refusal.
const ErrTypeRuleEditor = "RuleEditor"

// RuleEditorRefusal says why actor may not decide a case of kind, wherever
// the check runs (in the save, or before it for ControlsV1 cases).
func RuleEditorRefusal(actor string, kind approval.Kind) string {
	return fmt.Sprintf("%s edited the %s routing rules lately and may not decide its cases", actor, kind)
}

// SaveCase writes the case's state, its notices and its audit entries in one transaction.
func (a *Approvals) SaveCase(ctx context.Context, in SaveCaseInput) error {
	notices := make([]deal.Notice, len(in.Notices))
	for i, n := range in.Notices {
		notices[i] = deal.Notice(n) // the same notice, told of a case
	}
	notes := notifications(fmt.Sprintf("approval/%s/%d", in.Case.ID, in.Case.Version), in.Case.DealID, notices)
	var bar *database.RuleEditorBar
	entries := make([]audit.Entry, len(in.Audit))
	for i, r := range in.Audit {
		if r.BarIfRuleEditor && a.RuleEditWindow > 0 {
			bar = &database.RuleEditorBar{Actor: r.Actor, Kind: in.Case.Kind, Since: r.At.Add(-a.RuleEditWindow)}
		}
		detail, err := json.Marshal(r.Detail)
		if err != nil {
			return temporal.NewNonRetryableApplicationError("audit detail: "+err.Error(), ErrTypeRejectedByDatabase, err)
		}
		entries[i] = audit.Entry{At: r.At, Actor: r.Actor, Action: r.Action, ObjectType: "approval_case",
			ObjectID: in.Case.ID, Detail: detail}
	}
	err := a.DB.CaseSave(ctx, in.Case, notes, a.Audit, entries, bar)
	if errors.Is(err, database.ErrRuleEditor) {
		return temporal.NewNonRetryableApplicationError(
			RuleEditorRefusal(bar.Actor, bar.Kind),
			ErrTypeRuleEditor, nil)
	}
	return nonRetryableIfRejected(err)
}

// NewsInput is what a parent heard from (or in the name of) a case.
type NewsInput struct {
	Parent string // the workflow that heard it
	CaseID string
	Status approval.Status
	Round  int
}

// NewsCheck is the case as it recorded itself, and whether the news agrees.
type NewsCheck struct {
	Agrees bool
	Status approval.Status
	Round  int
	By     string
	Note   string
}

// ConfirmNews checks news a parent heard against the case row its approval
// workflow saved (the case saves before it tells): a message anyone can send
// moves nothing unless the case itself recorded the same outcome. News that
// disagrees is refused on the audit trail. The parent takes who decided and
// why from the record, not from the message.
func (a *Approvals) ConfirmNews(ctx context.Context, in NewsInput) (NewsCheck, error) {
	o, err := a.DB.CaseOutcome(ctx, in.CaseID)
	if err != nil && !errors.Is(err, database.ErrNotFound) {
		return NewsCheck{}, err
	}
	check := NewsCheck{Status: o.Status, Round: o.Round, By: o.By, Note: o.Note}
	check.Agrees = err == nil && o.Status == in.Status && o.Round == in.Round
	if check.Agrees {
		return check, nil
	}
	detail, _ := json.Marshal(map[string]any{"parent": in.Parent, "heard": in, "recorded": o})
	if _, err := a.DB.AuditAppend(ctx, a.Audit, audit.Entry{At: time.Now(), Actor: "system", Action: "review.news_refused",
		ObjectType: "approval_case", ObjectID: in.CaseID, Detail: detail}); err != nil {
		return NewsCheck{}, err
	}
	if a.Log != nil {
		a.Log.WarnContext(ctx, "review news refused: the case recorded otherwise", "parent", in.Parent, "case", in.CaseID,
			"heard", in.Status, "recorded", o.Status)
	}
	return check, nil
}
