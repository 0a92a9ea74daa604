// Package devstack finds or starts the services l2c needs on one machine —
// PostgreSQL and a Temporal dev server — for `l2c dev` and for integration tests.
// It prefers what is already there (DATABASE_URL, TEMPORAL_ADDRESS, a server on
// 127.0.0.1:5432) and starts only what is missing, and it stops only what it
// started. Nothing here downloads anything: PostgreSQL comes from the local
// initdb/pg_ctl, Temporal from the pinned CLI that `make bin/temporal` builds.
package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresServer is a PostgreSQL server l2c can create databases on: the one named by
// DATABASE_URL, one already listening on 127.0.0.1:5432, or a private cluster
// started here.
type PostgresServer struct {
	log *slog.Logger

	// given is DATABASE_URL when it was set; EnsureDatabase hands it back unchanged.
	given string
	// adminURL reaches a database on the server from which CREATE/DROP DATABASE can
	// be issued: the given database, or the maintenance database "postgres".
	adminURL string

	// The fields below are set only for a private cluster started by this value.
	started bool
	cluster *cluster
}

// How long we wait for a server that should be there to answer.
const probeTimeout = 2 * time.Second

// Postgres finds a PostgreSQL server, in this order:
//
//  1. DATABASE_URL, used as-is;
//  2. a server on 127.0.0.1:5432, as user postgres, then as the OS user;
//  3. a private cluster under <dataDir>/pg, created with the local initdb on first
//     use and started with pg_ctl on a free loopback port.
//
// Call Stop when done; it stops the cluster only if this call started it.
func Postgres(ctx context.Context, dataDir string, log *slog.Logger) (*PostgresServer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if u := os.Getenv("DATABASE_URL"); u != "" {
		if err := ping(ctx, u); err != nil {
			return nil, fmt.Errorf("DATABASE_URL (%s): %w", redact(u), err)
		}
		log.Info("postgres: using DATABASE_URL", "url", redact(u))
		return &PostgresServer{log: log, given: u, adminURL: u}, nil
	}

	for _, u := range localCandidates() {
		if err := ping(ctx, u); err == nil {
			log.Info("postgres: using the server on 127.0.0.1:5432", "url", redact(u))
			return &PostgresServer{log: log, adminURL: u}, nil
		} else if ctx.Err() != nil {
			return nil, ctx.Err()
		} else {
			log.Debug("postgres: local server did not accept us", "url", redact(u), "err", err)
		}
	}

	c, err := startCluster(ctx, dataDir, log)
	if err != nil {
		return nil, fmt.Errorf("no DATABASE_URL, nothing usable on 127.0.0.1:5432, and starting a private cluster failed: %w", err)
	}
	return &PostgresServer{log: log, adminURL: c.url("postgres"), started: c.ownedByUs, cluster: c}, nil
}

// localCandidates are the URLs tried against 127.0.0.1:5432.
func localCandidates() []string {
	users := []string{"postgres"}
	if u, err := user.Current(); err == nil && u.Username != "postgres" {
		users = append(users, u.Username)
	}
	var urls []string
	for _, name := range users {
		u := url.URL{Scheme: "postgres", User: url.User(name), Host: "127.0.0.1:5432", Path: "/postgres",
			RawQuery: "sslmode=disable"}
		urls = append(urls, u.String())
	}
	return urls
}

// AdminURL is a URL to a database on the server from which databases can be
// created and dropped. Its password, if any, is included; log it with Redact.
func (p *PostgresServer) AdminURL() string { return p.adminURL }

// EnsureDatabase creates database name if it does not exist and returns a URL to
// it. When DATABASE_URL was given, the server is the user's to manage: it returns
// DATABASE_URL unchanged and creates nothing.
func (p *PostgresServer) EnsureDatabase(ctx context.Context, name string) (string, error) {
	if p.given != "" {
		return p.given, nil
	}
	err := p.create(ctx, name)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		err = nil
	}
	if err != nil {
		return "", err
	}
	return withDatabase(p.adminURL, name)
}

// CreateDatabase creates a new, empty database name and returns a URL to it; it
// fails if the database exists. Unlike EnsureDatabase it also works on the server
// named by DATABASE_URL (same credentials, another database), which is what
// tests need to stay isolated from each other and from the developer's data.
func (p *PostgresServer) CreateDatabase(ctx context.Context, name string) (string, error) {
	if err := p.create(ctx, name); err != nil {
		return "", err
	}
	return withDatabase(p.adminURL, name)
}

func (p *PostgresServer) create(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, p.adminURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(p.adminURL), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return &pgconn.PgError{Code: "42P04", Message: fmt.Sprintf("database %q already exists", name)}
	}
	// CREATE DATABASE takes no parameters; the name is quoted as an identifier.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	p.log.Info("postgres: created database", "name", name)
	return nil
}

// DropDatabase drops database name if it exists, disconnecting its sessions.
// It refuses to drop the database DATABASE_URL points at.
func (p *PostgresServer) DropDatabase(ctx context.Context, name string) error {
	if p.given != "" {
		if cur, err := databaseName(p.given); err == nil && cur == name {
			return fmt.Errorf("refusing to drop %q: it is the DATABASE_URL database", name)
		}
	}
	conn, err := pgx.Connect(ctx, p.adminURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(p.adminURL), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// WITH (FORCE) (PostgreSQL 13+) ends sessions a test forgot to close, which
	// would otherwise make the drop fail and leak the database.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %q: %w", name, err)
	}
	p.log.Info("postgres: dropped database", "name", name)
	return nil
}

// Started reports whether this value started a private cluster (and so Stop will
// stop it).
func (p *PostgresServer) Started() bool { return p.started }

// Stop stops the private cluster if this value started it; a server found
// elsewhere is left alone. It is safe to call more than once.
func (p *PostgresServer) Stop() error {
	if p == nil || !p.started {
		return nil
	}
	p.started = false
	return p.cluster.stop(p.log)
}

// Redact returns u with its password replaced, for logs and banners. Strings that
// are not URLs (keyword/value DSNs) are returned with any password=... masked.
func Redact(u string) string { return redact(u) }

func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	fields := strings.Fields(s)
	for i, f := range fields {
		if k, _, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
			fields[i] = "password=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}

func ping(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// withDatabase returns base with its database replaced by name.
func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s is not a postgres:// URL, so another database on that server cannot be named; use the URL form", redact(base))
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

func databaseName(s string) (string, error) {
	cfg, err := pgconn.ParseConfig(s)
	if err != nil {
		return "", err
	}
	return cfg.Database, nil
}

// cluster is a private PostgreSQL cluster under <dataDir>/pg.
type cluster struct {
	bin     string // directory holding initdb, pg_ctl, postgres
	dataDir string // <dataDir>/pg, PGDATA
	runDir  string // <dataDir>/pgrun: unix socket and server log
	port    int
	cred    *syscall.Credential // nil unless we are root
	// ownedByUs is false when the cluster was already running (say, left behind by
	// an l2c dev that was killed); then we use it but leave it running.
	ownedByUs bool
}

func (c *cluster) url(db string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

func startCluster(ctx context.Context, dataDir string, log *slog.Logger) (*cluster, error) {
	if dataDir == "" {
		return nil, errors.New("no data directory for the private cluster")
	}
	root, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	c := &cluster{dataDir: filepath.Join(root, "pg"), runDir: filepath.Join(root, "pgrun")}

	initialized := fileExists(filepath.Join(c.dataDir, "PG_VERSION"))
	want := ""
	if initialized {
		b, err := os.ReadFile(filepath.Join(c.dataDir, "PG_VERSION"))
		if err != nil {
			return nil, fmt.Errorf("read cluster version: %w", err)
		}
		want = strings.TrimSpace(string(b))
	}
	c.bin, err = findPostgresBin(ctx, want)
	if err != nil {
		return nil, err
	}

	if os.Geteuid() == 0 {
		// initdb, pg_ctl and postgres refuse to run as root.
		c.cred, err = unprivilegedUser()
		if err != nil {
			return nil, err
		}
	}
	if err := c.prepareDirs(root); err != nil {
		return nil, err
	}

	if !initialized {
		log.Info("postgres: creating a private cluster", "dir", c.dataDir, "bin", c.bin)
		// Trust auth is acceptable because the server listens on loopback only and
		// its socket lives in a directory only the server's user can enter.
		out, err := c.run(ctx, "initdb", "-D", c.dataDir, "-U", "postgres", "--auth=trust",
			"--encoding=UTF8", "--locale=C", "--no-sync")
		if err != nil {
			return nil, fmt.Errorf("initdb: %w\n%s", err, out)
		}
	}

	// A cluster left running by an earlier run (l2c dev killed with SIGKILL) still
	// holds the data directory; use it rather than fail to start a second one.
	if port, ok := c.runningPort(ctx); ok {
		c.port = port
		log.Info("postgres: private cluster already running; leaving it running on exit",
			"dir", c.dataDir, "port", port, "stop_with", filepath.Join(c.bin, "pg_ctl")+" stop -D "+c.dataDir)
		if err := ping(ctx, c.url("postgres")); err != nil {
			return nil, fmt.Errorf("private cluster in %s is running on port %d but does not answer: %w", c.dataDir, port, err)
		}
		return c, nil
	}

	if c.port, err = freePort(); err != nil {
		return nil, err
	}
	// The socket goes in our own run directory (the system one, /var/run/postgresql,
	// may belong to another server or be unwritable). Socket paths are limited to
	// about 107 bytes; when ours would be longer, listen on TCP only.
	sockDir := c.runDir
	if len(sockDir)+len("/.s.PGSQL.65535") >= 107 {
		sockDir = ""
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s",
		c.port, shellQuote(sockDir))
	out, err := c.run(ctx, "pg_ctl", "start", "-D", c.dataDir, "-l", filepath.Join(c.runDir, "postgres.log"),
		"-w", "-t", "60", "-o", opts)
	if err != nil {
		tail, _ := os.ReadFile(filepath.Join(c.runDir, "postgres.log"))
		return nil, fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, lastLines(tail, 20))
	}
	c.ownedByUs = true
	log.Info("postgres: started private cluster", "dir", c.dataDir, "port", c.port)
	return c, nil
}

func (c *cluster) stop(log *slog.Logger) error {
	// Not tied to the caller's context: stopping usually happens because that
	// context was cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.dataDir, "-m", "fast", "-w")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	log.Info("postgres: stopped private cluster", "dir", c.dataDir)
	return nil
}

// runningPort reports the port of a postmaster already running on c.dataDir.
func (c *cluster) runningPort(ctx context.Context) (int, bool) {
	if _, err := c.run(ctx, "pg_ctl", "status", "-D", c.dataDir); err != nil {
		return 0, false
	}
	// postmaster.pid: pid, data dir, start time, port, socket dir, listen addr, ...
	b, err := os.ReadFile(filepath.Join(c.dataDir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return port, err == nil
}

// prepareDirs creates the data and run directories, hands them to the server's
// user, and checks that user can reach them at all.
func (c *cluster) prepareDirs(root string) error {
	// root is l2c's own directory; 0755 lets an unprivileged server user pass
	// through it to the directories below, which stay 0700.
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	for _, d := range []string{c.dataDir, c.runDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		if c.cred != nil {
			if err := os.Chown(d, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return fmt.Errorf("hand %s to uid %d: %w", d, c.cred.Uid, err)
			}
		}
		// initdb wants 0700 (or 0750) on PGDATA.
		if err := os.Chmod(d, 0o700); err != nil {
			return fmt.Errorf("chmod %s: %w", d, err)
		}
	}
	if c.cred == nil {
		return nil
	}
	if fi, err := os.Stat(root); err == nil && fi.Mode().Perm()&0o001 == 0 {
		if err := os.Chmod(root, fi.Mode().Perm()|0o011); err != nil {
			return fmt.Errorf("chmod %s: %w", root, err)
		}
	}
	// The ancestors are not ours to change; say which one is in the way.
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("stat %s: %w", dir, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		perm := fi.Mode().Perm()
		reachable := perm&0o001 != 0 ||
			(ok && st.Uid == c.cred.Uid && perm&0o100 != 0) ||
			(ok && st.Gid == c.cred.Gid && perm&0o010 != 0)
		if !reachable {
			return fmt.Errorf("the PostgreSQL server runs as uid %d (initdb refuses root) and cannot enter %s (mode %v); "+
				"put L2C_DATA_DIR somewhere it can reach, or chmod o+x %s", c.cred.Uid, dir, perm, dir)
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// run runs one of the PostgreSQL programs, as the unprivileged user when we are root.
func (c *cluster) run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, prog), args...)
	// A directory the server's user may enter: some of the programs resolve the
	// current directory and fail when it is unreadable to them.
	cmd.Dir = c.runDir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		cmd.Env = append(cmd.Env, "HOME="+c.runDir)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl start leaves the server running; should it ever keep our output pipe
	// open, do not wait for the server to exit before returning.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

// unprivilegedUser is the OS user the server runs as when we are root: postgres,
// else nobody.
func unprivilegedUser() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	return nil, errors.New("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// findPostgresBin returns the newest directory holding initdb, pg_ctl and postgres,
// from PATH and /usr/lib/postgresql/*/bin. When major is set (an existing cluster),
// only that major version will do.
func findPostgresBin(ctx context.Context, major string) (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		// Debian links /usr/local/bin/initdb into /usr/lib/postgresql/N/bin; the
		// real directory is where pg_ctl and postgres live too.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs = append(dirs, globbed...)

	type found struct {
		dir     string
		version []int
	}
	var all []found
	seen := map[string]bool{}
	for _, d := range dirs {
		if seen[d] {
			continue
		}
		seen[d] = true
		if !fileExists(filepath.Join(d, "initdb")) || !fileExists(filepath.Join(d, "pg_ctl")) || !fileExists(filepath.Join(d, "postgres")) {
			continue
		}
		v, err := pgVersion(ctx, filepath.Join(d, "pg_ctl"))
		if err != nil {
			continue
		}
		all = append(all, found{d, v})
	}
	if len(all) == 0 {
		return "", errors.New("no PostgreSQL server programs found (initdb, pg_ctl, postgres in PATH or /usr/lib/postgresql/*/bin); " +
			"install PostgreSQL (apt-get install postgresql) or set DATABASE_URL")
	}
	slices.SortStableFunc(all, func(a, b found) int { return slices.Compare(b.version, a.version) })
	if major == "" {
		return all[0].dir, nil
	}
	var have []string
	for _, f := range all {
		if strconv.Itoa(f.version[0]) == major {
			return f.dir, nil
		}
		have = append(have, strconv.Itoa(f.version[0]))
	}
	return "", fmt.Errorf("the existing private cluster is PostgreSQL %s but only version(s) %s are installed; "+
		"install PostgreSQL %s or remove the cluster's data directory", major, strings.Join(have, ", "), major)
}

// pgVersion parses "pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".
func pgVersion(ctx context.Context, pgCtl string) ([]int, error) {
	out, err := exec.CommandContext(ctx, pgCtl, "--version").Output()
	if err != nil {
		return nil, err
	}
	_, rest, ok := strings.Cut(string(out), "(PostgreSQL) ")
	if !ok {
		return nil, fmt.Errorf("unexpected %s --version output %q", pgCtl, out)
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return nil, fmt.Errorf("unexpected %s --version output %q", pgCtl, out)
	}
	var v []int
	for _, part := range strings.Split(fields[0], ".") {
		n, err := strconv.Atoi(strings.TrimRightFunc(part, func(r rune) bool { return r < '0' || r > '9' }))
		if err != nil {
			break
		}
		v = append(v, n)
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("unexpected %s --version output %q", pgCtl, out)
	}
	return v, nil
}

// freePort asks the kernel for a loopback port nobody is using. Another process
// could take it before the server binds; pg_ctl then fails loudly, which is fine
// for a developer tool.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// shellQuote quotes s for the shell pg_ctl passes -o through.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
