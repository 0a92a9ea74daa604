package activities_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/kingdee/kingdeesim"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// BenchmarkERPSyncKingdee is a full customer sync of 500,000 customers from
// the Kingdee simulator (pages of 2,000, Kingdee's cap) through the real
// workflow, activities, connector and PostgreSQL:
//
//	kingdee_sync_rows_per_s  full customer sync throughput
func BenchmarkERPSyncKingdee(b *testing.B) {
	n := testenv.BenchRows(500_000)
	for range b.N {
		e := setup(b, erpsim.Options{})
		e.erp.ChunkBudget = 10 * time.Minute
		ksim := kingdeesim.New(kingdeesim.Options{Customers: n, Seed: 97, Log: testenv.Quiet})
		srv := httptest.NewServer(ksim.Handler())
		e.erp.Conn = erpKingdeeConnTB(b, srv.URL, 0)
		settle(e)
		began := time.Now()
		st := e.sync("customers", "bench-kingdee", workflows.SyncInput{HeartbeatTimeout: time.Minute})
		secs := time.Since(began).Seconds()
		require.Equal(b, "succeeded", st.Status, st.Error)
		require.Equal(b, int64(n), st.Counts.Inserted)
		fmt.Printf("BENCH kingdee_sync_rows_per_s %.0f rows/s\n", float64(n)/secs)
		srv.Close()
	}
}
