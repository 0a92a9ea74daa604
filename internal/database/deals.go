package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
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
		sql, args, err := dealUpsert(&d)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("upsert deal: %w", err)
		}
		if tag.RowsAffected() == 1 {
			if err := saveStageData(ctx, tx, d); err != nil {
				return err
			}
			if err := collectionOnSave(ctx, tx, d, h); err != nil {
				return err
			}
		}
		sql, args, err = historyTable.insert(&h, []string{"deal_id"}, d.ID)
		if err != nil {
			return err
		}
		tag, err = tx.Exec(ctx, sql+` ON CONFLICT (deal_id, seq) DO NOTHING`, args...)
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
	for _, t := range stageTables {
		b.Queue(`DELETE FROM `+t+` WHERE deal_id = $1`, d.ID)
	}
	if err := queueStageData(b, d); err != nil {
		return fmt.Errorf("save stage data: %w", err)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("save stage data: %w", err)
	}
	return nil
}

// DealGet reads one deal with all its stage data, as of one snapshot.
func (db *DB) DealGet(ctx context.Context, id string) (deal.Deal, error) {
	var d deal.Deal
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			if err := dealsTable.scan(tx.QueryRow(ctx, `SELECT `+dealsTable.selectList()+` FROM deals WHERE id = $1`, id), &d); err != nil {
				return notFound(err)
			}
			return readStageData(ctx, tx, &d)
		})
	if err != nil {
		return deal.Deal{}, fmt.Errorf("get deal %s: %w", id, err)
	}
	return d, nil
}

// DealHistory lists a deal's transitions, oldest first.
func (db *DB) DealHistory(ctx context.Context, id string) ([]deal.HistoryEntry, error) {
	h, err := historyTable.read(ctx, db.pool, id)
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

// dealReach narrows dealVisible for a viewer who does not see every deal:
// the same rows (the team's and reports' deals as a list of their sales
// owners rather than a test per deal), said so that PostgreSQL reads them
// from the owner and stage indexes instead of testing every deal. Over
// 100,000 deals, a rep's list: 750 → 25 ms; a manager's pipeline: about
// 1,100 → 30-110 ms.
const dealReach = ` AND (d.sales_owner = $1 OR d.discoverer = $1 OR d.delivery_owner = $1
	OR d.payment_owner = $1 OR d.created_by = $1 OR d.stage = ANY($5)
	OR d.sales_owner = ANY(ARRAY(SELECT o.id FROM users o WHERE ($3 <> '' AND o.team = $3) OR ($4 AND o.manager_id = $1))))`

// narrowing is dealReach for a viewer it helps, else nothing.
func (v Viewer) narrowing() string {
	if v.All {
		return ""
	}
	return dealReach
}

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
	return queryValue[bool](ctx, db.pool, "deal "+id+" visible", `SELECT EXISTS (SELECT 1 FROM deals d WHERE d.id = $6 AND `+dealVisible+`)`,
		append(v.args(), id)...)
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
	// Holder matches the deals that wait on one person (a user ID, or
	// "role:<role>" for a stage any holder of the role may take), a deal in
	// review on each approver who holds an open step of its case.
	Holder string
	// InStageBefore matches the deals that entered their current stage
	// before it (zero: any): "in its stage for at least N days".
	InStageBefore time.Time
	// After is the keyset cursor: the last ID of the previous page.
	After string
	Limit int
}

// inStageBefore is InStageBefore as a query argument: NULL when unset.
func (f DealFilter) inStageBefore() *time.Time {
	if f.InStageBefore.IsZero() {
		return nil
	}
	return &f.InStageBefore
}

// DealList returns deals in ID order, a page at a time. Stage data is left out;
// DealGet reads one deal whole.
func (db *DB) DealList(ctx context.Context, f DealFilter) ([]deal.Deal, error) {
	return queryList(ctx, db.pool, "list deals", func(r pgx.CollectableRow) (d deal.Deal, err error) {
		err = dealsTable.scan(r, &d)
		return d, err
	}, `SELECT `+dealsTable.selectList()+` FROM deals d
		WHERE `+dealVisible+f.Viewer.narrowing()+`
		  AND ($6 = '' OR d.stage = $6)
		  AND ($7 = '' OR d.sales_owner = $7 OR d.discoverer = $7 OR d.delivery_owner = $7 OR d.payment_owner = $7)
		  AND d.id > $8 AND ($10 = '' OR d.customer_code = $10)
		  AND ($11 = '' OR d.holder = ANY(ARRAY[$11::text]
		       || ARRAY(SELECT 'approval:' || s.case_id FROM approval_steps s WHERE s.approver = $11 AND s.status = 'pending'))) AND ($12::timestamptz IS NULL OR d.stage_entered_at < $12)
		ORDER BY d.id LIMIT $9`, append(f.Viewer.args(), string(f.Stage), f.Owner, f.After, f.Limit, f.Customer,
		f.Holder, f.inStageBefore())...)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
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
// whether it was for the same request by the same person (same), and whether
// this is that request again (replay).
func (db *DB) DealIdempotencyClaim(ctx context.Context, id, key, actor string, digest []byte) (same, replay bool, err error) {
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO deal_idempotency (deal_id, key, actor, digest) VALUES ($1, $2, $3, $4)
			ON CONFLICT (deal_id, key) DO NOTHING`, id, key, actor, digest)
		if err != nil {
			return err
		}
		replay = tag.RowsAffected() == 0
		return tx.QueryRow(ctx, `SELECT actor = $3 AND digest = $4 FROM deal_idempotency WHERE deal_id = $1 AND key = $2`,
			id, key, actor, digest).Scan(&same)
	})
	if err != nil {
		return false, false, fmt.Errorf("idempotency key on deal %s: %w", id, err)
	}
	return same, replay && same, nil
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
