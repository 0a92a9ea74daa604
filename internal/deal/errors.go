package deal

import "github.com/l2c/l2c/internal/refusal"

// The deal's rules refuse with refusal.Error; these names keep the deal's own
// vocabulary for callers.
type (
	Error      = refusal.Error
	ErrorKind  = refusal.Kind
	FieldError = refusal.FieldError
)

const (
	ErrInvalid       = refusal.Invalid
	ErrWrongStage    = refusal.WrongStage
	ErrForbidden     = refusal.Forbidden
	ErrUnknownAction = refusal.UnknownAction
)

var (
	wrongStage = refusal.Conflict
	forbidden  = refusal.Deny
)

type fieldErrors = refusal.Fields

var badField = refusal.Field
