package erpsim_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/connectors/connectorstest"
	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/sap"
)

// erpStart is start with the server's URL too, for raw requests.
func erpStart(t *testing.T, o erpsim.Options) (*erpsim.Sim, *sap.Client, string) {
	t.Helper()
	o.Log = quiet
	sim := erpsim.New(o)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	c, err := sap.New(sap.Config{BaseURL: srv.URL, Username: "L2C_COMM", Password: "sim-secret",
		MinDiscountField: erpsim.DefaultMinDiscountField, CreditLimitField: erpsim.DefaultCreditLimitField,
		MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, Log: quiet})
	require.NoError(t, err)
	return sim, c, srv.URL
}

func erpGet(t *testing.T, base, path string, q url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path+"?"+q.Encode(), nil)
	require.NoError(t, err)
	req.SetBasicAuth("L2C_COMM", "sim-secret")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// The strict server refuses Edm.Time literals the way the independent
// implementation did (500), and the connector still reads deltas from it,
// finding out once.
func TestERPStrictServerRefusesTimeLiteralsAndDeltasStillWork(t *testing.T) {
	epoch := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	now := epoch.Add(time.Hour)
	sim, c, base := erpStart(t, erpsim.Options{Customers: 2000, Seed: 7, Epoch: epoch, Strict: true,
		Now: func() time.Time { return now }})

	status, body := erpGet(t, base, sap.ServiceBusinessPartner+"/A_BusinessPartner",
		url.Values{"$filter": {sap.ChangedFilter(epoch, time.UTC)}, "$format": {"json"}})
	require.Equal(t, http.StatusInternalServerError, status, body)
	require.Contains(t, body, "time")

	all, bad, _ := connectorstest.ReadAll(t, c.CustomersChanged, time.Time{})
	require.Empty(t, bad)
	require.Len(t, all, 2003)

	changed := sim.ChangeCustomers(25, 3)
	rows, bad, _ := connectorstest.ReadAll(t, c.CustomersChanged, epoch.Add(30*time.Minute))
	require.Empty(t, bad)
	got := map[string]bool{}
	for _, r := range rows {
		got[r.Code] = true
	}
	for _, code := range changed {
		require.True(t, got[code], "changed customer %s not in the delta", code)
	}
	// Date-granular: the rest of the day is read again, not the table.
	require.Less(t, len(rows), 100)

	// Found out once: the next delta asks the server once per page.
	before := sim.Requests()
	_, _, pages := connectorstest.ReadAll(t, c.CustomersChanged, epoch.Add(30*time.Minute))
	require.Equal(t, int64(pages), sim.Requests()-before)
}

// The date-granular filter is what any OData v2 server takes: no Edm.Time.
func TestERPDateFilterHasNoTimeLiteral(t *testing.T) {
	f := sap.ChangedDayFilter(time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC), time.FixedZone("CST", 8*3600))
	require.Equal(t, "LastChangeDate ge datetime'2026-11-02T00:00:00' or "+
		"(LastChangeDate eq null and CreationDate ge datetime'2026-11-02T00:00:00')", f)
	_ = context.Background()
}

// erpClient is a connector to base with a client page of pageSize.
func erpClient(t *testing.T, base string, pageSize int) *sap.Client {
	t.Helper()
	c, err := sap.New(sap.Config{BaseURL: base, Username: "L2C_COMM", Password: "sim-secret", PageSize: pageSize,
		MinDiscountField: erpsim.DefaultMinDiscountField, CreditLimitField: erpsim.DefaultCreditLimitField,
		MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, Log: quiet})
	require.NoError(t, err)
	return c
}

// requireReadOnce checks that want customers were read, each once.
func requireReadOnce(t *testing.T, seen map[string]int, want int) {
	t.Helper()
	require.Len(t, seen, want)
	for code, n := range seen {
		require.Equal(t, 1, n, "customer %s read %d times", code, n)
	}
}

// erpReadPages reads every page and returns their sizes and the codes read.
func erpReadPages(t *testing.T, c *sap.Client, since time.Time) ([]int, map[string]int) {
	t.Helper()
	var sizes []int
	seen := map[string]int{}
	cursor := ""
	for {
		p, err := c.CustomersChanged(context.Background(), since, cursor)
		require.NoError(t, err)
		sizes = append(sizes, len(p.Rows)+len(p.Rejected))
		for _, r := range p.Rows {
			seen[r.Code]++
		}
		if p.Next == "" {
			return sizes, seen
		}
		require.Less(t, len(sizes), 100, "paging does not end")
		cursor = p.Next
	}
}

// A server without server-driven paging would hand out the whole entity set
// in one answer; the connector asks for client pages ($top) in key order and
// continues after the last key, reading every row once.
func TestERPServerWithoutPagingIsReadInBoundedPages(t *testing.T) {
	epoch := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	now := epoch.Add(time.Hour)
	sim, _, base := erpStart(t, erpsim.Options{Customers: 2500, Seed: 8, Epoch: epoch, NoPaging: true,
		Now: func() time.Time { return now }})
	c := erpClient(t, base, 400)
	sizes, seen := erpReadPages(t, c, time.Time{})
	requireReadOnce(t, seen, 2503)
	for _, n := range sizes {
		require.LessOrEqual(t, n, 400, "one answer held %d rows (pages %v)", n, sizes)
	}
	require.Len(t, sizes, 7)

	// A delta pages the same way, within its change filter.
	changed := sim.ChangeCustomers(900, 1)
	sizes, seen = erpReadPages(t, c, epoch.Add(30*time.Minute))
	for _, code := range changed {
		require.Equal(t, 1, seen[code], "changed customer %s", code)
	}
	for _, n := range sizes {
		require.LessOrEqual(t, n, 400)
	}
}

// A server whose own pages are smaller than $top: its __next is followed,
// and after a full client page the read goes on after the last key.
func TestERPServerPagesSmallerThanClientPages(t *testing.T) {
	_, _, base := erpStart(t, erpsim.Options{Customers: 2500, Seed: 9, PageSize: 300})
	c := erpClient(t, base, 1000)
	sizes, seen := erpReadPages(t, c, time.Time{})
	requireReadOnce(t, seen, 2503)
	for _, n := range sizes {
		require.LessOrEqual(t, n, 300)
	}
}
