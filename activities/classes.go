package activities

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
)

// Classes holds the value classes' nightly activity.
type Classes struct {
	DB    *database.DB
	Log   *slog.Logger
	Audit audit.Chain
	// Location is the company's zone: the run's day, whose eve the window
	// ends on, is the day there (UTC when nil).
	Location *time.Location
}

// ClassifyInput is the moment the classes are computed as of (the tick's
// time, chosen by the workflow) and the run's key (its workflow ID), so a
// retry computes the same run once.
type ClassifyInput struct {
	At          time.Time
	RequestedBy string
	RunKey      string
}

// ClassifyResult is what the run did (without the rules it applied).
type ClassifyResult struct {
	RunID     int64  `json:"run_id"`
	AsOf      string `json:"as_of"`
	Customers int    `json:"customers"`
	Proposed  int    `json:"proposed"`
	Withdrawn int    `json:"withdrawn"`
}

// Classify computes every active customer's class and factors and proposes
// the changes (database.ClassifyRun); the customers keep their classes
// until the proposals are approved.
func (a *Classes) Classify(ctx context.Context, in ClassifyInput) (ClassifyResult, error) {
	loc := a.Location
	if loc == nil {
		loc = time.UTC
	}
	run, err := a.DB.ClassifyRun(ctx, a.Audit, in.RunKey, cmp.Or(in.RequestedBy, "system"), in.At.In(loc))
	if err != nil {
		return ClassifyResult{}, err
	}
	if a.Log != nil {
		a.Log.InfoContext(ctx, "value classes", "run", run.ID, "as_of", run.AsOf, "customers", run.Customers,
			"proposed", run.Proposed, "withdrawn", run.Withdrawn)
	}
	return ClassifyResult{RunID: run.ID, AsOf: run.AsOf, Customers: run.Customers, Proposed: run.Proposed, Withdrawn: run.Withdrawn}, nil
}
