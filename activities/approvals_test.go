package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/calendar"
)

// TestScheduleStageCountsWorkingHours: an 8-hour SLA entered late on a Friday
// in Shanghai runs over the weekend and falls due on Monday afternoon; the
// reminder two working hours earlier.
func TestScheduleStageCountsWorkingHours(t *testing.T) {
	a := &Approvals{Calendar: func(context.Context) (WorkingTime, error) { return calendar.China(), nil }}
	shanghai := time.FixedZone("CST", 8*3600)
	friday := time.Date(2026, 11, 20, 17, 0, 0, 0, shanghai)
	s, err := a.ScheduleStage(context.Background(), ScheduleInput{From: friday, SLAHours: 8, RemindBeforeHours: 2})
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 23, 17, 0, 0, 0, shanghai).UTC(), s.DueAt)
	require.Equal(t, time.Date(2026, 11, 23, 15, 0, 0, 0, shanghai).UTC(), s.RemindAt)

	// Around the clock when no calendar is set.
	s, err = (&Approvals{}).ScheduleStage(context.Background(), ScheduleInput{From: friday, SLAHours: 8})
	require.NoError(t, err)
	require.Equal(t, friday.Add(8*time.Hour).UTC(), s.DueAt)
}
