package api

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/l2c/l2c/internal/database"
)

// OIDC is single sign-on with the company's identity provider: OpenID Connect's
// authorization code flow with PKCE, a nonce bound to the browser, and the ID
// token's signature, issuer, audience and expiry checked (go-oidc). A login
// maps to an existing, active l2c user: by the identity linked before, else by
// a verified email, which it then links. SSO never creates users; an admin does.
type OIDC struct {
	Issuer       string // e.g. https://login.example.com/realms/acme
	ClientID     string
	ClientSecret string
	RedirectURL  string // https://l2c.example.com/auth/oidc/callback
	// Client talks to the provider; a client with a 10 s timeout if nil.
	Client *http.Client

	mu       sync.Mutex
	conf     *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

const oidcCookie = "__Host-l2c_oidc"

// setup discovers the provider on first use (and again after a failure), so
// l2c starts even while the provider is down.
func (o *OIDC) setup(ctx context.Context) (context.Context, *oauth2.Config, *oidc.IDTokenVerifier, error) {
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx = oidc.ClientContext(ctx, client)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.conf == nil {
		p, err := oidc.NewProvider(ctx, o.Issuer)
		if err != nil {
			return ctx, nil, nil, fmt.Errorf("SSO provider %s: %w", o.Issuer, err)
		}
		o.conf = &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: o.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
		o.verifier = p.Verifier(&oidc.Config{ClientID: o.ClientID})
	}
	return ctx, o.conf, o.verifier, nil
}

// start sends the browser to the provider, remembering in a short-lived
// cookie the state, nonce and PKCE verifier the answer must match.
func (o *OIDC) start(d Deps) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, conf, _, err := o.setup(r.Context())
		if err != nil {
			d.Log.ErrorContext(r.Context(), "SSO unavailable", "err", err)
			return problem(http.StatusServiceUnavailable, probSSOUnavailable, "the sign-on provider does not answer; try again or log in with a password")
		}
		state, nonce, verifier := randomSecret(), randomSecret(), oauth2.GenerateVerifier()
		next := base64.RawURLEncoding.EncodeToString([]byte(localPath(r.URL.Query().Get("next"))))
		http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: strings.Join([]string{state, nonce, verifier, next}, "."),
			Path: "/", MaxAge: 600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
		return nil
	}
}

// callback takes the provider's answer: checks it belongs to this browser's
// login, redeems the code, verifies the ID token and opens a session.
func (o *OIDC) callback(d Deps) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := r.Cookie(oidcCookie)
		http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		parts := []string{}
		if err == nil {
			parts = strings.Split(c.Value, ".")
		}
		q := r.URL.Query()
		if len(parts) != 4 || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(parts[0])) != 1 {
			return problem(http.StatusBadRequest, probSSOState, "this sign-on answer does not belong to a login started in this browser; start again")
		}
		if e := q.Get("error"); e != "" {
			return problem(http.StatusUnauthorized, probUnauthenticated, "the sign-on provider refused: "+e+" "+q.Get("error_description"))
		}
		ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
		defer cancel()
		ctx, conf, verifier, err := o.setup(ctx)
		if err != nil {
			return problem(http.StatusServiceUnavailable, probSSOUnavailable, "the sign-on provider does not answer; try again")
		}
		tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(parts[2]))
		if err != nil {
			d.Log.WarnContext(r.Context(), "SSO code exchange failed", "err", err)
			return problem(http.StatusUnauthorized, probUnauthenticated, "the sign-on provider did not accept the login code; start again")
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifier.Verify(ctx, raw)
		if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(parts[1])) != 1 {
			d.Log.WarnContext(r.Context(), "SSO ID token refused", "err", err)
			return problem(http.StatusUnauthorized, probUnauthenticated, "the sign-on answer could not be verified; start again")
		}
		var claims struct {
			Email         string `json:"email"`
			EmailVerified bool   `json:"email_verified"`
		}
		if err := idt.Claims(&claims); err != nil {
			return problem(http.StatusUnauthorized, probUnauthenticated, "the sign-on answer is malformed")
		}
		email := ""
		if claims.EmailVerified {
			email = claims.Email
		}
		subject := idt.Issuer + " " + idt.Subject
		u, err := d.DB.UserBySSO(ctx, subject, email)
		if errors.Is(err, database.ErrNotFound) {
			d.recordAs(r, "anonymous", "login.failed", "sso", subject, map[string]string{"ip": clientIP(r), "email": claims.Email})
			return problem(http.StatusForbidden, probForbidden, "this sign-on identity is not an l2c user (or is disabled); ask an administrator")
		}
		if err != nil {
			return err
		}
		if _, _, err := d.openSession(w, r, u, "oidc"); err != nil {
			return err
		}
		next, _ := base64.RawURLEncoding.DecodeString(parts[3])
		http.Redirect(w, r, localPath(string(next)), http.StatusSeeOther)
		return nil
	}
}

// localPath keeps redirects after login (the login form's next, the SSO
// state's) on this site: a path that starts with one "/", not "//" or "/\"
// (which browsers read as another host), with no control characters, else
// the inbox. Browsers drop tabs and newlines from URLs and some decode before
// they look, so "/\t/evil", "/%09/evil" and "/%2F%2Fevil" are checked as they
// would read them too: every decoding must pass.
func localPath(p string) string {
	const home = "/inbox"
	for form := p; ; {
		if !strings.HasPrefix(form, "/") || len(form) > 1 && (form[1] == '/' || form[1] == '\\') {
			return home
		}
		for _, c := range form {
			if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
				return home
			}
		}
		decoded, err := url.PathUnescape(form)
		if err != nil {
			return home
		}
		if decoded == form {
			return p
		}
		form = decoded
	}
}
