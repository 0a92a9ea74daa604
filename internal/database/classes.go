package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/refusal"
)

// Value classes computed from the ERP's facts (issue 14, item 3). Nightly,
// ClassifyRun ranks every active customer by the revenue invoiced to it in
// the trailing window (ABC: sorted by revenue, A the customers making the
// first AShareBP of the total, B the next BShareBP, C the rest) and grades
// how it pays (1 good, 2 fair, 3 poor; 0 when nothing was due yet), keeps the
// factors in customer_classes, and proposes a change wherever the computed
// class differs from the customer's. ClassProposalsDecide approves or rejects
// proposals; only an approval changes customers.value_class (and the class
// the open instalments are dunned by).

// GradeBounds are the limits a payment grade allows: days to pay (amount-
// weighted, issue to payment) at most MaxDaysToPay, the share of the amount
// due paid by its due date at least MinOnTimeBP, and no invoice paid late or
// still open more than MaxOverdueDays past its due date.
type GradeBounds struct {
	MaxDaysToPay   int `json:"max_days_to_pay"`
	MinOnTimeBP    int `json:"min_on_time_bp"`
	MaxOverdueDays int `json:"max_overdue_days"`
}

// ClassTerms are the terms onboarding proposes for a class.
type ClassTerms struct {
	PaymentTerms string       `json:"payment_terms"`
	CreditLimit  money.Amount `json:"credit_limit"`
}

// ClassRules are the classification's shares and thresholds.
type ClassRules struct {
	// WindowDays: invoices issued within this many days before the run count.
	WindowDays int `json:"window_days"`
	// Currency: only invoices in it count (amounts are not converted).
	Currency string `json:"currency"`
	AShareBP int    `json:"a_share_bp"`
	BShareBP int    `json:"b_share_bp"`
	// Grade 1 stays within Good; grade 2 within Fair; grade 3 breaks Fair.
	Good GradeBounds `json:"grade_1"`
	Fair GradeBounds `json:"grade_2"`
	// Terms proposed at onboarding, per class A, B and C.
	Terms map[string]ClassTerms `json:"terms"`
}

// DefaultClassRules are the rules without a saved row: 80/15/5 over 365 days.
func DefaultClassRules() ClassRules {
	return ClassRules{WindowDays: 365, Currency: "CNY", AShareBP: 8000, BShareBP: 1500,
		Good: GradeBounds{MaxDaysToPay: 45, MinOnTimeBP: 9000, MaxOverdueDays: 15},
		Fair: GradeBounds{MaxDaysToPay: 90, MinOnTimeBP: 6000, MaxOverdueDays: 60},
		Terms: map[string]ClassTerms{
			"A": {PaymentTerms: "NT60", CreditLimit: 100_000_000},
			"B": {PaymentTerms: "NT30", CreditLimit: 30_000_000},
			"C": {PaymentTerms: "NT15", CreditLimit: 5_000_000},
		}}
}

// Validate names every bad field.
func (r ClassRules) Validate() error {
	var fe refusal.Fields
	if r.WindowDays < 30 || r.WindowDays > 1095 {
		fe.Add("window_days", "want 30 to 1095 days")
	}
	if !money.ValidCurrency(r.Currency) {
		fe.Add("currency", "%q is not a currency code", r.Currency)
	}
	if r.AShareBP < 1 || r.AShareBP > 10000 {
		fe.Add("a_share_bp", "want basis points of revenue, 1 to 10000 (8000 is 80%%)")
	}
	if r.BShareBP < 0 || r.AShareBP+r.BShareBP > 10000 {
		fe.Add("b_share_bp", "want 0 or more basis points, with a_share_bp at most 10000")
	}
	for _, g := range []struct {
		f string
		b GradeBounds
	}{{"grade_1", r.Good}, {"grade_2", r.Fair}} {
		if g.b.MaxDaysToPay < 0 {
			fe.Add(g.f+".max_days_to_pay", "must not be negative")
		}
		if g.b.MinOnTimeBP < 0 || g.b.MinOnTimeBP > 10000 {
			fe.Add(g.f+".min_on_time_bp", "want 0 to 10000 basis points")
		}
		if g.b.MaxOverdueDays < 0 {
			fe.Add(g.f+".max_overdue_days", "must not be negative")
		}
	}
	if r.Good.MaxDaysToPay > r.Fair.MaxDaysToPay || r.Good.MinOnTimeBP < r.Fair.MinOnTimeBP || r.Good.MaxOverdueDays > r.Fair.MaxOverdueDays {
		fe.Add("grade_1", "must be at least as strict as grade_2 in every bound")
	}
	for _, c := range []string{"A", "B", "C"} {
		t, ok := r.Terms[c]
		switch {
		case !ok:
			fe.Add("terms."+c, "is required")
		case !paymentTermsShape(t.PaymentTerms):
			fe.Add("terms."+c+".payment_terms", "want the ERP's payment terms key: 1 to 4 capital letters or digits, e.g. NT30")
		case t.CreditLimit < 0:
			fe.Add("terms."+c+".credit_limit", "must not be negative")
		}
	}
	for c := range r.Terms {
		if c != "A" && c != "B" && c != "C" {
			fe.Add("terms."+c, "is not a value class; want A, B or C")
		}
	}
	if err := fe.Err(); err != nil {
		err.(*refusal.Error).Message = "the class rules are not valid; nothing was saved"
		return err
	}
	return nil
}

func paymentTermsShape(s string) bool {
	if len(s) < 1 || len(s) > 4 {
		return false
	}
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// ClassRulesGet returns the saved rules, or the defaults.
func (db *DB) ClassRulesGet(ctx context.Context) (ClassRules, error) {
	var b []byte
	err := db.q(ctx).QueryRow(ctx, `SELECT rules FROM class_rules`).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultClassRules(), nil
	}
	if err != nil {
		return ClassRules{}, fmt.Errorf("class rules: %w", err)
	}
	r := DefaultClassRules()
	if err := json.Unmarshal(b, &r); err != nil {
		return ClassRules{}, fmt.Errorf("class rules: %w", err)
	}
	return r, nil
}

// ClassRulesSave stores r (checked by the caller), in the caller's transaction.
func (db *DB) ClassRulesSave(ctx context.Context, r ClassRules, by string) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return exec(ctx, db.q(ctx), "save class rules", `INSERT INTO class_rules (rules, updated_by) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules, updated_by = EXCLUDED.updated_by, updated_at = now()`, b, by)
}

// ClassRun is what one run did.
type ClassRun struct {
	ID           int64      `json:"id"`
	Key          string     `json:"run_key"`
	AsOf         string     `json:"as_of"`
	Customers    int        `json:"customers"`
	Proposed     int        `json:"proposed"`
	Withdrawn    int        `json:"withdrawn"`
	TotalRevenue string     `json:"total_revenue"`
	Rules        ClassRules `json:"rules"`
}

// classifySQL computes every active customer's factors and class in one pass over the window's invoices and one over their
// payments, each aggregated straight to the customer (no per-invoice
// grouping): revenue and what fell due from the invoices; days to pay, the
// amount paid by its due date and the latest payment past its due date from
// the payments; the longest overdue of what is still open from the open
// items (receivable_items, any issue date). $1 the window's first day, $2 the
// run's day (exclusive), $3 the currency, $4 and $5 the A and A+B shares,
// $6..$11 the grade bounds.
const classifySQL = `WITH inv AS (
		SELECT customer_code, sum(amount) AS revenue, count(*)::int AS invoices,
			sum(amount) FILTER (WHERE amount > 0 AND due_on < $2) AS due
		FROM erp_invoices WHERE NOT cancelled AND currency = $3 AND issued_on >= $1 AND issued_on < $2
		GROUP BY customer_code),
	pay AS (
		SELECT i.customer_code,
			round(sum(p.amount::float8 * (p.received_on - i.issued_on)) FILTER (WHERE p.received_on < $2)
				/ nullif(sum(p.amount::float8) FILTER (WHERE p.received_on < $2), 0))::int AS days_to_pay,
			coalesce(sum(p.amount) FILTER (WHERE p.received_on <= i.due_on AND i.due_on < $2), 0) AS on_time,
			max(p.received_on - i.due_on) FILTER (WHERE i.due_on < $2 AND p.received_on < $2) AS late
		FROM erp_payments p JOIN erp_invoices i ON i.number = p.invoice_no
		WHERE NOT i.cancelled AND i.currency = $3 AND i.issued_on >= $1 AND i.issued_on < $2 AND i.amount > 0
		GROUP BY i.customer_code),
	open AS (
		SELECT customer_code, max($2 - due_on) AS overdue FROM receivable_items
		WHERE open > 0 AND due_on < $2 AND currency = $3 GROUP BY customer_code),
	f AS (
		SELECT c.code, coalesce(x.revenue, 0)::bigint AS revenue, coalesce(x.invoices, 0) AS invoices, y.days_to_pay,
			CASE WHEN x.due > 0 THEN least(floor(coalesce(y.on_time, 0) * 10000 / x.due), 10000)::int END AS on_time_bp,
			CASE WHEN x.due > 0 OR o.overdue IS NOT NULL THEN greatest(y.late, o.overdue, 0) END AS longest_overdue,
			x.due > 0 AS graded, c.value_class AS cur_class, c.payment_grade AS cur_grade
		FROM customers c LEFT JOIN inv x ON x.customer_code = c.code LEFT JOIN pay y ON y.customer_code = c.code
		LEFT JOIN open o ON o.customer_code = c.code
		WHERE c.status = 'active'),
	r AS (
		SELECT f.*, rank() OVER w AS rank,
			coalesce(sum(greatest(revenue, 0)) OVER (w RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::numeric AS before,
			(sum(greatest(revenue, 0)) OVER ())::numeric AS total
		FROM f WINDOW w AS (ORDER BY revenue DESC))
	SELECT code, revenue, invoices, rank::int, total,
		CASE WHEN total > 0 THEN round(greatest(revenue, 0) * 10000 / total)::int ELSE 0 END AS share_bp,
		CASE WHEN total > 0 THEN round(before * 10000 / total)::int ELSE 0 END AS before_bp,
		CASE WHEN revenue > 0 AND before * 10000 < total * $4 THEN 'A'
			WHEN revenue > 0 AND before * 10000 < total * $5 THEN 'B' ELSE 'C' END AS value_class,
		days_to_pay, on_time_bp, longest_overdue,
		CASE WHEN NOT coalesce(graded, false) THEN 0
			WHEN coalesce(days_to_pay <= $6, true) AND on_time_bp >= $7 AND longest_overdue <= $8 THEN 1
			WHEN coalesce(days_to_pay <= $9, true) AND on_time_bp >= $10 AND longest_overdue <= $11 THEN 2
			ELSE 3 END::smallint AS payment_grade,
		cur_class, cur_grade
	FROM r`

// ClassifyRun runs the classification as of the day of at, in at's location
// (the company's zone; the window ends the day before), in one transaction: the factors of every active
// customer, and a proposal wherever the class computed differs from the
// customer's (a pending one is refreshed; one no longer needed is
// withdrawn). Customers keep their class. A run with key already done
// returns what it did; audited once (class.run).
func (db *DB) ClassifyRun(ctx context.Context, chain audit.Chain, key, by string, at time.Time) (ClassRun, error) {
	var run ClassRun
	err := db.InTxAudited(ctx, chain, func(ctx context.Context) (audit.Entry, error) {
		tx := ctx.Value(txKey{}).(pgx.Tx)
		// One run at a time: a second one waits here, then finds its key done or runs on the first one's results.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('class_runs'))`); err != nil {
			return audit.Entry{}, err
		}
		var rb []byte
		err := tx.QueryRow(ctx, `SELECT id, run_key, as_of::text, customers, proposed, withdrawn, total_revenue::text, rules
			FROM class_runs WHERE run_key = $1`, key).Scan(&run.ID, &run.Key, &run.AsOf, &run.Customers, &run.Proposed,
			&run.Withdrawn, &run.TotalRevenue, &rb)
		if err == nil {
			return audit.Entry{}, json.Unmarshal(rb, &run.Rules)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return audit.Entry{}, fmt.Errorf("classify: %w", err)
		}
		rules, err := db.ClassRulesGet(ctx)
		if err != nil {
			return audit.Entry{}, err
		}
		// The pass hashes every invoice of the window with its payments:
		// in memory, not spilled to disk in work_mem's default 4 MB.
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
			return audit.Entry{}, err
		}
		day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
		from := day.AddDate(0, 0, -rules.WindowDays)
		rulesJSON, err := json.Marshal(rules)
		if err != nil {
			return audit.Entry{}, err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO class_runs (run_key, as_of, rules, customers, proposed, withdrawn, total_revenue, requested_by)
			VALUES ($1, $2, $3, 0, 0, 0, 0, $4) RETURNING id, as_of::text`, key, day, rulesJSON, by).Scan(&run.ID, &run.AsOf); err != nil {
			return audit.Entry{}, fmt.Errorf("classify: %w", err)
		}
		run.Key, run.Rules = key, rules
		// The computation into a scratch table (a CREATE TABLE AS may run in
		// parallel; a statement that writes may not), then one statement
		// feeds it to the factors, the withdrawals and the proposals (each
		// touching rows the others do not).
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE class_calc ON COMMIT DROP AS `+classifySQL,
			from, day, rules.Currency, rules.AShareBP, rules.AShareBP+rules.BShareBP,
			rules.Good.MaxDaysToPay, rules.Good.MinOnTimeBP, rules.Good.MaxOverdueDays,
			rules.Fair.MaxDaysToPay, rules.Fair.MinOnTimeBP, rules.Fair.MaxOverdueDays); err != nil {
			return audit.Entry{}, fmt.Errorf("classify: %w", err)
		}
		// A fresh temporary table has no statistics: the joins below would be
		// planned as if it were empty.
		if _, err := tx.Exec(ctx, `ANALYZE class_calc`); err != nil {
			return audit.Entry{}, fmt.Errorf("classify: %w", err)
		}
		if err := tx.QueryRow(ctx, `WITH calc AS (SELECT * FROM class_calc),
			fac AS (INSERT INTO customer_classes AS k (customer_code, run_id, revenue, invoices, share_bp, before_bp,
					rank, value_class, days_to_pay, on_time_bp, longest_overdue, payment_grade)
				SELECT code, $1, revenue, invoices, share_bp, before_bp, rank, value_class, days_to_pay, on_time_bp, longest_overdue,
					payment_grade FROM calc
				ON CONFLICT (customer_code) DO UPDATE SET run_id = EXCLUDED.run_id, revenue = EXCLUDED.revenue,
					invoices = EXCLUDED.invoices, share_bp = EXCLUDED.share_bp, before_bp = EXCLUDED.before_bp,
					rank = EXCLUDED.rank, value_class = EXCLUDED.value_class, days_to_pay = EXCLUDED.days_to_pay,
					on_time_bp = EXCLUDED.on_time_bp, longest_overdue = EXCLUDED.longest_overdue,
					payment_grade = EXCLUDED.payment_grade),
			-- Customers no longer active keep no factors.
			gone AS (DELETE FROM customer_classes k WHERE NOT EXISTS (SELECT FROM calc WHERE calc.code = k.customer_code)),
			wd AS (UPDATE class_proposals p SET status = 'withdrawn', decided_by = 'system', decided_at = now(),
					note = 'the class computed on ' || $2 || ' is the customer''s class'
				FROM customers c LEFT JOIN calc k ON k.code = c.code
				WHERE p.status = 'pending' AND c.code = p.customer_code
				  AND (k.code IS NULL OR (k.value_class, k.payment_grade) = (c.value_class, c.payment_grade))
				RETURNING 1),
			prop AS (INSERT INTO class_proposals (customer_code, run_id, old_class, old_grade, new_class, new_grade, factors)
				SELECT k.code, $1, k.cur_class, k.cur_grade, k.value_class, k.payment_grade,
					jsonb_build_object('revenue', k.revenue, 'invoices', k.invoices, 'share_bp', k.share_bp, 'before_bp', k.before_bp,
						'rank', k.rank, 'days_to_pay', k.days_to_pay, 'on_time_bp', k.on_time_bp, 'longest_overdue', k.longest_overdue)
				FROM calc k WHERE (k.value_class, k.payment_grade) IS DISTINCT FROM (k.cur_class, k.cur_grade) ORDER BY k.code
				ON CONFLICT (customer_code) WHERE status = 'pending' DO UPDATE SET run_id = EXCLUDED.run_id,
					old_class = EXCLUDED.old_class, old_grade = EXCLUDED.old_grade, new_class = EXCLUDED.new_class,
					new_grade = EXCLUDED.new_grade, factors = EXCLUDED.factors
				RETURNING 1)
			SELECT (SELECT count(*) FROM calc)::int, (SELECT count(*) FROM wd)::int, (SELECT count(*) FROM prop)::int,
				coalesce((SELECT max(total) FROM calc), 0)::text`, run.ID, run.AsOf).
			Scan(&run.Customers, &run.Withdrawn, &run.Proposed, &run.TotalRevenue); err != nil {
			return audit.Entry{}, fmt.Errorf("classify: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE class_runs SET customers = $2, proposed = $3, withdrawn = $4, total_revenue = $5 WHERE id = $1`,
			run.ID, run.Customers, run.Proposed, run.Withdrawn, run.TotalRevenue); err != nil {
			return audit.Entry{}, fmt.Errorf("classify: %w", err)
		}
		detail, err := json.Marshal(map[string]any{"run_key": key, "as_of": run.AsOf, "customers": run.Customers,
			"proposed": run.Proposed, "withdrawn": run.Withdrawn})
		if err != nil {
			return audit.Entry{}, err
		}
		return audit.Entry{At: at, Actor: by, Action: "class.run", ObjectType: "class_run", ObjectID: fmt.Sprint(run.ID), Detail: detail}, nil
	})
	if err != nil {
		return ClassRun{}, err
	}
	return run, nil
}

// ClassFactors are what a customer's class is computed from.
type ClassFactors struct {
	Revenue        money.Amount `json:"revenue"`
	Invoices       int          `json:"invoices"`
	ShareBP        int          `json:"share_bp"`
	BeforeBP       int          `json:"before_bp"`
	Rank           int          `json:"rank"`
	DaysToPay      *int         `json:"days_to_pay"`
	OnTimeBP       *int         `json:"on_time_bp"`
	LongestOverdue *int         `json:"longest_overdue"`
}

// CustomerClass is a customer's class, the one computed and why.
type CustomerClass struct {
	Customer string `json:"customer"`
	// Class and Grade are the customer's (what routing, the pool clock and
	// dunning read); Computed is what the last run found.
	Class    string         `json:"value_class"`
	Grade    int            `json:"payment_grade"`
	Computed *ComputedClass `json:"computed,omitempty"`
	Pending  *ClassProposal `json:"pending,omitempty"`
}

// ComputedClass is a run's finding for one customer, with the rules applied.
type ComputedClass struct {
	Class   string       `json:"value_class"`
	Grade   int          `json:"payment_grade"`
	Factors ClassFactors `json:"factors"`
	RunID   int64        `json:"run_id"`
	AsOf    string       `json:"as_of"`
	Total   string       `json:"total_revenue"`
	Rules   ClassRules   `json:"rules"`
}

// CustomerClassGet returns code's class and factors for a viewer who sees the
// customer whole; ErrNotFound otherwise.
func (db *DB) CustomerClassGet(ctx context.Context, code string, v Viewer) (CustomerClass, error) {
	out := CustomerClass{Customer: code}
	var class, asOf, total *string
	var grade *int
	var runID *int64
	var f ClassFactors
	var revenue *int64
	var invoices, share, before, rank *int
	var rules []byte
	err := db.pool.QueryRow(ctx, `SELECT c.value_class, c.payment_grade, k.value_class, k.payment_grade, k.revenue, k.invoices,
			k.share_bp, k.before_bp, k.rank, k.days_to_pay, k.on_time_bp, k.longest_overdue, k.run_id, r.as_of::text,
			r.total_revenue::text, r.rules
		FROM customers c CROSS JOIN LATERAL (SELECT `+customerEntitled+` AS entitled) v
		LEFT JOIN customer_classes k ON k.customer_code = c.code LEFT JOIN class_runs r ON r.id = k.run_id
		WHERE c.code = $6 AND v.entitled`, append(v.customerArgs(), code)...).Scan(&out.Class, &out.Grade, &class, &grade,
		&revenue, &invoices, &share, &before, &rank, &f.DaysToPay, &f.OnTimeBP, &f.LongestOverdue, &runID, &asOf, &total, &rules)
	if err != nil {
		return CustomerClass{}, fmt.Errorf("customer class %s: %w", code, notFound(err))
	}
	if class != nil {
		f.Revenue, f.Invoices, f.ShareBP, f.BeforeBP, f.Rank = money.Amount(*revenue), *invoices, *share, *before, *rank
		out.Computed = &ComputedClass{Class: *class, Grade: *grade, Factors: f, RunID: *runID, AsOf: *asOf, Total: *total}
		if err := json.Unmarshal(rules, &out.Computed.Rules); err != nil {
			return CustomerClass{}, err
		}
	}
	ps, err := db.classProposals(ctx, `p.customer_code = $1 AND p.status = 'pending'`, code)
	if err != nil {
		return CustomerClass{}, err
	}
	if len(ps) > 0 {
		out.Pending = &ps[0]
	}
	return out, nil
}

// ClassProposal is a proposed change of a customer's class.
type ClassProposal struct {
	ID         int64        `json:"id"`
	Customer   string       `json:"customer"`
	Name       string       `json:"name"`
	SalesOwner string       `json:"sales_owner"`
	RunID      int64        `json:"run_id"`
	OldClass   string       `json:"old_class"`
	OldGrade   int          `json:"old_grade"`
	NewClass   string       `json:"new_class"`
	NewGrade   int          `json:"new_grade"`
	Factors    ClassFactors `json:"factors"`
	Status     string       `json:"status"`
	DecidedBy  string       `json:"decided_by,omitempty"`
	DecidedAt  *time.Time   `json:"decided_at,omitempty"`
	Note       string       `json:"note,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
}

const classProposalSelect = `SELECT p.id, p.customer_code, c.name, coalesce(c.sales_owner, ''), p.run_id, p.old_class, p.old_grade,
	p.new_class, p.new_grade, p.factors, p.status, coalesce(p.decided_by, ''), p.decided_at, p.note, p.created_at
	FROM class_proposals p JOIN customers c ON c.code = p.customer_code`

func (db *DB) classProposals(ctx context.Context, where string, args ...any) ([]ClassProposal, error) {
	return db.classProposalsPage(ctx, where, "", args...)
}

func (db *DB) classProposalsPage(ctx context.Context, where, limit string, args ...any) ([]ClassProposal, error) {
	return queryList(ctx, db.q(ctx), "class proposals", func(row pgx.CollectableRow) (ClassProposal, error) {
		var p ClassProposal
		var f []byte
		err := row.Scan(&p.ID, &p.Customer, &p.Name, &p.SalesOwner, &p.RunID, &p.OldClass, &p.OldGrade, &p.NewClass,
			&p.NewGrade, &f, &p.Status, &p.DecidedBy, &p.DecidedAt, &p.Note, &p.CreatedAt)
		if err == nil {
			err = json.Unmarshal(f, &p.Factors)
		}
		return p, err
	}, classProposalSelect+` WHERE `+where+` ORDER BY p.id`+limit, args...)
}

// ClassProposalList returns the proposals with status (all when "") of the
// customers v sees whole, oldest first, after the ID after, at most limit.
func (db *DB) ClassProposalList(ctx context.Context, v Viewer, status string, after int64, limit int) ([]ClassProposal, error) {
	return db.classProposalsPage(ctx, `($6 = '' OR p.status = $6) AND p.id > $7 AND `+customerEntitled, ` LIMIT $8`,
		append(v.customerArgs(), status, after, limit)...)
}

// classToReview: a pending proposal v may decide, of a customer v sees
// whole and does not own (ClassProposalsDecide's rule).
const classToReview = `p.status = 'pending' AND coalesce(c.sales_owner, '') <> $1 AND ` + customerEntitled

// ClassProposalsToReview returns the pending proposals v may decide (the
// review page's list), oldest first, after the ID after, at most limit.
func (db *DB) ClassProposalsToReview(ctx context.Context, v Viewer, after int64, limit int) ([]ClassProposal, error) {
	return db.classProposalsPage(ctx, `p.id > $6 AND `+classToReview, ` LIMIT $7`, append(v.customerArgs(), after, limit)...)
}

// ClassProposalsToReviewCount counts them up to max+1 (over max: "more than
// max"), for My work's link: a
// first run proposes for nearly every customer, and My work should not count
// 100,000 of them on every visit.
func (db *DB) ClassProposalsToReviewCount(ctx context.Context, v Viewer, max int) (int64, error) {
	return queryValue[int64](ctx, db.q(ctx), "class proposals to review", `SELECT count(*) FROM (SELECT 1 FROM class_proposals p JOIN customers c ON c.code = p.customer_code
		WHERE `+classToReview+` LIMIT $6) x`, append(v.customerArgs(), max+1)...)
}

// ClassDecision is one decision on proposals.
type ClassDecision struct {
	By      string
	Viewer  Viewer
	IDs     []int64 // the proposals decided; nil with All
	All     bool    // every pending proposal the decider may decide
	Approve bool
	Note    string
	At      time.Time
}

// ClassDecided is what a decision did.
type ClassDecided struct {
	Decided []ClassProposal `json:"decided"`
	// Skipped are pending proposals All left alone: the decider's own
	// customers, and (approving) those whose class changed since.
	Skipped []int64 `json:"skipped"`
}

// Refusals of a class decision.
var (
	// ErrClassOwnCustomer: the decider owns the customer (four eyes).
	ErrClassOwnCustomer = errors.New("the customer's own sales owner may not decide its class")
	// ErrClassNotPending: a proposal named was decided or withdrawn already.
	ErrClassNotPending = errors.New("the proposal is no longer pending")
	// ErrClassStale: the customer's class changed since the proposal was made.
	ErrClassStale = errors.New("the customer's class changed since the proposal was made; the next run proposes again")
)

// ClassRefusal names the proposal a decision was refused on.
type ClassRefusal struct {
	ID  int64
	Err error
}

func (e *ClassRefusal) Error() string { return fmt.Sprintf("proposal %d: %v", e.ID, e.Err) }
func (e *ClassRefusal) Unwrap() error { return e.Err }

// ClassProposalsDecide approves or rejects proposals in one transaction with
// its audit entry (class.approve or class.reject, every proposal with old →
// new). Named proposals the decider may not see are ErrNotFound; one on their
// own customer, or no longer pending, refuses the whole decision
// (*ClassRefusal) and nothing changes. With All, their own customers and
// stale ones are skipped. An approval sets the customer's class and grade and the class the
// customer's unsettled instalments are dunned by.
func (db *DB) ClassProposalsDecide(ctx context.Context, chain audit.Chain, d ClassDecision) (ClassDecided, error) {
	out := ClassDecided{Decided: []ClassProposal{}, Skipped: []int64{}}
	err := db.InTxAudited(ctx, chain, func(ctx context.Context) (audit.Entry, error) {
		tx := ctx.Value(txKey{}).(pgx.Tx)
		args := append(d.Viewer.customerArgs(), d.All, d.IDs)
		rows, err := tx.Query(ctx, `SELECT p.id, p.status, coalesce(c.sales_owner, '') = $1,
				(c.value_class, c.payment_grade) = (p.old_class, p.old_grade), `+customerEntitled+`
			FROM class_proposals p JOIN customers c ON c.code = p.customer_code
			WHERE ($6 AND p.status = 'pending') OR p.id = ANY($7)
			ORDER BY p.id FOR UPDATE OF p, c`, args...)
		if err != nil {
			return audit.Entry{}, fmt.Errorf("class decision: %w", err)
		}
		type row struct {
			id                   int64
			status               string
			own, current, entitl bool
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			// Scan before x is read: in "return x, r.Scan(&x…)" the spec
			// leaves open whether x is read before or after the call.
			err := r.Scan(&x.id, &x.status, &x.own, &x.current, &x.entitl)
			return x, err
		})
		if err != nil {
			return audit.Entry{}, fmt.Errorf("class decision: %w", err)
		}
		seen := map[int64]bool{}
		var ids []int64
		for _, x := range got {
			seen[x.id] = true
			named := !d.All
			switch {
			case !x.entitl && named:
				return audit.Entry{}, &ClassRefusal{ID: x.id, Err: ErrNotFound}
			case !x.entitl:
				continue
			case x.own && named:
				return audit.Entry{}, &ClassRefusal{ID: x.id, Err: ErrClassOwnCustomer}
			case x.own:
				out.Skipped = append(out.Skipped, x.id)
				continue
			case x.status != "pending":
				return audit.Entry{}, &ClassRefusal{ID: x.id, Err: ErrClassNotPending}
			case d.Approve && !x.current && named:
				return audit.Entry{}, &ClassRefusal{ID: x.id, Err: ErrClassStale}
			case d.Approve && !x.current:
				out.Skipped = append(out.Skipped, x.id)
				continue
			}
			ids = append(ids, x.id)
		}
		for _, id := range d.IDs {
			if !seen[id] {
				return audit.Entry{}, &ClassRefusal{ID: id, Err: ErrNotFound}
			}
		}
		if len(ids) == 0 {
			return audit.Entry{}, nil
		}
		status := "rejected"
		if d.Approve {
			status = "approved"
		}
		if _, err := tx.Exec(ctx, `UPDATE class_proposals SET status = $2, decided_by = $3, decided_at = $4, note = $5
			WHERE id = ANY($1)`, ids, status, d.By, d.At, d.Note); err != nil {
			return audit.Entry{}, fmt.Errorf("class decision: %w", err)
		}
		if d.Approve {
			if _, err := tx.Exec(ctx, `UPDATE customers c SET value_class = p.new_class, payment_grade = p.new_grade, updated_at = now()
				FROM class_proposals p WHERE p.id = ANY($1) AND c.code = p.customer_code`, ids); err != nil {
				return audit.Entry{}, fmt.Errorf("class decision: apply: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE collection_instalments i SET value_class = p.new_class
				FROM class_proposals p WHERE p.id = ANY($1) AND i.customer_code = p.customer_code AND i.settled_on IS NULL`, ids); err != nil {
				return audit.Entry{}, fmt.Errorf("class decision: instalments: %w", err)
			}
		}
		if out.Decided, err = db.classProposals(ctx, `p.id = ANY($1)`, ids); err != nil {
			return audit.Entry{}, err
		}
		changes := make([]map[string]any, len(out.Decided))
		for i, p := range out.Decided {
			changes[i] = map[string]any{"id": p.ID, "customer": p.Customer, "from": fmt.Sprintf("%s%d", p.OldClass, p.OldGrade),
				"to": fmt.Sprintf("%s%d", p.NewClass, p.NewGrade)}
		}
		detail, err := json.Marshal(map[string]any{"proposals": changes, "note": d.Note, "skipped": out.Skipped})
		if err != nil {
			return audit.Entry{}, err
		}
		return audit.Entry{At: d.At, Actor: d.By, Action: "class." + map[bool]string{true: "approve", false: "reject"}[d.Approve],
			ObjectType: "class_proposals", ObjectID: fmt.Sprint(ids[0]), Detail: detail}, nil
	})
	if err != nil {
		return ClassDecided{}, err
	}
	return out, nil
}

// CustomerClassOf is the class routing reads: value class and grade, "" and 0
// for an unknown customer.
func (db *DB) CustomerClassOf(ctx context.Context, code string) (string, int, error) {
	var class string
	var grade int
	err := db.q(ctx).QueryRow(ctx, `SELECT value_class, payment_grade FROM customers WHERE code = $1`, code).Scan(&class, &grade)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("customer class %s: %w", code, err)
	}
	return class, grade, nil
}
