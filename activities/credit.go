package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/credit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/money"
)

// Credit checks a customer's credit at the order and records the holds of
// orders that fail it (workflows/credit.go).
type Credit struct {
	DB    *database.DB
	Audit audit.Chain
	// Policy is the company's credit policy (L2C_CREDIT_OVERDUE_DAYS).
	Policy credit.Policy
	// Location is the company's zone: an invoice is overdue from the day
	// after its due day there.
	Location *time.Location
	// ReleaseDays is how long a manual release lasts when the approver gives
	// no expiry (L2C_CREDIT_RELEASE_DAYS, 30).
	ReleaseDays int
}

// DefaultReleaseDays is how long a release without an expiry lasts.
const DefaultReleaseDays = 30

// CheckCreditInput is an order to check.
type CheckCreditInput struct {
	DealID   string
	Customer string
	Amount   money.Amount
	At       time.Time
	// HoldID, when set, is the open hold this check re-examines: a check that
	// keeps it records the new breakdown on it.
	HoldID string
}

// CheckCredit works out the customer's exposure with this order and applies
// the policy. A customer l2c does not know is not checked (deals from before
// customers had to be known).
func (a *Credit) CheckCredit(ctx context.Context, in CheckCreditInput) (credit.Decision, error) {
	loc := a.Location
	if loc == nil {
		loc = time.UTC
	}
	local := in.At.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	code, err := a.DB.CustomerCodeNow(ctx, in.Customer)
	if err != nil {
		return credit.Decision{}, err
	}
	e, err := a.DB.CreditExposure(ctx, code, in.DealID, in.Amount, today, in.At)
	if errors.Is(err, database.ErrNotFound) {
		return credit.Decision{Exposure: credit.Exposure{Customer: in.Customer, Order: in.Amount}}, nil
	}
	if err != nil {
		return credit.Decision{}, err
	}
	policy := a.Policy
	if policy.OverdueDays == nil {
		policy = credit.DefaultPolicy()
	}
	d := policy.Decide(e)
	if in.HoldID != "" && d.Hold {
		if err := a.DB.CreditHoldChecked(ctx, in.HoldID, d, in.At); err != nil {
			return d, err
		}
	}
	return d, nil
}

// OpenCreditHoldInput is a hold to record.
type OpenCreditHoldInput struct {
	ID, DealID, Customer, CaseID, RequestedBy string
	Amount                                    money.Amount
	Currency                                  string
	Decision                                  credit.Decision
	At                                        time.Time
}

// OpenCreditHold records the hold and its audit entry, once.
func (a *Credit) OpenCreditHold(ctx context.Context, in OpenCreditHoldInput) error {
	detail, _ := json.Marshal(map[string]any{"hold": in.ID, "deal": in.DealID, "case": in.CaseID, "reasons": in.Decision.Reasons,
		"exposure": in.Decision.Exposure})
	return a.DB.CreditHoldOpen(ctx, database.CreditHold{ID: in.ID, DealID: in.DealID, Customer: in.Customer, Amount: in.Amount,
		Currency: in.Currency, RequestedBy: in.RequestedBy, CaseID: in.CaseID, Reasons: in.Decision.Reasons,
		Exposure: in.Decision.Exposure, HeldAt: in.At}, a.Audit,
		audit.Entry{At: in.At, Actor: "system", Action: "credit.held", ObjectType: "deal", ObjectID: in.DealID, Detail: detail})
}

// SettleCreditHoldInput ends a hold.
type SettleCreditHoldInput struct {
	ID, DealID string
	Released   bool
	By, Note   string
	// Decision is the check that released it by itself (By "system").
	Decision *credit.Decision
	// Release is a manual release's terms (nil for a release by the check or
	// a refusal); a zero ExpiresAt lasts ReleaseDays.
	Release *credit.Release
	At      time.Time
}

// SettleCreditHold records the end of a hold with its audit entry and, for
// a manual release, the release (amount, reason, approver, expiry), once.
func (a *Credit) SettleCreditHold(ctx context.Context, in SettleCreditHoldInput) error {
	status, action := database.CreditRefused, "credit.refused"
	if in.Released {
		status, action = database.CreditReleased, "credit.released"
	}
	rel := in.Release
	if rel != nil {
		r := *rel
		if r.ExpiresAt.IsZero() {
			days := a.ReleaseDays
			if days <= 0 {
				days = DefaultReleaseDays
			}
			r.ExpiresAt = in.At.AddDate(0, 0, days)
		}
		r.ApprovedAt, r.ApprovedBy = in.At, in.By
		if r.Reason == "" {
			r.Reason = in.Note
		}
		if r.Reason == "" {
			r.Reason = "released by " + in.By
		}
		rel = &r
	}
	detail, _ := json.Marshal(map[string]any{"hold": in.ID, "by": in.By, "note": in.Note, "release": rel})
	return a.DB.CreditHoldSettle(ctx, in.ID, status, in.By, in.Note, in.Decision, rel, in.At, a.Audit,
		audit.Entry{At: in.At, Actor: orSystem(in.By), Action: action, ObjectType: "deal", ObjectID: in.DealID, Detail: detail})
}

func orSystem(by string) string {
	if by == "" {
		return "system"
	}
	return by
}

// recheckCreditHolds asks the open holds of customer (empty: every
// customer's) to check again: after the sync stored payments or invoices, or
// a new credit limit was written. A hold whose workflow has ended is skipped.
func recheckCreditHolds(ctx context.Context, db *database.DB, tc client.Client, log *slog.Logger, customer string) (int, error) {
	if tc == nil {
		return 0, nil
	}
	ids, err := db.CreditHoldsOpen(ctx, customer)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := tc.SignalWorkflow(ctx, contract.CreditHoldWorkflowID(id), "", contract.CreditRecheckSignal, nil)
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
			log.InfoContext(ctx, "credit hold's workflow has ended; not asked to re-check", "hold", id)
		case err != nil:
			return n, fmt.Errorf("ask credit hold %s to re-check: %w", id, err)
		default:
			n++
		}
	}
	return n, nil
}
