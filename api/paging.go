package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/deal"
)

// pageQuery is a list's paging parameters as the client sent them: at most Limit
// rows, after the cursor After (the last row's key of the previous page, or
// empty for the first page).
type pageQuery struct {
	Limit int
	After string
}

// pageParams parses ?limit= (def when absent, a whole number from 1 to max)
// and ?after= the same way for every list; a bad limit is a 400 invalid_query
// naming the field.
func pageParams(r *http.Request, def, max int) (pageQuery, error) {
	q := r.URL.Query()
	p := pageQuery{Limit: def, After: q.Get("after")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return pageQuery{}, problem(http.StatusBadRequest, probInvalidQuery, "bad page size",
				deal.FieldError{Field: "limit", Message: fmt.Sprintf("want a whole number from 1 to %d", max)})
		}
		p.Limit = n
	}
	return p, nil
}

// idParam is the route's numeric {id}, parsed the same way for every
// resource numbered by the database (tokens, sessions, imports, delegations):
// anything else, a number below 1 included, names nothing, so a 404 "no such
// <what>".
func idParam(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id < 1 {
		return 0, problem(http.StatusNotFound, probNotFound, "no such "+what)
	}
	return id, nil
}

// afterSeq is the cursor of a list keyed by a sequence number (the audit
// trail): 0 for the first page.
func (p pageQuery) afterSeq() (int64, error) {
	if p.After == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(p.After, 10, 64)
	if err != nil || n < 0 {
		return 0, problem(http.StatusBadRequest, probInvalidQuery, "bad cursor",
			deal.FieldError{Field: "after", Message: "want an entry number, 0 or more"})
	}
	return n, nil
}

// limitParam is pageParams' limit, for lists without a cursor.
func limitParam(r *http.Request, def, max int) (int, error) {
	p, err := pageParams(r, def, max)
	return p.Limit, err
}
