package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	var report audit.Report
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var seq int64
		var mac []byte
		if err := tx.QueryRow(ctx, `SELECT seq, mac FROM audit_head`).Scan(&seq, &mac); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		v := audit.NewVerifier(chain)
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
