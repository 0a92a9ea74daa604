package deal

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// erpOrdered is a deal that runs ERP orders with a stock order placed.
func erpOrdered(t *testing.T, erpNo string) Deal {
	t.Helper()
	d := apply(t, inContractReview(t), boss, Action{Name: ActApproveContract})
	d.ERPOrders = true
	return apply(t, d, rep, Action{Name: ActPlaceOrder, Kind: OrderStock, DeliveryDue: Date{Year: 2026, Month: 12, Day: 15}, ERPOrderNo: erpNo})
}

func TestERPOrderPlacedWaitsThenCreatedOnce(t *testing.T) {
	d := erpOrdered(t, "")
	require.Equal(t, StageDelivery, d.Stage)
	require.True(t, d.NeedsERPOrder())
	require.Equal(t, ERPOrderWaiting, d.Order.ERP.Status)
	require.NotEmpty(t, d.Order.Lines)
	for _, l := range d.Order.Lines {
		require.Equal(t, Date{Year: 2026, Month: 12, Day: 15}, l.Promised)
	}

	w, h, err := ERPWaitingFor(d, WaitOrder, 2, "HTTP 503", t0.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, "erp_waiting", h.Action)
	require.Equal(t, d.Order.ERP.Since, w.Order.ERP.Waiting.Since, "waiting since the order was placed")
	require.Nil(t, d.Order.ERP.Waiting, "the deal before is untouched")

	c, h, err := OrderCreatedInERP(w, "0000004711", t0.Add(2*time.Minute))
	require.NoError(t, err)
	require.Equal(t, "erp_order_created", h.Action)
	require.Equal(t, "0000004711", c.Order.ERPNumber)
	require.Nil(t, c.Order.ERP.Waiting)
	require.False(t, c.NeedsERPOrder())
	_, _, err = OrderCreatedInERP(c, "0000004712", t0.Add(3*time.Minute))
	require.Error(t, err, "a second answer changes nothing")
}

func TestERPOrderLinkedByAPerson(t *testing.T) {
	d := erpOrdered(t, "0000000042")
	require.Equal(t, ERPOrderLinked, d.Order.ERP.Status)
	require.False(t, d.NeedsERPOrder(), "a linked order is not created again")
}

func TestERPShipmentsAppliedOnceFinalMovesOn(t *testing.T) {
	d := erpOrdered(t, "0000000042")
	s1 := Shipment{Number: "8001", ShippedOn: Date{Year: 2026, Month: 11, Day: 2}}
	d, _, err := ShipmentFromERP(d, s1, t0)
	require.NoError(t, err)
	require.Equal(t, StageDelivery, d.Stage)
	_, _, err = ShipmentFromERP(d, s1, t0)
	require.ErrorIs(t, err, ErrAlreadyRecorded)
	d, h, err := ShipmentFromERP(d, Shipment{Number: "8002", ShippedOn: Date{Year: 2026, Month: 11, Day: 2}, Final: true}, t0)
	require.NoError(t, err)
	require.Equal(t, StagePaymentCollection, d.Stage)
	require.Equal(t, ERPActor, h.Actor)
	require.Len(t, d.Shipments, 2)
}

func TestDeliveryNoticesInTheirOrder(t *testing.T) {
	d := erpOrdered(t, "0000000042")
	require.Equal(t, NoticeReminder, d.NextDeliveryNotice())
	_, _, err := NoticeDelivery(d, NoticeEscalation, "li", t0)
	require.Error(t, err, "no escalation before the reminder and the alert")
	d, _, err = NoticeDelivery(d, NoticeReminder, "", t0)
	require.NoError(t, err)
	d, _, err = NoticeDelivery(d, NoticeDueToday, "", t0)
	require.NoError(t, err)
	for i := 1; i <= 2; i++ {
		var h HistoryEntry
		d, h, err = NoticeDelivery(d, NoticeEscalation, "li", t0)
		require.NoError(t, err)
		require.Equal(t, i, d.Order.FollowUp.Escalations)
		require.Equal(t, string(NoticeEscalation), h.Action)
	}
	n := Notices(d, d, HistoryEntry{Action: string(NoticeEscalation), Actor: SystemActor})
	require.Equal(t, "li", n[0].Recipient)
}
