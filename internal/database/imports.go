package database

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/identity"
)

// ImportJob is one workbook import: the file, how it was imported, and what
// came of it. Result (the annotated workbook) is read separately, since it can
// be megabytes.
type ImportJob struct {
	ID         int64
	Kind       string // customers
	FileName   string
	FileSize   int64
	FileSHA256 []byte
	FileFormat string
	Mode       string // all_or_nothing, accept_valid
	DryRun     bool
	Status     string // running, imported, partially_imported, rejected, validated, failed
	RowsRead   int
	RowsTotal  int
	Accepted   int
	Rejected   int
	Inserted   int
	Updated    int
	Unchanged  int
	ErrorKind  string
	Message    string
	Report     []byte // JSON
	ResultName string
	HasResult  bool
	CreatedBy  string
	CreatedAt  time.Time
	FinishedAt *time.Time
}

// ImportStart records an import as running and returns its ID. Under
// WithAudit, the start is audited ("import.started", with the file's name,
// size and digest) in the same transaction.
func (db *DB) ImportStart(ctx context.Context, j ImportJob) (int64, error) {
	var id int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO import_jobs (kind, file_name, file_size, file_sha256, file_format, mode, dry_run, status, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8) RETURNING id`,
			j.Kind, j.FileName, j.FileSize, j.FileSHA256, j.FileFormat, j.Mode, j.DryRun, j.CreatedBy).Scan(&id)
		if err != nil {
			return err
		}
		a, ok := auditFrom(ctx)
		if !ok {
			return nil
		}
		detail, _ := json.Marshal(map[string]any{"kind": j.Kind, "file": j.FileName, "bytes": j.FileSize,
			"sha256": fmt.Sprintf("%x", j.FileSHA256), "mode": j.Mode, "dry_run": j.DryRun})
		_, err = auditAppend(ctx, tx, a.chain, audit.Entry{At: a.now(), Actor: j.CreatedBy, Action: "import.started",
			ObjectType: "import", ObjectID: strconv.FormatInt(id, 10), Detail: detail})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("start import: %w", err)
	}
	return id, nil
}

// ImportProgress moves a running import's count of rows read.
func (db *DB) ImportProgress(ctx context.Context, id int64, rowsRead int) error {
	return exec(ctx, db.pool, fmt.Sprintf("import %d progress", id), `UPDATE import_jobs SET rows_read = $2 WHERE id = $1 AND status = 'running'`, id, rowsRead)
}

// ImportFinish records how an import ended, with its annotated workbook if any.
// Under WithAudit, the end is audited ("import.finished", with the status and
// the counts of rows) in the same transaction.
func (db *DB) ImportFinish(ctx context.Context, j ImportJob, result []byte) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var by string
		err := tx.QueryRow(ctx, `
			UPDATE import_jobs SET status = $2, file_format = $3, rows_read = $4, rows_total = $5, accepted = $6,
				rejected = $7, inserted = $8, updated = $9, unchanged = $10, error_kind = $11, message = $12,
				report = $13, result_name = $14, result = $15, finished_at = now()
			WHERE id = $1 RETURNING created_by`,
			j.ID, j.Status, j.FileFormat, j.RowsRead, j.RowsTotal, j.Accepted, j.Rejected, j.Inserted, j.Updated,
			j.Unchanged, j.ErrorKind, j.Message, nullJSON(j.Report), j.ResultName, result).Scan(&by)
		if err != nil {
			return notFound(err)
		}
		a, ok := auditFrom(ctx)
		if !ok {
			return nil
		}
		detail, _ := json.Marshal(map[string]any{"status": j.Status, "rows": j.RowsTotal, "accepted": j.Accepted,
			"rejected": j.Rejected, "inserted": j.Inserted, "updated": j.Updated, "unchanged": j.Unchanged,
			"error_kind": j.ErrorKind})
		_, err = auditAppend(ctx, tx, a.chain, audit.Entry{At: a.now(), Actor: by, Action: "import.finished",
			ObjectType: "import", ObjectID: strconv.FormatInt(j.ID, 10), Detail: detail})
		return err
	})
	if err != nil {
		return fmt.Errorf("finish import %d: %w", j.ID, err)
	}
	return nil
}

func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

const importColumns = `id, kind, file_name, file_size, file_sha256, file_format, mode, dry_run, status, rows_read,
	rows_total, accepted, rejected, inserted, updated, unchanged, error_kind, message, coalesce(report::text, ''),
	result_name, result IS NOT NULL, created_by, created_at, finished_at`

func scanImport(row pgx.Row) (ImportJob, error) {
	var j ImportJob
	var report string
	err := row.Scan(&j.ID, &j.Kind, &j.FileName, &j.FileSize, &j.FileSHA256, &j.FileFormat, &j.Mode, &j.DryRun,
		&j.Status, &j.RowsRead, &j.RowsTotal, &j.Accepted, &j.Rejected, &j.Inserted, &j.Updated, &j.Unchanged,
		&j.ErrorKind, &j.Message, &report, &j.ResultName, &j.HasResult, &j.CreatedBy, &j.CreatedAt, &j.FinishedAt)
	if report != "" {
		j.Report = []byte(report)
	}
	return j, err
}

// ImportGet reads one import, without its result workbook.
func (db *DB) ImportGet(ctx context.Context, id int64) (ImportJob, error) {
	j, err := scanImport(db.pool.QueryRow(ctx, `SELECT `+importColumns+` FROM import_jobs WHERE id = $1`, id))
	if err != nil {
		return ImportJob{}, fmt.Errorf("import %d: %w", id, notFound(err))
	}
	return j, nil
}

// ImportResult reads an import's annotated workbook; ErrNotFound if it has none.
func (db *DB) ImportResult(ctx context.Context, id int64) (string, []byte, error) {
	var name string
	var data []byte
	err := db.pool.QueryRow(ctx, `SELECT result_name, result FROM import_jobs WHERE id = $1 AND result IS NOT NULL`, id).
		Scan(&name, &data)
	if err != nil {
		return "", nil, fmt.Errorf("import %d result: %w", id, notFound(err))
	}
	return name, data, nil
}

// CustomersByCode returns the stored customers among codes, by code.
func (db *DB) CustomersByCode(ctx context.Context, codes []string) (map[string]Customer, error) {
	rows, err := db.pool.Query(ctx, `SELECT code, name, tax_id, address, contact_name, phone, payment_terms,
			min_discount_bp, credit_limit, currency, value_class, coalesce(sales_owner, ''), blocked, source,
			erp_changed_at, erp_etag
		FROM customers WHERE code = ANY($1)`, codes)
	if err != nil {
		return nil, fmt.Errorf("customers by code: %w", err)
	}
	defer rows.Close()
	out := map[string]Customer{}
	for rows.Next() {
		var c Customer
		if err := rows.Scan(&c.Code, &c.Name, &c.TaxID, &c.Address, &c.ContactName, &c.Phone, &c.PaymentTerms,
			&c.MinDiscountBP, &c.CreditLimit, &c.Currency, &c.ValueClass, &c.SalesOwner, &c.Blocked, &c.Source,
			&c.ERPChangedAt, &c.ERPETag); err != nil {
			return nil, fmt.Errorf("customers by code: %w", err)
		}
		c.Currency = strings.TrimSpace(c.Currency)
		out[c.Code] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customers by code: %w", err)
	}
	return out, nil
}

// CustomerRef names a stored customer.
type CustomerRef struct {
	Code string
	Name string
}

// CustomersByTaxID returns, for each of taxIDs held by stored customers, who holds it.
func (db *DB) CustomersByTaxID(ctx context.Context, taxIDs []string) (map[string][]CustomerRef, error) {
	rows, err := db.pool.Query(ctx, `SELECT tax_id, code, name FROM customers
		WHERE tax_id <> '' AND tax_id = ANY($1) ORDER BY tax_id, code`, taxIDs)
	if err != nil {
		return nil, fmt.Errorf("customers by tax ID: %w", err)
	}
	defer rows.Close()
	out := map[string][]CustomerRef{}
	for rows.Next() {
		var tax string
		var ref CustomerRef
		if err := rows.Scan(&tax, &ref.Code, &ref.Name); err != nil {
			return nil, fmt.Errorf("customers by tax ID: %w", err)
		}
		out[tax] = append(out[tax], ref)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customers by tax ID: %w", err)
	}
	return out, nil
}

// UsersFind returns the users whose ID is one of keys, or whose name is one of
// them ignoring case: people write a colleague's name where an ID is wanted.
func (db *DB) UsersFind(ctx context.Context, keys []string) ([]identity.User, error) {
	lower := make([]string, len(keys))
	for i, k := range keys {
		lower[i] = strings.ToLower(strings.TrimSpace(k))
	}
	scan := func(r pgx.CollectableRow) (identity.User, error) {
		var u identity.User
		err := r.Scan(&u.ID, &u.Name, &u.Team, &u.Roles)
		return u, err
	}
	return queryList(ctx, db.pool, "find users", scan, `SELECT id, name, team, roles FROM users
		WHERE id = ANY($1) OR lower(name) = ANY($1) ORDER BY id`, lower)
}

// customerImportLock is the advisory lock key that serialises customer
// imports, so two files cannot both decide a code is new and the later one
// overwrite the earlier one's customer. ("l2c:imp" as an integer.)
const customerImportLock = 0x6c32633a696d70

// CustomerImportLock waits for the customer-import lock and returns its release.
// It polls with pg_try_advisory_lock rather than blocking in pg_advisory_lock,
// so imports waiting their turn do not each hold a pooled connection that the
// one holding the lock needs for its writes.
func (db *DB) CustomerImportLock(ctx context.Context) (func(), error) {
	for {
		conn, err := db.pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("import lock: %w", err)
		}
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(customerImportLock)).Scan(&got); err != nil {
			conn.Release()
			return nil, fmt.Errorf("import lock: %w", err)
		}
		if got {
			return func() {
				// The lock is the session's: unlock before the connection goes back.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(customerImportLock)); err != nil {
					// A connection that may still hold the lock must not be reused.
					_ = conn.Conn().Close(ctx)
				}
				conn.Release()
			}, nil
		}
		conn.Release()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("import lock: another customer import is still running: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// importVisible is the visibility of import jobs (alias j) to a Viewer, with
// the viewer's ID, All, Team and Manager as $1..$4: the same rule as for deals
// and customers. Your own; everyone's for those who see every deal; a sales
// manager's or assistant's team's; a manager's direct reports'.
const importVisible = `($2 OR j.created_by = $1 OR EXISTS (SELECT 1 FROM users o WHERE o.id = j.created_by
	AND (($3 <> '' AND o.team = $3) OR ($4 AND o.manager_id = $1))))`

// ImportGetFor reads one import that v may see, without its result workbook;
// one v may not see is ErrNotFound, like one that does not exist.
func (db *DB) ImportGetFor(ctx context.Context, id int64, v Viewer) (ImportJob, error) {
	j, err := scanImport(db.pool.QueryRow(ctx, `SELECT `+importColumns+` FROM import_jobs j WHERE `+importVisible+` AND j.id = $5`,
		v.ID, v.All, v.Team, v.Manager, id))
	if err != nil {
		return ImportJob{}, fmt.Errorf("import %d: %w", id, notFound(err))
	}
	return j, nil
}

// ImportListFor returns the imports v may see, newest first: by one person
// when createdBy is set, else everyone's; before (an ID) pages backwards, 0
// for the newest.
func (db *DB) ImportListFor(ctx context.Context, v Viewer, createdBy string, before int64, limit int) ([]ImportJob, error) {
	return queryList(ctx, db.pool, "list imports", func(r pgx.CollectableRow) (ImportJob, error) { return scanImport(r) }, `SELECT `+importColumns+` FROM import_jobs j WHERE `+importVisible+`
		AND ($5 = '' OR j.created_by = $5) AND ($6 = 0 OR j.id < $6) ORDER BY j.id DESC LIMIT $7`,
		v.ID, v.All, v.Team, v.Manager, createdBy, before, limit)
}
