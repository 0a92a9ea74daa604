// Package refusal is how l2c's business rules say no: a kind that decides the
// HTTP status at the edge, a message for the person acting, and the fields at
// fault. Rules return *Error; nothing in it is internal, so it is shown as is.
package refusal

import (
	"fmt"
	"strings"
)

// Kind sorts refusals so the API can answer with the right status.
type Kind string

const (
	Invalid       Kind = "invalid"        // a field is missing or wrong (422)
	WrongStage    Kind = "wrong_stage"    // not possible in the current state (409)
	Forbidden     Kind = "forbidden"      // this person may not do this (403)
	UnknownAction Kind = "unknown_action" // no such action (400)
)

// FieldError names one field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a refusal.
type Error struct {
	Kind    Kind         `json:"kind"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Conflict refuses something the current state does not allow.
func Conflict(format string, args ...any) *Error {
	return &Error{Kind: WrongStage, Message: fmt.Sprintf(format, args...)}
}

// Deny refuses someone who may not do this.
func Deny(format string, args ...any) *Error {
	return &Error{Kind: Forbidden, Message: fmt.Sprintf(format, args...)}
}

// Fields collects every problem with a request's fields, so the person fixes
// them in one go rather than one per request.
type Fields []FieldError

// Add records a problem with field.
func (fe *Fields) Add(field, format string, args ...any) {
	*fe = append(*fe, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Required records field as missing when value is blank.
func (fe *Fields) Required(field, value string) {
	if strings.TrimSpace(value) == "" {
		fe.Add(field, "is required")
	}
}

// Err is the refusal for the collected problems, or nil if there are none.
func (fe Fields) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Message: "invalid input", Fields: fe}
}

// Field refuses a request for one bad field.
func Field(field, format string, args ...any) error {
	var fe Fields
	fe.Add(field, format, args...)
	return fe.Err()
}
