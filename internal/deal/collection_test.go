package deal

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/collection"
)

func payloadAction(t *testing.T, name ActionName, payload any) Action {
	t.Helper()
	s, ok := LookupAction(name)
	require.True(t, ok)
	b, err := json.Marshal(payload)
	require.NoError(t, err)
	p := s.NewPayload()
	require.NoError(t, json.Unmarshal(b, p))
	a, err := s.Action(p, "")
	require.NoError(t, err)
	return a
}

func plan(bp ...int64) collection.Plan {
	var p collection.Plan
	for _, b := range bp {
		p.Instalments = append(p.Instalments, collection.Instalment{PercentBP: b, Trigger: collection.TriggerSigning,
			Due: collection.DueRule{Kind: collection.DueCalendarDays, Days: 10}})
	}
	return p
}

func TestCollectionPlanBeforeSigningOnly(t *testing.T) {
	d := inContractReview(t)
	set := func(p collection.Plan) Action {
		return payloadAction(t, ActSetCollectionPlan, SetCollectionPlanPayload{Plan: p})
	}
	de := refuse(t, d, rep, set(plan(3000, 6000, 500)), ErrInvalid)
	require.Equal(t, []string{"plan.instalments[2]"}, fields(de), "the plan must total the contract")
	refuse(t, d, do, set(plan(3000, 7000)), ErrForbidden)

	d = apply(t, d, rep, set(plan(3000, 6000, 1000)))
	require.Len(t, d.CollectionPlan.Instalments, 3)
	d = apply(t, d, asst, set(plan(5000, 5000)))
	require.Len(t, d.CollectionPlan.Instalments, 2, "editable until signed")

	signed := apply(t, d, boss, Action{Name: ActApproveContract})
	require.True(t, signed.Signed())
	refuse(t, signed, rep, set(plan(10000)), ErrWrongStage)
	events := signed.CollectionEvents()
	require.Equal(t, []collection.Event{{Trigger: collection.TriggerSigning, At: t0}}, events)
}

func TestCollectionAcceptance(t *testing.T) {
	d := apply(t, inContractReview(t), boss, Action{Name: ActApproveContract})
	d = apply(t, d, rep, Action{Name: ActPlaceOrder, Kind: OrderStock, DeliveryDue: Date{Year: 2026, Month: 12, Day: 15}})
	accept := func(on Date) Action {
		return payloadAction(t, ActRecordAcceptance, RecordAcceptancePayload{AcceptedOn: on, AcceptanceNo: "YS-1"})
	}
	today := Date{Year: 2026, Month: 11, Day: 2}
	require.Equal(t, []string{"accepted_on"}, fields(refuse(t, d, do, accept(today), ErrInvalid)), "nothing shipped")
	d = apply(t, d, do, Action{Name: ActRecordShipment, ShipmentNo: "S1", ShippedOn: today.AddDays(-3), Final: true})
	require.Equal(t, []string{"accepted_on"}, fields(refuse(t, d, do, accept(today.AddDays(1)), ErrInvalid)), "tomorrow")
	require.Equal(t, []string{"accepted_on"}, fields(refuse(t, d, do, accept(today.AddDays(-4)), ErrInvalid)), "before the shipment")
	refuse(t, d, fin, accept(today), ErrForbidden)
	d = apply(t, d, rep, accept(today))
	require.Equal(t, today, d.Acceptance.AcceptedOn)
	refuse(t, d, do, accept(today), ErrWrongStage)

	got := map[collection.Trigger]collection.Event{}
	for _, e := range d.CollectionEvents() {
		got[e.Trigger] = e
	}
	require.Equal(t, today.AddDays(-3), got[collection.TriggerShipment].On)
	require.Equal(t, today.AddDays(-3), got[collection.TriggerFinalDelivery].On)
	require.Equal(t, today, got[collection.TriggerAcceptance].On)
	require.Equal(t, t0, got[collection.TriggerOrder].At)
	require.NotContains(t, got, collection.TriggerInvoice)
}
