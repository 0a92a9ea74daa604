// Package wiring puts every l2c workflow and activity on a Temporal worker.
// `l2c worker`, `l2c dev` and every test stack that runs a real worker call
// Register, so a new workflow or activity struct is added here once and no
// stack can miss it.
//
// It sits above workflows and activities (workflows imports activities for
// the activity method references), so neither of them can hold it.
package wiring

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/credit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/workflows"
)

// Deps are what the activities need.
type Deps struct {
	DB  *database.DB
	Log *slog.Logger
	// Audit seals the activities' audit entries and derives the key the deal
	// and approval workflows check Updates against (workflows/auth.go).
	Audit audit.Chain
	// RuleEditWindow is the separation-of-duties window of routing-rule
	// editors; zero turns it off (L2C_SOD_WINDOW=0), so stacks that want the
	// default pass activities.DefaultRuleEditWindow.
	RuleEditWindow time.Duration
	// Calendar returns the working calendar SLAs are counted on; nil counts
	// around the clock.
	Calendar func(ctx context.Context) (activities.WorkingTime, error)
	// ERP holds the sync and write-back activities with their connector; nil
	// registers them without one (every ERP activity then fails, non-retryably).
	ERP *activities.ERP
	// Credit is the credit policy (L2C_CREDIT_OVERDUE_DAYS), the company's
	// zone and how long a manual release lasts; zero values take the defaults.
	CreditPolicy      credit.Policy
	Location          *time.Location
	CreditReleaseDays int

	// Deliveries plans the delivery follow-ups (grace, shipment polling);
	// nil: the defaults. Its DB and Calendar default to the ones above.
	Deliveries *activities.Deliveries
}

// Register puts every workflow and every activity struct on w: the deal and
// approval workflows bound to the Update key, the ERP sync, the change of
// terms, and the deal, approval, terms, ERP and delivery activities.
func Register(w worker.Registry, d Deps) {
	// Deals and cases refuse Updates the API did not sign (workflows/auth.go).
	(&workflows.Workflows{Key: workflows.UpdateKeyFrom(d.Audit)}).Register(w)
	w.RegisterWorkflow(workflows.SyncWorkflow)
	w.RegisterWorkflow(workflows.TermsChangeWorkflow)
	w.RegisterWorkflow(workflows.OnboardingWorkflow)
	w.RegisterWorkflow(workflows.PoolRecycleWorkflow)
	w.RegisterWorkflow(workflows.ClassifyWorkflow)
	w.RegisterWorkflow(workflows.FollowUpWorkflow)
	w.RegisterWorkflow(workflows.MarketActivityWorkflow)
	w.RegisterWorkflow(workflows.DunningWorkflow)
	w.RegisterWorkflow(workflows.PlanChangeWorkflow)

	w.RegisterActivity(&activities.Deals{DB: d.DB, Log: d.Log, Audit: d.Audit})
	w.RegisterActivity(&activities.Approvals{DB: d.DB, Log: d.Log, Calendar: d.Calendar, RuleEditWindow: d.RuleEditWindow, Audit: d.Audit})
	w.RegisterActivity(&activities.Ownership{DB: d.DB, Log: d.Log, Audit: d.Audit})
	w.RegisterActivity(&activities.Classes{DB: d.DB, Log: d.Log, Audit: d.Audit, Location: d.Location})
	w.RegisterActivity(&activities.FollowUps{DB: d.DB, Log: d.Log})
	w.RegisterActivity(&activities.Market{DB: d.DB, Audit: d.Audit})
	erp := d.ERP
	if erp == nil {
		erp = &activities.ERP{DB: d.DB, Log: d.Log}
	}
	// A dunning hold the tick ends tells the credit holds too.
	w.RegisterActivity(&activities.Collection{DB: d.DB, Audit: d.Audit, Temporal: erp.Temporal, Log: d.Log})
	// A new credit limit written tells the customer's credit holds.
	w.RegisterActivity(&activities.Terms{DB: d.DB, Audit: d.Audit, Temporal: erp.Temporal, Log: d.Log})
	w.RegisterActivity(erp)
	w.RegisterActivity(&activities.Onboarding{DB: d.DB, Audit: d.Audit})
	w.RegisterActivity(&activities.Credit{DB: d.DB, Audit: d.Audit, Policy: d.CreditPolicy, Location: d.Location,
		ReleaseDays: d.CreditReleaseDays})
	var dl activities.Deliveries
	if d.Deliveries != nil {
		dl = *d.Deliveries
	}
	if dl.DB == nil {
		dl.DB = d.DB
	}
	if dl.Calendar == nil {
		dl.Calendar = d.Calendar
	}
	w.RegisterActivity(&dl)
}
