package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
)

// activitiesAPI serves /api/v1/activities: visits, calls and meetings logged
// on a customer (and a deal of it). They are follow-ups: the pool clock of
// the customer restarts from the latest.
type activitiesAPI struct{ Deps }

// activityKinds are the follow-ups one logs.
var activityKinds = map[string]bool{"visit": true, "call": true, "meeting": true}

// seesWhole reads customer code for the one asking and says whether they
// see it whole (its owner, their manager or assistant, the overseers): the
// people who follow it up. Anyone else gets 404, as for no such customer.
func (d Deps) seesWhole(r *http.Request, code string) error {
	c, err := d.DB.CustomerGet(r.Context(), code, viewer(actor(r)))
	if errors.Is(err, database.ErrNotFound) || (err == nil && c.Terms == nil) {
		return problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no customer %q", code))
	}
	return err
}

func (h activitiesAPI) add(w http.ResponseWriter, r *http.Request) error {
	if !mayOwn(actor(r)) {
		return problem(http.StatusForbidden, probForbidden, "activities are logged by the sales team")
	}
	var req struct {
		Customer   string    `json:"customer"`
		DealID     string    `json:"deal_id,omitempty"`
		Kind       string    `json:"kind"`
		HappenedAt time.Time `json:"happened_at"`
		Note       string    `json:"note,omitempty"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var fe []deal.FieldError
	bad := func(f, format string, args ...any) {
		fe = append(fe, deal.FieldError{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	req.Customer = strings.TrimSpace(req.Customer)
	if req.Customer == "" {
		bad("customer", "is required: the customer's code")
	}
	if !activityKinds[req.Kind] {
		bad("kind", "want visit, call or meeting, not %q", req.Kind)
	}
	switch {
	case req.HappenedAt.IsZero():
		bad("happened_at", "is required (RFC 3339, e.g. 2026-11-20T10:00:00+08:00)")
	case req.HappenedAt.After(h.Now().Add(time.Hour)):
		bad("happened_at", "is in the future: log an activity once it happened")
	}
	if utf8.RuneCountInString(req.Note) > 2000 {
		bad("note", "is over 2,000 characters")
	}
	if len(fe) > 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", fe...)
	}
	if err := h.seesWhole(r, req.Customer); err != nil {
		return err
	}
	if req.DealID != "" {
		d, err := deals{h.Deps}.find(r, req.DealID)
		if err != nil || d.Customer.Code != req.Customer {
			return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input",
				deal.FieldError{Field: "deal_id", Message: fmt.Sprintf("no deal %q of customer %s that you may see", req.DealID, req.Customer)})
		}
	}
	a := database.Activity{Customer: req.Customer, DealID: req.DealID, Kind: req.Kind, HappenedAt: req.HappenedAt.UTC(),
		By: actor(r).ID, Note: req.Note}
	err := h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		if a.ID, err = h.DB.ActivityAdd(ctx, a); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "activity.log", "customer", a.Customer, a), nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (h activitiesAPI) list(w http.ResponseWriter, r *http.Request) error {
	if !mayOwn(actor(r)) {
		return problem(http.StatusForbidden, probForbidden, "activities are the sales team's")
	}
	code := r.URL.Query().Get("customer")
	if code == "" {
		return problem(http.StatusBadRequest, probInvalidQuery, "say whose activities",
			deal.FieldError{Field: "customer", Message: "is required"})
	}
	if err := h.seesWhole(r, code); err != nil {
		return err
	}
	list, err := h.DB.ActivityList(r.Context(), code, 200)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"activities": list})
}
