package connectors

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"time"
)

// What the HTTP connectors (SAP OData, Kingdee's Web API) share about talking
// to an ERP over HTTP: how long to wait before trying again, and a client of
// their own whose cookies are the session.

// Backoff is how long to wait before retry attempt (0 for the first retry):
// exponential from lo, capped at hi, with full jitter over its upper half,
// and never shorter than what the ERP asked for in Retry-After.
func Backoff(attempt int, lo, hi, retryAfter time.Duration) time.Duration {
	d := lo << min(attempt, 16)
	if d > hi || d <= 0 {
		d = hi
	}
	d = d/2 + rand.N(d/2+1)
	return max(d, retryAfter)
}

// HTTPDefaults fills in what an HTTP connector's configuration leaves unset
// of how it waits on its ERP, and where it logs: a minute for each exchange,
// four retries, backoff from 200 ms to 30 s, slog's default logger.
func HTTPDefaults(timeout *time.Duration, maxRetries *int, minBackoff, maxBackoff *time.Duration, log **slog.Logger) {
	if *timeout == 0 {
		*timeout = 60 * time.Second
	}
	if *maxRetries == 0 {
		*maxRetries = 4
	}
	if *minBackoff == 0 {
		*minBackoff = 200 * time.Millisecond
	}
	if *maxBackoff == 0 {
		*maxBackoff = 30 * time.Second
	}
	if *log == nil {
		*log = slog.Default()
	}
}

// SessionClient copies base (a new client when nil), bounds each exchange by
// timeout unless base sets its own, and gives it a cookie jar of its own: the
// ERP's session (SAP's CSRF token, Kingdee's login) lives in its cookies, so
// two connectors must never share one.
func SessionClient(base *http.Client, timeout time.Duration) *http.Client {
	hc := &http.Client{}
	if base != nil {
		c := *base
		hc = &c
	}
	if hc.Timeout == 0 {
		hc.Timeout = timeout
	}
	jar, _ := cookiejar.New(nil) // never fails without options
	hc.Jar = jar
	return hc
}
