package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/l2c/l2c/internal/audit"
)

// AuditAppend adds e to the audit trail and seals the new end. Appends take
// turns (an advisory lock) because each entry links to the one before.
func (db *DB) AuditAppend(ctx context.Context, chain audit.Chain, e audit.Entry) (audit.Entry, error) {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		e, err = auditAppend(ctx, tx, chain, e)
		return err
	})
	if err != nil {
		return e, fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	return e, nil
}

// auditAppend appends within tx, so a change and its entry commit together.
func auditAppend(ctx context.Context, tx pgx.Tx, chain audit.Chain, e audit.Entry) (audit.Entry, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('audit_log'))`); err != nil {
		return e, err
	}
	var last int64
	var prev []byte
	err := tx.QueryRow(ctx, `SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return e, err
	}
	if prev == nil {
		prev = []byte{}
	}
	e.Seq, e.Prev = last+1, prev
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.MAC = chain.MAC(prev, e)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, detail, prev_mac, mac)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.Seq, e.At, e.Actor, e.Action, e.ObjectType, e.ObjectID, string(e.Detail), e.Prev, e.MAC); err != nil {
		return e, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_head (id, seq, mac) VALUES (true, $1, $2)
		ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, mac = EXCLUDED.mac`, e.Seq, chain.HeadMAC(e.Seq, e.MAC))
	return e, err
}

// AuditFilter picks audit entries: after an entry number, up to Limit (0:
// all), and where set, by who, what and which object.
type AuditFilter struct {
	After                               int64
	Limit                               int
	Actor, Action, ObjectType, ObjectID string
}

// AuditEach streams the trail in sequence order from after, calling fn for each
// entry; it stops early if fn returns an error.
func (db *DB) AuditEach(ctx context.Context, f AuditFilter, fn func(audit.Entry) error) error {
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.pool.Query(ctx, `SELECT seq, at, actor, action, object_type, object_id, detail,
		prev_mac, mac FROM audit_log WHERE seq > $1
		AND ($3 = '' OR actor = $3) AND ($4 = '' OR action = $4)
		AND ($5 = '' OR object_type = $5) AND ($6 = '' OR object_id = $6)
		ORDER BY seq LIMIT CASE WHEN $2 < 0 THEN NULL ELSE $2 END`,
		f.After, limit, f.Actor, f.Action, f.ObjectType, f.ObjectID)
	if err != nil {
		return fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e audit.Entry
		var detail string
		if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &detail, &e.Prev, &e.MAC); err != nil {
			return fmt.Errorf("read audit: %w", err)
		}
		e.At = e.At.UTC()
		if detail != "" {
			e.Detail = []byte(detail)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditHead returns the sealed end of the trail (0 and nil when it is empty).
func (db *DB) AuditHead(ctx context.Context) (int64, []byte, error) {
	var seq int64
	var mac []byte
	err := db.pool.QueryRow(ctx, `SELECT seq, mac FROM audit_head`).Scan(&seq, &mac)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, nil
	}
	return seq, mac, err
}

// AuditVerify checks the whole trail against chain. Reading the head first
// means entries appended while it runs are checked up to the head it saw.
func (db *DB) AuditVerify(ctx context.Context, chain audit.Chain) (audit.Report, error) {
	return db.AuditVerifyAgainst(ctx, chain, nil)
}

// AuditVerifyAgainst is AuditVerify that also holds the trail against
// checkpoints taken earlier (audit.Verifier.Against): a database restored to
// an older copy, or emptied, fails.
func (db *DB) AuditVerifyAgainst(ctx context.Context, chain audit.Chain, cps []audit.Checkpoint) (audit.Report, error) {
	var report audit.Report
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var seq int64
		var mac []byte
		if err := tx.QueryRow(ctx, `SELECT seq, mac FROM audit_head`).Scan(&seq, &mac); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		v := audit.NewVerifier(chain)
		v.Against(cps)
		rows, err := tx.Query(ctx, `SELECT seq, at, actor, action, object_type, object_id, detail,
			prev_mac, mac FROM audit_log ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var e audit.Entry
		var detail string
		for rows.Next() {
			if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &detail, &e.Prev, &e.MAC); err != nil {
				return err
			}
			e.Detail = nil
			if detail != "" {
				e.Detail = []byte(detail)
			}
			v.Add(e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		report = v.Done(seq, mac)
		return nil
	})
	if err != nil {
		return report, fmt.Errorf("verify audit: %w", err)
	}
	return report, nil
}

// AuditCheckpoint signs the trail's head as it is now, for keeping outside
// the database (audit.Checkpoint).
func (db *DB) AuditCheckpoint(ctx context.Context, chain audit.Chain, now time.Time) (audit.Checkpoint, error) {
	seq, mac, err := db.AuditHead(ctx)
	if err != nil {
		return audit.Checkpoint{}, fmt.Errorf("audit checkpoint: %w", err)
	}
	return chain.Checkpoint(seq, mac, now), nil
}

// auditQuerier is what both the pool and a transaction run queries on.
type auditQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type txKey struct{}

// q is where a query of an audited change runs: in the transaction
// InTxAudited opened, when ctx carries one, else on the pool.
func (db *DB) q(ctx context.Context) auditQuerier {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return tx
	}
	return db.pool
}

// txIn is inTx that joins the transaction of InTxAudited (as a savepoint)
// when ctx carries one.
func (db *DB) txIn(ctx context.Context, fn func(pgx.Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return pgx.BeginFunc(ctx, tx, fn)
	}
	return db.inTx(ctx, fn)
}

// InTxAudited runs fn in one transaction and appends the audit entry fn
// returns in that same transaction: the change and its record commit
// together or not at all. If the entry cannot be appended, the change is
// rolled back and the error returned. fn makes its changes with the ctx it is
// given, through the methods that take part (those that use q or txIn:
// tokens, sessions, passwords, calendars, sync schedules, terms changes); an
// entry with no Action records nothing (fn found nothing to change). fn must
// not use ctx from other goroutines: a transaction is one connection.
func (db *DB) InTxAudited(ctx context.Context, chain audit.Chain, fn func(ctx context.Context) (audit.Entry, error)) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		e, err := fn(context.WithValue(ctx, txKey{}, tx))
		if err != nil || e.Action == "" {
			return err
		}
		if _, err := auditAppend(ctx, tx, chain, e); err != nil {
			return fmt.Errorf("append audit %s: %w", e.Action, err)
		}
		return nil
	})
}

type auditCtxKey struct{}

type auditCtx struct {
	chain audit.Chain
	now   func() time.Time
}

// WithAudit makes the changes below ctx that record their own entries (an
// import's start and finish) append them, in their own transaction, keyed
// with chain and stamped by now.
func WithAudit(ctx context.Context, chain audit.Chain, now func() time.Time) context.Context {
	if now == nil {
		now = time.Now
	}
	return context.WithValue(ctx, auditCtxKey{}, auditCtx{chain: chain, now: now})
}

// auditFrom returns what WithAudit put in ctx.
func auditFrom(ctx context.Context) (auditCtx, bool) {
	a, ok := ctx.Value(auditCtxKey{}).(auditCtx)
	return a, ok
}
