package database

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/money"
)

// The dunning tick decides, for every open instalment with a due date, where
// it stands on its ladder today, in a handful of set-based statements (no
// row-by-row loop: a million open instalments are decided in seconds). The
// working calendar comes in as two arrays: every day of a window around
// today with its rank (the working days before it), and every working day
// by rank, so "N working days after due" is arithmetic on ranks.

// tickWindow is how far around today the calendar is sent; a due date
// further back is simply very late, one further ahead not near.
const tickPast, tickAhead = 3 * 365, 400

// TickResult counts what a tick did.
type TickResult struct {
	Decided        int64 `json:"decided"` // open instalments placed on their ladder
	Steps          int64 `json:"steps"`   // new steps taken (dunning_events)
	Notifications  int64 `json:"notifications"`
	BrokenPromises int64 `json:"broken_promises"`
	KeptPromises   int64 `json:"kept_promises"`
	HoldsAdded     int64 `json:"holds_added"`
	HoldsCleared   int64 `json:"holds_cleared"`
}

// DunningTick runs the ladder for today on the company calendar, in one
// transaction: promises kept or broken (a broken one escalates at once),
// every open instalment's step and next action, the steps newly reached
// recorded with their notifications, and the customers' credit holds. Run
// twice for a day, the second run changes nothing.
//
// Only the instalments that may move are placed (collectionDecideOn): one
// whose next step lies ahead stays where it is, untouched, so a day where
// most have nothing new costs a read of them and the writes of what is new.
// A ladder saved since the last pass places every open instalment again.
// What a tick works with (the ladder steps, what it reached) are tables of
// its own, analyzed, dropped at commit.
func (db *DB) DunningTick(ctx context.Context, today collection.Date, cal *calendar.Calendar, chain audit.Chain) (TickResult, error) {
	var res TickResult
	days, ranks, wdays := tickCalendar(today, cal)
	todayRank := ranks[tickPast]
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		res = TickResult{}
		// dunning_decided: the instalments a broken promise escalated. JIT
		// is not worth it: compiling costs seconds for plans it guesses big.
		// The placement's million rows (what it changed, hashed and sorted)
		// stay in memory rather than go through temporary files: one
		// backend, once an hour.
		// One tick at a time (the hourly one and one run by hand): the
		// second waits, then finds the first's steps taken.
		for _, q := range []string{`SELECT pg_advisory_xact_lock(hashtext('dunning_tick'))`, `SET LOCAL jit = off`,
			`SET LOCAL work_mem = '256MB'`, `CREATE TEMP TABLE dunning_decided (deal_id text NOT NULL,
			no int NOT NULL, PRIMARY KEY (deal_id, no)) ON COMMIT DROP`, ladderSteps, ladderArrays, reachedTable} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("dunning: %w", err)
			}
		}
		if err := stepsDue(ctx, tx, todayRank, days, ranks); err != nil {
			return err
		}
		if err := promisesSettle(ctx, tx, today, todayRank, days, ranks, &res); err != nil {
			return err
		}
		// A day off takes no ladder step: its rank is the next working
		// day's, so placing on it would tell people on a Saturday of a step
		// whose day (a Monday, as next_on shows) has not come. The next
		// working day's tick places them, with the promises kept since the
		// last working day. A broken promise still escalates at once, day
		// off or not (promisesSettle above, told in stepsRecord): rare, and
		// "at once" is its rule. Decided stays 0: nothing was placed.
		if !cal.IsWorkday(today) {
			return tickFinish(ctx, tx, today, todayRank, days, ranks, chain, &res)
		}
		var ladders string
		var full bool
		if err := tx.QueryRow(ctx, `SELECT l.sum, NOT EXISTS (SELECT 1 FROM dunning_tick_state s WHERE s.ladders = l.sum)
			FROM (SELECT coalesce(md5(string_agg(value_class || ':' || steps::text, '|' ORDER BY value_class)), '') AS sum
				FROM dunning_ladders) l`).Scan(&ladders, &full); err != nil {
			return fmt.Errorf("dunning: ladders: %w", err)
		}
		// Every open instalment that may move, on its ladder (its class's,
		// else the default), at the step its lateness reaches (steps never
		// go down), with the step after it and that step's day: one UPDATE
		// over the instalments joined to the few ladder steps, each row
		// rewritten in place only if something changed.
		may, args := ``, []any{days[0], ranks, wdays, today.String()}
		if !full {
			args = append(args, lastWorkday(today, cal).String())
			may = ` AND (` + collectionDecideOn + ` <= $4::date OR (i.deal_id, i.no) IN (
				SELECT deal_id, no FROM collection_promises WHERE settled_on <= $4::date AND settled_on > $5::date
				UNION ALL SELECT deal_id, no FROM dunning_decided))`
		}
		step := `greatest(i.step, s.idx)`
		next := `CASE WHEN ` + step + ` + 1 < s.cnt THEN (SELECT names FROM dunning_ladder_arrays)[s.base + ` + step + ` + 1] END`
		nextOn := `CASE WHEN ` + step + ` + 1 < s.cnt
			THEN ($3::date[])[` + dueRank + ` + (SELECT offs FROM dunning_ladder_arrays)[s.base + ` + step + ` + 1] + 1] END`
		_, err := tx.Exec(ctx, `WITH changed AS (
				UPDATE collection_instalments i SET step = `+step+`, next_step = coalesce(`+next+`, ''),
					next_on = `+nextOn+`, decided_on = $4
				FROM dunning_steps s
				WHERE s.class = CASE WHEN i.value_class = ANY((SELECT classes FROM dunning_ladder_arrays)::text[]) THEN i.value_class ELSE '' END
				  AND i.due_on > s.due_after AND i.due_on <= s.due_by
				  AND i.settled_on IS NULL AND i.due_on IS NOT NULL`+may+`
				  AND NOT EXISTS (SELECT 1 FROM collection_promises p WHERE p.deal_id = i.deal_id AND p.no = i.no
					AND p.status = 'open')
				  AND ((i.step, i.next_step, i.next_on) IS DISTINCT FROM (`+step+`, coalesce(`+next+`, ''), `+nextOn+`)
					OR i.decided_on IS NULL)
				RETURNING i.deal_id, i.no, i.step, i.customer_code, i.payment_owner, i.amount - i.paid - i.credited AS outstanding,
					`+dueRank+` AS due_rank, s.class
			)
			INSERT INTO dunning_reached (deal_id, no, step, customer_code, payment_owner, outstanding, due_rank, name, hold,
				to_owner, to_manager, to_finance, to_sales, letter)
			SELECT c.deal_id, c.no, c.step, c.customer_code, c.payment_owner, c.outstanding, c.due_rank, s.name, s.hold,
				s.to_owner, s.to_manager, s.to_finance, s.to_sales, s.letter
			FROM changed c JOIN dunning_steps s ON s.class = c.class AND s.idx = c.step
			WHERE c.step >= 0
			  -- not recorded yet, or recorded today by a broken promise (its people are told here)
			  AND NOT EXISTS (SELECT 1 FROM dunning_events e WHERE e.deal_id = c.deal_id AND e.no = c.no AND e.step = s.name
				AND e.on_day <> $4)`,
			args...)
		if err != nil {
			return fmt.Errorf("dunning: place instalments: %w", err)
		}
		if full && ladders != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO dunning_tick_state (ladders) VALUES ($1)
				ON CONFLICT (id) DO UPDATE SET ladders = EXCLUDED.ladders`, ladders); err != nil {
				return fmt.Errorf("dunning: ladders: %w", err)
			}
		}
		// Decided: every open instalment with a due date was placed.
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM collection_instalments
			WHERE settled_on IS NULL AND due_on IS NOT NULL`).Scan(&res.Decided); err != nil {
			return fmt.Errorf("dunning: count: %w", err)
		}
		return tickFinish(ctx, tx, today, todayRank, days, ranks, chain, &res)
	})
	if err != nil {
		return TickResult{}, err
	}
	return res, nil
}

// tickFinish records the steps reached (stepsRecord) and the tick itself
// on the audit trail, with what it did.
func tickFinish(ctx context.Context, tx pgx.Tx, today collection.Date, todayRank int32, days []time.Time, ranks []int32,
	chain audit.Chain, res *TickResult) error {
	if err := stepsRecord(ctx, tx, today, todayRank, days, ranks, res); err != nil {
		return err
	}
	detail, _ := json.Marshal(*res)
	_, err := auditAppend(ctx, tx, chain, audit.Entry{At: time.Now().UTC(), Actor: "system", Action: "collection.dunning_tick",
		ObjectType: "collection", ObjectID: today.String(), Detail: detail})
	return err
}

// lastWorkday is the last working day before today (within the tick's
// window): the promises kept after it are placed by today's tick.
func lastWorkday(today collection.Date, cal *calendar.Calendar) collection.Date {
	d := today.AddDays(-1)
	for i := 0; i < tickPast && !cal.IsWorkday(d); i++ {
		d = d.AddDays(-1)
	}
	return d
}

// collectionDecideOn is a day on or before the one an open instalment may
// next move on its ladder: at once if never decided since its due date or
// class changed, or if its next step lies outside the calendar window; else
// before its next step's day. That day is a working day and the step is
// taken on it (a day off takes no step: DunningTick); the tick still looks a
// fortnight ahead, a margin for a calendar edited since next_on was worked
// out (a holiday taken back brings a step forward). Never once on the last
// step.
const collectionDecideOn = `CASE WHEN i.decided_on IS NULL OR (i.next_on IS NULL AND i.next_step <> '') THEN '-infinity'::date
	ELSE coalesce(i.next_on - 14, 'infinity'::date) END`

// ladderSteps flattens every ladder into rows (class, idx, name, off,
// next_off, hold, who is told, letter), with a row -1 before each ladder's
// first step: a table of the tick's, analyzed, so the planner knows it has
// a few rows (not the thousands it guesses for a function over jsonb).
const ladderSteps = `CREATE TEMP TABLE dunning_steps ON COMMIT DROP AS
	SELECT l.value_class AS class, (s.ord - 1)::int AS idx, s.v->>'name' AS name,
		(s.v->>'offset_working_days')::int AS off,
		lead((s.v->>'offset_working_days')::int) OVER (PARTITION BY l.value_class ORDER BY s.ord) AS next_off,
		coalesce((s.v->>'credit_hold')::boolean, false) AS hold,
		coalesce(s.v->'to' ? 'owner', false) AS to_owner, coalesce(s.v->'to' ? 'manager', false) AS to_manager,
		coalesce(s.v->'to' ? 'finance', false) AS to_finance, coalesce(s.v->'to' ? 'sales', false) AS to_sales,
		coalesce(s.v->>'letter', '') AS letter, jsonb_array_length(l.steps) AS cnt,
		(SELECT 1 + coalesce(sum(jsonb_array_length(o.steps)), 0) FROM dunning_ladders o WHERE o.value_class < l.value_class)::int AS base,
		NULL::date AS due_after, NULL::date AS due_by
	FROM dunning_ladders l, jsonb_array_elements(l.steps) WITH ORDINALITY AS s(v, ord)
	UNION ALL
	SELECT l.value_class, -1, '', -1000000, (l.steps->0->>'offset_working_days')::int, false, false, false, false, false, '',
		jsonb_array_length(l.steps),
		(SELECT 1 + coalesce(sum(jsonb_array_length(o.steps)), 0) FROM dunning_ladders o WHERE o.value_class < l.value_class)::int,
		NULL, NULL
	FROM dunning_ladders l`

// stepsDue gives each ladder step the due dates that stand at it today: a
// due date after due_after and by due_by is as late as the step's offset
// and not yet as late as the next step's (in working days, dueRank's
// ranks). The tick then places an instalment by comparing its due date,
// not by working out its lateness against every step.
func stepsDue(ctx context.Context, tx pgx.Tx, todayRank int32, days []time.Time, ranks []int32) error {
	// byRank is the last day whose rank is at most r ('infinity' when days
	// after the window count too, '-infinity' when not even those before).
	byRank := func(r int64) string {
		switch {
		case r < -100000:
			return "-infinity"
		case r >= 100000:
			return "infinity"
		case r < int64(ranks[0]):
			return days[0].AddDate(0, 0, -1).Format(time.DateOnly)
		}
		i := sort.Search(len(ranks), func(i int) bool { return int64(ranks[i]) > r }) - 1
		return days[i].Format(time.DateOnly)
	}
	rows, err := tx.Query(ctx, `SELECT class, idx, off, next_off FROM dunning_steps`)
	if err != nil {
		return fmt.Errorf("dunning: steps: %w", err)
	}
	var classes, after, by []string
	var idx []int32
	for rows.Next() {
		var class string
		var i, off int32
		var next *int32
		if err := rows.Scan(&class, &i, &off, &next); err != nil {
			rows.Close()
			return fmt.Errorf("dunning: steps: %w", err)
		}
		a := "-infinity"
		if next != nil {
			a = byRank(int64(todayRank) - int64(*next))
		}
		classes, idx, after, by = append(classes, class), append(idx, i), append(after, a), append(by, byRank(int64(todayRank)-int64(off)))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("dunning: steps: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE dunning_steps s SET due_after = v.due_after, due_by = v.due_by
		FROM unnest($1::text[], $2::int[], $3::date[], $4::date[]) AS v(class, idx, due_after, due_by)
		WHERE s.class = v.class AND s.idx = v.idx`, classes, idx, after, by); err != nil {
		return fmt.Errorf("dunning: steps: %w", err)
	}
	if _, err := tx.Exec(ctx, `ANALYZE dunning_steps`); err != nil {
		return fmt.Errorf("dunning: steps: %w", err)
	}
	return nil
}

// reachedTable is what the tick's placement reached: each instalment it
// moved (or a broken promise escalated) at a step with no event yet, with
// the step's audience; read before anything is written (stepsRecord's
// writes never look at rows they add) and analyzed for their plan.
const reachedTable = `CREATE TEMP TABLE dunning_reached (deal_id text NOT NULL, no int NOT NULL, step int NOT NULL,
	customer_code text NOT NULL, payment_owner text NOT NULL, outstanding bigint NOT NULL, due_rank int, name text NOT NULL,
	hold boolean NOT NULL, to_owner boolean NOT NULL, to_manager boolean NOT NULL, to_finance boolean NOT NULL,
	to_sales boolean NOT NULL, letter text NOT NULL) ON COMMIT DROP`

// ladderArrays is every ladder's step names and offsets in one array each
// (class by class, a class's step k at its base + k), and the classes with
// a ladder of their own: the tick looks the step after the one reached up
// by subscript.
const ladderArrays = `CREATE TEMP TABLE dunning_ladder_arrays ON COMMIT DROP AS
	SELECT (SELECT array_agg(name ORDER BY class, idx) FROM dunning_steps WHERE idx >= 0) AS names,
		(SELECT array_agg(off ORDER BY class, idx) FROM dunning_steps WHERE idx >= 0) AS offs,
		(SELECT array_agg(value_class) FROM dunning_ladders) AS classes`

// stepsRecord writes the step each instalment reached and has no event for
// yet, with the notifications it sends, and sets and clears credit holds.
func stepsRecord(ctx context.Context, tx pgx.Tx, today collection.Date, todayRank int32, days []time.Time, ranks []int32, res *TickResult) error {
	// The instalments a broken promise escalated and the placement left
	// as they were (it usually moves them, so they are in already).
	if _, err := tx.Exec(ctx, `INSERT INTO dunning_reached
			SELECT i.deal_id, i.no, i.step, i.customer_code, i.payment_owner, i.amount - i.paid - i.credited AS outstanding,
				`+dueRank+` AS due_rank, s.name, s.hold, s.to_owner, s.to_manager, s.to_finance, s.to_sales, s.letter
			FROM dunning_decided t
			JOIN collection_instalments i ON i.deal_id = t.deal_id AND i.no = t.no
			LEFT JOIN dunning_ladders l ON l.value_class = i.value_class
			JOIN dunning_steps s ON s.class = coalesce(l.value_class, '') AND s.idx = i.step
			WHERE NOT EXISTS (SELECT 1 FROM dunning_reached r WHERE r.deal_id = t.deal_id AND r.no = t.no)
			  AND i.settled_on IS NULL AND i.step >= 0 AND i.decided_on = $3
			  -- not recorded yet, or recorded today by a broken promise (its people are told here)
			  AND NOT EXISTS (SELECT 1 FROM dunning_events e WHERE e.deal_id = i.deal_id AND e.no = i.no AND e.step = s.name
				AND e.on_day <> $3)`, days[0], ranks, today.String()); err != nil {
		return fmt.Errorf("dunning: steps reached: %w", err)
	}
	if _, err := tx.Exec(ctx, `ANALYZE dunning_reached`); err != nil {
		return fmt.Errorf("dunning: steps reached: %w", err)
	}
	// The broken promises' steps (rare), each told on its own as before;
	// then every other step reached, told in one digest per person.
	var steps, told int64
	if err := tx.QueryRow(ctx, stepsTold(true)+`
		, told AS (
			INSERT INTO notifications (dedupe_key, recipient, subject, body, deal_id)
			SELECT format('dunning/%s/%s/%s/%s', r.deal_id, r.no, r.name, w.who), w.who,
				format('Collection %s: %s instalment %s', r.name, r.deal_id, r.no),
				format('%s outstanding on instalment %s of %s (customer %s): a promise to pay was broken%s',
					(r.outstanding / 100.0)::numeric(20, 2), r.no, r.deal_id, r.customer_code,
					CASE WHEN r.letter <> '' THEN '; letter ' || r.letter || ' to send' ELSE '' END),
				r.deal_id
			FROM reached r JOIN added a ON a.deal_id = r.deal_id AND a.no = r.no AND a.step = r.name
			CROSS JOIN LATERAL unnest(a.told) WITH ORDINALITY AS w(who, k)
			ORDER BY r.deal_id, r.no, w.k
			ON CONFLICT (dedupe_key) DO NOTHING
			RETURNING 1
		)
		SELECT (SELECT count(*) FILTER (WHERE inserted) FROM added), (SELECT count(*) FROM told)`,
		today.String(), todayRank).Scan(&steps, &told); err != nil {
		return fmt.Errorf("dunning: record broken promises' steps: %w", err)
	}
	res.Steps, res.Notifications = steps, told
	if err := tx.QueryRow(ctx, stepsTold(false)+`
		, per AS (
			SELECT w.who, a.step, min(a.step_index) AS idx, count(*) AS n
			FROM added a CROSS JOIN LATERAL unnest(a.told) AS w(who)
			GROUP BY w.who, a.step
		), seq AS (SELECT nextval('dunning_digest_seq') AS n)
		, told AS (
			INSERT INTO notifications (dedupe_key, recipient, subject, body)
			SELECT format('dunning-digest/%s/%s/%s', $1::text, p.who, (SELECT n FROM seq)), p.who,
				format('Collection %s: %s instalments reached a dunning step', $1::text, sum(p.n)),
				format(E'Dunning steps reached on %s that name you:\n%s\nEach step is on its deal''s collection trail%s', $1::text,
					string_agg(format('- %s: %s instalment%s', p.step, p.n, CASE WHEN p.n > 1 THEN 's' ELSE '' END), E'\n' ORDER BY p.idx, p.step),
					CASE WHEN p.who = 'role:finance' OR EXISTS (SELECT 1 FROM users u WHERE u.id = p.who
						AND u.roles && ARRAY['finance', 'collector', 'admin'])
					THEN E';\nopen the dunning queue: /collection/dunning' ELSE '.' END)
			FROM per p
			GROUP BY p.who
			ORDER BY p.who
			ON CONFLICT (dedupe_key) DO NOTHING
			RETURNING 1
		), held AS (
			INSERT INTO collection_credit_holds (customer_code, deal_id, no, since)
			SELECT DISTINCT ON (r.customer_code) r.customer_code, r.deal_id, r.no, $1::date
			FROM dunning_reached r
			WHERE r.hold AND r.customer_code <> ''
			ORDER BY r.customer_code, r.deal_id, r.no
			ON CONFLICT (customer_code) DO NOTHING
			RETURNING 1
		)
		SELECT (SELECT count(*) FILTER (WHERE inserted) FROM added), (SELECT count(*) FROM told), (SELECT count(*) FROM held)`,
		today.String(), todayRank).Scan(&steps, &told, &res.HoldsAdded); err != nil {
		return fmt.Errorf("dunning: record steps: %w", err)
	}
	res.Steps, res.Notifications = res.Steps+steps, res.Notifications+told
	// A hold ends when none of the customer's open instalments stands at or
	// above a holding step of its ladder.
	tag, err := tx.Exec(ctx, `WITH holding AS (SELECT class, min(idx) AS idx FROM dunning_steps WHERE hold GROUP BY class)
		DELETE FROM collection_credit_holds h WHERE NOT EXISTS (
			SELECT 1 FROM collection_instalments i
			LEFT JOIN dunning_ladders l ON l.value_class = i.value_class
			JOIN holding s ON s.class = coalesce(l.value_class, '')
			WHERE i.customer_code = h.customer_code AND i.settled_on IS NULL AND i.step >= s.idx)`)
	if err != nil {
		return fmt.Errorf("dunning: clear holds: %w", err)
	}
	res.HoldsCleared = tag.RowsAffected()
	return nil
}

// stepsTold is the start of a statement recording the steps reached
// ($1 today, $2 its rank) as dunning_events, each with whom it tells (its
// audience, in the order owner, manager, finance, sales, each person once):
// reached, those of the broken promises (broken) or the others, and added,
// the steps recorded (inserted: new; else a step a broken promise recorded
// today, without its audience, that this tells).
func stepsTold(broken bool) string {
	// A broken promise's step is on the trail already (promisesSettle),
	// without its audience: recorded again, its audience is. The others are
	// new steps (the tick's lock keeps another tick out), a plain insert in
	// key order: no speculative insertion per row, and the index written
	// page after page rather than all over.
	not, others := "", ""
	insert := `
			ON CONFLICT (deal_id, no, step) DO UPDATE SET told = EXCLUDED.told
				WHERE dunning_events.on_day = EXCLUDED.on_day AND dunning_events.told = '{}'
			RETURNING deal_id, no, step, step_index, outstanding, told, xmax = 0 AS inserted`
	if !broken {
		not = "NOT "
		others = `
			  AND NOT EXISTS (SELECT 1 FROM dunning_events e WHERE e.deal_id = r.deal_id AND e.no = r.no AND e.step = r.name)`
		insert = `
			ORDER BY deal_id, no, name
			RETURNING deal_id, no, step, step_index, outstanding, told, true AS inserted`
	}
	return `WITH reached AS (
			SELECT r.*, array_remove(ARRAY[o.who, CASE WHEN m.who IS DISTINCT FROM o.who THEN m.who END,
				CASE WHEN r.to_finance THEN 'role:finance' END,
				CASE WHEN s.who IS DISTINCT FROM o.who AND s.who IS DISTINCT FROM m.who THEN s.who END], NULL) AS told
			FROM dunning_reached r
			LEFT JOIN users u ON r.to_manager AND u.id = r.payment_owner
			LEFT JOIN deals d ON r.to_sales AND d.id = r.deal_id
			CROSS JOIN LATERAL (SELECT CASE WHEN r.to_owner THEN nullif(r.payment_owner, '') END) o(who)
			CROSS JOIN LATERAL (SELECT nullif(u.manager_id, '')) m(who)
			CROSS JOIN LATERAL (SELECT nullif(d.sales_owner, '')) s(who)
			WHERE ` + not + `EXISTS (SELECT 1 FROM dunning_decided t WHERE t.deal_id = r.deal_id AND t.no = r.no)` + others + `
		), added AS (
			INSERT INTO dunning_events (deal_id, no, step, step_index, on_day, outstanding, why, told)
			SELECT deal_id, no, name, step, $1, outstanding,
				format('%s working days from due, %s outstanding', $2::int - due_rank, (outstanding / 100.0)::numeric(20, 2)), told
			FROM reached` + insert + `
		)`
}

// promisesSettle closes the promises due: kept when the instalment received
// the promised amount since, broken when the promised day passed without it.
// A broken promise escalates at once (collection.Ladder.Decide): the few
// broken each day are placed in Go, on their ladder.
func promisesSettle(ctx context.Context, tx pgx.Tx, today collection.Date, todayRank int32, days []time.Time, ranks []int32, res *TickResult) error {
	tag, err := tx.Exec(ctx, `
		UPDATE collection_promises p SET status = 'kept', settled_on = $1
		FROM collection_instalments i
		WHERE p.status = 'open' AND i.deal_id = p.deal_id AND i.no = p.no
		  AND (i.settled_on IS NOT NULL OR i.paid + i.credited - p.paid_before >= p.amount)`, today.String())
	if err != nil {
		return fmt.Errorf("dunning: promises kept: %w", err)
	}
	res.KeptPromises = tag.RowsAffected()
	rows, err := tx.Query(ctx, `
		UPDATE collection_promises p SET status = 'broken', settled_on = $1
		FROM collection_instalments i LEFT JOIN dunning_ladders l ON l.value_class = i.value_class
		WHERE p.status = 'open' AND p.promised_on < $1 AND i.deal_id = p.deal_id AND i.no = p.no
		RETURNING p.deal_id, p.no, p.promised_on, i.step, i.due_on, coalesce(l.value_class, ''),
			(SELECT steps FROM dunning_ladders d WHERE d.value_class = coalesce(l.value_class, ''))`, today.String())
	if err != nil {
		return fmt.Errorf("dunning: promises broken: %w", err)
	}
	type broken struct {
		deal   string
		no     int
		on     time.Time
		step   int
		due    *time.Time
		class  string
		ladder []byte
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (broken, error) {
		var b broken
		err := r.Scan(&b.deal, &b.no, &b.on, &b.step, &b.due, &b.class, &b.ladder)
		return b, err
	})
	if err != nil {
		return fmt.Errorf("dunning: promises broken: %w", err)
	}
	res.BrokenPromises = int64(len(list))
	rankOf := func(t time.Time) int32 {
		for i, d := range days {
			if d.Equal(t) {
				return ranks[i]
			}
		}
		return todayRank
	}
	for _, b := range list {
		var l collection.Ladder
		if err := json.Unmarshal(b.ladder, &l.Steps); err != nil {
			return fmt.Errorf("ladder %q: %w", b.class, err)
		}
		lateness := 0
		if b.due != nil {
			lateness = int(todayRank - rankOf(*b.due))
		}
		d := l.Decide(lateness, true)
		reached := max(d.Reached, b.step+1)
		if reached >= len(l.Steps) {
			reached = len(l.Steps) - 1
		}
		if reached <= b.step {
			continue
		}
		// Recorded straight away, with why; stepsRecord tells the people
		// and sets the hold the step may carry.
		if _, err := tx.Exec(ctx, `UPDATE collection_instalments SET step = $3, decided_on = $4 WHERE deal_id = $1 AND no = $2`,
			b.deal, b.no, reached, today.String()); err != nil {
			return fmt.Errorf("dunning: escalate %s/%d: %w", b.deal, b.no, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO dunning_decided (deal_id, no) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			b.deal, b.no); err != nil {
			return fmt.Errorf("dunning: escalate %s/%d: %w", b.deal, b.no, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO dunning_events (deal_id, no, step, step_index, on_day, outstanding, why)
			SELECT deal_id, no, $3, $4, $5, amount - paid - credited, $6 FROM collection_instalments WHERE deal_id = $1 AND no = $2
			ON CONFLICT DO NOTHING`, b.deal, b.no, l.Steps[reached].Name, reached, today.String(),
			"promise to pay by "+b.on.Format(time.DateOnly)+" broken"); err != nil {
			return fmt.Errorf("dunning: escalate %s/%d: %w", b.deal, b.no, err)
		}
	}
	return nil
}

// tickCalendar is the calendar window around today: every day from the
// first with its rank (the working days before it), and every working day
// by rank (index rank+1 in SQL's arrays).
func tickCalendar(today collection.Date, cal *calendar.Calendar) (days []time.Time, ranks []int32, wdays []time.Time) {
	first := today.AddDays(-tickPast)
	var rank int32
	for i := 0; i <= tickPast+tickAhead; i++ {
		d := first.AddDays(i)
		t := pgDate(d)
		days, ranks = append(days, t), append(ranks, rank)
		if cal.IsWorkday(d) {
			wdays = append(wdays, t)
			rank++
		}
	}
	return days, ranks, wdays
}

// dueRank is an instalment's due date as a rank on the window ($1 its first
// day, $2 the days' ranks): an array subscript per row, not a join. Before
// the window is very late, after it far off.
const dueRank = `CASE WHEN i.due_on < $1::date THEN -100000
	WHEN i.due_on - $1::date >= cardinality($2::int[]) THEN 100000
	ELSE ($2::int[])[i.due_on - $1::date + 1] END`

// Promise is a promise to pay an instalment.
type Promise struct {
	ID         int64           `json:"id"`
	DealID     string          `json:"deal_id"`
	No         int             `json:"no"`
	PromisedOn collection.Date `json:"promised_on"`
	Amount     money.Amount    `json:"amount"`
	Status     string          `json:"status"`
	Note       string          `json:"note,omitempty"`
	RecordedBy string          `json:"recorded_by"`
	RecordedAt time.Time       `json:"recorded_at"`
}

// PromiseAdd records a promise to pay an open instalment (the caller audits
// it in the same transaction through InTxAudited). ErrNotFound: no such open
// instalment.
func (db *DB) PromiseAdd(ctx context.Context, p Promise) (Promise, error) {
	err := db.q(ctx).QueryRow(ctx, `
		INSERT INTO collection_promises (deal_id, no, promised_on, amount, paid_before, note, recorded_by)
		SELECT deal_id, no, $3, $4, paid + credited, $5, $6 FROM collection_instalments
		WHERE deal_id = $1 AND no = $2 AND settled_on IS NULL
		RETURNING id, status, recorded_at`, p.DealID, p.No, p.PromisedOn.String(), int64(p.Amount), p.Note, p.RecordedBy).
		Scan(&p.ID, &p.Status, &p.RecordedAt)
	if err != nil {
		return p, fmt.Errorf("promise on %s/%d: %w", p.DealID, p.No, notFound(err))
	}
	return p, nil
}

// DunningEvent is one step the ladder took.
type DunningEvent struct {
	DealID      string          `json:"deal_id"`
	No          int             `json:"no"`
	Step        string          `json:"step"`
	On          collection.Date `json:"on"`
	Outstanding money.Amount    `json:"outstanding"`
	Why         string          `json:"why"`
	// Told is whom the step told (people by ID, finance as "role:finance"):
	// in the day's digest, or on its own for a broken promise.
	Told []string `json:"told"`
}

// CollectionTrail is a deal's dunning steps and promises, oldest first.
func (db *DB) CollectionTrail(ctx context.Context, dealID string) ([]DunningEvent, []Promise, error) {
	events, err := queryList(ctx, db.q(ctx), "dunning trail of "+dealID, func(r pgx.CollectableRow) (DunningEvent, error) {
		var e DunningEvent
		var on time.Time
		var out int64
		err := r.Scan(&e.DealID, &e.No, &e.Step, &on, &out, &e.Why, &e.Told)
		e.On, e.Outstanding = dateOf(on), money.Amount(out)
		return e, err
	}, `SELECT deal_id, no, step, on_day, outstanding, why, told FROM dunning_events
		WHERE deal_id = $1 ORDER BY on_day, no, step_index`, dealID)
	if err != nil {
		return nil, nil, err
	}
	promises, err := queryList(ctx, db.q(ctx), "promises of "+dealID, func(r pgx.CollectableRow) (Promise, error) {
		var p Promise
		var on time.Time
		var amount int64
		err := r.Scan(&p.ID, &p.DealID, &p.No, &on, &amount, &p.Status, &p.Note, &p.RecordedBy, &p.RecordedAt)
		p.PromisedOn, p.Amount = dateOf(on), money.Amount(amount)
		return p, err
	}, `SELECT id, deal_id, no, promised_on, amount, status, note, recorded_by, recorded_at
		FROM collection_promises WHERE deal_id = $1 ORDER BY id`, dealID)
	if err != nil {
		return nil, nil, err
	}
	return events, promises, nil
}

// CreditHeld reports whether a customer's new orders are held for finance
// by the dunning ladder, and since when.
func (db *DB) CreditHeld(ctx context.Context, customer string) (bool, collection.Date, error) {
	var since time.Time
	err := db.q(ctx).QueryRow(ctx, `SELECT since FROM collection_credit_holds WHERE customer_code = $1`, customer).Scan(&since)
	if err == pgx.ErrNoRows {
		return false, collection.Date{}, nil
	}
	if err != nil {
		return false, collection.Date{}, fmt.Errorf("credit hold of %s: %w", customer, err)
	}
	return true, dateOf(since), nil
}

// DunningLadders lists the ladders by value class ("" first: the default).
func (db *DB) DunningLadders(ctx context.Context) ([]collection.Ladder, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT value_class, steps FROM dunning_ladders ORDER BY value_class`)
	if err != nil {
		return nil, fmt.Errorf("dunning ladders: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (collection.Ladder, error) {
		var l collection.Ladder
		var raw []byte
		if err := r.Scan(&l.ValueClass, &raw); err != nil {
			return l, err
		}
		return l, json.Unmarshal(raw, &l.Steps)
	})
}

// DunningLadderSave replaces the ladder of l's value class (checked by the
// caller, audited in its transaction through InTxAudited). Instalments keep
// the step they reached; the next tick places them on the new ladder.
func (db *DB) DunningLadderSave(ctx context.Context, l collection.Ladder, by string) error {
	raw, err := json.Marshal(l.Steps)
	if err != nil {
		return err
	}
	if _, err := db.q(ctx).Exec(ctx, `INSERT INTO dunning_ladders (value_class, steps, updated_by, updated_at)
		VALUES ($1, $2, $3, now()) ON CONFLICT (value_class) DO UPDATE SET steps = EXCLUDED.steps,
		updated_by = EXCLUDED.updated_by, updated_at = now()`, l.ValueClass, raw, by); err != nil {
		return fmt.Errorf("save dunning ladder %q: %w", l.ValueClass, err)
	}
	return nil
}
