package workbook_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/workbook"
	"github.com/l2c/l2c/internal/workbook/workbooktest"
)

// BenchmarkZipBomb measures refusing a 1 GiB worksheet packed into a few MB.
// The refusal runs in a child process (this test binary, TestZipBombChild
// alone) so its memory can be read from /proc/self/status: the extra memory
// is the peak resident size (VmHWM) after the refusal less the resident size
// (VmRSS) just before it, with the file already read.
func BenchmarkZipBomb(b *testing.B) {
	file := filepath.Join(b.TempDir(), "bomb.xlsx")
	if err := os.WriteFile(file, workbooktest.ZipBomb(b, 1<<30), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestZipBombChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "L2C_BENCH_ZIPBOMB="+file)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("child: %v\n%s", err, out.String())
		}
		res := map[string]string{}
		for _, line := range strings.Split(out.String(), "\n") {
			if rest, ok := strings.CutPrefix(line, "CHILD "); ok {
				for _, kv := range strings.Fields(rest) {
					k, v, _ := strings.Cut(kv, "=")
					res[k] = v
				}
			}
		}
		if res["kind"] != string(workbook.ErrZipBomb) {
			b.Fatalf("the bomb was not refused as one:\n%s", out.String())
		}
		fmt.Printf("BENCH zipbomb_reject_ms %s ms\n", res["ms"])
		fmt.Printf("BENCH zipbomb_extra_mb %s MB\n", res["extra_mb"])
	}
}

func TestZipBombChild(t *testing.T) {
	file := os.Getenv("L2C_BENCH_ZIPBOMB")
	if file == "" {
		t.Skip("run by BenchmarkZipBomb")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	before := testenv.ProcStatusKB(t, "VmRSS")
	start := time.Now()
	_, err = workbook.Open(data, "bomb.xlsx", workbook.DefaultLimits())
	took := time.Since(start)
	var fe *workbook.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("want a FileError, got %v", err)
	}
	extra := testenv.ProcStatusKB(t, "VmHWM") - before
	fmt.Printf("CHILD kind=%s ms=%.1f extra_mb=%.1f\n", fe.Kind, float64(took.Microseconds())/1000, float64(max(extra, 0))/1024)
}

// procStatus reads a kB figure from /proc/self/status.
