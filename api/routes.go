package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/identity"
)

// apiRoutes are the JSON API's routes, every one under /api/v1, in one table:
// each row is the resource a route is mounted under, "METHOD /pattern" within
// it, and its handler (in the file named after the resource: deals.go,
// approvals.go, ...), with any middleware of the route's own. The
// authorization matrix (authz_matrix_test.go) holds a rule for each route and
// openapi.json describes them; a route added here wants both.
func (d Deps) apiRoutes(r chi.Router) {
	// Failed authentications are limited by address, so guessing tokens is
	// slow; authenticated requests by user, so one client cannot starve the others.
	r.Use(authenticate(d), rateLimit(d.Limits.PerUser, userKey))
	r.Get("/openapi.json", openAPI)
	// Middleware in front of every route of a resource, whichever it is.
	guards := map[string][]func(http.Handler) http.Handler{
		"/sync": {requireRole(identity.RoleAdmin)},
	}
	serve(r, d.Log, guards,
		at("", "GET /me", me),
		at("", "POST /me/password", d.changePassword),
		at("", "GET /me/sessions", d.sessions),
		at("", "DELETE /me/sessions/{id}", d.endSession),

		at("/deals", "POST /", deals{d}.create),
		at("/deals", "GET /", deals{d}.list),
		at("/deals", "GET /{id}", deals{d}.get),
		at("/deals", "GET /{id}/live", deals{d}.live),
		at("/deals", "POST /{id}/actions", deals{d}.act),
		// A deal's collection plan, behind the deal's visibility.
		at("/deals", "GET /{id}/collection-plan", collectionAPI{d}.plan),
		at("/deals", "POST /{id}/collection-plan/changes", collectionAPI{d}.requestChange),
		at("/deals", "POST /{id}/collection-plan/instalments/{no}/promises", collectionAPI{d}.promise),

		// The collection reports and views, and the company's ladders and templates.
		at("/collection", "GET /ageing", collectionAPI{d}.ageing),
		at("/collection", "GET /forecast", collectionAPI{d}.forecast),
		at("/collection", "GET /templates", collectionAPI{d}.templates),
		at("/collection", "GET /ladders", collectionAPI{d}.ladders),
		at("/collection", "PUT /ladders/{class}", collectionAPI{d}.saveLadder,
			requireRoleTo("only an administrator may change the dunning ladders", identity.RoleAdmin)),
		at("/collection", "POST /dunning/run", collectionAPI{d}.runDunning,
			requireRoleTo("only finance or an administrator may run the dunning ladder", identity.RoleFinance, identity.RoleAdmin)),
		at("/collection", "GET /deliveries", collectionAPI{d}.deliveries),
		at("/collection", "GET /big-deals", collectionAPI{d}.bigDeals),
		at("/collection", "GET /dunning-queue", collectionAPI{d}.dunningQueue,
			requireRoleTo("the dunning queue is for finance, collectors and administrators", dunningRoles...)),

		at("/customers", "GET /", customers{d}.list),
		at("/customers", "POST /", customers{d}.createCustomer),
		at("/customers", "GET /{code}", customers{d}.get),
		at("/customers", "GET /{code}/receivables", customers{d}.receivables),
		at("/customers", "GET /{code}/class", customers{d}.customerClass),
		at("/customers", "GET /{code}/terms-changes", customers{d}.termsChanges),
		at("/customers", "POST /{code}/terms-changes", customers{d}.requestTermsChange),
		at("/customer-onboardings", "GET /{id}", onboardings{d}.get),
		at("/imports", "POST /customers", imports{d}.customers),
		at("/imports", "GET /customers/template", imports{d}.template),
		at("/imports", "GET /", imports{d}.list),
		at("/imports", "GET /{id}", imports{d}.get),
		at("/imports", "GET /{id}/result", imports{d}.result),
		// The ERP sync (administrators only: see guards).
		at("/sync", "GET /schedules", syncAdmin{d}.schedules),
		at("/sync", "PUT /schedules/{entity}", syncAdmin{d}.saveSchedule),
		at("/sync", "POST /{entity}/run", syncAdmin{d}.runNow),
		at("/sync", "GET /runs", syncAdmin{d}.runs),
		at("/sync", "GET /runs/*", syncAdmin{d}.run),
		at("/sync", "GET /health", syncAdmin{d}.health),

		at("/approvals", "GET /inbox", approvals{d}.inbox),
		at("/approvals", "GET /stuck", approvals{d}.stuck),
		at("/approvals", "GET /stage-times", approvals{d}.stageTimes),
		at("/approvals", "POST /preview", approvals{d}.preview),
		at("/approvals", "GET /{id}", approvals{d}.get),
		at("/approvals", "GET /{id}/live", approvals{d}.live),
		at("/approvals", "POST /{id}/decide", approvals{d}.decide),
		at("/approvals", "POST /{id}/delegate", approvals{d}.delegate),
		at("/approvals", "POST /{id}/comments", approvals{d}.comment),
		at("/approvals", "POST /{id}/withdraw", approvals{d}.withdraw),
		at("/approval-rules", "GET /{kind}", approvals{d}.rules),
		at("/approval-rules", "PUT /{kind}", approvals{d}.saveRules),
		at("/delegations", "POST /", approvals{d}.addDelegation),
		at("/delegations", "DELETE /{id}", approvals{d}.endDelegation),
		at("/calendars", "GET /{id}", calendars{d}.get),
		at("/calendars", "PUT /{id}", calendars{d}.put),
		at("/credit-holds", "GET /{id}", creditHolds{d}.get),
		at("/credit-holds", "POST /{id}/release", creditHolds{d}.release),

		at("/pool", "GET /", ownershipAPI{d}.pool),
		at("/pool", "POST /{code}/claim", ownershipAPI{d}.claim),
		at("/ownership", "POST /check", ownershipAPI{d}.check),
		at("/ownership", "POST /customers/{code}/assign", ownershipAPI{d}.assign),
		at("/ownership", "POST /customers/{code}/release", ownershipAPI{d}.release),
		at("/ownership", "GET /customers/{code}/history", ownershipAPI{d}.history),
		at("/ownership", "POST /handovers", ownershipAPI{d}.handover),
		at("/ownership", "GET /rules", ownershipAPI{d}.rules),
		at("/ownership", "PUT /rules", ownershipAPI{d}.saveRules),
		at("/ownership", "POST /recycle", ownershipAPI{d}.recycle),
		at("/classes", "GET /proposals", classesAPI{d}.proposals),
		at("/classes", "POST /proposals/decide", classesAPI{d}.decide),
		at("/classes", "POST /run", classesAPI{d}.run),
		at("/classes", "GET /rules", classesAPI{d}.rules),
		at("/classes", "PUT /rules", classesAPI{d}.saveRules),
		at("/classes", "GET /terms", classesAPI{d}.terms),

		at("/activities", "POST /", activitiesAPI{d}.add),
		at("/activities", "GET /", activitiesAPI{d}.list),
		at("/key-activities", "POST /", keyAccountAPI{d}.plan),
		at("/key-activities", "GET /", keyAccountAPI{d}.list),
		at("/key-activities", "POST /{id}/support", keyAccountAPI{d}.support),
		at("/key-activities", "POST /{id}/outcome", keyAccountAPI{d}.outcome),
		at("/funnel", "GET /", funnelAPI{d}.funnel),
		at("/funnel", "GET /forecast", funnelAPI{d}.forecast),
		at("/funnel", "GET /rules", funnelAPI{d}.rules),
		at("/funnel", "PUT /rules", funnelAPI{d}.saveRules),
		at("/funnel", "POST /follow-ups/run", funnelAPI{d}.runFollowUps),
		at("/market", "GET /budgets", marketAPI{d}.budgets),
		at("/market", "PUT /budgets", marketAPI{d}.saveBudget),
		at("/market", "GET /activities", marketAPI{d}.list),
		at("/market", "POST /activities", marketAPI{d}.apply),
		at("/market", "GET /activities/{id}", marketAPI{d}.get),
		at("/market", "POST /activities/{id}/cost", marketAPI{d}.cost),
		at("/market", "POST /activities/{id}/deals", marketAPI{d}.tag),
		at("/market", "GET /activities/{id}/pipeline", marketAPI{d}.pipeline),

		at("/reports", "GET /", reportsAPI{d}.list),
		at("/reports", "GET /{name}", reportsAPI{d}.export),
		at("/audit", "GET /", auditTrail{d}.list),
		at("/audit", "GET /verify", auditTrail{d}.verify),
		at("/tokens", "POST /", tokens{d}.create),
		at("/tokens", "GET /", tokens{d}.list),
		at("/tokens", "DELETE /{id}", tokens{d}.revoke),
	)
}

// endpoint is one route of a table: the resource it is mounted under ("" for
// the router itself), "METHOD /pattern" within it, its handler and the
// route's own middleware.
type endpoint struct {
	under, pattern string
	serve          handlerFunc
	use            []func(http.Handler) http.Handler
}

// at is an endpoint (a row of a route table).
func at(under, pattern string, serve handlerFunc, use ...func(http.Handler) http.Handler) endpoint {
	return endpoint{under: under, pattern: pattern, serve: serve, use: use}
}

// serve adds endpoints to r, each served through handle: those under one
// resource on a sub-router of its own mounted there, behind the resource's
// guards.
func serve(r chi.Router, log *slog.Logger, guards map[string][]func(http.Handler) http.Handler, endpoints ...endpoint) {
	resources := map[string]chi.Router{}
	for _, e := range endpoints {
		into := r
		if e.under != "" {
			if resources[e.under] == nil {
				resources[e.under] = chi.NewRouter()
				resources[e.under].Use(guards[e.under]...)
				r.Mount(e.under, resources[e.under])
			}
			into = resources[e.under]
		}
		if len(e.use) > 0 {
			into = into.With(e.use...)
		}
		method, pattern, _ := strings.Cut(e.pattern, " ")
		into.Method(method, pattern, handle(log, e.serve))
	}
}

// Routes are the pages' routes, every one: each page's handler is in the
// pages_*.go file named after it. All of them send pageCSP; all but the
// stylesheet, the language switch and the login ask for a session
// (loggedIn), and the administrators' pages for an administrator.
func (p pages) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Security-Policy", pageCSP)
				// A browser under "no-referrer" sends its forms with Origin: null,
				// which checkCSRF rightly refuses; "same-origin" names this site
				// on the pages' own forms and still tells other sites nothing.
				w.Header().Set("Referrer-Policy", "same-origin")
				next.ServeHTTP(w, r)
			})
		})
		r.Get("/static/l2c.css", p.stylesheet)
		r.Get("/lang", p.switchLanguage)
		r.Get("/login", p.loginForm)
		r.Post("/login", p.loginSubmit)
		r.Post("/logout", p.loggedIn(p.logoutSubmit))
		r.Get("/", p.loggedIn(p.myWork))

		r.Get("/deals", p.loggedIn(p.dealList))
		r.Get("/deals/new", p.loggedIn(p.newDealForm))
		r.Post("/deals/new", p.loggedIn(p.newDealSubmit))
		r.Get("/deals/{id}", p.loggedIn(p.dealPage))
		r.Post("/deals/{id}/act", p.loggedIn(p.dealAct))
		r.Post("/deals/{id}/promise", p.loggedIn(p.promiseSubmit))
		r.Post("/key-activities/{id}/support", p.loggedIn(p.keyActivitySubmit("support")))
		r.Post("/key-activities/{id}/outcome", p.loggedIn(p.keyActivitySubmit("outcome")))
		r.Get("/funnel", p.loggedIn(p.funnelPage))

		r.Get("/inbox", p.loggedIn(p.inbox))
		r.Post("/inbox/decide", p.loggedIn(p.decide))
		r.Get("/approvals/stuck", p.loggedIn(p.stuckBoard))
		r.Get("/approvals/stuck/chart.svg", p.loggedIn(p.stuckChart))
		r.Get("/approvals/{id}", p.loggedIn(p.casePage))
		r.Post("/approvals/{id}/decide", p.loggedIn(p.decide))
		r.Post("/approvals/{id}/comment", p.loggedIn(p.caseComment))
		r.Post("/approvals/{id}/delegate", p.loggedIn(p.caseDelegate))

		r.Get("/customers", p.loggedIn(p.customerList))
		r.Get("/customers/{code}", p.loggedIn(p.customerPage))
		r.Post("/customers/{code}/terms", p.loggedIn(p.termsSubmit))
		r.Get("/classes/review", p.loggedIn(p.classReview))
		r.Post("/classes/review/decide", p.loggedIn(p.classReviewDecide))
		r.Get("/imports", p.loggedIn(p.importList))
		r.Post("/imports", p.loggedInUpload(p.importUpload))
		r.Get("/imports/template", p.loggedIn(p.importTemplate))
		r.Get("/imports/{id}", p.loggedIn(p.importPage))
		r.Get("/imports/{id}/result", p.loggedIn(p.importResult))

		r.Get("/collection", p.loggedIn(func(w http.ResponseWriter, r *http.Request, _ pageData) {
			http.Redirect(w, r, "/collection/ageing", http.StatusSeeOther)
		}))
		r.Get("/collection/ageing", p.loggedIn(p.collectionPage("ageing")))
		r.Get("/collection/forecast", p.loggedIn(p.collectionPage("forecast")))
		r.Get("/collection/deliveries", p.loggedIn(p.collectionPage("deliveries")))
		r.Get("/collection/big-deals", p.loggedIn(p.collectionPage("big_deals")))
		r.Get("/collection/dunning", p.loggedIn(p.collectionPage("dunning")))
		r.Get("/collection/export/{name}", p.loggedIn(p.collectionExport))

		// The ERP sync: administrators only, as /api/v1/sync is.
		admins := func(page func(http.ResponseWriter, *http.Request, pageData)) http.HandlerFunc {
			return p.loggedIn(p.onlyAdmins("sync", syncAdminOnly, page))
		}
		r.Get("/sync", admins(p.syncPage))
		r.Get("/sync/health", admins(p.syncPage)) // its first address, kept for bookmarks
		r.Post("/sync/{entity}/run", admins(p.syncRun))
		r.Post("/sync/{entity}/schedule", admins(p.syncSchedule))
		r.Get("/admin", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/admin/rules", http.StatusSeeOther)
		})
		r.Get("/admin/rules", p.loggedIn(p.admin(p.rulesList)))
		r.Get("/admin/rules/{kind}", p.loggedIn(p.admin(p.rulesEdit)))
		r.Post("/admin/rules/{kind}", p.loggedIn(p.admin(p.rulesSave)))
		r.Get("/admin/calendars", p.loggedIn(p.admin(p.calendarPage)))
		r.Post("/admin/calendars", p.loggedIn(p.admin(p.calendarSave)))
		r.Get("/admin/users", p.loggedIn(p.admin(p.userList)))
	})
}
