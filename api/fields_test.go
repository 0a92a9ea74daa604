package api_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoMassAssignment: each action takes only its own fields, nobody sends
// what l2c works out itself, and only assistants and managers hand a deal to
// a rep — one of their own team.
func TestNoMassAssignment(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	id := s.open(`{"title":"Fields","customer":{"name":"F"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	before := s.get(id)

	for body, field := range map[string]string{
		`{"action":"accept_quote","amount":"1"}`: "amount",
		`{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"1"}],"valid_until":"` + future(5) + `","customer_min_discount":"1"}`: "customer_min_discount",
		`{"action":"accept_quote","deadline_at":"2030-01-01T00:00:00Z"}`:                                                                              "deadline_at",
		`{"action":"mark_lost","reason":"x","delivery_owner":"zhou"}`:                                                                                 "delivery_owner",
	} {
		r := s.do("POST", "/api/v1/deals/"+id+"/actions", "tok-wang", body)
		require.Equal(t, 400, r.status, r.raw)
		require.Equal(t, "/problems/unexpected_field", r.body["type"])
		require.Equal(t, field, r.body["errors"].([]any)[0].(map[string]any)["field"], body)
	}
	require.Equal(t, before["version"], s.get(id)["version"], "refused actions changed nothing")

	deals := func() int64 {
		var n int64
		require.NoError(t, s.db.CountRows(ctx, "deals", &n))
		return n
	}
	n := deals()
	for _, c := range []struct{ token, owner string }{
		{"tok-wang", "liu"},  // a rep cannot hand a deal to someone else
		{"tok-zhao", "wang"}, // an assistant hands deals only to reps of their own team (zhao has none)
		{"tok-li", "liu"},    // a manager only to their team and direct reports
		{"tok-li", "sun"},    // and finance is not a sales rep
	} {
		r := s.do("POST", "/api/v1/deals", c.token, `{"title":"T","customer":{"name":"X"},"owners":{"sales":"`+c.owner+`"}}`)
		require.Equal(t, 403, r.status, "%s for %s: %s", c.token, c.owner, r.raw)
		require.Equal(t, "owners.sales", r.body["errors"].([]any)[0].(map[string]any)["field"])
	}
	require.Equal(t, n, deals())
	r := s.do("POST", "/api/v1/deals", "tok-li", s.dealKnownCustomer(`{"title":"For Wang","customer":{"name":"X"},"owners":{"sales":"wang"}}`, "wang"))
	require.Equal(t, 201, r.status, r.raw) // wang reports to li
	require.Equal(t, "wang", r.body["owners"].(map[string]any)["sales"])
}
