package database

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notification is a message to one person (a user ID, or "role:<role>").
type Notification struct {
	// DedupeKey makes adding idempotent: the same key is stored once.
	DedupeKey string
	Recipient string
	Subject   string
	Body      string
	DealID    string
}

// notificationAdd queues n for delivery, in the caller's transaction. It reports
// false if a notification with the same key was queued before.
// notificationQueue adds n's insert to batch b, for callers that write it in
// the same round trip as the change that causes it.
func notificationQueue(b *pgx.Batch, n Notification) {
	b.Queue(`INSERT INTO notifications (dedupe_key, recipient, subject, body, deal_id)
		VALUES ($1, $2, $3, $4, NULLIF($5, '')) ON CONFLICT (dedupe_key) DO NOTHING`,
		n.DedupeKey, n.Recipient, n.Subject, n.Body, n.DealID)
}

func notificationAdd(ctx context.Context, tx pgx.Tx, n Notification) (bool, error) {
	tag, err := tx.Exec(ctx, `
		INSERT INTO notifications (dedupe_key, recipient, subject, body, deal_id)
		VALUES ($1, $2, $3, $4, NULLIF($5, '')) ON CONFLICT (dedupe_key) DO NOTHING`,
		n.DedupeKey, n.Recipient, n.Subject, n.Body, n.DealID)
	if err != nil {
		return false, fmt.Errorf("add notification %s: %w", n.DedupeKey, err)
	}
	return tag.RowsAffected() == 1, nil
}

// NotificationQueue queues n on its own, outside a business transaction: for
// messages no state change carries, such as a reminder fired by a timer. It
// reports false if a notification with the same key was queued before.
func (db *DB) NotificationQueue(ctx context.Context, n Notification) (bool, error) {
	var added bool
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		added, err = notificationAdd(ctx, tx, n)
		return err
	})
	return added, err
}

// UserEmailSet sets the address e-mail notifications to userID go to; an empty
// email clears it. It lives here rather than in users.go because only the
// notifier reads it.
func (db *DB) UserEmailSet(ctx context.Context, userID, email string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE users SET email = NULLIF($2, '') WHERE id = $1`, userID, email)
	if err != nil {
		return fmt.Errorf("set e-mail of %s: %w", userID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set e-mail of %s: %w", userID, ErrNotFound)
	}
	return nil
}

// Addressee is a person a notification reaches.
type Addressee struct {
	ID    string
	Name  string
	Email string // empty if the user has none
}

// Outgoing is a queued notification claimed for delivery.
type Outgoing struct {
	ID        int64
	DedupeKey string
	Recipient string // as queued: a user ID or "role:<role>"
	// To is Recipient resolved: the user, or every user holding the role, in ID
	// order. Empty when the user does not exist or nobody holds the role.
	To        []Addressee
	Subject   string
	Body      string
	DealID    string
	CreatedAt time.Time
	Attempts  int // failed attempts before this one
}

// DeliveryOutcome is what became of one delivery attempt.
type DeliveryOutcome int

const (
	DeliverySkipped DeliveryOutcome = iota // not attempted: the row is left as it was
	DeliverySent                           // delivered: never sent again
	DeliveryRetry                          // failed: try again at RetryAt
	DeliveryGiveUp                         // failed for the last time: kept with its error
)

// DeliveryResult is what the deliver callback of NotificationsDeliver reports.
type DeliveryResult struct {
	Outcome DeliveryOutcome
	Error   string    // why it failed (Retry, GiveUp)
	RetryAt time.Time // when to try again (Retry)
}

// NotificationsDeliver claims up to limit notifications due at now (oldest
// first), calls deliver for each, and records each outcome, all in one
// transaction. The rows stay locked while deliver runs and other callers skip
// them (FOR UPDATE SKIP LOCKED), so several dispatchers never hand out the same
// row at once; a row is marked sent only when the transaction commits, so a
// crash mid-batch means it is delivered again (at least once), never lost.
// deliver should bound its own time: the transaction is open while it runs.
// It returns how many rows it claimed.
func (db *DB) NotificationsDeliver(ctx context.Context, now time.Time, limit int,
	deliver func(context.Context, Outgoing) DeliveryResult) (int, error) {
	var claimed int
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT id, dedupe_key, recipient, subject, body, coalesce(deal_id, ''), created_at, attempts
			FROM notifications
			WHERE sent_at IS NULL AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id
			LIMIT $2
			FOR UPDATE SKIP LOCKED`, now, limit)
		if err != nil {
			return fmt.Errorf("claim notifications: %w", err)
		}
		batch, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Outgoing, error) {
			var o Outgoing
			err := row.Scan(&o.ID, &o.DedupeKey, &o.Recipient, &o.Subject, &o.Body, &o.DealID, &o.CreatedAt, &o.Attempts)
			return o, err
		})
		if err != nil {
			return fmt.Errorf("claim notifications: %w", err)
		}
		claimed = len(batch)
		if claimed == 0 {
			return nil
		}
		if err := resolveRecipients(ctx, tx, batch); err != nil {
			return err
		}
		updates := &pgx.Batch{}
		for _, o := range batch {
			r := deliver(ctx, o)
			switch r.Outcome {
			case DeliverySent:
				updates.Queue(`UPDATE notifications SET sent_at = clock_timestamp(), next_attempt_at = NULL,
					attempts = attempts + 1, last_error = '' WHERE id = $1`, o.ID)
			case DeliveryRetry:
				updates.Queue(`UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $2,
					last_error = $3 WHERE id = $1`, o.ID, r.RetryAt, r.Error)
			case DeliveryGiveUp:
				updates.Queue(`UPDATE notifications SET attempts = attempts + 1, next_attempt_at = NULL,
					last_error = $2 WHERE id = $1`, o.ID, r.Error)
			}
		}
		if updates.Len() == 0 {
			return nil
		}
		if err := tx.SendBatch(ctx, updates).Close(); err != nil {
			return fmt.Errorf("record deliveries: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("deliver notifications: %w", err)
	}
	return claimed, nil
}

// resolveRecipients fills in To for each notification: a user ID names that
// user, "role:<role>" every user holding the role.
func resolveRecipients(ctx context.Context, tx pgx.Tx, batch []Outgoing) error {
	var ids, roles []string
	for _, o := range batch {
		if role, ok := strings.CutPrefix(o.Recipient, "role:"); ok {
			roles = append(roles, role)
		} else {
			ids = append(ids, o.Recipient)
		}
	}
	rows, err := tx.Query(ctx, `SELECT id, name, coalesce(email, ''), roles::text[] FROM users
		WHERE id = ANY($1) OR roles::text[] && $2::text[] ORDER BY id`, ids, roles)
	if err != nil {
		return fmt.Errorf("resolve recipients: %w", err)
	}
	byID := map[string]Addressee{}
	byRole := map[string][]Addressee{}
	var a Addressee
	var held []string
	_, err = pgx.ForEachRow(rows, []any{&a.ID, &a.Name, &a.Email, &held}, func() error {
		byID[a.ID] = a
		for _, r := range held {
			byRole[r] = append(byRole[r], a)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("resolve recipients: %w", err)
	}
	for i, o := range batch {
		if role, ok := strings.CutPrefix(o.Recipient, "role:"); ok {
			batch[i].To = byRole[role]
		} else if u, ok := byID[o.Recipient]; ok {
			batch[i].To = []Addressee{u}
		}
	}
	return nil
}

// NotificationStatus is where one queued notification stands.
type NotificationStatus struct {
	Notification
	ID            int64
	CreatedAt     time.Time
	SentAt        *time.Time
	Attempts      int
	NextAttemptAt *time.Time // nil once sent or given up
	LastError     string
}

// Failed reports whether delivery was given up.
func (s NotificationStatus) Failed() bool { return s.SentAt == nil && s.NextAttemptAt == nil }

const notificationStatusColumns = `id, dedupe_key, recipient, subject, body, coalesce(deal_id, ''), created_at,
	sent_at, attempts, next_attempt_at, last_error`

func scanNotificationStatus(row pgx.CollectableRow) (NotificationStatus, error) {
	var s NotificationStatus
	err := row.Scan(&s.ID, &s.DedupeKey, &s.Recipient, &s.Subject, &s.Body, &s.DealID, &s.CreatedAt,
		&s.SentAt, &s.Attempts, &s.NextAttemptAt, &s.LastError)
	return s, err
}

// NotificationByKey reads one notification's delivery state, or ErrNotFound.
func (db *DB) NotificationByKey(ctx context.Context, key string) (NotificationStatus, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+notificationStatusColumns+` FROM notifications WHERE dedupe_key = $1`, key)
	if err != nil {
		return NotificationStatus{}, fmt.Errorf("notification %s: %w", key, err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, scanNotificationStatus)
	if err != nil {
		return NotificationStatus{}, fmt.Errorf("notification %s: %w", key, notFound(err))
	}
	return s, nil
}

// DunningDigestsOf is what the dunning ladder told recipient (a user ID or
// "role:finance") in its digests of day, oldest first: one a day, another
// only when a later tick that day reached new steps.
func (db *DB) DunningDigestsOf(ctx context.Context, recipient string, day time.Time) ([]NotificationStatus, error) {
	// Read by key from the unique index: every key with the prefix lies
	// between it and the prefix with its last '/' made the next byte, '0'.
	prefix := "dunning-digest/" + day.Format(time.DateOnly) + "/" + recipient + "/"
	return queryList(ctx, db.pool, "dunning digests of "+recipient, scanNotificationStatus, `SELECT `+notificationStatusColumns+`
		FROM notifications WHERE dedupe_key >= $1 AND dedupe_key < $2 AND starts_with(dedupe_key, $1) ORDER BY id`,
		prefix, strings.TrimSuffix(prefix, "/")+"0")
}

// NotificationsFailed lists notifications whose delivery was given up, newest
// first: what an operator looks at after fixing the mail server.
func (db *DB) NotificationsFailed(ctx context.Context, limit int) ([]NotificationStatus, error) {
	return queryList(ctx, db.pool, "failed notifications", scanNotificationStatus, `SELECT `+notificationStatusColumns+` FROM notifications
		WHERE sent_at IS NULL AND next_attempt_at IS NULL ORDER BY id DESC LIMIT $1`, limit)
}

// NotificationRequeue makes an unsent notification due again at once with a
// fresh count of attempts, e.g. after the cause of its failure is fixed. A
// sent one is never requeued: ErrNotFound.
func (db *DB) NotificationRequeue(ctx context.Context, key string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE notifications SET attempts = 0, next_attempt_at = now()
		WHERE dedupe_key = $1 AND sent_at IS NULL`, key)
	if err != nil {
		return fmt.Errorf("requeue notification %s: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("requeue notification %s: %w", key, ErrNotFound)
	}
	return nil
}
