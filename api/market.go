package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/workflows"
)

// marketAPI serves /api/v1/market (issue 14, item 2): the budgets market
// management sets per department and quarter, applications for market
// activities (trade fairs, technical seminars, samples) checked against what
// remains and decided by a market_activity case before they run, their
// actual cost, and the pipeline they produced.
type marketAPI struct{ Deps }

// marketKinds are the kinds of market activity.
var marketKinds = []string{"trade_fair", "seminar", "samples"}

var quarterShape = regexp.MustCompile(`^[0-9]{4}-Q[1-4]$`)

// mayReadMarket: the sales team, market management, finance and admins.
func mayReadMarket(u identity.User) bool {
	return u.Has(identity.RoleSales, identity.RoleSalesAssistant, identity.RoleSalesManager, identity.RoleMarketManager,
		identity.RoleFinance, identity.RoleAdmin)
}

// marketManages: market management and admins set budgets and act for any
// department.
func marketManages(u identity.User) bool {
	return u.Has(identity.RoleMarketManager, identity.RoleAdmin)
}

func (h marketAPI) budgets(w http.ResponseWriter, r *http.Request) error {
	if !mayReadMarket(actor(r)) {
		return problem(http.StatusForbidden, probForbidden, "market budgets are the sales team's, market management's and finance's")
	}
	q := r.URL.Query().Get("quarter")
	if q != "" && !quarterShape.MatchString(q) {
		return problem(http.StatusBadRequest, probInvalidQuery, "invalid query",
			deal.FieldError{Field: "quarter", Message: fmt.Sprintf("%q: want a quarter such as 2026-Q4", q)})
	}
	list, err := h.DB.MarketBudgets(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"budgets": list})
}

type budgetRequest struct {
	Department string        `json:"department"`
	Quarter    string        `json:"quarter"`
	Currency   string        `json:"currency,omitempty"`
	Amount     *money.Amount `json:"amount"`
	WarnBP     *int          `json:"warn_bp,omitempty"`
}

// saveBudget sets one department's budget for a quarter: market management
// and admins; checked whole, audited (market.budget.save, before and after).
func (h marketAPI) saveBudget(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[budgetRequest](w, r, marketManages, "only market management or an admin sets market budgets")
	if err != nil {
		return err
	}
	b := database.MarketBudget{Department: strings.TrimSpace(req.Department), Quarter: req.Quarter, Currency: req.Currency, WarnBP: 1000}
	if b.Currency == "" {
		b.Currency = "CNY"
	}
	var fe []deal.FieldError
	if b.Department == "" || utf8.RuneCountInString(b.Department) > 64 {
		fe = append(fe, deal.FieldError{Field: "department", Message: "is required (a team), at most 64 characters"})
	}
	if !quarterShape.MatchString(b.Quarter) {
		fe = append(fe, deal.FieldError{Field: "quarter", Message: fmt.Sprintf("%q: want a quarter such as 2026-Q4", b.Quarter)})
	}
	if !money.ValidCurrency(b.Currency) {
		fe = append(fe, deal.FieldError{Field: "currency", Message: fmt.Sprintf("%q is not a currency l2c knows", b.Currency)})
	}
	if req.Amount == nil || *req.Amount < 0 {
		fe = append(fe, deal.FieldError{Field: "amount", Message: "is required, zero or more"})
	} else {
		b.Amount = *req.Amount
	}
	if req.WarnBP != nil {
		if *req.WarnBP < 0 || *req.WarnBP > 10000 {
			fe = append(fe, deal.FieldError{Field: "warn_bp", Message: "want basis points of the budget from 0 to 10000"})
		}
		b.WarnBP = *req.WarnBP
	}
	if len(fe) > 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid budget", fe...)
	}
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		before, err := h.DB.MarketBudgets(ctx, b.Quarter)
		if err != nil {
			return audit.Entry{}, err
		}
		var was *database.MarketBudget
		for i := range before {
			if before[i].Department == b.Department {
				was = &before[i]
			}
		}
		if err := h.DB.MarketBudgetSave(ctx, b, me.ID); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "market.budget.save", "market_budget", b.Department+"/"+b.Quarter,
			map[string]any{"before": was, "after": b}), nil
	})
	if err != nil {
		return err
	}
	return h.budgets(w, r)
}

type applyRequest struct {
	Title      string                `json:"title"`
	Kind       string                `json:"kind"`
	Department string                `json:"department"`
	StartsOn   deal.Date             `json:"starts_on"`
	Currency   string                `json:"currency,omitempty"`
	Lines      []database.MarketLine `json:"lines"`
}

// quarterOf is the quarter a day falls in: 2026-11-20 → 2026-Q4.
func quarterOf(d deal.Date) string { return fmt.Sprintf("%d-Q%d", d.Year, (int(d.Month)-1)/3+1) }

// apply records an application and starts its case: the sales team for
// their own team, market management for any department. Over what remains
// of the budget it is a 409 over_budget naming the budget and what remains,
// nothing saved; leaving less than the budget's warning margin, it is
// accepted with a warning.
func (h marketAPI) apply(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[applyRequest](w, r, hasRole(identity.RoleSales, identity.RoleSalesAssistant, identity.RoleSalesManager, identity.RoleMarketManager), "market activities are applied for by the sales team or market management")
	if err != nil {
		return err
	}
	a := database.MarketActivity{Title: strings.TrimSpace(req.Title), Kind: req.Kind, Department: strings.TrimSpace(req.Department),
		Currency: req.Currency, Lines: req.Lines, RequestedBy: me.ID, RequestedAt: h.Now().UTC()}
	if a.Currency == "" {
		a.Currency = "CNY"
	}
	var fe []deal.FieldError
	bad := func(field, format string, args ...any) {
		fe = append(fe, deal.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if a.Title == "" || utf8.RuneCountInString(a.Title) > 200 {
		bad("title", "is required, at most 200 characters")
	}
	if !slices.Contains(marketKinds, a.Kind) {
		bad("kind", "%q: want trade_fair, seminar or samples", a.Kind)
	}
	switch {
	case a.Department == "":
		bad("department", "is required: whose budget pays")
	case !marketManages(me) && a.Department != me.Team:
		bad("department", "you apply for your own team's budget (%q), not %q", me.Team, a.Department)
	}
	if req.StartsOn.IsZero() {
		bad("starts_on", "is required (YYYY-MM-DD): the quarter's budget it is paid from")
	}
	if len(a.Lines) == 0 {
		bad("lines", "at least one budget line (category, amount) is required")
	}
	for i, l := range a.Lines {
		if strings.TrimSpace(l.Category) == "" {
			bad(fmt.Sprintf("lines[%d].category", i), "is required (booth, travel, samples...)")
		}
		if l.Amount <= 0 {
			bad(fmt.Sprintf("lines[%d].amount", i), "must be more than zero")
		}
		a.Total += l.Amount
	}
	if len(fe) > 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid market activity", fe...)
	}
	a.StartsOn = time.Date(req.StartsOn.Year, req.StartsOn.Month, req.StartsOn.Day, 0, 0, 0, 0, time.UTC)
	a.Quarter = quarterOf(req.StartsOn)
	var budget database.MarketBudget
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		if budget, err = h.DB.MarketActivityCreate(ctx, &a, workflows.MarketActivityCaseID); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "market.activity.apply", "market_activity", fmt.Sprint(a.ID),
			map[string]any{"title": a.Title, "kind": a.Kind, "department": a.Department, "quarter": a.Quarter,
				"lines": a.Lines, "total": a.Total, "remaining_before": budget.Remaining}), nil
	})
	var over *database.OverBudget
	switch {
	case errors.As(err, &over):
		return problem(http.StatusConflict, probOverBudget, fmt.Sprintf("the %s budget for %s is %s %s, of which %s remains; this asks for %s",
			a.Department, a.Quarter, over.Budget.Amount, over.Budget.Currency, over.Budget.Remaining, over.Asked),
			deal.FieldError{Field: "lines", Message: fmt.Sprintf("total %s is over the %s remaining", over.Asked, over.Budget.Remaining)})
	case errors.Is(err, database.ErrNoBudget):
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid market activity",
			deal.FieldError{Field: "department", Message: fmt.Sprintf("%s has no %s budget for %s: market management sets it first",
				a.Department, a.Currency, a.Quarter)})
	case err != nil:
		return err
	}
	_, err = h.Temporal.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{ID: workflows.MarketActivityWorkflowID(a.ID),
		TaskQueue: workflows.TaskQueue}, workflows.MarketActivityWorkflow, workflows.MarketActivityInput{ID: a.ID, Title: a.Title,
		Requester: me, Total: a.Total, RequestedAt: a.RequestedAt, Subject: marketSubject(a, budget)})
	if err != nil {
		_ = h.DB.MarketActivityFinish(r.Context(), a.ID, database.MarketFailed, "could not start: "+err.Error(), h.Audit,
			h.entryAs("system", "market.activity.failed", "market_activity", fmt.Sprint(a.ID), map[string]any{"error": err.Error()}))
		return fmt.Errorf("start market activity %d: %w", a.ID, err)
	}
	out := map[string]any{"activity": a, "budget": map[string]any{"amount": budget.Amount, "remaining_before": budget.Remaining,
		"remaining_after": budget.Remaining - a.Total}}
	if left := budget.Remaining - a.Total; int64(left)*10000 < int64(budget.Amount)*int64(budget.WarnBP) {
		out["warning"] = fmt.Sprintf("after this, %s of the %s budget for %s remains (%s %s), under its %s margin",
			left, a.Department, a.Quarter, budget.Amount, budget.Currency, deal.Percent(int64(budget.WarnBP)).String()+"%")
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/market/activities/%d", a.ID))
	return writeJSON(w, http.StatusAccepted, out)
}

// marketSubject is what the approvers see.
func marketSubject(a database.MarketActivity, b database.MarketBudget) []approval.Field {
	lines := make([]string, len(a.Lines))
	for i, l := range a.Lines {
		lines[i] = l.Category + " " + l.Amount.String()
	}
	return []approval.Field{
		{Name: "activity", Value: a.Title + " (" + a.Kind + ")"},
		{Name: "department", Value: a.Department},
		{Name: "quarter", Value: a.Quarter},
		{Name: "budget_lines", Value: strings.Join(lines, "; ")},
		{Name: "total", Value: a.Total.String() + " " + a.Currency},
		{Name: "budget_remaining", Value: b.Remaining.String() + " / " + b.Amount.String() + " " + b.Currency},
	}
}

func (h marketAPI) list(w http.ResponseWriter, r *http.Request) error {
	if !mayReadMarket(actor(r)) {
		return problem(http.StatusForbidden, probForbidden, "market activities are the sales team's, market management's and finance's")
	}
	q := r.URL.Query()
	list, err := h.DB.MarketActivityList(r.Context(), q.Get("department"), q.Get("quarter"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"activities": list})
}

// find is activity {id}, for someone who may read it.
func (h marketAPI) find(r *http.Request) (database.MarketActivity, error) {
	if !mayReadMarket(actor(r)) {
		return database.MarketActivity{}, problem(http.StatusForbidden, probForbidden,
			"market activities are the sales team's, market management's and finance's")
	}
	id, err := idParam(r, "market activity")
	if err != nil {
		return database.MarketActivity{}, err
	}
	a, err := h.DB.MarketActivityGet(r.Context(), id)
	if errors.Is(err, database.ErrNotFound) {
		return a, problem(http.StatusNotFound, probNotFound, "no such market activity")
	}
	return a, err
}

func (h marketAPI) get(w http.ResponseWriter, r *http.Request) error {
	a, err := h.find(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// cost records what an approved activity cost once it ran: its requester,
// market management or an admin; it then counts against the budget instead
// of the amount applied for.
func (h marketAPI) cost(w http.ResponseWriter, r *http.Request) error {
	a, err := h.find(r)
	if err != nil {
		return err
	}
	me := actor(r)
	if me.ID != a.RequestedBy && !marketManages(me) {
		return problem(http.StatusForbidden, probForbidden, "the actual cost is recorded by the requester or market management")
	}
	var req struct {
		ActualCost *money.Amount `json:"actual_cost"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.ActualCost == nil || *req.ActualCost < 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid cost", deal.FieldError{Field: "actual_cost", Message: "is required, zero or more"})
	}
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		if err := h.DB.MarketActivityCost(ctx, a.ID, *req.ActualCost); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "market.activity.cost", "market_activity", fmt.Sprint(a.ID),
			map[string]any{"applied": a.Total, "actual_cost": *req.ActualCost}), nil
	})
	if errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusConflict, probWrongStage, fmt.Sprintf("the activity is %s: a cost is recorded once it is approved, once", a.Status))
	}
	if err != nil {
		return err
	}
	return h.get(w, r)
}

// marketTagRequest names the deal an activity is the source of.
type marketTagRequest struct {
	DealID string `json:"deal_id"`
}

// tag names the activity as the source of a deal: the sales team, on a
// deal they see, for an activity approved or done.
func (h marketAPI) tag(w http.ResponseWriter, r *http.Request) error {
	a, err := h.find(r)
	if err != nil {
		return err
	}
	me, req, err := bodyFor[marketTagRequest](w, r, hasRole(identity.RoleSales, identity.RoleSalesAssistant, identity.RoleSalesManager, identity.RoleMarketManager),
		"deals are tagged with their source by the sales team or market management")
	if err != nil {
		return err
	}
	if a.Status != database.MarketApproved && a.Status != database.MarketDone {
		return problem(http.StatusConflict, probWrongStage, fmt.Sprintf("the activity is %s: only one approved produces deals", a.Status))
	}
	ok, err := h.DB.DealVisible(r.Context(), req.DealID, database.ViewerOf(me))
	if err != nil {
		return err
	}
	if !ok {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid deal", deal.FieldError{Field: "deal_id", Message: fmt.Sprintf("no deal %q", req.DealID)})
	}
	err = h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		if err := h.DB.MarketActivityTag(ctx, a.ID, req.DealID, me.ID); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "market.activity.tag", "deal", req.DealID, map[string]any{"activity": a.ID}), nil
	})
	if err != nil {
		return err
	}
	return h.pipeline(w, r)
}

// pipeline is what the activity produced: its deals by stage, their
// amounts and customers, beside what it cost.
func (h marketAPI) pipeline(w http.ResponseWriter, r *http.Request) error {
	a, err := h.find(r)
	if err != nil {
		return err
	}
	rows, err := h.DB.MarketActivityPipeline(r.Context(), a.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"activity": a.ID, "total": a.Total, "actual_cost": a.ActualCost, "stages": rows})
}
