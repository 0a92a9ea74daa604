package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
)

// customers serves /api/v1/customers: the customer master, read-only, as the
// caller may see it. Who sees which customer, and whether with its commercial
// terms, is decided in SQL (internal/database/customers_read.go).
type customers struct{ Deps }

// customerOwnerShape is the shape of a user's ID (the users table checks the same).
var customerOwnerShape = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

const (
	customersPageDefault = 100
	customersPageMax     = 500
	customerQueryMax     = 100 // characters
)

func customerFilterProblem(field, detail, want string) error {
	return problem(http.StatusBadRequest, probInvalidQuery, detail, deal.FieldError{Field: field, Message: want})
}

// list returns a page of customers in code order, filtered by owner, a
// substring of name or code, value class and blocked.
func (h customers) list(w http.ResponseWriter, r *http.Request) error {
	f, err := customerFilterOf(r)
	if err != nil {
		return err
	}
	list, err := h.DB.CustomerList(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listPage("customers", list, f.Limit, func(c database.CustomerView) string { return c.Code }))
}

// customerFilterOf reads a customer list's filters and page from the query,
// for the API's list and the customers page alike: a bad one is a 400
// naming the parameter.
func customerFilterOf(r *http.Request) (database.CustomerFilter, error) {
	q := r.URL.Query()
	f := database.CustomerFilter{Viewer: viewer(actor(r)), Owner: q.Get("owner"), Query: q.Get("q"),
		Class: q.Get("class"), After: q.Get("after"), Limit: customersPageDefault}
	if f.Owner != "" && !customerOwnerShape.MatchString(f.Owner) {
		return f, customerFilterProblem("owner", "bad owner", "want a user ID")
	}
	if utf8.RuneCountInString(f.Query) > customerQueryMax {
		return f, customerFilterProblem("q", "search text too long", fmt.Sprintf("want at most %d characters", customerQueryMax))
	}
	switch f.Class {
	case "", "A", "B", "C":
	default:
		return f, customerFilterProblem("class", "unknown value class", "want A, B or C")
	}
	switch s := q.Get("blocked"); s {
	case "":
	case "true", "false":
		b := s == "true"
		f.Blocked = &b
	default:
		return f, customerFilterProblem("blocked", "bad blocked filter", "want true or false")
	}
	pg, err := pageParams(r, customersPageDefault, customersPageMax)
	if err != nil {
		return f, err
	}
	f.Limit, f.After = pg.Limit, pg.After
	return f, nil
}

// get returns one customer; one the caller may not see answers 404, like a missing one.
func (h customers) get(w http.ResponseWriter, r *http.Request) error {
	return customerRead(w, r, h.DB.CustomerGet)
}

// receivables returns the customer's ERP invoices with what is paid and open.
func (h customers) receivables(w http.ResponseWriter, r *http.Request) error {
	return customerRead(w, r, h.DB.CustomerReceivables)
}

// customerRead answers with what get reads of the customer {code} for the
// caller (customerProblem when it cannot).
func customerRead[T any](w http.ResponseWriter, r *http.Request, get func(context.Context, string, database.Viewer) (T, error)) error {
	code := chi.URLParam(r, "code")
	v, err := get(r.Context(), code, viewer(actor(r)))
	if err != nil {
		return customerProblem(err, code)
	}
	return writeJSON(w, http.StatusOK, v)
}

func customerProblem(err error, code string) error {
	if errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no customer %q", code))
	}
	return err
}
