package database

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/funnel"
	"github.com/l2c/l2c/internal/money"
)

// The funnel and forecast (issue 14, item 4) read l2c's own deal history,
// as its viewer may see the deals: a rep their own, a manager the team's,
// market management, finance and admins all (dealVisible; a department's
// stages do not make a funnel, so they are not counted).

// FunnelFilter narrows the deals a funnel counts. Zero values match all.
type FunnelFilter struct {
	Viewer Viewer
	// SalesOwner: only this person's deals.
	SalesOwner string
	// Since: only deals opened at or after it.
	Since time.Time
}

func (f FunnelFilter) args() []any {
	v := f.Viewer
	v.Stages = nil
	return append(v.args(), f.SalesOwner, f.Since)
}

const funnelWhere = dealVisible + ` AND ($6 = '' OR d.sales_owner = $6) AND d.created_at >= $7`

// FunnelRules returns the rules of the funnel's probabilities.
func (db *DB) FunnelRules(ctx context.Context) (funnel.Rules, error) {
	var r funnel.Rules
	var ladder []byte
	if err := db.q(ctx).QueryRow(ctx, `SELECT min_sample, ladder FROM funnel_rules`).Scan(&r.MinSample, &ladder); err != nil {
		return r, fmt.Errorf("funnel rules: %w", err)
	}
	if err := json.Unmarshal(ladder, &r.Ladder); err != nil {
		return r, fmt.Errorf("funnel rules ladder: %w", err)
	}
	return r, nil
}

// FunnelRulesSave replaces the rules; call it inside InTxAudited.
func (db *DB) FunnelRulesSave(ctx context.Context, r funnel.Rules, by string) error {
	ladder, err := json.Marshal(r.Ladder)
	if err != nil {
		return err
	}
	if _, err := db.q(ctx).Exec(ctx, `UPDATE funnel_rules SET min_sample = $1, ladder = $2, updated_by = $3, updated_at = now()`,
		r.MinSample, ladder, by); err != nil {
		return fmt.Errorf("save funnel rules: %w", err)
	}
	return nil
}

// FunnelTransitions returns the stage changes of the deals f matches, each
// deal's in order.
func (db *DB) FunnelTransitions(ctx context.Context, f FunnelFilter) ([]funnel.Transition, error) {
	return queryList(ctx, db.pool, "funnel", func(r pgx.CollectableRow) (funnel.Transition, error) {
		var t funnel.Transition
		err := r.Scan(&t.DealID, &t.From, &t.To, &t.At)
		return t, err
	}, `SELECT h.deal_id, h.from_stage, h.to_stage, h.at
		FROM deals d JOIN deal_history h ON h.deal_id = d.id
		WHERE `+funnelWhere+f.Viewer.narrowing()+` AND h.from_stage <> h.to_stage
		ORDER BY h.deal_id, h.seq`, f.args()...)
}

// ForecastDeals returns the open deals before the order that f matches,
// each with its best known amount: the contract's, else the newest quote's
// net total, else the expected amount.
func (db *DB) ForecastDeals(ctx context.Context, f FunnelFilter) ([]funnel.OpenDeal, error) {
	return queryList(ctx, db.pool, "forecast", func(r pgx.CollectableRow) (funnel.OpenDeal, error) {
		var d funnel.OpenDeal
		var amount int64
		err := r.Scan(&d.ID, &d.Title, &d.SalesOwner, &d.Stage, &d.Currency, &amount, &d.PurchaseTimeframe,
			&d.CommitCategory, &d.ExpectedOrderMonth, &d.CreatedAt)
		d.Amount = money.Amount(amount)
		return d, err
	}, `SELECT d.id, d.title, d.sales_owner, d.stage, d.currency,
			coalesce(c.amount, q.net_total, d.expected_amount), d.purchase_timeframe, d.commit_category,
			d.expected_order_month, d.created_at
		FROM deals d
		LEFT JOIN deal_contracts c ON c.deal_id = d.id
		LEFT JOIN LATERAL (SELECT net_total FROM deal_quotes WHERE deal_id = d.id ORDER BY revision DESC LIMIT 1) q ON true
		WHERE `+funnelWhere+f.Viewer.narrowing()+` AND d.stage = ANY($8)
		ORDER BY d.id`, append(f.args(), stageNames(funnel.Stages))...)
}

func stageNames(ss []deal.Stage) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// FollowUpReminders tells the sales owner of each open deal before the
// order whose last follow-up (a person's move on it, an activity on it or
// on its customer, its opening) is older than its timeframe's cutoff, or the
// near cutoff once its expected order month is at most c.NearMonth, to
// follow it up: one notification per deal per idle spell (keyed by the last
// follow-up), however often the clock runs. Deals without a timeframe are
// left alone. It returns how many reminders it wrote.
func (db *DB) FollowUpReminders(ctx context.Context, c funnel.FollowUpCutoffs, loc *time.Location) (int, error) {
	tag, err := db.pool.Exec(ctx, `
		WITH open AS (
			SELECT d.id, d.title, d.sales_owner, d.purchase_timeframe,
				coalesce(nullif(d.expected_order_month, ''), to_char((d.created_at AT TIME ZONE $8::text) + CASE d.purchase_timeframe
					WHEN '3_months' THEN interval '3 months' WHEN '6_months' THEN interval '6 months'
					WHEN '1_year' THEN interval '12 months' ELSE interval '0' END, 'YYYY-MM')) AS month,
				greatest(d.created_at,
					(SELECT max(h.at) FROM deal_history h WHERE h.deal_id = d.id AND h.actor <> 'system'),
					(SELECT max(a.happened_at) FROM customer_activities a WHERE a.deal_id = d.id),
					(SELECT max(a.happened_at) FROM customer_activities a WHERE d.customer_code <> '' AND a.customer_code = d.customer_code)
				) AS last_at
			FROM deals d
			WHERE d.stage = ANY($1) AND d.purchase_timeframe <> ''
		)
		INSERT INTO notifications (dedupe_key, recipient, subject, body, deal_id)
		SELECT 'follow-up/' || id || '/' || (extract(epoch FROM last_at) * 1000000)::bigint, sales_owner,
			'Follow up ' || id || ' ' || title || ': nothing since ' || to_char(last_at AT TIME ZONE $8::text, 'YYYY-MM-DD'),
			'The customer means to buy ' || replace(purchase_timeframe, '_', ' ') || ' (order expected ' || month ||
				'); the deal has had no follow-up since ' || to_char(last_at AT TIME ZONE $8::text, 'YYYY-MM-DD') || '.',
			id
		FROM open
		WHERE last_at < CASE WHEN month <= $7::text THEN greatest($6::timestamptz, CASE purchase_timeframe WHEN 'now' THEN $2::timestamptz WHEN '3_months' THEN $3::timestamptz
				WHEN '6_months' THEN $4::timestamptz ELSE $5::timestamptz END)
			ELSE CASE purchase_timeframe WHEN 'now' THEN $2::timestamptz WHEN '3_months' THEN $3::timestamptz WHEN '6_months' THEN $4::timestamptz ELSE $5::timestamptz END END
		ON CONFLICT (dedupe_key) DO NOTHING`,
		stageNames(funnel.Stages), c.ByTimeframe[deal.TimeframeNow], c.ByTimeframe[deal.Timeframe3Months],
		c.ByTimeframe[deal.Timeframe6Months], c.ByTimeframe[deal.TimeframeOneYear], c.Near, c.NearMonth, loc.String())
	if err != nil {
		return 0, fmt.Errorf("follow-up reminders: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
