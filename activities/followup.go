package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/funnel"
)

// FollowUps holds the follow-up clock's activity (issue 14, item 4).
type FollowUps struct {
	DB  *database.DB
	Log *slog.Logger
}

// RemindFollowUpsInput is the moment the clock is read as of (the tick's,
// chosen by the workflow, so a retry reads the same clock).
type RemindFollowUpsInput struct {
	At time.Time
}

// RemindFollowUpsResult is what a run did: Reminded owners of deals, or
// nothing on a day off (Workday false).
type RemindFollowUpsResult struct {
	Workday  bool `json:"workday"`
	Reminded int  `json:"reminded"`
}

// RemindFollowUps turns the timeframes' working days into instants on the
// company calendar and reminds the owners of the deals due a follow-up, on
// working days only. Running it again for the same moment reminds nobody twice.
func (a *FollowUps) RemindFollowUps(ctx context.Context, in RemindFollowUpsInput) (RemindFollowUpsResult, error) {
	cal, err := a.DB.CalendarGet(ctx, "default")
	if err != nil {
		return RemindFollowUpsResult{}, fmt.Errorf("follow-up clock: calendar: %w", err)
	}
	c := funnel.FollowUpCutoffsAt(cal, in.At)
	if !c.Workday {
		return RemindFollowUpsResult{}, nil
	}
	n, err := a.DB.FollowUpReminders(ctx, c, cal.Location())
	if err != nil {
		return RemindFollowUpsResult{}, err
	}
	if a.Log != nil {
		a.Log.InfoContext(ctx, "follow-up clock", "at", in.At, "reminded", n)
	}
	return RemindFollowUpsResult{Workday: true, Reminded: n}, nil
}
