package e2e_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/workflows"
)

// trail is a deal's dunning steps as "day no step [told]".
func (s *scenario) trail() []string {
	events, _, err := s.db.CollectionTrail(context.Background(), s.deal.Deal.ID)
	assert.NoError(s.t, err)
	out := []string{}
	for _, e := range events {
		out = append(out, fmt.Sprintf("%s %d %s %v", e.On, e.No, e.Step, e.Told))
	}
	return out
}

func (s *scenario) held(customer string) string {
	held, since, err := s.db.CreditHeld(context.Background(), customer)
	assert.NoError(s.t, err)
	if !held {
		return "not held"
	}
	return "held since " + since.String()
}

func (s *scenario) ageing(on string) database.Ageing {
	a, err := s.db.ReceivablesAgeing(context.Background(), database.ViewerOf(fin), "customer", day(on), "", 100)
	assert.NoError(s.t, err)
	return a
}

func (s *scenario) forecast(on string, weeks int) database.Forecast {
	f, err := s.db.CollectionForecast(context.Background(), database.ViewerOf(s.rep), day(on), weeks)
	assert.NoError(s.t, err)
	return f
}

func instalmentLine(in database.Instalment) string {
	due, settled, next := "-", "-", "-"
	if in.DueOn != nil {
		due = in.DueOn.String()
	}
	if in.SettledOn != nil {
		settled = in.SettledOn.String()
	}
	if in.NextOn != nil {
		next = in.NextOn.String()
	}
	return fmt.Sprintf("%d %s due %s paid %s credited %s open %s settled %s step %q next %q on %s", in.No, in.Label, due,
		in.Paid, in.Credited, in.Open, settled, in.Step, in.NextStep, next)
}

func (s *scenario) lines() []string {
	var out []string
	for _, in := range s.plan().Instalments {
		out = append(out, instalmentLine(in))
	}
	return out
}

// dealNow is the deal as saved: its invoices and payments, one by one.
func (s *scenario) dealNow() deal.Deal {
	d, err := s.db.DealGet(context.Background(), s.deal.Deal.ID)
	assert.NoError(s.t, err)
	return d
}

// TestCollectionEndToEndWithTheERP: a 100,000.00 contract signed on Monday
// 2 March 2026 with a 30/60/10 plan (10% retention due 12 months after
// acceptance, 7.3% a year late), its invoices, payments and credit note
// issued in the ERP simulator and read by the ERP sync (SyncWorkflow), the
// deal's workflow applying what the sync tells it, the dunning tick
// (DunningWorkflow) at noon every day from 5 March to 30 June 2026, on the
// first of each month after and every day from 12 to 30 April 2027, the
// clock skipping from one to the next across the due dates, a week, a
// month and 12 months to the warranty's end. The advance is paid 69 days late, the delivery partly
// late and finished with a credit note; the ladder climbs to finance and
// the credit hold appears and goes; the payments arrive twice; the
// retention falls due at the warranty's end; ageing and forecast are read
// on the way.
//
// The ticks run every day, as the hourly schedule does; a day off takes no
// step, so a step whose day is a Monday is taken that Monday, the day the
// instalment shows as its next action's. On 15 April and 20 May an order of
// the customer's is checked as the deal's order check runs it
// (activities.Credit.CheckCredit): held for the dunning hold, then not.
func TestCollectionEndToEndWithTheERP(t *testing.T) {
	const so = "4500009001"
	s := newScenario(t, "C1001", rep, mustTime("2026-03-02 08:00"))
	s.sign(so)
	s.act("shipped", "2026-04-10", "10:00", deliver, deal.Action{Name: deal.ActRecordShipment, ShipmentNo: "S1",
		ShippedOn: day("2026-04-10"), Final: true})
	s.act("accepted", "2026-04-20", "10:00", deliver, payload(t, deal.ActRecordAcceptance,
		deal.RecordAcceptancePayload{AcceptedOn: day("2026-04-20")}))

	got := map[string]any{}
	snap := func(key string) func() {
		return func() { got[key] = append(append(s.lines(), s.trail()...), s.held("C1001")) }
	}
	var invA, invD1, invD2 string
	s.at("2026-03-02", "08:30", step{Sync: []string{"customers"}}, nil, nil)
	s.at("2026-03-02", "11:00", step{}, func() { invA = s.bill("C1001", so, 3000000) }, snap("signed"))
	s.at("2026-03-05", "12:00", step{Sync: []string{"invoices", "payments"}, Tick: true}, nil, func() {
		got["forecast 2026-03-05"] = s.forecast("2026-03-05", 4)
	})
	for _, on := range []string{"2026-03-06", "2026-03-07", "2026-03-09", "2026-03-12", "2026-03-19", "2026-04-13", "2026-04-14",
		"2026-05-07", "2026-05-10", "2026-05-11", "2026-05-16", "2026-05-18", "2026-06-11"} {
		s.at(on, "12:00", step{Tick: true}, nil, snap(on))
	}
	// Delivered in three lots, each billed: 20,000.00, 35,000.00, 5,000.00.
	s.at("2026-04-10", "11:00", step{Sync: []string{"invoices", "payments"}}, func() {
		invD1, invD2 = s.bill("C1001", so, 2000000), s.bill("C1001", so, 3500000)
		s.bill("C1001", so, 500000)
	}, nil)
	// Late: the advance and the first lot paid on 20 May (50,000.00).
	s.at("2026-05-20", "12:00", step{Sync: []string{"invoices", "payments"}, Tick: true},
		func() { s.clear(invA); s.clear(invD1) }, snap("2026-05-20"))
	// The same payments again: the ERP's payments read again from scratch and
	// every record the sync ever sent the deal sent once more.
	s.at("2026-05-21", "12:00", step{Sync: []string{"payments"}, Tick: true}, func() { got["sent again"] = s.again() }, func() {
		snap("2026-05-21")()
		got["payments 2026-05-21"] = len(s.dealNow().Payments)
		run, err := s.db.SyncRunGet(context.Background(), workflows.SyncWorkflowID("payments",
			workflows.SyncBucket(mustTime("2026-05-21 12:00"))))
		assert.NoError(t, err)
		got["resync 2026-05-21"] = fmt.Sprintf("read %d inserted %d updated %d unchanged %d", run.Read, run.Inserted,
			run.Updated, run.Unchanged)
	})
	// A new order of the customer's, checked as the deal's order check runs
	// it: the day after finance's step, and after the payment of 20 May.
	probe := func(key string) func() {
		return func() {
			c := &activities.Credit{DB: s.db, Location: shanghai}
			d, err := c.CheckCredit(context.Background(), activities.CheckCreditInput{DealID: "probe", Customer: "C1001",
				Amount: 100000, At: s.clock()})
			assert.NoError(t, err)
			var kinds []string
			for _, r := range d.Reasons {
				kinds = append(kinds, r.Kind+": "+r.Detail)
			}
			got[key] = kinds
		}
	}
	s.at("2026-04-15", "13:00", step{}, nil, probe("order 2026-04-15"))
	s.at("2026-05-20", "13:00", step{}, nil, probe("order 2026-05-20"))
	s.at("2026-05-25", "13:00", step{}, nil, func() { got["ageing 2026-05-25"] = s.ageing("2026-05-25") })
	// The third lot comes back: a credit note of 5,000.00.
	s.at("2026-06-01", "12:00", step{Sync: []string{"invoices", "payments"}, Tick: true},
		func() { s.bill("C1001", so, -500000) }, snap("2026-06-01"))
	// The second lot's 35,000.00 pays the delivery instalment off with the credit note.
	s.at("2026-06-10", "12:00", step{Sync: []string{"invoices", "payments"}, Tick: true},
		func() { s.clear(invD2) }, snap("2026-06-10"))
	s.at("2026-06-12", "13:00", step{}, nil, func() {
		got["ageing 2026-06-12"] = s.ageing("2026-06-12")
		got["forecast 2026-06-12"] = s.forecast("2026-06-12", 4)
		got["deal 2026-06-12"] = s.dealNow()
	})
	for _, on := range []string{"2027-04-14", "2027-04-15", "2027-04-19", "2027-04-20", "2027-04-27"} {
		s.at(on, "12:00", step{Tick: true}, nil, snap(on))
	}
	s.at("2027-04-12", "13:00", step{}, nil, func() { got["forecast 2027-04-12"] = s.forecast("2027-04-12", 8) })
	s.tickDaily("2026-03-05", "2026-06-30")
	for m := 7; m <= 15; m++ { // then monthly, then daily again around the warranty's end
		s.at(fmt.Sprintf("%d-%02d-01", 2026+(m-1)/12, (m-1)%12+1), "12:00", step{Tick: true}, nil, nil)
	}
	s.tickDaily("2027-04-12", "2027-04-30")
	s.run()

	const (
		unpaid  = "1 advance due 2026-03-12 paid 0.00 credited 0.00 open 30000.00 settled -"
		noDue   = "2 delivery due - paid 0.00 credited 0.00 open 60000.00 settled - step \"\" next \"\" on -"
		waiting = "3 retention due - paid 0.00 credited 0.00 open 10000.00 settled - step \"\" next \"\" on -"
		ret     = "3 retention due 2027-04-20 paid 0.00 credited 0.00 open 10000.00 settled -"
	)
	// Signed: the advance due ten days after signing; the delivery and the
	// retention have no due date until their trigger happens.
	require.Equal(t, []string{unpaid + ` step "" next "" on -`, noDue, waiting, "not held"}, got["signed"])
	require.Equal(t, []string{unpaid + ` step "" next "reminder" on 2026-03-09`, noDue, waiting, "not held"}, got["2026-03-06"])
	// The reminder three working days before due (Monday 9 March): not on
	// the Saturday before, on the Monday.
	require.Equal(t, got["2026-03-06"], got["2026-03-07"], "a day off takes no step")
	require.Equal(t, []string{unpaid + ` step "reminder" next "due" on 2026-03-12`, noDue, waiting,
		"2026-03-09 1 reminder [wu]", "not held"}, got["2026-03-09"])
	require.Equal(t, []string{unpaid + ` step "due" next "manager" on 2026-03-19`, noDue, waiting,
		"2026-03-09 1 reminder [wu]", "2026-03-12 1 due [wu]", "not held"}, got["2026-03-12"])
	// A working week late: the owner's manager.
	require.Equal(t, []string{unpaid + ` step "manager" next "finance" on 2026-04-14`, noDue, waiting,
		"2026-03-09 1 reminder [wu]", "2026-03-12 1 due [wu]", "2026-03-19 1 manager [wu li]", "not held"}, got["2026-03-19"])
	// Finance and the credit hold 22 working days after due, past Qingming
	// (4-6 April): not on the Monday before.
	require.Equal(t, "not held", last(got["2026-04-13"]))
	early := []string{"2026-03-09 1 reminder [wu]", "2026-03-12 1 due [wu]", "2026-03-19 1 manager [wu li]",
		"2026-04-14 1 finance [wu li role:finance]"}
	require.Equal(t, append(append([]string{unpaid + ` step "finance" next "letter" on 2026-05-18`,
		"2 delivery due 2026-05-10 paid 0.00 credited 0.00 open 60000.00 settled - step \"\" next \"reminder\" on 2026-05-07", waiting},
		early...), "held since 2026-04-14"), got["2026-04-14"])
	// The delivery's due date: 30 days after the final shipment; the
	// retention's: 12 months after acceptance.
	require.Equal(t, append(append([]string{unpaid + ` step "finance" next "letter" on 2026-05-18`,
		"2 delivery due 2026-05-10 paid 0.00 credited 0.00 open 60000.00 settled - step \"reminder\" next \"due\" on 2026-05-11",
		ret + ` step "" next "reminder" on 2027-04-15`}, early...), "2026-05-07 2 reminder [wu]", "held since 2026-04-14"), got["2026-05-07"])
	require.Equal(t, got["2026-05-07"], got["2026-05-10"], "due on a Sunday: its due step on the Monday")
	require.Contains(t, got["2026-05-11"], "2026-05-11 2 due [wu]")
	// Two months late, a letter (to the owner, finance and the rep); the
	// delivery a week late, the manager.
	// Not on the Saturday before: on Monday 18 May, the day both showed.
	require.NotContains(t, got["2026-05-16"], "2026-05-16 1 letter [wu role:finance wang]")
	mid := append(slices.Clone(early), "2026-05-07 2 reminder [wu]", "2026-05-11 2 due [wu]",
		"2026-05-18 1 letter [wu role:finance wang]", "2026-05-18 2 manager [wu li]")
	require.Equal(t, append(append([]string{unpaid + ` step "letter" next "" on -`,
		"2 delivery due 2026-05-10 paid 0.00 credited 0.00 open 60000.00 settled - step \"manager\" next \"finance\" on 2026-06-10",
		ret + ` step "" next "reminder" on 2027-04-15`}, mid...), "held since 2026-04-14"), got["2026-05-18"])
	// Paid on 20 May, 50,000.00: the advance settled and 20,000.00 of the
	// delivery; the hold ends with the advance.
	paidLate := "1 advance due 2026-03-12 paid 30000.00 credited 0.00 open 0.00 settled 2026-05-20 step \"letter\" next \"\" on -"
	partly := "2 delivery due 2026-05-10 paid 20000.00 credited 0.00 open 40000.00 settled - step \"manager\" next \"finance\" on 2026-06-10"
	require.Equal(t, append(append([]string{paidLate, partly, ret + ` step "" next "reminder" on 2027-04-15`}, mid...), "not held"),
		got["2026-05-20"])
	// The dunning hold holds a new order of the customer's while it lasts.
	require.Equal(t, []string{"dunning_hold: the dunning ladder holds the customer's new orders since 2026-04-14"},
		got["order 2026-04-15"])
	require.Empty(t, got["order 2026-05-20"], "the hold ended with the advance: a new order goes on")
	// Arriving twice changes nothing: the sync reads both again and finds
	// them unchanged, the deal hears them again and keeps one of each.
	require.Equal(t, got["2026-05-20"], got["2026-05-21"])
	require.Equal(t, "read 2 inserted 0 updated 0 unchanged 2", got["resync 2026-05-21"], "the checkpoint gone, read again, nothing new")
	// Eight sent before: the four invoices, the two cleared on 20 May once
	// more (clearing changed them in the ERP), and the two payments.
	require.Equal(t, 8, got["sent again"])
	require.Equal(t, 2, got["payments 2026-05-21"])
	require.Equal(t, append(append([]string{paidLate,
		"2 delivery due 2026-05-10 paid 20000.00 credited 5000.00 open 35000.00 settled - step \"manager\" next \"finance\" on 2026-06-10",
		ret + ` step "" next "reminder" on 2027-04-15`}, mid...), "not held"), got["2026-06-01"])
	// Paid off on 10 June with the credit note, before finance's step.
	done := "2 delivery due 2026-05-10 paid 55000.00 credited 5000.00 open 0.00 settled 2026-06-10 step \"manager\" next \"finance\" on 2026-06-10"
	require.Equal(t, append(append([]string{paidLate, done, ret + ` step "" next "reminder" on 2027-04-15`}, mid...), "not held"),
		got["2026-06-10"])
	require.Equal(t, got["2026-06-10"], got["2026-06-11"])
	d := got["deal 2026-06-12"].(deal.Deal)
	require.Len(t, d.Invoices, 5)
	require.Len(t, d.Payments, 3)
	require.Equal(t, money.Amount(8500000), d.Paid())
	var refused int
	require.NoError(t, s.raw.QueryRow(context.Background(), `SELECT count(*) FROM erp_record_refusals WHERE deal_id = $1`,
		s.deal.Deal.ID).Scan(&refused))
	require.Zero(t, refused, "every record the deal heard, again or not, is the ERP's as l2c holds it")

	// Twelve months on: the retention waits with no step until three working
	// days before the warranty ends, is due on 20 April 2027, and a working
	// week later goes to the manager.
	require.Equal(t, append(append([]string{paidLate, done, ret + ` step "" next "reminder" on 2027-04-15`}, mid...), "not held"),
		got["2027-04-14"])
	require.Equal(t, append(append([]string{paidLate, done, ret + ` step "reminder" next "due" on 2027-04-20`}, mid...),
		"2027-04-15 3 reminder [wu]", "not held"), got["2027-04-15"])
	require.Equal(t, got["2027-04-15"], got["2027-04-19"], "not due before the warranty ends")
	require.Equal(t, append(append([]string{paidLate, done, ret + ` step "due" next "manager" on 2027-04-27`}, mid...),
		"2027-04-15 3 reminder [wu]", "2027-04-20 3 due [wu]", "not held"), got["2027-04-20"])
	require.Equal(t, append(append([]string{paidLate, done, ret + ` step "manager" next "finance" on 2027-05-20`}, mid...),
		"2027-04-15 3 reminder [wu]", "2027-04-20 3 due [wu]", "2027-04-27 3 manager [wu li]", "not held"), got["2027-04-27"])

	// Interest at 7.3% a year as of 30 June 2026: the advance, 30,000.00 for
	// 69 days at 6.00 a day; the delivery, 10 days on 60,000.00 (12.00),
	// then, after the partial payment, 12 days on 40,000.00 (8.00) to the
	// credit note and 9 days on 35,000.00 (7.00) until paid off.
	p := s.plan()
	asOf := day("2026-06-30")
	advance, delivery := p.Instalments[0], p.Instalments[1]
	require.Equal(t, money.Amount(41400), collection.Interest(advance.Amount, *advance.DueOn, advance.Applied, asOf, 730))
	require.Equal(t, money.Amount(12000+9600+6300), collection.Interest(delivery.Amount, *delivery.DueOn, delivery.Applied, asOf, 730))

	// Ageing over the ERP's open items of the customer (the simulator's
	// invoices fall due 30 days after billing): on 25 May the second and
	// third lots, 15 days late; on 12 June the third lot 33 days late and
	// the credit note (due 1 July) current.
	type line = map[collection.Bucket]money.Amount
	a := got["ageing 2026-05-25"].(database.Ageing)
	require.Len(t, a.Rows, 1)
	require.Equal(t, "C1001", a.Rows[0].Key)
	require.Equal(t, line{"current": 0, "1_30": 4000000, "31_60": 0, "61_90": 0, "90_plus": 0}, a.Rows[0].Buckets)
	require.Equal(t, int64(2), a.Rows[0].Items)
	a = got["ageing 2026-06-12"].(database.Ageing)
	require.Equal(t, line{"current": -500000, "1_30": 0, "31_60": 500000, "61_90": 0, "90_plus": 0}, a.Rows[0].Buckets)
	require.Equal(t, money.Amount(0), a.Rows[0].Total)
	require.Equal(t, int64(2), a.Rows[0].Items)
	// The forecast (the rep's, live): before any payment the advance is
	// expected in its due week; in June only the retention is left, later
	// than four weeks; in April 2027 it is expected 32 days after its due
	// date, the customer's days late weighted by amount over the year
	// (49 days on 30,000.00, 10 on 20,000.00, 31 on 35,000.00): Saturday 22
	// May 2027, in the week of Monday 17 May.
	require.Equal(t, []database.ForecastWeek{{Week: day("2026-03-09"), Currency: "CNY", Expected: 3000000, Items: 1}},
		got["forecast 2026-03-05"].(database.Forecast).Weeks)
	f := got["forecast 2026-06-12"].(database.Forecast)
	require.Empty(t, f.Weeks)
	require.Equal(t, []database.ForecastWeek{{Week: day("2026-07-06"), Currency: "CNY", Expected: 1000000, Items: 1}}, f.Later)
	f = got["forecast 2027-04-12"].(database.Forecast)
	require.Equal(t, []database.ForecastWeek{{Week: day("2027-05-17"), Currency: "CNY", Expected: 1000000, Items: 1}}, f.Weeks)
	require.Empty(t, f.Later)

	// Whom the steps told, in their day's digest: the manager's step in li's
	// (the package's other scenarios tick that day too: one digest each).
	digests, err := s.db.DunningDigestsOf(context.Background(), "li", time.Date(2026, 3, 19, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.NotEmpty(t, digests)
	for _, d := range digests {
		require.Contains(t, d.Body, "- manager: ")
	}
	// Finance's step in finance's digest, the day the hold appeared.
	digests, err = s.db.DunningDigestsOf(context.Background(), "role:finance", time.Date(2026, 4, 14, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.NotEmpty(t, digests)
	require.Contains(t, digests[0].Body, "- finance: ")
}

func last(v any) string {
	l := v.([]string)
	return l[len(l)-1]
}
