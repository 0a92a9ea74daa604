package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// tokens serves /api/v1/tokens: a person's API tokens for scripts and
// machines, each scoped, expiring and revocable.
type tokens struct{ Deps }

// maxTokenDays bounds a token's life: a forgotten token stops working on its own.
const maxTokenDays = 365

// create makes a token. It asks for the caller's password again, whether
// they come with a session or a token: a stolen session cookie (or a
// short-lived token) must not turn into a year-long write token. The check
// counts as a login attempt, limits included.
func (h tokens) create(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name          string   `json:"name"`
		Scopes        []string `json:"scopes"`
		ExpiresInDays int      `json:"expires_in_days"`
		Password      string   `json:"password"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var fe []deal.FieldError
	if strings.TrimSpace(req.Name) == "" {
		fe = append(fe, deal.FieldError{Field: "name", Message: "is required: say what the token is for"})
	}
	if len(req.Scopes) == 0 {
		fe = append(fe, deal.FieldError{Field: "scopes", Message: `is required: ["read"] or ["read","write"]`})
	}
	for i, sc := range req.Scopes {
		if sc != "read" && sc != "write" {
			fe = append(fe, deal.FieldError{Field: fmt.Sprintf("scopes[%d]", i), Message: fmt.Sprintf("%q: want read or write", sc)})
		}
	}
	if req.ExpiresInDays < 1 || req.ExpiresInDays > maxTokenDays {
		fe = append(fe, deal.FieldError{Field: "expires_in_days", Message: fmt.Sprintf("want 1 to %d", maxTokenDays)})
	}
	if req.Password == "" {
		fe = append(fe, deal.FieldError{Field: "password", Message: "is required: give your password again to make a token"})
	}
	if len(fe) > 0 {
		return problem(http.StatusUnprocessableEntity, probInvalid, "invalid input", fe...)
	}
	me := actor(r)
	if _, err := h.passwordLogin(r, me.ID, req.Password); err != nil {
		if p, ok := err.(*Problem); ok && p.Status == http.StatusUnauthorized {
			return problem(http.StatusForbidden, probForbidden, "the password is wrong (a user without a password asks an admin for a token)",
				deal.FieldError{Field: "password", Message: "is wrong"})
		}
		return err
	}
	slices.Sort(req.Scopes)
	req.Scopes = slices.Compact(req.Scopes)
	token := "l2ct_" + randomSecret()
	expires := h.Now().UTC().Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour).Truncate(time.Microsecond)
	var t database.APIToken
	err := h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		if t, err = h.DB.TokenCreate(ctx, me.ID, strings.TrimSpace(req.Name), req.Scopes, token, expires); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "token.create", "api_token", strconv.FormatInt(t.ID, 10), t), nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, struct {
		database.APIToken
		Token string `json:"token"` // shown this once; only its digest is kept
	}{t, token})
}

func (h tokens) list(w http.ResponseWriter, r *http.Request) error {
	list, err := h.DB.TokenList(r.Context(), actor(r).ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
}

// revoke ends a token at once: the caller's own, or anyone's for an admin.
func (h tokens) revoke(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "token")
	if err != nil {
		return err
	}
	me := actor(r)
	return h.changeAudited(w, r, "token", func(ctx context.Context) error {
		return h.DB.TokenRevoke(ctx, id, me.ID, me.Has(identity.RoleAdmin), h.Now())
	}, func() audit.Entry {
		return h.entry(r, "token.revoke", "api_token", strconv.FormatInt(id, 10), nil)
	})
}
