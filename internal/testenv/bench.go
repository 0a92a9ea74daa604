package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Benchmarks that report peak memory run the measured work in a child
// process, the test binary run again for one test alone: the child's VmHWM
// (the most resident memory it ever had) covers everything the work touched,
// including memory Go has since given back, and nothing the parent did to
// prepare for it.

// RunChild runs test (a test function's name) in a child process with env
// added, and returns the key=value pairs of the line it printed with Report.
func RunChild(tb testing.TB, test string, env ...string) map[string]string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
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
