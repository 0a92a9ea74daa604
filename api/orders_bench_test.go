package api_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkOrderToERP measures, over 100 deals placing stock orders one after
// another, the time from place_order to the ERP's order number stored on the
// deal: from the place_order entry's time to the erp_order_created entry's
// (workflow time, stamped as each transition is applied), with the
// simulator answering at once.
func BenchmarkOrderToERP(b *testing.B) {
	s := setup(b)
	const n = 100
	code := s.dealERPCustomer("Bench Orders Co")
	ids := s.dealsAtOrder(code, n) // in the order stage, owners named
	b.ResetTimer()
	for _, id := range ids {
		s.act(id, "wang", 200, stockOrder())
	}
	var took []time.Duration
	for _, id := range ids {
		s.waitOrder(id, erpStatusIs("created"))
		var placed, created time.Time
		for _, h := range s.get(id)["history"].([]any) {
			e := h.(map[string]any)
			at, err := time.Parse(time.RFC3339Nano, e["at"].(string))
			require.NoError(b, err)
			switch e["action"] {
			case "place_order":
				placed = at
			case "erp_order_created":
				created = at
			}
		}
		took = append(took, created.Sub(placed))
	}
	slices.Sort(took)
	b.Logf("order to ERP over %d deals: p50 %s, p90 %s, max %s", n, took[n/2], took[n*9/10], took[n-1])
	fmt.Printf("BENCH order_to_erp_p50_ms %.1f ms\n", float64(took[n/2].Microseconds())/1000)
}
