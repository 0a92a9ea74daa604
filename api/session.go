package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/password"
)

// People log in to the pages with a password (or the company's SSO, see
// oidc.go); the login opens a session kept server-side and named by a random
// cookie. Machines keep using API tokens (auth.go).
//
// The cookie is __Host- prefixed (Secure, Path=/, no Domain: no subdomain can
// plant or read it), HttpOnly and SameSite=Lax. Requests that change anything
// under a session must also carry its CSRF token (the X-CSRF-Token header, or
// the csrf_token field of a page's form) and, when the browser says where they
// come from, come from this origin.
const (
	sessionCookie = "__Host-l2c_session"
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "csrf_token"
)

// Sessions configures login sessions.
type Sessions struct {
	// TTL is how long a session lasts at most; Idle how long it survives unused.
	TTL, Idle time.Duration
	// Password are the argon2id costs for new hashes (password.Default if zero).
	Password password.Params
	// OIDC, when set, offers single sign-on with the company's identity provider.
	OIDC *OIDC
}

func (s *Sessions) defaults() {
	if s.TTL <= 0 {
		s.TTL = 12 * time.Hour
	}
	if s.Idle <= 0 {
		s.Idle = 30 * time.Minute
	}
	if s.Password == (password.Params{}) {
		s.Password = password.Default
	}
}

// hashing bounds how many argon2id hashes run at once (each takes its memory cost).
var hashing = make(chan struct{}, 4)

// dummyHash is verified against when a login names no user with a password,
// so the answer takes as long as for a real user and does not tell which exist.
// It is made at the first login, not when a command that never logs anyone in
// starts.
var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash("no such user, no such password", password.Default)
	return h
})

// badLogin is the one answer to every failed login: it does not say whether
// the user exists, has a password, or is disabled.
func badLogin() *Problem {
	return problem(http.StatusUnauthorized, probUnauthenticated, "the user name or password is wrong")
}

// passwordLogin checks a user name and password, limited by address and by
// user, and records a failed attempt in the audit trail.
//
// The attempt is counted before the password is looked at, in PostgreSQL,
// atomically (database.LoginTake): thirty guesses sent at once to any number
// of replicas cannot all be checked while the first are still hashing; a
// right password gives its attempt back. The limits follow OWASP's advice
// for lockouts an attacker cannot turn against the user ("device cookies"):
//
//   - From a browser the user logged in from before, which holds a device
//     cookie signed for them, attempts count against that browser only (and
//     its address): guessing elsewhere never locks it out.
//   - From any other browser, attempts count per user and address (so a
//     guesser at one address does not lock the user out at another) and,
//     with a higher ceiling, per user across all addresses (so a guesser
//     with many addresses gets no more than that): while an account is under
//     such an attack, only its known browsers get in.
//   - Every attempt also counts per address, whichever user it names.
func (d Deps) passwordLogin(r *http.Request, userID, pw string) (identity.User, error) {
	ip := clientIP(r)
	// Whatever was typed is looked up, counted and recorded as text PostgreSQL takes.
	userID = strings.ToValidUTF8(strings.ReplaceAll(strings.TrimSpace(userID), "\x00", ""), "\uFFFD")
	if len(userID) > 64 {
		userID = strings.ToValidUTF8(userID[:64], "")
	}
	lim := d.Limits.Logins
	buckets := []database.LoginBucket{loginBucket("ip:"+ip, lim.PerAddress)}
	if device, ok := d.deviceOf(r, userID); ok {
		buckets = append(buckets, loginBucket("device:"+device, lim.PerDevice))
	} else {
		buckets = append(buckets, loginBucket("user+ip:"+ip+" "+userID, lim.PerUserAddress), loginBucket("user:"+userID, lim.PerUser))
	}
	ok, wait, err := d.DB.LoginTake(r.Context(), d.Now(), buckets)
	if err != nil {
		return identity.User{}, err
	}
	if !ok {
		return identity.User{}, tooManyLogins(wait)
	}
	login, err := d.DB.LoginByUser(r.Context(), userID)
	if err != nil && !errors.Is(err, database.ErrNotFound) {
		return identity.User{}, err
	}
	stored := login.PasswordHash
	if stored == "" {
		stored = dummyHash()
	}
	hashing <- struct{}{}
	ok, stale, verr := password.Verify(stored, pw, d.Sessions.Password)
	<-hashing
	ok = ok && verr == nil && login.PasswordHash != "" && !login.Disabled
	if !ok {
		// Best effort, like every login entry: a failed login changes nothing.
		d.recordAs(r, "anonymous", "login.failed", "user", userID, map[string]string{"ip": ip})
		return identity.User{}, badLogin()
	}
	keys := make([]string, len(buckets))
	for i, b := range buckets {
		keys[i] = b.Key
	}
	if err := d.DB.LoginRefund(r.Context(), keys); err != nil {
		d.Log.WarnContext(r.Context(), "login attempt not given back", "err", err)
	}
	if stale { // the costs went up since this hash was made: store a stronger one now we can
		if h, err := password.Hash(pw, d.Sessions.Password); err == nil {
			_ = d.DB.UserSetPassword(r.Context(), userID, h, false, d.Now())
		}
	}
	return login.User, nil
}

func loginBucket(key string, r Rate) database.LoginBucket {
	return database.LoginBucket{Key: key, Burst: r.Burst, Rate: 1 / r.Every.Seconds()}
}

// deviceCookie marks a browser its user logged in from before: user, a
// random nonce and a signature (with a key derived from the audit key). It
// proves nothing by itself, it only lets login attempts from that browser
// count against a limit of their own (see passwordLogin). It lasts a year and
// is renewed at each login.
const deviceCookie = "__Host-l2c_device"

func (d Deps) deviceKey() []byte { return d.Audit.Derive("login device cookie") }

func (d Deps) deviceSig(user, nonce string) string {
	m := hmac.New(sha256.New, d.deviceKey())
	m.Write([]byte(user + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// deviceOf returns the nonce of the request's device cookie if it was issued
// to user.
func (d Deps) deviceOf(r *http.Request, user string) (string, bool) {
	c, err := r.Cookie(deviceCookie)
	if err != nil {
		return "", false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return "", false
	}
	who, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(who) != user {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(parts[2]), []byte(d.deviceSig(user, parts[1]))) != 1 {
		return "", false
	}
	return parts[1], true
}

// setDevice gives the browser a fresh device cookie for user.
func (d Deps) setDevice(w http.ResponseWriter, user string) {
	nonce := randomSecret()
	v := base64.RawURLEncoding.EncodeToString([]byte(user)) + "." + nonce + "." + d.deviceSig(user, nonce)
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: v, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func tooManyLogins(wait time.Duration) *Problem {
	p := problem(http.StatusTooManyRequests, probRateLimited, "too many failed logins; try again later")
	p.retryAfter = wait
	return p
}

// openSession starts a session for u and sets its cookie; it returns the
// session's CSRF token.
func (d Deps) openSession(w http.ResponseWriter, r *http.Request, u identity.User, method string) (string, time.Time, error) {
	token := randomSecret()
	now := d.Now()
	expires := now.Add(d.Sessions.TTL)
	if _, err := d.DB.SessionCreate(r.Context(), u.ID, token, method, clientIP(r), r.UserAgent(), now, expires); err != nil {
		return "", time.Time{}, err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	d.setDevice(w, u.ID)
	// Best effort: the session is open either way, and a login changes no
	// business data (a lost entry is logged loudly).
	d.recordAs(r, u.ID, "login", "user", u.ID, map[string]string{"ip": clientIP(r), "method": method})
	return csrfToken(token), expires, nil
}

// closeSession ends the request's session, if any, and clears its cookie.
func (d Deps) closeSession(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		err := d.DB.InTxAudited(r.Context(), d.Audit, func(ctx context.Context) (audit.Entry, error) {
			if err := d.DB.SessionRevoke(ctx, c.Value, d.Now()); err != nil {
				return audit.Entry{}, err
			}
			if u, ok := identity.FromContext(r.Context()); ok {
				return d.entryAs(u.ID, "logout", "user", u.ID, nil), nil
			}
			return audit.Entry{}, nil // a cookie of no live session: nothing to record
		})
		if err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}

// sessionUser finds the user of the request's session cookie; ok is false
// when there is no live session.
func (d Deps) sessionUser(r *http.Request) (u identity.User, csrf string, ok bool, err error) {
	c, cerr := r.Cookie(sessionCookie)
	if cerr != nil || c.Value == "" {
		return u, "", false, nil
	}
	s, err := d.DB.SessionByToken(r.Context(), c.Value, d.Now(), d.Sessions.Idle)
	if errors.Is(err, database.ErrNotFound) {
		return u, "", false, nil
	}
	if err != nil {
		return u, "", false, err
	}
	return s.User, csrfToken(c.Value), true, nil
}

// csrfToken derives a session's CSRF token from its secret: nothing to store,
// and knowing the token does not reveal the session.
func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("l2c csrf\x00" + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// checkCSRF refuses a state-changing request made with a session unless it
// carries the session's CSRF token and, if the browser names its origin, comes
// from this site.
func checkCSRF(r *http.Request, want string) error {
	if safeMethod(r.Method) {
		return nil
	}
	if err := sameOrigin(r); err != nil {
		return err
	}
	got := r.Header.Get(csrfHeader)
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue(csrfField)
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return problem(http.StatusForbidden, probCSRF, "missing or wrong CSRF token: send the session's token in "+csrfHeader)
	}
	return nil
}

// sameOrigin refuses a request a browser says comes from another site.
func sameOrigin(r *http.Request) error {
	if origin := r.Header.Get("Origin"); origin != "" {
		if u, err := url.Parse(origin); err != nil || u.Host != r.Host {
			return problem(http.StatusForbidden, probCSRF, "the request comes from another site")
		}
	}
	return nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// randomSecret is 32 random bytes in URL-safe base64: a session's secret, a
// login form's CSRF token, an SSO state, an API token's body. crypto/rand.Read
// does not fail (Go 1.24 on): it crashes the program rather than return
// fewer random bytes.
func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authRoutes serves /auth: logging in and out for scripts and single-page
// clients, and single sign-on. The pages post to /login and /logout instead.
func (d Deps) authRoutes() http.Handler {
	r := chi.NewRouter()
	serve(r, d.Log, nil,
		at("", "POST /login", d.login),
		at("", "POST /logout", d.logout),
	)
	if d.Sessions.OIDC != nil {
		r.Get("/oidc/login", handle(d.Log, d.Sessions.OIDC.start(d)))
		r.Get("/oidc/callback", handle(d.Log, d.Sessions.OIDC.callback(d)))
	}
	return r
}

func (d Deps) login(w http.ResponseWriter, r *http.Request) error {
	// Only JSON: a cross-site form cannot send it without the browser asking
	// first (CORS), which is what keeps someone else's page from logging you in.
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return problem(http.StatusUnsupportedMediaType, probUnsupportedMediaType, "send the body as application/json")
	}
	var req struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	u, err := d.passwordLogin(r, req.User, req.Password)
	if err != nil {
		return err
	}
	csrf, expires, err := d.openSession(w, r, u, "password")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"user": u, "csrf_token": csrf, "expires_at": expires})
}

func (d Deps) logout(w http.ResponseWriter, r *http.Request) error {
	u, csrf, ok, err := d.sessionUser(r)
	if err != nil {
		return err
	}
	if ok {
		if err := checkCSRF(r, csrf); err != nil {
			return err
		}
		r = r.WithContext(identity.WithUser(r.Context(), u))
	}
	if err := d.closeSession(w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// changePassword lets the caller change their own password: they prove the
// current one (counted like a login attempt), the new one must pass the
// password rules, and every session they have ends, this one included.
func (d Deps) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	me := actor(r)
	if err := password.Check(req.New, me.ID); err != nil {
		return problem(http.StatusUnprocessableEntity, probInvalid, "choose another password",
			deal.FieldError{Field: "new", Message: err.Error()})
	}
	if _, err := d.passwordLogin(r, me.ID, req.Current); err != nil {
		if p, ok := err.(*Problem); ok && p.Status == http.StatusUnauthorized {
			return problem(http.StatusForbidden, probForbidden, "the current password is wrong",
				deal.FieldError{Field: "current", Message: "is wrong"})
		}
		return err
	}
	hashing <- struct{}{}
	h, err := password.Hash(req.New, d.Sessions.Password)
	<-hashing
	if err != nil {
		return err
	}
	// The new password, the end of every session and token, and the entry: one transaction.
	return d.changeAudited(w, r, "", func(ctx context.Context) error {
		return d.DB.UserSetPassword(ctx, me.ID, h, true, d.Now())
	}, func() audit.Entry {
		return d.entry(r, "user.password_changed", "user", me.ID, map[string]bool{"sessions_ended": true, "tokens_revoked": true})
	})
}

// sessions lists the caller's open sessions, so they can spot one they do not
// recognise and end it.
func (d Deps) sessions(w http.ResponseWriter, r *http.Request) error {
	token := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		token = c.Value
	}
	list, err := d.DB.SessionsLive(r.Context(), actor(r).ID, token, d.Now(), d.Sessions.Idle)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sessions": list})
}

// endSession ends one of the caller's sessions; another's is a 404.
func (d Deps) endSession(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "session")
	if err != nil {
		return err
	}
	return d.changeAudited(w, r, "session", func(ctx context.Context) error {
		return d.DB.SessionEnd(ctx, id, actor(r).ID, d.Now())
	}, func() audit.Entry {
		return d.entry(r, "session.end", "user", actor(r).ID, map[string]int64{"session": id})
	})
}

// changeAudited makes change and its audit entry in one transaction and
// answers 204; with what, database.ErrNotFound is a 404 "no such <what>".
func (d Deps) changeAudited(w http.ResponseWriter, r *http.Request, what string, change func(ctx context.Context) error,
	entry func() audit.Entry) error {
	err := d.inTxAudited(r, change, entry)
	if what != "" && errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusNotFound, probNotFound, "no such "+what)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
