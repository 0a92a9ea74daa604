package customerimport_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/l2c/l2c/internal/customerimport"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/workbook/workbooktest"
)

// Peak memory is measured in a child process (testenv.RunChild): TestBenchChild
// alone, so nothing the parent did to prepare the file counts.

const benchRows = 100_000

func BenchmarkImport100k(b *testing.B) {
	setup(b) // the staff the workbook names
	dir := b.TempDir()
	file := filepath.Join(dir, "customers-100k.xlsx")
	prefix := fmt.Sprintf("B%d-", time.Now().UnixNano()%1_000_000)
	if err := writeBenchWorkbook(file, prefix, benchRows); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		res := testenv.RunChild(b, "TestBenchChild", "L2C_BENCH_CHILD=import", "L2C_BENCH_FILE="+file)
		if res["status"] != string(customerimport.StatusImported) || res["inserted"] != strconv.Itoa(benchRows) {
			b.Fatalf("import did not take every row: %v", res)
		}
		fmt.Printf("BENCH import_100k_s %s s\n", res["seconds"])
		fmt.Printf("BENCH import_100k_peak_mb %s MB\n", res["peak_mb"])
	}
}

// writeBenchWorkbook writes n customers the way Excel saves them: shared
// strings, numbers as numbers, every column filled, Chinese text.
func writeBenchWorkbook(path, prefix string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rows := make([][]any, 0, n+1)
	rows = append(rows, []any{"客户编码", "客户名称", "税号", "地址", "联系人", "电话", "付款条件", "最低折扣", "信用额度", "客户等级", "销售负责人"})
	cities := []string{"苏州", "无锡", "宁波", "杭州", "常州", "南通", "嘉兴", "绍兴"}
	trades := []string{"精密零件", "汽车零部件", "纺织机械", "液压设备", "电气自动化", "模具", "五金制品"}
	for i := range n {
		city, trade := cities[i%len(cities)], trades[i%len(trades)]
		rows = append(rows, []any{
			fmt.Sprintf("%s%06d", prefix, i),
			fmt.Sprintf("%s%s%s有限公司（%d）", city, []string{"华东", "新达", "恒信", "博远"}[i%4], trade, i),
			uscc(i),
			fmt.Sprintf("%s市工业园区星湖街 %d 号 %d 幢", city, i%900+1, i%37+1),
			[]string{"张伟", "王芳", "李娜", "刘洋", "陈静"}[i%5],
			fmt.Sprintf("0512-%08d", 60000000+i),
			[]string{"NT30", "NT60", "0001"}[i%3],
			[]float64{0.85, 0.9, 0.8, 0.95}[i%4],
			float64(100000 + (i%50)*10000),
			[]string{"A", "B", "C"}[i%3],
			[]string{"wang", "liu"}[i%2],
		})
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := workbooktest.WriteXLSX(w, workbooktest.Sheet{Name: "客户", Rows: rows}); err != nil {
		return err
	}
	return w.Flush()
}

// uscc makes the i-th valid unified social credit code.
func uscc(i int) string {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	body := fmt.Sprintf("913205%011d", 10_000_000+i)
	sum := 0
	for j := range 17 {
		sum += strings.IndexByte(chars, body[j]) * weights[j]
	}
	return body + string(chars[(31-sum%31)%31])
}

// runChild runs TestBenchChild in a new process and returns what it reported.
// TestBenchChild is the measured side of BenchmarkImport100k; it does nothing
// in a normal test run.
func TestBenchChild(t *testing.T) {
	if os.Getenv("L2C_BENCH_CHILD") != "import" {
		t.Skip("run by BenchmarkImport100k")
	}
	ctx := context.Background()
	start := time.Now()
	data, err := os.ReadFile(os.Getenv("L2C_BENCH_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	db, _ := testenv.ChildDatabase(t)
	var logTo io.Writer = io.Discard
	if os.Getenv("L2C_BENCH_LOG") != "" {
		logTo = os.Stderr
	}
	im := customerimport.New(db, slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug})), time.UTC)
	rep, err := im.Run(ctx, customerimport.Request{FileName: "customers-100k.xlsx", Data: data, Actor: zhao})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	testenv.Report(t, "status=%s inserted=%d seconds=%.2f result_bytes=%d", rep.Status, rep.Rows.Inserted,
		took.Seconds(), len(rep.Result))
}
