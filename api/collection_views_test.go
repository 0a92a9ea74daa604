package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// ageingKnown loads the known receivables (testenv.AgeingKnownData) and
// gives their rep agerep a token.
func ageingKnown(t *testing.T, s *stack) {
	t.Helper()
	testenv.AgeingKnownData(t, s.db)
	require.NoError(t, s.db.UserUpsert(context.Background(), identity.User{ID: "agerep", Name: "Age Rep", Team: "north",
		Roles: []identity.Role{identity.RoleSales}}, "", "tok-agerep"))
	// Finance reads the hourly summaries: rebuilt now, as the tick would.
	day, err := calendar.ParseDate(today())
	require.NoError(t, err)
	require.NoError(t, s.db.CollectionSummariesRefresh(context.Background(), day))
}

// xlsxRows is the rows of a sheet of a workbook answered as raw.
func xlsxRows(t *testing.T, raw, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader([]byte(raw)))
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	return rows
}

// TestCollectionAgeingEveryFormKnownData: the ageing of the known data set
// as of 30 June 2026 is the same figures as JSON, as a page and as a
// workbook, for the rep who owns the customers and for finance narrowed to
// them; finance sees the invoice of a customer l2c does not know.
func TestCollectionAgeingEveryFormKnownData(t *testing.T) {
	s := setup(t)
	ageingKnown(t, s)
	const asOf = "as_of=2026-06-30"

	r := s.do("GET", "/api/v1/collection/ageing?"+asOf, "tok-agerep", "")
	require.Equal(t, 200, r.status, r.raw)
	rows := r.body["rows"].([]any)
	require.Len(t, rows, 2, r.raw)
	one := rows[0].(map[string]any)
	require.Equal(t, "AG1", one["key"])
	require.Equal(t, "Ageing One", one["name"])
	require.Equal(t, map[string]any{"current": "900.00", "1_30": "300.00", "31_60": "0.00", "61_90": "0.00", "90_plus": "0.00"}, one["buckets"])
	require.Equal(t, map[string]any{"current": "0.00", "1_30": "0.00", "31_60": "2000.00", "61_90": "0.00", "90_plus": "700.00"},
		rows[1].(map[string]any)["buckets"])
	total := r.body["totals"].([]any)[0].(map[string]any)
	require.Equal(t, "3900.00", total["total"])
	require.Equal(t, float64(5), total["items"])

	r = s.do("GET", "/api/v1/collection/ageing?by=owner&owner=agerep&"+asOf, "tok-sun", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Len(t, r.body["rows"], 1, r.raw)
	require.Equal(t, map[string]any{"current": "900.00", "1_30": "300.00", "31_60": "2000.00", "61_90": "0.00", "90_plus": "700.00"},
		r.body["rows"].([]any)[0].(map[string]any)["buckets"])
	r = s.do("GET", "/api/v1/collection/ageing?customer=AG3&"+asOf, "tok-sun", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "400.00", r.body["rows"].([]any)[0].(map[string]any)["buckets"].(map[string]any)["1_30"], "no deal, no customer in l2c: counted")

	// The page: money as ¥, the customer's name linking to its page.
	b := pagesSession(t, s, "agerep")
	b.cookies["__Host-l2c_lang"] = "en"
	p := b.do("GET", "/collection/ageing?"+asOf, "", "")
	require.Equal(t, 200, p.status, p.body)
	require.Contains(t, p.body, `<a href="/customers/AG1">Ageing One</a>`)
	require.Contains(t, p.body, "¥900.00")
	require.Contains(t, p.body, "¥3,900.00")
	require.Contains(t, p.body, `href="/collection/export/collection-ageing?as_of=2026-06-30&amp;lang=en"`)
	p = b.do("GET", "/collection/export/collection-ageing?as_of=2026-06-30&lang=en", "", "")
	require.Equal(t, 200, p.status, p.body)
	require.Equal(t, [][]string{
		{"Customer code", "Customer", "Currency", "Not yet due", "1–30 days", "31–60 days", "61–90 days", "Over 90 days", "Total open", "Items"},
		{"AG1", "Ageing One", "CNY", "900.00", "300.00", "0.00", "0.00", "0.00", "1,200.00", "3"},
		{"AG2", "Ageing Two", "CNY", "0.00", "0.00", "2,000.00", "0.00", "700.00", "2,700.00", "2"},
	}, xlsxRows(t, p.body, "By customer"))
	require.Equal(t, []string{"Age Rep", "CNY", "900.00", "300.00", "2,000.00", "0.00", "700.00", "3,900.00", "5"},
		xlsxRows(t, p.body, "By owner")[1])
	items := xlsxRows(t, p.body, "Open items")
	require.Len(t, items, 6)
	require.Equal(t, []string{"AG1", "Ageing One", "", "AG-A2", "2026-01-05", "2026-06-15", "CNY", "500.00", "300.00", "15", "1–30 days", "Age Rep", "north"}, items[1])
	// The API's export is the same workbook.
	r = s.do("GET", "/api/v1/reports/collection-ageing?as_of=2026-06-30&lang=en&by=office", "tok-agerep", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, []string{"north", "CNY", "900.00", "300.00", "2,000.00", "0.00", "700.00", "3,900.00", "5"}, xlsxRows(t, r.raw, "By office")[1])
	r = s.do("GET", "/api/v1/reports/collection-ageing?by=region", "tok-agerep", "")
	require.Equal(t, 400, r.status, r.raw)
	require.Contains(t, r.raw, `"field":"by"`)
}

// echoed is a filter's value as a page repeats it.
var echoed = regexp.MustCompile(`(?i)(value="|(customer|owner|office)(=|%3d))(AG1|agerep|north)`)

// TestCollectionRepCannotSeeAnotherRepsReceivables: wang asks for agerep's
// customers in every form and by every filter, and gets nothing of them.
func TestCollectionRepCannotSeeAnotherRepsReceivables(t *testing.T) {
	s := setup(t)
	ageingKnown(t, s)
	secrets := []string{"AG1", "AG2", "Ageing One", "Ageing Two", "2000.00", "2,000.00", "AG-B1", "agerep"}
	leaks := func(where, body string) {
		t.Helper()
		for _, x := range secrets {
			require.NotContains(t, body, x, "%s shows wang %s", where, x)
		}
	}
	for _, q := range []string{"", "?customer=AG1", "?owner=agerep&by=owner", "?office=north&by=office", "?after=AG0"} {
		r := s.do("GET", "/api/v1/collection/ageing"+q, "tok-wang", "")
		require.Equal(t, 200, r.status, r.raw)
		for _, row := range r.body["rows"].([]any) {
			require.NotContains(t, []string{"AG1", "AG2", "agerep", "north"}, row.(map[string]any)["key"], q)
		}
	}
	r := s.do("GET", "/api/v1/collection/ageing?customer=AG1", "tok-wang", "")
	require.Empty(t, r.body["rows"])
	require.Empty(t, r.body["totals"], "not even a total")
	for _, path := range []string{"/api/v1/collection/deliveries?owner=agerep", "/api/v1/collection/big-deals?owner=agerep",
		"/api/v1/collection/forecast"} {
		r := s.do("GET", path, "tok-wang", "")
		require.Equal(t, 200, r.status, r.raw)
		leaks(path, r.raw)
	}
	r = s.do("GET", "/api/v1/collection/dunning-queue", "tok-wang", "")
	require.Equal(t, http.StatusForbidden, r.status, r.raw)

	b := pagesSession(t, s, "wang")
	for _, path := range []string{"/collection/ageing?customer=AG1", "/collection/ageing?by=owner&owner=agerep",
		"/collection/ageing?by=office&office=north", "/collection/deliveries?owner=agerep", "/collection/big-deals?customer=AG1"} {
		p := b.do("GET", path, "", "")
		require.Equal(t, 200, p.status, path)
		// The filter's own value is echoed in its field and in the page's
		// links; nothing else may name them.
		leaks(path, echoed.ReplaceAllString(p.body, ""))
	}
	p := b.do("GET", "/collection/dunning", "", "")
	require.Equal(t, http.StatusForbidden, p.status)
	for _, path := range []string{"/collection/export/collection-ageing?customer=AG1&lang=en",
		"/collection/export/collection-ageing?owner=agerep&lang=en"} {
		p := b.do("GET", path, "", "")
		require.Equal(t, 200, p.status, path)
		for _, sheet := range []string{"By customer", "By owner", "By office", "Open items"} {
			require.Len(t, xlsxRows(t, p.body, sheet), 1, "%s %s: the header only", path, sheet)
		}
	}
	p = b.do("GET", "/collection/export/pipeline", "", "")
	require.Equal(t, http.StatusNotFound, p.status, "only the collection reports go through the pages' export")
}

// TestCollectionDeliveriesAndBigDealsEveryForm: a contract of 100,000.00
// signed today is a big deal (the default threshold) and its order due in
// three days a delivery due, in the JSON and in the workbook (exact cells),
// narrowed to its customer; a higher threshold leaves it out.
func TestCollectionDeliveriesAndBigDealsEveryForm(t *testing.T) {
	s := setup(t)
	id := s.collectionDeal("Export Views")
	s.act(id, "wang", 200, `{"action":"place_order","kind":"stock","delivery_due":"`+future(3)+`"}`)
	code := s.get(id)["customer"].(map[string]any)["code"].(string)

	r := s.do("GET", "/api/v1/collection/deliveries?customer="+url.QueryEscape(code), "tok-sun", "")
	require.Equal(t, 200, r.status, r.raw)
	dl := r.body["deliveries"].([]any)
	require.Len(t, dl, 1, r.raw)
	require.Equal(t, id, dl[0].(map[string]any)["deal_id"])
	require.Equal(t, future(3), dl[0].(map[string]any)["delivery_due"])
	require.Equal(t, false, dl[0].(map[string]any)["late"])
	r = s.do("GET", "/api/v1/reports/deliveries-due?lang=en&customer="+url.QueryEscape(code), "tok-sun", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, [][]string{
		{"Deal", "Title", "Customer code", "Customer", "Stage", "Delivery due", "Days late", "Shipments", "Delivery owner", "Sales owner", "Office"},
		{id, "Export Views", code, "Export Views Co", "Delivery", future(3), "0", "0", "Zhou", "Wang"}, // wang has no office
	}, xlsxRows(t, r.raw, "Deliveries"))

	r = s.do("GET", "/api/v1/collection/big-deals?customer="+url.QueryEscape(code), "tok-sun", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "100000.00", r.body["amount"])
	big := r.body["deals"].([]any)
	require.Len(t, big, 1, r.raw)
	require.Equal(t, "100000.00", big[0].(map[string]any)["amount"])
	r = s.do("GET", "/api/v1/reports/big-deals?lang=en&customer="+url.QueryEscape(code), "tok-sun", "")
	require.Equal(t, 200, r.status, r.raw)
	rows := xlsxRows(t, r.raw, "Big deals")
	require.Len(t, rows, 2)
	require.Equal(t, []string{id, "Export Views", code, "Export Views Co", "CNY", "100,000.00"}, rows[1][:6])
	require.Equal(t, []string{"Wang"}, rows[1][7:])
	r = s.do("GET", "/api/v1/collection/big-deals?amount=100000.01&customer="+url.QueryEscape(code), "tok-sun", "")
	require.Empty(t, r.body["deals"])
	r = s.do("GET", "/api/v1/collection/big-deals?amount=-1", "tok-sun", "")
	require.Equal(t, 400, r.status)
	require.Contains(t, r.raw, `"field":"amount"`)

	// The forecast: the advance of 30,000.00 due in ten days, by week.
	r = s.do("GET", "/api/v1/reports/collection-forecast?lang=en&weeks=104", "tok-wang", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, []string{"Week of", "Currency", "Expected", "Instalments"}, xlsxRows(t, r.raw, "Forecast")[0])
	r = s.do("GET", "/api/v1/reports/collection-forecast?weeks=0", "tok-wang", "")
	require.Equal(t, 400, r.status, r.raw)
}
