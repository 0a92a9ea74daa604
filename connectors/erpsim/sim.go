// Package erpsim is an ERP simulator: an HTTP server that answers the OData v2
// subset of SAP S/4HANA that l2c's SAP connector uses (API_BUSINESS_PARTNER,
// API_BILLING_DOCUMENT_SRV, API_OPLACCTGDOCITEMCUBE_SRV, API_SALES_ORDER_SRV,
// API_OUTBOUND_DELIVERY_SRV), the way S/4HANA answers it: d/results envelopes,
// server-driven paging with __next and $skiptoken, /Date(…)/ values, $filter on
// change stamps, CSRF tokens for writes, ETags with 428 and 412, repeatable
// creates, basic auth or OAuth client credentials.
//
// It is seeded with demo customers and can generate millions of customers and
// invoices deterministically without holding them in memory. Faults can be
// injected: latency and latency spikes, 5xx errors, 429s with Retry-After,
// dropped connections, stale ETags and malformed rows. `l2c erpsim` runs it;
// `make run` uses it as the default ERP; tests start it in-process.
package erpsim

import (
	"cmp"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/connectors/simulation"
)

// Options configure a simulator.
type Options struct {
	// Customers and Invoices are how many rows to generate (besides the demo
	// customers C1001–C1003, which are always there).
	Customers, Invoices int
	// Seed makes generation deterministic; equal seeds give equal data.
	Seed uint64
	// Epoch is the "now" of generated data: generated stamps lie in the two
	// years before it. Defaults to the start time, to the second.
	Epoch time.Time
	// PageSize is the server page size (1,000 by default, as S/4HANA Cloud; at
	// most 5,000).
	PageSize int
	// Username and Password for basic auth; ClientID and ClientSecret for the
	// OAuth token endpoint at /oauth/token. Defaults: L2C_COMM / sim-secret,
	// l2c / sim-secret.
	Username, Password     string
	ClientID, ClientSecret string
	// Names of the sales-area extension fields holding the minimum discount and
	// the credit limit.
	MinDiscountField, CreditLimitField string
	Faults                             Faults
	// Strict makes the $filter parser refuse Edm.Time literals (time'PT…')
	// with a 500, as an independent OData v2 implementation serving SAP's
	// metadata did: only date, datetime and datetimeoffset comparisons work.
	Strict bool
	// NoPaging turns server-driven paging off: a collection read returns
	// every matching row in one response (no __next), bounded only by $top.
	NoPaging bool
	Log      *slog.Logger
	// Now is the clock for run-time changes; time.Now by default.
	Now func() time.Time
}

// Default extension field names, as a key user would create them with Custom
// Fields and Logic on the customer sales area.
const (
	DefaultMinDiscountField = "YY1_MinDiscount_csa"
	DefaultCreditLimitField = "YY1_CreditLimit_csa"
)

// Faults to inject. Rates are fractions of requests (0 to 1).
type Faults struct {
	Latency       time.Duration `json:"latency"`         // added to every request
	SpikeRate     float64       `json:"spike_rate"`      // requests that take Spike longer
	Spike         time.Duration `json:"spike"`           //
	ErrorRate     float64       `json:"error_rate"`      // answered 503 (or 500/502/504)
	RateLimitRate float64       `json:"rate_limit_rate"` // answered 429 with Retry-After
	RetryAfter    int           `json:"retry_after"`     // seconds; 1 by default
	DropRate      float64       `json:"drop_rate"`       // connection closed without an answer
	StaleETagRate float64       `json:"stale_etag_rate"` // updates find the record changed by someone else
	MalformedRate float64       `json:"malformed_rate"`  // generated rows served malformed (fixed per row)
	// LoseOrderAnswers: the next n answers to sales-order creates are lost
	// (504 from the gateway) after the order is committed and its
	// Repeatability-Request-ID recorded; a repeat of the request is answered
	// the same way while n lasts. Only reading the order back finds it.
	LoseOrderAnswers int `json:"lose_order_answers"`
}

// Sim is a running simulator's state. Its methods are safe for concurrent use.
type Sim struct {
	opts     Options
	epoch    time.Time
	genStart time.Time
	custStep time.Duration
	invStep  time.Duration
	log      *slog.Logger

	mu          sync.RWMutex
	faults      Faults
	cust        rowStore[*customer]
	inv         rowStore[*invoice]
	orders      map[string]*salesOrder
	orderKeys   []string
	orderBlocks map[string]string // customer code → why its sales orders are refused (BlockOrders)
	deliveries  map[string]*delivery
	sessions    map[string]string // session cookie → CSRF token
	tokens      map[string]time.Time
	repeat      map[string]stored // Repeatability-Request-ID → first answer
	seq         int

	meter simulation.Meter
	// dice decides faults, seeded from Options.Seed.
	dice *simulation.Dice
}

type stored struct {
	status int
	body   []byte
}

// span is how far back generated data reaches.
const span = 2 * 365 * 24 * time.Hour

// New returns a simulator with its demo data.
func New(o Options) *Sim {
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.PageSize > 5000 {
		o.PageSize = 5000
	}
	o.Username = cmp.Or(o.Username, "L2C_COMM")
	o.Password = cmp.Or(o.Password, "sim-secret")
	o.ClientID = cmp.Or(o.ClientID, "l2c")
	o.ClientSecret = cmp.Or(o.ClientSecret, "sim-secret")
	o.MinDiscountField = cmp.Or(o.MinDiscountField, DefaultMinDiscountField)
	o.CreditLimitField = cmp.Or(o.CreditLimitField, DefaultCreditLimitField)
	simulation.Clock(&o.Now, &o.Epoch, &o.Log)
	s := &Sim{dice: simulation.NewDice(o.Seed, 0xfa17), opts: o, epoch: o.Epoch.UTC().Truncate(time.Second), log: o.Log, faults: o.Faults,
		cust: newRowStore[*customer](), inv: newRowStore[*invoice](),
		orders: map[string]*salesOrder{}, orderBlocks: map[string]string{}, deliveries: map[string]*delivery{},
		sessions: map[string]string{}, tokens: map[string]time.Time{}, repeat: map[string]stored{}}
	// Generated stamps end a minute before the epoch so a delta from "now" is empty.
	s.genStart = s.epoch.Add(-span)
	if o.Customers > 0 {
		s.custStep = (span - time.Minute) / time.Duration(o.Customers)
	}
	if o.Invoices > 0 {
		s.invStep = (span - time.Minute) / time.Duration(o.Invoices)
	}
	s.seedDemo()
	return s
}

// seedDemo adds the customers of l2c's demo deals.
func (s *Sim) seedDemo() {
	created := s.epoch.Add(-90 * 24 * time.Hour)
	for i, d := range []struct{ code, name, city, terms string }{
		{"C1001", "Suzhou Precision Parts Co.", "Suzhou", "NT30"},
		{"C1002", "Ningbo Auto Components", "Ningbo", "NT60"},
		{"C1003", "Wuxi Textile Machinery", "Wuxi", "NT30"},
	} {
		c := &customer{index: -1, bp: d.code, code: d.code, name1: d.name, street: "Gongye Park Rd", house: fmt.Sprint(10 + i),
			city: d.city, postal: "215000", country: "CN", phone: fmt.Sprintf("0512-6666%04d", i), taxType: "CN5",
			taxNo: fmt.Sprintf("9132050066666%05d", i), paymentTerms: d.terms, currency: "CNY",
			minDiscount: "85.00", creditLimit: "500000.00", created: created}
		s.cust.put(c, c.index, c.code, 0, time.Time{})
	}
}

// SetFaults replaces the injected faults.
func (s *Sim) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Faults returns the injected faults.
func (s *Sim) Faults() Faults {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.faults
}

// Requests counts the OData requests answered so far (faults included).
func (s *Sim) Requests() int64 { return s.meter.Requests() }

// Injected counts the requests that were dropped or answered 429 or 5xx by a fault.
func (s *Sim) Injected() int64 { return s.meter.Injected() }

func (s *Sim) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// Handler serves the OData services, the OAuth token endpoint and /sim admin.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.Handle("/sim/", s.authed(http.HandlerFunc(s.admin)))
	mux.Handle("/sap/opu/odata/sap/", s.authed(s.faulty(http.HandlerFunc(s.odata))))
	return mux
}

// authed accepts basic auth with the configured user, or a bearer token from /oauth/token.
func (s *Sim) authed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && u == s.opts.Username && p == s.opts.Password {
			next.ServeHTTP(w, r)
			return
		}
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			s.mu.RLock()
			until, known := s.tokens[tok]
			s.mu.RUnlock()
			if known && time.Now().Before(until) {
				next.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="SAP NetWeaver Application Server [SIM/100]"`)
		http.Error(w, "Logon failed", http.StatusUnauthorized)
	})
}

// token is the OAuth 2.0 client credentials grant.
func (s *Sim) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if err := r.ParseForm(); err != nil || !ok || id != s.opts.ClientID || secret != s.opts.ClientSecret ||
		r.PostForm.Get("grant_type") != "client_credentials" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	tok := randomToken()
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(time.Hour)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 3600})
}

func randomToken() string {
	b := make([]byte, 18)
	_, _ = crand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// faulty injects the configured faults before a request reaches the service.
func (s *Sim) faulty(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nth := int(s.meter.Request())
		f := s.Faults()
		delay := f.Latency
		if s.dice.Roll(f.SpikeRate) {
			delay += f.Spike
		}
		if !simulation.Delay(r.Context(), delay) {
			return
		}
		if s.dice.Roll(f.DropRate) {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					s.meter.Inject()
					conn.Close()
					return
				}
			}
		}
		if s.dice.Roll(f.RateLimitRate) {
			s.meter.Inject()
			ra := f.RetryAfter
			if ra <= 0 {
				ra = 1
			}
			w.Header().Set("Retry-After", fmt.Sprint(ra))
			odataError(w, http.StatusTooManyRequests, "/IWFND/CM_CONSUMER/101", "Too many requests; retry later")
			return
		}
		if s.dice.Roll(f.ErrorRate) {
			s.meter.Inject()
			statuses := []int{http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusBadGateway,
				http.StatusGatewayTimeout, http.StatusInternalServerError}
			odataError(w, statuses[nth%len(statuses)], "/IWFND/CM_BEC/026", "Simulated backend failure")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func odataError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(sap.NewErrorBody(code, msg))
}

// csrf handles "X-CSRF-Token: Fetch" on reads and checks the token on writes.
// It reports whether the request may go on.
func (s *Sim) csrf(w http.ResponseWriter, r *http.Request) bool {
	const cookie = "SAP_SESSIONID_SIM_100"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if strings.EqualFold(r.Header.Get("X-CSRF-Token"), "Fetch") {
			sid := ""
			if c, err := r.Cookie(cookie); err == nil {
				sid = c.Value
			}
			s.mu.Lock()
			tok, ok := s.sessions[sid]
			if !ok {
				sid, tok = randomToken(), randomToken()
				s.sessions[sid] = tok
			}
			s.mu.Unlock()
			http.SetCookie(w, &http.Cookie{Name: cookie, Value: sid, Path: "/", HttpOnly: true})
			w.Header().Set("X-CSRF-Token", tok)
		}
		return true
	}
	sent := r.Header.Get("X-CSRF-Token")
	ok := false
	if c, err := r.Cookie(cookie); err == nil && sent != "" {
		s.mu.RLock()
		ok = s.sessions[c.Value] == sent
		s.mu.RUnlock()
	}
	if !ok {
		w.Header().Set("X-CSRF-Token", "Required")
		odataError(w, http.StatusForbidden, "/IWFND/CM_CONSUMER/CSRF", "CSRF token validation failed")
	}
	return ok
}

// ExpireSessions forgets every CSRF session, as a system restart would.
func (s *Sim) ExpireSessions() {
	s.mu.Lock()
	s.sessions = map[string]string{}
	s.mu.Unlock()
}

const odataRoot = "/sap/opu/odata/sap/"

// odata routes a request to its service and entity set.
func (s *Sim) odata(w http.ResponseWriter, r *http.Request) {
	if !s.csrf(w, r) {
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, odataRoot)
	service, resource, _ := strings.Cut(rest, "/")
	set, key, err := parseResource(resource)
	if err != nil {
		odataError(w, http.StatusBadRequest, "/IWBEP/CM_MGW_RT/020", err.Error())
		return
	}
	if set == "" {
		if r.Method != http.MethodGet {
			odataError(w, http.StatusMethodNotAllowed, "/IWBEP/CM_MGW_RT/010", "method not allowed on the service document")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"d":{"EntitySets":[]}}`))
		return
	}
	ctx := &reqCtx{w: w, r: r, s: s, base: "http://" + r.Host + odataRoot + service + "/", set: set, key: key}
	switch service + " " + r.Method + " " + set {
	case "API_BUSINESS_PARTNER GET A_BusinessPartner":
		s.getBusinessPartners(ctx)
	case "API_BUSINESS_PARTNER POST A_BusinessPartner":
		s.repeatable(ctx, s.createBusinessPartner)
	case "API_BUSINESS_PARTNER GET A_CustomerSalesArea":
		s.getSalesArea(ctx)
	case "API_BUSINESS_PARTNER PATCH A_CustomerSalesArea", "API_BUSINESS_PARTNER MERGE A_CustomerSalesArea",
		"API_BUSINESS_PARTNER PUT A_CustomerSalesArea":
		s.patchSalesArea(ctx)
	case "API_BILLING_DOCUMENT_SRV GET A_BillingDocument":
		s.getBillingDocuments(ctx)
	case "API_OPLACCTGDOCITEMCUBE_SRV GET A_OperationalAcctgDocItemCube":
		s.getReceivables(ctx)
	case "API_SALES_ORDER_SRV GET A_SalesOrder":
		s.getSalesOrders(ctx)
	case "API_SALES_ORDER_SRV POST A_SalesOrder":
		ctx.lost = s.loseOrderAnswer
		s.repeatable(ctx, s.createSalesOrder)
	case "API_SALES_ORDER_SRV GET A_SalesOrderScheduleLine":
		s.getScheduleLines(ctx)
	case "API_OUTBOUND_DELIVERY_SRV;v=0002 GET A_OutbDeliveryItem":
		s.getDeliveryItems(ctx)
	case "API_OUTBOUND_DELIVERY_SRV;v=0002 GET A_OutbDeliveryHeader":
		s.getDeliveryHeader(ctx)
	default:
		odataError(w, http.StatusNotFound, "/IWBEP/CM_MGW_RT/021",
			fmt.Sprintf("Resource not found for segment '%s' (%s %s) in the simulator", set, r.Method, service))
	}
}

// reqCtx is one OData request being answered.
type reqCtx struct {
	w    http.ResponseWriter
	r    *http.Request
	s    *Sim
	base string // service root URL, with a trailing slash
	set  string
	key  map[string]string // key predicate; nil for a collection
	// lost, when set, says whether the answer to this create is lost.
	lost func() bool
}

func (c *reqCtx) fail(status int, msg string) {
	odataError(c.w, status, "/IWBEP/CM_MGW_RT/000", msg)
}

// entity reads one entity: find and write run under the read lock, write
// putting it inside {"d": …}. Without one it answers 404 naming the entity
// type and ok is false; with one the caller answers with body.
func entity[T comparable](c *reqCtx, typ string, find func() T, write func(*jbuf, T)) (v T, body []byte, ok bool) {
	var none T
	c.s.mu.RLock()
	v = find()
	var j jbuf
	if v != none {
		j.b = append(j.b, `{"d":`...)
		write(&j, v)
		j.b = append(j.b, '}')
	}
	c.s.mu.RUnlock()
	if v == none {
		c.fail(http.StatusNotFound, "Resource not found for segment '"+typ+"'")
		return v, nil, false
	}
	return v, j.b, true
}

func (c *reqCtx) writeJSON(status int, b []byte) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	c.w.Header().Set("DataServiceVersion", "2.0")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b)
}

// parseResource splits "A_Set(K='v',K2='w')" into the set and its key.
func parseResource(res string) (string, map[string]string, error) {
	res = strings.TrimSuffix(res, "/")
	i := strings.IndexByte(res, '(')
	if i < 0 {
		return res, nil, nil
	}
	if !strings.HasSuffix(res, ")") {
		return "", nil, fmt.Errorf("malformed key predicate in %q", res)
	}
	set, inner := res[:i], res[i+1:len(res)-1]
	key := map[string]string{}
	for _, part := range splitKey(inner) {
		name, val, hasName := strings.Cut(part, "=")
		if !hasName {
			name, val = "", part
		}
		if len(val) < 2 || val[0] != '\'' || val[len(val)-1] != '\'' {
			return "", nil, fmt.Errorf("key value %s must be a quoted string", val)
		}
		key[name] = strings.ReplaceAll(val[1:len(val)-1], "''", "'")
	}
	return set, key, nil
}

// splitKey splits on commas outside quotes.
func splitKey(s string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// repeatable answers a create once per Repeatability-Request-ID: a repeat
// gets the first answer again, so a client retrying after a lost answer never
// creates twice.
func (s *Sim) repeatable(c *reqCtx, create func(*reqCtx) (int, []byte)) {
	id := c.r.Header.Get("Repeatability-Request-ID")
	if id != "" {
		if _, err := http.ParseTime(c.r.Header.Get("Repeatability-First-Sent")); err != nil {
			c.fail(http.StatusBadRequest, "Repeatability-First-Sent must accompany Repeatability-Request-ID, as an HTTP date")
			return
		}
		s.mu.RLock()
		first, seen := s.repeat[id]
		s.mu.RUnlock()
		if seen && c.lost != nil && c.lost() {
			odataError(c.w, http.StatusGatewayTimeout, "/IWFND/CM_BEC/026", "Gateway timeout (simulated: the answer was lost)")
			return
		}
		if seen {
			c.w.Header().Set("Repeatability-Result", "accepted")
			c.writeJSON(first.status, first.body)
			return
		}
	}
	status, body := create(c)
	if id != "" && status < 300 {
		s.mu.Lock()
		s.repeat[id] = stored{status, body}
		s.mu.Unlock()
		c.w.Header().Set("Repeatability-Result", "accepted")
	}
	if status < 300 && c.lost != nil && c.lost() {
		odataError(c.w, http.StatusGatewayTimeout, "/IWFND/CM_BEC/026", "Gateway timeout (simulated: the answer was lost)")
		return
	}
	c.writeJSON(status, body)
}

// loseOrderAnswer reports whether this answer to a sales-order create is
// lost, counting it against Faults.LoseOrderAnswers.
func (s *Sim) loseOrderAnswer() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.LoseOrderAnswers <= 0 {
		return false
	}
	s.faults.LoseOrderAnswers--
	s.meter.Inject()
	return true
}

// nextSeq hands out document numbers; callers hold s.mu.
func (s *Sim) nextSeq() int {
	s.seq++
	return s.seq
}
