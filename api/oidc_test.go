package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/api"
	"github.com/l2c/l2c/internal/testenv"
)

// identityProvider is a small OpenID Connect provider: discovery, keys, and a
// token endpoint that checks the code, the client and the PKCE verifier.
// The test plays the browser's part at the provider by calling authorize.
type identityProvider struct {
	*httptest.Server
	key, rogue *rsa.PrivateKey

	mu    sync.Mutex
	codes map[string]grant
}

type grant struct {
	challenge, nonce, sub, email string
	verified                     bool
	rogueKey                     bool
}

func newIdentityProvider(t *testing.T) *identityProvider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rogue, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	idp := &identityProvider{key: key, rogue: rogue, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": idp.URL, "authorization_endpoint": idp.URL + "/authorize",
			"token_endpoint": idp.URL + "/token", "jwks_uri": idp.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"}, "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if id == "" {
			id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		}
		idp.mu.Lock()
		g, ok := idp.codes[r.PostFormValue("code")]
		delete(idp.codes, r.PostFormValue("code")) // a code is good once
		idp.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if id != "l2c" || secret != "s3cret" || !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		signWith := key
		if g.rogueKey {
			signWith = rogue
		}
		claims, _ := json.Marshal(map[string]any{"iss": idp.URL, "sub": g.sub, "aud": "l2c", "exp": time.Now().Add(5 * time.Minute).Unix(),
			"iat": time.Now().Unix(), "nonce": g.nonce, "email": g.email, "email_verified": g.verified})
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: signWith, KeyID: "k1"}},
			(&jose.SignerOptions{}).WithType("JWT"))
		jws, _ := signer.Sign(claims)
		raw, _ := jws.CompactSerialize()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": raw})
	})
	idp.Server = httptest.NewServer(mux)
	t.Cleanup(idp.Close)
	return idp
}

// authorize is the person signing in at the provider: it takes the request
// l2c sent the browser to and returns the callback the provider sends back.
func (idp *identityProvider) authorize(t *testing.T, location string, g grant) string {
	t.Helper()
	u, err := url.Parse(location)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, idp.URL+"/authorize", u.Scheme+"://"+u.Host+u.Path)
	require.Equal(t, "l2c", q.Get("client_id"))
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.Contains(t, q.Get("scope"), "openid")
	require.NotEmpty(t, q.Get("state"))
	if g.nonce == "" {
		g.nonce = q.Get("nonce")
	}
	g.challenge = q.Get("code_challenge")
	code := "code-" + q.Get("state")[:12]
	idp.mu.Lock()
	idp.codes[code] = g
	idp.mu.Unlock()
	return "/auth/oidc/callback?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state"))
}

func TestSingleSignOnWithOIDC(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	idp := newIdentityProvider(t)
	chain := testenv.AuditChain(t)
	l2c := httptest.NewServer(api.NewRouter(api.Deps{DB: s.db, Temporal: s.tc, Location: shanghai, Audit: chain, Log: discard(),
		Limits: api.NewLimits(1e6, 1e6), Sessions: api.Sessions{OIDC: &api.OIDC{Issuer: idp.URL, ClientID: "l2c",
			ClientSecret: "s3cret", RedirectURL: "http://l2c.test/auth/oidc/callback"}}}))
	defer l2c.Close()
	require.NoError(t, s.db.UserEmailSet(ctx, "wu", "wu.fang@example.com"))

	signIn := func(b *browser, g grant) page {
		t.Helper()
		start := b.do("GET", "/auth/oidc/login?next=/inbox", "", "")
		require.Equal(t, 303, start.status, start.body)
		return b.do("GET", idp.authorize(t, start.header.Get("Location"), g), "", "")
	}

	// First sign-in: a verified email that one user has links that user.
	b := newBrowser(t, l2c.URL)
	r := signIn(b, grant{sub: "sub-wu", email: "WU.FANG@example.com", verified: true})
	require.Equal(t, 303, r.status, r.body)
	require.Equal(t, "/inbox", r.header.Get("Location"))
	me := b.do("GET", "/api/v1/me", "", "")
	require.Equal(t, 200, me.status, me.body)
	require.Equal(t, "wu", me.json["id"])
	require.NotContains(t, b.cookies, "__Host-l2c_oidc", "the login's state is used once")

	// Later sign-ins go by the linked subject, whatever the email says now.
	b2 := newBrowser(t, l2c.URL)
	r = signIn(b2, grant{sub: "sub-wu", email: "someone.else@example.com", verified: true})
	require.Equal(t, 303, r.status, r.body)
	require.Equal(t, "wu", b2.do("GET", "/api/v1/me", "", "").json["id"])

	refused := []struct {
		name   string
		g      grant
		status int
	}{
		{"an unverified email links nobody", grant{sub: "sub-x", email: "wu.fang@example.com"}, 403},
		{"an unknown person", grant{sub: "sub-y", email: "stranger@example.com", verified: true}, 403},
		{"a token signed with another key", grant{sub: "sub-wu", rogueKey: true}, 401},
		{"a token for another login (nonce)", grant{sub: "sub-wu", nonce: "replayed"}, 401},
	}
	for _, c := range refused {
		b := newBrowser(t, l2c.URL)
		r := signIn(b, c.g)
		require.Equal(t, c.status, r.status, "%s: %s", c.name, r.body)
		require.NotContains(t, b.cookies, "__Host-l2c_session", c.name)
	}

	// An answer that does not match the login this browser started is refused.
	b3 := newBrowser(t, l2c.URL)
	start := b3.do("GET", "/auth/oidc/login", "", "")
	cb := idp.authorize(t, start.header.Get("Location"), grant{sub: "sub-wu"})
	other := newBrowser(t, l2c.URL) // the attacker's callback, replayed in the victim's browser
	require.Equal(t, 400, other.do("GET", cb, "", "").status)
	require.NotContains(t, other.cookies, "__Host-l2c_session")

	// The login page offers SSO when it is configured.
	require.Contains(t, newBrowser(t, l2c.URL).do("GET", "/login", "", "").body, "/auth/oidc/login")
	require.Subset(t, auditActions(t, s, "wu"), []string{"login"})
}
