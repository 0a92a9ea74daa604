// Package sap connects l2c to SAP S/4HANA over OData v2, the protocol of SAP's
// published APIs: API_BUSINESS_PARTNER (customers), API_BILLING_DOCUMENT_SRV
// (invoices), API_OPLACCTGDOCITEMCUBE_SRV (cleared receivables, i.e. payments),
// API_SALES_ORDER_SRV (orders) and API_OUTBOUND_DELIVERY_SRV (shipments).
//
// What it does the way SAP expects: reads ask for client pages ($top) in key
// order and continue after the last key (see pages.go), following
// server-driven paging (__next with $skiptoken) within a page, rather than
// $skip/$top, which can skip or repeat rows while data changes; deltas filter
// on the last-change stamps (by the day on servers that refuse Edm.Time
// literals); writes fetch a CSRF token first and send If-Match (updates) or
// Repeatability-Request-ID and Repeatability-First-Sent (creates); 429 and
// 5xx are retried with backoff, honouring Retry-After; authentication is
// basic or OAuth client credentials.
package sap

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/l2c/l2c/connectors"
)

// Service roots, relative to Config.BaseURL.
const (
	ServiceBusinessPartner = "/sap/opu/odata/sap/API_BUSINESS_PARTNER"
	ServiceBillingDocument = "/sap/opu/odata/sap/API_BILLING_DOCUMENT_SRV"
	ServiceReceivables     = "/sap/opu/odata/sap/API_OPLACCTGDOCITEMCUBE_SRV"
	ServiceSalesOrder      = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"
	ServiceDelivery        = "/sap/opu/odata/sap/API_OUTBOUND_DELIVERY_SRV;v=0002"
)

// Config says where the S/4HANA system is and how to talk to it.
type Config struct {
	// BaseURL is the system's API host, e.g. https://my300448-api.s4hana.ondemand.com.
	BaseURL string
	// Basic authentication (a communication user of a communication arrangement)…
	Username, Password string
	// …or OAuth 2.0 client credentials, used when TokenURL is set.
	TokenURL, ClientID, ClientSecret string
	// SAPClient is the sap-client (mandant) query parameter; empty leaves it to the system default.
	SAPClient string
	// The sales area whose terms l2c reads and writes (A_CustomerSalesArea key).
	SalesOrganization, DistributionChannel, Division string
	// MinDiscountField and CreditLimitField name the custom fields (Custom Fields
	// and Logic, YY1_…) on A_CustomerSalesArea that hold the minimum discount
	// (percent of list price, Edm.Decimal) and the credit limit (Edm.Decimal in
	// the sales area currency). Empty means the system has none: l2c neither
	// reads nor writes that term.
	MinDiscountField, CreditLimitField string
	// SalesOrderType for orders l2c places (OR, standard order, by default).
	SalesOrderType string
	// DayDeltas reads customer deltas with date-granular comparisons only
	// (LastChangeDate/CreationDate ge the day), which every OData v2 server
	// accepts. Without it the connector compares LastChangeTime with Edm.Time
	// literals and, the first time a server refuses those, falls back to
	// date-granular reads for good.
	DayDeltas bool
	// PageSize is the client page: how many records one read asks for ($top),
	// 5,000 by default (SAP's usual maximum; fewer, larger pages cost fewer
	// transactions: 2,000 synced some 15% slower here). Server-driven paging
	// (__next) is followed within it.
	PageSize int
	// TimeZone is the system's time zone, in which LastChangeDate and
	// LastChangeTime are written. UTC by default (as in S/4HANA Cloud).
	TimeZone *time.Location
	// PaymentTermsDays gives the net days of payment terms keys, to compute an
	// invoice's due date (billing documents carry the key, not the date). Keys
	// like NT30 are read as 30 days without an entry; DefaultDueDays otherwise.
	PaymentTermsDays map[string]int
	DefaultDueDays   int
	// Timeout bounds one HTTP exchange (60 s by default); MaxRetries bounds how
	// often one call is retried on 429/5xx/network errors (4 by default).
	Timeout    time.Duration
	MaxRetries int
	// MaxBackoff caps the wait between retries (30 s by default); MinBackoff is
	// the first wait (200 ms by default).
	MinBackoff, MaxBackoff time.Duration
	// HTTPClient replaces the default transport (tests); its Jar is replaced.
	HTTPClient *http.Client
	Log        *slog.Logger
}

// Client is an S/4HANA connector. It implements connectors.ERP and is safe for
// concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
	log  *slog.Logger

	mu         sync.Mutex
	csrf       string
	token      string // OAuth access token
	tokenUntil time.Time

	// dayDeltas is set once the server refused an Edm.Time literal (or by
	// Config.DayDeltas): customer deltas are then read by the day.
	dayDeltas atomic.Bool
}

var _ connectors.ERP = (*Client)(nil)

// New checks cfg and returns a client. It does not contact the system.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("SAP base URL %q: want http(s)://host", cfg.BaseURL)
	}
	if cfg.TokenURL == "" && cfg.Username == "" {
		return nil, errors.New("SAP credentials: set a user and password, or an OAuth token URL, client ID and secret")
	}
	if cfg.TokenURL != "" && (cfg.ClientID == "" || cfg.ClientSecret == "") {
		return nil, errors.New("SAP OAuth: the token URL needs a client ID and secret")
	}
	cfg.SalesOrganization = cmp.Or(cfg.SalesOrganization, "1010")
	cfg.DistributionChannel = cmp.Or(cfg.DistributionChannel, "10")
	cfg.Division = cmp.Or(cfg.Division, "00")
	cfg.SalesOrderType = cmp.Or(cfg.SalesOrderType, "OR")
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.UTC
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 5000
	}
	if cfg.DefaultDueDays == 0 {
		cfg.DefaultDueDays = 30
	}
	connectors.HTTPDefaults(&cfg.Timeout, &cfg.MaxRetries, &cfg.MinBackoff, &cfg.MaxBackoff, &cfg.Log)
	// The CSRF token is bound to the session cookies that came with it.
	hc := connectors.SessionClient(cfg.HTTPClient, cfg.Timeout)
	c := &Client{cfg: cfg, base: u, hc: hc, log: cfg.Log}
	c.dayDeltas.Store(cfg.DayDeltas)
	return c, nil
}

// request is one OData call.
type request struct {
	op      string // for errors and logs
	method  string
	url     string // absolute
	body    any    // JSON-encoded when not nil
	ifMatch string
	idem    *connectors.Idempotency
	once    bool // one attempt, no retries (a probe whose failure has a fallback)
}

// response is a finished call: status, headers and the whole body.
type response struct {
	status int
	header http.Header
	body   []byte
}

// serviceURL builds an absolute URL for path (under a service root). A read
// passes its query (possibly empty) and gets $format=json; a write passes nil.
func (c *Client) serviceURL(service, path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + service + path
	read := q != nil
	if q == nil {
		q = url.Values{}
	}
	if c.cfg.SAPClient != "" {
		q.Set("sap-client", c.cfg.SAPClient)
	}
	if read {
		q.Set("$format", "json")
	}
	// SAP accepts %20 but not + for spaces in $filter; url.Values encodes
	// spaces as +, so encode by hand.
	u.RawQuery = encodeQuery(q)
	return u.String()
}

func encodeQuery(q url.Values) string {
	var b strings.Builder
	keys := []string{"$filter", "$select", "$expand", "$orderby", "$top", "$skiptoken", "$format", "sap-client"}
	seen := map[string]bool{}
	write := func(k string, vs []string) {
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	for _, k := range keys {
		if vs, ok := q[k]; ok {
			write(k, vs)
			seen[k] = true
		}
	}
	for k, vs := range q {
		if !seen[k] {
			write(k, vs)
		}
	}
	return b.String()
}

// follow resolves a __next link against the service it came from, refusing
// links to another host so credentials never leave the system.
func (c *Client) follow(next string) (string, error) {
	u, err := c.base.Parse(next)
	if err != nil {
		return "", &connectors.Error{Kind: connectors.ErrInvalid, Op: "follow __next", Message: "malformed link", Err: err}
	}
	if u.Host != c.base.Host || u.Scheme != c.base.Scheme {
		return "", &connectors.Error{Kind: connectors.ErrInvalid, Op: "follow __next",
			Message: fmt.Sprintf("link points to %s, not to %s", u.Host, c.base.Host)}
	}
	q := u.Query()
	if q.Get("$format") == "" {
		q.Set("$format", "json")
		u.RawQuery = encodeQuery(q)
	}
	return u.String(), nil
}

// do sends r, retrying what can safely be retried, and maps failures to
// connector errors. A 2xx response is returned with its body read.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	write := r.method != http.MethodGet && r.method != http.MethodHead
	// A write may be retried only when repeating it cannot apply it twice: a
	// create carrying Repeatability-Request-ID, or an update guarded by If-Match
	// (a repeat after success fails with 412, which the caller reads back).
	retryable := !write || r.idem != nil || r.ifMatch != ""
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("%s: encode body: %w", r.op, err)
		}
	}
	csrfRetried := false
	for attempt := 0; ; attempt++ {
		res, err := c.once(ctx, r, body, write)
		if err == nil && res.status == http.StatusForbidden && write && !csrfRetried &&
			strings.EqualFold(res.header.Get("X-CSRF-Token"), "Required") {
			// The token expired with the session: fetch a new one, once.
			csrfRetried = true
			c.mu.Lock()
			c.csrf = ""
			c.mu.Unlock()
			attempt--
			continue
		}
		var cerr error
		if err != nil {
			cerr = err
		} else if res.status >= 200 && res.status < 300 {
			return res, nil
		} else {
			cerr = c.statusError(r.op, res)
		}
		if r.once || !retryable || !connectors.Retryable(cerr) || attempt >= c.cfg.MaxRetries || ctx.Err() != nil {
			return nil, cerr
		}
		wait := c.backoff(attempt, connectors.RetryAfter(cerr))
		c.log.WarnContext(ctx, "sap: retrying", "op", r.op, "attempt", attempt+1, "wait", wait, "err", cerr)
		select {
		case <-ctx.Done():
			return nil, &connectors.Error{Kind: connectors.ErrUnavailable, Op: r.op, Err: ctx.Err()}
		case <-time.After(wait):
		}
	}
}

// backoff is exponential with full jitter, at least what Retry-After asked.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	return connectors.Backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff, retryAfter)
}

// once makes one HTTP exchange.
func (c *Client) once(ctx context.Context, r request, body []byte, write bool) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, rd)
	if err != nil {
		return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: r.op, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := c.authorize(ctx, req); err != nil {
		return nil, err
	}
	if write {
		tok, err := c.csrfToken(ctx)
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-CSRF-Token", tok)
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	if r.idem != nil {
		req.Header.Set("Repeatability-Request-ID", RequestID(r.idem.Key))
		req.Header.Set("Repeatability-First-Sent", r.idem.FirstSent.UTC().Format(http.TimeFormat))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &connectors.Error{Kind: connectors.ErrUnavailable, Op: r.op, Err: err}
	}
	defer resp.Body.Close()
	b, err := readBody(resp)
	if err != nil {
		// A connection dropped mid-body: the page is incomplete, try again.
		return nil, &connectors.Error{Kind: connectors.ErrUnavailable, Op: r.op, Status: resp.StatusCode, Err: err}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// readBody reads the whole body into a buffer sized from Content-Length when
// the server sends one, rather than growing it by doubling (pages are many MB).
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= maxBody {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxBody))
}

// maxBody bounds one response: 5,000 business partners with their expansions
// are well under it.
const maxBody = 512 << 20

// RequestID turns an idempotency key into the UUID SAP expects in
// Repeatability-Request-ID: the same key always gives the same UUID (name-based,
// SHA-1, as UUID version 5).
func RequestID(key string) string {
	h := sha1.Sum([]byte("l2c:" + key))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// statusError maps a non-2xx response to a connector error.
func (c *Client) statusError(op string, res *response) error {
	e := &connectors.Error{Op: op, Status: res.status}
	var eb ErrorBody
	if json.Unmarshal(res.body, &eb) == nil && eb.Error.Message.Value != "" {
		e.Message = eb.Error.Message.Value
		if eb.Error.Code != "" {
			e.Message = eb.Error.Code + ": " + e.Message
		}
	}
	switch {
	case res.status == http.StatusNotFound:
		e.Kind = connectors.ErrNotFound
	case res.status == http.StatusConflict || res.status == http.StatusPreconditionFailed:
		e.Kind = connectors.ErrConflict
	case res.status == http.StatusTooManyRequests:
		e.Kind = connectors.ErrRateLimited
		e.RetryAfter = parseRetryAfter(res.header.Get("Retry-After"))
	case res.status >= 500 || res.status == http.StatusRequestTimeout:
		e.Kind = connectors.ErrUnavailable
		e.RetryAfter = parseRetryAfter(res.header.Get("Retry-After"))
	default: // 400, 401, 403, 405, 415, 428 …: our request or our credentials are wrong
		e.Kind = connectors.ErrInvalid
	}
	return e
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// authorize adds credentials: basic, or a cached OAuth bearer token.
func (c *Client) authorize(ctx context.Context, req *http.Request) error {
	if c.cfg.TokenURL == "" {
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
		return nil
	}
	tok, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// accessToken returns a valid OAuth token, fetching one with the client
// credentials grant when the cached one is missing or about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.tokenUntil) {
		return c.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", &connectors.Error{Kind: connectors.ErrInvalid, Op: "OAuth token", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", &connectors.Error{Kind: connectors.ErrUnavailable, Op: "OAuth token", Err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		kind := connectors.ErrInvalid
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			kind = connectors.ErrUnavailable
		}
		return "", &connectors.Error{Kind: kind, Op: "OAuth token", Status: resp.StatusCode, Message: string(bytes.TrimSpace(b[:min(len(b), 300)]))}
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || tr.AccessToken == "" {
		return "", &connectors.Error{Kind: connectors.ErrInvalid, Op: "OAuth token", Message: "no access_token in the answer"}
	}
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = 300
	}
	c.token = tr.AccessToken
	// Renew a minute early so a token never expires in flight.
	c.tokenUntil = time.Now().Add(time.Duration(tr.ExpiresIn)*time.Second - time.Minute)
	return c.token, nil
}

// csrfToken returns the session's CSRF token, fetching it with a GET carrying
// "X-CSRF-Token: Fetch" on the business partner service root when needed.
func (c *Client) csrfToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok := c.csrf
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	u := c.serviceURL(ServiceBusinessPartner, "/", url.Values{})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", &connectors.Error{Kind: connectors.ErrInvalid, Op: "fetch CSRF token", Err: err}
	}
	req.Header.Set("X-CSRF-Token", "Fetch")
	req.Header.Set("Accept", "application/json")
	if err := c.authorize(ctx, req); err != nil {
		return "", err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", &connectors.Error{Kind: connectors.ErrUnavailable, Op: "fetch CSRF token", Err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	tok = resp.Header.Get("X-CSRF-Token")
	if resp.StatusCode >= 300 || tok == "" {
		return "", c.statusError("fetch CSRF token", &response{status: max(resp.StatusCode, 400), header: resp.Header})
	}
	c.mu.Lock()
	c.csrf = tok
	c.mu.Unlock()
	return tok, nil
}

// get reads one entity or collection page into v.
func (c *Client) get(ctx context.Context, op, u string) (*response, error) {
	return c.do(ctx, request{op: op, method: http.MethodGet, url: u})
}

// getResults reads a collection: the rows of {"d": {"results": [...]}} at u;
// an answer of another shape is ErrUnavailable.
func getResults[T any](ctx context.Context, c *Client, op, u string) ([]T, error) {
	res, err := c.get(ctx, op, u)
	if err != nil {
		return nil, err
	}
	var page Collection[T]
	if err := json.Unmarshal(res.body, &page); err != nil {
		return nil, &connectors.Error{Kind: connectors.ErrUnavailable, Op: op, Message: "malformed OData response", Err: err}
	}
	return page.D.Results, nil
}

// getEntity reads one entity: the {"d": {...}} at u.
func getEntity[T any](ctx context.Context, c *Client, op, u string) (T, error) {
	res, err := c.get(ctx, op, u)
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeEntity[T](op, res)
}

func decodeEntity[T any](op string, res *response) (T, error) {
	var e Entity[T]
	if err := json.Unmarshal(res.body, &e); err != nil {
		var zero T
		return zero, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: "malformed OData response", Err: err}
	}
	return e.D, nil
}
