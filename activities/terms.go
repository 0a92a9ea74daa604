package activities

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
)

// Terms records what became of changes of customer terms (workflows/terms.go).
type Terms struct {
	DB    *database.DB
	Audit audit.Chain
	// Temporal tells the customer's credit holds of a new credit limit (nil:
	// they find out at their next re-check).
	Temporal client.Client
	Log      *slog.Logger
}

// TermsOutcome is a change of terms reaching a status.
type TermsOutcome struct {
	ID       int64
	Customer string
	CaseID   string
	Status   string // database.Terms*
	Detail   string
	Before   CustomerTerms
	After    CustomerTerms
	At       time.Time
}

// RecordTermsOutcome moves the change to its status and appends it to the
// audit trail, once: a retry finds the status already set and records nothing.
func (a *Terms) RecordTermsOutcome(ctx context.Context, o TermsOutcome) error {
	action := "customer.terms_change." + o.Status
	if o.Status == database.TermsWritten {
		action = "customer.terms_changed" // the change of terms itself, now in the ERP
	}
	detail, _ := json.Marshal(map[string]any{"change": o.ID, "case": o.CaseID, "before": o.Before, "after": o.After, "detail": o.Detail})
	err := a.DB.TermsChangeFinish(ctx, o.ID, o.Status, o.Detail, a.Audit, audit.Entry{At: o.At, Actor: "system",
		Action: action, ObjectType: "customer", ObjectID: o.Customer, Detail: detail})
	if err == nil && o.Status == database.TermsWritten && o.After.CreditLimit != nil {
		log := a.Log
		if log == nil {
			log = slog.Default()
		}
		if _, err := recheckCreditHolds(ctx, a.DB, a.Temporal, log, o.Customer); err != nil {
			log.WarnContext(ctx, "credit holds not asked to re-check after a new limit", "customer", o.Customer, "err", err)
		}
	}
	return err
}
