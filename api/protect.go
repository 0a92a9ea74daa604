package api

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/l2c/l2c/internal/identity"
)

// securityHeaders tells browsers to treat every answer as data: no sniffing,
// no framing, no referrer, nothing cached, and HTTPS from now on when the
// request came over it.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// limiter is a token bucket per key: rate tokens a second, up to burst. Each
// replica keeps its own, which bounds a client to N times the rate across N
// replicas: enough to stop a runaway script or a password guesser.
type limiter struct {
	rate, burst float64
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(rate, burst float64, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// take spends a token for key; when none is left it says how long until one is.
func (l *limiter) take(key string) (bool, time.Duration) { return l.use(key, 1) }

// left says whether key has a token, without spending it.
func (l *limiter) left(key string) (bool, time.Duration) { return l.use(key, 0) }

func (l *limiter) use(key string, cost float64) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 100_000 { // forget idle clients rather than grow without bound
			for k, old := range l.buckets {
				if now.Sub(old.at) > time.Minute {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens -= cost
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// rateLimit answers 429 with Retry-After once key(r) has spent its tokens.
func rateLimit(l *limiter, key func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ok, wait := l.take(key(r)); !ok {
				tooMany(w, r, wait)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeProblem(w, r, problem(http.StatusTooManyRequests, probRateLimited,
		fmt.Sprintf("too many requests; try again in %d s", secs)))
}

// clientIP keys limits for requests not yet authenticated. Behind a proxy,
// run it with chi's RealIP middleware so this is the client, not the proxy.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// userKey keys limits for authenticated requests by user.
func userKey(r *http.Request) string {
	u, _ := identity.FromContext(r.Context())
	return "user:" + u.ID
}

// keyedLocks serialises requests on one key (a deal, a case) within this
// replica. The workflow already guarantees that of concurrent requests exactly
// one wins; queuing them here first means the others are judged against the
// winner's outcome instead of piling up as simultaneous Updates, which the
// Temporal dev server handles poorly under load (a failed speculative workflow
// task stalls the workflow until the callers time out).
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	users int
}

// lock takes key's lock and returns its release.
func (k *keyedLocks) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l, ok := k.locks[key]
	if !ok {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
