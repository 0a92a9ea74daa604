package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// DealNextID hands out the next deal number, D-000001 and up. Numbers burnt by
// a failed start leave a gap, which is harmless.
func (db *DB) DealNextID(ctx context.Context) (string, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT nextval('deal_number_seq')`).Scan(&n); err != nil {
		return "", fmt.Errorf("next deal number: %w", err)
	}
	return fmt.Sprintf("D-%06d", n), nil
}

// DealSave records the state d reached by the transition h, with the
// notifications it causes (a transactional outbox), in one transaction. It is
// idempotent and safe against retries arriving late: the deal's rows are
// rewritten only when d is newer than what is stored, a history entry is written
// once per sequence number, and a notification once per key. It returns the
// notifications newly queued.
func (db *DB) DealSave(ctx context.Context, d deal.Deal, h deal.HistoryEntry, notes []Notification) ([]Notification, error) {
	return db.DealSaveAudited(ctx, d, h, notes, audit.Chain{}, nil)
}

// DealSaveAudited is DealSave that also appends e to the audit trail, in the
// same transaction, when the history entry is newly written: a transition and
// its audit entry commit together or not at all, and a retried save (the
// entry already there) appends nothing more. e nil audits nothing.
func (db *DB) DealSaveAudited(ctx context.Context, d deal.Deal, h deal.HistoryEntry, notes []Notification,
	chain audit.Chain, e *audit.Entry) ([]Notification, error) {
	var added []Notification
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		added = added[:0]
		tag, err := tx.Exec(ctx, `
			INSERT INTO deals (id, title, customer_code, customer_name, tendered, currency, expected_amount,
				purchase_timeframe, discoverer, sales_owner, delivery_owner, payment_owner, stage,
				stage_entered_at, holder, lost_reason, created_by, created_at, closed_at, version)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,NULLIF($11,''),NULLIF($12,''),$13,$14,$15,$16,$17,$18,$19,$20)
			ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, customer_code = EXCLUDED.customer_code,
				customer_name = EXCLUDED.customer_name, tendered = EXCLUDED.tendered,
				currency = EXCLUDED.currency, expected_amount = EXCLUDED.expected_amount,
				purchase_timeframe = EXCLUDED.purchase_timeframe, discoverer = EXCLUDED.discoverer,
				sales_owner = EXCLUDED.sales_owner, delivery_owner = EXCLUDED.delivery_owner,
				payment_owner = EXCLUDED.payment_owner, stage = EXCLUDED.stage,
				stage_entered_at = EXCLUDED.stage_entered_at, holder = EXCLUDED.holder,
				lost_reason = EXCLUDED.lost_reason, closed_at = EXCLUDED.closed_at, version = EXCLUDED.version
			WHERE deals.version < EXCLUDED.version`,
			d.ID, d.Title, d.Customer.Code, d.Customer.Name, d.Tendered, d.Currency, int64(d.ExpectedAmount),
			string(d.PurchaseTimeframe), d.Owners.Discoverer, d.Owners.Sales, d.Owners.Delivery, d.Owners.Payment,
			string(d.Stage), d.StageEnteredAt, d.Holder, d.LostReason, d.CreatedBy, d.CreatedAt, d.ClosedAt, d.Version)
		if err != nil {
			return fmt.Errorf("upsert deal: %w", err)
		}
		if tag.RowsAffected() == 1 {
			if err := saveStageData(ctx, tx, d); err != nil {
				return err
			}
		}
		tag, err = tx.Exec(ctx, `
			INSERT INTO deal_history (deal_id, seq, action, actor, from_stage, to_stage, reason, at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (deal_id, seq) DO NOTHING`,
			d.ID, h.Seq, h.Action, h.Actor, string(h.From), string(h.To), h.Reason, h.At)
		if err != nil {
			return fmt.Errorf("insert history: %w", err)
		}
		if e != nil && tag.RowsAffected() == 1 {
			if _, err := auditAppend(ctx, tx, chain, *e); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		for _, n := range notes {
			ok, err := notificationAdd(ctx, tx, n)
			if err != nil {
				return err
			}
			if ok {
				added = append(added, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save deal %s v%d: %w", d.ID, d.Version, err)
	}
	return added, nil
}

// saveStageData replaces a deal's stage rows with those in d. A deal has a
// handful of them, so rewriting is simpler than diffing and just as cheap.
func saveStageData(ctx context.Context, tx pgx.Tx, d deal.Deal) error {
	b := &pgx.Batch{}
	for _, t := range []string{"deal_quotes", "deal_bids", "deal_contracts", "deal_orders",
		"deal_shipments", "deal_invoices", "deal_payments"} {
		b.Queue(`DELETE FROM `+t+` WHERE deal_id = $1`, d.ID)
	}
	for _, q := range d.Quotes {
		lines, err := json.Marshal(q.Lines)
		if err != nil {
			return err
		}
		var review []byte
		if q.Review != nil {
			if review, err = json.Marshal(q.Review); err != nil {
				return err
			}
		}
		b.Queue(`INSERT INTO deal_quotes (deal_id, revision, lines, discount_bp, list_total, net_total,
				valid_until, expires_at, status, submitted_by, submitted_at, min_discount_bp, review)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
			d.ID, q.Revision, lines, int64(q.Discount), int64(q.ListTotal), int64(q.NetTotal),
			pgDate(q.ValidUntil), q.ExpiresAt, string(q.Status), q.SubmittedBy, q.SubmittedAt, q.MinDiscount, review)
	}
	if bid := d.Bid; bid != nil {
		b.Queue(`INSERT INTO deal_bids (deal_id, number, result, note, recorded_by, recorded_at)
			VALUES ($1,$2,$3,$4,$5,$6)`, d.ID, bid.Number, string(bid.Result), bid.Note, bid.RecordedBy, bid.RecordedAt)
	}
	if c := d.Contract; c != nil {
		r := c.Review
		b.Queue(`INSERT INTO deal_contracts (deal_id, number, amount, review_status, review_round,
				requested_by, requested_at, decided_by, decided_at, note, payment_terms, nonstandard_terms,
				non_template, case_id, template_id, quote_total, below_quote)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`, d.ID, c.Number, int64(c.Amount),
			string(r.Status), r.Round, r.RequestedBy, r.RequestedAt, r.DecidedBy, r.DecidedAt, r.Note, c.PaymentTerms,
			c.NonstandardTerms, c.NonTemplate, r.CaseID, c.TemplateID, (*int64)(c.QuoteTotal), c.BelowQuote)
	}
	if o := d.Order; o != nil {
		r := o.Review
		b.Queue(`INSERT INTO deal_orders (deal_id, kind, erp_number, delivery_due, due_at, review_status,
				review_round, requested_by, requested_at, decided_by, decided_at, note, overdue_notified_at, case_id)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`, d.ID, string(o.Kind), o.ERPNumber,
			pgDate(o.DeliveryDue), o.DueAt, string(r.Status), r.Round, r.RequestedBy, r.RequestedAt,
			r.DecidedBy, r.DecidedAt, r.Note, o.OverdueNotified, r.CaseID)
	}
	for _, s := range d.Shipments {
		b.Queue(`INSERT INTO deal_shipments (deal_id, number, shipped_on, carrier, final, recorded_by, recorded_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, d.ID, s.Number, pgDate(s.ShippedOn), s.Carrier, s.Final, s.RecordedBy, s.RecordedAt)
	}
	for _, i := range d.Invoices {
		b.Queue(`INSERT INTO deal_invoices (deal_id, number, amount, issued_on, due_on, recorded_by, recorded_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, d.ID, i.Number, int64(i.Amount), pgDate(i.IssuedOn), pgDate(i.DueOn),
			i.RecordedBy, i.RecordedAt)
	}
	for _, p := range d.Payments {
		b.Queue(`INSERT INTO deal_payments (deal_id, reference, amount, received_on, invoice_no, recorded_by, recorded_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, d.ID, p.Reference, int64(p.Amount), pgDate(p.ReceivedOn), p.InvoiceNo,
			p.RecordedBy, p.RecordedAt)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("save stage data: %w", err)
	}
	return nil
}

const dealColumns = `id, title, customer_code, customer_name, tendered, currency, expected_amount,
	purchase_timeframe, discoverer, sales_owner, coalesce(delivery_owner, ''), coalesce(payment_owner, ''),
	stage, stage_entered_at, holder, lost_reason, created_by, created_at, closed_at, version`

func scanDeal(row pgx.Row, d *deal.Deal) error {
	var expected int64
	var timeframe, stage string
	err := row.Scan(&d.ID, &d.Title, &d.Customer.Code, &d.Customer.Name, &d.Tendered, &d.Currency, &expected,
		&timeframe, &d.Owners.Discoverer, &d.Owners.Sales, &d.Owners.Delivery, &d.Owners.Payment,
		&stage, &d.StageEnteredAt, &d.Holder, &d.LostReason, &d.CreatedBy, &d.CreatedAt, &d.ClosedAt, &d.Version)
	d.ExpectedAmount, d.PurchaseTimeframe, d.Stage = money.Amount(expected), deal.Timeframe(timeframe), deal.Stage(stage)
	d.StageEnteredAt, d.CreatedAt = d.StageEnteredAt.UTC(), d.CreatedAt.UTC()
	if d.ClosedAt != nil {
		t := d.ClosedAt.UTC()
		d.ClosedAt = &t
	}
	return err
}

// DealGet reads one deal with all its stage data, as of one snapshot.
func (db *DB) DealGet(ctx context.Context, id string) (deal.Deal, error) {
	var d deal.Deal
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			if err := scanDeal(tx.QueryRow(ctx, `SELECT `+dealColumns+` FROM deals WHERE id = $1`, id), &d); err != nil {
				return notFound(err)
			}
			return readStageData(ctx, tx, &d)
		})
	if err != nil {
		return deal.Deal{}, fmt.Errorf("get deal %s: %w", id, err)
	}
	return d, nil
}

func readStageData(ctx context.Context, tx pgx.Tx, d *deal.Deal) error {
	var err error
	d.Quotes, err = collect(ctx, tx, `SELECT revision, lines, discount_bp, list_total, net_total, valid_until,
			expires_at, status, submitted_by, submitted_at, min_discount_bp, review
			FROM deal_quotes WHERE deal_id = $1 ORDER BY revision`,
		d.ID, func(r pgx.CollectableRow) (q deal.Quote, err error) {
			var lines, review []byte
			var discount, list, net int64
			var valid time.Time
			var status string
			if err = r.Scan(&q.Revision, &lines, &discount, &list, &net, &valid, &q.ExpiresAt, &status,
				&q.SubmittedBy, &q.SubmittedAt, &q.MinDiscount, &review); err != nil {
				return q, err
			}
			if review != nil {
				q.Review = &deal.Review{}
				if err := json.Unmarshal(review, q.Review); err != nil {
					return q, err
				}
			}
			q.Discount, q.ListTotal, q.NetTotal = deal.Percent(discount), money.Amount(list), money.Amount(net)
			q.ValidUntil, q.Status = dateOf(valid), deal.QuoteStatus(status)
			q.ExpiresAt, q.SubmittedAt = q.ExpiresAt.UTC(), q.SubmittedAt.UTC()
			return q, json.Unmarshal(lines, &q.Lines)
		})
	if err != nil {
		return err
	}
	bids, err := collect(ctx, tx, `SELECT number, result, note, recorded_by, recorded_at FROM deal_bids WHERE deal_id = $1`,
		d.ID, func(r pgx.CollectableRow) (b deal.Bid, err error) {
			err = r.Scan(&b.Number, &b.Result, &b.Note, &b.RecordedBy, &b.RecordedAt)
			b.RecordedAt = b.RecordedAt.UTC()
			return b, err
		})
	if err != nil {
		return err
	}
	if len(bids) == 1 {
		d.Bid = &bids[0]
	}
	contracts, err := collect(ctx, tx, `SELECT number, amount, review_status, review_round, requested_by,
			requested_at, decided_by, decided_at, note, payment_terms, nonstandard_terms, non_template, case_id,
			template_id, quote_total, below_quote
			FROM deal_contracts WHERE deal_id = $1`,
		d.ID, func(r pgx.CollectableRow) (c deal.Contract, err error) {
			var amount int64
			var quoteTotal *int64
			err = r.Scan(&c.Number, &amount, &c.Review.Status, &c.Review.Round, &c.Review.RequestedBy,
				&c.Review.RequestedAt, &c.Review.DecidedBy, &c.Review.DecidedAt, &c.Review.Note, &c.PaymentTerms,
				&c.NonstandardTerms, &c.NonTemplate, &c.Review.CaseID, &c.TemplateID, &quoteTotal, &c.BelowQuote)
			c.Amount = money.Amount(amount)
			if quoteTotal != nil {
				t := money.Amount(*quoteTotal)
				c.QuoteTotal = &t
			}
			utcReview(&c.Review)
			return c, err
		})
	if err != nil {
		return err
	}
	if len(contracts) == 1 {
		d.Contract = &contracts[0]
	}
	orders, err := collect(ctx, tx, `SELECT kind, erp_number, delivery_due, due_at, review_status, review_round,
			requested_by, requested_at, decided_by, decided_at, note, overdue_notified_at, case_id
			FROM deal_orders WHERE deal_id = $1`,
		d.ID, func(r pgx.CollectableRow) (o deal.Order, err error) {
			var due time.Time
			err = r.Scan(&o.Kind, &o.ERPNumber, &due, &o.DueAt, &o.Review.Status, &o.Review.Round,
				&o.Review.RequestedBy, &o.Review.RequestedAt, &o.Review.DecidedBy, &o.Review.DecidedAt,
				&o.Review.Note, &o.OverdueNotified, &o.Review.CaseID)
			o.DeliveryDue, o.DueAt = dateOf(due), o.DueAt.UTC()
			utcReview(&o.Review)
			if o.OverdueNotified != nil {
				t := o.OverdueNotified.UTC()
				o.OverdueNotified = &t
			}
			return o, err
		})
	if err != nil {
		return err
	}
	if len(orders) == 1 {
		d.Order = &orders[0]
	}
	d.Shipments, err = collect(ctx, tx, `SELECT number, shipped_on, carrier, final, recorded_by, recorded_at
			FROM deal_shipments WHERE deal_id = $1 ORDER BY recorded_at, number`,
		d.ID, func(r pgx.CollectableRow) (s deal.Shipment, err error) {
			var on time.Time
			err = r.Scan(&s.Number, &on, &s.Carrier, &s.Final, &s.RecordedBy, &s.RecordedAt)
			s.ShippedOn, s.RecordedAt = dateOf(on), s.RecordedAt.UTC()
			return s, err
		})
	if err != nil {
		return err
	}
	d.Invoices, err = collect(ctx, tx, `SELECT number, amount, issued_on, due_on, recorded_by, recorded_at
			FROM deal_invoices WHERE deal_id = $1 ORDER BY recorded_at, number`,
		d.ID, func(r pgx.CollectableRow) (i deal.Invoice, err error) {
			var amount int64
			var issued, due time.Time
			err = r.Scan(&i.Number, &amount, &issued, &due, &i.RecordedBy, &i.RecordedAt)
			i.Amount, i.IssuedOn, i.DueOn, i.RecordedAt = money.Amount(amount), dateOf(issued), dateOf(due), i.RecordedAt.UTC()
			return i, err
		})
	if err != nil {
		return err
	}
	d.Payments, err = collect(ctx, tx, `SELECT reference, amount, received_on, invoice_no, recorded_by, recorded_at
			FROM deal_payments WHERE deal_id = $1 ORDER BY recorded_at, reference`,
		d.ID, func(r pgx.CollectableRow) (p deal.Payment, err error) {
			var amount int64
			var on time.Time
			err = r.Scan(&p.Reference, &amount, &on, &p.InvoiceNo, &p.RecordedBy, &p.RecordedAt)
			p.Amount, p.ReceivedOn, p.RecordedAt = money.Amount(amount), dateOf(on), p.RecordedAt.UTC()
			return p, err
		})
	return err
}

// DealHistory lists a deal's transitions, oldest first.
func (db *DB) DealHistory(ctx context.Context, id string) ([]deal.HistoryEntry, error) {
	h, err := collect(ctx, db.pool, `SELECT seq, action, actor, from_stage, to_stage, reason, at
			FROM deal_history WHERE deal_id = $1 ORDER BY seq`,
		id, func(r pgx.CollectableRow) (e deal.HistoryEntry, err error) {
			err = r.Scan(&e.Seq, &e.Action, &e.Actor, &e.From, &e.To, &e.Reason, &e.At)
			e.At = e.At.UTC()
			return e, err
		})
	if err != nil {
		return nil, fmt.Errorf("deal %s history: %w", id, err)
	}
	return h, nil
}

// Viewer says which deals someone may see. The rule lives here, in SQL, so a
// list is filtered by the database rather than after the fact.
type Viewer struct {
	ID string
	// All: finance, market management and admins see every deal.
	All bool
	// Team: a sales manager or assistant also sees the deals of their team's
	// reps (and a manager those of their direct reports).
	Team    string
	Manager bool
	// Stages: a department sees every deal in the stages it works on
	// (delivery: order and delivery; collections: payment collection).
	Stages []string
	// Unowned: sales managers and assistants assign owners to customers, so
	// they also see the customers nobody owns yet. A deal always has an owner;
	// only the customer queries (customers_read.go) read this.
	Unowned bool
}

// ViewerOf says which deals u may see: their own (any role named on the deal),
// their team's for sales managers and assistants, their department's stages,
// and all of them for finance, market management and admins. Customer reads
// (customers_read.go), the API's lists and the reports all use it.
func ViewerOf(u identity.User) Viewer {
	v := Viewer{ID: u.ID, All: u.Has(identity.RoleFinance, identity.RoleMarketManager, identity.RoleAdmin)}
	if u.Has(identity.RoleSalesManager, identity.RoleSalesAssistant) {
		v.Team = u.Team
	}
	v.Manager = u.Has(identity.RoleSalesManager)
	v.Unowned = u.Has(identity.RoleSalesManager, identity.RoleSalesAssistant)
	if u.Has(identity.RoleDelivery) {
		v.Stages = append(v.Stages, string(deal.StageOrder), string(deal.StageDelivery))
	}
	if u.Has(identity.RoleCollector) {
		v.Stages = append(v.Stages, string(deal.StagePaymentCollection), string(deal.StageClosed))
	}
	return v
}

// dealVisible is the SQL predicate for Viewer, on table alias d, with the
// viewer's fields as parameters $1..$5.
const dealVisible = `($2 OR d.sales_owner = $1 OR d.discoverer = $1 OR d.delivery_owner = $1
	OR d.payment_owner = $1 OR d.created_by = $1 OR d.stage = ANY($5)
	OR EXISTS (SELECT 1 FROM users o WHERE o.id = d.sales_owner
		AND (($3 <> '' AND o.team = $3) OR ($4 AND o.manager_id = $1))))`

func (v Viewer) args() []any {
	stages := v.Stages
	if stages == nil {
		stages = []string{}
	}
	return []any{v.ID, v.All, v.Team, v.Manager, stages}
}

// DealVisible reports whether v may see deal id; a deal v may not see is, to v,
// a deal that does not exist.
func (db *DB) DealVisible(ctx context.Context, id string, v Viewer) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deals d WHERE d.id = $6 AND `+dealVisible+`)`,
		append(v.args(), id)...).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("deal %s visible: %w", id, err)
	}
	return ok, nil
}

// DealFilter narrows a deal list. Zero values match everything.
type DealFilter struct {
	// Viewer is who is asking; the list holds only deals they may see.
	Viewer Viewer
	Stage  deal.Stage
	// Owner matches a deal on which the user is named in any role: sales,
	// discoverer, delivery or payment owner.
	Owner string
	// Customer matches the deals of one customer, by code.
	Customer string
	// After is the keyset cursor: the last ID of the previous page.
	After string
	Limit int
}

// DealList returns deals in ID order, a page at a time. Stage data is left out;
// DealGet reads one deal whole.
func (db *DB) DealList(ctx context.Context, f DealFilter) ([]deal.Deal, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+dealColumns+` FROM deals d
		WHERE `+dealVisible+`
		  AND ($6 = '' OR d.stage = $6)
		  AND ($7 = '' OR d.sales_owner = $7 OR d.discoverer = $7 OR d.delivery_owner = $7 OR d.payment_owner = $7)
		  AND d.id > $8 AND ($10 = '' OR d.customer_code = $10)
		ORDER BY d.id LIMIT $9`, append(f.Viewer.args(), string(f.Stage), f.Owner, f.After, f.Limit, f.Customer)...)
	if err != nil {
		return nil, fmt.Errorf("list deals: %w", err)
	}
	deals, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (d deal.Deal, err error) {
		err = scanDeal(r, &d)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list deals: %w", err)
	}
	return deals, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func collect[T any](ctx context.Context, q querier, sql string, id string, scan func(pgx.CollectableRow) (T, error)) ([]T, error) {
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

func utcReview(r *deal.Review) {
	r.RequestedAt = r.RequestedAt.UTC()
	if r.DecidedAt != nil {
		t := r.DecidedAt.UTC()
		r.DecidedAt = &t
	}
}

// pgDate and dateOf convert between calendar days and PostgreSQL's date.
func pgDate(d deal.Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

func dateOf(t time.Time) deal.Date { return deal.DateOf(t.UTC()) }

// UserRoles returns the roles of each of ids that names a user.
func (db *DB) UserRoles(ctx context.Context, ids []string) (map[string][]identity.Role, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, roles FROM users WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("roles of users: %w", err)
	}
	out := map[string][]identity.Role{}
	for rows.Next() {
		var id string
		var roles []identity.Role
		if err := rows.Scan(&id, &roles); err != nil {
			rows.Close()
			return nil, fmt.Errorf("roles of users: %w", err)
		}
		out[id] = roles
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("roles of users: %w", err)
	}
	return out, nil
}

// DealIdempotencyClaim records that actor sent the request with digest under
// Idempotency-Key key on deal id, or, when the key was used before, reports
// whether it was for the same request by the same person.
func (db *DB) DealIdempotencyClaim(ctx context.Context, id, key, actor string, digest []byte) (bool, error) {
	var same bool
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO deal_idempotency (deal_id, key, actor, digest) VALUES ($1, $2, $3, $4)
			ON CONFLICT (deal_id, key) DO NOTHING`, id, key, actor, digest); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT actor = $3 AND digest = $4 FROM deal_idempotency WHERE deal_id = $1 AND key = $2`,
			id, key, actor, digest).Scan(&same)
	})
	if err != nil {
		return false, fmt.Errorf("idempotency key on deal %s: %w", id, err)
	}
	return same, nil
}

// DealWithERPOrder returns the deal other than except whose order is the ERP's
// sales order no, or "" when there is none.
func (db *DB) DealWithERPOrder(ctx context.Context, no, except string) (string, error) {
	var id string
	err := db.pool.QueryRow(ctx, `SELECT deal_id FROM deal_orders WHERE erp_number = $1 AND deal_id <> $2
		ORDER BY deal_id LIMIT 1`, no, except).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("deal with ERP order %s: %w", no, err)
	}
	return id, nil
}
