package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
)

// TemporalOptions configures the dev server Temporal starts when TEMPORAL_ADDRESS
// is not set. Zero values mean the defaults below.
type TemporalOptions struct {
	// DataDir holds temporal.db (the dev server's SQLite file, so workflows survive
	// restarts) and temporal.log (its output). Required unless TEMPORAL_ADDRESS is set.
	DataDir string
	// Port is the frontend (gRPC) port on 127.0.0.1; default 7233.
	Port int
	// UIPort is the web UI port on 127.0.0.1; default 8233.
	UIPort int
	// Namespace is created by the dev server and checked for readiness; default "default".
	Namespace string
	// StartTimeout bounds the wait for the server to answer; default 60s.
	StartTimeout time.Duration
	// Log receives devstack's own messages; nil discards them.
	Log *slog.Logger
}

// TemporalServer is a Temporal frontend l2c can dial: the one at TEMPORAL_ADDRESS or a
// dev server started here.
type TemporalServer struct {
	hostPort string
	uiURL    string
	log      *slog.Logger

	// Set only when we started the server.
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // cmd.Wait's result, valid after exited is closed
	logFile  *os.File
	stopOnce sync.Once
	stopErr  error
}

// Temporal returns a Temporal frontend that answers health checks: TEMPORAL_ADDRESS
// if set, else a `temporal server start-dev` started from the pinned CLI (see
// TemporalBinary) on 127.0.0.1. Call Stop when done.
func Temporal(ctx context.Context, opts TemporalOptions) (*TemporalServer, error) {
	if opts.Port == 0 {
		opts.Port = 7233
	}
	if opts.UIPort == 0 {
		opts.UIPort = 8233
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	t := &TemporalServer{log: opts.Log}

	if addr := os.Getenv("TEMPORAL_ADDRESS"); addr != "" {
		t.hostPort = addr
		opts.Log.Info("temporal: using TEMPORAL_ADDRESS", "address", addr)
		if err := t.waitReady(ctx, opts.Namespace, opts.StartTimeout); err != nil {
			return nil, fmt.Errorf("TEMPORAL_ADDRESS=%s: %w", addr, err)
		}
		return t, nil
	}

	if opts.DataDir == "" {
		return nil, errors.New("temporal: no data directory for the dev server")
	}
	bin, err := TemporalBinary()
	if err != nil {
		return nil, err
	}
	t.hostPort = net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port))
	uiHostPort := net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.UIPort))
	// The dev server's own message for a taken port is buried in its log; say
	// plainly what is in the way and what to do about it.
	for _, hp := range []string{t.hostPort, uiHostPort} {
		if err := portFree(hp); err != nil {
			return nil, fmt.Errorf("temporal: %s is already in use (another Temporal server?); stop it, "+
				"or set TEMPORAL_ADDRESS to use a running server: %w", hp, err)
		}
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("temporal: create data dir: %w", err)
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("temporal: data dir: %w", err)
	}
	logPath := filepath.Join(dataDir, "temporal.log")
	t.logFile, err = os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("temporal: open log: %w", err)
	}

	t.cmd = exec.Command(bin, "server", "start-dev",
		"--ip", "127.0.0.1",
		"--port", strconv.Itoa(opts.Port),
		"--ui-port", strconv.Itoa(opts.UIPort),
		"--db-filename", filepath.Join(dataDir, "temporal.db"),
		"--namespace", opts.Namespace,
		"--log-level", "warn",
	)
	t.cmd.Stdout, t.cmd.Stderr = t.logFile, t.logFile
	// Its own process group: Ctrl-C in the terminal reaches only l2c, which then
	// stops the server after the worker and API have drained, and Stop can signal
	// anything the CLI spawned along with it.
	t.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := t.cmd.Start(); err != nil {
		t.logFile.Close()
		return nil, fmt.Errorf("temporal: start %s: %w", bin, err)
	}
	t.exited = make(chan struct{})
	go func() {
		t.waitErr = t.cmd.Wait()
		close(t.exited)
	}()
	opts.Log.Info("temporal: starting dev server", "bin", bin, "address", t.hostPort, "log", logPath)

	if err := t.waitReady(ctx, opts.Namespace, opts.StartTimeout); err != nil {
		_ = t.Stop()
		tail, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("temporal dev server: %w\n%s", err, lastLines(tail, 20))
	}
	t.uiURL = "http://" + uiHostPort
	opts.Log.Info("temporal: dev server ready", "address", t.hostPort, "ui", t.uiURL)
	return t, nil
}

// HostPort is the frontend address to dial.
func (t *TemporalServer) HostPort() string { return t.hostPort }

// UIURL is the web UI of a dev server started here; empty for TEMPORAL_ADDRESS.
func (t *TemporalServer) UIURL() string { return t.uiURL }

// Stop terminates a dev server started here (its whole process group) and waits
// for it to exit; for TEMPORAL_ADDRESS it does nothing. Safe to call twice.
func (t *TemporalServer) Stop() error {
	if t == nil || t.cmd == nil {
		return nil
	}
	t.stopOnce.Do(func() {
		defer t.logFile.Close()
		pgid := t.cmd.Process.Pid
		if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.stopErr = fmt.Errorf("temporal: signal dev server: %w", err)
		}
		select {
		case <-t.exited:
		case <-time.After(15 * time.Second):
			t.log.Warn("temporal: dev server ignored SIGTERM; killing it")
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-t.exited
		}
		t.log.Info("temporal: dev server stopped")
	})
	return t.stopErr
}

// waitReady polls until the frontend answers a health check and knows the
// namespace, the server process exits, or the timeout passes.
func (t *TemporalServer) waitReady(ctx context.Context, namespace string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		if lastErr = checkTemporal(ctx, t.hostPort, namespace); lastErr == nil {
			return nil
		}
		select {
		case <-t.exited: // nil channel (not started here) never fires
			return fmt.Errorf("exited before it was ready: %v", t.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w", timeout, lastErr)
		case <-tick.C:
		}
	}
}

// checkTemporal dials hostPort once and checks health and the namespace.
func checkTemporal(ctx context.Context, hostPort, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	quiet := tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	opts := client.Options{HostPort: hostPort, Namespace: namespace, Logger: quiet}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	nc, err := client.NewNamespaceClient(opts)
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := nc.Describe(ctx, namespace); err != nil {
		return fmt.Errorf("namespace %q: %w", namespace, err)
	}
	return nil
}

func portFree(hostPort string) error {
	l, err := net.Listen("tcp", hostPort)
	if err != nil {
		return err
	}
	return l.Close()
}

// TemporalBinary finds the pinned Temporal CLI: $L2C_TEMPORAL_BIN, else bin/temporal
// in the module root (the nearest directory upwards from the working directory
// holding go.mod), else temporal next to the running executable, else temporal in
// PATH.
func TemporalBinary() (string, error) {
	if p := os.Getenv("L2C_TEMPORAL_BIN"); p != "" {
		if err := isExecutable(p); err != nil {
			return "", fmt.Errorf("L2C_TEMPORAL_BIN=%s: %w", p, err)
		}
		return p, nil
	}
	var looked []string
	if wd, err := os.Getwd(); err == nil {
		if root, ok := moduleRoot(wd); ok {
			p := filepath.Join(root, "bin", "temporal")
			if isExecutable(p) == nil {
				return p, nil
			}
			looked = append(looked, p)
		}
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "temporal")
		if isExecutable(p) == nil {
			return p, nil
		}
		looked = append(looked, p)
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, nil
	}
	looked = append(looked, "$PATH")
	return "", fmt.Errorf("temporal CLI not found (looked in %v; L2C_TEMPORAL_BIN is unset): "+
		"run `make bin/temporal` in the l2c checkout, or set TEMPORAL_ADDRESS to use a running server", looked)
}

func moduleRoot(dir string) (string, bool) {
	for {
		if fileExists(filepath.Join(dir, "go.mod")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func isExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}
