package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/password"
	"github.com/l2c/l2c/internal/testenv"
)

// browser keeps cookies the way a browser does for l2c's __Host- cookies and
// never follows redirects, so a test sees each answer. (Go's cookie jar will
// not send Secure cookies to the plain-HTTP test server.)
type browser struct {
	t       *testing.T
	base    string
	cookies map[string]string
	lang    string
}

type page struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func newBrowser(t *testing.T, base string) *browser {
	return &browser{t: t, base: base, cookies: map[string]string{}}
}

var sessionSeq atomic.Int64

// pagesSession is a browser logged in as user (a session made in the
// database, as logging in makes one), for page tests that need no Chromium
// and keep password hashing and the login limits out of their way.
func pagesSession(t *testing.T, s *stack, user string) *browser {
	t.Helper()
	b := newBrowser(t, s.url)
	secret := fmt.Sprintf("pages-%s-%d-%d", user, time.Now().UnixNano(), sessionSeq.Add(1))
	_, err := s.db.SessionCreate(context.Background(), user, secret, "password", "", "", time.Now(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	b.cookies["__Host-l2c_session"] = secret
	return b
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (b *browser) do(method, path, contentType, body string, header ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	require.NoError(b.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := noRedirects.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(b.t, err)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	p := page{status: res.StatusCode, header: res.Header, body: string(raw)}
	_ = json.Unmarshal(raw, &p.json)
	return p
}

func (b *browser) form(path string, v url.Values, header ...string) page {
	b.t.Helper()
	return b.do("POST", path, "application/x-www-form-urlencoded", v.Encode(), header...)
}

// loginJSON logs in through /auth/login and returns the session's CSRF token.
func (b *browser) loginJSON(user, pw string) string {
	b.t.Helper()
	p := b.do("POST", "/auth/login", "application/json", `{"user":"`+user+`","password":"`+pw+`"}`)
	require.Equal(b.t, 200, p.status, p.body)
	return p.json["csrf_token"].(string)
}

// fastHash stores a cheap hash so tests stay quick; the first login replaces
// it with one at today's cost (see TestPasswordLoginSessionAndCSRF).
func setPassword(t *testing.T, s *stack, user, pw string) {
	t.Helper()
	h, err := password.Hash(pw, password.Params{MemoryKiB: 64, Time: 1, Threads: 1})
	require.NoError(t, err)
	require.NoError(t, s.db.UserSetPassword(context.Background(), user, h, true, time.Now()))
}

func auditActions(t *testing.T, s *stack, objectID string) []string {
	t.Helper()
	r := s.do("GET", "/api/v1/audit?object_type=user&object_id="+objectID+"&limit=500", "tok-admin", "")
	require.Equal(t, 200, r.status, r.raw)
	var out []string
	for _, e := range r.body["entries"].([]any) {
		out = append(out, e.(map[string]any)["action"].(string))
	}
	return out
}

func TestPasswordLoginSessionAndCSRF(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "zhao", "zhao's long passphrase")
	b := newBrowser(t, s.url)

	// A wrong password and an unknown user get the same answer.
	wrong := b.do("POST", "/auth/login", "application/json", `{"user":"zhao","password":"guess guess guess"}`)
	nobody := b.do("POST", "/auth/login", "application/json", `{"user":"nobody-here","password":"guess guess guess"}`)
	require.Equal(t, 401, wrong.status, wrong.body)
	require.Equal(t, 401, nobody.status, nobody.body)
	require.Equal(t, wrong.json["detail"], nobody.json["detail"])
	require.Empty(t, b.cookies)
	// A login must be JSON: a cross-site form cannot post it.
	form := b.do("POST", "/auth/login", "application/x-www-form-urlencoded", "user=zhao&password=zhao%27s+long+passphrase")
	require.Equal(t, 415, form.status, form.body)

	p := b.do("POST", "/auth/login", "application/json", `{"user":"zhao","password":"zhao's long passphrase"}`)
	require.Equal(t, 200, p.status, p.body)
	csrf := p.json["csrf_token"].(string)
	require.NotEmpty(t, csrf)
	cookie := p.header.Get("Set-Cookie")
	require.Contains(t, cookie, "__Host-l2c_session=")
	for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		require.Contains(t, cookie, attr)
	}
	require.NotContains(t, cookie, "Domain=")

	// The stored hash is argon2id, and the cheap one was replaced at today's cost.
	login, err := s.db.LoginByUser(context.Background(), "zhao")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(login.PasswordHash, "$argon2id$v=19$m=47104,t=1,p=1$"), login.PasswordHash)

	me := b.do("GET", "/api/v1/me", "", "")
	require.Equal(t, 200, me.status, me.body)
	require.Equal(t, "zhao", me.json["id"])

	// Changes under a session need its CSRF token, from this site.
	tokens := func() int64 {
		var n int64
		require.NoError(t, s.db.CountRows(context.Background(), "api_tokens", &n))
		return n
	}
	before := tokens()
	body := `{"name":"script","scopes":["read"],"expires_in_days":1,"password":"zhao's long passphrase"}`
	for _, c := range []struct {
		name   string
		header []string
	}{
		{"no token", nil},
		{"wrong token", []string{"X-CSRF-Token", csrf + "x"}},
		{"another site", []string{"X-CSRF-Token", csrf, "Origin", "https://evil.example"}},
	} {
		r := b.do("POST", "/api/v1/tokens", "application/json", body, c.header...)
		require.Equal(t, 403, r.status, "%s: %s", c.name, r.body)
		require.Equal(t, "/problems/csrf", r.json["type"], c.name)
	}
	require.Equal(t, before, tokens(), "a refused request changed nothing")
	ok := b.do("POST", "/api/v1/tokens", "application/json", body, "X-CSRF-Token", csrf, "Origin", s.url)
	require.Equal(t, 201, ok.status, ok.body)
	require.Equal(t, before+1, tokens())

	// Logging out ends the session: the same cookie is refused afterwards.
	stolen := b.cookies["__Host-l2c_session"]
	require.Equal(t, 403, b.do("POST", "/auth/logout", "", "").status, "logout needs the CSRF token too")
	require.Equal(t, 204, b.do("POST", "/auth/logout", "", "", "X-CSRF-Token", csrf).status)
	thief := newBrowser(t, s.url)
	thief.cookies["__Host-l2c_session"] = stolen
	require.Equal(t, 401, thief.do("GET", "/api/v1/me", "", "").status)

	require.Subset(t, auditActions(t, s, "zhao"), []string{"login.failed", "login", "logout"})
	require.Contains(t, auditActions(t, s, "nobody-here"), "login.failed")
}

func TestFailedLoginsAreLimitedPerUser(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "chen", "chen's long passphrase")
	b := newBrowser(t, s.url)
	for i := range 5 {
		r := b.do("POST", "/auth/login", "application/json", `{"user":"chen","password":"wrong password `+string(rune('a'+i))+`"}`)
		require.Equal(t, 401, r.status, r.body)
	}
	// The sixth try is refused before the password is looked at, even the right one.
	r := b.do("POST", "/auth/login", "application/json", `{"user":"chen","password":"chen's long passphrase"}`)
	require.Equal(t, 429, r.status, r.body)
	require.NotEmpty(t, r.header.Get("Retry-After"))
	require.Empty(t, b.cookies)
}

func TestSessionsEndWhenIdlePasswordChangedOrUserDisabled(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	setPassword(t, s, "sun", "sun's long passphrase")

	idle := newBrowser(t, s.url)
	idle.loginJSON("sun", "sun's long passphrase")
	require.Equal(t, 200, idle.do("GET", "/api/v1/me", "", "").status)
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	_, err := conn.Exec(ctx, `UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = 'sun'`)
	require.NoError(t, err)
	require.Equal(t, 401, idle.do("GET", "/api/v1/me", "", "").status, "30 minutes unused ends a session")

	b := newBrowser(t, s.url)
	b.loginJSON("sun", "sun's long passphrase")
	require.Equal(t, 200, b.do("GET", "/api/v1/me", "", "").status)
	setPassword(t, s, "sun", "sun's new passphrase!")
	require.Equal(t, 401, b.do("GET", "/api/v1/me", "", "").status, "a new password ends the old sessions")

	b.loginJSON("sun", "sun's new passphrase!")
	require.NoError(t, s.db.UserSetDisabled(ctx, "sun", true, time.Now()))
	defer func() { require.NoError(t, s.db.UserSetDisabled(ctx, "sun", false, time.Now())) }()
	require.Equal(t, 401, b.do("GET", "/api/v1/me", "", "").status, "a disabled user's session ends")
	require.Equal(t, 401, s.do("GET", "/api/v1/me", "tok-sun", "").status, "and their tokens stop working")
	require.Equal(t, 401, b.do("POST", "/auth/login", "application/json", `{"user":"sun","password":"sun's new passphrase!"}`).status)
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func TestLoginPageAndDecidingFromTheInbox(t *testing.T) {
	s := setup(t)
	_, caseID := s.inContractReview(`"contract_no":"HT-PAGE","amount":"100"`)
	setPassword(t, s, "li", "li's long passphrase")
	b := newBrowser(t, s.url)

	// Without a session the inbox sends the browser to log in.
	r := b.do("GET", "/inbox", "", "")
	require.Equal(t, 303, r.status)
	require.Equal(t, "/login?next=/inbox", r.header.Get("Location"))

	login := b.do("GET", "/login?next=/inbox", "", "")
	require.Equal(t, 200, login.status)
	require.Contains(t, login.header.Get("Content-Security-Policy"), "form-action 'self'")
	require.Equal(t, "DENY", login.header.Get("X-Frame-Options"))
	m := csrfInput.FindStringSubmatch(login.body)
	require.Len(t, m, 2, login.body)

	// Login CSRF: a form posted from elsewhere has no matching token and logs nobody in.
	forged := newBrowser(t, s.url)
	r = forged.form("/login", url.Values{"user": {"li"}, "password": {"li's long passphrase"}, "csrf_token": {m[1]}})
	require.Equal(t, 403, r.status)
	require.NotContains(t, forged.cookies, "__Host-l2c_session")

	r = b.form("/login", url.Values{"user": {"li"}, "password": {"not it at all"}, "csrf_token": {m[1]}, "next": {"/inbox"}})
	require.Equal(t, 401, r.status)
	require.Contains(t, r.body, "the user name or password is wrong")
	m = csrfInput.FindStringSubmatch(r.body)
	// An open redirect is not possible: next must be a path on this site.
	r = b.form("/login", url.Values{"user": {"li"}, "password": {"li's long passphrase"}, "csrf_token": {m[1]}, "next": {"//evil.example/"}})
	require.Equal(t, 303, r.status, r.body)
	require.Equal(t, "/inbox", r.header.Get("Location"))

	b.lang = "zh-CN,zh;q=0.9"
	inbox := b.do("GET", "/inbox", "", "")
	require.Equal(t, 200, inbox.status)
	require.Contains(t, inbox.body, "我的审批")
	require.Contains(t, inbox.body, caseID)
	m = csrfInput.FindStringSubmatch(inbox.body)
	require.Len(t, m, 2)

	decide := url.Values{"case": {caseID}, "approve": {"true"}, "note": {"fine"}}
	r = b.form("/inbox/decide", decide)
	require.Equal(t, 403, r.status, "a form without the CSRF token is refused")
	c := s.waitCase(caseID, func(map[string]any) bool { return true })
	require.Contains(t, holders(c), "li", "and changed nothing")

	decide.Set("csrf_token", m[1])
	r = b.form("/inbox/decide", decide)
	require.Equal(t, 303, r.status, r.body)
	require.Equal(t, "/inbox?done=approved&case="+url.QueryEscape(caseID), r.header.Get("Location"))
	s.waitCase(caseID, func(c map[string]any) bool { return !strings.Contains(strings.Join(holders(c), ","), "li") })
	done := b.do("GET", r.header.Get("Location"), "", "")
	require.Contains(t, done.body, "已同意")
	require.NotContains(t, done.body, `value="`+caseID+`"`)

	// Deciding again is refused with the workflow's reason, shown on the page.
	r = b.form("/inbox/decide", decide)
	require.GreaterOrEqual(t, r.status, 400)
	require.Contains(t, r.body, `class="error"`)

	// Someone not involved, who may not see the deal, cannot even learn the
	// case exists (zhou, delivery, now sees the ordered deal and so its review).
	setPassword(t, s, "liu", "liu's long passphrase")
	other := newBrowser(t, s.url)
	csrf := other.loginJSON("liu", "liu's long passphrase")
	r = other.form("/inbox/decide", url.Values{"case": {caseID}, "approve": {"true"}, "csrf_token": {csrf}})
	require.Equal(t, 404, r.status)

	// Logging out from the page ends the session.
	r = b.form("/logout", url.Values{"csrf_token": {m[1]}})
	require.Equal(t, 303, r.status)
	require.Equal(t, 303, b.do("GET", "/inbox", "", "").status)
}

func TestChangingOwnPassword(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "he", "he's long passphrase")
	b := newBrowser(t, s.url)
	csrf := b.loginJSON("he", "he's long passphrase")
	other := newBrowser(t, s.url)
	other.loginJSON("he", "he's long passphrase")

	for body, field := range map[string]string{
		`{"current":"he's long passphrase","new":"short"}`:            "new",
		`{"current":"he's long passphrase","new":"hhhhhhhhhhhhhhhh"}`: "new",
		`{"current":"not my password","new":"a fine new passphrase"}`: "current",
	} {
		r := b.do("POST", "/api/v1/me/password", "application/json", body, "X-CSRF-Token", csrf)
		require.Contains(t, []int{403, 422}, r.status, r.body)
		require.Equal(t, field, r.json["errors"].([]any)[0].(map[string]any)["field"], body)
	}
	require.Equal(t, 200, other.do("GET", "/api/v1/me", "", "").status, "refused changes end nothing")

	r := b.do("POST", "/api/v1/me/password", "application/json", `{"current":"he's long passphrase","new":"a fine new passphrase"}`, "X-CSRF-Token", csrf)
	require.Equal(t, 204, r.status, r.body)
	require.Equal(t, 401, other.do("GET", "/api/v1/me", "", "").status, "every session ends")
	require.Equal(t, 401, b.do("POST", "/auth/login", "application/json", `{"user":"he","password":"he's long passphrase"}`).status)
	b.loginJSON("he", "a fine new passphrase")
	require.Contains(t, auditActions(t, s, "he"), "user.password_changed")
}

func TestSeeingAndEndingOwnSessions(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "wu", "wu's long passphrase")
	laptop, phone := newBrowser(t, s.url), newBrowser(t, s.url)
	csrf := laptop.loginJSON("wu", "wu's long passphrase")
	phone.loginJSON("wu", "wu's long passphrase")

	list := laptop.do("GET", "/api/v1/me/sessions", "", "")
	require.Equal(t, 200, list.status, list.body)
	sessions := list.json["sessions"].([]any)
	require.Len(t, sessions, 2)
	var other float64
	for _, x := range sessions {
		m := x.(map[string]any)
		require.NotContains(t, m, "token_sha256")
		if m["current"] == false {
			other = m["id"].(float64)
		}
	}
	require.NotZero(t, other)

	// Nobody else can end it, not even knowing its number.
	require.Equal(t, 404, s.do("DELETE", "/api/v1/me/sessions/"+strconv.Itoa(int(other)), "tok-sun", "").status)
	require.Equal(t, 200, phone.do("GET", "/api/v1/me", "", "").status)

	r := laptop.do("DELETE", "/api/v1/me/sessions/"+strconv.Itoa(int(other)), "", "", "X-CSRF-Token", csrf)
	require.Equal(t, 204, r.status, r.body)
	require.Equal(t, 401, phone.do("GET", "/api/v1/me", "", "").status, "the phone's session is over")
	require.Equal(t, 200, laptop.do("GET", "/api/v1/me", "", "").status, "the laptop's is not")
}
