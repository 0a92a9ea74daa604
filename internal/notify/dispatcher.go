package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/l2c/l2c/internal/database"
)

// Defaults for a Dispatcher's zero fields.
const (
	DefaultBatchSize    = 20
	DefaultPollInterval = 2 * time.Second
	DefaultMaxAttempts  = 10
	DefaultSendTimeout  = 30 * time.Second
	DefaultBatchTimeout = 2 * time.Minute
)

// Dispatcher delivers the outbox. Run it in every `l2c serve` replica: rows are
// claimed with FOR UPDATE SKIP LOCKED, so replicas share the work and never
// hand out the same row at once. Fields left zero take the defaults above.
type Dispatcher struct {
	DB       *database.DB
	Notifier Notifier
	Log      *slog.Logger
	// BatchSize is how many rows one transaction claims.
	BatchSize int
	// PollInterval is the pause between looks at the outbox when it had
	// nothing more to do.
	PollInterval time.Duration
	// MaxAttempts is how many times a row is tried before it is given up.
	MaxAttempts int
	// Backoff is the wait after the n-th failed attempt (n from 1). Default:
	// 30s, doubling, at most an hour; ten attempts span about four hours.
	Backoff func(n int) time.Duration
	// SendTimeout bounds one Notify call.
	SendTimeout time.Duration
	// BatchTimeout bounds how long a batch keeps starting new sends (the claim
	// transaction is open meanwhile); rows it did not reach are left for the
	// next batch, untouched.
	BatchTimeout time.Duration
	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time
}

// DefaultBackoff waits 30s after the first failure, doubling each time, at most an hour.
func DefaultBackoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func (d *Dispatcher) withDefaults() Dispatcher {
	c := *d
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.BatchSize = positiveOr(c.BatchSize, DefaultBatchSize)
	c.PollInterval = positiveOr(c.PollInterval, DefaultPollInterval)
	c.MaxAttempts = positiveOr(c.MaxAttempts, DefaultMaxAttempts)
	c.SendTimeout = positiveOr(c.SendTimeout, DefaultSendTimeout)
	c.BatchTimeout = positiveOr(c.BatchTimeout, DefaultBatchTimeout)
	return c
}

// positiveOr is v, or def where v is not positive: a size or a duration left
// zero, or set to a negative that would mean nothing (cmp.Or would keep it).
func positiveOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Run delivers until ctx is done. A batch under way when ctx ends finishes the
// send in progress, starts no new one, and commits what it did, so a shutdown
// neither loses a delivery record nor resends more than it must. Errors (the
// database being away) are logged and retried after the poll interval. Run
// returns nil when ctx is done.
func (d *Dispatcher) Run(ctx context.Context) error {
	c := d.withDefaults()
	c.Log.InfoContext(ctx, "notification dispatcher started", "batch", c.BatchSize, "poll", c.PollInterval,
		"max_attempts", c.MaxAttempts)
	for {
		claimed, _, err := c.batch(ctx)
		if err != nil && ctx.Err() == nil {
			c.Log.ErrorContext(ctx, "notification dispatch failed", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		// A full batch suggests more are waiting: go straight on.
		if err == nil && claimed == c.BatchSize {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(c.PollInterval):
		}
	}
}

// DeliverOnce runs one batch and returns how many messages it delivered.
func (d *Dispatcher) DeliverOnce(ctx context.Context) (int, error) {
	c := d.withDefaults()
	_, sent, err := c.batch(ctx)
	return sent, err
}

// batch claims and delivers one batch; it reports how many rows it claimed
// and how many it delivered.
func (d *Dispatcher) batch(ctx context.Context) (claimed, sent int, err error) {
	if d.DB == nil || d.Notifier == nil {
		return 0, 0, errors.New("notify: Dispatcher needs a DB and a Notifier")
	}
	// The transaction runs on a context that outlives ctx, so that on shutdown
	// the outcomes of sends already made are still recorded.
	txCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.BatchTimeout+d.SendTimeout+30*time.Second)
	defer cancel()
	startedAt := d.Now()
	stopStarting := startedAt.Add(d.BatchTimeout)
	claimed, err = d.DB.NotificationsDeliver(txCtx, startedAt, d.BatchSize,
		func(txCtx context.Context, o database.Outgoing) database.DeliveryResult {
			if ctx.Err() != nil || d.Now().After(stopStarting) {
				return database.DeliveryResult{Outcome: database.DeliverySkipped}
			}
			r := d.send(txCtx, o)
			if r.Outcome == database.DeliverySent {
				sent++
			}
			return r
		})
	if err != nil {
		return 0, 0, err
	}
	return claimed, sent, nil
}

// send delivers one message and decides what to record.
func (d *Dispatcher) send(ctx context.Context, o database.Outgoing) database.DeliveryResult {
	m := Message{Key: o.DedupeKey, Recipient: o.Recipient, Subject: o.Subject, Body: o.Body,
		DealID: o.DealID, CreatedAt: o.CreatedAt}
	for _, a := range o.To {
		m.To = append(m.To, Person(a))
	}
	sendCtx, cancel := context.WithTimeout(ctx, d.SendTimeout)
	err := d.Notifier.Notify(sendCtx, m)
	cancel()
	attempt := o.Attempts + 1
	log := d.Log.With("key", o.DedupeKey, "recipient", o.Recipient, "attempt", attempt)
	switch {
	case err == nil:
		log.DebugContext(ctx, "notification delivered")
		return database.DeliveryResult{Outcome: database.DeliverySent}
	case IsPermanent(err):
		log.ErrorContext(ctx, "notification given up: it cannot be delivered", "err", err)
		return database.DeliveryResult{Outcome: database.DeliveryGiveUp, Error: truncate(err.Error())}
	case attempt >= d.MaxAttempts:
		log.ErrorContext(ctx, "notification given up after the last attempt", "err", err)
		return database.DeliveryResult{Outcome: database.DeliveryGiveUp,
			Error: truncate(fmt.Sprintf("gave up after %d attempts: %v", attempt, err))}
	}
	retryAt := d.Now().Add(d.Backoff(attempt))
	log.WarnContext(ctx, "notification failed; will retry", "err", err, "retry_at", retryAt)
	return database.DeliveryResult{Outcome: database.DeliveryRetry, Error: truncate(err.Error()), RetryAt: retryAt}
}

// truncate keeps an error message to a size worth storing on the row, cutting
// at a character boundary (PostgreSQL refuses broken UTF-8).
func truncate(s string) string {
	const max = 2000
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
