package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/l2c/l2c/internal/database"
)

// Benchmarks that report peak memory run the measured work in a child
// process, the test binary run again for one test alone: the child's VmHWM
// (the most resident memory it ever had) covers everything the work touched,
// including memory Go has since given back, and nothing the parent did to
// prepare for it.

// BenchRows is n, the rows a benchmark measures at full size, or
// L2C_BENCH_ROWS when that is set: a quicker look while working on the code.
func BenchRows(n int) int {
	if v, err := strconv.Atoi(os.Getenv("L2C_BENCH_ROWS")); err == nil && v > 0 {
		return v
	}
	return n
}

// childDatabaseEnv passes the parent's database (DatabaseURL) to a child.
const childDatabaseEnv = "L2C_BENCH_DATABASE_URL"

// RunChild runs test (a test function's name) in a child process with env
// added, and returns the key=value pairs of the line it printed with Report.
// The child reaches the parent's database through ChildDatabase.
func RunChild(tb testing.TB, test string, env ...string) map[string]string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), childDatabaseEnv+"="+DatabaseURL(tb)), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tb.Fatalf("bench child %s: %v\n%s", test, err, out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "CHILD "); ok {
			res := map[string]string{}
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				res[k] = v
			}
			return res
		}
	}
	tb.Fatalf("bench child %s reported nothing:\n%s", test, out.String())
	return nil
}

// ChildDatabase is the child's side of RunChild's database: its parent's
// database opened (closed when the test ends), and its URL. A test run other
// than by RunChild gets nil and "": it is not a child and should skip.
func ChildDatabase(tb testing.TB) (*database.DB, string) {
	tb.Helper()
	url := os.Getenv(childDatabaseEnv)
	if url == "" {
		return nil, ""
	}
	db, err := database.Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("bench child: %v", err)
	}
	tb.Cleanup(db.Close)
	return db, url
}

// Report is the child's side of RunChild: it prints the results, with the
// process's peak resident memory added as peak_mb.
func Report(tb testing.TB, format string, args ...any) {
	tb.Helper()
	fmt.Printf("CHILD "+format+" peak_mb=%.0f\n", append(args, float64(ProcStatusKB(tb, "VmHWM"))/1024)...)
}

// ProcStatusKB reads a memory figure in KiB (VmHWM, VmRSS, …) from /proc/self/status.
func ProcStatusKB(tb testing.TB, field string) int64 {
	tb.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb
		}
	}
	tb.Fatalf("no %s in /proc/self/status", field)
	return 0
}
