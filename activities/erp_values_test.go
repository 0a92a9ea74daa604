package activities_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/exchange"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

const erpFullWidthName = "瑞丰贸易（上海）有限公司"

// What the ERP holds is stored as the ERP wrote it, full-width punctuation
// included, and a re-sync does not "change" it.
func TestERPFullWidthNameFromTheERPIsKept(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{Customers: 5, Seed: 41})
	created, err := e.conn.CreateCustomer(ctx, connectors.Idempotency{Key: "fw-1", FirstSent: time.Now()},
		connectors.NewCustomer{Name: erpFullWidthName, Street: "张江路８８号（二期）", City: "上海", Currency: "CNY"})
	require.NoError(t, err)
	require.Equal(t, erpFullWidthName, created.Name)
	_, err = e.raw.Exec(ctx, `DELETE FROM customers WHERE code = $1`, created.Code)
	require.NoError(t, err)

	st := e.sync("customers", "fullwidth", workflows.SyncInput{})
	require.Equal(t, "succeeded", st.Status, st.Error)
	var name, addr string
	require.NoError(t, e.raw.QueryRow(ctx, `SELECT name, address FROM customers WHERE code = $1`, created.Code).Scan(&name, &addr))
	require.Equal(t, erpFullWidthName, name)
	require.Contains(t, addr, "张江路８８号（二期）")
	e.requireInStep("customers")

	st = e.sync("customers", "fullwidth-again", workflows.SyncInput{})
	require.Zero(t, st.Counts.Updated+st.Counts.Inserted)
}

func TestERPFullWidthNameFromTheExchangeFolderIsKept(t *testing.T) {
	ctx := context.Background()
	e := setup(t, erpsim.Options{})
	dir := t.TempDir()
	x, err := exchange.New(exchange.Config{Dir: dir, Log: testenv.Quiet})
	require.NoError(t, err)
	e.erp.Conn = x
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inbox", "customers_fw.csv"),
		[]byte("客户编码,客户名称,地址,付款条件\nFWX1,"+erpFullWidthName+",上海市（浦东）,NT30\n"), 0o644))
	st := e.sync("customers", "exchange-fw", workflows.SyncInput{})
	require.Equal(t, "succeeded", st.Status, st.Error)
	var name, addr string
	require.NoError(t, e.raw.QueryRow(ctx, `SELECT name, address FROM customers WHERE code = 'FWX1'`).Scan(&name, &addr))
	require.Equal(t, erpFullWidthName, name)
	require.Equal(t, "上海市（浦东）", addr)
}
