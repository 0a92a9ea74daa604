package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Customer is one row of the customer master. Optional terms are pointers: nil
// means "not set", which differs from zero.
type Customer struct {
	Code          string
	Name          string
	TaxID         string
	Address       string
	ContactName   string
	Phone         string
	PaymentTerms  string
	MinDiscountBP *int64 // share of list price, basis points
	CreditLimit   *int64 // minor units
	Currency      string
	ValueClass    string
	SalesOwner    string
	Blocked       bool
	Source        string // erp, import, manual
	ERPChangedAt  *time.Time
	ERPETag       string
}

// UpsertCounts says what a bulk upsert did with its rows.
type UpsertCounts struct {
	Inserted  int64
	Updated   int64
	Unchanged int64
}

// Checkpoint is a sync's position, saved with the batch it follows.
type Checkpoint struct {
	Entity   string
	Position string
	// Commit, when set, is called inside the batch's transaction with what
	// the batch did and gives the position to save instead of Position, and
	// the run's counts to record (for Run, when set): counts then commit with
	// the rows they count, and a crash between the two cannot lose them.
	Commit   func(UpsertCounts) (position string, counts SyncCounts)
	Run      string
	RunSince *time.Time
}

// keep is the value an upsert sets for a column that only l2c knows (the
// sales owner, the value class, the contact): a source that leaves it empty
// (the ERP has no such field) keeps what is stored.
func keep(col string) string { return "coalesce(nullif(EXCLUDED." + col + ", ''), c." + col + ")" }

var customerColumns = []string{"code", "name", "tax_id", "address", "contact_name", "phone", "payment_terms",
	"min_discount_bp", "credit_limit", "currency", "value_class", "sales_owner", "blocked", "source",
	"erp_changed_at", "erp_etag"}

// CustomersUpsert writes rows in one transaction: new customers are copied
// straight in, the others COPYed into a temporary staging table and merged by
// one INSERT … ON CONFLICT that skips rows equal to what is stored.
// When cp is not nil the checkpoint advances in the same transaction, so a
// crash between batches never loses or repeats one. Codes must be unique
// within rows.
func (db *DB) CustomersUpsert(ctx context.Context, rows []Customer, cp *Checkpoint) (UpsertCounts, error) {
	return db.stagedUpsert(ctx, "customers", customerColumns, len(rows), func(i int) ([]any, error) {
		c := rows[i]
		cur := c.Currency
		if cur == "" {
			cur = "CNY"
		}
		var owner *string
		if c.SalesOwner != "" {
			owner = &c.SalesOwner
		}
		return []any{c.Code, c.Name, c.TaxID, c.Address, c.ContactName, c.Phone, c.PaymentTerms,
			c.MinDiscountBP, c.CreditLimit, cur, c.ValueClass, owner, c.Blocked, c.Source, c.ERPChangedAt, c.ERPETag}, nil
	}, func(i int) string { return rows[i].Code }, countInserted(`				INSERT INTO customers AS c (code, name, tax_id, address, contact_name, phone, payment_terms,
					min_discount_bp, credit_limit, currency, value_class, sales_owner, blocked, source,
					erp_changed_at, erp_etag)
				SELECT code, name, tax_id, address, contact_name, phone, payment_terms, min_discount_bp,
					credit_limit, currency, value_class, sales_owner, blocked, source, erp_changed_at, erp_etag
				FROM customers_stage
				ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, tax_id = EXCLUDED.tax_id,
					address = EXCLUDED.address, contact_name = `+keep("contact_name")+`, phone = EXCLUDED.phone,
					payment_terms = EXCLUDED.payment_terms, min_discount_bp = EXCLUDED.min_discount_bp,
					credit_limit = EXCLUDED.credit_limit, currency = EXCLUDED.currency,
					value_class = `+keep("value_class")+`, sales_owner = `+keep("sales_owner")+`,
					blocked = EXCLUDED.blocked, source = EXCLUDED.source,
					erp_changed_at = EXCLUDED.erp_changed_at, erp_etag = EXCLUDED.erp_etag, updated_at = now()
				WHERE (c.name, c.tax_id, c.address, c.contact_name, c.phone, c.payment_terms, c.min_discount_bp,
					c.credit_limit, c.currency, c.value_class, c.sales_owner, c.blocked, c.erp_changed_at, c.erp_etag)
					IS DISTINCT FROM
					(EXCLUDED.name, EXCLUDED.tax_id, EXCLUDED.address, `+keep("contact_name")+`, EXCLUDED.phone,
					EXCLUDED.payment_terms, EXCLUDED.min_discount_bp, EXCLUDED.credit_limit, EXCLUDED.currency,
					`+keep("value_class")+`, `+keep("sales_owner")+`, EXCLUDED.blocked, EXCLUDED.erp_changed_at,
					EXCLUDED.erp_etag)
				RETURNING (xmax = 0) AS inserted`), cp)
}

// CustomerCodesExisting returns which of codes are already in the customer master.
func (db *DB) CustomerCodesExisting(ctx context.Context, codes []string) (map[string]bool, error) {
	found, err := queryList(ctx, db.pool, "existing customer codes", pgx.RowTo[string], `SELECT code FROM customers WHERE code = ANY($1)`, codes)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(found))
	for _, c := range found {
		out[c] = true
	}
	return out, nil
}

// CheckpointGet returns a sync's saved position, or "" if it never ran.
func (db *DB) CheckpointGet(ctx context.Context, entity string) (string, error) {
	var pos string
	err := db.pool.QueryRow(ctx, `SELECT position FROM sync_checkpoints WHERE entity = $1`, entity).Scan(&pos)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("checkpoint %s: %w", entity, err)
	}
	return pos, nil
}

// checkpointCommit saves cp for a batch that did n, with the run's counts
// when cp asks for them.
func checkpointCommit(ctx context.Context, tx pgx.Tx, cp Checkpoint, n UpsertCounts) error {
	if cp.Commit == nil {
		return checkpointSave(ctx, tx, cp)
	}
	pos, counts := cp.Commit(n)
	cp.Position = pos
	if err := checkpointSave(ctx, tx, cp); err != nil {
		return err
	}
	if cp.Run != "" {
		return runProgress(ctx, tx, cp.Run, cp.RunSince, counts)
	}
	return nil
}

func checkpointSave(ctx context.Context, tx pgx.Tx, cp Checkpoint) error {
	return exec(ctx, tx, "save checkpoint "+cp.Entity, `INSERT INTO sync_checkpoints (entity, position) VALUES ($1, $2)
		ON CONFLICT (entity) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`, cp.Entity, cp.Position)
}

// CustomerMinDiscount returns the approved minimum discount (basis points of
// list price) of the customer with code, or nil when the customer is unknown or
// has none: a quote for them needs no discount approval.
func (db *DB) CustomerMinDiscount(ctx context.Context, code string) (*int64, error) {
	var bp *int64
	err := db.pool.QueryRow(ctx, `SELECT min_discount_bp FROM customers WHERE code = $1`, code).Scan(&bp)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("minimum discount of %s: %w", code, err)
	}
	return bp, nil
}

// countInserted wraps an INSERT … ON CONFLICT … RETURNING (xmax = 0) AS
// inserted into the statement stagedUpsert runs: one row of the numbers of
// rows inserted and updated.
func countInserted(upsert string) string {
	return `WITH up AS (` + upsert + `)
		SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`
}

// stagedUpsert is the bulk write every sync and import uses: in one
// transaction, COPY rows into a temporary copy of table, run upsert (a
// statement reading <table>_stage that answers one row: the numbers of rows
// inserted and updated), and, when cp is not nil, advance the checkpoint with
// the batch. Rows the upsert skipped as unchanged are the rest.
//
// With key (the value of the table's first column, its primary key), rows
// whose key the table does not hold yet are COPYed straight into it instead:
// a plain COPY is the fastest way in, and on a first sync every row is new.
// Someone inserting one of those keys at the same moment fails the batch on
// the primary key; the retry finds the row and merges it.
func (db *DB) stagedUpsert(ctx context.Context, table string, columns []string, rows int,
	row func(i int) ([]any, error), key func(i int) string, upsert string, cp *Checkpoint) (UpsertCounts, error) {
	var n UpsertCounts
	stage := table + "_stage"
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// A batch need not wait for its WAL to reach the disk: if the server
		// crashes first, the batch and the checkpoint saved with it are lost
		// together, and the next run reads those rows again.
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit TO off`); err != nil {
			return err
		}
		merge := make([]int, 0, rows) // indexes of the rows to merge
		if key == nil {
			for i := range rows {
				merge = append(merge, i)
			}
		} else {
			fresh, err := freshRows(ctx, tx, table, columns[0], rows, key)
			if err != nil {
				return err
			}
			var direct []int
			for i := range rows {
				if fresh[i] {
					direct = append(direct, i)
				} else {
					merge = append(merge, i)
				}
			}
			if len(direct) > 0 {
				copied, err := tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromSlice(len(direct),
					func(i int) ([]any, error) { return row(direct[i]) }))
				if err != nil {
					return fmt.Errorf("copy new rows into %s: %w", table, err)
				}
				n.Inserted = copied
			}
		}
		if len(merge) > 0 {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE `+stage+` (LIKE `+table+` INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
				return fmt.Errorf("staging table: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, columns, pgx.CopyFromSlice(len(merge),
				func(i int) ([]any, error) { return row(merge[i]) })); err != nil {
				return fmt.Errorf("copy %s: %w", table, err)
			}
			var ins, upd int64
			if err := tx.QueryRow(ctx, upsert).Scan(&ins, &upd); err != nil {
				return fmt.Errorf("upsert %s: %w", table, err)
			}
			n.Inserted, n.Updated = n.Inserted+ins, upd
		}
		n.Unchanged = int64(rows) - n.Inserted - n.Updated
		if cp != nil {
			return checkpointCommit(ctx, tx, *cp, n)
		}
		return nil
	})
	if err != nil {
		return UpsertCounts{}, err
	}
	return n, nil
}

// freshRows reports, for each of n rows, whether table holds no row with its
// key in keyColumn (nor does an earlier row of the batch).
func freshRows(ctx context.Context, tx pgx.Tx, table, keyColumn string, n int, key func(i int) string) ([]bool, error) {
	keys := make([]string, n)
	for i := range n {
		keys[i] = key(i)
	}
	held, err := queryList(ctx, tx, "existing keys in "+table, pgx.RowTo[string], `SELECT `+pgx.Identifier{keyColumn}.Sanitize()+` FROM `+pgx.Identifier{table}.Sanitize()+
		` WHERE `+pgx.Identifier{keyColumn}.Sanitize()+` = ANY($1)`, keys)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(held)+n)
	for _, k := range held {
		seen[k] = true
	}
	fresh := make([]bool, n)
	for i, k := range keys {
		fresh[i] = !seen[k]
		seen[k] = true
	}
	return fresh, nil
}

// CustomerOwnerDefault makes owner the sales owner of customer code if it has
// none, adding the customer (as the ERP's, to be filled in by the next sync)
// if l2c does not know it yet. The demo data uses it.
func (db *DB) CustomerOwnerDefault(ctx context.Context, code, name, owner string) error {
	return exec(ctx, db.pool, "owner of customer "+code, `INSERT INTO customers (code, name, sales_owner, source) VALUES ($1, $2, $3, 'erp')
		ON CONFLICT (code) DO UPDATE SET sales_owner = coalesce(customers.sales_owner, EXCLUDED.sales_owner)`, code, name, owner)
}
