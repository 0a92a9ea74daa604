// Package notify delivers what l2c tells people. Business changes queue
// notifications in the outbox table (the notifications table, in the same
// transaction as the change); the Dispatcher here claims due rows, resolves
// "role:<role>" to the people holding it, hands each message to a Notifier
// (the log, e-mail over SMTP, or a webhook such as a WeCom or DingTalk group
// robot) and records the outcome: delivered at least once, never again once
// marked, retried with backoff, and given up after a number of attempts with
// the error kept on the row.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// Person is someone a message reaches.
type Person struct {
	ID    string
	Name  string
	Email string // empty if unknown
}

// Message is one notification, ready to deliver.
type Message struct {
	// Key is the outbox's de-duplication key: one key, one message. Notifiers
	// pass it on where the channel can use it (Idempotency-Key, Message-ID).
	Key string
	// Recipient is who it was addressed to: a user ID or "role:<role>".
	Recipient string
	// To is Recipient resolved to people; empty if nobody matches.
	To        []Person
	Subject   string
	Body      string
	DealID    string
	CreatedAt time.Time
}

// Text is the message as plain text: subject, body, and whom it is for. Chat
// robots post to a group, so naming the people matters there.
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Subject)
	if m.Body != "" {
		b.WriteString("\n")
		b.WriteString(m.Body)
	}
	if len(m.To) > 0 {
		b.WriteString("\n→ ")
		for i, p := range m.To {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p.displayName())
		}
	}
	return b.String()
}

func (p Person) displayName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

// Notifier delivers one message. An error means it was not delivered (as far
// as the notifier knows) and may be tried again; wrap it with Permanent when
// trying again cannot help.
type Notifier interface {
	Notify(ctx context.Context, m Message) error
}

// permanentError marks a failure retrying will not fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying will not fix (no address, a
// rejected request): the dispatcher gives up at once instead of retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Log writes each message to a structured log: the default notifier, for
// development and for deployments that have no mail server or robot yet.
type Log struct {
	Logger *slog.Logger
}

func (l Log) Notify(ctx context.Context, m Message) error {
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	to := make([]string, len(m.To))
	for i, p := range m.To {
		to[i] = p.ID
	}
	log.InfoContext(ctx, "notification", "key", m.Key, "recipient", m.Recipient, "to", to,
		"subject", m.Subject, "body", m.Body, "deal", m.DealID)
	return nil
}
