// Package workflows holds l2c's durable processes. Code here is deterministic:
// no I/O, no wall clock, no randomness, no goroutines; only workflow.* APIs.
// Each workflow file starts with its contract (IDs, message names, inputs), which
// the API imports rather than repeating string literals.
package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/credit"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/refusal"
)

// The names below are internal/contract's, re-exported so callers of this
// package keep one import; the contract package is where they are defined.

// TaskQueue is where l2c's workers listen.
const TaskQueue = contract.TaskQueue

// --- the deal workflow's contract ---

// DealWorkflowID is the workflow ID of a deal: one workflow per deal, ever.
func DealWorkflowID(dealID string) string { return contract.DealWorkflowID(dealID) }

// The deal workflow's messages (see internal/contract).
const (
	DealActUpdate    = contract.DealActUpdate
	DealOpenedUpdate = contract.DealOpenedUpdate
	DealStatusQuery  = contract.DealStatusQuery
	DealERPSignal    = contract.DealERPSignal
)

// ERPRecord is DealERPSignal's payload (an invoice or a payment); the sync's
// activities send the same type.
type ERPRecord = contract.ERPRecord

// The deal workflow's payloads (see internal/contract).
type (
	DealInput = contract.DealInput
	ActInput  = contract.ActInput
)

// ErrTypeRefusal prefixes the application error type of a request a business
// rule refused (a deal action, an approval decision); the refusal.Error itself
// travels as the error's details. "refusal.wrong_stage", say.
const ErrTypeRefusal = "refusal."

// saveOptions: saving a transition must eventually succeed; a person waits on
// it, so retries start fast.
var saveOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        200 * time.Millisecond,
		BackoffCoefficient:     2,
		MaximumInterval:        10 * time.Second,
		NonRetryableErrorTypes: []string{activities.ErrTypeRejectedByDatabase},
	},
}

// DealWorkflow carries one deal from opportunity to closed (paid in full) or
// lost. People move it with DealActUpdate; the workflow itself expires quotes
// nobody answered and flags deliveries that are late.
func DealWorkflow(ctx workflow.Context, in DealInput) (deal.Deal, error) {
	return runDeal(ctx, in, nil)
}

// runDeal runs a deal whose Updates are checked against key (nil: unchecked).
func runDeal(ctx workflow.Context, in DealInput, key *UpdateKey) (deal.Deal, error) {
	p := &dealProcess{deal: in.Deal, updates: key}
	if err := p.setup(ctx); err != nil {
		return in.Deal, err
	}
	return p.run(ctx, in.Opened)
}

type dealProcess struct {
	deal   deal.Deal
	opened bool
	// saving serialises transitions: while one is being saved, others wait, so
	// each is checked against the state the previous one left.
	saving workflow.Mutex
	busy   bool
	// cases are the approval cases this run started, by ID (looked up, never iterated).
	cases map[string]bool
	// updates checks the API's signature on Updates (nil: unchecked).
	updates *UpdateKey
}

// ReviewEngineChange versions the deal workflow: from version 1, contract and
// custom-order reviews run as child approval cases instead of one decision on
// the deal. Deals started before keep deciding on the deal.
const ReviewEngineChange = "review-engine"

// DealControlsChange versions the deal workflow again: from version 1 the deal
// runs issue 10's controls (deal.Deal.Controls: segregation of duties,
// contract routing facts derived from the customer master, a contract below
// its quote reviewed as a further discount). Deals started before keep the
// rules their history was made with.
const DealControlsChange = "controls"

func (p *dealProcess) setup(ctx workflow.Context) error {
	p.saving = workflow.NewMutex(ctx)
	p.deal.ReviewEngine = workflow.GetVersion(ctx, ReviewEngineChange, workflow.DefaultVersion, 1) == 1
	p.deal.Controls = workflow.GetVersion(ctx, DealControlsChange, workflow.DefaultVersion, 1) == 1
	p.deal.ERPOrders = workflow.GetVersion(ctx, ERPOrderChange, workflow.DefaultVersion, 1) == 1
	p.cases = map[string]bool{}
	if err := workflow.SetQueryHandler(ctx, DealStatusQuery, func() (deal.Deal, error) {
		return p.deal, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, DealOpenedUpdate, func(ctx workflow.Context) (deal.Deal, error) {
		err := workflow.Await(ctx, func() bool { return p.opened })
		return p.deal, err
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DealActUpdate, p.act,
		workflow.UpdateHandlerOptions{Validator: p.validateAct}); err != nil {
		return err
	}
	workflow.Go(ctx, p.receiveERPRecords)
	workflow.Go(ctx, p.receiveReviewNews)
	if p.deal.ERPOrders {
		workflow.Go(ctx, p.placeOrder)
	}
	return nil
}

// receiveReviewNews applies what the deal's approval cases report: approved,
// returned to the requester, or withdrawn.
//
// From NewsCheckChange the news is believed only when the case's own record
// agrees: a signal anyone can send moves nothing by itself.
func (p *dealProcess) receiveReviewNews(ctx workflow.Context) {
	check := workflow.GetVersion(ctx, NewsCheckChange, workflow.DefaultVersion, 1) == 1
	ch := workflow.GetSignalChannel(ctx, ReviewSignal)
	for {
		var news ReviewNews
		if !ch.Receive(ctx, &news) {
			return
		}
		if check {
			var ok bool
			if news, ok = confirmNews(ctx, workflow.GetInfo(ctx).WorkflowExecution.ID, news); !ok {
				continue
			}
		}
		err := p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
			return deal.ReviewNews(d, news.CaseID, string(news.Status), news.By, news.Note, now)
		})
		if err != nil {
			workflow.GetLogger(ctx).Info("review news not applied", "deal", p.deal.ID, "case", news.CaseID, "error", err)
		}
	}
}

// pendingReview returns the review the deal waits on, what the case reviews
// and the facts that route it (deal.ReviewPoints).
func (p *dealProcess) pendingReview() (*deal.Review, approval.Kind, []approval.Field, approval.Facts) {
	r, point := p.deal.PendingReview()
	if r == nil {
		return nil, "", nil, approval.Facts{}
	}
	return r, point.Kind, point.Subject(&p.deal), point.Facts(&p.deal)
}

// requestReview starts the approval case a transition asked for, or sends the
// amended subject to the case that returned it.
func (p *dealProcess) requestReview(ctx workflow.Context, by identity.User) error {
	r, kind, subject, facts := p.pendingReview()
	if r == nil || r.CaseID == "" {
		return nil
	}
	title := fmt.Sprintf("%s: %s for %s", kind, p.deal.Title, p.deal.Customer.Name)
	if p.cases[r.CaseID] {
		var in any = ResubmitInput{Actor: r.RequestedBy, Title: title, Subject: subject, Facts: facts, Seq: int64(r.Round)}
		if p.updates != nil { // the case checks that its parent sent it
			var err error
			if in, err = SignUpdate(*p.updates, ApprovalWorkflowID(r.CaseID), ApprovalResubmitSignal, "", in); err != nil {
				return err
			}
		}
		return workflow.SignalExternalWorkflow(ctx, ApprovalWorkflowID(r.CaseID), "", ApprovalResubmitSignal, in).Get(ctx, nil)
	}
	c := approval.Case{ID: r.CaseID, Kind: kind, Title: title, DealID: p.deal.ID, Requester: r.RequestedBy,
		Team: by.Team, Subject: subject, Facts: facts, OpenedAt: r.RequestedAt, Excluded: p.subjectPeople()}
	// A lost deal cancels its review; the case withdraws itself.
	child, err := startCase(ctx, c, TaskQueue)
	if err != nil {
		return err
	}
	p.cases[r.CaseID] = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		// A case that fails (nobody can approve it) withdraws the review, so the
		// owner can fix the cause and ask again rather than wait forever.
		if err := child.Get(ctx, nil); err != nil && ctx.Err() == nil {
			workflow.GetLogger(ctx).Error("approval case failed", "case", c.ID, "error", err)
			_ = p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
				return deal.ReviewNews(d, c.ID, "withdrawn", deal.SystemActor, "the review could not run: "+err.Error(), now)
			})
		}
	})
	return nil
}

// subjectPeople are the people the deal names who sell it (sales owner and
// discoverer): never approvers of its reviews.
func (p *dealProcess) subjectPeople() []string {
	var out []string
	for _, id := range []string{p.deal.Owners.Sales, p.deal.Owners.Discoverer} {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// ERPRecordCheckChange versions the deal workflow: from version 1 an ERP
// record signalled to the deal (DealERPSignal, which anyone who reaches
// Temporal can send) is applied only when l2c's copy of the ERP's data holds
// it for this deal as heard (ConfirmERPRecord); otherwise it is refused on
// the audit trail. The version is taken at the first record a run receives,
// so a deal that received records before keeps taking them as they come.
const ERPRecordCheckChange = "erp-record-check"

// receiveERPRecords records each invoice and payment the ERP sync reports, one
// at a time, like any other transition. A record the deal already has, or one
// for a deal not yet ordered or already finished, is noted in the log and
// dropped; from ERPRecordCheckChange, so is one the ERP's data does not hold.
func (p *dealProcess) receiveERPRecords(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, DealERPSignal)
	for {
		var rec ERPRecord
		if !ch.Receive(ctx, &rec) {
			return
		}
		if err := workflow.Await(ctx, func() bool { return p.opened }); err != nil {
			return
		}
		if workflow.GetVersion(ctx, ERPRecordCheckChange, workflow.DefaultVersion, 1) == 1 && !p.confirmERPRecord(ctx, rec) {
			continue
		}
		err := p.transition(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
			return deal.RecordFromERP(d, rec.Invoice, rec.Payment, now)
		})
		var de *deal.Error
		if errors.As(err, &de) {
			workflow.GetLogger(ctx).Info("ERP record not applied", "deal", p.deal.ID, "reason", de.Error())
		} else if err != nil {
			workflow.GetLogger(ctx).Error("ERP record failed", "deal", p.deal.ID, "error", err)
		}
	}
}

// confirmERPRecord checks rec against the ERP's data l2c holds; false when
// it is refused (on the audit trail) or cannot be checked.
func (p *dealProcess) confirmERPRecord(ctx workflow.Context, rec ERPRecord) bool {
	var a *activities.Deals
	var check activities.ERPRecordCheck
	actx := workflow.WithActivityOptions(ctx, saveOptions)
	in := activities.ConfirmERPRecordInput{DealID: p.deal.ID, Record: rec}
	if err := workflow.ExecuteActivity(actx, a.ConfirmERPRecord, in).Get(ctx, &check); err != nil {
		workflow.GetLogger(ctx).Error("ERP record not checked; ignored", "deal", p.deal.ID, "error", err)
		return false
	}
	if !check.Held {
		workflow.GetLogger(ctx).Warn("ERP record refused", "deal", p.deal.ID, "reason", check.Reason)
	}
	return check.Held
}

// run records the opening, then follows the deal stage by stage. Most stages
// simply wait for people; the quote and delivery stages also have a deadline.
func (p *dealProcess) run(ctx workflow.Context, opened deal.HistoryEntry) (deal.Deal, error) {
	if err := p.open(ctx, opened); err != nil {
		return p.deal, err
	}

	for !p.deal.Stage.Terminal() {
		if p.deal.FollowsDelivery() {
			if err := p.followDelivery(ctx); err != nil {
				return p.deal, err
			}
			continue
		}
		version := p.deal.Version
		moved := func() bool { return p.deal.Version != version }
		deadline, lapse := p.deadline()
		if deadline.IsZero() {
			if err := workflow.Await(ctx, moved); err != nil {
				return p.deal, err
			}
			continue
		}
		movedInTime := false
		if wait := deadline.Sub(workflow.Now(ctx)); wait > 0 {
			var err error
			if movedInTime, err = workflow.AwaitWithTimeout(ctx, wait, moved); err != nil {
				return p.deal, err
			}
		}
		if !movedInTime {
			if err := p.transition(ctx, lapse); err != nil && !errors.Is(err, errNothingToDo) {
				return p.deal, err
			}
		}
	}
	// Let an update that is still replying finish before the workflow closes.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return p.deal, err
	}
	return p.deal, nil
}

// open records the new deal before any action can be taken on it.
func (p *dealProcess) open(ctx workflow.Context, opened deal.HistoryEntry) error {
	if err := p.saving.Lock(ctx); err != nil {
		return err
	}
	defer p.saving.Unlock()
	if err := p.save(ctx, deal.Deal{}, p.deal, opened); err != nil {
		return err
	}
	p.opened = true
	return nil
}

// step computes a transition from the current state; it must be pure.
type step func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error)

var errNothingToDo = errors.New("nothing to do")

// deadline returns the current stage's deadline and what happens when it
// passes: an open quote expires; an unshipped order becomes overdue.
func (p *dealProcess) deadline() (time.Time, step) {
	switch p.deal.Stage {
	case deal.StageQuote:
		if q := p.deal.CurrentQuote(); q != nil && q.Status == deal.QuoteOpen {
			return q.ExpiresAt, lapsed(deal.ExpireQuote)
		}
	case deal.StageDelivery:
		if o := p.deal.Order; o != nil && o.OverdueNotified == nil {
			return o.DueAt, lapsed(deal.MarkDeliveryOverdue)
		}
	}
	return time.Time{}, nil
}

func lapsed(f func(deal.Deal, time.Time) (deal.Deal, deal.HistoryEntry, bool)) step {
	return func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
		next, h, ok := f(d, now)
		if !ok {
			return d, h, errNothingToDo
		}
		return next, h, nil
	}
}

// validateAct refuses, before anything is recorded, an action the deal's rules
// do not allow now. A refused update never enters the workflow's history.
func (p *dealProcess) validateAct(ctx workflow.Context, in ActInput) error {
	// First, and even while busy: only the API, which authenticated the
	// actor, may speak for them.
	if err := authenticate(ctx, p.updates, DealActUpdate, currentUpdateID(ctx), in); err != nil {
		return err
	}
	if p.busy {
		// A transition is being saved and the state is about to change; the
		// handler checks the action against the new state instead.
		return nil
	}
	_, _, err := deal.Apply(p.deal, in.Actor, in.Action, workflow.Now(ctx))
	return refusalError(err)
}

func (p *dealProcess) act(ctx workflow.Context, in ActInput) (deal.Deal, error) {
	if err := workflow.Await(ctx, func() bool { return p.opened }); err != nil {
		return p.deal, err
	}
	var before *deal.Review
	if r, _, _, _ := p.pendingReview(); r != nil {
		copied := *r
		before = &copied
	}
	// From CreditCheckChange an order is checked against the customer's
	// credit first; one that fails is recorded and held (credit.go).
	var check *credit.Decision
	if in.Action.Name == deal.ActPlaceOrder && workflow.GetVersion(ctx, CreditCheckChange, workflow.DefaultVersion, 1) == 1 {
		var err error
		if check, err = p.checkCredit(ctx); err != nil {
			return p.deal, err
		}
	}
	err := p.transitionFor(ctx, func(d deal.Deal, now time.Time) (deal.Deal, deal.HistoryEntry, error) {
		next, entry, err := deal.Apply(d, in.Actor, in.Action, now)
		if err == nil && check != nil {
			next, entry = deal.HoldForCredit(d, next, entry, creditHoldOf(next, *check))
		}
		return next, entry, err
	}, &in.Action)
	if err != nil {
		return p.deal, refusalError(err)
	}
	if check != nil {
		if err := p.holdForCredit(ctx, in.Actor, *check); err != nil {
			return p.deal, err
		}
	}
	// A review the action just asked for (a new request or a resubmission).
	if r, _, _, _ := p.pendingReview(); r != nil && (before == nil || before.Round != r.Round) {
		if err := p.requestReview(ctx, in.Actor); err != nil {
			return p.deal, err
		}
	}
	return p.deal, nil
}

// transition applies one step under the lock, saves it, and only then makes it
// the workflow's state, so a failed save leaves the deal as it was.
func (p *dealProcess) transition(ctx workflow.Context, s step) error {
	return p.transitionFor(ctx, s, nil)
}

// transitionFor is transition for a person's action, which the audit entry records.
func (p *dealProcess) transitionFor(ctx workflow.Context, s step, a *deal.Action) error {
	if err := p.saving.Lock(ctx); err != nil {
		return err
	}
	p.busy = true
	defer func() { p.busy = false; p.saving.Unlock() }()
	next, entry, err := s(p.deal, workflow.Now(ctx))
	if err != nil {
		return err
	}
	if err := p.saveFor(ctx, p.deal, next, entry, a); err != nil {
		return err
	}
	p.deal = next
	return nil
}

func (p *dealProcess) save(ctx workflow.Context, prev, next deal.Deal, entry deal.HistoryEntry) error {
	return p.saveFor(ctx, prev, next, entry, nil)
}

func (p *dealProcess) saveFor(ctx workflow.Context, prev, next deal.Deal, entry deal.HistoryEntry, action *deal.Action) error {
	ctx = workflow.WithActivityOptions(ctx, saveOptions)
	var a *activities.Deals
	in := activities.SaveDealInput{Deal: next, Entry: entry, Notices: deal.Notices(prev, next, entry), Action: action}
	return workflow.ExecuteActivity(ctx, a.SaveDeal, in).Get(ctx, nil)
}

// refusalError turns a refusal into a non-retryable application error whose
// type names the kind of refusal and whose details carry it whole.
func refusalError(err error) error {
	var r *refusal.Error
	if errors.As(err, &r) {
		return temporal.NewApplicationErrorWithOptions(r.Error(), ErrTypeRefusal+string(r.Kind),
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{*r}})
	}
	return err
}
