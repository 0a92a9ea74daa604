package activities

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/database"
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
}

// ChooseRoute applies the kind's current rules to the case's facts.
func (a *Approvals) ChooseRoute(ctx context.Context, in ChooseRouteInput) (ChooseRouteResult, error) {
	rs, err := a.DB.ApprovalRulesLatest(ctx, in.Kind)
	if err != nil {
		return ChooseRouteResult{}, err
	}
	return ChooseRouteResult{Route: rs.Route(in.Facts), RulesVersion: rs.Version}, nil
}

type ResolveInput struct {
	Approvers []string
	Requester string
	At        time.Time
	// Kind lets separation of duties keep out whoever edited its rules lately.
	Kind approval.Kind
}

// ResolveApprovers turns a stage's approvers (users, roles, "manager") into
// people: never the requester, never someone who edited this kind's routing
// rules within the separation-of-duties window, each once, and someone away on
// a time-boxed delegation replaced by their delegate, on the record. With
// nobody left, the requester's manager decides.
func (a *Approvals) ResolveApprovers(ctx context.Context, in ResolveInput) ([]approval.Assignee, error) {
	var excluded []string
	if in.Kind != "" && a.RuleEditWindow > 0 {
		editors, err := a.DB.ApprovalRuleEditors(ctx, in.Kind, in.At.Add(-a.RuleEditWindow))
		if err != nil {
			return nil, err
		}
		excluded = editors
	}
	var users []string
	add := func(ids ...string) {
		for _, id := range ids {
			if id != "" && id != in.Requester && !slices.Contains(excluded, id) && !slices.Contains(users, id) {
				users = append(users, id)
			}
		}
	}
	var managers map[string]string
	manager := func() (string, error) { // looked up only when a stage needs it
		if managers == nil {
			m, err := a.DB.Managers(ctx, []string{in.Requester})
			if err != nil {
				return "", err
			}
			managers = m
		}
		return managers[in.Requester], nil
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
	if len(users) == 0 {
		m, err := manager()
		if err != nil {
			return nil, err
		}
		add(m)
	}
	if len(users) == 0 {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("nobody but the requester can approve %v, and %s has no manager", in.Approvers, in.Requester),
			ErrTypeNoApprover, nil)
	}
	away, err := a.DB.DelegationsActive(ctx, users, in.At)
	if err != nil {
		return nil, err
	}
	out := make([]approval.Assignee, 0, len(users))
	for _, u := range users {
		as := approval.Assignee{User: u}
		if d, ok := away[u]; ok && d != in.Requester && !slices.Contains(users, d) {
			as = approval.Assignee{User: d, OnBehalfOf: u}
		}
		out = append(out, as)
	}
	return out, nil
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

// Managers maps each holder to their manager, for escalation.
func (a *Approvals) Managers(ctx context.Context, users []string) (map[string]string, error) {
	return a.DB.Managers(ctx, users)
}

type SaveCaseInput struct {
	Case    approval.Case
	Notices []approval.Notice
}

// SaveCase writes the case's state and its notices in one transaction.
func (a *Approvals) SaveCase(ctx context.Context, in SaveCaseInput) error {
	notes := make([]database.Notification, len(in.Notices))
	for i, n := range in.Notices {
		notes[i] = database.Notification{
			DedupeKey: fmt.Sprintf("approval/%s/%d/%s", in.Case.ID, in.Case.Version, n.Recipient),
			Recipient: n.Recipient, Subject: n.Subject, Body: n.Body, DealID: in.Case.DealID,
		}
	}
	return nonRetryableIfRejected(a.DB.CaseSave(ctx, in.Case, notes))
}
