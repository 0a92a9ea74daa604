package database

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/money"
)

// Receivables ageing over every open item the ERP holds (receivable_items,
// kept by triggers on the sync's tables: customers with no deal included),
// and the collection forecast by week from the plans. Those who see
// everything (finance, management, admins) read the totals from summaries
// the dunning tick rebuilds every hour, so a report over a million open
// items answers in milliseconds. Everyone else's slice is read live and
// exact from the report cells (migration 00137: the items per customer,
// deal and due day; the instalments per the columns that decide who sees a
// deal and expected week), kept by triggers, through the customer and deal
// predicates every other read uses: a manager's or a collector's report
// adds up thousands of cells, not hundreds of thousands of items.

// AgeingRow is one line of the ageing report: a customer, an owner or an
// office, in one currency, with what is open in each bucket.
type AgeingRow struct {
	Key      string                             `json:"key"`
	Name     string                             `json:"name,omitempty"`
	Currency string                             `json:"currency"`
	Buckets  map[collection.Bucket]money.Amount `json:"buckets"`
	Total    money.Amount                       `json:"total"`
	Items    int64                              `json:"items"`
}

// Ageing is the report: its rows, the totals per currency, and how fresh
// the summaries it read were (nil: read live).
type Ageing struct {
	By          string      `json:"by"`
	AsOf        string      `json:"as_of"`
	Rows        []AgeingRow `json:"rows"`
	Totals      []AgeingRow `json:"totals"`
	Next        string      `json:"next,omitempty"`
	RefreshedAt *time.Time  `json:"refreshed_at,omitempty"`
}

// AgeingBy is what the report groups by.
var AgeingBy = []string{"customer", "owner", "office"}

// receivableLive is every open item v may see with its owner (the deal's
// payment owner, else the customer's sales owner) and office (the owner's
// team); the viewer is $1..$5 (customerArgs).
const receivableLive = `SELECT coalesce(nullif(d.payment_owner, ''), c.sales_owner, '') AS owner, coalesce(u.team, '') AS office,
		r.customer_code, coalesce(c.name, r.customer_code) AS customer_name, r.currency, r.due_on, r.open, 1 AS items
	FROM receivable_items r
	LEFT JOIN customers c ON c.code = r.customer_code
	LEFT JOIN deals d ON d.id = r.deal_id
	LEFT JOIN users u ON u.id = coalesce(nullif(d.payment_owner, ''), c.sales_owner)
	WHERE ($2 OR (c.code IS NOT NULL AND (` + customerEntitled + ` OR ` + customerCollects + `)))`

// receivableReach is receivableLive for a viewer who does not see
// everything: the same figures, read from the report cells of the
// customers the viewer may see (taken first, reachCustomers), cells and
// deltas not yet folded alike (an ageing sums them: receivableCellsHaving),
// %s the conditions on the cells r and their customer c. OFFSET 0 keeps
// the owner worked out once per cell and the users joined once, not per cell.
// The owner and office are the deal's and customer's as they are now.
const receivableReach = `SELECT x.owner, coalesce(u.team, '') AS office,
		x.customer_code, x.customer_name, x.currency, x.due_on, x.open, x.items
	FROM (SELECT coalesce(nullif(CASE WHEN r.deal_id <> '' THEN (SELECT d.payment_owner FROM deals d WHERE d.id = r.deal_id) END, ''),
			c.sales_owner, '') AS owner,
			r.customer_code, coalesce(c.name, r.customer_code) AS customer_name, r.currency, r.due_on, r.open, r.items
		FROM (SELECT customer_code, deal_id, currency, due_on, open, items FROM receivable_cells
			UNION ALL SELECT customer_code, deal_id, currency, due_on, open, items FROM receivable_cell_deltas) r
		JOIN customers c ON c.code = r.customer_code
		WHERE %s OFFSET 0) x
	LEFT JOIN users u ON u.id = nullif(x.owner, '')`

// receivableCellsHaving keeps the groups with an item open: cells whose
// items were all paid or cancelled since the last fold add up to none.
const receivableCellsHaving = ` HAVING sum(items) > 0`

// reachCustomers are the customers a viewer's receivables come from.
const reachCustomers = `SELECT c.code FROM customers c WHERE ` + customerEntitled + ` OR ` + customerCollects

// reachFew is how many customers a viewer may reach for the ageing to read
// their cells by index (a list taken first); past it, one pass over the
// cells testing each one's customer is cheaper, and a collector named on
// every deal reads them that way.
var reachFew = 2000

// reachesFew reports whether the list selects ($1..$5 the viewer) at most
// reachFew rows: a report then reads their cells by index.
func reachesFew(ctx context.Context, tx pgx.Tx, list string, args []any) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (`+list+` LIMIT `+fmt.Sprint(reachFew+1)+`) x`, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("reach: %w", err)
	}
	return n <= reachFew, nil
}

// reportRead runs a report's statements in one read-only snapshot (its rows
// and totals agree) without JIT: a report's plan over thousands of cells
// is costed high enough for the server to compile it, which takes longer
// than the report itself (300 ms of emission for a 30 ms read).
func (db *DB) reportRead(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		return fn(tx)
	})
}

// receivableSummary is the same rows from the hourly summary (everything);
// it takes the viewer's parameters like the live rows, and needs none.
const receivableSummary = `SELECT owner, office, '' AS customer_code, '' AS customer_name, currency, due_on, open, items
	FROM receivable_summary WHERE $2::boolean OR ($1::text, $3::text, $4::boolean, $5::boolean) IS NULL`

// ageingColumns aggregates rows (owner, office, customer_code,
// customer_name, currency, due_on, open, items) into the buckets as of $6.
const ageingColumns = `currency,
	sum(open) FILTER (WHERE $6::date - due_on <= 0),
	sum(open) FILTER (WHERE $6::date - due_on BETWEEN 1 AND 30),
	sum(open) FILTER (WHERE $6::date - due_on BETWEEN 31 AND 60),
	sum(open) FILTER (WHERE $6::date - due_on BETWEEN 61 AND 90),
	sum(open) FILTER (WHERE $6::date - due_on > 90),
	sum(open), sum(items)`

// ReceivablesAgeing is the ageing of every open item v may see as of asOf,
// by customer (pages of limit customers in code order, after the cursor),
// owner or office.
func (db *DB) ReceivablesAgeing(ctx context.Context, v Viewer, by string, asOf collection.Date, after string, limit int) (Ageing, error) {
	a := Ageing{By: by, AsOf: asOf.String(), Rows: []AgeingRow{}, Totals: []AgeingRow{}}
	err := db.reportRead(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = receivablesAgeing(ctx, tx, v, by, asOf, after, limit)
		return err
	})
	return a, err
}

func receivablesAgeing(ctx context.Context, tx pgx.Tx, v Viewer, by string, asOf collection.Date, after string, limit int) (Ageing, error) {
	a := Ageing{By: by, AsOf: asOf.String(), Rows: []AgeingRow{}, Totals: []AgeingRow{}}
	args := append(v.customerArgs(), asOf.String())
	source, paged := receivableLive, receivableLive+` AND r.customer_code IN (
			SELECT DISTINCT r2.customer_code FROM receivable_items r2 LEFT JOIN customers c ON c.code = r2.customer_code
			WHERE r2.customer_code > $7 AND ($2 OR (c.code IS NOT NULL AND (`+customerEntitled+` OR `+customerCollects+`)))
			ORDER BY 1 LIMIT $8)`
	if !v.All {
		few, err := reachesFew(ctx, tx, reachCustomers, v.customerArgs())
		if err != nil {
			return a, fmt.Errorf("ageing: %w", err)
		}
		// Few customers: their cells by index; many: every cell, the
		// predicate on its customer (a collector's whole book).
		cond := `r.customer_code = ANY(ARRAY(` + reachCustomers + `))`
		if !few {
			cond = `(` + customerEntitled + ` OR ` + customerCollects + `)`
		}
		source, paged = fmt.Sprintf(receivableReach, cond), fmt.Sprintf(receivableReach, cond+` AND r.customer_code IN (
			SELECT c.code FROM customers c WHERE c.code > $7 AND (`+customerEntitled+` OR `+customerCollects+`)
			  AND EXISTS (SELECT 1 FROM receivable_items r2 WHERE r2.customer_code = c.code)
			ORDER BY 1 LIMIT $8)`)
	}
	live := source
	if v.All {
		var at time.Time
		err := tx.QueryRow(ctx, `SELECT at FROM collection_summaries_refreshed`).Scan(&at)
		if err == nil {
			source, a.RefreshedAt = receivableSummary, &at
		} else if err != pgx.ErrNoRows {
			return a, fmt.Errorf("ageing: %w", err)
		}
	}
	var key, name string
	switch by {
	case "customer":
		// Customers come a page at a time, live (the summary has no
		// customers): a page reads its customers' items by index.
		source, key, name = paged, "customer_code", "customer_name"
		args = append(args, after, limit)
	case "owner":
		key, name = "owner", "owner"
	case "office":
		key, name = "office", "office"
	default:
		return a, fmt.Errorf("ageing by %q", by)
	}
	if by != "customer" {
		// By owner or office the rows and the totals add up the same
		// rows: one pass, the totals a grouping set of their own.
		q := `SELECT grouping(` + key + `) = 1, coalesce(` + key + `, ''),
			CASE WHEN grouping(` + key + `) = 1 THEN '' ELSE max(` + name + `) END, ` + ageingColumns + ` FROM (` + source + `) x
			GROUP BY GROUPING SETS ((` + key + `, currency), (currency))` + receivableCellsHaving + ` ORDER BY 1, 2, 4`
		all, err := queryList(ctx, tx, "ageing by "+by, func(r pgx.CollectableRow) (totalOr[AgeingRow], error) {
			var t totalOr[AgeingRow]
			row, err := scanAgeingRow(groupingRow{r, &t.total})
			t.row = row
			return t, err
		}, q, append([]any{reachMode}, args...)...)
		if err != nil {
			return a, err
		}
		for _, t := range all {
			if t.total {
				a.Totals = append(a.Totals, t.row)
			} else {
				a.Rows = append(a.Rows, t.row)
			}
		}
		return a, nil
	}
	q := `SELECT ` + key + `, max(` + name + `), ` + ageingColumns + ` FROM (` + source + `) x GROUP BY ` + key + `, currency` +
		receivableCellsHaving + ` ORDER BY 1, 3`
	rows, err := tx.Query(ctx, q, append([]any{reachMode}, args...)...)
	if err != nil {
		return a, fmt.Errorf("ageing by %s: %w", by, err)
	}
	if a.Rows, err = pgx.CollectRows(rows, scanAgeingRow); err != nil {
		return a, fmt.Errorf("ageing by %s: %w", by, err)
	}
	if by == "customer" && len(a.Rows) > 0 {
		var codes int
		last := ""
		for _, r := range a.Rows {
			if r.Key != last {
				codes, last = codes+1, r.Key
			}
		}
		if codes == limit {
			a.Next = last
		}
	}
	// The totals are over everything, not the page.
	totals := live
	if a.RefreshedAt != nil {
		totals = receivableSummary
	}
	rows, err = tx.Query(ctx, `SELECT '', '', `+ageingColumns+` FROM (`+totals+`) x GROUP BY currency`+receivableCellsHaving+` ORDER BY currency`,
		append([]any{reachMode}, args[:6]...)...)
	if err != nil {
		return a, fmt.Errorf("ageing totals: %w", err)
	}
	if a.Totals, err = pgx.CollectRows(rows, scanAgeingRow); err != nil {
		return a, fmt.Errorf("ageing totals: %w", err)
	}
	return a, nil
}

// totalOr is a row of a statement with grouping sets: a row, or a total.
type totalOr[T any] struct {
	total bool
	row   T
}

// groupingRow scans its statement's first column (grouping(...) = 1) into
// total and hands the rest to the row's scan.
type groupingRow struct {
	pgx.CollectableRow
	total *bool
}

func (g groupingRow) Scan(dest ...any) error {
	return g.CollectableRow.Scan(append([]any{g.total}, dest...)...)
}

func scanAgeingRow(r pgx.CollectableRow) (AgeingRow, error) {
	var row AgeingRow
	var b [5]*int64
	var total, items int64
	if err := r.Scan(&row.Key, &row.Name, &row.Currency, &b[0], &b[1], &b[2], &b[3], &b[4], &total, &items); err != nil {
		return row, err
	}
	row.Buckets = map[collection.Bucket]money.Amount{}
	for i, bucket := range collection.Buckets {
		if b[i] != nil {
			row.Buckets[bucket] = money.Amount(*b[i])
		} else {
			row.Buckets[bucket] = 0
		}
	}
	row.Total, row.Items = money.Amount(total), items
	if row.Name == row.Key {
		row.Name = ""
	}
	return row, nil
}

// ForecastWeek is what is expected to come in in one week.
type ForecastWeek struct {
	Week     collection.Date `json:"week"` // its Monday
	Currency string          `json:"currency"`
	Expected money.Amount    `json:"expected"`
	Items    int64           `json:"items"`
}

// Forecast is the weekly collection forecast from this week on; Later is
// what is expected after the last week shown.
type Forecast struct {
	From        collection.Date `json:"from"`
	Weeks       []ForecastWeek  `json:"weeks"`
	Later       []ForecastWeek  `json:"later"`
	RefreshedAt *time.Time      `json:"refreshed_at,omitempty"`
}

// forecastLive is each open, scheduled instalment of a deal v may see
// (dealVisible, $1..$5) with the week it is expected in: its due date plus
// its customer's average days to pay, never before $6 (today).
const forecastLive = `SELECT date_trunc('week', greatest(i.due_on + coalesce(s.avg_days_late, 0), $6::date))::date AS week,
		i.currency, sum(i.amount - i.paid - i.credited) AS expected, count(*) AS items
	FROM collection_instalments i
	JOIN deals d ON d.id = i.deal_id
	LEFT JOIN customer_pay_stats s ON s.customer_code = i.customer_code
	WHERE i.settled_on IS NULL AND i.due_on IS NOT NULL AND ` + dealVisible + `
	GROUP BY 1, 2`

// reachMode plans a report's statement for its parameters every time (an
// unnamed statement), not once for any viewer: how many customers or deals
// a viewer reaches decides between reading by index and one pass, and a
// plan cached for a rep must not serve a collector.
const reachMode = pgx.QueryExecModeDescribeExec

// forecastCells is forecastLive for a viewer who does not see every deal,
// from the report cells: the open instalments per the columns dealVisible
// reads (the cells and deltas as alias d, so the predicate is the deals'
// own) and expected week, a week already past being this week ($6,
// today). A delta not yet folded keeps its customer and due day and is put
// in its week with the same days to pay as the cells.
const forecastCells = `SELECT greatest(d.week, date_trunc('week', $6::date)::date) AS week, d.currency, d.expected, d.items
	FROM collection_forecast_cells d WHERE ` + dealVisible + `
	UNION ALL
	SELECT date_trunc('week', greatest(d.due_on + coalesce(s.avg_days_late, 0), $6::date))::date, d.currency, d.expected, d.items
	FROM collection_forecast_deltas d LEFT JOIN customer_pay_stats s ON s.customer_code = d.customer_code WHERE ` + dealVisible

// CollectionForecast is the forecast for v from today's week, weeks long.
func (db *DB) CollectionForecast(ctx context.Context, v Viewer, today collection.Date, weeks int) (Forecast, error) {
	from := collection.WeekOf(today)
	f := Forecast{From: from, Weeks: []ForecastWeek{}, Later: []ForecastWeek{}}
	q, args := forecastLive, append(v.args(), today.String())
	if !v.All {
		q = forecastCells
	}
	if v.All {
		var at time.Time
		err := db.pool.QueryRow(ctx, `SELECT at FROM collection_summaries_refreshed`).Scan(&at)
		if err == nil {
			// Weeks before this one (the summary's day was earlier) are this week's.
			q, args, f.RefreshedAt = `SELECT greatest(week, date_trunc('week', $1::date)::date) AS week, currency,
				sum(expected) AS expected, sum(items) AS items FROM collection_forecast_summary GROUP BY 1, 2`, []any{today.String()}, &at
		} else if err != pgx.ErrNoRows {
			return f, fmt.Errorf("forecast: %w", err)
		}
	}
	var all []ForecastWeek
	err := db.reportRead(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT week, currency, sum(expected), sum(items) FROM (`+q+`) x GROUP BY 1, 2
			HAVING sum(items) > 0 ORDER BY 1, 2`,
			append([]any{reachMode}, args...)...)
		if err != nil {
			return err
		}
		all, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ForecastWeek, error) {
			var w ForecastWeek
			var week time.Time
			var expected int64
			err := r.Scan(&week, &w.Currency, &expected, &w.Items)
			w.Week, w.Expected = dateOf(week), money.Amount(expected)
			return w, err
		})
		return err
	})
	if err != nil {
		return f, fmt.Errorf("forecast: %w", err)
	}
	end := from.AddDays(7 * weeks)
	later := map[string]*ForecastWeek{}
	for _, w := range all {
		if w.Week.Before(end) {
			f.Weeks = append(f.Weeks, w)
			continue
		}
		l, ok := later[w.Currency]
		if !ok {
			f.Later = append(f.Later, ForecastWeek{Week: end, Currency: w.Currency})
			l = &f.Later[len(f.Later)-1]
			later[w.Currency] = l
		}
		l.Expected += w.Expected
		l.Items += w.Items
	}
	return f, nil
}

// CollectionSummariesRefresh rebuilds the summaries the reports over
// everything read: ageing by owner and office per due day, each
// customer's days to pay over the last year, and the forecast by week as
// of today; and folds the report cells' deltas into the cells (the
// forecast's cells rebuilt when the days to pay changed, as they are put
// in their weeks with them). One transaction: readers see the old or the
// new, whole.
func (db *DB) CollectionSummariesRefresh(ctx context.Context, today collection.Date) error {
	const stats = `SELECT coalesce(md5(string_agg(customer_code || ':' || avg_days_late, ',' ORDER BY customer_code)), '')
		FROM customer_pay_stats`
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var before, after string
		if err := tx.QueryRow(ctx, stats).Scan(&before); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM receivable_summary`,
			`INSERT INTO receivable_summary (owner, office, currency, due_on, open, items)
			SELECT owner, office, currency, due_on, sum(open), count(*) FROM (` + receivableLive + `) x
			GROUP BY 1, 2, 3, 4`,
			`DELETE FROM customer_pay_stats`,
			`INSERT INTO customer_pay_stats (customer_code, avg_days_late, payments)
			SELECT p.customer_code, round(sum((p.received_on - i.due_on)::numeric * p.amount) / sum(p.amount))::int, count(*)
			FROM erp_payments p JOIN erp_invoices i ON i.number = p.invoice_no
			WHERE p.amount > 0 AND p.received_on > $1::date - 365
			GROUP BY 1 HAVING sum(p.amount) > 0`,
			`DELETE FROM collection_forecast_summary`,
			`INSERT INTO collection_forecast_summary (week, currency, expected, items)
			SELECT date_trunc('week', greatest(i.due_on + coalesce(s.avg_days_late, 0), $1::date))::date, i.currency,
				sum(i.amount - i.paid - i.credited), count(*)
			FROM collection_instalments i LEFT JOIN customer_pay_stats s ON s.customer_code = i.customer_code
			WHERE i.settled_on IS NULL AND i.due_on IS NOT NULL GROUP BY 1, 2`,
			`INSERT INTO collection_summaries_refreshed (at, day) VALUES (now(), $1)
			ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at, day = EXCLUDED.day`,
		} {
			var args []any
			switch {
			case strings.Contains(q, "$5"): // the live rows' viewer, made to see everything
				args = []any{"", true, "", false, false}
			case strings.Contains(q, "$1"):
				args = []any{today.String()}
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		if err := tx.QueryRow(ctx, stats).Scan(&after); err != nil {
			return err
		}
		return reportCellsFold(ctx, tx, before != after)
	})
	if err != nil {
		return fmt.Errorf("refresh collection summaries: %w", err)
	}
	// The deltas just folded are dead rows every report would scan until
	// autovacuum came by: gone now, the tables their few pages again.
	if _, err := db.pool.Exec(ctx, `VACUUM receivable_cell_deltas, collection_forecast_deltas`, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("refresh collection summaries: vacuum the folded deltas: %w", err)
	}
	return nil
}

// reportCellsFold folds the report cells' deltas into the cells, each in
// one statement (the deltas it deletes are those its snapshot sees, the
// same snapshot that reads what they are folded with, so a delta a sync
// commits meanwhile stays to be read and folded next time). rebuild: the
// days to pay changed, so the forecast's cells are rebuilt from the
// instalments instead.
func reportCellsFold(ctx context.Context, tx pgx.Tx, rebuild bool) error {
	forecast := []string{`WITH d AS (DELETE FROM collection_forecast_deltas RETURNING *)
		INSERT INTO collection_forecast_cells AS t
		SELECT d.sales_owner, d.discoverer, d.delivery_owner, d.payment_owner, d.created_by, d.stage, d.currency,
			date_trunc('week', d.due_on + coalesce(s.avg_days_late, 0))::date, sum(d.expected), sum(d.items)
		FROM d LEFT JOIN customer_pay_stats s ON s.customer_code = d.customer_code
		GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
		ON CONFLICT (sales_owner, discoverer, delivery_owner, payment_owner, created_by, stage, currency, week)
		DO UPDATE SET expected = t.expected + EXCLUDED.expected, items = t.items + EXCLUDED.items`,
		`DELETE FROM collection_forecast_cells WHERE items = 0`}
	if rebuild {
		forecast = []string{`DELETE FROM collection_forecast_cells`,
			`WITH gone AS (DELETE FROM collection_forecast_deltas)
			INSERT INTO collection_forecast_cells
			SELECT d.sales_owner, d.discoverer, d.delivery_owner, d.payment_owner, d.created_by, d.stage, i.currency,
				date_trunc('week', i.due_on + coalesce(s.avg_days_late, 0))::date, sum(i.amount - i.paid - i.credited), count(*)
			FROM collection_instalments i JOIN deals d ON d.id = i.deal_id
			LEFT JOIN customer_pay_stats s ON s.customer_code = i.customer_code
			WHERE i.settled_on IS NULL AND i.due_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`}
	}
	for _, q := range append([]string{`WITH d AS (DELETE FROM receivable_cell_deltas RETURNING *)
		INSERT INTO receivable_cells AS t
		SELECT customer_code, deal_id, currency, due_on, sum(open), sum(items) FROM d
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
		ON CONFLICT (customer_code, deal_id, currency, due_on)
		DO UPDATE SET open = t.open + EXCLUDED.open, items = t.items + EXCLUDED.items`,
		`DELETE FROM receivable_cells WHERE items = 0`}, forecast...) {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("fold report cells: %w", err)
		}
	}
	return nil
}
