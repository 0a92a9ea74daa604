package activities

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
)

// A delivery's follow-up (issue 12): when the delivery owner is reminded,
// alerted and their manager told, on the company's working calendar, and the
// watch on the ERP's shipments of the order.

// Defaults of the delivery follow-up (L2C_DELIVERY_GRACE, L2C_SHIPMENT_POLL).
const (
	DefaultDeliveryGrace = 2 // working days after the promised day
	DefaultShipmentPoll  = 10 * time.Minute
)

// Deliveries plans deliveries' follow-ups.
type Deliveries struct {
	DB *database.DB
	// Calendar returns the company's working calendar (a *calendar.Calendar;
	// anything else, or nil, counts on mainland China's).
	Calendar func(ctx context.Context) (WorkingTime, error)
	// Grace is how many working days after the promised day the delivery
	// owner's manager is told (0: the next working day).
	Grace int
	// ShipmentPoll is how often the ERP is asked for an order's shipments;
	// ShipmentWait how long one watch lasts before it reports back (a day).
	ShipmentPoll, ShipmentWait time.Duration
	// WatchHeartbeat is how soon a watch whose worker died is taken up by
	// another (30 s).
	WatchHeartbeat time.Duration
}

// Workdays is what the follow-up needs of a calendar (*calendar.Calendar).
type Workdays interface {
	IsWorkday(d calendar.Date) bool
	Next(t time.Time) time.Time
	Location() *time.Location
}

func (a *Deliveries) calendar(ctx context.Context) (Workdays, error) {
	// A calendar that cannot count days (tests counting around the clock)
	// is stood in for by mainland China's.
	if a.Calendar != nil {
		c, err := a.Calendar(ctx)
		if err != nil {
			return nil, err
		}
		if w, ok := c.(Workdays); ok {
			return w, nil
		}
	}
	return calendar.China(), nil
}

// PlanDeliveryInput asks when the next step of a delivery's follow-up is due.
type PlanDeliveryInput struct {
	DealID   string
	Owner    string // the delivery owner
	Promised deal.Date
	Notice   deal.DeliveryNotice
	// Last is when the previous escalation was made (escalations only).
	Last time.Time
}

// PlanDeliveryResult says when, to whom (escalations: the owner's manager)
// and how the ERP's shipments are watched meanwhile.
type PlanDeliveryResult struct {
	At             time.Time
	Manager        string
	ShipmentPoll   time.Duration
	ShipmentWait   time.Duration
	WatchHeartbeat time.Duration
}

// PlanDelivery works out the next step: the reminder at the start of the
// working day ReminderWorkdays before the promised day; the alert at the
// start of the promised day (the last working day before it, if it is not
// one); the first escalation at the start of the working day after the
// grace that follows the promised day, and each further one a working day
// after the one before. An escalation goes to the delivery owner's manager,
// or to the sales managers when nobody is recorded as such.
func (a *Deliveries) PlanDelivery(ctx context.Context, in PlanDeliveryInput) (PlanDeliveryResult, error) {
	cal, err := a.calendar(ctx)
	if err != nil {
		return PlanDeliveryResult{}, err
	}
	out := PlanDeliveryResult{At: DeliveryNoticeAt(cal, a.Grace, in), ShipmentPoll: orDefault(a.ShipmentPoll, DefaultShipmentPoll),
		ShipmentWait: orDefault(a.ShipmentWait, 24*time.Hour), WatchHeartbeat: orDefault(a.WatchHeartbeat, 30*time.Second)}
	if in.Notice == deal.NoticeEscalation {
		managers, err := a.DB.Managers(ctx, []string{in.Owner})
		if err != nil {
			return PlanDeliveryResult{}, err
		}
		if out.Manager = managers[in.Owner]; out.Manager == "" {
			out.Manager = "role:sales_manager"
		}
	}
	return out, nil
}

// DeliveryNoticeAt is when the follow-up step in.Notice is due on cal,
// grace working days after the promised day for the first escalation (see
// PlanDelivery).
func DeliveryNoticeAt(cal Workdays, grace int, in PlanDeliveryInput) time.Time {
	loc := cal.Location()
	start := func(d calendar.Date) time.Time { return cal.Next(d.AddDays(-1).End(loc)) }
	var at time.Time
	switch in.Notice {
	case deal.NoticeReminder:
		d := in.Promised
		for n := 0; n < deal.ReminderWorkdays; {
			if d = d.AddDays(-1); cal.IsWorkday(d) {
				n++
			}
		}
		at = start(d)
	case deal.NoticeDueToday:
		d := in.Promised
		for i := 0; i < 60 && !cal.IsWorkday(d); i++ {
			d = d.AddDays(-1)
		}
		at = start(d)
	default:
		if in.Last.IsZero() {
			d := in.Promised
			for n := 0; n < grace; {
				if d = d.AddDays(1); cal.IsWorkday(d) {
					n++
				}
			}
			at = cal.Next(d.End(loc))
		} else {
			at = cal.Next(calendar.DateOf(in.Last.In(loc)).End(loc))
		}
	}
	return at.UTC().Truncate(time.Microsecond)
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// WatchShipmentsInput watches one sales order's deliveries in the ERP.
type WatchShipmentsInput struct {
	SalesOrder string
	// Known are the deliveries the deal has recorded already.
	Known []string
	// Failing says the deal shows the ERP as not answering: the watch then
	// reports the first read that works, so the deal can say so.
	Failing bool
	// Confirmed are the delivery days the deal holds as the ERP's confirmed
	// ones, by order line (zero: none); the watch reports other days.
	Confirmed []time.Time
	Poll      time.Duration
	Wait      time.Duration
}

// WatchShipmentsResult is what changed: deliveries the deal does not have,
// or the ERP starting or ending to fail (Failing, with the attempts so far
// and the last error).
type WatchShipmentsResult struct {
	Shipments []ShipmentRecord
	// Confirmed, when set, are the days the ERP now confirms, by line.
	Confirmed []time.Time
	Failing   bool
	Attempts  int
	LastError string
}

// watchFailures is how many reads in a row must fail before a watch says
// the ERP is not answering.
const watchFailures = 3

// WatchShipments asks the ERP for the order's deliveries every Poll until
// there is news: a delivery the deal does not know, the ERP failing
// watchFailures reads in a row (or, if Failing, answering again), or Wait
// passing. It heartbeats all along, so a watch whose worker dies is
// taken up by another, and the deal's history grows only with news.
func (a *ERP) WatchShipments(ctx context.Context, in WatchShipmentsInput) (WatchShipmentsResult, error) {
	conn, err := a.conn()
	if err != nil {
		return WatchShipmentsResult{}, err
	}
	// Beating throughout, reads included: a read that takes long on a slow
	// ERP must not look like a dead worker.
	defer beating(ctx)()
	poll := orDefault(in.Poll, DefaultShipmentPoll)
	until := time.Now().Add(orDefault(in.Wait, 24*time.Hour))
	fails := 0
	var lastErr error
	for {
		ships, err := conn.Shipments(ctx, in.SalesOrder)
		switch {
		case err == nil:
			var news []ShipmentRecord
			for _, s := range ships {
				if !s.ShippedOn.IsZero() && !slices.Contains(in.Known, s.Number) {
					news = append(news, ShipmentRecord{Number: s.Number, ShippedOn: s.ShippedOn, Final: s.Final})
				}
			}
			confirmed := a.confirmedChanged(ctx, in)
			if len(news) > 0 || in.Failing || confirmed != nil {
				return WatchShipmentsResult{Shipments: news, Confirmed: confirmed}, nil
			}
			fails = 0
		case errors.Is(err, connectors.ErrInvalid), errors.Is(err, connectors.ErrNotFound):
			return WatchShipmentsResult{}, erpError(err) // this ERP cannot say (an exchange folder), or lost the order
		case ctx.Err() != nil:
			return WatchShipmentsResult{}, ctx.Err()
		default:
			fails, lastErr = fails+1, err
			a.log().WarnContext(ctx, "shipments: the ERP did not answer", "order", in.SalesOrder, "attempt", fails, "err", err)
			if fails >= watchFailures && !in.Failing {
				return WatchShipmentsResult{Failing: true, Attempts: fails, LastError: err.Error()}, nil
			}
		}
		if !time.Now().Before(until) {
			res := WatchShipmentsResult{Failing: in.Failing}
			if lastErr != nil {
				res.Attempts, res.LastError = fails, lastErr.Error()
			}
			return res, nil
		}
		if err := sleep(ctx, poll); err != nil {
			return WatchShipmentsResult{}, err
		}
	}
}

// confirmedChanged returns the days the ERP confirms for the order's lines
// when they differ from those the deal holds; nil when they do not, or the
// ERP cannot say (a failed read is asked again at the next poll).
func (a *ERP) confirmedChanged(ctx context.Context, in WatchShipmentsInput) []time.Time {
	oc, ok := a.Conn.(connectors.OrderConfirmations)
	if !ok {
		return nil
	}
	days, err := oc.ConfirmedDates(ctx, in.SalesOrder)
	if err != nil {
		a.log().WarnContext(ctx, "confirmed dates: the ERP did not answer", "order", in.SalesOrder, "err", err)
		return nil
	}
	changed := false
	for i, d := range days {
		if !d.IsZero() && (i >= len(in.Confirmed) || !d.Equal(in.Confirmed[i])) {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return days
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// beating heartbeats every second until stopped, for an activity that makes
// one call that may be slow: the call is not taken for a dead worker however
// long the ERP takes, and a call whose worker died is retried elsewhere
// within the heartbeat timeout rather than the whole start-to-close.
func beating(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			activity.RecordHeartbeat(ctx)
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done) }
}
