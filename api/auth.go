package api

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
)

// authenticate makes every API request name its user: an API token in
// "Authorization: Bearer <token>" (machines, scripts), or the session cookie a
// login opened (pages), in which case changes also need the CSRF token.
// Nobody acts anonymously.
func authenticate(d Deps) func(http.Handler) http.Handler {
	db, log := d.DB, d.Log
	uses := tokenUses{last: map[string]time.Time{}}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := clientIP(r)
			if ok, wait := d.Limits.PerIP.left(ip); !ok {
				tooMany(w, r, wait)
				return
			}
			failed := func() { d.Limits.PerIP.take(ip) }
			header := r.Header.Get("Authorization")
			if header == "" {
				u, csrf, ok, err := d.sessionUser(r)
				if err != nil {
					writeProblem(w, r, asProblem(err, log, r))
					return
				}
				if ok {
					if err := checkCSRF(r, csrf); err != nil {
						writeProblem(w, r, asProblem(err, log, r))
						return
					}
					next.ServeHTTP(w, r.WithContext(identity.WithUser(r.Context(), u)))
					return
				}
			}
			token, ok := strings.CutPrefix(header, "Bearer ")
			if !ok || strings.TrimSpace(token) == "" {
				failed()
				w.Header().Set("WWW-Authenticate", `Bearer realm="l2c"`)
				writeProblem(w, r, problem(http.StatusUnauthorized, probUnauthenticated,
					"send your API token as 'Authorization: Bearer <token>', or log in"))
				return
			}
			cred, err := db.CredentialByToken(r.Context(), strings.TrimSpace(token), d.Now())
			u := cred.User
			if errors.Is(err, database.ErrNotFound) {
				failed()
				w.Header().Set("WWW-Authenticate", `Bearer realm="l2c", error="invalid_token"`)
				writeProblem(w, r, problem(http.StatusUnauthorized, probUnauthenticated,
					"the API token is not valid: unknown, expired or revoked"))
				return
			}
			if err != nil {
				writeProblem(w, r, asProblem(err, log, r))
				return
			}
			if !safeMethod(r.Method) && !cred.CanWrite() {
				writeProblem(w, r, problem(http.StatusForbidden, probForbidden, "this token may only read"))
				return
			}
			r = r.WithContext(identity.WithUser(r.Context(), u))
			if uses.due(u.ID, d.Now()) {
				d.record(r, "token.use", "user", u.ID, map[string]string{"method": r.Method, "path": r.URL.Path})
			}
			next.ServeHTTP(w, r)
		})
	}
}

// me returns the user the request authenticated as.
func me(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.FromContext(r.Context())
	return writeJSON(w, http.StatusOK, u)
}

// actor returns the authenticated user; authenticate guarantees there is one.
func actor(r *http.Request) identity.User {
	u, _ := identity.FromContext(r.Context())
	return u
}

// tokenUses keeps the audit trail readable: a token's use is recorded when it
// is first seen and then at most every ten minutes per replica, not on every
// request.
type tokenUses struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (t *tokenUses) due(user string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[user]; ok && now.Sub(last) < 10*time.Minute {
		return false
	}
	t.last[user] = now
	return true
}
