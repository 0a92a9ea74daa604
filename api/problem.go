package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/workflows"
)

// Problem is an RFC 9457 problem detail. Errors become problems here, at the
// edge, and nowhere else.
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail,omitempty"`
	Instance string            `json:"instance,omitempty"`
	Errors   []deal.FieldError `json:"errors,omitempty"`
	// Collision: whose customer a refused entry ran into (api/ownership.go).
	Collision *collision `json:"collision,omitempty"`

	retryAfter time.Duration // sent as Retry-After when set
}

func (p *Problem) Error() string { return p.Detail }

// problem builds a problem of the given kind (api/problems.go), sent with status.
func problem(status int, kind ProblemKind, detail string, fields ...deal.FieldError) *Problem {
	return &Problem{Type: kind.TypeURI(), Title: http.StatusText(status), Status: status,
		Detail: detail, Errors: fields}
}

var dealErrorStatus = map[deal.ErrorKind]int{
	deal.ErrInvalid:       http.StatusUnprocessableEntity,
	deal.ErrWrongStage:    http.StatusConflict,
	deal.ErrForbidden:     http.StatusForbidden,
	deal.ErrUnknownAction: http.StatusBadRequest,
}

// asProblem maps an error from any layer to what the client sees. Errors it does
// not know are logged in full and shown as a bare 500: no internals leak.
func asProblem(err error, log *slog.Logger, r *http.Request) *Problem {
	var p *Problem
	var de *deal.Error
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &de):
		return fromDealError(de)
	case errors.As(err, &appErr) && strings.HasPrefix(appErr.Type(), workflows.ErrTypeRefusal):
		de = &deal.Error{}
		if appErr.HasDetails() && appErr.Details(de) == nil {
			return fromDealError(de)
		}
		return problem(http.StatusConflict, probWrongStage, appErr.Message())
	case errors.Is(err, database.ErrNotFound):
		return problem(http.StatusNotFound, probNotFound, "not found")
	case errors.As(err, &notFound):
		return problem(http.StatusConflict, probWrongStage, "the deal's process has ended; no further action is possible")
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		return problem(http.StatusServiceUnavailable, probTimeout, "the request took too long; it may still complete, check the deal before retrying")
	}
	log.ErrorContext(r.Context(), "request failed", "err", err, "method", r.Method, "path", r.URL.Path)
	return problem(http.StatusInternalServerError, probInternal, "something went wrong on our side; it has been logged")
}

func fromDealError(de *deal.Error) *Problem {
	status, ok := dealErrorStatus[de.Kind]
	if !ok {
		status = http.StatusUnprocessableEntity
	}
	return problem(status, ProblemKind(de.Kind), de.Message, de.Fields...)
}

func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.Instance = r.URL.Path
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterValue(p.retryAfter))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// decodeJSONFields is decodeJSON that also returns the names of the fields the
// client sent, for endpoints that accept only some of them per request.
func decodeJSONFields(w http.ResponseWriter, r *http.Request, v any) ([]string, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, problem(http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("the request body is over %d bytes", maxBody))
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if err := decodeJSON(w, r, v); err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, problem(http.StatusBadRequest, probMalformedJSON, "send a JSON object")
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return names, nil
}

// retryAfterValue is a Retry-After header's value: whole seconds, rounded up.
func retryAfterValue(d time.Duration) string { return strconv.Itoa(int(math.Ceil(d.Seconds()))) }

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// orEmpty is s, or an empty slice for nil: a list answers [] in JSON, never null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// maxBody bounds a JSON request body; a deal action is a few kilobytes at most.
const maxBody = 1 << 20

// decodeJSON reads exactly one JSON object into v, refusing unknown fields,
// trailing data and oversized bodies, with a message that says where it broke.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return problem(http.StatusUnsupportedMediaType, probUnsupportedMediaType,
			fmt.Sprintf("send the body as application/json, not %s", ct))
	}
	return decodeStrict(http.MaxBytesReader(w, r.Body, maxBody), v)
}

// decodeStrict is decodeJSON's decoding, from any reader.
func decodeStrict(rd io.Reader, v any) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return problem(http.StatusBadRequest, probMalformedJSON, "the request body is empty; send a JSON object")
	case errors.As(err, &syntax):
		return problem(http.StatusBadRequest, probMalformedJSON,
			fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return problem(http.StatusBadRequest, probMalformedJSON, "a field has the wrong type",
			deal.FieldError{Field: field, Message: fmt.Sprintf("want %s, got JSON %s", typ.Type, typ.Value)})
	case errors.As(err, &tooBig):
		return problem(http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("the body is over %d bytes", maxBody))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return problem(http.StatusBadRequest, probMalformedJSON, "the body has a field l2c does not know",
			deal.FieldError{Field: name, Message: "unknown field"})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem(http.StatusBadRequest, probMalformedJSON, "the JSON body ends too early")
	}
	return problem(http.StatusBadRequest, probMalformedJSON, "invalid JSON: "+err.Error())
}
