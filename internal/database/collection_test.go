package database_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/testenv/must"
)

// collectionDeal drives a deal with pure rules and saves every transition,
// as the deal workflow's SaveDeal does, at the day the test says.
type collectionDeal struct {
	t  *testing.T
	db *database.DB
	d  deal.Deal
}

// testChain is the audit key the package's other tests append with, so the
// trail they verify stays one chain.
var testChain, _ = audit.NewChain([]byte("a test key of enough length"))

var (
	collRep  = identity.User{ID: "wang", Roles: []identity.Role{identity.RoleSales}}
	collBoss = identity.User{ID: "li", Roles: []identity.Role{identity.RoleSalesManager}}
	collDO   = identity.User{ID: "zhou", Roles: []identity.Role{identity.RoleDelivery}}
	collFin  = identity.User{ID: "sun", Roles: []identity.Role{identity.RoleFinance}}
)

func collectionSetup(t testing.TB) *database.DB {
	db := setup(t)
	ctx := context.Background()
	for _, u := range []struct {
		id, manager string
		role        identity.Role
	}{{"zhou", "", identity.RoleDelivery}, {"sun", "", identity.RoleFinance}, {"wu", "li", identity.RoleCollector}} {
		require.NoError(t, db.UserUpsert(ctx, identity.User{ID: u.id, Name: u.id, Roles: []identity.Role{u.role}}, u.manager, ""))
	}
	return db
}

// collectionConn is collectionSetup's database and a connection of its own
// to it (for COPY and statements the DB does not offer).
func collectionConn(t testing.TB) (*database.DB, *pgx.Conn) {
	return collectionSetup(t), testenv.Conn(t, testenv.DatabaseURL(t))
}

func (c *collectionDeal) act(on string, by identity.User, a deal.Action) {
	c.t.Helper()
	now := collDay(on).End(time.UTC).Add(-12 * time.Hour) // noon UTC: the same day in Shanghai
	a.Resolve(now, time.UTC)
	next, h, err := deal.Apply(c.d, by, a, now)
	require.NoError(c.t, err)
	_, err = c.db.DealSave(context.Background(), next, h, nil)
	require.NoError(c.t, err)
	c.d = next
}

// erp records an invoice (a negative one is a credit note) or a payment the
// ERP sync reported, as the deal workflow does.
func (c *collectionDeal) erp(on string, inv *deal.Invoice, pay *deal.Payment) error {
	c.t.Helper()
	next, h, err := deal.RecordFromERP(c.d, inv, pay, collDay(on).End(time.UTC).Add(-12*time.Hour))
	if err != nil {
		return err
	}
	_, err = c.db.DealSave(context.Background(), next, h, nil)
	require.NoError(c.t, err)
	c.d = next
	return nil
}

func (c *collectionDeal) paid(on, ref, amount string) {
	c.t.Helper()
	require.NoError(c.t, c.erp(on, nil, &deal.Payment{Reference: ref, Amount: *collAmount(amount), ReceivedOn: collDay(on)}))
}

func (c *collectionDeal) withPayload(on string, by identity.User, name deal.ActionName, payload any) {
	c.t.Helper()
	s, _ := deal.LookupAction(name)
	b, err := json.Marshal(payload)
	require.NoError(c.t, err)
	p := s.NewPayload()
	require.NoError(c.t, json.Unmarshal(b, p))
	a, err := s.Action(p, "")
	require.NoError(c.t, err)
	c.act(on, by, a)
}

// collDay and collAmount read the days and amounts the tests write.
var collDay, collAmount = must.Date, must.Amount

// plan306010 is 30% ten days after signing, 60% 30 days after final
// delivery, 10% retention 12 months after acceptance; 7.3% a year late.
var plan306010 = collection.Plan{InterestBP: 730, Instalments: []collection.Instalment{
	{Label: "advance", PercentBP: 3000, Trigger: collection.TriggerSigning, Due: collection.DueRule{Kind: collection.DueCalendarDays, Days: 10}},
	{Label: "delivery", PercentBP: 6000, Trigger: collection.TriggerFinalDelivery, Due: collection.DueRule{Kind: collection.DueCalendarDays, Days: 30}},
	{Label: "retention", PercentBP: 1000, Trigger: collection.TriggerWarrantyEnd, WarrantyMonths: 12, Due: collection.DueRule{Kind: collection.DueCalendarDays}},
}}

// signedDeal opens a deal for customer, signs a 100,000.00 contract with the
// 30/60/10 plan on 2026-03-02 (a Monday) and names wu its payment owner.
// dunningTicker ticks the ladder on a day ("2026-03-12") on cal, failing
// the test on an error.
func dunningTicker(t *testing.T, db *database.DB, cal *calendar.Calendar) func(on string) database.TickResult {
	return func(on string) database.TickResult {
		t.Helper()
		r, err := db.DunningTick(context.Background(), collDay(on), cal, testChain)
		require.NoError(t, err)
		return r
	}
}

// dunningSteps is deal id's dunning trail as "day step" lines.
func dunningSteps(t *testing.T, db *database.DB, id string) []string {
	t.Helper()
	events, _, err := db.CollectionTrail(context.Background(), id)
	require.NoError(t, err)
	var out []string
	for _, e := range events {
		out = append(out, e.On.String()+" "+e.Step)
	}
	return out
}

func signedDeal(t *testing.T, db *database.DB, customer string) *collectionDeal {
	return signedDealOf(t, db, customer, collRep)
}

// signedDealOf is signedDeal sold by rep.
func signedDealOf(t *testing.T, db *database.DB, customer string, rep identity.User) *collectionDeal {
	ctx := context.Background()
	id, err := db.DealNextID(ctx)
	require.NoError(t, err)
	start := collDay("2026-03-02").End(time.UTC).Add(-12 * time.Hour)
	d, h, err := deal.Open(id, deal.Opening{Title: "Spindles", Customer: deal.Customer{Code: customer, Name: customer},
		Owners: deal.Owners{Delivery: "zhou", Payment: "wu"}}, rep, start)
	require.NoError(t, err)
	_, err = db.DealSave(ctx, d, h, nil)
	require.NoError(t, err)
	c := &collectionDeal{t: t, db: db, d: d}
	c.act("2026-03-02", rep, deal.Action{Name: deal.ActSubmitQuote, Lines: []deal.QuoteLine{{SKU: "A", Quantity: 1, UnitPrice: 10000000}},
		ValidUntil: collDay("2026-04-30")})
	c.act("2026-03-02", rep, deal.Action{Name: deal.ActAcceptQuote})
	c.act("2026-03-02", rep, deal.Action{Name: deal.ActSubmitContract, ContractNo: "HT-" + id, Amount: collAmount("100000.00")})
	c.withPayload("2026-03-02", rep, deal.ActSetCollectionPlan, deal.SetCollectionPlanPayload{Plan: plan306010})
	c.act("2026-03-02", collBoss, deal.Action{Name: deal.ActApproveContract})
	return c
}

func TestCollectionPlanFollowsTheDeal(t *testing.T) {
	ctx := context.Background()
	db := collectionSetup(t)
	c := signedDeal(t, db, "C-PLAN")

	p, err := db.CollectionPlanGet(ctx, c.d.ID)
	require.NoError(t, err)
	require.Equal(t, database.PlanSigned, p.Status)
	require.Len(t, p.Instalments, 3)
	advance, delivery, retention := p.Instalments[0], p.Instalments[1], p.Instalments[2]
	require.Equal(t, money.Amount(3000000), advance.Amount)
	require.Equal(t, collDay("2026-03-12"), *advance.DueOn, "ten days after signing")
	require.Nil(t, delivery.DueOn, "no due date before the final delivery: not guessed at signing")
	require.Nil(t, retention.DueOn)

	c.act("2026-03-05", collRep, deal.Action{Name: deal.ActPlaceOrder, Kind: deal.OrderStock, DeliveryDue: collDay("2026-04-30")})
	c.act("2026-04-10", collDO, deal.Action{Name: deal.ActRecordShipment, ShipmentNo: "S1", ShippedOn: collDay("2026-04-10"), Final: true})
	c.withPayload("2026-04-20", collDO, deal.ActRecordAcceptance, deal.RecordAcceptancePayload{AcceptedOn: collDay("2026-04-20")})
	require.NoError(t, c.erp("2026-04-20", &deal.Invoice{Number: "INV-1", Amount: 10000000, IssuedOn: collDay("2026-04-20"),
		DueOn: collDay("2026-05-20")}, nil))
	// One payment of 50,000.00, late, covers the advance and part of the
	// delivery; reported twice by the ERP, it is applied once.
	c.paid("2026-05-20", "BANK-1", "50000.00")
	require.ErrorIs(t, c.erp("2026-05-21", nil, &deal.Payment{Reference: "BANK-1", Amount: 5000000, ReceivedOn: collDay("2026-05-20")}),
		deal.ErrAlreadyRecorded)
	// A credit note of 5,000.00 (goods returned) reduces what is owed.
	require.NoError(t, c.erp("2026-06-01", &deal.Invoice{Number: "CN-1", Amount: -500000, IssuedOn: collDay("2026-06-01"),
		DueOn: collDay("2026-06-01")}, nil))
	c.paid("2026-06-10", "BANK-2", "35000.00")

	p, err = db.CollectionPlanGet(ctx, c.d.ID)
	require.NoError(t, err)
	advance, delivery, retention = p.Instalments[0], p.Instalments[1], p.Instalments[2]
	require.Equal(t, collDay("2026-05-10"), *delivery.DueOn, "30 days after the final delivery")
	require.Equal(t, collDay("2027-04-20"), *retention.DueOn, "retention: 12 months after acceptance")
	require.Equal(t, money.Amount(0), advance.Open)
	require.Equal(t, collDay("2026-05-20"), *advance.SettledOn)
	require.Equal(t, money.Amount(5500000), delivery.Paid)
	require.Equal(t, money.Amount(500000), delivery.Credited)
	require.Equal(t, collDay("2026-06-10"), *delivery.SettledOn, "paid off with the credit note")
	require.Equal(t, money.Amount(1000000), retention.Open, "retention waits for the warranty")

	// Interest on the advance: 30,000.00 from 12 March to 20 May (69 days)
	// at 7.3% a year is 6.00 a day.
	asOf := collDay("2026-06-30")
	require.Equal(t, money.Amount(41400), collection.Interest(advance.Amount, *advance.DueOn, advance.Applied, asOf, 730))
	// The delivery instalment, partly paid on 20 May: 10 days late on
	// 60,000.00 (12.00 a day), 12 days on 40,000.00 (8.00) to the credit
	// note, then 9 days on 35,000.00 (7.00) until paid off.
	require.Equal(t, money.Amount(12000+9600+6300), collection.Interest(delivery.Amount, *delivery.DueOn, delivery.Applied, asOf, 730))
}

func TestCollectionDunningClimbsToFinanceAndHolds(t *testing.T) {
	ctx := context.Background()
	db := collectionSetup(t)
	cal := calendar.China()
	c := signedDeal(t, db, "C-DUN") // advance of 30,000.00 due Thursday 12 March 2026
	tick := dunningTicker(t, db, cal)
	steps := func() []string { return dunningSteps(t, db, c.d.ID) }
	instalment := func() database.Instalment {
		p, err := db.CollectionPlanGet(ctx, c.d.ID)
		require.NoError(t, err)
		return p.Instalments[0]
	}

	tick("2026-03-06") // Friday: 4 working days before due
	require.Empty(t, steps())
	require.Equal(t, "reminder", instalment().NextStep)
	require.Equal(t, collDay("2026-03-09"), *instalment().NextOn, "three working days before due")
	tick("2026-03-09")
	tick("2026-03-09") // twice the same day: nothing more
	require.Equal(t, []string{"2026-03-09 reminder"}, steps())
	tick("2026-03-12")
	tick("2026-03-19") // five working days late
	require.Equal(t, []string{"2026-03-09 reminder", "2026-03-12 due", "2026-03-19 manager"}, steps())
	in := instalment()
	require.Equal(t, "manager", in.Step)
	require.Equal(t, "finance", in.NextStep)
	require.Equal(t, collDay("2026-04-14"), *in.NextOn, "22 working days after due, skipping Qingming (4–6 April)")
	held, _, err := db.CreditHeld(ctx, "C-DUN")
	require.NoError(t, err)
	require.False(t, held)

	r := tick("2026-04-14")
	require.Equal(t, int64(1), r.HoldsAdded)
	held, since, err := db.CreditHeld(ctx, "C-DUN")
	require.NoError(t, err)
	require.True(t, held, "finance's step flags the customer's new orders")
	require.Equal(t, collDay("2026-04-14"), since)
	// Every step on the trail with whom it told; each person told once a
	// day, in a digest of the steps that named them that day.
	events, _, err := db.CollectionTrail(ctx, c.d.ID)
	require.NoError(t, err)
	told := map[string][]string{}
	for _, e := range events {
		told[e.Step] = e.Told
	}
	require.Equal(t, map[string][]string{"reminder": {"wu"}, "due": {"wu"}, "manager": {"wu", "li"}, // the owner's manager
		"finance": {"wu", "li", "role:finance"}}, told)
	page, err := db.DunningTold(ctx, c.d.ID)
	require.NoError(t, err)
	require.Equal(t, map[string][]string{"1/reminder": {"wu"}, "1/due": {"wu"}, "1/manager": {"wu", "li"},
		"1/finance": {"wu", "li", "role:finance"}}, page, "the deal page reads the same")
	for who, body := range map[string]string{
		"wu":           "- finance: ",
		"li":           "- finance: ",
		"role:finance": "- finance: ",
	} {
		digests, err := db.DunningDigestsOf(ctx, who, pgDay(collDay("2026-04-14")))
		require.NoError(t, err, who)
		require.Len(t, digests, 1, "%s: one digest that day", who)
		require.Contains(t, digests[0].Subject, "Collection 2026-04-14: ")
		require.Contains(t, digests[0].Body, body, who)
		require.Empty(t, digests[0].DealID, "a digest is of many deals")
	}
	digests, err := db.DunningDigestsOf(ctx, "li", pgDay(collDay("2026-03-19")))
	require.NoError(t, err)
	require.Len(t, digests, 1)
	require.Contains(t, digests[0].Body, "- manager: ")
	require.NotContains(t, digests[0].Body, "/collection/dunning", "a sales manager cannot open the queue")
	digests, err = db.DunningDigestsOf(ctx, "wu", pgDay(collDay("2026-03-19")))
	require.NoError(t, err)
	require.Contains(t, digests[0].Body, "open the dunning queue: /collection/dunning", "a collector can")
	_, err = db.NotificationByKey(ctx, "dunning/"+c.d.ID+"/1/manager/li")
	require.ErrorIs(t, err, database.ErrNotFound, "no notification per instalment")

	// Paid in full: the hold ends at the next tick.
	c.paid("2026-04-14", "BANK-9", "30000.00")
	r = tick("2026-04-15")
	require.Equal(t, int64(1), r.HoldsCleared)
	held, _, err = db.CreditHeld(ctx, "C-DUN")
	require.NoError(t, err)
	require.False(t, held)
}

func TestCollectionBrokenPromiseEscalatesAtOnce(t *testing.T) {
	ctx := context.Background()
	db := collectionSetup(t)
	cal := calendar.China()
	c := signedDeal(t, db, "C-PROM") // 30,000.00 due 12 March
	_, err := db.DunningTick(ctx, collDay("2026-03-12"), cal, testChain)
	require.NoError(t, err)
	_, err = db.PromiseAdd(ctx, database.Promise{DealID: c.d.ID, No: 1, PromisedOn: collDay("2026-03-16"),
		Amount: 3000000, RecordedBy: "wu"})
	require.NoError(t, err)
	r, err := db.DunningTick(ctx, collDay("2026-03-16"), cal, testChain)
	require.NoError(t, err)
	require.Zero(t, r.BrokenPromises, "the promised day itself is still in time")
	// Half paid: not what was promised.
	c.paid("2026-03-16", "BANK-P", "15000.00")
	r, err = db.DunningTick(ctx, collDay("2026-03-17"), cal, testChain) // 3 working days late: lateness alone says "due"
	require.NoError(t, err)
	require.Equal(t, int64(1), r.BrokenPromises)
	events, promises, err := db.CollectionTrail(ctx, c.d.ID)
	require.NoError(t, err)
	require.Equal(t, "broken", promises[0].Status)
	last := events[len(events)-1]
	require.Equal(t, "manager", last.Step, "a broken promise climbs at once")
	require.Equal(t, "promise to pay by 2026-03-16 broken", last.Why)
	require.Equal(t, money.Amount(1500000), last.Outstanding)
	// Rare and urgent: told at once, each person on their own, not in a digest.
	require.Equal(t, []string{"wu", "li"}, last.Told)
	for _, who := range last.Told {
		n, err := db.NotificationByKey(ctx, "dunning/"+c.d.ID+"/1/manager/"+who)
		require.NoError(t, err, who)
		require.Equal(t, "Collection manager: "+c.d.ID+" instalment 1", n.Subject)
		require.Contains(t, n.Body, "a promise to pay was broken")
		require.Equal(t, c.d.ID, n.DealID)
		digests, err := db.DunningDigestsOf(ctx, who, pgDay(collDay("2026-03-17")))
		require.NoError(t, err)
		for _, d := range digests {
			require.NotContains(t, d.Body, "- manager:", "%s: the broken promise is not in the day's digest", who)
		}
	}
}

// TestCollectionAgeingAndForecastKnownData: the ERP's open items of two
// customers of one rep (one item a credit note, one paid off, one partly)
// and a customer l2c does not know, as of 30 June 2026.
func TestCollectionAgeingAndForecastKnownData(t *testing.T) {
	ctx := context.Background()
	db := collectionSetup(t)
	testenv.AgeingKnownData(t, db)

	asOf := collDay("2026-06-30")
	rep := database.ViewerOf(identity.User{ID: "agerep", Roles: []identity.Role{identity.RoleSales}})
	a, err := db.ReceivablesAgeing(ctx, rep, "customer", asOf, "", 100)
	require.NoError(t, err)
	type line = map[collection.Bucket]money.Amount
	require.Len(t, a.Rows, 2, "a rep sees their own customers only")
	require.Equal(t, "AG1", a.Rows[0].Key)
	require.Equal(t, "Ageing One", a.Rows[0].Name)
	require.Equal(t, line{"current": 90000, "1_30": 30000, "31_60": 0, "61_90": 0, "90_plus": 0}, a.Rows[0].Buckets)
	require.Equal(t, line{"current": 0, "1_30": 0, "31_60": 200000, "61_90": 0, "90_plus": 70000}, a.Rows[1].Buckets)
	require.Equal(t, money.Amount(390000), a.Totals[0].Total)
	require.Equal(t, int64(5), a.Totals[0].Items)

	page, err := db.ReceivablesAgeing(ctx, rep, "customer", asOf, "", 1)
	require.NoError(t, err)
	require.Equal(t, "AG1", page.Next)
	page, err = db.ReceivablesAgeing(ctx, rep, "customer", asOf, page.Next, 1)
	require.NoError(t, err)
	require.Equal(t, "AG2", page.Rows[0].Key)

	office, err := db.ReceivablesAgeing(ctx, rep, "office", asOf, "", 100)
	require.NoError(t, err)
	require.Equal(t, "north", office.Rows[0].Key)
	require.Equal(t, money.Amount(390000), office.Rows[0].Total)

	// Finance sees everything, the unknown customer's invoice included,
	// from the summary the tick rebuilds.
	fin := database.ViewerOf(collFin)
	live, err := db.ReceivablesAgeing(ctx, fin, "customer", asOf, "AG2", 1)
	require.NoError(t, err)
	require.Equal(t, "AG3", live.Rows[0].Key)
	require.Equal(t, line{"current": 0, "1_30": 40000, "31_60": 0, "61_90": 0, "90_plus": 0}, live.Rows[0].Buckets)
	require.NoError(t, db.CollectionSummariesRefresh(ctx, asOf))
	owners, err := db.ReceivablesAgeing(ctx, fin, "owner", asOf, "", 100)
	require.NoError(t, err)
	require.NotNil(t, owners.RefreshedAt)
	var mine *database.AgeingRow
	for i := range owners.Rows {
		if owners.Rows[i].Key == "agerep" {
			mine = &owners.Rows[i]
		}
	}
	require.NotNil(t, mine)
	require.Equal(t, line{"current": 90000, "1_30": 30000, "31_60": 200000, "61_90": 0, "90_plus": 70000}, mine.Buckets)

	// The forecast: a plan of AG1's (paying 10 days late on average: both
	// payments above were) expects the advance due 12 March ten days later,
	// in the week of Monday 16 March.
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: "agerep", Name: "Age Rep", Team: "north",
		Roles: []identity.Role{identity.RoleSales}}, "", ""))
	c := signedDealOf(t, db, "AG1", identity.User{ID: "agerep", Team: "north", Roles: []identity.Role{identity.RoleSales}})
	f, err := db.CollectionForecast(ctx, rep, collDay("2026-03-05"), 4)
	require.NoError(t, err)
	require.Equal(t, collDay("2026-03-02"), f.From)
	require.Equal(t, []database.ForecastWeek{{Week: collDay("2026-03-16"), Currency: "CNY", Expected: 3000000, Items: 1}}, f.Weeks)
	require.Empty(t, f.Later)
	// Seen on 1 April, late and unpaid: expected now.
	f, err = db.CollectionForecast(ctx, rep, collDay("2026-04-01"), 4)
	require.NoError(t, err)
	require.Equal(t, []database.ForecastWeek{{Week: collDay("2026-03-30"), Currency: "CNY", Expected: 3000000, Items: 1}}, f.Weeks)
	_ = c
}

// TestCollectionRetentionFallsDueAtWarrantyEnd: the 10% retention of a
// contract accepted on 20 April 2026 waits out its 12-month warranty with
// no step and nothing in the dunning queue while the rest is paid; the
// days skip to the warranty's end, where the ladder reminds the payment
// owner three working days before, and on 20 April 2027 it is due: a step
// on the trail, told in that day's digest, and first in the queue.
func TestCollectionRetentionFallsDueAtWarrantyEnd(t *testing.T) {
	ctx := context.Background()
	db := collectionSetup(t)
	cal := calendar.China()
	c := signedDeal(t, db, "C-RET")
	c.act("2026-03-05", collRep, deal.Action{Name: deal.ActPlaceOrder, Kind: deal.OrderStock, DeliveryDue: collDay("2026-04-30")})
	c.act("2026-04-10", collDO, deal.Action{Name: deal.ActRecordShipment, ShipmentNo: "S1", ShippedOn: collDay("2026-04-10"), Final: true})
	c.withPayload("2026-04-20", collDO, deal.ActRecordAcceptance, deal.RecordAcceptancePayload{AcceptedOn: collDay("2026-04-20")})
	c.paid("2026-03-12", "BANK-R1", "30000.00")
	c.paid("2026-05-10", "BANK-R2", "60000.00")
	retention := func() database.Instalment {
		t.Helper()
		p, err := db.CollectionPlanGet(ctx, c.d.ID)
		require.NoError(t, err)
		require.NotNil(t, p.Instalments[1].DueOn, "the delivery instalment has its due date")
		require.NotNil(t, p.Instalments[0].SettledOn)
		require.NotNil(t, p.Instalments[1].SettledOn)
		return p.Instalments[2]
	}
	trail := func() []string {
		t.Helper()
		events, _, err := db.CollectionTrail(ctx, c.d.ID)
		require.NoError(t, err)
		var out []string
		for _, e := range events {
			out = append(out, fmt.Sprintf("%s %d %s %v", e.On, e.No, e.Step, e.Told))
		}
		return out
	}
	queued := func(on string) bool {
		t.Helper()
		page, _, err := db.DunningQueue(ctx, database.ViewerOf(collFin), database.ReceivableFilter{Customer: "C-RET"}, collDay(on), "", 10)
		require.NoError(t, err)
		return len(page) > 0
	}
	tick := dunningTicker(t, db, cal)
	require.Equal(t, collDay("2027-04-20"), *retention().DueOn, "12 months after acceptance")
	for _, on := range []string{"2026-05-11", "2026-10-12", "2027-04-14"} {
		tick(on)
		require.Empty(t, trail(), on)
		require.False(t, queued(on), on)
	}
	r := retention()
	require.Equal(t, "reminder", r.NextStep)
	require.Equal(t, collDay("2027-04-15"), *r.NextOn, "three working days before the warranty ends (Tuesday 20 April 2027)")
	require.Equal(t, money.Amount(1000000), r.Open)

	tick("2027-04-15")
	require.Equal(t, []string{"2027-04-15 3 reminder [wu]"}, trail())
	require.False(t, queued("2027-04-19"), "not due before the warranty ends")
	tick("2027-04-20")
	require.Equal(t, []string{"2027-04-15 3 reminder [wu]", "2027-04-20 3 due [wu]"}, trail())
	require.True(t, queued("2027-04-20"), "due at the warranty's end")
	r = retention()
	require.Equal(t, "due", r.Step)
	require.Equal(t, "manager", r.NextStep)
	digests, err := db.DunningDigestsOf(ctx, "wu", pgDay(collDay("2027-04-20")))
	require.NoError(t, err)
	require.Len(t, digests, 1)
	require.Contains(t, digests[0].Body, "- due: ")
}
