package database_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/testenv"
)

// TestDunningTickNarrowEqualsFull runs a month of daily ticks over 900
// instalments twice: as the tick runs (placing only what may move), and
// with every tick made to place every open instalment (the tick before
// this change). Ladders saved midway, payments settling instalments, due
// dates moved by a plan change, promises kept and broken: day by day,
// both leave the same steps, next actions, events, notifications, holds
// and promises.
func TestDunningTickNarrowEqualsFull(t *testing.T) {
	ctx := context.Background()
	db, conn := collectionConn(t)
	cal := calendar.China()
	start := collDay("2026-06-01")
	exec := testenv.Exec(t, conn)
	// This test's instalments and all they led to, and its ladders.
	const clear = `DELETE FROM dunning_events WHERE deal_id LIKE 'TN-%'; DELETE FROM collection_promises WHERE deal_id LIKE 'TN-%';
		DELETE FROM collection_credit_holds WHERE customer_code LIKE 'TN%'; DELETE FROM notifications WHERE deal_id LIKE 'TN-%';
		DELETE FROM collection_instalments WHERE deal_id LIKE 'TN-%'; DELETE FROM dunning_ladders WHERE value_class IN ('A', 'B')`
	t.Cleanup(func() { _, _ = conn.Exec(ctx, clear+`; DELETE FROM dunning_tick_state`) }) // the other tests tick the same database
	defaultLadder, err := db.DunningLadders(ctx)
	require.NoError(t, err)
	reset := func() {
		exec(clear)
		for _, l := range defaultLadder {
			require.NoError(t, db.DunningLadderSave(ctx, l, "test"))
		}
		require.NoError(t, db.DunningLadderSave(ctx, collection.Ladder{ValueClass: "A", Steps: []collection.Step{
			{Name: "due", Offset: 0, To: []collection.Audience{collection.ToOwner}},
			{Name: "finance", Offset: 3, To: []collection.Audience{collection.ToOwner, collection.ToFinance}, CreditHold: true},
			{Name: "letter", Offset: 9, To: []collection.Audience{collection.ToSales}, Letter: "dunning-letter"}}}, "test"))
		exec(`INSERT INTO customers (code, name, sales_owner, source, value_class)
			SELECT format('TN%s', g), 'Tick customer', 'wang', 'erp', (ARRAY['A', 'B', 'C', ''])[g % 4 + 1]
			FROM generate_series(0, 59) g ON CONFLICT (code) DO NOTHING`)
		exec(`INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount, discoverer,
				sales_owner, payment_owner, stage, stage_entered_at, created_by, created_at, version)
			SELECT format('TN-%s', g), 'Tick', format('TN%s', g % 60), 'Tick customer', false, 'CNY', 10000000, 'wang',
				'wang', 'wu', 'payment_collection', now(), 'wang', now(), 9
			FROM generate_series(0, 299) g ON CONFLICT (id) DO NOTHING`)
		exec(`INSERT INTO collection_instalments (deal_id, no, trigger, due_kind, due_days, amount, currency, customer_code,
				value_class, payment_owner, trigger_on, due_on, paid)
			SELECT format('TN-%s', d), n, 'signing', 'calendar_days', 10, 2500000, 'CNY', format('TN%s', d % 60),
				(ARRAY['A', 'B', 'C', ''])[(d % 60) % 4 + 1], CASE WHEN d % 5 = 0 THEN '' ELSE 'wu' END,
				$1::date - 10 + (d * 3 + n * 7) % 120 - 70, $1::date + (d * 3 + n * 7) % 120 - 70, (d % 3) * 500000
			FROM generate_series(0, 299) d, generate_series(1, 3) n`, pgDay(start))
	}
	type day struct {
		state  string
		result database.TickResult
	}
	// The digests are of every instalment a tick decided (the other tests'
	// too), so they are not compared between the runs: instead, each day,
	// each person's digests count exactly the steps of that day that name
	// them, but for a broken promise's (told on its own).
	// A run's steps and digests: those after its start.
	var since int64
	var sinceAt time.Time
	digested := func(today collection.Date) {
		t.Helper()
		var diff []string
		rows, err := conn.Query(ctx, `WITH stepped AS (
				SELECT w.who, count(*) AS n FROM dunning_events e, unnest(e.told) w(who)
				WHERE e.on_day = $1 AND e.at >= $3 AND e.why NOT LIKE 'promise to pay by % broken' GROUP BY w.who
			), digests AS (
				SELECT recipient AS who, sum(substring(subject FROM ': ([0-9]+) instalments? ')::int) AS n
				FROM notifications WHERE dedupe_key LIKE 'dunning-digest/' || $1::text || '/%' AND id > $2 GROUP BY recipient
			)
			SELECT coalesce(s.who, d.who), coalesce(s.n, 0), coalesce(d.n, 0)
			FROM stepped s FULL JOIN digests d ON d.who = s.who WHERE s.n IS DISTINCT FROM d.n`, pgDay(today), since, sinceAt)
		require.NoError(t, err)
		for rows.Next() {
			var who string
			var steps, told int64
			require.NoError(t, rows.Scan(&who, &steps, &told))
			diff = append(diff, fmt.Sprintf("%s: %d steps, %d in digests", who, steps, told))
		}
		require.NoError(t, rows.Err())
		require.Empty(t, diff, "%s", today)
	}
	snapshot := func() string {
		var b strings.Builder
		for _, q := range []string{
			`SELECT deal_id, no, step, next_step, coalesce(next_on::text, '-'), coalesce(settled_on::text, '-')
			FROM collection_instalments WHERE deal_id LIKE 'TN-%' ORDER BY 1, 2`,
			`SELECT deal_id, no, step, on_day::text, outstanding, why, told FROM dunning_events WHERE deal_id LIKE 'TN-%' ORDER BY 1, 2, 3`,
			`SELECT dedupe_key, recipient, subject, body FROM notifications WHERE deal_id LIKE 'TN-%' ORDER BY 1`,
			`SELECT customer_code, deal_id, no, since::text FROM collection_credit_holds WHERE customer_code LIKE 'TN%' ORDER BY 1`,
			`SELECT deal_id, no, status, coalesce(settled_on::text, '-') FROM collection_promises WHERE deal_id LIKE 'TN-%' ORDER BY 1, 2`,
		} {
			rows, err := conn.Query(ctx, q)
			require.NoError(t, err)
			for rows.Next() {
				vals, err := rows.Values()
				require.NoError(t, err)
				fmt.Fprintln(&b, vals...)
			}
			require.NoError(t, rows.Err())
			b.WriteString("--\n")
		}
		return b.String()
	}
	run := func(full bool) []day {
		reset()
		require.NoError(t, conn.QueryRow(ctx, `SELECT coalesce(max(id), 0), clock_timestamp() FROM notifications`).Scan(&since, &sinceAt))
		var days []day
		for i := range 30 {
			today := start.AddDays(i)
			switch i {
			case 8: // a ladder saved: everyone is placed on it again
				require.NoError(t, db.DunningLadderSave(ctx, collection.Ladder{ValueClass: "B", Steps: []collection.Step{
					{Name: "reminder", Offset: -1, To: []collection.Audience{collection.ToOwner}},
					{Name: "manager", Offset: 2, To: []collection.Audience{collection.ToManager}, CreditHold: true}}}, "test"))
			case 12: // payments settle a seventh of them
				exec(`UPDATE collection_instalments SET paid = amount, settled_on = $1
					WHERE deal_id LIKE 'TN-%' AND (substr(deal_id, 4)::int + no) % 7 = 0`, pgDay(today))
			case 15: // a plan change moves due dates (as the plan's save does) and a class changes
				exec(`UPDATE collection_instalments SET due_on = due_on + 20, next_on = NULL, decided_on = NULL
					WHERE deal_id LIKE 'TN-%' AND substr(deal_id, 4)::int % 11 = 0 AND no = 2`)
				exec(`UPDATE collection_instalments SET value_class = 'A', decided_on = NULL
					WHERE deal_id LIKE 'TN-%' AND substr(deal_id, 4)::int % 13 = 1 AND value_class <> 'A'`)
			case 18: // promises, some kept by a payment, the others broken
				for d := 0; d < 300; d += 17 {
					_, err := db.PromiseAdd(ctx, database.Promise{DealID: fmt.Sprintf("TN-%d", d), No: 1,
						PromisedOn: today.AddDays(3), Amount: money.Amount(100000), RecordedBy: "wu"})
					if err != nil {
						require.ErrorIs(t, err, database.ErrNotFound) // settled already
					}
				}
			case 20:
				exec(`UPDATE collection_instalments SET paid = paid + 100000 WHERE deal_id LIKE 'TN-%' AND no = 1
					AND substr(deal_id, 4)::int % 34 = 0`)
			}
			if full {
				exec(`DELETE FROM dunning_tick_state`)
			}
			r, err := db.DunningTick(ctx, today, cal, testChain)
			require.NoError(t, err)
			digested(today)
			days = append(days, day{snapshot(), r})
		}
		return days
	}
	narrow := run(false)
	full := run(true)
	var broken int
	for i := range narrow {
		// The counts are over the shared database (other tests' instalments
		// too): the state compared is this test's.
		require.Equal(t, full[i].state, narrow[i].state, "day %d", i)
		broken += int(narrow[i].result.BrokenPromises)
	}
	last := narrow[len(narrow)-1].state
	require.Greater(t, strings.Count(last, "working days from due"), 1000, "the ladders climbed")
	require.Contains(t, last, "outstanding [wu li]", "who each step told, on the step")
	require.Positive(t, broken, "a promise was broken")
	require.Contains(t, last, "broken")
	require.Contains(t, last, "kept", "a promise was kept")
}

// TestDunningTicksAtOnceTakeEachStepOnce: the hourly tick and one run by
// hand at the same moment, for the same day: one takes the steps and
// sends the digests, the other (kept waiting) finds nothing left to do;
// neither fails, no step is recorded twice and nobody is told twice.
func TestDunningTicksAtOnceTakeEachStepOnce(t *testing.T) {
	ctx := context.Background()
	db := collectionSetup(t)
	cal := calendar.China()
	c := signedDeal(t, db, "C-TWICE") // the advance of 30,000.00 due Thursday 12 March 2026
	day := collDay("2026-03-19")      // five working days late: the manager's step
	digests := func(who string) int { // the other tests tick that day too
		t.Helper()
		d, err := db.DunningDigestsOf(ctx, who, pgDay(day))
		require.NoError(t, err)
		return len(d)
	}
	before := map[string]int{"wu": digests("wu"), "li": digests("li")}
	results := make(chan database.TickResult, 2)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			r, err := db.DunningTick(ctx, day, cal, testChain)
			results <- r
			errs <- err
		}()
	}
	var got []database.TickResult
	for range 2 {
		require.NoError(t, <-errs)
		got = append(got, <-results)
	}
	first, second := got[0], got[1]
	if first.Steps == 0 {
		first, second = second, first
	}
	require.Positive(t, first.Steps)
	require.Positive(t, first.Notifications)
	require.Zero(t, second.Steps, "the second tick took no step again")
	require.Zero(t, second.Notifications, "and told nobody again")
	events, _, err := db.CollectionTrail(ctx, c.d.ID)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, "manager", events[0].Step)
	require.Equal(t, []string{"wu", "li"}, events[0].Told)
	for who, n := range before {
		require.Equal(t, n+1, digests(who), "%s: one digest more", who)
	}
}
