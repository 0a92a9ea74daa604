package database

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The shapes of a read that every table group repeats: one value, a list, a
// map of two columns, a stream to a callback; and of a statement that
// returns nothing. Each wraps an error with what it read or wrote.

// queryValue runs sql with args on q, whose one row holds one column, and
// returns that column; what names the value in an error, and no row is
// ErrNotFound.
func queryValue[T any](ctx context.Context, q auditQuerier, what, sql string, args ...any) (T, error) {
	var v T
	if err := q.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", what, notFound(err))
	}
	return v, nil
}

// exec runs the statement sql with args on q; what names it in an error.
func exec(ctx context.Context, q auditQuerier, what, sql string, args ...any) error {
	if _, err := q.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// queryList runs sql with args on q and scans each row with scan; what names
// the list in an error. The list is never nil.
func queryList[T any](ctx context.Context, q querier, what string, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// queryPairs runs sql with args on q, whose rows are two text columns, and
// maps each first to its second; what names the map in an error.
func queryPairs(ctx context.Context, q querier, what, sql string, args ...any) (map[string]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := map[string]string{}
	var k, v string
	if _, err := pgx.ForEachRow(rows, []any{&k, &v}, func() error { out[k] = v; return nil }); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// queryEach runs sql with args on q and hands each row, scanned by scan, to
// fn; what names the query in an error (fn's own error is returned as it is).
func queryEach[T any](ctx context.Context, q querier, what string, scan pgx.RowToFunc[T], fn func(T) error, sql string, args ...any) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
