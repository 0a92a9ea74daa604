package scheduler

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/require"
)

func TestParseSpec(t *testing.T) {
	for _, ok := range []string{"*/15 * * * *", "0 30 2 * * *", "@hourly", "@every 10m", "@every 1s", "0 8 * * MON-FRI"} {
		_, err := ParseSpec(ok)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{"", "every five minutes", "61 * * * *", "@every 1.5s", "@every 0s", "@every x"} {
		_, err := ParseSpec(bad)
		require.Error(t, err, bad)
	}
}

func TestEveryIsAlignedAcrossReplicas(t *testing.T) {
	s, err := ParseSpec("@every 5m")
	require.NoError(t, err)
	a := s.Next(time.Date(2026, 11, 2, 1, 2, 3, 0, time.UTC))
	b := s.Next(time.Date(2026, 11, 2, 1, 4, 59, 0, time.UTC))
	require.Equal(t, time.Date(2026, 11, 2, 1, 5, 0, 0, time.UTC), a)
	require.Equal(t, a, b)
}

func TestScheduledAtIsTheTickNotTheClock(t *testing.T) {
	s, err := ParseSpec("*/15 * * * *")
	require.NoError(t, err)
	// Two replicas whose ticks fire 30 ms and 900 ms late name the same moment.
	want := time.Date(2026, 11, 2, 1, 15, 0, 0, time.UTC)
	require.Equal(t, want, scheduledAt(s, want.Add(30*time.Millisecond)))
	require.Equal(t, want, scheduledAt(s, want.Add(900*time.Millisecond)))
	require.Equal(t, want, scheduledAt(s, want))
	d, _ := ParseSpec("0 0 3 1 * *") // monthly
	require.Equal(t, time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC), scheduledAt(d, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)))
}

func TestAPanickingTickDoesNotStopTheScheduler(t *testing.T) {
	s := New(Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var after atomic.Int32
	s.cron.Schedule(every(time.Second), cron.FuncJob(func() { panic("boom") }))
	s.cron.Schedule(every(time.Second), cron.FuncJob(func() { after.Add(1) }))
	s.cron.Start()
	defer s.cron.Stop()
	require.Eventually(t, func() bool { return after.Load() >= 2 }, 5*time.Second, 50*time.Millisecond)
}
