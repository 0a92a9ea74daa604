package database

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"math"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for goose
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies every pending migration in migrations/ to the database at url.
// A PostgreSQL advisory lock makes concurrent callers (several replicas, parallel
// tests) take turns instead of racing. It returns the versions it applied.
func Migrate(ctx context.Context, url string) ([]int64, error) {
	return MigrateTo(ctx, url, math.MaxInt64)
}

// MigrateTo applies the pending migrations up to version and no further: a
// test of a migration that moves data writes the rows the older schema held.
func MigrateTo(ctx context.Context, url string, version int64) ([]int64, error) {
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open database for migrations: %w", err)
	}
	defer sqlDB.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	// Out-of-order: migrations are numbered when work starts, and work done in
	// parallel lands in any order; each migration stands on its own.
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, dir, goose.WithSessionLocker(locker),
		goose.WithAllowOutofOrder(true), goose.WithGoMigrations(goMigrations()...))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := p.UpTo(ctx, version)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}
