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

// nextAfter is a keyset page's cursor: the key of its last row when the page
// is full, since more rows may follow it; empty when the page is short, the
// end of the list. Every list decides this one way, so a client pages them
// all alike.
func nextAfter[T any](list []T, limit int, key func(T) string) string {
	if limit < 1 || len(list) != limit {
		return ""
	}
	return key(list[len(list)-1])
}

// listPage is a keyset list's answer: its rows under name, and "next" (see
// nextAfter) only when another page may follow.
func listPage[T any](name string, list []T, limit int, key func(T) string) map[string]any {
	page := map[string]any{name: list}
	if next := nextAfter(list, limit, key); next != "" {
		page["next"] = next
	}
	return page
}
