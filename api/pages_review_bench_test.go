package api_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkPagesDealFilters measures /deals with the filters the review
// added (holder by name, days in the stage, customer by a part of its name)
// against the unfiltered list in the same run, on benchSeed's data (100,000
// deals, 100,000 open steps), 120 requests each across a rep, a manager and
// an admin: p50 and p99 server time.
func BenchmarkPagesDealFilters(b *testing.B) {
	s := benchStack(b)
	ctx := context.Background()
	sessions := map[string]string{}
	get := func(path, user string) time.Duration {
		c, ok := sessions[user]
		if !ok {
			c = fmt.Sprintf("bench-filters-%s-%d", user, time.Now().UnixNano())
			_, err := s.db.SessionCreate(ctx, user, c, "password", "", "", time.Now(), time.Now().Add(24*time.Hour))
			require.NoError(b, err)
			sessions[user] = c
		}
		req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
		require.NoError(b, err)
		req.AddCookie(&http.Cookie{Name: "__Host-l2c_session", Value: c})
		req.Header.Set("Accept-Language", "zh-CN")
		t0 := time.Now()
		res, err := noRedirects.Do(req)
		require.NoError(b, err)
		body, err := io.ReadAll(res.Body)
		took := time.Since(t0)
		require.NoError(b, err)
		require.NoError(b, res.Body.Close())
		require.Equal(b, http.StatusOK, res.StatusCode, "%s as %s: %.300s", path, user, body)
		return took
	}
	rng := rand.New(rand.NewPCG(5, 6))
	person := func(i, k int) string {
		return []string{fmt.Sprintf("br%d", k), fmt.Sprintf("bu%d", k), "admin"}[i%3]
	}
	measure := func(name string, path func(k int) string) {
		var ds []time.Duration
		for i := range 120 {
			k := rng.IntN(1000)
			ds = append(ds, get(path(k), person(i, k)))
		}
		b.Logf("%s: p50 %.1f ms, p99 %.1f ms", name, ms(pct(ds, 50)), ms(pct(ds, 99)))
		fmt.Printf("BENCH %s_p50_ms %.1f ms\nBENCH %s_p99_ms %.1f ms\n", name, ms(pct(ds, 50)), name, ms(pct(ds, 99)))
	}
	measure("page_deals_unfiltered", func(int) string { return "/deals" })
	measure("page_deals_holder", func(k int) string { return fmt.Sprintf("/deals?holder=Bench%%20%d", k) })
	measure("page_deals_in_stage_30d", func(int) string { return "/deals?min_stage_days=30" })
	measure("page_deals_customer_name", func(k int) string { return fmt.Sprintf("/deals?customer=Bench%%20customer%%20%d", k) })
}
