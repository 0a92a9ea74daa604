package api_test

// Attack tests for the authentication and audit controls of issue 10 (items
// 8 in part, 9 to 13, 17): each tries to get around a control and checks both
// the refusal and that nothing changed.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/api"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// authUser makes a test user of this stream's own, with token "tok-<id>".
func authUser(t *testing.T, s *stack, id, team, manager string, roles ...identity.Role) {
	t.Helper()
	require.NoError(t, s.db.UserUpsert(context.Background(), identity.User{ID: id, Name: id, Team: team, Roles: roles}, manager, "tok-"+id))
}

// authClock is a clock a test moves by hand.
type authClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *authClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *authClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// authReplica is a router of its own on the shared database, with the real
// limits, whose clients say which address they come from in X-Test-Addr (the
// test server sees 127.0.0.1 for all of them).
func authReplica(t *testing.T, s *stack, deps func(*api.Deps)) *httptest.Server {
	t.Helper()
	d := api.Deps{DB: s.db, Temporal: s.tc, Location: shanghai, Log: discard(), Audit: testenv.AuditChain(t),
		Limits: api.NewLimits(1e6, 1e6)}
	if deps != nil {
		deps(&d)
	}
	h := api.NewRouter(d)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("X-Test-Addr"); a != "" {
			r.RemoteAddr = a + ":40000"
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func authCount(t *testing.T, s *stack, sql string, args ...any) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.DatabaseURL(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int64
	require.NoError(t, conn.QueryRow(ctx, sql, args...).Scan(&n))
	return n
}

func authExec(t *testing.T, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.DatabaseURL(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	require.NoError(t, err)
}

// Item 10: a formula planted through a failed login's user name must not
// come out of the CSV export as a formula.
func TestAuthAuditCSVNeutralisesFormulas(t *testing.T) {
	s := setup(t)
	planted := `=HYPERLINK("http://e.x","x")`
	b := newBrowser(t, s.url)
	r := b.do("POST", "/auth/login", "application/json", `{"user":"=HYPERLINK(\"http://e.x\",\"x\")","password":"whatever it is"}`)
	require.Equal(t, 401, r.status, r.body)

	res := s.do("GET", "/api/v1/audit?format=csv&action=login.failed", "tok-admin", "")
	require.Equal(t, 200, res.status)
	rows, err := csv.NewReader(strings.NewReader(res.raw)).ReadAll()
	require.NoError(t, err)
	found := false
	for _, row := range rows {
		for _, cell := range row {
			require.False(t, strings.HasPrefix(cell, "=") || strings.HasPrefix(cell, "+") || strings.HasPrefix(cell, "@") ||
				strings.HasPrefix(cell, "\t") || strings.HasPrefix(cell, "\r"), "a cell a spreadsheet runs: %q", cell)
			if cell == "'"+planted {
				found = true
			}
		}
	}
	require.True(t, found, "the user name is kept, as text: %s", res.raw)
	// The trail itself keeps what was typed: the MAC covers it.
	j := s.do("GET", "/api/v1/audit?action=login.failed&object_id="+url.QueryEscape(planted), "tok-admin", "")
	require.Equal(t, 200, j.status, j.raw)
	require.NotEmpty(t, j.body["entries"])
	require.Equal(t, planted, j.body["entries"].([]any)[0].(map[string]any)["object_id"])
}

// Item 13: after logging in, the browser goes only to a path on this site.
func TestAuthLoginRedirectStaysOnSite(t *testing.T) {
	s := setup(t)
	authUser(t, s, "auth-redirect", "", "", identity.RoleSales)
	setPassword(t, s, "auth-redirect", "auth-redirect's passphrase")
	for next, want := range map[string]string{
		"/\t/evil.example/":  "/inbox",
		"/%09/evil.example/": "/inbox",
		"//evil":             "/inbox",
		"/\\evil":            "/inbox",
		"https://evil":       "/inbox",
		"/%2F%2Fevil":        "/inbox",
		"/%5Cevil":           "/inbox",
		"/\x00x":             "/inbox",
		"/ok/path?x=1":       "/ok/path?x=1",
	} {
		b := newBrowser(t, s.url)
		// The link an attacker sends: /login?next=…, as a browser encodes it.
		form := b.do("GET", "/login?next="+url.QueryEscape(next), "", "")
		require.Equal(t, 200, form.status)
		m := csrfInput.FindStringSubmatch(form.body)
		require.Len(t, m, 2)
		require.NotContains(t, form.body, "evil", "the form does not carry the target on: %q", next)
		r := b.form("/login", url.Values{"user": {"auth-redirect"}, "password": {"auth-redirect's passphrase"},
			"csrf_token": {m[1]}, "next": {next}})
		require.Equal(t, 303, r.status, r.body)
		require.Equal(t, want, r.header.Get("Location"), "next=%q", next)
	}
}

// Item 12: minting a token needs the password again, and a changed password
// ends every token made with the old one.
func TestAuthTokensNeedThePasswordAndDieWithIt(t *testing.T) {
	s := setup(t)
	authUser(t, s, "auth-tok", "", "", identity.RoleSales)
	setPassword(t, s, "auth-tok", "auth-tok's passphrase")
	tokens := func() int64 {
		return authCount(t, s, `SELECT count(*) FROM api_tokens WHERE user_id = 'auth-tok'`)
	}
	before := tokens()
	body := func(pw string) string {
		b := `{"name":"script","scopes":["read","write"],"expires_in_days":365`
		if pw != "" {
			b += `,"password":"` + pw + `"`
		}
		return b + `}`
	}

	// A stolen cookie session, and a bearer token, alike.
	thief := newBrowser(t, s.url)
	csrf := thief.loginJSON("auth-tok", "auth-tok's passphrase")
	for name, try := range map[string]func(string) (int, string){
		"session": func(b string) (int, string) {
			p := thief.do("POST", "/api/v1/tokens", "application/json", b, "X-CSRF-Token", csrf)
			return p.status, p.body
		},
		"bearer": func(b string) (int, string) {
			p := s.do("POST", "/api/v1/tokens", "tok-auth-tok", b)
			return p.status, p.raw
		},
	} {
		st, raw := try(body(""))
		require.Contains(t, []int{403, 422}, st, "%s without the password: %s", name, raw)
		require.Contains(t, raw, `"field":"password"`, name)
		st, raw = try(body("a wrong password"))
		require.Equal(t, 403, st, "%s with a wrong password: %s", name, raw)
		require.Contains(t, raw, `"field":"password"`, name)
		require.Equal(t, before, tokens(), "%s: no token was made", name)
	}

	r := s.do("POST", "/api/v1/tokens", "tok-auth-tok", body("auth-tok's passphrase"))
	require.Equal(t, 201, r.status, r.raw)
	minted := r.body["token"].(string)
	require.Equal(t, 200, s.do("GET", "/api/v1/me", minted, "").status)

	// Changing the password (the owner noticed the theft) ends the minted token.
	owner := newBrowser(t, s.url)
	ocsrf := owner.loginJSON("auth-tok", "auth-tok's passphrase")
	p := owner.do("POST", "/api/v1/me/password", "application/json",
		`{"current":"auth-tok's passphrase","new":"fresh words for the owner"}`, "X-CSRF-Token", ocsrf)
	require.Equal(t, 204, p.status, p.body)
	require.Equal(t, 401, s.do("GET", "/api/v1/me", minted, "").status, "the token died with the password")

	// And so does `l2c users password` (it calls UserSetPassword with endSessions).
	r = s.do("POST", "/api/v1/tokens", "tok-auth-tok", body("fresh words for the owner"))
	require.Equal(t, 201, r.status, r.raw)
	minted = r.body["token"].(string)
	setPassword(t, s, "auth-tok", "yet another phrase, third")
	require.Equal(t, 401, s.do("GET", "/api/v1/me", minted, "").status)
}

// Item 11: parallel guesses, on two replicas, are counted before the
// password is looked at: at most the burst reaches it.
func TestAuthParallelGuessesAreCountedFirst(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "he", "he's long passphrase")
	replicas := []*httptest.Server{authReplica(t, s, nil), authReplica(t, s, nil)}
	failedBefore := authCount(t, s, `SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND object_id = 'he'`)

	var unauthorized, limited, other atomic.Int64
	for round := range 2 {
		testenv.InParallel(30, 30, func(i int) {
			r, err := send("POST", replicas[i%2].URL+"/auth/login", "", "application/json",
				strings.NewReader(fmt.Sprintf(`{"user":"he","password":"guess %d-%d"}`, round, i)), "X-Test-Addr", "10.11.0.1")
			switch {
			case err != nil:
				other.Add(1)
			case r.status == 401:
				unauthorized.Add(1)
			case r.status == 429:
				limited.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	require.Zero(t, other.Load())
	require.LessOrEqual(t, unauthorized.Load(), int64(5), "at most five guesses reach the password check")
	require.GreaterOrEqual(t, unauthorized.Load(), int64(1))
	require.Equal(t, int64(60), unauthorized.Load()+limited.Load())
	failed := authCount(t, s, `SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND object_id = 'he'`)
	require.Equal(t, unauthorized.Load(), failed-failedBefore, "only the guesses that were checked are failed logins")

	// He, at his own desk, is not locked out by the guesser.
	b := newBrowser(t, replicas[0].URL)
	p := b.do("POST", "/auth/login", "application/json", `{"user":"he","password":"he's long passphrase"}`, "X-Test-Addr", "10.11.0.2")
	require.Equal(t, 200, p.status, p.body)
}

// Item 11: a slow guesser elsewhere (one every 12 s, forever) does not lock
// the user out of their own address, and a guesser spread over many
// addresses who exhausts the user's ceiling does not lock out a browser the
// user logged in from before.
func TestAuthGuessersElsewhereDoNotLockTheUserOut(t *testing.T) {
	s := setup(t)
	clock := &authClock{now: time.Now()}
	srv := authReplica(t, s, func(d *api.Deps) { d.Now = clock.Now })
	login := func(b *browser, user, pw, addr string) page {
		return b.do("POST", "/auth/login", "application/json", `{"user":"`+user+`","password":"`+pw+`"}`, "X-Test-Addr", addr)
	}

	setPassword(t, s, "he", "he's long passphrase")
	attacker := newBrowser(t, srv.URL)
	for i := range 20 {
		r := login(attacker, "he", fmt.Sprintf("drip %d", i), "10.12.0.1")
		require.Contains(t, []int{401, 429}, r.status, r.body)
		home := newBrowser(t, srv.URL)
		require.Equal(t, 200, login(home, "he", "he's long passphrase", "10.12.0.2").status, "guess %d", i)
		clock.add(12 * time.Second)
	}

	// The ceiling: 60 addresses, one guess each, for one user.
	authUser(t, s, "auth-victim", "", "", identity.RoleSales)
	setPassword(t, s, "auth-victim", "auth-victim's passphrase")
	known := newBrowser(t, srv.URL)
	require.Equal(t, 200, login(known, "auth-victim", "auth-victim's passphrase", "10.13.0.1").status)
	known.do("POST", "/auth/logout", "", "", "X-Test-Addr", "10.13.0.1")
	delete(known.cookies, "__Host-l2c_session")
	for i := range 60 {
		r := login(newBrowser(t, srv.URL), "auth-victim", "spray", fmt.Sprintf("10.14.%d.%d", i/200, i%200+1))
		require.Contains(t, []int{401, 429}, r.status, r.body)
	}
	stranger := newBrowser(t, srv.URL)
	r := login(stranger, "auth-victim", "auth-victim's passphrase", "10.13.0.9")
	require.Equal(t, 429, r.status, "an unknown browser waits while the account is under attack: %s", r.body)
	require.Empty(t, stranger.cookies["__Host-l2c_session"])
	r = login(known, "auth-victim", "auth-victim's passphrase", "10.13.0.1")
	require.Equal(t, 200, r.status, "the browser the user logged in from before still gets in: %s", r.body)
}

// authBroken makes every audit append by actor fail, as a full disk or a
// revoked grant would, until the test ends.
func authBroken(t *testing.T, actor string) {
	authExec(t, `CREATE OR REPLACE FUNCTION auth_test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.actor = '`+actor+`' THEN RAISE EXCEPTION 'audit refused for the test'; END IF; RETURN NEW; END $$`)
	authExec(t, `DROP TRIGGER IF EXISTS auth_test_refuse_audit ON audit_log`)
	authExec(t, `CREATE TRIGGER auth_test_refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION auth_test_refuse_audit()`)
	t.Cleanup(func() { authExec(t, `DROP TRIGGER IF EXISTS auth_test_refuse_audit ON audit_log`) })
}

// Item 9: a change whose audit entry cannot be written does not happen.
func TestAuthChangesFailWithoutTheirAuditEntry(t *testing.T) {
	s := setup(t)
	authUser(t, s, "auth-broken", "", "", identity.RoleAdmin)
	setPassword(t, s, "auth-broken", "auth-broken's passphrase")
	b := newBrowser(t, s.url)
	csrf := b.loginJSON("auth-broken", "auth-broken's passphrase")
	other := newBrowser(t, s.url)
	other.loginJSON("auth-broken", "auth-broken's passphrase")
	sessions := b.do("GET", "/api/v1/me/sessions", "", "")
	var otherID float64
	for _, x := range sessions.json["sessions"].([]any) {
		if m := x.(map[string]any); m["current"] == false {
			otherID = m["id"].(float64)
		}
	}
	require.NotZero(t, otherID)
	keep, err := s.db.TokenCreate(context.Background(), "auth-broken", "keep", []string{"read"}, "auth-broken-keep", time.Now().Add(time.Hour))
	require.NoError(t, err)
	keepID := fmt.Sprint(keep.ID)
	cal := s.do("GET", "/api/v1/calendars/default", "tok-auth-broken", "")
	schedules := s.do("GET", "/api/v1/sync/schedules", "tok-auth-broken", "")
	require.Equal(t, 200, schedules.status, schedules.raw)
	tokens := authCount(t, s, `SELECT count(*) FROM api_tokens WHERE user_id = 'auth-broken' AND revoked_at IS NULL`)
	entries := authCount(t, s, `SELECT count(*) FROM audit_log`)

	authBroken(t, "auth-broken")
	for _, c := range []struct{ name, method, path, body string }{
		{"token revoke", "DELETE", "/api/v1/tokens/" + keepID, ""},
		{"password change", "POST", "/api/v1/me/password", `{"current":"auth-broken's passphrase","new":"a brand new passphrase"}`},
		{"session end", "DELETE", fmt.Sprintf("/api/v1/me/sessions/%.0f", otherID), ""},
		{"calendar", "PUT", "/api/v1/calendars/auth-broken", `{"name":"x","time_zone":"Asia/Shanghai","weekdays":["mon","tue","wed","thu","fri"],"hours":[{"start":"09:00","end":"18:00"}]}`},
		{"sync schedule", "PUT", "/api/v1/sync/schedules/customers", `{"spec":"*/7 * * * *","enabled":true}`},
		{"token create", "POST", "/api/v1/tokens", `{"name":"x","scopes":["read"],"expires_in_days":5,"password":"auth-broken's passphrase"}`},
	} {
		p := b.do(c.method, c.path, "application/json", c.body, "X-CSRF-Token", csrf)
		require.Equal(t, 500, p.status, "%s: %s", c.name, p.body)
	}
	require.Equal(t, tokens, authCount(t, s, `SELECT count(*) FROM api_tokens WHERE user_id = 'auth-broken' AND revoked_at IS NULL`))
	require.Equal(t, entries, authCount(t, s, `SELECT count(*) FROM audit_log`))
	require.Equal(t, 200, other.do("GET", "/api/v1/me", "", "").status, "the other session is still open")
	require.Equal(t, 404, s.do("GET", "/api/v1/calendars/auth-broken", "tok-admin", "").status)
	require.Equal(t, cal.raw, s.do("GET", "/api/v1/calendars/default", "tok-admin", "").raw)
	require.Equal(t, schedules.raw, s.do("GET", "/api/v1/sync/schedules", "tok-admin", "").raw)
	require.Equal(t, 200, newBrowser(t, s.url).do("POST", "/auth/login", "application/json",
		`{"user":"auth-broken","password":"auth-broken's passphrase"}`).status, "the password is unchanged")
}

// Item 9: a request to change terms, and an import, whose entries cannot be
// written leave no request, no workflow and no import behind.
func TestAuthTermsChangeAndImportFailWithoutTheirAuditEntry(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	authUser(t, s, "auth-broken-rep", "", "", identity.RoleSales, identity.RoleSalesManager)
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{{Code: "AUTH-T1", Name: "Auth Terms Ltd", PaymentTerms: "NT30",
		SalesOwner: "auth-broken-rep", Source: "manual"}}, nil)
	require.NoError(t, err)
	changes := func() int64 {
		return authCount(t, s, `SELECT count(*) FROM terms_changes WHERE customer_code = 'AUTH-T1'`)
	}
	jobs := func() int64 {
		return authCount(t, s, `SELECT count(*) FROM import_jobs WHERE created_by = 'auth-broken-rep'`)
	}
	entries := authCount(t, s, `SELECT count(*) FROM audit_log`)

	authBroken(t, "auth-broken-rep")
	r := s.do("POST", "/api/v1/customers/AUTH-T1/terms-changes", "tok-auth-broken-rep", `{"payment_terms":"NT60","reason":"a big order"}`)
	require.Equal(t, 500, r.status, r.raw)
	require.Zero(t, changes(), "no request recorded, so no workflow was started for one")
	status, _, raw := s.upload("POST", "/api/v1/imports/customers", "auth-broken-rep", "text/csv", strings.NewReader("客户编码,客户名称\nAUTH-T2,x\n"))
	require.Equal(t, 500, status, string(raw))
	require.Zero(t, jobs(), "no import recorded")
	require.Equal(t, 0, int(authCount(t, s, `SELECT count(*) FROM customers WHERE code = 'AUTH-T2'`)), "nothing imported")
	require.Equal(t, entries, authCount(t, s, `SELECT count(*) FROM audit_log`))

	// With the audit trail back, the same requests go through and are recorded.
	authExec(t, `DROP TRIGGER IF EXISTS auth_test_refuse_audit ON audit_log`)
	r = s.do("POST", "/api/v1/customers/AUTH-T1/terms-changes", "tok-auth-broken-rep", `{"payment_terms":"NT60","reason":"a big order"}`)
	require.Equal(t, 202, r.status, r.raw)
	require.Equal(t, int64(1), changes())
}

// Item 9: administrative changes are audited: calendars, sync schedules, imports.
func TestAuthAdministrativeChangesAreAudited(t *testing.T) {
	s := setup(t)
	actions := func(objectType, objectID string) []string {
		r := s.do("GET", "/api/v1/audit?object_type="+objectType+"&object_id="+url.QueryEscape(objectID)+"&limit=1000", "tok-admin", "")
		require.Equal(t, 200, r.status, r.raw)
		var out []string
		for _, e := range r.body["entries"].([]any) {
			out = append(out, e.(map[string]any)["action"].(string))
		}
		return out
	}
	r := s.do("PUT", "/api/v1/calendars/auth-audited", "tok-admin",
		`{"name":"x","time_zone":"Asia/Shanghai","weekdays":["mon","tue","wed","thu","fri"],"hours":[{"start":"09:00","end":"18:00"}]}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, []string{"calendar.save"}, actions("calendar", "auth-audited"))

	r = s.do("PUT", "/api/v1/sync/schedules/payments", "tok-admin", `{"spec":"*/11 * * * *","enabled":false}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Contains(t, actions("sync_schedule", "payments"), "sync.schedule.save")

	importUsers(t, s)
	status, _, raw := s.upload("POST", "/api/v1/imports/customers?dry_run=true", "zhao", "text/csv",
		strings.NewReader("客户编码,客户名称\nAUTH-A1,x\nAUTH-A2,y\n"))
	require.Equal(t, 201, status, string(raw))
	id := strings.Split(strings.Split(string(raw), `"id":`)[1], ",")[0]
	require.Equal(t, []string{"import.started", "import.finished"}, actions("import", id))
	e := s.do("GET", "/api/v1/audit?object_type=import&object_id="+id+"&action=import.finished", "tok-admin", "")
	require.Contains(t, e.raw, `"accepted":2`, "with its counts")
}

// Item 9: the trail is held against checkpoints kept outside the database.
func TestAuthAuditVerifyHoldsAgainstCheckpoints(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	srv := authReplica(t, s, func(d *api.Deps) { d.AuditCheckpoints = file })
	verify := func() map[string]any {
		r := mustSend(t, "GET", srv.URL+"/api/v1/audit/verify", "tok-admin", "", nil)
		require.Equal(t, 200, r.status, r.raw)
		require.NoError(t, json.Unmarshal([]byte(r.raw), &r.body))
		return r.body
	}
	chain := testenv.AuditChain(t)
	cp, err := s.db.AuditCheckpoint(ctx, chain, time.Now())
	require.NoError(t, err)
	require.NoError(t, audit.AppendCheckpoint(file, cp))
	// (Only the checkpoint's part of the report is this test's business: the
	// package's other tests share the trail.)
	require.NotContains(t, fmt.Sprint(verify()["faults"]), "checkpoint", "the trail reaches its checkpoint")

	// A database put back to before the checkpoint: pretend the checkpoint
	// saw further than the trail now goes.
	ahead := chain.Checkpoint(cp.Seq+1000, []byte("a head from the future"), time.Now())
	require.NoError(t, audit.AppendCheckpoint(file, ahead))
	v := verify()
	require.Equal(t, false, v["ok"])
	require.Contains(t, fmt.Sprint(v["faults"]), "restored from an older copy")

	// A forged checkpoint (not signed with the key) is named as such.
	require.NoError(t, os.WriteFile(file, []byte(`{"seq":1,"head":"00","at":"2026-01-01T00:00:00Z","sig":"00"}`+"\n"), 0o600))
	require.Contains(t, fmt.Sprint(verify()["faults"]), "not signed")
}

// Item 17: a replica runs a bounded number of imports at once; the next is
// told to come back before its body is read, and nothing is written for it.
func TestAuthImportsAreBounded(t *testing.T) {
	s := setup(t)
	importUsers(t, s)
	srv := authReplica(t, s, func(d *api.Deps) { d.Limits.Imports = 1 })
	pr, pw := io.Pipe()
	// Registered after the server's, so it runs first: the server's Close
	// waits for the slow upload to end.
	t.Cleanup(func() { _ = pw.CloseWithError(io.ErrUnexpectedEOF) })
	slow := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/imports/customers?dry_run=true", pr)
		req.Header.Set("Authorization", "Bearer tok-zhao")
		req.Header.Set("Content-Type", "text/csv")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			slow <- 0
			return
		}
		res.Body.Close()
		slow <- res.StatusCode
	}()
	_, err := pw.Write([]byte("客户编码,客户名称\n")) // the slow upload has begun
	require.NoError(t, err)

	jobs := authCount(t, s, `SELECT count(*) FROM import_jobs`)
	r := mustSend(t, "POST", srv.URL+"/api/v1/imports/customers?dry_run=true", "tok-zhao", "text/csv",
		strings.NewReader("客户编码,客户名称\nAUTH-B1,x\n"))
	require.Equal(t, 429, r.status, r.raw)
	require.NotEmpty(t, r.header.Get("Retry-After"))
	require.Equal(t, jobs, authCount(t, s, `SELECT count(*) FROM import_jobs`), "nothing was written for the refused import")

	_, _ = pw.Write([]byte("AUTH-B2,y\n"))
	require.NoError(t, pw.Close())
	require.Equal(t, 201, <-slow)
}

// Item 8 (imports): another team's manager does not see an import.
func TestAuthImportsFollowVisibility(t *testing.T) {
	s := setup(t)
	authUser(t, s, "auth-asst-n", "auth-north", "", identity.RoleSalesAssistant)
	authUser(t, s, "auth-mgr-n", "auth-north", "", identity.RoleSalesManager)
	authUser(t, s, "auth-mgr-s", "auth-south", "", identity.RoleSalesManager)
	status, _, raw := s.upload("POST", "/api/v1/imports/customers?dry_run=true", "auth-asst-n", "text/csv",
		strings.NewReader("客户编码,客户名称\nAUTH-V1,x\n"))
	require.Equal(t, 201, status, string(raw))
	id := strings.Split(strings.Split(string(raw), `"id":`)[1], ",")[0]
	path := "/api/v1/imports/" + id
	for user, want := range map[string]int{"auth-asst-n": 200, "auth-mgr-n": 200, "admin": 200, "auth-mgr-s": 404} {
		st, _, body := s.upload("GET", path, user, "", nil)
		require.Equal(t, want, st, "%s: %s", user, body)
		st, _, body = s.upload("GET", path+"/result", user, "", nil)
		require.Equal(t, want, st, "%s result: %s", user, body)
		st, _, body = s.upload("GET", "/api/v1/imports/?by=all&limit=200", user, "", nil)
		if user == "auth-asst-n" {
			continue // by=all is for managers and admins
		}
		require.Equal(t, 200, st, string(body))
		require.Equal(t, want == 200, strings.Contains(string(body), `"id":`+id+`,`), "%s by=all", user)
		st, _, body = s.upload("GET", "/api/v1/imports/?by=auth-asst-n", user, "", nil)
		require.Equal(t, 200, st, string(body))
		require.Equal(t, want == 200, strings.Contains(string(body), `"id":`+id+`,`), "%s by=auth-asst-n", user)
	}
}
