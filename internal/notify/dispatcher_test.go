package notify_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/notify"
	"github.com/l2c/l2c/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// setup returns the package's database with an empty outbox and the test
// staff. The tests share one outbox and a dispatcher takes every due row, so
// they do not run in parallel.
func setup(t *testing.T) *database.DB {
	t.Helper()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `DELETE FROM notifications`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	db := testenv.OpenDB(t)
	for _, u := range []struct {
		identity.User
		email string
	}{
		{identity.User{ID: "n-wang", Name: "Wang Wei", Roles: []identity.Role{identity.RoleSales}}, "wang@example.com"},
		{identity.User{ID: "n-sun", Name: "孙丽", Roles: []identity.Role{identity.RoleFinance}}, "sun@example.com"},
		{identity.User{ID: "n-qian", Name: "Qian", Roles: []identity.Role{identity.RoleFinance, identity.RoleSales}}, ""},
	} {
		require.NoError(t, db.UserUpsert(ctx, u.User, "", ""))
		require.NoError(t, db.UserEmailSet(ctx, u.ID, u.email))
	}
	return db
}

func queue(t *testing.T, db *database.DB, key, recipient string) {
	t.Helper()
	added, err := db.NotificationQueue(context.Background(), database.Notification{DedupeKey: key,
		Recipient: recipient, Subject: "subject " + key, Body: "body " + key})
	require.NoError(t, err)
	require.True(t, added, key)
}

// recorder is a Notifier that remembers what it was given and fails as told.
type recorder struct {
	mu    sync.Mutex
	got   []notify.Message
	calls map[string]int
	fail  func(m notify.Message, call int) error // nil: succeed
	delay time.Duration
}

func (r *recorder) Notify(ctx context.Context, m notify.Message) error {
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	r.calls[m.Key]++
	if r.fail != nil {
		if err := r.fail(m, r.calls[m.Key]); err != nil {
			return err
		}
	}
	r.got = append(r.got, m)
	return nil
}

func (r *recorder) delivered() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := map[string]int{}
	for _, m := range r.got {
		n[m.Key]++
	}
	return n
}

func status(t *testing.T, db *database.DB, key string) database.NotificationStatus {
	t.Helper()
	s, err := db.NotificationByKey(context.Background(), key)
	require.NoError(t, err)
	return s
}

func TestDispatcherDeliversOnceAndExpandsRoles(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	queue(t, db, "d-1", "n-wang")
	queue(t, db, "d-2", "role:finance")
	queue(t, db, "d-3", "nobody")
	rec := &recorder{}
	d := &notify.Dispatcher{DB: db, Notifier: rec, Log: testenv.Quiet}

	n, err := d.DeliverOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	byKey := map[string]notify.Message{}
	for _, m := range rec.got {
		byKey[m.Key] = m
	}
	require.Equal(t, []notify.Person{{ID: "n-wang", Name: "Wang Wei", Email: "wang@example.com"}}, byKey["d-1"].To)
	require.Equal(t, []notify.Person{{ID: "n-qian", Name: "Qian"}, {ID: "n-sun", Name: "孙丽", Email: "sun@example.com"}},
		byKey["d-2"].To, "role:finance is everyone holding it, in ID order")
	require.Equal(t, "role:finance", byKey["d-2"].Recipient)
	require.Empty(t, byKey["d-3"].To, "an unknown user resolves to no one; the notifier decides")
	require.Equal(t, "subject d-1", byKey["d-1"].Subject)
	require.False(t, byKey["d-1"].CreatedAt.IsZero())

	for _, key := range []string{"d-1", "d-2", "d-3"} {
		s := status(t, db, key)
		require.NotNil(t, s.SentAt, key)
		require.Nil(t, s.NextAttemptAt, key)
		require.Equal(t, 1, s.Attempts)
	}
	// Marked rows are never sent again, and queueing the same key again is a no-op.
	n, err = d.DeliverOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	added, err := db.NotificationQueue(ctx, database.Notification{DedupeKey: "d-1", Recipient: "n-wang", Subject: "again"})
	require.NoError(t, err)
	require.False(t, added)
	n, err = d.DeliverOnce(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Len(t, rec.got, 3)
	require.Error(t, db.NotificationRequeue(ctx, "d-1"), "a sent notification is never requeued")
}

func TestDispatcherRetriesWithBackoffThenGivesUp(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	queue(t, db, "r-flaky", "n-wang")   // fails twice, then succeeds
	queue(t, db, "r-down", "n-wang")    // always fails
	queue(t, db, "r-refused", "n-wang") // fails permanently
	down := true
	rec := &recorder{fail: func(m notify.Message, call int) error {
		switch {
		case m.Key == "r-flaky" && call <= 2:
			return errors.New("connection reset")
		case m.Key == "r-down" && down:
			return fmt.Errorf("attempt %d: 503 Service Unavailable", call)
		case m.Key == "r-refused":
			return notify.Permanent(errors.New("no e-mail address"))
		}
		return nil
	}}
	now := time.Now().Add(time.Second) // just past the rows' next_attempt_at, set by the database
	d := &notify.Dispatcher{DB: db, Notifier: rec, Log: testenv.Quiet, MaxAttempts: 3,
		Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute },
		Now:     func() time.Time { return now }}
	deliver := func(want int) {
		t.Helper()
		n, err := d.DeliverOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, want, n)
	}

	deliver(0)
	require.Equal(t, map[string]int{"r-flaky": 1, "r-down": 1, "r-refused": 1}, rec.calls)
	s := status(t, db, "r-refused")
	require.True(t, s.Failed(), "a permanent failure is given up at once")
	require.Equal(t, "no e-mail address", s.LastError)
	s = status(t, db, "r-flaky")
	require.Equal(t, 1, s.Attempts)
	require.Equal(t, "connection reset", s.LastError)
	require.WithinDuration(t, now.Add(time.Minute), *s.NextAttemptAt, time.Millisecond)

	deliver(0) // nothing is due before the backoff has passed
	require.Equal(t, 1, rec.calls["r-down"])

	now = now.Add(time.Minute)
	deliver(0) // second attempts fail; next in 2 minutes
	require.Equal(t, map[string]int{"r-flaky": 2, "r-down": 2, "r-refused": 1}, rec.calls)
	now = now.Add(time.Minute)
	deliver(0)
	now = now.Add(time.Minute)
	deliver(1) // r-flaky's third attempt succeeds; r-down's third is its last
	require.Equal(t, map[string]int{"r-flaky": 3, "r-down": 3, "r-refused": 1}, rec.calls)

	s = status(t, db, "r-flaky")
	require.NotNil(t, s.SentAt)
	require.Equal(t, 3, s.Attempts)
	require.Empty(t, s.LastError)
	s = status(t, db, "r-down")
	require.True(t, s.Failed())
	require.Equal(t, 3, s.Attempts)
	require.Equal(t, "gave up after 3 attempts: attempt 3: 503 Service Unavailable", s.LastError)

	now = now.Add(24 * time.Hour)
	deliver(0) // given-up rows stay put
	require.Equal(t, 3, rec.calls["r-down"])
	failed, err := db.NotificationsFailed(ctx, 10)
	require.NoError(t, err)
	require.Len(t, failed, 2)
	require.Equal(t, "r-refused", failed[0].DedupeKey)
	require.Equal(t, "r-down", failed[1].DedupeKey)

	// Once the cause is fixed, an operator requeues it and it goes out.
	down = false
	require.NoError(t, db.NotificationRequeue(ctx, "r-down"))
	deliver(1)
	require.NotNil(t, status(t, db, "r-down").SentAt)
	require.Equal(t, map[string]int{"r-flaky": 1, "r-down": 1}, rec.delivered())
}

// TestTwoDispatchersDeliverEachRowOnce runs two dispatchers (two `serve`
// replicas) on one outbox at once.
func TestTwoDispatchersDeliverEachRowOnce(t *testing.T) {
	db := setup(t)
	const rows = 150
	for i := range rows {
		queue(t, db, fmt.Sprintf("c-%03d", i), "role:finance")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{delay: time.Millisecond}
	var wg sync.WaitGroup
	perDispatcher := make([]*recorder, 2)
	for i := range perDispatcher {
		perDispatcher[i] = &recorder{}
		d := &notify.Dispatcher{DB: db, Log: testenv.Quiet, BatchSize: 7, PollInterval: 10 * time.Millisecond,
			Notifier: tee{rec, perDispatcher[i]}}
		wg.Go(func() {
			if err := d.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	require.Eventually(t, func() bool { return len(rec.delivered()) == rows }, 20*time.Second, 20*time.Millisecond)
	cancel()
	wg.Wait()

	for key, n := range rec.delivered() {
		require.Equal(t, 1, n, key)
	}
	require.Len(t, rec.got, rows)
	t.Logf("dispatcher 1 sent %d, dispatcher 2 sent %d", len(perDispatcher[0].got), len(perDispatcher[1].got))
	for i := range rows {
		require.NotNil(t, status(t, db, fmt.Sprintf("c-%03d", i)).SentAt)
	}
}

type tee []notify.Notifier

func (t tee) Notify(ctx context.Context, m notify.Message) error {
	for _, n := range t {
		if err := n.Notify(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// TestShutdownFinishesTheSendInProgress: when Run's context ends mid-batch, the
// send under way completes and is recorded, and the rest of the batch is left
// for later, untouched.
func TestShutdownFinishesTheSendInProgress(t *testing.T) {
	db := setup(t)
	for i := range 5 {
		queue(t, db, fmt.Sprintf("s-%d", i), "n-wang")
	}
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{fail: func(notify.Message, int) error {
		cancel() // the process is asked to stop while this send is under way
		return nil
	}}
	d := &notify.Dispatcher{DB: db, Notifier: rec, Log: testenv.Quiet, BatchSize: 5}
	require.NoError(t, d.Run(ctx))
	require.Len(t, rec.got, 1)
	sent := 0
	for i := range 5 {
		s := status(t, db, fmt.Sprintf("s-%d", i))
		if s.SentAt != nil {
			sent++
			require.Equal(t, rec.got[0].Key, s.DedupeKey)
		} else {
			require.Zero(t, s.Attempts)
			require.NotNil(t, s.NextAttemptAt)
		}
	}
	require.Equal(t, 1, sent)
}
