package sap

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors"
)

// Change reads page the same way whatever the server does about paging. Each
// query asks for a client page ($top, Config.PageSize) in key order
// ($orderby on the entity's key). A server that pages by itself answers with
// __next, which is followed as before; a server that does not (or whose
// server page is larger than $top) answers at most $top rows, and when it
// answered a full page the next query continues after the last key read
// ("Key gt 'last'" within the same change filter). Keyset continuation never
// skips or repeats rows while data changes, unlike $skip. Either way one
// response holds at most a page, so memory stays bounded on a server that
// would otherwise hand out the whole entity set at once.

// listing describes one entity set read in change pages.
type listing struct {
	op, service, path string
	query             func() url.Values // $select and $expand
	base              string            // filter always applied, "" for none
	// changed is the filter for records changed at or after since; byDay asks
	// for date-granular comparisons only. probe says the precise form uses
	// Edm.Time literals, which some servers refuse.
	changed func(since time.Time, byDay bool) string
	probe   bool
	keys    []string // the key properties, in $orderby order
}

// pageCursor is where a change read stands. Its text form (the
// connectors.ChangeReader cursor) starts with cursorPrefix; a bare URL is a
// __next link saved by an older version, still followed.
type pageCursor struct {
	Next  string    // a server __next link to follow, or "" to query after Last
	Since time.Time // the change filter's bound
	Last  []string  // key of the last row read
	Got   int       // rows read since the last query l2c built
}

const cursorPrefix = "l2c1;"

func (p pageCursor) String() string {
	v := url.Values{}
	if p.Next != "" {
		v.Set("next", p.Next)
	}
	if !p.Since.IsZero() {
		v.Set("since", p.Since.UTC().Format(time.RFC3339Nano))
	}
	for _, k := range p.Last {
		v.Add("last", k)
	}
	if p.Got > 0 {
		v.Set("got", strconv.Itoa(p.Got))
	}
	return cursorPrefix + v.Encode()
}

func parseCursor(s string, since time.Time) (pageCursor, error) {
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return pageCursor{Next: s, Since: since}, nil
	}
	v, err := url.ParseQuery(rest)
	bad := func(why string) (pageCursor, error) {
		return pageCursor{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: "read cursor", Message: why}
	}
	if err != nil {
		return bad("malformed cursor")
	}
	p := pageCursor{Next: v.Get("next"), Last: v["last"]}
	if t := v.Get("since"); t != "" {
		if p.Since, err = time.Parse(time.RFC3339Nano, t); err != nil {
			return bad("malformed since in cursor")
		}
	}
	if g := v.Get("got"); g != "" {
		if p.Got, err = strconv.Atoi(g); err != nil || p.Got < 0 {
			return bad("malformed count in cursor")
		}
	}
	return p, nil
}

// keysetFilter is "after the key last" for keys in order: for (A, B) and
// ('a', 'b'): (A gt 'a' or (A eq 'a' and B gt 'b')).
func keysetFilter(keys, last []string) string {
	var terms []string
	for i := range keys {
		var t []string
		for j := 0; j < i; j++ {
			t = append(t, keys[j]+" eq "+StringLit(last[j]))
		}
		t = append(t, keys[i]+" gt "+StringLit(last[i]))
		terms = append(terms, strings.Join(t, " and "))
	}
	for i, t := range terms {
		if i > 0 {
			terms[i] = "(" + t + ")"
		}
	}
	return "(" + strings.Join(terms, " or ") + ")"
}

// pageSize is the client page, $top.
func (c *Client) pageSize() int { return c.cfg.PageSize }

// queryURL builds the query for the page after last (nil: the first page).
func (c *Client) queryURL(l listing, since time.Time, byDay bool, last []string) string {
	q := l.query()
	var f []string
	if l.base != "" {
		f = append(f, l.base)
	}
	if !since.IsZero() {
		f = append(f, l.changed(since, byDay))
	}
	if len(last) == len(l.keys) && len(last) > 0 {
		f = append(f, keysetFilter(l.keys, last))
	}
	if len(f) == 1 {
		q.Set("$filter", f[0])
	} else if len(f) > 1 {
		for i := range f {
			f[i] = "(" + f[i] + ")"
		}
		q.Set("$filter", strings.Join(f, " and "))
	}
	q.Set("$orderby", strings.Join(l.keys, ","))
	q.Set("$top", strconv.Itoa(c.pageSize()))
	return c.serviceURL(l.service, l.path, q)
}

// fetch reads the page cursor points to (the first page for ""), and returns
// the response with the position it was read from.
func (c *Client) fetch(ctx context.Context, l listing, since time.Time, cursor string) (*response, pageCursor, error) {
	cur := pageCursor{Since: since}
	if cursor != "" {
		var err error
		if cur, err = parseCursor(cursor, since); err != nil {
			return nil, cur, err
		}
	}
	if cur.Next != "" {
		u, err := c.follow(cur.Next)
		if err != nil {
			return nil, cur, err
		}
		res, err := c.get(ctx, l.op, u)
		return res, cur, err
	}
	cur.Got = 0
	if !l.probe || cur.Since.IsZero() || c.dayDeltas.Load() {
		res, err := c.get(ctx, l.op, c.queryURL(l, cur.Since, c.dayDeltas.Load(), cur.Last))
		return res, cur, err
	}
	// The precise filter is tried once, without retries; if the server
	// refuses it (400, 500 or 501: an independent OData implementation
	// answered 500 to every time'…' literal) and then takes the date-granular
	// filter, the client keeps to dates from then on. If the date filter
	// fails too the server is down, not picky: its error is returned and
	// nothing is remembered.
	res, err := c.do(ctx, request{op: l.op, method: http.MethodGet, once: true, url: c.queryURL(l, cur.Since, false, cur.Last)})
	var ce *connectors.Error
	if err == nil || !errors.As(err, &ce) || !refusedFilter(ce.Status) || ctx.Err() != nil {
		return res, cur, err
	}
	res, err2 := c.get(ctx, l.op, c.queryURL(l, cur.Since, true, cur.Last))
	if err2 != nil {
		return nil, cur, err2
	}
	c.dayDeltas.Store(true)
	c.log.WarnContext(ctx, "sap: the server refuses Edm.Time literals in $filter; reading deltas by the day from now on",
		"op", l.op, "refusal", err)
	return res, cur, nil
}

// refusedFilter is whether an HTTP status may mean "I cannot evaluate that
// $filter" (servers answer 400, 501, or, seen in the field, 500).
func refusedFilter(status int) bool {
	return status == http.StatusBadRequest || status == http.StatusInternalServerError || status == http.StatusNotImplemented
}

// keyTracker follows the keys of a response's rows: how many, the last, and
// whether they came in key order (keyset continuation depends on it).
type keyTracker struct {
	n        int
	last     []string
	disorder string
}

func (t *keyTracker) see(keys ...string) {
	t.n++
	if keys[0] == "" {
		return // a row too malformed to have a key: continue after the one before
	}
	if t.last != nil && t.disorder == "" && compareKeys(keys, t.last) < 0 {
		t.disorder = fmt.Sprintf("key %v came after %v", keys, t.last)
	}
	t.last = append(t.last[:0:0], keys...)
}

func compareKeys(a, b []string) int {
	for i := range a {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// next is the cursor after a response read from cur, whose __next was
// serverNext and whose rows t saw; "" when the read is complete.
func (c *Client) next(l listing, cur pageCursor, serverNext string, t *keyTracker) (string, error) {
	if t.disorder != "" {
		return "", &connectors.Error{Kind: connectors.ErrInvalid, Op: l.op,
			Message: "the server ignored $orderby (" + t.disorder + "); l2c pages by key and cannot read this server safely"}
	}
	got := cur.Got + t.n
	last := cur.Last
	if t.last != nil {
		last = t.last
	}
	if serverNext != "" {
		return pageCursor{Next: serverNext, Since: cur.Since, Last: last, Got: got}.String(), nil
	}
	if t.n == 0 || got < c.pageSize() || last == nil {
		return "", nil
	}
	// The server gave all $top asked for and said no more: ask for what follows.
	return pageCursor{Since: cur.Since, Last: last}.String(), nil
}

// readPage reads one page of listing l. scan fills one row's record, sees
// its keys in the page's tracker and says its key; each well-formed record is
// then mapped by to (ok false: skipped, as a document that is no bill; an
// error: rejected under the row's key), and malformed rows are rejected.
func readPage[R, T any](ctx context.Context, c *Client, l listing, since time.Time, cursor string,
	scan func(r *row, v *R, keys *keyTracker) (key string), to func(*R) (T, bool, error)) (connectors.Page[T], error) {
	res, cur, err := c.fetch(ctx, l, since, cursor)
	if err != nil {
		return connectors.Page[T]{}, err
	}
	var keys keyTracker
	var rows []R
	var rowKeys []string
	bad, next, err := scanPage(res.body, func(r *row) string {
		var v R
		key := scan(r, &v, &keys)
		if r.bad == nil {
			rows, rowKeys = append(rows, v), append(rowKeys, key)
		}
		return key
	})
	if err != nil {
		return connectors.Page[T]{}, &connectors.Error{Kind: connectors.ErrUnavailable, Op: l.op, Err: err}
	}
	if next, err = c.next(l, cur, next, &keys); err != nil {
		return connectors.Page[T]{}, err
	}
	page := connectors.Page[T]{Rows: make([]T, 0, len(rows)), Next: next}
	for _, b := range bad {
		page.Rejected = append(page.Rejected, connectors.Rejected{Key: b.key, Reason: "malformed row: " + b.err.Error()})
	}
	for i := range rows {
		v, ok, err := to(&rows[i])
		if err != nil {
			page.Rejected = append(page.Rejected, connectors.Rejected{Key: rowKeys[i], Reason: err.Error()})
			continue
		}
		if ok {
			page.Rows = append(page.Rows, v)
		}
	}
	return page, nil
}
