package devstack

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPrivateCluster starts a private cluster even though a server may be running
// on 127.0.0.1:5432: that path is what a fresh machine without PostgreSQL running
// takes, and it is the one that can break (root, permissions, versions).
func TestPrivateCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// Not t.TempDir: its parent directory is 0700, which the unprivileged server
	// user cannot enter when the test runs as root.
	dir, err := os.MkdirTemp("", "l2c-devstack-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	c, err := startCluster(ctx, dir, log)
	if err != nil {
		t.Fatalf("start private cluster: %v", err)
	}
	pg := &PostgresServer{log: log, adminURL: c.url("postgres"), started: true, cluster: c}
	t.Cleanup(func() {
		if err := pg.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})

	url, err := pg.EnsureDatabase(ctx, "l2c_devstack_test")
	if err != nil {
		t.Fatalf("EnsureDatabase: %v", err)
	}
	// Ensuring twice is not an error: l2c dev does it on every start.
	if again, err := pg.EnsureDatabase(ctx, "l2c_devstack_test"); err != nil || again != url {
		t.Fatalf("second EnsureDatabase = %q, %v; want %q, nil", again, err, url)
	}
	if !strings.Contains(url, "/l2c_devstack_test") {
		t.Errorf("url %q does not name the database", url)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	var one int
	err = conn.QueryRow(ctx, "select 1").Scan(&one)
	conn.Close(ctx)
	if err != nil || one != 1 {
		t.Fatalf("select 1 = %d, %v", one, err)
	}

	if err := pg.DropDatabase(ctx, "l2c_devstack_test"); err != nil {
		t.Fatalf("DropDatabase: %v", err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)), time.Second); err == nil {
		conn.Close()
		t.Errorf("cluster still answers on port %d after Stop", c.port)
	}

	// A later run reuses the initialized data directory instead of running initdb.
	c2, err := startCluster(ctx, dir, log)
	if err != nil {
		t.Fatalf("restart private cluster: %v", err)
	}
	pg2 := &PostgresServer{log: log, adminURL: c2.url("postgres"), started: true, cluster: c2}
	defer pg2.Stop()
	if err := ping(ctx, pg2.AdminURL()); err != nil {
		t.Fatalf("restarted cluster does not answer: %v", err)
	}

	// A cluster still running from an earlier run (l2c dev killed hard) is used
	// as it is and left running.
	c3, err := startCluster(ctx, dir, log)
	if err != nil {
		t.Fatalf("adopt running cluster: %v", err)
	}
	if c3.ownedByUs || c3.port != c2.port {
		t.Errorf("adopted cluster: ownedByUs=%v port=%d; want false, %d", c3.ownedByUs, c3.port, c2.port)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db":  "postgres://u:xxxxx@h:5432/db",
		"postgres://u@h/db":              "postgres://u@h/db",
		"host=h user=u password=secret":  "host=h user=u password=xxxxx",
		"postgresql://u:p%40ss@h/db?x=1": "postgresql://u:xxxxx@h/db?x=1",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTemporalBinaryFromEnv(t *testing.T) {
	t.Setenv("L2C_TEMPORAL_BIN", "/nonexistent/temporal")
	if _, err := TemporalBinary(); err == nil || !strings.Contains(err.Error(), "L2C_TEMPORAL_BIN") {
		t.Fatalf("TemporalBinary with a missing L2C_TEMPORAL_BIN = %v, want an error naming it", err)
	}
}

func TestTemporalBinaryNotFound(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("PATH", t.TempDir())
	_, err := TemporalBinary()
	if err == nil || !strings.Contains(err.Error(), "make bin/temporal") {
		t.Fatalf("error %q does not say how to get the binary", err)
	}
}

// TestTemporalDevServer starts the pinned CLI's dev server on free ports (so it
// does not collide with a running `l2c dev`) and stops it again.
func TestTemporalDevServer(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	uiPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Temporal(ctx, TemporalOptions{DataDir: t.TempDir(), Port: port, UIPort: uiPort})
	if err != nil {
		t.Fatalf("start dev server: %v", err)
	}
	defer ts.Stop()
	if want := net.JoinHostPort("127.0.0.1", strconv.Itoa(port)); ts.HostPort() != want {
		t.Errorf("HostPort = %q, want %q", ts.HostPort(), want)
	}
	if want := "http://127.0.0.1:" + strconv.Itoa(uiPort); ts.UIURL() != want {
		t.Errorf("UIURL = %q, want %q", ts.UIURL(), want)
	}
	if err := checkTemporal(ctx, ts.HostPort(), "default"); err != nil {
		t.Fatalf("dev server not healthy: %v", err)
	}
	if err := ts.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := portFree(ts.HostPort()); err != nil {
		t.Errorf("port %s still taken after Stop: %v", ts.HostPort(), err)
	}
}
