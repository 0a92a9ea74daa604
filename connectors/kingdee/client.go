// Package kingdee connects l2c to Kingdee K3 Cloud (金蝶云星空) through its
// Web API: a login (AuthService.ValidateUser) that opens a session carried by
// cookies, then DynamicFormService calls, each a JSON POST:
//
//	ExecuteBillQuery  {"data": {"FormId", "FieldKeys", "FilterString", "OrderString", "StartRow", "Limit"}}
//	                  → [[v1, v2, …], …], one array per row, in FieldKeys order
//	Save              {"formid": "BD_Customer", "data": {"Model": {…}, "NeedUpDateFields": […]}}
//	                  → {"Result": {"ResponseStatus": {"IsSuccess", "Errors", "SuccessEntitys"}, "Id", "Number"}}
//
// Kingdee answers HTTP 200 whether the call worked or not; failures are a
// ResponseStatus with IsSuccess false (for a query, wrapped as [[{"Result":…}]]).
// An expired session ("会话信息已丢失，请重新登录") is logged in again, once.
//
// Customers are BD_Customer, invoices AR_receivable (应收单), payments the
// source entries of AR_RECEIVEBILL (收款单, one per receivable it clears),
// orders SAL_SaleOrder and shipments SAL_OUTSTOCK. Reads page with Limit
// (at most 2,000 rows, Kingdee's own cap) in key order and continue after
// the last key rather than by StartRow: an offset skips a row whenever one
// before it is deleted or un-audited while the read goes on. Deltas filter
// on FModifyDate, which Kingdee writes in the server's local time.
package kingdee

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/l2c/l2c/connectors"
)

// Service paths, relative to Config.BaseURL (…/k3cloud/).
const (
	PathLogin       = "Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser.common.kdsvc"
	PathBillQuery   = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"
	PathSave        = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc"
	sessionLostText = "会话信息已丢失"
)

// Config says where the K3 Cloud system is and how to log in.
type Config struct {
	// BaseURL is the K3 Cloud site, e.g. http://erp.example.com/k3cloud/.
	BaseURL string
	// AcctID is the data centre (账套) ID; Username, Password a Web API user;
	// LCID the language (2052, simplified Chinese, by default).
	AcctID, Username, Password string
	LCID                       int
	// OrgNumber is the organisation l2c creates customers and orders in
	// (创建组织/销售组织), "100" by default.
	OrgNumber string
	// MinDiscountField and CreditLimitField name custom fields (F_…) on
	// BD_Customer holding the minimum discount (percent) and the credit limit;
	// empty means the system has none. KeyField is the custom text field l2c
	// files its idempotency key in on the customers and orders it creates
	// (F_L2C_Key by default), so a retried create finds the first.
	MinDiscountField, CreditLimitField, KeyField string
	// TimeZone is the server's zone, in which FModifyDate is written
	// (Asia/Shanghai by default).
	TimeZone *time.Location
	// PageSize is rows per query (Limit), at most 2,000 (the default).
	PageSize int
	// DefaultDueDays is used when a receivable has no due date.
	DefaultDueDays int
	// Currencies maps Kingdee's currency numbers (币别编码) to ISO 4217 codes;
	// K3 Cloud's presets (PRE001 人民币 …) by default. Numbers that are ISO
	// codes already pass as they are.
	Currencies map[string]string
	// Timeout bounds one HTTP exchange (60 s); MaxRetries how often a call is
	// retried on 5xx or network errors (4); MinBackoff, MaxBackoff the waits.
	Timeout                time.Duration
	MaxRetries             int
	MinBackoff, MaxBackoff time.Duration
	HTTPClient             *http.Client
	Log                    *slog.Logger
}

// PresetCurrencies are K3 Cloud's preset currency numbers.
var PresetCurrencies = map[string]string{"PRE001": "CNY", "PRE002": "HKD", "PRE003": "EUR", "PRE004": "JPY",
	"PRE005": "TWD", "PRE006": "GBP", "PRE007": "USD"}

// iso is the ISO code of a Kingdee currency number ("" for none).
func (c *Client) iso(kd string) (string, error) {
	if kd == "" {
		return "", nil
	}
	if v, ok := c.cfg.Currencies[kd]; ok {
		return v, nil
	}
	if len(kd) == 3 && strings.ToUpper(kd) == kd {
		return kd, nil
	}
	return "", fmt.Errorf("currency %q is not mapped to an ISO 4217 code (set the currency map)", kd)
}

// kdCurrency is the Kingdee number of an ISO code.
func (c *Client) kdCurrency(iso string) string {
	for k, v := range c.cfg.Currencies {
		if v == iso {
			return k
		}
	}
	return iso
}

// Client is a K3 Cloud connector. It implements connectors.ERP and is safe for
// concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
	log  *slog.Logger

	mu       sync.Mutex
	loggedIn bool
}

var _ connectors.ERP = (*Client)(nil)

// New checks cfg and returns a client. It does not contact the system.
func New(cfg Config) (*Client, error) {
	raw := cfg.BaseURL
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("Kingdee base URL %q: want http(s)://host/k3cloud/", cfg.BaseURL)
	}
	if cfg.AcctID == "" || cfg.Username == "" {
		return nil, errors.New("Kingdee: set the data centre ID (acctID), a user and a password")
	}
	if cfg.LCID == 0 {
		cfg.LCID = 2052
	}
	if cfg.OrgNumber == "" {
		cfg.OrgNumber = "100"
	}
	if cfg.KeyField == "" {
		cfg.KeyField = "F_L2C_Key"
	}
	if cfg.TimeZone == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		cfg.TimeZone = loc
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 2000 {
		cfg.PageSize = 2000
	}
	if cfg.DefaultDueDays == 0 {
		cfg.DefaultDueDays = 30
	}
	if cfg.Currencies == nil {
		cfg.Currencies = PresetCurrencies
	}
	connectors.HTTPDefaults(&cfg.Timeout, &cfg.MaxRetries, &cfg.MinBackoff, &cfg.MaxBackoff, &cfg.Log)
	// The session is the cookies the login sets (kdservice-sessionid, ASP.NET_SessionId).
	hc := connectors.SessionClient(cfg.HTTPClient, cfg.Timeout)
	return &Client{cfg: cfg, base: u, hc: hc, log: cfg.Log}, nil
}

// Status is Kingdee's ResponseStatus.
type Status struct {
	ErrorCode int  `json:"ErrorCode"`
	IsSuccess bool `json:"IsSuccess"`
	Errors    []struct {
		FieldName any    `json:"FieldName"`
		Message   string `json:"Message"`
		DIndex    int    `json:"DIndex"`
	} `json:"Errors"`
	SuccessEntitys []struct {
		ID     int64  `json:"Id"`
		Number string `json:"Number"`
		DIndex int    `json:"DIndex"`
	} `json:"SuccessEntitys"`
	MsgCode int `json:"MsgCode"`
}

func (s Status) message() string {
	var m []string
	for _, e := range s.Errors {
		if f, ok := e.FieldName.(string); ok && f != "" {
			m = append(m, f+": "+e.Message)
		} else {
			m = append(m, e.Message)
		}
	}
	if len(m) == 0 {
		return fmt.Sprintf("error code %d", s.ErrorCode)
	}
	return strings.Join(m, "; ")
}

// ResultBody is what Save (and a failed query) answers.
type ResultBody struct {
	Result struct {
		ResponseStatus Status `json:"ResponseStatus"`
		ID             any    `json:"Id"`
		Number         string `json:"Number"`
	} `json:"Result"`
}

// LoginResult is ValidateUser's answer; LoginResultType 1 is success.
type LoginResult struct {
	LoginResultType int    `json:"LoginResultType"`
	Message         string `json:"Message"`
	KDSVCSessionID  string `json:"KDSVCSessionId"`
}

// login opens a session; callers hold no lock.
func (c *Client) login(ctx context.Context) error {
	body := map[string]any{"acctID": c.cfg.AcctID, "username": c.cfg.Username, "password": c.cfg.Password, "lcid": c.cfg.LCID}
	b, err := c.post(ctx, "login", PathLogin, body)
	if err != nil {
		return err
	}
	var lr LoginResult
	if err := json.Unmarshal(b, &lr); err != nil {
		return &connectors.Error{Kind: connectors.ErrUnavailable, Op: "login", Message: "malformed login answer", Err: err}
	}
	if lr.LoginResultType != 1 {
		return &connectors.Error{Kind: connectors.ErrInvalid, Op: "login",
			Message: fmt.Sprintf("login refused (LoginResultType %d): %s", lr.LoginResultType, lr.Message)}
	}
	c.mu.Lock()
	c.loggedIn = true
	c.mu.Unlock()
	return nil
}

// call posts body to path in a session, logging in first when there is none
// and again, once, when Kingdee says the session was lost. It returns the
// answer's bytes; a ResponseStatus failure is an error.
func (c *Client) call(ctx context.Context, op, path string, body any) ([]byte, error) {
	for relogged := false; ; relogged = true {
		c.mu.Lock()
		in := c.loggedIn
		c.mu.Unlock()
		if !in {
			if err := c.login(ctx); err != nil {
				return nil, err
			}
		}
		b, err := c.post(ctx, op, path, body)
		if err != nil {
			return nil, err
		}
		st, failed := failure(b)
		if !failed {
			return b, nil
		}
		msg := st.message()
		if strings.Contains(msg, sessionLostText) && !relogged {
			c.mu.Lock()
			c.loggedIn = false
			c.mu.Unlock()
			continue
		}
		kind := connectors.ErrInvalid
		if st.ErrorCode >= 500 && strings.Contains(strings.ToLower(msg), "timeout") {
			kind = connectors.ErrUnavailable
		}
		return nil, &connectors.Error{Kind: kind, Op: op, Message: msg}
	}
}

// failure finds a failed ResponseStatus in an answer: {"Result": …} or, for
// queries, [[{"Result": …}]].
func failure(b []byte) (Status, bool) {
	t := bytes.TrimSpace(b)
	if bytes.HasPrefix(t, []byte("[[{")) {
		var wrapped [][]ResultBody
		if json.Unmarshal(t, &wrapped) == nil && len(wrapped) > 0 && len(wrapped[0]) > 0 {
			st := wrapped[0][0].Result.ResponseStatus
			return st, !st.IsSuccess
		}
		return Status{}, false
	}
	if bytes.HasPrefix(t, []byte("{")) {
		var r ResultBody
		if json.Unmarshal(t, &r) == nil && bytes.Contains(t, []byte(`"ResponseStatus"`)) {
			return r.Result.ResponseStatus, !r.Result.ResponseStatus.IsSuccess
		}
	}
	return Status{}, false
}

// post sends one JSON POST, retrying 5xx, 429 and network failures with
// backoff. Every Kingdee call may be repeated: queries read, and creates are
// made repeatable by the caller (CustomerByKey, FindSalesOrder first).
func (c *Client) post(ctx context.Context, op, path string, body any) ([]byte, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("%s: encode body: %w", op, err)
	}
	u := c.base.ResolveReference(&url.URL{Path: path}).String()
	for attempt := 0; ; attempt++ {
		b, err := c.once(ctx, op, u, payload)
		if err == nil {
			return b, nil
		}
		if !connectors.Retryable(err) || attempt >= c.cfg.MaxRetries || ctx.Err() != nil {
			return nil, err
		}
		wait := c.backoff(attempt, connectors.RetryAfter(err))
		c.log.WarnContext(ctx, "kingdee: retrying", "op", op, "attempt", attempt+1, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, &connectors.Error{Kind: connectors.ErrUnavailable, Op: op, Err: ctx.Err()}
		case <-time.After(wait):
		}
	}
}

func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	return connectors.Backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff, retryAfter)
}

func (c *Client) once(ctx context.Context, op, u string, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &connectors.Error{Kind: connectors.ErrUnavailable, Op: op, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, &connectors.Error{Kind: connectors.ErrUnavailable, Op: op, Status: resp.StatusCode, Err: err}
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return b, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		kind := connectors.ErrUnavailable
		if resp.StatusCode == http.StatusTooManyRequests {
			kind = connectors.ErrRateLimited
		}
		return nil, &connectors.Error{Kind: kind, Op: op, Status: resp.StatusCode, Message: snippet(b)}
	case resp.StatusCode == http.StatusNotFound:
		return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Status: resp.StatusCode,
			Message: "no such service: is the base URL the K3 Cloud site (…/k3cloud/)?"}
	default:
		return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Status: resp.StatusCode, Message: snippet(b)}
	}
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
