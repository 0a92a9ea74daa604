package database

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/money"
)

// The collection views: the ageing narrowed to an office, an owner or a
// customer, the open items behind it (for the workbook), deliveries due
// and late, big deals signed, a payment owner's open instalments and
// finance's dunning queue. Each reads through the same predicates as the
// reports in collection_reports.go: what a viewer may not see in one form
// they may not see in any.

// ReceivableFilter narrows the collection views; empty fields match all.
type ReceivableFilter struct {
	Office   string `json:"office,omitempty"`
	Owner    string `json:"owner,omitempty"`
	Customer string `json:"customer,omitempty"`
}

// Empty reports whether f narrows nothing.
func (f ReceivableFilter) Empty() bool { return f == ReceivableFilter{} }

func (f ReceivableFilter) args() []any { return []any{f.Office, f.Owner, f.Customer} }

// where is f's conditions on the columns named, its office, owner and
// customer at $n, $n+1, $n+2. A filter not set is "$k = ”", true, rather
// than "($k = ” OR col = $k)", which a prepared statement's generic plan
// cannot read from an index.
func (f ReceivableFilter) where(n int, office, owner, customer string) string {
	var conds []string
	for i, c := range []struct{ val, col string }{{f.Office, office}, {f.Owner, owner}, {f.Customer, customer}} {
		if c.val == "" {
			conds = append(conds, fmt.Sprintf("$%d::text = ''", n+i))
		} else {
			conds = append(conds, strings.ReplaceAll(c.col, "$", fmt.Sprintf("$%d", n+i)))
		}
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// receivableFiltered is receivableLive narrowed by a filter at $7..$9.
func receivableFiltered(f ReceivableFilter) string {
	return `SELECT * FROM (` + receivableLive + `) f WHERE ` + f.where(7, "f.office = $", "f.owner = $", "f.customer_code = $")
}

// ageingGroups are the ageing's groupings: the column each groups by and
// the one that names it.
var ageingGroups = map[string][2]string{"customer": {"customer_code", "customer_name"}, "owner": {"owner", "owner"},
	"office": {"office", "office"}}

// ReceivablesAgeingOf is ReceivablesAgeing narrowed by f: with nothing to
// narrow, the report itself (summaries and all); else read live, through
// the same predicate, by customer (a page of limit customers after the
// cursor), owner or office.
func (db *DB) ReceivablesAgeingOf(ctx context.Context, v Viewer, by string, asOf collection.Date, f ReceivableFilter, after string, limit int) (Ageing, error) {
	if f.Empty() {
		return db.ReceivablesAgeing(ctx, v, by, asOf, after, limit)
	}
	a := Ageing{By: by, AsOf: asOf.String(), Rows: []AgeingRow{}, Totals: []AgeingRow{}}
	args := append(append(v.customerArgs(), asOf.String()), f.args()...)
	source := receivableFiltered(f)
	if v.All && f.Customer == "" && by != "customer" {
		// By owner or office over everything: the hourly summary has both.
		var at time.Time
		err := db.pool.QueryRow(ctx, `SELECT at FROM collection_summaries_refreshed`).Scan(&at)
		if err == nil {
			source, a.RefreshedAt = `SELECT * FROM (`+receivableSummary+`) f WHERE `+
				f.where(7, "f.office = $", "f.owner = $", "f.customer_code = $"), &at
		} else if err != pgx.ErrNoRows {
			return a, fmt.Errorf("ageing: %w", err)
		}
	}
	totals := source
	g, ok := ageingGroups[by]
	if !ok {
		return a, fmt.Errorf("ageing by %q", by)
	}
	key, name := g[0], g[1]
	if by == "customer" {
		source += ` AND f.customer_code IN (SELECT DISTINCT g.customer_code FROM (` + source + `) g
			WHERE g.customer_code > $10 ORDER BY 1 LIMIT $11)`
		args = append(args, after, limit)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+key+`, max(`+name+`), `+ageingColumns+` FROM (`+source+`) x GROUP BY `+key+`, currency ORDER BY 1, 3`, args...)
	if err != nil {
		return a, fmt.Errorf("ageing by %s: %w", by, err)
	}
	if a.Rows, err = pgx.CollectRows(rows, scanAgeingRow); err != nil {
		return a, fmt.Errorf("ageing by %s: %w", by, err)
	}
	if by == "customer" {
		a.Next = lastOfFullPage(a.Rows, limit)
	}
	rows, err = db.pool.Query(ctx, `SELECT '', '', `+ageingColumns+` FROM (`+totals+`) x GROUP BY currency ORDER BY currency`, args[:9]...)
	if err != nil {
		return a, fmt.Errorf("ageing totals: %w", err)
	}
	if a.Totals, err = pgx.CollectRows(rows, scanAgeingRow); err != nil {
		return a, fmt.Errorf("ageing totals: %w", err)
	}
	return a, nil
}

// lastOfFullPage is the cursor of the next page of customers: the last
// customer of rows (a customer a line per currency) when they are limit.
func lastOfFullPage(rows []AgeingRow, limit int) string {
	n, last := 0, ""
	for _, r := range rows {
		if r.Key != last {
			n, last = n+1, r.Key
		}
	}
	if n == limit {
		return last
	}
	return ""
}

// OpenItem is one of the ERP's open items (an invoice, or a credit note
// when negative) with its owner and office.
type OpenItem struct {
	Number       string
	CustomerCode string
	CustomerName string
	DealID       string
	Owner        string
	Office       string
	Currency     string
	IssuedOn     collection.Date
	DueOn        collection.Date
	Amount       money.Amount
	Open         money.Amount
}

// ReceivableOpenItems streams the open items v may see, narrowed by f, by
// customer then due day: the rows the ageing adds up.
func (db *DB) ReceivableOpenItems(ctx context.Context, v Viewer, f ReceivableFilter, fn func(OpenItem) error) error {
	scan := func(r pgx.CollectableRow) (OpenItem, error) {
		var it OpenItem
		var issued, due time.Time
		var amount, open int64
		err := r.Scan(&it.Number, &it.CustomerCode, &it.CustomerName, &it.DealID, &it.Owner, &it.Office,
			&it.Currency, &issued, &due, &amount, &open)
		it.IssuedOn, it.DueOn, it.Amount, it.Open = dateOf(issued), dateOf(due), money.Amount(amount), money.Amount(open)
		return it, err
	}
	return queryEach(ctx, db.pool, "open items", scan, fn, `SELECT * FROM (SELECT r.number, r.customer_code, coalesce(c.name, r.customer_code),
			coalesce(r.deal_id, ''), coalesce(nullif(d.payment_owner, ''), c.sales_owner, '') AS owner, coalesce(u.team, '') AS office,
			r.currency, r.issued_on, r.due_on, r.amount, r.open
		FROM receivable_items r
		LEFT JOIN customers c ON c.code = r.customer_code
		LEFT JOIN deals d ON d.id = r.deal_id
		LEFT JOIN users u ON u.id = coalesce(nullif(d.payment_owner, ''), c.sales_owner)
		WHERE ($2 OR (c.code IS NOT NULL AND (`+customerEntitled+` OR `+customerCollects+`)))) x
		WHERE `+f.where(6, "office = $", "owner = $", "customer_code = $")+`
		ORDER BY customer_code, due_on, number`, append(v.customerArgs(), f.args()...)...)
}

// dealFiltered narrows deals d by a filter at $n..$n+2: the sales owner's
// office, a person who owns the deal, the customer's code.
func dealFiltered(f ReceivableFilter, n int) string {
	return f.where(n, "d.sales_owner IN (SELECT o.id FROM users o WHERE o.team = $)",
		"$ IN (d.sales_owner, d.delivery_owner, d.payment_owner)", "d.customer_code = $")
}

// visibleDeal is dealVisible, or for a viewer who sees every deal the same
// parameters and no test per deal.
func visibleDeal(v Viewer) string {
	if v.All {
		return `($2 OR ($1::text, $3::text, $4::boolean, $5::text[]) IS NULL)`
	}
	return dealVisible
}

// DeliveryRow is an open order of a deal with its delivery due.
type DeliveryRow struct {
	DealID        string          `json:"deal_id"`
	Title         string          `json:"title"`
	CustomerCode  string          `json:"customer_code"`
	Customer      string          `json:"customer"`
	Stage         string          `json:"stage"`
	DeliveryOwner string          `json:"delivery_owner"`
	SalesOwner    string          `json:"sales_owner"`
	Office        string          `json:"office"`
	Due           collection.Date `json:"delivery_due"`
	Late          bool            `json:"late"`
	DaysLate      int             `json:"days_late"`
	Shipments     int             `json:"shipments"`
}

// DeliveriesReport lists the open orders (order and delivery stages) of the
// deals v may see, narrowed by f, due by until, late ones (due before
// today) included: the earliest due first, at most limit.
func (db *DB) DeliveriesReport(ctx context.Context, v Viewer, f ReceivableFilter, today, until collection.Date, limit int) ([]DeliveryRow, error) {
	return queryList(ctx, db.pool, "deliveries due", func(r pgx.CollectableRow) (DeliveryRow, error) {
		var d DeliveryRow
		var due time.Time
		err := r.Scan(&d.DealID, &d.Title, &d.CustomerCode, &d.Customer, &d.Stage, &d.DeliveryOwner, &d.SalesOwner,
			&d.Office, &due, &d.Shipments)
		d.Due = dateOf(due)
		if d.Due.Before(today) {
			d.Late, d.DaysLate = true, daysBetween(d.Due, today)
		}
		return d, err
	}, `SELECT d.id, d.title, coalesce(d.customer_code, ''), d.customer_name, d.stage,
			coalesce(d.delivery_owner, ''), d.sales_owner, coalesce(s.team, ''), o.delivery_due,
			(SELECT count(*) FROM deal_shipments sh WHERE sh.deal_id = d.id)::int
		FROM deals d JOIN deal_orders o ON o.deal_id = d.id LEFT JOIN users s ON s.id = d.sales_owner
		WHERE d.stage IN ('order', 'delivery') AND o.delivery_due <= $6 AND `+visibleDeal(v)+` AND `+dealFiltered(f, 7)+`
		ORDER BY o.delivery_due, d.id LIMIT $10`, append(append(v.args(), pgDate(until)), f.Office, f.Owner, f.Customer, limit)...)
}

// BigDealRow is a contract signed recently.
type BigDealRow struct {
	DealID       string       `json:"deal_id"`
	Title        string       `json:"title"`
	CustomerCode string       `json:"customer_code"`
	Customer     string       `json:"customer"`
	SalesOwner   string       `json:"sales_owner"`
	Office       string       `json:"office"`
	Currency     string       `json:"currency"`
	Amount       money.Amount `json:"amount"`
	SignedAt     time.Time    `json:"signed_at"`
}

// BigDealsReport lists the deals v may see, narrowed by f, whose contract of
// at least min was signed since, the newest first, at most limit.
func (db *DB) BigDealsReport(ctx context.Context, v Viewer, f ReceivableFilter, min money.Amount, since time.Time, limit int) ([]BigDealRow, error) {
	return queryList(ctx, db.pool, "big deals", func(r pgx.CollectableRow) (BigDealRow, error) {
		var b BigDealRow
		var amount int64
		err := r.Scan(&b.DealID, &b.Title, &b.CustomerCode, &b.Customer, &b.SalesOwner, &b.Office, &b.Currency, &amount, &b.SignedAt)
		b.Amount, b.SignedAt = money.Amount(amount), b.SignedAt.UTC()
		return b, err
	}, `SELECT d.id, d.title, coalesce(d.customer_code, ''), d.customer_name, d.sales_owner,
			coalesce(s.team, ''), d.currency, c.amount, c.decided_at
		FROM deal_contracts c JOIN deals d ON d.id = c.deal_id LEFT JOIN users s ON s.id = d.sales_owner
		WHERE c.review_status = 'approved' AND c.decided_at >= $6 AND c.amount >= $7 AND `+visibleDeal(v)+` AND `+dealFiltered(f, 8)+`
		ORDER BY c.decided_at DESC, d.id LIMIT $11`, append(append(v.args(), since, int64(min)), f.Office, f.Owner, f.Customer, limit)...)
}

// OpenInstalment is an open instalment with its deal and what the ladder
// does next: a payment owner's work and finance's dunning queue.
type OpenInstalment struct {
	DealID       string           `json:"deal_id"`
	Title        string           `json:"title"`
	CustomerCode string           `json:"customer_code"`
	Customer     string           `json:"customer"`
	No           int              `json:"no"`
	Label        string           `json:"label,omitempty"`
	Currency     string           `json:"currency"`
	Open         money.Amount     `json:"open"`
	DueOn        *collection.Date `json:"due_on,omitempty"`
	DaysOverdue  int              `json:"days_overdue"`
	PaymentOwner string           `json:"payment_owner"`
	Step         string           `json:"step,omitempty"`
	NextStep     string           `json:"next_step,omitempty"`
	NextOn       *collection.Date `json:"next_on,omitempty"`
	// PromisedOn is the day of the open promise to pay, if any.
	PromisedOn *collection.Date `json:"promised_on,omitempty"`
}

const openInstalmentSelect = `SELECT i.deal_id, d.title, i.customer_code, d.customer_name, i.no, i.label, i.currency,
		i.amount - i.paid - i.credited, i.due_on, i.payment_owner,
		coalesce((SELECT e.step FROM dunning_events e WHERE e.deal_id = i.deal_id AND e.no = i.no ORDER BY e.step_index DESC LIMIT 1), ''),
		i.next_step, i.next_on,
		(SELECT min(p.promised_on) FROM collection_promises p WHERE p.deal_id = i.deal_id AND p.no = i.no AND p.status = 'open')
	FROM collection_instalments i JOIN deals d ON d.id = i.deal_id `

func scanOpenInstalments(rows pgx.Rows, today collection.Date) ([]OpenInstalment, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (OpenInstalment, error) {
		var o OpenInstalment
		var open int64
		var due, next, promised *time.Time
		err := r.Scan(&o.DealID, &o.Title, &o.CustomerCode, &o.Customer, &o.No, &o.Label, &o.Currency, &open, &due,
			&o.PaymentOwner, &o.Step, &o.NextStep, &next, &promised)
		o.Open, o.DueOn, o.NextOn, o.PromisedOn = money.Amount(open), optionalDate(due), optionalDate(next), optionalDate(promised)
		if o.DueOn != nil && o.DueOn.Before(today) {
			o.DaysOverdue = daysBetween(*o.DueOn, today)
		}
		return o, err
	})
}

// OpenInstalmentsOf lists the open instalments owner collects, the earliest
// due first (those with no due date yet last), at most limit.
func (db *DB) OpenInstalmentsOf(ctx context.Context, owner string, today collection.Date, limit int) ([]OpenInstalment, error) {
	rows, err := db.pool.Query(ctx, openInstalmentSelect+`WHERE i.payment_owner = $1 AND i.settled_on IS NULL
		ORDER BY i.due_on NULLS LAST, i.deal_id, i.no LIMIT $2`, owner, limit)
	if err != nil {
		return nil, fmt.Errorf("open instalments of %s: %w", owner, err)
	}
	out, err := scanOpenInstalments(rows, today)
	if err != nil {
		return nil, fmt.Errorf("open instalments of %s: %w", owner, err)
	}
	return out, nil
}

// DunningQueue is a page of the open instalments v may see that are due by
// today, the most overdue first, after the cursor (from the last page's
// Next), narrowed by f (office: the payment owner's).
func (db *DB) DunningQueue(ctx context.Context, v Viewer, f ReceivableFilter, today collection.Date, after string, limit int) ([]OpenInstalment, string, error) {
	due, deal, no := "0001-01-01", "", 0
	if after != "" {
		parts := strings.Split(after, "|")
		var err error
		if len(parts) == 3 {
			due, deal = parts[0], parts[1]
			no, err = strconv.Atoi(parts[2])
		}
		if _, perr := time.Parse(time.DateOnly, due); len(parts) != 3 || err != nil || perr != nil {
			return nil, "", &CursorError{Cursor: after}
		}
	}
	rows, err := db.pool.Query(ctx, dunningQueueSQL(v, f),
		append(append(v.args(), pgDate(today), due, deal, no), f.Office, f.Owner, f.Customer, limit)...)
	if err != nil {
		return nil, "", fmt.Errorf("dunning queue: %w", err)
	}
	out, err := scanOpenInstalments(rows, today)
	if err != nil {
		return nil, "", fmt.Errorf("dunning queue: %w", err)
	}
	next := ""
	if len(out) == limit {
		l := out[len(out)-1]
		next = fmt.Sprintf("%s|%s|%d", l.DueOn, l.DealID, l.No)
	}
	return out, next, nil
}

// dunningQueueSQL is the queue's page for v narrowed by f: the viewer $1..$5,
// today $6, the cursor $7..$9, the filter $10..$12, the page's size $13.
func dunningQueueSQL(v Viewer, f ReceivableFilter) string {
	return openInstalmentSelect + `
		WHERE i.settled_on IS NULL AND i.due_on IS NOT NULL AND i.due_on <= $6 AND (i.due_on, i.deal_id, i.no) > ($7::date, $8, $9)
		AND ` + visibleDeal(v) + ` AND ` + f.where(10, "i.payment_owner IN (SELECT o.id FROM users o WHERE o.team = $)",
		"i.payment_owner = $", "i.customer_code = $") + `
		ORDER BY i.due_on, i.deal_id, i.no LIMIT $13`
}

// CursorError is a paging cursor that is not one this list gave.
type CursorError struct{ Cursor string }

func (e *CursorError) Error() string {
	return fmt.Sprintf("%q is not a cursor this list gave", e.Cursor)
}

// daysBetween is how many days from a to b.
func daysBetween(a, b collection.Date) int { return int(pgDate(b).Sub(pgDate(a)).Hours() / 24) }

// WorkdaysAhead is the day n working days after from on cal.
func WorkdaysAhead(cal *calendar.Calendar, from collection.Date, n int) collection.Date {
	until := from
	for i := 0; i < n; {
		until = until.AddDays(1)
		if cal.IsWorkday(until) {
			i++
		}
	}
	return until
}

// DeliveryHorizon is how many working days ahead deliveries count as due.
const DeliveryHorizon = 10

// DunningTold is who each of a deal's dunning steps told, keyed by
// instalment number and step name ("2/manager"): people by ID, finance as
// "role:finance", as the ladder recorded them on its steps (most are told in
// the day's digest, a broken promise on its own).
func (db *DB) DunningTold(ctx context.Context, dealID string) (map[string][]string, error) {
	type stepTold struct {
		No   int
		Step string
		Told []string
	}
	told := map[string][]string{}
	err := queryEach(ctx, db.pool, "dunning told on "+dealID, pgx.RowToStructByPos[stepTold], func(s stepTold) error {
		if len(s.Told) > 0 {
			told[strconv.Itoa(s.No)+"/"+s.Step] = s.Told
		}
		return nil
	}, `SELECT no, step, told FROM dunning_events WHERE deal_id = $1`, dealID)
	return told, err
}
