package connectors

import (
	"errors"
	"fmt"
	"time"
)

// Sentinels for errors.Is: every connector error wraps exactly one.
var (
	// ErrNotFound: the record does not exist. Do not retry.
	ErrNotFound = errors.New("not found in the ERP")
	// ErrConflict: someone changed the record since it was read (stale ETag) or
	// it already exists. Read it again and decide; do not blindly retry.
	ErrConflict = errors.New("conflict with the ERP's current data")
	// ErrRateLimited: the ERP asked to slow down. Retry after RetryAfter.
	ErrRateLimited = errors.New("rate limited by the ERP")
	// ErrUnavailable: the ERP is down, slow or unreachable. Retry with backoff.
	ErrUnavailable = errors.New("ERP unavailable")
	// ErrInvalid: the ERP refused the request as wrong (or refused our
	// credentials). Retrying the same request cannot help.
	ErrInvalid = errors.New("rejected by the ERP as invalid")
)

// Error is a connector failure: which operation, what kind, and what the ERP said.
type Error struct {
	Kind       error  // one of the sentinels above
	Op         string // "GET A_BusinessPartner", "update terms of 1000042"
	Status     int    // HTTP status, when there was one
	Message    string // the ERP's own message, if any
	RetryAfter time.Duration
	Err        error // the underlying cause, if any
}

func (e *Error) Error() string {
	s := e.Op + ": " + e.Kind.Error()
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrConflict) and friends work.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether trying the same call again later may succeed.
func Retryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRateLimited)
}

// RetryAfter returns how long the ERP asked to wait, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
