package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// reshapeNote is the payload of add_note, a test-only action that shows what
// adding a deal action takes: its row (reshapeAddNote), its payload type and
// its test. Nothing in the API, the workflow or the database knows of it.
type reshapeNote struct {
	Note string `json:"note"`
}

var reshapeAddNote = deal.ActionSpec{Name: "add_note", Payload: reshapeNote{},
	Stages: []deal.Stage{deal.StageOpportunity, deal.StageQuote},
	May: func(d *deal.Deal, by identity.User) error {
		if by.ID != d.Owners.Sales {
			return &deal.Error{Kind: deal.ErrForbidden, Message: "only the sales owner adds notes"}
		}
		return nil
	},
	Apply: func(next *deal.Deal, by identity.User, a deal.Action, now time.Time) (string, error) {
		p, err := deal.PayloadOf[reshapeNote](a)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(p.Note) == "" {
			return "", &deal.Error{Kind: deal.ErrInvalid, Message: "invalid input",
				Fields: []deal.FieldError{{Field: "note", Message: "is required"}}}
		}
		return "note: " + p.Note, nil
	}}

// TestReshapeAddNoteThroughTheRegistry: an action added as one registry row
// is decoded strictly into its payload type, refused by name for fields that
// are not its own or that l2c works out, checked for stage and person by its
// row, applied by the deal workflow and recorded, like any built-in.
func TestReshapeAddNoteThroughTheRegistry(t *testing.T) {
	t.Cleanup(deal.RegisterAction(reshapeAddNote))
	s := setup(t)
	id := s.open(`{"title":"Notes","customer":{"name":"N"}}`)
	before := s.get(id)
	for _, c := range []struct {
		user, body string
		status     int
		kind       string
		field, msg string
	}{
		{"wang", `{"action":"add_note","note":"x","amount":"1"}`, 400, "unexpected_field", "amount", "is not a field of add_note"},
		{"wang", `{"action":"add_note","note":"x","today":"2026-01-01"}`, 400, "unexpected_field", "today", "is worked out by l2c"},
		{"wang", `{"action":"add_note","note":"x","payload":{"note":"y"}}`, 400, "unexpected_field", "payload", "is worked out by l2c"},
		{"wang", `{"action":"add_note","note":5}`, 400, "malformed_json", "note", "want string"},
		{"wang", `{"action":"add_note","note":"x","reason":7}`, 400, "malformed_json", "reason", "want string"},
		{"wang", `{"action":"add_note","note":" "}`, 422, "invalid", "note", "is required"},
		{"li", `{"action":"add_note","note":"mine"}`, 403, "forbidden", "", "only the sales owner"},
	} {
		r := s.act(id, c.user, c.status, c.body)
		require.Equal(t, "/problems/"+c.kind, r.body["type"], r.raw)
		if c.field != "" {
			require.Contains(t, r.raw, `"field":"`+c.field+`"`, c.body)
		}
		require.Contains(t, r.raw, c.msg, c.body)
	}
	require.Equal(t, before, s.get(id), "refused notes change nothing")

	r := s.act(id, "wang", 200, `{"action":"add_note","note":"called the buyer"}`)
	require.Equal(t, "opportunity", r.body["stage"])
	history := r.body["history"].([]any)
	last := history[len(history)-1].(map[string]any)
	require.Equal(t, "add_note", last["action"])
	require.Equal(t, "note: called the buyer", last["reason"])
	require.Equal(t, before["version"].(float64)+1, r.body["version"])

	// Its stages are its row's.
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	p := s.act(id, "wang", 409, `{"action":"add_note","note":"late"}`)
	require.Contains(t, p.body["detail"], "only in opportunity, quote")
}
