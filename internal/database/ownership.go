package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/ownership"
)

// Customer ownership: who owns a customer, the caps, the pool and its clock,
// collisions and handovers (tables of migration 00080). The rules are in
// internal/ownership; here are the counts they need and the changes they allow.

// lastContact is when customer c was last followed up: an activity logged on
// it, a person's move on one of its deals (a quote, a contract, an order...),
// a contract running now (a deal past the review and not closed counts as
// today, $1) or the end of the last won one (a closed deal's closed_at). NULL
// when none. PoolRecycle computes the same set-based.
const lastContact = `greatest(
	(SELECT max(a.happened_at) FROM customer_activities a WHERE a.customer_code = c.code),
	(SELECT max(h.at) FROM deals d JOIN deal_history h ON h.deal_id = d.id WHERE d.customer_code = c.code AND h.actor <> 'system'),
	(SELECT max(CASE WHEN d.stage = 'closed' THEN d.closed_at ELSE $1 END) FROM deals d
		WHERE d.customer_code = c.code AND d.stage IN ('order', 'delivery', 'payment_collection', 'closed')))`

// OwnerMatch is a customer someone owns that matches what was typed.
type OwnerMatch struct {
	Code        string
	Name        string
	Owner       string
	OwnerName   string
	Manager     string // the owner's manager, "" if none
	LastContact *time.Time
	MatchedOn   string // tax_id, name or phone
}

// CustomerOwnedMatches finds the owned customers matching a tax ID exactly, a
// name once folded (l2c_fold, as textnorm.Fold), or a phone's digits
// (l2c_phone_key, as ownership.PhoneKey), other than those owned by except.
// Empty inputs match nothing.
func (db *DB) CustomerOwnedMatches(ctx context.Context, taxID, name, phone, except string, now time.Time) ([]OwnerMatch, error) {
	phone = ownership.PhoneKey(phone)
	if len(phone) < ownership.MinPhoneDigits {
		phone = ""
	}
	scan := func(r pgx.CollectableRow) (OwnerMatch, error) {
		var m OwnerMatch
		err := r.Scan(&m.Code, &m.Name, &m.Owner, &m.OwnerName, &m.Manager, &m.LastContact, &m.MatchedOn)
		return m, err
	}
	return queryList(ctx, db.q(ctx), "match customers", scan, `SELECT c.code, c.name, c.sales_owner, u.name, coalesce(u.manager_id, ''), `+lastContact+`,
		CASE WHEN $2 <> '' AND c.tax_id = $2 THEN 'tax_id' WHEN $3 <> '' AND c.match_name = l2c_fold($3) THEN 'name' ELSE 'phone' END
		FROM customers c JOIN users u ON u.id = c.sales_owner
		WHERE c.sales_owner <> $5 AND (($2 <> '' AND c.tax_id = $2) OR ($3 <> '' AND c.match_name = l2c_fold($3))
			OR ($4 <> '' AND length(c.match_phone) >= 7 AND c.match_phone = $4))
		ORDER BY c.code LIMIT 20`, now, taxID, name, phone, except)
}

// OwnershipRequestOpen records that by ran into customer code owned by
// owner (while doing what), and tells the owner and their manager, in one
// transaction. Asking again while a request is open returns that one.
func (db *DB) OwnershipRequestOpen(ctx context.Context, m OwnerMatch, by identity.User, what string) (int64, error) {
	var id int64
	err := db.txIn(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO ownership_requests (customer_code, requested_by, owner, manager, context)
			VALUES ($1, $2, $3, NULLIF($4, ''), $5)
			ON CONFLICT (customer_code, requested_by) WHERE status = 'open' DO UPDATE SET context = EXCLUDED.context
			RETURNING id`, m.Code, by.ID, m.Owner, m.Manager, what).Scan(&id)
		if err != nil {
			return err
		}
		for _, to := range []string{m.Owner, m.Manager} {
			if to == "" {
				continue
			}
			if _, err := notificationAdd(ctx, tx, Notification{DedupeKey: fmt.Sprintf("ownership-request/%d/%s", id, to),
				Recipient: to, Subject: fmt.Sprintf("%s asks about customer %s", by.Name, m.Code),
				Body: fmt.Sprintf("%s (%s) ran into %s %s, owned by %s, while trying to %s. Share or hand it over, or tell them to leave it.",
					by.Name, by.ID, m.Code, m.Name, m.Owner, what)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("ownership request on %s: %w", m.Code, err)
	}
	return id, nil
}

// Take kinds: how a customer comes to its owner.
const (
	TakeClaim  = "claim"  // a rep takes it from the pool
	TakeAssign = "assign" // a manager, assistant or admin gives it to a rep
)

// CustomerTake makes to the owner of customer code, as by, under the caps and
// the cooldown: kind TakeClaim only from the pool, TakeAssign from anyone. It
// locks the new owner's row, so two claims of one rep are counted one after
// the other, and the customer's. Call it inside InTxAudited.
func (db *DB) CustomerTake(ctx context.Context, code string, to identity.User, by, kind, reason string, now time.Time) (from string, err error) {
	err = db.txIn(ctx, func(tx pgx.Tx) error {
		var disabled bool
		if err := tx.QueryRow(ctx, `SELECT disabled FROM users WHERE id = $1 FOR UPDATE`, to.ID).Scan(&disabled); err != nil {
			return fmt.Errorf("lock user %s: %w", to.ID, notFound(err))
		}
		if disabled {
			return &ownership.Refused{Reason: ownership.Invalid, Field: "owner", Message: to.ID + " is disabled"}
		}
		// The customer's row alone is locked and read: joined rows would be
		// read as of before a claim this one waited for.
		var owner *string
		var class string
		err := tx.QueryRow(ctx, `SELECT sales_owner, value_class FROM customers WHERE code = $1 FOR UPDATE`, code).Scan(&owner, &class)
		if err != nil {
			return fmt.Errorf("customer %s: %w", code, notFound(err))
		}
		if owner != nil {
			from = *owner
		}
		switch {
		case from == to.ID:
			return &ownership.Refused{Reason: ownership.Invalid, Field: "owner", Message: to.ID + " owns " + code + " already"}
		case kind == TakeClaim && from != "":
			var name string
			if err := tx.QueryRow(ctx, `SELECT name FROM users WHERE id = $1`, from).Scan(&name); err != nil {
				return fmt.Errorf("owner of %s: %w", code, err)
			}
			return &ownership.Refused{Reason: ownership.Owned, Message: fmt.Sprintf("%s is not in the pool: %s owns it",
				code, ownership.Mask(name))}
		}
		var cooldown int
		if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT cooldown_days FROM pool_rules WHERE value_class = $1), 0)`, class).Scan(&cooldown); err != nil {
			return fmt.Errorf("pool rule %q: %w", class, err)
		}
		limits, err := ownershipLimits(ctx, tx)
		if err != nil {
			return err
		}
		limit := ownership.Resolve(to, limits)
		var h ownership.Holding
		var lost *time.Time
		err = tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM customers WHERE sales_owner = $1),
			(SELECT count(*) FROM ownership_events WHERE to_owner = $1 AND kind IN ('claim', 'assign') AND at > $2),
			(SELECT max(at) FROM ownership_events WHERE customer_code = $3 AND from_owner = $1 AND kind IN ('recycle', 'release'))`,
			to.ID, now.AddDate(0, 0, -limit.RollingDays), code).Scan(&h.Owned, &h.Recent, &lost)
		if err != nil {
			return fmt.Errorf("holding of %s: %w", to.ID, err)
		}
		if lost != nil {
			h.LostAt = *lost
		}
		if err := ownership.CheckTake(to.ID, h, limit, time.Duration(cooldown)*24*time.Hour, kind == TakeAssign, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `WITH w AS (DELETE FROM pool_warnings WHERE customer_code = $1)
			UPDATE customers SET sales_owner = $2, owned_since = $3, pool_since = NULL,
			previous_owner = coalesce(sales_owner, previous_owner), updated_at = now() WHERE code = $1`,
			code, to.ID, now); err != nil {
			return fmt.Errorf("take customer %s: %w", code, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO ownership_events (customer_code, kind, from_owner, to_owner, by_user, at, reason)
			VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7)`, code, kind, from, to.ID, by, now, reason)
		return err
	})
	return from, err
}

// CustomerRelease returns customer code to the pool, as by (its owner, or a
// manager). The owner it had waits out the cooldown before claiming it again.
func (db *DB) CustomerRelease(ctx context.Context, code, by, reason string, now time.Time) (from string, err error) {
	err = db.txIn(ctx, func(tx pgx.Tx) error {
		var owner *string
		if err := tx.QueryRow(ctx, `SELECT sales_owner FROM customers WHERE code = $1 FOR UPDATE`, code).Scan(&owner); err != nil {
			return fmt.Errorf("customer %s: %w", code, notFound(err))
		}
		if owner == nil {
			return &ownership.Refused{Reason: ownership.Invalid, Message: code + " is in the pool already"}
		}
		from = *owner
		if _, err := tx.Exec(ctx, `WITH w AS (DELETE FROM pool_warnings WHERE customer_code = $1)
			UPDATE customers SET sales_owner = NULL, previous_owner = sales_owner, owned_since = NULL,
			pool_since = $2, updated_at = now() WHERE code = $1`, code, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO ownership_events (customer_code, kind, from_owner, by_user, at, reason)
			VALUES ($1, 'release', $2, $3, $4, $5)`, code, from, by, now, reason)
		return err
	})
	return from, err
}

// CustomerOwnerOf returns customer code's owner ("" for the pool) and the
// owner's manager, for the API's checks of who may release or assign it.
func (db *DB) CustomerOwnerOf(ctx context.Context, code string) (owner, team, manager string, err error) {
	err = db.q(ctx).QueryRow(ctx, `SELECT coalesce(c.sales_owner, ''), coalesce(u.team, ''), coalesce(u.manager_id, '')
		FROM customers c LEFT JOIN users u ON u.id = c.sales_owner WHERE c.code = $1`, code).Scan(&owner, &team, &manager)
	if err != nil {
		return "", "", "", fmt.Errorf("owner of %s: %w", code, notFound(err))
	}
	return owner, team, manager, nil
}

func ownershipLimits(ctx context.Context, q auditQuerier) (map[string]ownership.Limit, error) {
	list, err := queryList(ctx, q, "ownership limits", func(r pgx.CollectableRow) (ownership.Limit, error) {
		var l ownership.Limit
		err := r.Scan(&l.Scope, &l.Standing, &l.Rolling, &l.RollingDays)
		return l, err
	}, `SELECT scope, standing_cap, rolling_cap, rolling_days FROM ownership_limits`)
	if err != nil {
		return nil, err
	}
	m := make(map[string]ownership.Limit, len(list))
	for _, l := range list {
		m[l.Scope] = l
	}
	return m, nil
}

// OwnershipRules returns the caps and the pool clock's rules per class.
func (db *DB) OwnershipRules(ctx context.Context) ([]ownership.Limit, []ownership.Rule, error) {
	limits, err := ownershipLimits(ctx, db.q(ctx))
	if err != nil {
		return nil, nil, err
	}
	ls := make([]ownership.Limit, 0, len(limits))
	for _, l := range limits {
		ls = append(ls, l)
	}
	rules, err := queryList(ctx, db.q(ctx), "pool rules", func(r pgx.CollectableRow) (ownership.Rule, error) {
		var p ownership.Rule
		err := r.Scan(&p.Class, &p.IdleDays, &p.WarnDays, &p.CooldownDays)
		return p, err
	}, `SELECT value_class, idle_days, warn_days, cooldown_days FROM pool_rules ORDER BY value_class`)
	if err != nil {
		return nil, nil, err
	}
	return ls, rules, nil
}

// PoolRuleSave sets one class's pool clock; call it inside InTxAudited.
func (db *DB) PoolRuleSave(ctx context.Context, r ownership.Rule) error {
	return exec(ctx, db.q(ctx), fmt.Sprintf("save pool rule %q", r.Class), `INSERT INTO pool_rules (value_class, idle_days, warn_days, cooldown_days) VALUES ($1, $2, $3, $4)
		ON CONFLICT (value_class) DO UPDATE SET idle_days = EXCLUDED.idle_days, warn_days = EXCLUDED.warn_days,
		cooldown_days = EXCLUDED.cooldown_days`, r.Class, r.IdleDays, r.WarnDays, r.CooldownDays)
}

// OwnershipLimitSave sets the caps of one scope; call it inside InTxAudited.
func (db *DB) OwnershipLimitSave(ctx context.Context, l ownership.Limit, by string) error {
	if l.RollingDays <= 0 {
		l.RollingDays = ownership.DefaultRollingDays
	}
	return exec(ctx, db.q(ctx), "save ownership limit "+l.Scope, `INSERT INTO ownership_limits (scope, standing_cap, rolling_cap, rolling_days, updated_by)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope) DO UPDATE SET standing_cap = EXCLUDED.standing_cap,
		rolling_cap = EXCLUDED.rolling_cap, rolling_days = EXCLUDED.rolling_days, updated_by = EXCLUDED.updated_by, updated_at = now()`,
		l.Scope, l.Standing, l.Rolling, l.RollingDays, by)
}

// PoolCustomer is a customer in the pool, as those who may claim it see it.
type PoolCustomer struct {
	Code          string     `json:"code"`
	Name          string     `json:"name"`
	ValueClass    string     `json:"value_class"`
	PoolSince     *time.Time `json:"pool_since,omitempty"`
	PreviousOwner string     `json:"previous_owner,omitempty"`
}

// PoolList lists customers nobody owns, by code, limit from after.
func (db *DB) PoolList(ctx context.Context, after string, limit int) ([]PoolCustomer, error) {
	scan := func(r pgx.CollectableRow) (PoolCustomer, error) {
		var p PoolCustomer
		err := r.Scan(&p.Code, &p.Name, &p.ValueClass, &p.PoolSince, &p.PreviousOwner)
		return p, err
	}
	return queryList(ctx, db.pool, "pool", scan, `SELECT code, name, value_class, pool_since, coalesce(previous_owner, '')
		FROM customers WHERE sales_owner IS NULL AND code > $1 ORDER BY code LIMIT $2`, after, limit)
}

// OwnershipEvent is one change of a customer's owner, or a warning.
type OwnershipEvent struct {
	Kind   string    `json:"kind"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// OwnershipEvents lists customer code's ownership history, oldest first.
func (db *DB) OwnershipEvents(ctx context.Context, code string) ([]OwnershipEvent, error) {
	// A standing warning is in pool_warnings, not in the events (the clock
	// warns thousands at a time).
	scan := func(r pgx.CollectableRow) (OwnershipEvent, error) {
		var e OwnershipEvent
		err := r.Scan(&e.Kind, &e.From, &e.To, &e.By, &e.At, &e.Reason)
		return e, err
	}
	return queryList(ctx, db.pool, fmt.Sprintf("ownership events of %s", code), scan, `SELECT kind, from_owner, to_owner, by_user, at, reason FROM (
		SELECT kind, coalesce(from_owner, '') AS from_owner, coalesce(to_owner, '') AS to_owner, by_user, at, reason, id
		FROM ownership_events WHERE customer_code = $1
		UNION ALL SELECT 'warn', '', owner, 'system', warned_at, 'returns to the pool unless followed up', 0
		FROM pool_warnings WHERE customer_code = $1) e ORDER BY at, id`, code)
}

// Activity is a visit, call or meeting with a customer, possibly on a deal.
type Activity struct {
	ID         int64     `json:"id"`
	Customer   string    `json:"customer"`
	DealID     string    `json:"deal_id,omitempty"`
	Kind       string    `json:"kind"`
	HappenedAt time.Time `json:"happened_at"`
	By         string    `json:"by"`
	Note       string    `json:"note,omitempty"`
}

// ActivityAdd logs a; call it inside InTxAudited.
func (db *DB) ActivityAdd(ctx context.Context, a Activity) (int64, error) {
	return queryValue[int64](ctx, db.q(ctx), "log activity on "+a.Customer, `INSERT INTO customer_activities (customer_code, deal_id, kind, happened_at, by_user, note)
		VALUES ($1, NULLIF($2, ''), $3, $4, $5, $6) RETURNING id`, a.Customer, a.DealID, a.Kind, a.HappenedAt, a.By, a.Note)
}

// ActivityList lists customer code's activities, newest first.
func (db *DB) ActivityList(ctx context.Context, code string, limit int) ([]Activity, error) {
	scan := func(r pgx.CollectableRow) (Activity, error) {
		var a Activity
		err := r.Scan(&a.ID, &a.Customer, &a.DealID, &a.Kind, &a.HappenedAt, &a.By, &a.Note)
		return a, err
	}
	return queryList(ctx, db.pool, fmt.Sprintf("activities of %s", code), scan, `SELECT id, customer_code, coalesce(deal_id, ''), kind, happened_at, by_user, note
		FROM customer_activities WHERE customer_code = $1 ORDER BY happened_at DESC, id DESC LIMIT $2`, code, limit)
}

// RecycleCounts is what one run of the pool clock did.
type RecycleCounts struct {
	Idle     int64 `json:"idle"`     // owned customers idle past their warning point, or warned
	Warned   int64 `json:"warned"`   // owners warned (customers)
	Recycled int64 `json:"recycled"` // customers returned to the pool
	Cleared  int64 `json:"cleared"`  // warnings withdrawn after a follow-up
}

// PoolRecycle runs the pool clock as of now with each class's cutoffs, in one
// transaction and a handful of set-based statements: customers followed up
// since their warning lose it; those idle past their class's warning point are
// warned (their owner told once, with the count); those idle past the class's
// limit and warned long enough return to the pool. One audit entry
// (pool.recycle, by system) records the counts. A second run for the same
// moment finds nothing more to do.
func (db *DB) PoolRecycle(ctx context.Context, chain audit.Chain, now time.Time, cuts []ownership.Cutoff) (RecycleCounts, error) {
	var n RecycleCounts
	classes := make([]string, len(cuts))
	warn, recycle, warned := make([]time.Time, len(cuts)), make([]time.Time, len(cuts)), make([]time.Time, len(cuts))
	for i, c := range cuts {
		classes[i], warn[i], recycle[i], warned[i] = c.Class, c.WarnBefore, c.RecycleBefore, c.WarnedBefore
	}
	// Follow-ups older than every class's limit decide nothing (the customer
	// is idle whatever they were), so the clock reads only the newer ones.
	oldest := now
	for _, c := range cuts {
		if c.RecycleBefore.Before(oldest) {
			oldest = c.RecycleBefore
		}
	}
	day := now.UTC().Format(time.DateOnly)
	err := db.InTxAudited(ctx, chain, func(ctx context.Context) (audit.Entry, error) {
		tx := ctx.Value(txKey{}).(pgx.Tx)
		// Each owned customer's last follow-up, computed once per source with
		// GROUP BY (not a subquery per customer), into a scratch table.
		tag, err := tx.Exec(ctx, `CREATE TEMP TABLE pool_clock ON COMMIT DROP AS
			WITH act AS (SELECT customer_code, max(happened_at) AS at FROM customer_activities WHERE happened_at >= $6 GROUP BY 1),
			moved AS (SELECT d.customer_code, max(h.at) AS at FROM deal_history h JOIN deals d ON d.id = h.deal_id
				WHERE h.actor <> 'system' AND h.at >= $6 GROUP BY 1),
			won AS (SELECT customer_code, max(CASE WHEN stage = 'closed' THEN closed_at ELSE $1 END) AS at FROM deals
				WHERE stage IN ('order', 'delivery', 'payment_collection', 'closed') GROUP BY 1),
			rule AS (SELECT * FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[])
				AS r(value_class, warn_before, recycle_before, warned_before))
			SELECT * FROM (SELECT c.code, c.sales_owner AS owner, w.warned_at, r.warn_before, r.recycle_before, r.warned_before,
				greatest(coalesce(c.owned_since, c.created_at), act.at, moved.at, won.at) AS last
			FROM customers c JOIN rule r ON r.value_class = c.value_class
			LEFT JOIN act ON act.customer_code = c.code LEFT JOIN moved ON moved.customer_code = c.code
			LEFT JOIN won ON won.customer_code = c.code
			LEFT JOIN pool_warnings w ON w.customer_code = c.code AND w.owner = c.sales_owner
			WHERE c.sales_owner IS NOT NULL) k
			-- Only those the run may change: idle past the warning point, or warned.
			WHERE k.last < k.warn_before OR k.warned_at IS NOT NULL`, now, classes, warn, recycle, warned, oldest)
		if err != nil {
			return audit.Entry{}, fmt.Errorf("pool clock: %w", err)
		}
		n.Idle = tag.RowsAffected()
		// A fresh temporary table has no statistics: without them the joins
		// below are planned as if it were empty (nested loops over 100,000 rows).
		if _, err := tx.Exec(ctx, `ALTER TABLE pool_clock ADD PRIMARY KEY (code); ANALYZE pool_clock`); err != nil {
			return audit.Entry{}, fmt.Errorf("pool clock: %w", err)
		}
		if tag, err = tx.Exec(ctx, `DELETE FROM pool_warnings w USING pool_clock k
			WHERE k.code = w.customer_code AND k.warned_at IS NOT NULL AND k.last >= k.warn_before`); err != nil {
			return audit.Entry{}, fmt.Errorf("pool clock: clear warnings: %w", err)
		}
		n.Cleared = tag.RowsAffected()
		// Returned to the pool: idle past the limit and warned long enough.
		if err = tx.QueryRow(ctx, `WITH gone AS (
				UPDATE customers c SET sales_owner = NULL, previous_owner = k.owner, owned_since = NULL, pool_since = $1,
					updated_at = now()
				FROM pool_clock k WHERE k.code = c.code AND k.last < k.recycle_before AND k.warned_at < k.warned_before
				RETURNING c.code, k.owner, k.recycle_before),
			unwarned AS (DELETE FROM pool_warnings w USING gone WHERE w.customer_code = gone.code),
			ev AS (INSERT INTO ownership_events (customer_code, kind, from_owner, by_user, at, reason)
				SELECT code, 'recycle', owner, 'system', $1, 'no follow-up since ' || to_char(recycle_before AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM gone),
			told AS (`+ownersTold("gone", "pool-recycle/", "returned to the pool", "Not followed up in time: ")+`)
			SELECT count(*) FROM gone`, now, day).Scan(&n.Recycled); err != nil {
			return audit.Entry{}, fmt.Errorf("pool clock: recycle: %w", err)
		}
		// Warned: idle past the warning point, not warned yet, still owned.
		if err = tx.QueryRow(ctx, `WITH told AS (
				INSERT INTO pool_warnings (customer_code, owner, warned_at)
				SELECT k.code, k.owner, $1 FROM pool_clock k
				WHERE k.warned_at IS NULL AND k.last < k.warn_before
				ON CONFLICT (customer_code) DO UPDATE SET owner = EXCLUDED.owner, warned_at = EXCLUDED.warned_at
				RETURNING customer_code AS code, owner),
			note AS (`+ownersTold("told", "pool-warn/", "are about to return to the pool", "Log a visit, call or meeting, or move a deal, to keep them: ")+`)
			SELECT count(*) FROM told`, now, day).Scan(&n.Warned); err != nil {
			return audit.Entry{}, fmt.Errorf("pool clock: warn: %w", err)
		}
		if n.Warned == 0 && n.Recycled == 0 && n.Cleared == 0 {
			return audit.Entry{}, nil // nothing changed: nothing to record
		}
		detail, err := json.Marshal(n)
		if err != nil {
			return audit.Entry{}, err
		}
		return audit.Entry{At: now, Actor: "system", Action: "pool.recycle", ObjectType: "pool", ObjectID: day, Detail: detail}, nil
	})
	if err != nil {
		return RecycleCounts{}, err
	}
	return n, nil
}

// ownersTold is the insert of one message per owner of the customers in
// rows (code, owner), keyed by prefix, owner and the day ($2), listing them.
// The texts are constants of this file, not input.
func ownersTold(rows, prefix, what, lead string) string {
	return `INSERT INTO notifications (dedupe_key, recipient, subject, body)
		SELECT '` + prefix + `' || owner || '/' || $2, owner, count(*) || ' of your customers ` + what + `',
			'` + lead + `' || string_agg(code, ', ' ORDER BY code) FROM ` + rows + ` GROUP BY owner
		ON CONFLICT (dedupe_key) DO NOTHING`
}

// Handover is what one handover moved in the database; the deals and the
// approval steps move through their workflows, and are added after.
type Handover struct {
	ID        int64    `json:"id"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Customers []string `json:"customers"`
	Plans     int64    `json:"collection_plans"`
	// OpenDeals and OpenSteps are what is left to move: the open deals the
	// leaver sells and the approval steps they hold (case ID, per step).
	OpenDeals []string `json:"-"`
	OpenSteps []string `json:"-"`
}

// HandoverCustomers moves every customer from owns to to, and from's
// collection plans where that table exists, recording one ownership event per
// customer and the handover row. It lists the open deals and approval steps
// left to move. Call it inside InTxAudited.
func (db *DB) HandoverCustomers(ctx context.Context, from, to, by, reason string, now time.Time) (Handover, error) {
	h := Handover{From: from, To: to}
	err := db.txIn(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH moved AS (UPDATE customers SET sales_owner = $2, owned_since = $4,
				previous_owner = $1, updated_at = now() WHERE sales_owner = $1 RETURNING code),
			unwarned AS (DELETE FROM pool_warnings w USING moved WHERE w.customer_code = moved.code),
			ev AS (INSERT INTO ownership_events (customer_code, kind, from_owner, to_owner, by_user, at, reason)
				SELECT code, 'handover', $1, $2, $3, $4, $5 FROM moved)
			SELECT code FROM moved ORDER BY code`, from, to, by, now, reason)
		if err != nil {
			return fmt.Errorf("hand over customers: %w", err)
		}
		if h.Customers, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("hand over customers: %w", err)
		}
		// Collection plans (issue 13) follow their owner where l2c has them.
		var col string
		err = tx.QueryRow(ctx, `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()
			AND table_name = 'collection_plans' AND column_name IN ('owner', 'payment_owner', 'sales_owner') ORDER BY column_name LIMIT 1`).Scan(&col)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("hand over collection plans: %w", err)
		default:
			tag, err := tx.Exec(ctx, `UPDATE collection_plans SET `+pgx.Identifier{col}.Sanitize()+` = $2 WHERE `+
				pgx.Identifier{col}.Sanitize()+` = $1`, from, to)
			if err != nil {
				return fmt.Errorf("hand over collection plans: %w", err)
			}
			h.Plans = tag.RowsAffected()
		}
		if rows, err = tx.Query(ctx, `SELECT id FROM deals WHERE sales_owner = $1 AND stage NOT IN ('closed', 'lost') ORDER BY id`, from); err != nil {
			return fmt.Errorf("open deals of %s: %w", from, err)
		}
		if h.OpenDeals, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("open deals of %s: %w", from, err)
		}
		if rows, err = tx.Query(ctx, `SELECT DISTINCT case_id FROM approval_steps WHERE approver = $1 AND status = 'pending' ORDER BY case_id`, from); err != nil {
			return fmt.Errorf("open steps of %s: %w", from, err)
		}
		if h.OpenSteps, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("open steps of %s: %w", from, err)
		}
		return tx.QueryRow(ctx, `INSERT INTO ownership_handovers (from_user, to_user, by_user, reason, customers, deals, steps)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, from, to, by, reason, h.Customers, h.OpenDeals, h.OpenSteps).Scan(&h.ID)
	})
	return h, err
}

// UserWithManager reads user id, whether they are disabled, and their manager.
func (db *DB) UserWithManager(ctx context.Context, id string) (identity.User, bool, string, error) {
	var u identity.User
	var disabled bool
	var manager string
	err := db.q(ctx).QueryRow(ctx, `SELECT id, name, team, roles, disabled, coalesce(manager_id, '') FROM users WHERE id = $1`, id).
		Scan(&u.ID, &u.Name, &u.Team, &u.Roles, &disabled, &manager)
	if err != nil {
		return identity.User{}, false, "", fmt.Errorf("user %s: %w", id, notFound(err))
	}
	return u, disabled, manager, nil
}
