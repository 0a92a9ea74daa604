package sap

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/connectors"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func client(t *testing.T, url string, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: url, Username: "U", Password: "P", MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		MinDiscountField: "YY1_MinDiscount_csa", Log: quiet}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

func TestODataValues(t *testing.T) {
	d, err := ParseDate("/Date(1762041600000)/")
	require.NoError(t, err)
	require.Equal(t, time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC), d)
	d, err = ParseDate("/Date(1762041600000+0480)/")
	require.NoError(t, err)
	require.Equal(t, time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC), d)
	d, err = ParseDate("/Date(-86400000)/")
	require.NoError(t, err)
	require.Equal(t, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), d)
	for _, bad := range []string{"", "2025-11-02", "/Date()/", "/Date(abc)/", "/Date(1+x)/"} {
		_, err := ParseDate(bad)
		require.Error(t, err, bad)
	}
	require.Equal(t, "/Date(1762041600000)/", FormatDate(time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC)))

	tod, err := ParseTime("PT14H05M09S")
	require.NoError(t, err)
	require.Equal(t, 14*time.Hour+5*time.Minute+9*time.Second, tod)
	require.Equal(t, "PT14H05M09S", FormatTime(tod))
	_, err = ParseTime("PT25H")
	require.Error(t, err)

	for in, want := range map[string]int64{"1234.500": 123450, "0.01": 1, "-7": -700, "12.3": 1230, "+5.00": 500} {
		got, err := ParseDecimal(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "1,5", "0.001", "1e3", "abc", "1.2.3"} {
		_, err := ParseDecimal(bad)
		require.Error(t, err, bad)
	}
	require.Equal(t, "-1.05", FormatDecimal(-105))

	loc := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC) // 09:30 in Shanghai
	day, tod := SplitStamp(at, loc)
	require.Equal(t, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), day)
	require.Equal(t, 9*time.Hour+30*time.Minute, tod)
	require.Equal(t, at, JoinStamp(day, tod, loc))
	require.Equal(t, "(LastChangeDate gt datetime'2026-11-02T00:00:00' or (LastChangeDate eq datetime'2026-11-02T00:00:00' and "+
		"LastChangeTime ge time'PT09H30M00S')) or (LastChangeDate eq null and (CreationDate gt datetime'2026-11-02T00:00:00' or "+
		"(CreationDate eq datetime'2026-11-02T00:00:00' and CreationTime ge time'PT09H30M00S')))", ChangedFilter(at, loc))
	require.Equal(t, "'O''Brien'", StringLit("O'Brien"))
}

func bp(n int, changed string) string {
	return fmt.Sprintf(`{"__metadata":{"uri":"x"},"BusinessPartner":"%d","Customer":"%d","OrganizationBPName1":"Firm %d",
		"BusinessPartnerIsBlocked":false,"CreationDate":"/Date(1700000000000)/","CreationTime":"PT01H00M00S",
		"LastChangeDate":%s,"LastChangeTime":"PT10H00M00S",
		"to_Customer":{"Customer":"%d","to_CustomerSalesArea":{"results":[{"__metadata":{"etag":"W/\"v%d\""},
		"SalesOrganization":"1010","DistributionChannel":"10","Division":"00","CustomerPaymentTerms":"NT30","Currency":"CNY",
		"YY1_MinDiscount_csa":"85.00"}]}}}`, n, n, n, changed, n, n)
}

func TestServerDrivenPaging(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		require.Equal(t, "/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_BusinessPartner", r.URL.Path)
		u, p, _ := r.BasicAuth()
		require.Equal(t, "U/P", u+"/"+p)
		next := ""
		var rows []string
		switch r.URL.Query().Get("$skiptoken") {
		case "":
			require.Contains(t, r.URL.Query().Get("$filter"), "LastChangeDate gt datetime'2026-11-02T00:00:00'")
			require.NotContains(t, r.URL.RawQuery, "+", "spaces must be %20 for SAP")
			rows = []string{bp(1, `"/Date(1762041600000)/"`), bp(2, "null")}
			next = srv.URL + r.URL.Path + "?" + r.URL.RawQuery + "&$skiptoken=2"
		case "2":
			rows = []string{bp(3, `"/Date(1762041600000)/"`)}
		}
		fmt.Fprintf(w, `{"d":{"results":[%s]%s}}`, strings.Join(rows, ","), map[bool]string{true: `,"__next":"` + next + `"`, false: ""}[next != ""])
	}))
	defer srv.Close()
	c := client(t, srv.URL)
	since := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	p1, err := c.CustomersChanged(context.Background(), since, "")
	require.NoError(t, err)
	require.Len(t, p1.Rows, 2)
	require.NotEmpty(t, p1.Next)
	require.Equal(t, time.Date(2025, 11, 2, 10, 0, 0, 0, time.UTC), p1.Rows[0].ChangedAt)
	require.Equal(t, time.Date(2023, 11, 14, 1, 0, 0, 0, time.UTC), p1.Rows[1].ChangedAt, "never changed: creation stamp")
	require.Equal(t, `W/"v1"`, p1.Rows[0].ETag)
	require.Equal(t, int64(8500), *p1.Rows[0].MinDiscountBP)
	p2, err := c.CustomersChanged(context.Background(), since, p1.Next)
	require.NoError(t, err)
	require.Len(t, p2.Rows, 1)
	require.Empty(t, p2.Next)
	require.Len(t, queries, 2)

	// A __next pointing elsewhere is refused: credentials stay with the ERP.
	_, err = c.CustomersChanged(context.Background(), since, "https://evil.example/steal?$skiptoken=1")
	require.ErrorIs(t, err, connectors.ErrInvalid)
}

func TestMalformedRowIsRejectedNotThePage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := strings.Replace(bp(2, "null"), `"BusinessPartnerIsBlocked":false`, `"BusinessPartnerIsBlocked":"X"`, 1)
		noName := strings.Replace(bp(3, "null"), `"Firm 3"`, `""`, 1)
		fmt.Fprintf(w, `{"d":{"results":[%s,%s,%s]}}`, bp(1, "null"), bad, noName)
	}))
	defer srv.Close()
	p, err := client(t, srv.URL).CustomersChanged(context.Background(), time.Time{}, "")
	require.NoError(t, err)
	require.Len(t, p.Rows, 1)
	require.Len(t, p.Rejected, 2)
	require.Equal(t, "2", p.Rejected[0].Key)
	require.Equal(t, "3", p.Rejected[1].Key)
	require.Contains(t, p.Rejected[1].Reason, "no name")
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n := calls.Add(1); {
		case n < 0:
			w.WriteHeader(http.StatusBadGateway)
		case n == 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case n == 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			fmt.Fprint(w, `{"d":{"results":[]}}`)
		}
	}))
	defer srv.Close()
	began := time.Now()
	_, err := client(t, srv.URL).CustomersChanged(context.Background(), time.Time{}, "")
	require.NoError(t, err)
	require.Equal(t, int32(3), calls.Load())
	require.GreaterOrEqual(t, time.Since(began), time.Second, "Retry-After: 1 was honoured")

	// Past MaxRetries the caller gets a typed, retryable error.
	calls.Store(-100)
	_, err = client(t, srv.URL, func(c *Config) { c.MaxRetries = 2 }).CustomersChanged(context.Background(), time.Time{}, "")
	require.ErrorIs(t, err, connectors.ErrUnavailable)
	require.True(t, connectors.Retryable(err))

	require.Equal(t, 3*time.Second, parseRetryAfter("3"))
	require.Greater(t, parseRetryAfter(time.Now().Add(5*time.Second).UTC().Format(http.TimeFormat)), 3*time.Second)
}

func TestStatusesMapToTypedErrors(t *testing.T) {
	for status, want := range map[int]error{400: connectors.ErrInvalid, 401: connectors.ErrInvalid, 404: connectors.ErrNotFound,
		409: connectors.ErrConflict, 412: connectors.ErrConflict, 428: connectors.ErrInvalid, 429: connectors.ErrRateLimited,
		500: connectors.ErrUnavailable, 504: connectors.ErrUnavailable} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(NewErrorBody("CODE/1", "what SAP said"))
		}))
		_, err := client(t, srv.URL, func(c *Config) { c.MaxRetries = 1 }).Customer(context.Background(), "1")
		srv.Close()
		require.ErrorIs(t, err, want, "HTTP %d", status)
		require.Contains(t, err.Error(), "what SAP said")
	}
}

// writeServer requires a CSRF token (and its session cookie) on writes.
type writeServer struct {
	mu        sync.Mutex
	token     string
	fetches   int
	patches   []http.Header
	posts     []http.Header
	failPosts int
}

func (s *writeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodGet {
		if r.Header.Get("X-CSRF-Token") == "Fetch" {
			s.fetches++
			s.token = fmt.Sprintf("tok%d", s.fetches)
			http.SetCookie(w, &http.Cookie{Name: "SAP_SESSIONID", Value: s.token, Path: "/"})
			w.Header().Set("X-CSRF-Token", s.token)
			fmt.Fprint(w, `{"d":{"EntitySets":[]}}`)
			return
		}
		fmt.Fprint(w, `{"d":{"results":[`+bp(1, "null")+`]}}`)
		return
	}
	c, err := r.Cookie("SAP_SESSIONID")
	if err != nil || r.Header.Get("X-CSRF-Token") != s.token || c.Value != s.token {
		w.Header().Set("X-CSRF-Token", "Required")
		w.WriteHeader(http.StatusForbidden)
		return
	}
	switch r.Method {
	case http.MethodPatch:
		s.patches = append(s.patches, r.Header.Clone())
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPost:
		s.posts = append(s.posts, r.Header.Clone())
		if s.failPosts > 0 {
			s.failPosts--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"d":{"SalesOrder":"4711","SoldToParty":"1","PurchaseOrderByCustomer":"HT-1","TotalNetAmount":"10.00"}}`)
	}
}

func TestWritesFetchCSRFAndSendConcurrencyHeaders(t *testing.T) {
	ws := &writeServer{failPosts: 2}
	srv := httptest.NewServer(ws)
	defer srv.Close()
	c := client(t, srv.URL)
	ctx := context.Background()
	nt := "NT60"
	_, err := c.UpdateCustomerTerms(ctx, "1", `W/"v1"`, connectors.Terms{PaymentTerms: &nt})
	require.NoError(t, err)
	require.Equal(t, 1, ws.fetches)
	require.Equal(t, `W/"v1"`, ws.patches[0].Get("If-Match"))

	// The token expires (a new session on the server): fetched again, once.
	ws.mu.Lock()
	ws.token = "rotated"
	ws.mu.Unlock()
	_, err = c.UpdateCustomerTerms(ctx, "1", `W/"v1"`, connectors.Terms{PaymentTerms: &nt})
	require.NoError(t, err)
	require.Equal(t, 2, ws.fetches)

	// No ETag, no update: l2c never writes blind.
	_, err = c.UpdateCustomerTerms(ctx, "1", "", connectors.Terms{PaymentTerms: &nt})
	require.ErrorIs(t, err, connectors.ErrInvalid)

	// A create is retried through 503s with the same repeatability headers.
	first := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	so, err := c.CreateSalesOrder(ctx, connectors.Idempotency{Key: "deal/D-1/order", FirstSent: first},
		connectors.NewSalesOrder{Customer: "1", CustomerRef: "HT-1", Currency: "CNY",
			Items: []connectors.OrderItem{{Material: "M", Quantity: 1}}})
	require.NoError(t, err)
	require.Equal(t, "4711", so.Number)
	require.Len(t, ws.posts, 3)
	for _, h := range ws.posts {
		require.Equal(t, RequestID("deal/D-1/order"), h.Get("Repeatability-Request-ID"))
		require.Equal(t, "Mon, 02 Nov 2026 01:00:00 GMT", h.Get("Repeatability-First-Sent"))
	}
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, RequestID("x"))
}

func TestOAuthClientCredentials(t *testing.T) {
	var tokens atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			id, secret, _ := r.BasicAuth()
			require.NoError(t, r.ParseForm())
			require.Equal(t, "client_credentials", r.PostForm.Get("grant_type"))
			require.Equal(t, "cid/sec", id+"/"+secret)
			tokens.Add(1)
			fmt.Fprint(w, `{"access_token":"abc","expires_in":3600}`)
			return
		}
		require.Equal(t, "Bearer abc", r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"d":{"results":[]}}`)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, TokenURL: srv.URL + "/token", ClientID: "cid", ClientSecret: "sec", Log: quiet})
	require.NoError(t, err)
	for range 3 {
		_, err := c.CustomersChanged(context.Background(), time.Time{}, "")
		require.NoError(t, err)
	}
	require.Equal(t, int32(1), tokens.Load(), "the token is cached")
}

func TestConfigIsChecked(t *testing.T) {
	_, err := New(Config{BaseURL: "ftp://x", Username: "u"})
	require.Error(t, err)
	_, err = New(Config{BaseURL: "https://x"})
	require.Error(t, err)
	_, err = New(Config{BaseURL: "https://x", TokenURL: "https://x/t"})
	require.Error(t, err)
}
