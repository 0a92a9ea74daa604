package database

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Reads for the pages, under the same visibility predicates as the API's.

// UserNamesOf maps the users among ids to their names.
func (db *DB) UserNamesOf(ctx context.Context, ids []string) (map[string]string, error) {
	return db.userNames(ctx, `SELECT id, name FROM users WHERE id = ANY($1)`, ids)
}

// userNames reads the (id, name) pairs query selects.
func (db *DB) userNames(ctx context.Context, query string, args ...any) (map[string]string, error) {
	return queryPairs(ctx, db.pool, "user names", query, args...)
}

// StageTotal is one stage of the pipeline: how many deals, and their
// expected amount, in one currency.
type StageTotal struct {
	Stage    string
	Currency string
	Deals    int64
	Amount   int64 // minor units
}

// DealPipeline totals the deals f.Viewer may see by stage and currency,
// filtered as DealList filters them (its Stage, After and Limit are ignored).
func (db *DB) DealPipeline(ctx context.Context, f DealFilter) ([]StageTotal, error) {
	return queryList(ctx, db.pool, "pipeline", pgx.RowToStructByPos[StageTotal], `SELECT d.stage, d.currency, count(*), coalesce(sum(d.expected_amount), 0)::bigint
		FROM deals d
		WHERE `+dealVisible+f.Viewer.narrowing()+`
		  AND ($6 = '' OR d.sales_owner = $6 OR d.discoverer = $6 OR d.delivery_owner = $6 OR d.payment_owner = $6)
		  AND ($7 = '' OR d.customer_code = $7)
		  AND ($8 = '' OR d.holder = ANY(ARRAY[$8::text]
		       || ARRAY(SELECT 'approval:' || s.case_id FROM approval_steps s WHERE s.approver = $8 AND s.status = 'pending'))) AND ($9::timestamptz IS NULL OR d.stage_entered_at < $9)
		GROUP BY d.stage, d.currency ORDER BY d.stage, d.currency`, append(f.Viewer.args(), f.Owner, f.Customer, f.Holder, f.inStageBefore())...)
}

// NamedUser is a user a name was found to mean.
type NamedUser struct{ ID, Name string }

// UsersNamed finds whom text names, as people type it in a filter: the user
// of that ID, else those of that name (any case), else those whose name
// holds it; at most six, so a page can say which it could be.
func (db *DB) UsersNamed(ctx context.Context, text string) ([]NamedUser, error) {
	return queryList(ctx, db.pool, "users named", pgx.RowToStructByPos[NamedUser], `WITH
		by_id AS (SELECT id, name FROM users WHERE id = $1),
		by_name AS (SELECT id, name FROM users WHERE lower(name) = lower($1) AND NOT EXISTS (SELECT 1 FROM by_id)),
		by_part AS (SELECT id, name FROM users WHERE strpos(lower(name), lower($1)) > 0
			AND NOT EXISTS (SELECT 1 FROM by_id) AND NOT EXISTS (SELECT 1 FROM by_name) ORDER BY name, id LIMIT 6)
		SELECT * FROM by_id UNION ALL SELECT * FROM by_name UNION ALL SELECT * FROM by_part`, text)
}

// CaseHolders reads who holds the open steps of each of cases now, by case
// ID, in step order: whom a deal in review waits on.
func (db *DB) CaseHolders(ctx context.Context, cases []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(cases) == 0 {
		return out, nil
	}
	pairs, err := queryPairs(ctx, db.pool, "case holders", `SELECT case_id, string_agg(approver, ',' ORDER BY id) FROM approval_steps
		WHERE case_id = ANY($1) AND status = 'pending' GROUP BY case_id`, cases)
	if err != nil {
		return nil, err
	}
	for c, hs := range pairs {
		out[c] = strings.Split(hs, ",")
	}
	return out, nil
}

// DealHeading is what a list row says a deal is: its title and customer
// (its name, and its code for looking up its terms).
type DealHeading struct{ Title, Customer, CustomerCode string }

// DealHeadings reads the headings of the deals ids (the caller shows them
// only on rows their viewer may see: open steps of cases visible to them).
func (db *DB) DealHeadings(ctx context.Context, ids []string) (map[string]DealHeading, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, title, customer_name, customer_code FROM deals WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("deal headings: %w", err)
	}
	defer rows.Close()
	out := make(map[string]DealHeading, len(ids))
	for rows.Next() {
		var id string
		var h DealHeading
		if err := rows.Scan(&id, &h.Title, &h.Customer, &h.CustomerCode); err != nil {
			return nil, fmt.Errorf("deal headings: %w", err)
		}
		out[id] = h
	}
	return out, rows.Err()
}

// CustomerTermsVisibleOf reads the approved terms of the customers among
// codes whose terms v may see (CustomerTermsVisible's rule), by code: one
// query for every card of a page.
func (db *DB) CustomerTermsVisibleOf(ctx context.Context, codes []string, v Viewer) (map[string]DealCustomer, error) {
	rows, err := db.pool.Query(ctx, `SELECT c.code, c.name, c.payment_terms, c.min_discount_bp FROM customers c
		WHERE c.code = ANY($6) AND `+customerEntitled, append(v.customerArgs(), codes)...)
	if err != nil {
		return nil, fmt.Errorf("terms of customers: %w", err)
	}
	out := map[string]DealCustomer{}
	var c DealCustomer
	_, err = pgx.ForEachRow(rows, []any{&c.Code, &c.Name, &c.PaymentTerms, &c.MinDiscountBP}, func() error {
		t := c
		if c.MinDiscountBP != nil { // its own copy: the next row scans into c again
			m := *c.MinDiscountBP
			t.MinDiscountBP = &m
		}
		out[c.Code] = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("terms of customers: %w", err)
	}
	return out, nil
}
