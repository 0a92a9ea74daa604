package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/ownership"
)

// Ownership holds the pool clock's activity.
type Ownership struct {
	DB    *database.DB
	Log   *slog.Logger
	Audit audit.Chain
}

// RecyclePoolInput is the moment the clock is read as of (the tick's time,
// chosen by the workflow, so a retry reads the same clock).
type RecyclePoolInput struct {
	At time.Time
}

// RecyclePoolResult is what the run did.
type RecyclePoolResult = database.RecycleCounts

// RecyclePool reads each class's pool rule, turns its working days into
// instants on the company calendar ("default") and runs the clock over every
// owned customer in one transaction. Running it again for the same moment
// changes nothing more.
func (a *Ownership) RecyclePool(ctx context.Context, in RecyclePoolInput) (RecyclePoolResult, error) {
	cal, err := a.DB.CalendarGet(ctx, "default")
	if err != nil {
		return RecyclePoolResult{}, fmt.Errorf("pool clock: calendar: %w", err)
	}
	_, rules, err := a.DB.OwnershipRules(ctx)
	if err != nil {
		return RecyclePoolResult{}, err
	}
	n, err := a.DB.PoolRecycle(ctx, a.Audit, in.At, ownership.Cutoffs(cal, in.At, rules))
	if err != nil {
		return RecyclePoolResult{}, err
	}
	if a.Log != nil {
		a.Log.InfoContext(ctx, "pool clock", "at", in.At, "idle", n.Idle, "warned", n.Warned, "recycled", n.Recycled, "cleared", n.Cleared)
	}
	return n, nil
}
