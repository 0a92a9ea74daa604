package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// FuzzDecodeRequests feeds arbitrary bodies to the JSON decoding of the main
// endpoints (deal actions, deal openings, decisions, rule sets). Whatever
// arrives, the answer is a decoded value or a 4xx problem, never a panic or a
// 5xx; and a decoded action run through the deal's rules is refused or applied,
// never a panic. CI runs it for a bounded time (.ci/run).
func FuzzDecodeRequests(f *testing.F) {
	for _, seed := range []string{
		`{"action":"submit_quote","lines":[{"sku":"A","quantity":2,"unit_price":"12.50"}],"discount":"85%","valid_until":"2026-12-31"}`,
		`{"action":"record_payment","payment_ref":"P","amount":1e3,"received_on":"2026-11-02","invoice_no":"I"}`,
		`{"action":"place_order","kind":"custom","delivery_due":"2026-02-30"}`,
		`{"title":"T","customer":{"name":"C"},"expected_amount":"-0.01","owners":{"sales":"x"}}`,
		`{"approve":true,"note":"ok","on_behalf_of":"he"}`,
		`{"stages":[{"name":"a","approvers":["role:finance"],"rule":"all","sla_hours":8,"when":{"amount_at_least":"1"}}]}`,
		`{"amount":"99999999999999999999"}`, `{"discount":"100.001"}`, `[]`, `null`, `{"action":` + "\x00" + `}`,
	} {
		f.Add([]byte(seed))
	}
	now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	rep := identity.User{ID: "wang", Roles: []identity.Role{identity.RoleSales}}
	base, _, _ := deal.Open("D-F", deal.Opening{Title: "T", Customer: deal.Customer{Name: "C"},
		Owners: deal.Owners{Delivery: "zhou", Payment: "wu"}}, rep, now)
	f.Fuzz(func(t *testing.T, body []byte) {
		decode := func(v any) bool {
			req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			err := decodeJSON(httptest.NewRecorder(), req, v)
			if err == nil {
				if _, err := json.Marshal(v); err != nil {
					t.Fatalf("decoded %T does not encode again: %v", v, err)
				}
				return true
			}
			var p *Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 {
				t.Fatalf("body %q: want a 4xx problem, got %v", body, err)
			}
			return false
		}
		var a deal.Action
		if decode(&a) {
			a.Resolve(now, time.UTC)
			for _, by := range []identity.User{rep, {ID: "li", Roles: []identity.Role{identity.RoleSalesManager}}} {
				_, _, _ = deal.Apply(base, by, a, now) // refused or applied; a panic fails the fuzz
			}
		}
		var o deal.Opening
		if decode(&o) {
			_, _, _ = deal.Open("D-G", o, rep, now)
		}
		decode(&decideRequest{})
		var rs approval.RuleSet
		if decode(&rs) {
			_ = rs.Validate()
			_ = rs.Route(approval.Facts{Amount: 100})
		}
	})
}
