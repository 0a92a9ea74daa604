// Package testenv gives integration tests a migrated PostgreSQL database and a
// Temporal dev server, one of each per test package:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
//
//	func TestX(t *testing.T) {
//		url := testenv.DatabaseURL(t)      // migrated, shared by the package's tests
//		c := testenv.TemporalClient(t)     // shared; do not Close it
//		hp := testenv.TemporalHostPort(t)  // for workers and clients of your own
//	}
//
// Both are created on first use, so a package that never asks for Temporal does
// not pay for starting it, and both are torn down when the package's tests end.
// The database lives on whatever server devstack.Postgres finds (DATABASE_URL's
// server, 127.0.0.1:5432, or a private cluster) under a fresh name,
// l2c_test_<pkg>_<random>, so packages running in parallel never share one.
//
// When PostgreSQL or the Temporal CLI cannot be found, the tests that ask for them
// fail with the reason; they are never skipped, so CI cannot pass without them.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/devstack"
	"github.com/l2c/l2c/internal/identity"
)

// Generous bounds: `go test ./...` runs several packages at once on small CI
// machines, each of them starting its own database and dev server.
const (
	setupTimeout    = 2 * time.Minute
	teardownTimeout = 30 * time.Second
)

var log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// Quiet is a logger that drops everything, for the code under test whose log
// a test does not read.
var Quiet = slog.New(slog.DiscardHandler)

// env is the package-wide state. Each part is set up at most once; its error is
// kept so every test that needs the part fails with the same reason.
var env struct {
	running bool // Run is in charge of teardown

	dbOnce  sync.Once
	pg      *devstack.PostgresServer
	pgDir   string // private cluster's data dir, when one had to be started
	dbName  string
	dbURL   string
	dbErr   error
	tempOne sync.Once
	server  *testsuite.DevServer
	output  *tail
	tempErr error
}

// Run runs the package's tests and then drops the database and stops the dev
// server, if any test created them. Call it from TestMain and pass its result to
// os.Exit.
func Run(m *testing.M) int {
	env.running = true
	code := m.Run()
	if err := teardown(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv: teardown:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// DatabaseURL returns the URL of the package's migrated database, creating it on
// the first call. Tests share it: isolate them with transactions or with rows
// keyed by something unique to the test.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	mustRun(t)
	env.dbOnce.Do(func() { env.dbErr = setupDatabase() })
	if env.dbErr != nil {
		t.Fatalf("testenv: no test database: %v", env.dbErr)
	}
	return env.dbURL
}

// OpenDB opens the package's database (DatabaseURL) for the test; it is
// closed when the test ends.
func OpenDB(tb testing.TB) *database.DB {
	tb.Helper()
	db, err := database.Open(context.Background(), DatabaseURL(tb))
	if err != nil {
		tb.Fatalf("testenv: open the test database: %v", err)
	}
	tb.Cleanup(db.Close)
	return db
}

// Conn is a connection of its own to the database at url, for COPY and for
// SQL no method of DB runs; closed when tb ends.
func Conn(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatalf("testenv: connect to the test database: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Execer is what Exec runs SQL on: a connection (Conn) or a pool.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Exec is a test's exec(sql, args...) on db: it runs the statement and
// fails tb, naming the SQL, if it fails.
func Exec(tb testing.TB, db Execer) func(sql string, args ...any) {
	return func(sql string, args ...any) {
		tb.Helper()
		if _, err := db.Exec(context.Background(), sql, args...); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
	}
}

// SharedDB opens the package's database (DatabaseURL) for a Shared fixture,
// which outlives the test that builds it (nothing closes it before the
// package's run ends), writes users to it (AddUsers) and opens a pool beside
// it for the SQL a test writes itself.
func SharedDB(tb testing.TB, users ...identity.User) (*database.DB, *pgxpool.Pool) {
	tb.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, DatabaseURL(tb))
	if err != nil {
		tb.Fatalf("testenv: open the test database: %v", err)
	}
	AddUsers(tb, db, users...)
	pool, err := pgxpool.New(ctx, DatabaseURL(tb))
	if err != nil {
		tb.Fatalf("testenv: a pool on the test database: %v", err)
	}
	return db, pool
}

// AuditChain is the chain the package's tests sign its database's audit
// trail with: one key for all of them, so the trail they share verifies.
func AuditChain(tb testing.TB) audit.Chain {
	tb.Helper()
	chain, err := audit.NewChain([]byte("the test database's audit key"))
	if err != nil {
		tb.Fatalf("testenv: audit chain: %v", err)
	}
	return chain
}

// Shared is a fixture all of a package's tests share (a running stack, a
// seeded database): the first test that asks builds it, and a failure there
// fails that test and every later one that asks.
type Shared[T any] struct {
	once sync.Once
	v    *T
}

// Get returns the fixture, building it with build on the first call.
func (s *Shared[T]) Get(tb testing.TB, build func() *T) *T {
	tb.Helper()
	s.once.Do(func() { s.v = build() })
	if s.v == nil {
		tb.Fatal("testenv: the shared setup failed in an earlier test")
	}
	return s.v
}

// AddUsers writes users to db, each with the API token "tok-<id>".
func AddUsers(tb testing.TB, db *database.DB, users ...identity.User) {
	tb.Helper()
	for _, u := range users {
		if err := db.UserUpsert(context.Background(), u, "", "tok-"+u.ID); err != nil {
			tb.Fatalf("testenv: user %s: %v", u.ID, err)
		}
	}
}

// EmptyDatabaseURL returns the URL of a database of the test's own, on the
// package's server, with no migration applied (database.MigrateTo takes it to
// the version a test needs); it is dropped when the test ends.
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	DatabaseURL(t) // the server
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	name := databaseName()
	url, err := env.pg.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatalf("testenv: no empty database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		defer cancel()
		if err := env.pg.DropDatabase(ctx, name); err != nil {
			t.Errorf("testenv: drop %s: %v", name, err)
		}
	})
	return url
}

// TemporalClient returns a client connected to the package's dev server (namespace
// "default"), starting the server on the first call. The client is shared and
// closed by Run; do not Close it.
func TemporalClient(t testing.TB) client.Client {
	t.Helper()
	startTemporal(t)
	return env.server.Client()
}

// TemporalHostPort returns host:port of the package's dev server, starting it on
// the first call.
func TemporalHostPort(t testing.TB) string {
	t.Helper()
	startTemporal(t)
	return env.server.FrontendHostPort()
}

func startTemporal(t testing.TB) {
	t.Helper()
	mustRun(t)
	env.tempOne.Do(func() { env.tempErr = setupTemporal() })
	if env.tempErr != nil {
		t.Fatalf("testenv: no Temporal dev server: %v", env.tempErr)
	}
}

// mustRun catches a missing TestMain, which would leak the database and server.
func mustRun(t testing.TB) {
	t.Helper()
	if !env.running {
		t.Fatal("testenv: add `func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }` to this package")
	}
}

func setupDatabase() error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()

	// Only used if no server is running: a throwaway cluster for this test
	// binary. 0755 so that, when we are root, the cluster's unprivileged user can
	// enter it.
	dir, err := os.MkdirTemp("", "l2c-testenv-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	env.pgDir = dir

	env.pg, err = devstack.Postgres(ctx, dir, log)
	if err != nil {
		if os.Getenv("DATABASE_URL") == "" {
			err = fmt.Errorf("%w (or set DATABASE_URL to a server the tests may create databases on)", err)
		}
		return err
	}
	name := databaseName()
	url, err := env.pg.CreateDatabase(ctx, name)
	if err != nil {
		return err
	}
	env.dbName = name
	if _, err := database.Migrate(ctx, url); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	env.dbURL = url
	return nil
}

// databaseName is l2c_test_<package dir>_<random>, within PostgreSQL's 63 bytes.
// go test runs each test binary in its package's directory.
func databaseName() string {
	pkg := "pkg"
	if wd, err := os.Getwd(); err == nil {
		pkg = filepath.Base(wd)
	}
	pkg = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return '_'
	}, pkg)
	if len(pkg) > 40 {
		pkg = pkg[:40]
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "l2c_test_" + pkg + "_" + hex.EncodeToString(b)
}

func setupTemporal() error {
	bin, err := devstack.TemporalBinary()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	// The server's output is kept (the tail of it) for the error message rather
	// than interleaved with test output.
	env.output = &tail{max: 16 << 10}
	env.server, err = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: bin,
		LogLevel:     "warn",
		ClientOptions: &client.Options{
			Namespace: "default",
			Logger:    tlog.NewStructuredLogger(log),
		},
		Stdout: env.output,
		Stderr: env.output,
	})
	if err != nil {
		return fmt.Errorf("start %s: %w\n%s", bin, err, env.output)
	}
	return nil
}

func teardown() error {
	var errs []error
	if env.server != nil {
		env.server.Client().Close()
		if err := env.server.Stop(); err != nil && !isInterruptExit(err) {
			errs = append(errs, fmt.Errorf("stop Temporal dev server: %w", err))
		}
	}
	if env.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		defer cancel()
		if env.dbName != "" {
			if err := env.pg.DropDatabase(ctx, env.dbName); err != nil {
				errs = append(errs, err)
			}
		}
		if err := env.pg.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if env.pgDir != "" {
		if err := os.RemoveAll(env.pgDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// isInterruptExit reports whether err is the dev server exiting because Stop
// interrupted it, which is how it is supposed to end.
func isInterruptExit(err error) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGINT
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

var _ io.Writer = (*tail)(nil)

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
