package api

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
)

// The pages are server-rendered HTML: a login form and the approval inbox,
// where approvers decide without a client to install. They run on the same
// handlers and rules as the API; forms carry the session's CSRF token.

//go:embed pages
var pageFiles embed.FS

var words = map[string]map[string]string{
	"en": {"inbox": "My approvals", "logout": "Log out", "login": "Log in", "user": "User", "password": "Password",
		"sso": "Log in with your company account", "empty": "Nothing waits for you.", "case": "Case", "what": "Request",
		"requester": "Requester", "stage": "Step", "waiting": "Waiting", "due": "Due", "decision": "Decision",
		"for": "for", "note": "Note (required to reject)", "approve": "Approve", "reject": "Reject",
		"approved": "Approved: ", "rejected": "Rejected: ", "expired": "The login form expired; please try again."},
	"zh": {"inbox": "我的审批", "logout": "退出", "login": "登录", "user": "用户名", "password": "密码",
		"sso": "使用公司账号登录", "empty": "没有待您处理的审批。", "case": "单号", "what": "申请",
		"requester": "申请人", "stage": "步骤", "waiting": "已等待", "due": "截止", "decision": "审批",
		"for": "代", "note": "意见（驳回时必填）", "approve": "同意", "reject": "驳回",
		"approved": "已同意：", "rejected": "已驳回：", "expired": "登录页已过期，请重试。"},
}

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"t": func(lang, key string) string { return words[lang][key] },
}).ParseFS(pageFiles, "pages/*.html"))

// pageData is what every page shows: who is logged in, and a message.
type pageData struct {
	Lang, Title   string
	User          *identity.User
	CSRF          string
	Error, Notice string

	// login
	Next, LoginUser string
	SSO             bool
	// inbox
	Steps []openStepView
}

// language picks Chinese for browsers that ask for it first, else English.
func language(r *http.Request) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language"))), "zh") {
		return "zh"
	}
	return "en"
}

// pages serves the HTML pages and their stylesheet.
type pages struct{ Deps }

// loginCookie carries the login form's CSRF token before there is a session,
// so another site cannot log a browser in as someone else (login CSRF).
const loginCookie = "__Host-l2c_login"

// pageCSP lets pages load their own stylesheet and post forms to this site, nothing else.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (p pages) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Security-Policy", pageCSP)
				next.ServeHTTP(w, r)
			})
		})
		r.Get("/", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/inbox", http.StatusSeeOther) })
		r.Get("/static/l2c.css", p.stylesheet)
		r.Get("/login", p.loginForm)
		r.Post("/login", p.loginSubmit)
		r.Post("/logout", p.loggedIn(p.logoutSubmit))
		r.Get("/inbox", p.loggedIn(p.inbox))
		r.Post("/inbox/decide", p.loggedIn(p.decide))
	})
}

func (p pages) stylesheet(w http.ResponseWriter, _ *http.Request) {
	css, _ := pageFiles.ReadFile("pages/l2c.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(css)
}

func (p pages) render(w http.ResponseWriter, status int, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTemplates.ExecuteTemplate(w, name, d); err != nil {
		p.Log.Error("render page", "page", name, "err", err)
	}
}

func (p pages) loginForm(w http.ResponseWriter, r *http.Request) {
	p.showLogin(w, r, http.StatusOK, "", "")
}

// showLogin renders the login form with a fresh login CSRF token.
func (p pages) showLogin(w http.ResponseWriter, r *http.Request, status int, msg, user string) {
	token := randomSecret()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/", MaxAge: 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	lang := language(r)
	p.render(w, status, "login.html", pageData{Lang: lang, Title: words[lang]["login"], CSRF: token, Error: msg,
		Next: localPath(r.FormValue("next")), LoginUser: user, SSO: p.Sessions.OIDC != nil})
}

func (p pages) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.showLogin(w, r, http.StatusBadRequest, "the form could not be read", "")
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || r.PostFormValue(csrfField) != c.Value {
		p.showLogin(w, r, http.StatusForbidden, words[language(r)]["expired"], "")
		return
	}
	user := r.PostFormValue("user")
	u, err := p.passwordLogin(r, user, r.PostFormValue("password"))
	if err != nil {
		pr := asProblem(err, p.Log, r)
		if pr.retryAfter > 0 {
			w.Header().Set("Retry-After", retryAfterValue(pr.retryAfter))
		}
		p.showLogin(w, r, pr.Status, pr.Detail, user)
		return
	}
	if _, _, err := p.openSession(w, r, u, "password"); err != nil {
		p.showLogin(w, r, http.StatusInternalServerError, "the session could not be opened; try again", user)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true})
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
}

// loggedIn runs a page for the session's user: without a session it sends
// the browser to log in; a form without the session's CSRF token is refused.
func (p pages) loggedIn(page func(http.ResponseWriter, *http.Request, pageData)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, csrf, ok, err := p.sessionUser(r)
		if err != nil {
			p.Log.ErrorContext(r.Context(), "session", "err", err)
			http.Error(w, "l2c is not available right now", http.StatusServiceUnavailable)
			return
		}
		if !ok {
			if safeMethod(r.Method) {
				http.Redirect(w, r, "/login?next="+r.URL.EscapedPath(), http.StatusSeeOther)
				return
			}
			p.showLogin(w, r, http.StatusUnauthorized, "", "")
			return
		}
		lang := language(r)
		d := pageData{Lang: lang, User: &u, CSRF: csrf}
		if !safeMethod(r.Method) {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := checkCSRF(r, csrf); err != nil {
				d.Title, d.Error = "Forbidden", asProblem(err, p.Log, r).Detail
				p.render(w, http.StatusForbidden, "inbox.html", d)
				return
			}
		}
		page(w, r.WithContext(identity.WithUser(r.Context(), u)), d)
	}
}

func (p pages) logoutSubmit(w http.ResponseWriter, r *http.Request, _ pageData) {
	if err := p.closeSession(w, r); err != nil {
		p.Log.ErrorContext(r.Context(), "logout", "err", err)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (p pages) inbox(w http.ResponseWriter, r *http.Request, d pageData) {
	// After a decision the browser comes back here (post/redirect/get, so a
	// reload does not send the form again) and is told what it did.
	if done := r.URL.Query().Get("done"); done == "approved" || done == "rejected" {
		d.Notice = words[d.Lang][done] + r.URL.Query().Get("case")
	}
	p.showInbox(w, r, http.StatusOK, d)
}

func (p pages) showInbox(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	me := actor(r)
	d.Title = words[d.Lang]["inbox"]
	away, err := p.DB.DelegatorsOf(r.Context(), me.ID, p.Now())
	if err == nil {
		var steps []database.OpenStep
		steps, err = p.DB.Inbox(r.Context(), me.ID, away, 200)
		d.Steps = approvals{p.Deps}.withWaiting(steps)
	}
	if err != nil {
		p.Log.ErrorContext(r.Context(), "inbox page", "err", err)
		d.Error, status = "your approvals could not be read; try again", http.StatusServiceUnavailable
	}
	p.render(w, status, "inbox.html", d)
}

// decide takes an approve/reject form from the inbox and goes through the
// same checks as the API: who may see the case, who holds the step, the
// workflow's own validation.
func (p pages) decide(w http.ResponseWriter, r *http.Request, d pageData) {
	h := approvals{p.Deps}
	c, err := h.findCase(r, r.PostFormValue("case")) // first: who may not see the case learns nothing else
	approve := r.PostFormValue("approve") == "true"
	if err == nil {
		req := decideRequest{Note: r.PostFormValue("note"), OnBehalfOf: r.PostFormValue("on_behalf_of")}
		if v := r.PostFormValue("approve"); v == "true" || v == "false" {
			req.Approve = &approve
		}
		_, err = h.decideOn(r, c, req)
	}
	if err != nil {
		pr := asProblem(err, p.Log, r)
		d.Error = pr.Detail
		for _, f := range pr.Errors {
			d.Error += "; " + f.Field + ": " + f.Message
		}
		p.showInbox(w, r, pr.Status, d)
		return
	}
	done := "approved"
	if !approve {
		done = "rejected"
	}
	http.Redirect(w, r, "/inbox?done="+done+"&case="+url.QueryEscape(c.ID), http.StatusSeeOther)
}
