// Package database is l2c's access to PostgreSQL: the connection pool, the one
// transaction helper, the embedded migrations, and the SQL for each table group
// (one file per group: deals.go, users.go, ...). Nothing above this package sees
// pgx types; "no rows" becomes ErrNotFound here.
package database

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/l2c/l2c/internal/audit"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// DB is the pool plus the queries. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to url and checks the connection.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return &DB{pool: pool}, nil
}

// Close releases every connection.
func (db *DB) Close() { db.pool.Close() }

// Ping reports whether the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// inTx runs fn in one transaction: committed if fn returns nil, rolled back otherwise.
func (db *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// onceAudited runs change in one transaction and, when change did its work
// (done), appends entry to the audit trail in that same transaction: a
// retry that finds the work done records nothing twice. An error says what.
func (db *DB) onceAudited(ctx context.Context, what string, chain audit.Chain, entry audit.Entry, change func(tx pgx.Tx) (done bool, err error)) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		done, err := change(tx)
		if err != nil || !done {
			return err
		}
		_, err = auditAppend(ctx, tx, chain, entry)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// createReviewed records a request that a review case decides: insert
// writes its row and returns its ID, then the case ID derived from it
// (caseID) is stored in table's case_id, in one transaction (txIn). A
// violation of the one-open-request index openIdx is errOpen.
func (db *DB) createReviewed(ctx context.Context, table, openIdx string, errOpen error, insert func(tx pgx.Tx) (int64, error),
	caseID func(id int64) string) (string, error) {
	var c string
	err := db.txIn(ctx, func(tx pgx.Tx) error {
		id, err := insert(tx)
		if err != nil {
			return notFound(err)
		}
		c = caseID(id)
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET case_id = $2 WHERE id = $1`, id, c)
		return err
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == openIdx {
		return c, errOpen
	}
	return c, err
}

// found says whether the single-row statement that returned err found its
// row: no row is no work (false) rather than an error.
func found(err error) (bool, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// CountRows counts the rows of one of l2c's tables, for tests and checks that
// a refused request changed nothing. The name is checked against the catalog
// before it is used, so it cannot carry SQL.
func (db *DB) CountRows(ctx context.Context, table string, n *int64) error {
	var ok bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('public.' || quote_ident($1)) IS NOT NULL`, table).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no table %q", table)
	}
	return db.pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(n)
}
