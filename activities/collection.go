package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
)

// Collection runs cash collection's side effects (workflows/collection.go):
// the dunning tick and what becomes of a change of a signed plan.
type Collection struct {
	DB    *database.DB
	Audit audit.Chain
	// Temporal, when set, asks the open credit holds to check again after a
	// tick that ended a dunning credit hold (their orders may go now).
	Temporal client.Client
	Log      *slog.Logger
}

// DunningTickInput is one tick: At is the scheduled instant, whose company
// day (in the working calendar's zone) the ladder is run for.
type DunningTickInput struct {
	At time.Time
}

// DunningTickResult counts what a tick did.
type DunningTickResult = database.TickResult

// DunningTick runs the ladder over every open instalment for At's day, in
// one transaction; run again for the same day it changes nothing.
func (a *Collection) DunningTick(ctx context.Context, in DunningTickInput) (DunningTickResult, error) {
	cal, err := a.DB.CalendarGet(ctx, "default")
	if err != nil {
		return DunningTickResult{}, err
	}
	res, err := a.DB.DunningTick(ctx, cal.DateOf(in.At), cal, a.Audit)
	if err != nil || res.HoldsCleared == 0 {
		return res, err
	}
	// A dunning hold ended: the orders it held check again now rather than
	// at their daily re-check. The tick is done; a failed signal only
	// leaves that to the daily re-check.
	log := a.Log
	if log == nil {
		log = slog.Default()
	}
	if _, err := recheckCreditHolds(ctx, a.DB, a.Temporal, log, ""); err != nil {
		log.WarnContext(ctx, "credit holds not asked to re-check after the dunning tick", "error", err)
	}
	return res, nil
}

// RefreshSummaries rebuilds the summaries the reports over everything read
// (ageing by owner and office, days to pay, the forecast), as of At's day.
func (a *Collection) RefreshSummaries(ctx context.Context, in DunningTickInput) error {
	cal, err := a.DB.CalendarGet(ctx, "default")
	if err != nil {
		return err
	}
	return a.DB.CollectionSummariesRefresh(ctx, cal.DateOf(in.At))
}

// PlanChangeOutcome is a change of a signed plan reaching its end.
type PlanChangeOutcome struct {
	ID     int64
	DealID string
	CaseID string
	Status string // contract.PlanChange*
	Detail string
	At     time.Time
}

// FinishPlanChange settles the change (approved: the new plan replaces the
// old and the instalments follow) with its audit entry, once.
func (a *Collection) FinishPlanChange(ctx context.Context, o PlanChangeOutcome) error {
	detail, _ := json.Marshal(map[string]any{"change": o.ID, "case": o.CaseID, "detail": o.Detail})
	action := "collection.plan_change." + o.Status
	if o.Status == "approved" {
		action = "collection.plan_changed"
	}
	if err := a.DB.PlanChangeFinish(ctx, o.ID, o.Status, o.Detail, a.Audit, audit.Entry{At: o.At, Actor: "system",
		Action: action, ObjectType: "deal", ObjectID: o.DealID, Detail: detail}); err != nil {
		return fmt.Errorf("finish plan change %d: %w", o.ID, err)
	}
	return nil
}
