package deal

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRegistryCoversTheFlatAction: the built-in payload types are exactly the
// flat Action's client fields, so the histories that carry the flat Action
// read as before and no flat field is left outside every allow-list.
func TestRegistryCoversTheFlatAction(t *testing.T) {
	var taken []string
	for _, name := range ActionNames {
		s, ok := LookupAction(name)
		require.True(t, ok, name)
		if slices.Contains([]ActionName{ActHandOver, ActSetCollectionPlan, ActRecordAcceptance, ActSetForecast, ActResendOrder}, name) {
			// Newer than the flat fields: their payload travels in Action.Payload.
			require.False(t, s.Flat(), name)
			continue
		}
		require.True(t, s.Flat(), "%s: a built-in payload lies in the flat fields", name)
		taken = append(taken, s.fields...)
	}
	for f := range flatFields {
		if f == "payload" {
			continue
		}
		require.Contains(t, taken, f, "flat field %s belongs to no action's payload", f)
	}
	require.ElementsMatch(t, []string{"customer_min_discount", "customer_payment_terms", "owner_roles", "deadline_at", "today",
		"nonstandard_terms", "non_template", "payload"}, serverFields)
}

// TestRegistryTypedDecodeIsTheFlatAction: a request decoded into its payload
// type and converted is, to the byte, the flat action decoded as before: the
// workflow inputs and the Idempotency-Key digests do not change.
func TestRegistryTypedDecodeIsTheFlatAction(t *testing.T) {
	for _, body := range []string{
		`{"action":"submit_quote","lines":[{"sku":"A","quantity":2,"unit_price":"12.50"}],"discount":"85%","valid_until":"2026-12-31","reason":"r"}`,
		`{"action":"submit_quote","lines":[],"discount":null}`,
		`{"action":"accept_quote"}`,
		`{"action":"record_bid","result":"won","bid_no":"B"}`,
		`{"action":"submit_contract","contract_no":"HT","amount":"10","payment_terms":"NT30","template_id":"T"}`,
		`{"action":"place_order","kind":"custom","delivery_due":"2026-12-01","erp_order_no":"SO"}`,
		`{"action":"record_shipment","shipment_no":"S","shipped_on":"2026-11-01","carrier":"SF","final":true}`,
		`{"action":"record_invoice","invoice_no":"I","amount":"1","issued_on":"2026-11-01","due_on":"2026-12-01"}`,
		`{"action":"record_payment","payment_ref":"P","amount":"1","received_on":"2026-11-01","invoice_no":"I"}`,
		`{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`,
		`{"action":"mark_lost","reason":"gone"}`,
	} {
		var flat Action
		require.NoError(t, json.Unmarshal([]byte(body), &flat), body)
		s, ok := LookupAction(flat.Name)
		require.True(t, ok)
		typed, err := s.Decode([]byte(body), func(b []byte, v any) error {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			return dec.Decode(v)
		})
		require.NoError(t, err, body)
		want, _ := json.Marshal(flat)
		got, _ := json.Marshal(typed)
		require.JSONEq(t, string(want), string(got), body)
		require.Equal(t, string(want), string(got), "the same bytes, so the same digest")
	}
}

// TestResolveAndPeopleFromThePayload: the deadline and the people an action
// names come from its payload type's methods.
func TestResolveAndPeopleFromThePayload(t *testing.T) {
	q := validQuote
	q.Resolve(t0, cst)
	require.Equal(t, time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), q.DeadlineAt)
	require.Equal(t, DateOf(t0.In(cst)), q.Today)
	o := Action{Name: ActPlaceOrder, DeliveryDue: Date{Year: 2026, Month: 12, Day: 1}, DeadlineAt: t0}
	o.Resolve(t0, cst)
	require.Equal(t, time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC), o.DeadlineAt)
	s := Action{Name: ActRecordShipment, DeadlineAt: t0}
	s.Resolve(t0, cst)
	require.True(t, s.DeadlineAt.IsZero(), "a client's deadline is overwritten")
	require.Equal(t, map[string]string{"payment_owner": "wu"}, Action{Name: ActAssignOwners, PaymentOwner: "wu"}.People())
	require.Empty(t, Action{Name: ActMarkLost}.People())
	require.Empty(t, Action{Name: "sing"}.People())
	require.Equal(t, map[string]string{"delivery_owner": "x"}, Action{Name: "sing", DeliveryOwner: "x"}.People(),
		"an unknown action's people are checked as before")
}

func TestRegisterActionRefusesBrokenRows(t *testing.T) {
	ok := ActionSpec{Name: "reshape_x", Payload: NoPayload{}, Stages: []Stage{StageQuote},
		May: salesTeam, Apply: markLost}
	for name, mutate := range map[string]func(*ActionSpec){
		"duplicate":    func(s *ActionSpec) { s.Name = ActMarkLost },
		"no stages":    func(s *ActionSpec) { s.Stages = nil },
		"not a struct": func(s *ActionSpec) { s.Payload = "x" },
		"takes a server": func(s *ActionSpec) {
			s.Payload = struct {
				Today Date `json:"today"`
			}{}
		},
		"takes common": func(s *ActionSpec) {
			s.Payload = struct {
				Reason string `json:"reason"`
			}{}
		},
		"no apply or may": func(s *ActionSpec) { s.Apply = nil },
	} {
		s := ok
		mutate(&s)
		require.Panics(t, func() { RegisterAction(s) }, name)
	}
	remove := RegisterAction(ok)
	require.Contains(t, knownActions(), "reshape_x")
	remove()
	_, found := LookupAction("reshape_x")
	require.False(t, found)
	require.False(t, slices.Contains(registry.names, "reshape_x"))
}

// TestReviewPointsTable: each review point says which review is pending in
// its stage, and only there.
func TestReviewPointsTable(t *testing.T) {
	d := inContractReview(t)
	r, p := d.PendingReview()
	require.Same(t, &d.Contract.Review, r)
	require.Equal(t, StageContractReview, p.Stage)
	require.Equal(t, StageOrder, p.OnApproval)
	require.Equal(t, "contract_no", p.Subject(&d)[0].Name)
	require.Equal(t, d.Contract.Amount, p.Facts(&d).Amount)
	lost := apply(t, d, rep, Action{Name: ActMarkLost, Reason: "gone"})
	r, _ = lost.PendingReview()
	require.Nil(t, r, "a lost deal waits on no review, whatever its contract says")
	var stages []Stage
	for _, p := range ReviewPoints {
		stages = append(stages, p.Stage)
	}
	require.Equal(t, []Stage{StageQuote, StageContractReview, StageOrder}, stages)
}
