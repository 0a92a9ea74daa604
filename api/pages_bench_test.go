package api_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkPages measures the server time of the pages people open most,
// through the real router, sessions and predicates, on benchSeed's data
// (100,000 deals, 1,000,000 history rows, 100,000 open steps among
// 1,000,000): a deal's page, the inbox, the stuck board and its chart, the
// deal list and My work,
// each 240 times by people of several roles, as p50 and p99.
func BenchmarkPages(b *testing.B) {
	get := benchPageGetter(b, benchStack(b), "bench-session")

	const n = 240
	rng := rand.New(rand.NewPCG(3, 4))
	// A rep (br<k>), their manager (bu<k>) and an admin take turns; rep and
	// manager open the rep's deals (BD-<k + 1000 m>), the admin any deal.
	measure := func(name string, req func(i int) (path, user string)) {
		var ds []time.Duration
		for i := range n {
			ds = append(ds, get(req(i)))
		}
		b.Logf("%s: p50 %.1f ms, p99 %.1f ms over %d requests", name, ms(pct(ds, 50)), ms(pct(ds, 99)), len(ds))
		fmt.Printf("BENCH %s_p99_ms %.1f ms\n", name, ms(pct(ds, 99)))
	}
	// The baseline of this run on this machine: a bare round trip to the
	// same server (/healthz), to read the figures below against.
	measure("page_bare", func(int) (string, string) { return "/healthz", "admin" })
	measure("page_deal", func(i int) (string, string) {
		k := rng.IntN(1000)
		return fmt.Sprintf("/deals/BD-%06d", k+1000*rng.IntN(100)), benchPerson(i, k)
	})
	// The inbox of managers (each holds about 100 open steps, 200 a page at
	// most), and of a rep and an admin, who hold none.
	measure("page_inbox", func(i int) (string, string) {
		if i%6 == 5 {
			return "/inbox", benchPerson(i/6, rng.IntN(1000))
		}
		return "/inbox", fmt.Sprintf("bu%d", rng.IntN(1000))
	})
	// The stuck board is for overseers: managers, finance, admins.
	filters := []string{"", "?kind=contract_review", "?team=team10", "?holder=bu42", "?owner=br10", "?min_age_hours=100"}
	measure("page_stuck", func(i int) (string, string) {
		user := []string{fmt.Sprintf("bu%d", rng.IntN(1000)), "sun", "admin"}[i%3]
		return "/approvals/stuck" + filters[i%len(filters)], user
	})
	// Its chart, a picture of its own: average and P90 per stage of the
	// cases each may see.
	measure("page_stuck_chart", func(i int) (string, string) {
		user := []string{fmt.Sprintf("bu%d", rng.IntN(1000)), "sun", "admin"}[i%3]
		return "/approvals/stuck/chart.svg" + []string{"", "?kind=contract_review"}[i%2], user
	})
	// The customer filter names one the viewer may see by its code (BC<k> is
	// br<k>'s): a part of a code several customers hold is refused as
	// ambiguous, which is not what this measures.
	dealFilters := []string{"", "?stage=contract_review", "?stage=order", "?after=BD-050000", "?customer=BC%d"}
	measure("page_deals", func(i int) (string, string) {
		k := rng.IntN(1000)
		filter := dealFilters[i%len(dealFilters)]
		if strings.Contains(filter, "%d") {
			filter = fmt.Sprintf(filter, k)
		}
		return "/deals" + filter, benchPerson(i, k)
	})
	measure("page_work", func(i int) (string, string) {
		return "/", benchPerson(i, rng.IntN(1000))
	})
}

// BenchmarkPagesDealFilters measures /deals with the filters the review
// added (holder by name, days in the stage, customer by a part of its name)
// against the unfiltered list in the same run, on benchSeed's data (100,000
// deals, 100,000 open steps), 120 requests each across a rep, a manager and
// an admin: p50 and p99 server time.
func BenchmarkPagesDealFilters(b *testing.B) {
	get := benchPageGetter(b, benchStack(b), "bench-filters")
	rng := rand.New(rand.NewPCG(5, 6))
	measure := func(name string, path func(k int) string) {
		var ds []time.Duration
		for i := range 120 {
			k := rng.IntN(1000)
			ds = append(ds, get(path(k), benchPerson(i, k)))
		}
		b.Logf("%s: p50 %.1f ms, p99 %.1f ms", name, ms(pct(ds, 50)), ms(pct(ds, 99)))
		fmt.Printf("BENCH %s_p50_ms %.1f ms\nBENCH %s_p99_ms %.1f ms\n", name, ms(pct(ds, 50)), name, ms(pct(ds, 99)))
	}
	measure("page_deals_unfiltered", func(int) string { return "/deals" })
	measure("page_deals_holder", func(k int) string { return fmt.Sprintf("/deals?holder=Bench%%20%d", k) })
	measure("page_deals_in_stage_30d", func(int) string { return "/deals?min_stage_days=30" })
	measure("page_deals_customer_name", func(k int) string { return fmt.Sprintf("/deals?customer=Bench%%20customer%%20%d", k) })
}

// benchPageGetter returns a GET of a page as a user through the router,
// with a session of theirs (made on first use under prefix-<user>-<time>, as
// a browser holds after logging in) and Accept-Language zh-CN; it requires
// 200 and returns the server time.
func benchPageGetter(b *testing.B, s *stack, prefix string) func(path, user string) time.Duration {
	ctx := context.Background()
	sessions := map[string]string{}
	return func(path, user string) time.Duration {
		c, ok := sessions[user]
		if !ok {
			c = fmt.Sprintf("%s-%s-%d", prefix, user, time.Now().UnixNano())
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
}

// benchPerson is who opens request i of the rep br<k>'s pages: the rep, their
// manager bu<k> and an admin take turns.
func benchPerson(i, k int) string {
	return []string{fmt.Sprintf("br%d", k), fmt.Sprintf("bu%d", k), "admin"}[i%3]
}
