package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// calendars serves /api/v1/calendars: the working calendars approval SLAs are
// counted on. Anyone may read one; only an admin may change one.
type calendars struct{ Deps }

func (h calendars) get(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	c, err := h.DB.CalendarGet(r.Context(), id)
	if errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no calendar %q", id))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// put replaces the calendar with the body, a calendar.Spec: the whole calendar,
// days included (GET it, change it, PUT it back). A bad body changes nothing.
func (h calendars) put(w http.ResponseWriter, r *http.Request) error {
	_, s, err := bodyFor[calendar.Spec](w, r, hasRole(identity.RoleAdmin), "only an admin may change a working calendar")
	if err != nil {
		return err
	}
	c, err := h.save(r, chi.URLParam(r, "id"), s)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// save checks and replaces calendar id with s, audited; the API and the
// calendars page both save through here.
func (h calendars) save(r *http.Request, id string, s calendar.Spec) (*calendar.Calendar, error) {
	who := actor(r)
	if !who.Has(identity.RoleAdmin) {
		return nil, problem(http.StatusForbidden, probForbidden, "only an admin may change a working calendar")
	}
	if s.ID != "" && s.ID != id {
		return nil, problem(http.StatusUnprocessableEntity, probInvalid, "invalid calendar",
			deal.FieldError{Field: "id", Message: fmt.Sprintf("is %q but the URL says %q; leave it out or make them agree", s.ID, id)})
	}
	s.ID = id
	// An administrative change: saved and audited in one transaction.
	var c *calendar.Calendar
	err := h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		if c, err = h.DB.CalendarSave(ctx, s, who.ID); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "calendar.save", "calendar", id, c.Spec()), nil
	})
	var invalid *calendar.ValidationError
	if errors.As(err, &invalid) {
		return nil, problem(http.StatusUnprocessableEntity, probInvalid, "invalid calendar", invalid.Fields...)
	}
	return c, err
}
