package database

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Report queries hand rows to a callback as PostgreSQL sends them, so an
// export of 100,000 deals never holds them all: the workbook is written while
// the rows arrive.

// Every report is read as its viewer may see it, with the same predicates as
// the API's lists (dealVisible, customerEntitled): an export never holds a deal
// or a customer its viewer would get 404 for.

// reportCustomerVisible is the customer predicate on table alias d's
// customer, with the viewer as $1..$4 and Unowned as $6 ($5 is the deal
// predicate's stages): a deal whose customer l2c does not know (from before
// customers had to be known) is shown as its deal is.
var reportCustomerVisible = `(NOT EXISTS (SELECT 1 FROM customers c WHERE c.code = d.customer_code)
	OR EXISTS (SELECT 1 FROM customers c WHERE c.code = d.customer_code AND (` +
	strings.ReplaceAll(customerEntitled, "$5", "$6") + ` OR ` + customerCollects + `)))`

func (v Viewer) reportArgs() []any { return append(v.args(), v.Unowned) }

// PipelineFilter narrows the pipeline report. Zero values match everything.
type PipelineFilter struct {
	// Viewer is who exports it; the report holds only the deals they may see.
	Viewer Viewer
	Stage  string
	// Owner matches deals naming this person anywhere (discoverer, sales,
	// delivery, payment).
	Owner string
	// SalesOwner matches deals this person owns as sales: what a sales rep
	// may see.
	SalesOwner string
}

// PipelineRow is one deal with its money so far.
type PipelineRow struct {
	ID, Title, CustomerCode, CustomerName string
	Stage                                 string
	StageEnteredAt                        time.Time
	Holder                                string
	Discoverer, SalesOwner                string
	DeliveryOwner, PaymentOwner           string
	Currency                              string
	ExpectedAmount                        int64
	ContractAmount                        *int64
	Invoiced, Paid                        int64
	PurchaseTimeframe                     string
	Tendered                              bool
	LostReason                            string
	CreatedAt                             time.Time
	ClosedAt                              *time.Time
}

// ReportPipeline streams deals in ID order.
func (db *DB) ReportPipeline(ctx context.Context, f PipelineFilter, fn func(PipelineRow) error) error {
	scan := func(row pgx.CollectableRow) (r PipelineRow, err error) {
		err = row.Scan(&r.ID, &r.Title, &r.CustomerCode, &r.CustomerName, &r.Stage, &r.StageEnteredAt, &r.Holder,
			&r.Discoverer, &r.SalesOwner, &r.DeliveryOwner, &r.PaymentOwner, &r.Currency, &r.ExpectedAmount,
			&r.ContractAmount, &r.Invoiced, &r.Paid, &r.PurchaseTimeframe, &r.Tendered, &r.LostReason,
			&r.CreatedAt, &r.ClosedAt)
		return r, err
	}
	return queryEach(ctx, db.pool, "pipeline report", scan, fn, `
		SELECT d.id, d.title, d.customer_code, d.customer_name, d.stage, d.stage_entered_at, d.holder,
			d.discoverer, d.sales_owner, coalesce(d.delivery_owner, ''), coalesce(d.payment_owner, ''),
			d.currency, d.expected_amount, c.amount, coalesce(i.total, 0), coalesce(p.total, 0),
			d.purchase_timeframe, d.tendered, d.lost_reason, d.created_at, d.closed_at
		FROM deals d
		LEFT JOIN deal_contracts c ON c.deal_id = d.id
		LEFT JOIN (SELECT deal_id, sum(amount) AS total FROM deal_invoices GROUP BY deal_id) i ON i.deal_id = d.id
		LEFT JOIN (SELECT deal_id, sum(amount) AS total FROM deal_payments GROUP BY deal_id) p ON p.deal_id = d.id
		WHERE `+dealVisible+` AND `+reportCustomerVisible+`
		  AND ($7 = '' OR d.stage = $7)
		  AND ($8 = '' OR $8 IN (d.discoverer, d.sales_owner, d.delivery_owner, d.payment_owner))
		  AND ($9 = '' OR d.sales_owner = $9)
		ORDER BY d.id`, append(f.Viewer.reportArgs(), f.Stage, f.Owner, f.SalesOwner)...)
}

// ReceivableRow is one invoice with money still owed on a given day.
type ReceivableRow struct {
	DealID, CustomerCode, CustomerName string
	InvoiceNo                          string
	IssuedOn, DueOn                    time.Time // calendar days, at UTC midnight
	Currency                           string
	Amount, Paid, Outstanding          int64
	PaymentOwner, SalesOwner           string
}

// ReportReceivables streams the invoices not fully paid on asOf (a calendar
// day), as that day saw them: invoices issued and payments received after it
// do not count. A payment names its invoice or, when it names none (or one not
// yet issued), pays the deal's invoices oldest due first. Rows come by
// customer, then due day.
// Only the invoices of deals (and customers) v may see are read.
func (db *DB) ReportReceivables(ctx context.Context, asOf time.Time, v Viewer, fn func(ReceivableRow) error) error {
	scan := func(row pgx.CollectableRow) (r ReceivableRow, err error) {
		err = row.Scan(&r.DealID, &r.CustomerCode, &r.CustomerName, &r.InvoiceNo, &r.IssuedOn, &r.DueOn,
			&r.Currency, &r.Amount, &r.Paid, &r.Outstanding, &r.PaymentOwner, &r.SalesOwner)
		return r, err
	}
	return queryEach(ctx, db.pool, "receivables report", scan, fn, `
		WITH day AS (SELECT $7::date AS d), inv AS (
			SELECT i.deal_id, i.number, i.amount, i.issued_on, i.due_on,
				coalesce((SELECT sum(p.amount) FROM deal_payments p WHERE p.deal_id = i.deal_id
					AND p.invoice_no = i.number AND p.received_on <= (SELECT d FROM day)), 0) AS direct
			FROM deal_invoices i WHERE i.issued_on <= (SELECT d FROM day)
		), pool AS (
			SELECT p.deal_id, sum(p.amount) AS amount FROM deal_payments p
			WHERE p.received_on <= (SELECT d FROM day) AND NOT EXISTS (SELECT 1 FROM deal_invoices i
				WHERE i.deal_id = p.deal_id AND i.number = p.invoice_no AND i.issued_on <= (SELECT d FROM day))
			GROUP BY p.deal_id
		), open AS (
			SELECT inv.*, greatest(inv.amount - inv.direct, 0) AS rest,
				coalesce(sum(greatest(inv.amount - inv.direct, 0)) OVER (PARTITION BY inv.deal_id
					ORDER BY inv.due_on, inv.number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
			FROM inv
		), owed AS (
			SELECT o.*, o.rest - least(o.rest, greatest(coalesce(pool.amount, 0) - o.before, 0)) AS outstanding
			FROM open o LEFT JOIN pool ON pool.deal_id = o.deal_id
		)
		SELECT d.id, d.customer_code, d.customer_name, owed.number, owed.issued_on, owed.due_on, d.currency,
			owed.amount, owed.amount - owed.outstanding, owed.outstanding,
			coalesce(d.payment_owner, ''), d.sales_owner
		FROM owed JOIN deals d ON d.id = owed.deal_id
		WHERE owed.outstanding > 0 AND `+dealVisible+` AND `+reportCustomerVisible+`
		ORDER BY d.customer_code, d.customer_name, owed.due_on, d.id, owed.number`,
		append(v.reportArgs(), asOf.Format(time.DateOnly))...)
}

// ReportStuckReviews streams every open review step, most overdue first
// (steps without a due time last), as the stuck report in approvals.go lists
// them but without its page limit. A step on a deal is listed when v may see
// the deal or holds the step; cases without a deal (terms changes) follow the
// approval cases' own visibility.
func (db *DB) ReportStuckReviews(ctx context.Context, kind string, v Viewer, fn func(OpenStep) error) error {
	return queryEach(ctx, db.pool, "stuck reviews report", scanOpenStep, fn, openStepSelect+`
		WHERE s.status = 'pending' AND ($6 = '' OR s.kind = $6)
		  AND (c.deal_id IS NULL OR s.approver = $1
			OR EXISTS (SELECT 1 FROM deals d WHERE d.id = c.deal_id AND `+dealVisible+`))
		ORDER BY s.due_at ASC NULLS LAST, s.entered_at, s.id`, append(v.args(), kind)...)
}

// ReportSyncRuns streams the ERP sync runs started since since, newest first.
func (db *DB) ReportSyncRuns(ctx context.Context, entity string, since time.Time, fn func(SyncRun) error) error {
	return queryEach(ctx, db.pool, "sync runs report", collectSyncRun, fn, `SELECT `+syncRunCols+` FROM sync_runs
		WHERE ($1 = '' OR entity = $1) AND started_at >= $2 ORDER BY started_at DESC, id DESC`, entity, since)
}

// UserNames maps every user's ID to their name, for reports that show people.
func (db *DB) UserNames(ctx context.Context) (map[string]string, error) {
	return db.userNames(ctx, `SELECT id, name FROM users`)
}
