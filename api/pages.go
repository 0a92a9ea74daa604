package api

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/i18n"
	"github.com/l2c/l2c/internal/identity"
)

// The pages are server-rendered HTML on the same router, sessions and rules
// as the API: a page reads through the same visibility predicates and acts
// through the same inner functions as the JSON handlers, so what the API
// refuses the page refuses, with the same message next to the field. Forms
// post, then redirect (post/redirect/get), carrying the session's CSRF token.
// No script runs: the strict CSP below allows none. Words come from the
// catalogue in internal/i18n, in Chinese or English (the browser's choice, or
// the switch in the header, which a cookie keeps).

//go:embed pages
var pageFiles embed.FS

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	// add, for laying out the stage-times chart.
	"add": func(a, b int) int { return a + b },
	// field hands one form field to the "field" template: its printer,
	// name, value, refusal message, label key, hint, and a suffix that
	// keeps its id unique when a page repeats a form.
	"field": func(p i18n.Printer, name, value, msg, label, hint string, suffix ...string) map[string]any {
		return map[string]any{"P": p, "Name": name, "Value": value, "Error": msg, "Label": label, "Hint": hint,
			"Suffix": strings.Join(suffix, "")}
	},
	"choice": choice,
	// bp is a share in basis points as a percent: 8500 → "85%".
	"bp":   func(v int64) string { return deal.Percent(v).String() + "%" },
	"join": strings.Join,
	// ruleField, approver, condition and hours word the routing rules' pages.
	"ruleField": ruleField,
	"approver":  approverWords,
	"condition": conditionWords,
	"hours":     func(h int) float64 { return float64(h) },
	// absTime is a moment as paper needs it, in the company's zone and
	// without "today" or "yesterday": 2026-12-02 10:00.
	"absTime": func(p i18n.Printer, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		if p.Loc != nil {
			t = t.In(p.Loc)
		}
		return t.Format("2006-01-02 15:04")
	},
	// list is a few strings to range over (a select's options).
	"list": func(s ...string) []string { return s },
	// caseRef names a case for people: "合同评审 D-000001.1", not its key.
	"caseRef": caseRef,
	// dunning names a step of a dunning ladder.
	"dunning": dunningStep,
	// actField hands one field of a deal page's action form to its template.
	"actField": func(d pageData, action deal.ActionName, f formField) map[string]any {
		v, _ := d.View.(*dealPageView)
		m := map[string]any{"P": d.P, "Action": string(action), "Field": f.Name, "Mode": f.Mode, "Type": f.Type, "Options": f.Options}
		if f.Hint != "" {
			m["Hint"] = d.P.T(f.Hint)
		}
		if v != nil {
			m["Value"], m["Error"] = v.Forms.Val(string(action), f.Name), v.Forms.Err(string(action), f.Name)
		}
		return m
	},
	// kaArgs hands key-account activities to their table, with the forms
	// the viewer may use on each (may) and a refused one's state; from says
	// which page the forms come back to ("work" or a deal's).
	"kaArgs": func(d pageData, list []database.KeyActivity, may map[int64]kaMay, forms *dealForms, from string) map[string]any {
		return map[string]any{"P": d.P, "CSRF": d.CSRF, "Card": list, "May": may, "Forms": forms, "From": from}
	},
	"kaForm":    kaForm,
	"classForm": classForm,
	// cardArgs hands a case's card to the subject and decide templates,
	// with what they need of the page.
	"cardArgs": func(d pageData, card any, action ...string) map[string]any {
		if c, ok := card.(*caseCard); ok {
			card = *c
		}
		m := map[string]any{"P": d.P, "CSRF": d.CSRF, "Card": card, "Action": "/inbox/decide"}
		if len(action) > 0 {
			m["Action"] = action[0]
		}
		return m
	},
}).ParseFS(pageFiles, "pages/*.html"))

// pageData is what every page shows: who is logged in, in which language,
// and a message; View is the page's own content.
type pageData struct {
	Lang, Title   string
	P             i18n.Printer
	User          *identity.User
	CSRF          string
	Error, Notice string
	// Nav names the header link of the page, to mark it current.
	Nav string
	// Here is the page's own address, for the language switch to come back to.
	Here string
	// Overseer: the user may open the stuck board.
	Overseer bool

	// login
	Next, LoginUser string
	SSO             bool
	// View is the page's content (a *workView, *dealPage, ...).
	View any
}

// langCookie keeps the language a person chose with the switch.
const langCookie = "__Host-l2c_lang"

// language is the language chosen with the switch, else the browser's.
func language(r *http.Request) i18n.Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		if l := i18n.Lang(c.Value); l.Valid() {
			return l
		}
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// pages serves the HTML pages and their stylesheet.
type pages struct{ Deps }

// loginCookie carries the login form's CSRF token before there is a session,
// so another site cannot log a browser in as someone else (login CSRF).
const loginCookie = "__Host-l2c_login"

// pageCSP lets pages load their own stylesheet and post forms to this site, nothing else.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (p pages) stylesheet(w http.ResponseWriter, _ *http.Request) {
	css, _ := pageFiles.ReadFile("pages/l2c.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(css)
}

// switchLanguage keeps the language chosen in the header and goes back to
// the page it was chosen on. A link, not a form: it changes nothing but how
// the pages read, and works before logging in.
func (p pages) switchLanguage(w http.ResponseWriter, r *http.Request) {
	if l := i18n.Lang(r.URL.Query().Get("to")); l.Valid() {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

func (p pages) printer(r *http.Request, lang i18n.Lang) i18n.Printer {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	return i18n.Printer{Lang: lang, Loc: loc, Now: p.Now(), Names: map[string]string{}}
}

// names fills the printer with the names of the people a page shows.
func (p pages) names(ctx context.Context, d *pageData, ids ...string) {
	var want []string
	for _, id := range ids {
		if id != "" && !strings.HasPrefix(id, "role:") && d.P.Names[id] == "" && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return
	}
	got, err := p.DB.UserNamesOf(ctx, want)
	if err != nil {
		p.Log.WarnContext(ctx, "user names", "err", err) // the page shows IDs instead
		return
	}
	for id, n := range got {
		d.P.Names[id] = n
	}
}

// workingCalendar is the company calendar SLAs are counted on (as the
// worker's: the stored default, else mainland China's).
func (p pages) workingCalendar(ctx context.Context) *calendar.Calendar {
	c, err := p.DB.CalendarGet(ctx, calendar.DefaultID)
	if err != nil {
		return calendar.China()
	}
	return c
}

// render writes a page whole or not at all: it is executed into a buffer
// first, so a template that fails half-way answers 500 instead of a 200
// with half a page the reader cannot tell from a whole one.
func (p pages) render(w http.ResponseWriter, status int, name string, d pageData) {
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); pageBuffers.Put(buf) }()
	if err := pageTemplates.ExecuteTemplate(buf, name, d); err != nil {
		p.Log.Error("render page", "page", name, "err", err)
		http.Error(w, d.P.T("page.render_failed"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// pageBuffers keeps render's buffers: a deal page is tens of kilobytes.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// message renders a page that only says something: forbidden, not found,
// unavailable.
func (p pages) message(w http.ResponseWriter, status int, d pageData, title, text string) {
	d.Title, d.View = title, text
	p.render(w, status, "message.html", d)
}

// failed renders what an error means for a page: the API's problem, shown
// as its message.
func (p pages) failed(w http.ResponseWriter, r *http.Request, d pageData, err error) {
	pr := asProblem(err, p.Log, r)
	title := d.P.T("unavailable")
	switch pr.Status {
	case http.StatusNotFound:
		title = d.P.T("not_found")
	case http.StatusForbidden:
		title = d.P.T("forbidden")
	}
	p.message(w, pr.Status, d, title, d.P.Refusal(pr.Detail))
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
	pr := p.printer(r, lang)
	next := "/" // My work
	if n := r.FormValue("next"); n != "" {
		next = localPath(n)
	}
	// The language switch comes back with the checked next only: the page
	// never repeats an address it was given that leads elsewhere.
	p.render(w, status, "login.html", pageData{Lang: string(lang), P: pr, Title: pr.T("login"), CSRF: token, Error: msg,
		Here: "/login?next=" + url.QueryEscape(next), Next: next, LoginUser: user, SSO: p.Sessions.OIDC != nil})
}

func (p pages) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.showLogin(w, r, http.StatusBadRequest, "the form could not be read", "")
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || r.PostFormValue(csrfField) != c.Value {
		p.showLogin(w, r, http.StatusForbidden, p.printer(r, language(r)).T("expired"), "")
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
	next := r.PostFormValue("next")
	if next == "" {
		next = "/" // My work
	}
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
}

// loggedIn runs a page for the session's user: without a session it sends
// the browser to log in; a form without the session's CSRF token is refused.
func (p pages) loggedIn(page func(http.ResponseWriter, *http.Request, pageData)) http.HandlerFunc {
	return p.withSession(page, false)
}

// loggedInUpload is loggedIn for a form that sends a file: its body is not
// bounded here (the page reads it with its own limit) and its CSRF token is
// a part of the multipart body, which the page checks (checkUploadCSRF)
// before it acts on anything; a browser's Origin is checked here.
func (p pages) loggedInUpload(page func(http.ResponseWriter, *http.Request, pageData)) http.HandlerFunc {
	return p.withSession(page, true)
}

func (p pages) withSession(page func(http.ResponseWriter, *http.Request, pageData), upload bool) http.HandlerFunc {
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
		d := pageData{Lang: string(lang), P: p.printer(r, lang), User: &u, CSRF: csrf, Here: r.URL.RequestURI(),
			Overseer: u.Has(overseers...)}
		d.P.Names[u.ID] = u.Name
		if !safeMethod(r.Method) {
			// The language switch on a refused form's page goes back to the
			// page the form was on, not to the form's address.
			d.Here = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(r.URL.Path, "/act"), "/decide"), "/comment"), "/delegate")
			check := func() error { return checkCSRF(r, csrf) }
			if upload {
				check = func() error { return sameOrigin(r) }
			} else {
				r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			}
			if err := check(); err != nil {
				p.message(w, http.StatusForbidden, d, d.P.T("forbidden"), asProblem(err, p.Log, r).Detail)
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

// caseRef names a case by its kind's business name and the rest of its ID
// ("contract_review.D-000001.1": "合同评审 D-000001.1").
func caseRef(p i18n.Printer, id string) string {
	kind, rest, ok := strings.Cut(id, ".")
	if !ok {
		return id
	}
	return p.Kind(kind) + " " + rest
}

// choice hands one select to the "select" template (pages/field.html): its
// printer, id, name, label key, refusal message, the value chosen, the label
// key of an empty first option ("" for none), the key prefix of the options'
// labels ("" shows each value as it is) and the options' values. Every
// select is marked up there once: its label, and its refusal tied to it.
func choice(p i18n.Printer, id, name, label, msg, value, empty, prefix string, options any) map[string]any {
	return map[string]any{"P": p, "ID": id, "Name": name, "Label": label, "Error": msg, "Value": value,
		"Empty": empty, "Prefix": prefix, "Options": options}
}

// fieldErrors are a refused form's messages by field, to show next to each.
type fieldErrors map[string]string

// refusal splits the API's problem for a form: messages naming a field go
// next to it, the rest above the form.
func refusal(pr *Problem) (string, fieldErrors) {
	fe := fieldErrors{}
	for _, f := range pr.Errors {
		if fe[f.Field] != "" {
			fe[f.Field] += "; "
		}
		fe[f.Field] += f.Message
	}
	return pr.Detail, fe
}

// refused is refusal in the page's language: the rules' messages, worded in
// English for the API and the audit trail, translated at the edge
// (i18n.Printer.Refusal).
// When the fields say what is wrong, the message above them says to look
// at them.
func (d pageData) refused(pr *Problem) (string, fieldErrors) {
	msg, fe := refusal(pr)
	for f, m := range fe {
		fe[f] = d.P.Refusal(m)
	}
	if len(fe) > 0 && msg == "invalid input" {
		return d.P.T("check_fields"), fe
	}
	return d.P.Refusal(msg), fe
}

// download serves the API's download (a workbook) in the page's language,
// or the one asked for with ?lang=; its error is shown as the error page.
func (p pages) download(w http.ResponseWriter, r *http.Request, d pageData, serve handlerFunc) {
	if r.URL.Query().Get("lang") == "" {
		q := r.URL.Query()
		q.Set("lang", d.Lang)
		r.URL.RawQuery = q.Encode()
	}
	if err := serve(w, r); err != nil {
		p.failed(w, r, d, err)
	}
}

// renderFiltered shows a page read with the filters of its query: the page
// when err is nil; a bad filter (400) on the page, with its message and each
// field's own in errs; any other error as the error page.
func (p pages) renderFiltered(w http.ResponseWriter, r *http.Request, d pageData, page string, errs *fieldErrors, err error) {
	var pr *Problem
	switch {
	case err == nil:
		p.render(w, http.StatusOK, page, d)
	case errors.As(err, &pr) && pr.Status == http.StatusBadRequest:
		d.Error, *errs = d.refused(pr)
		p.render(w, pr.Status, page, d)
	default:
		p.failed(w, r, d, err)
	}
}

// asDatabase is for pages that read lists: the same Viewer as the API.
func pageViewer(r *http.Request) database.Viewer { return viewer(actor(r)) }
