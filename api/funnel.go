package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/funnel"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/scheduler"
)

// funnelAPI serves /api/v1/funnel (issue 14, item 4): conversion and time
// in stage from l2c's own history, the probability of reaching the order
// per stage (the history's above the minimum sample, else the ladder's), the
// weighted pipeline by expected order month beside the reps' commit
// categories, and the rules. Each viewer counts the deals they may see.
type funnelAPI struct{ Deps }

// mayReadFunnel: the sales team and those who oversee it; delivery and
// collections work on deals, not on the pipeline.
func mayReadFunnel(u identity.User) bool {
	return u.Has(identity.RoleSales, identity.RoleSalesAssistant, identity.RoleSalesManager,
		identity.RoleMarketManager, identity.RoleFinance, identity.RoleAdmin)
}

// funnelFilter reads owner= and since= (YYYY-MM-DD: deals opened from that
// day) for the caller.
func (h funnelAPI) funnelFilter(r *http.Request) (database.FunnelFilter, error) {
	me := actor(r)
	if !mayReadFunnel(me) {
		return database.FunnelFilter{}, problem(http.StatusForbidden, probForbidden,
			"the funnel is the sales team's, market management's, finance's and admins'")
	}
	q := r.URL.Query()
	f := database.FunnelFilter{Viewer: database.ViewerOf(me), SalesOwner: q.Get("owner")}
	if s := q.Get("since"); s != "" {
		d, err := deal.ParseDate(s)
		if err != nil {
			return f, problem(http.StatusBadRequest, probInvalidQuery, "invalid query",
				deal.FieldError{Field: "since", Message: fmt.Sprintf("%q: want YYYY-MM-DD", s)})
		}
		f.Since = time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, h.Location)
	}
	return f, nil
}

// computed is the funnel f counts under the stored rules.
func (h funnelAPI) computed(ctx context.Context, f database.FunnelFilter) (funnel.Funnel, error) {
	rules, err := h.DB.FunnelRules(ctx)
	if err != nil {
		return funnel.Funnel{}, err
	}
	ts, err := h.DB.FunnelTransitions(ctx, f)
	if err != nil {
		return funnel.Funnel{}, err
	}
	return funnel.Compute(ts, rules), nil
}

func (h funnelAPI) funnel(w http.ResponseWriter, r *http.Request) error {
	f, err := h.funnelFilter(r)
	if err != nil {
		return err
	}
	out, err := h.computed(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h funnelAPI) forecast(w http.ResponseWriter, r *http.Request) error {
	f, err := h.funnelFilter(r)
	if err != nil {
		return err
	}
	fn, err := h.computed(r.Context(), f)
	if err != nil {
		return err
	}
	ds, err := h.DB.ForecastDeals(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, funnel.Weigh(ds, fn, h.Now(), h.Location))
}

func (h funnelAPI) rules(w http.ResponseWriter, r *http.Request) error {
	if !mayReadFunnel(actor(r)) {
		return problem(http.StatusForbidden, probForbidden, "the funnel is the sales team's, market management's, finance's and admins'")
	}
	rules, err := h.DB.FunnelRules(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rules)
}

// saveRules replaces the minimum sample and the ladder: market management
// and admins; checked whole, audited (funnel.rules.save).
func (h funnelAPI) saveRules(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[funnel.Rules](w, r, hasRole(identity.RoleMarketManager, identity.RoleAdmin), "only market management or an admin sets the funnel's rules")
	if err != nil {
		return err
	}
	if bad := req.Check(); len(bad) > 0 {
		fe := make([]deal.FieldError, len(bad))
		for i, b := range bad {
			fe[i] = deal.FieldError{Field: b.Field, Message: b.Message}
		}
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", fe...)
	}
	if err := h.saveAudited(r, "funnel.rules.save", "funnel_rules", req, func(ctx context.Context) error {
		return h.DB.FunnelRulesSave(ctx, req, me.ID)
	}); err != nil {
		return err
	}
	return h.rules(w, r)
}

// runFollowUps runs the follow-up clock now (admins), as the morning tick
// does, and answers with what it did.
func (h funnelAPI) runFollowUps(w http.ResponseWriter, r *http.Request) error {
	var out activities.RemindFollowUpsResult
	return h.runNow(w, r, "follow-up clock", scheduler.StartFollowUps, "result", &out)
}
