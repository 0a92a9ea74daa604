package erpsim

import (
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/l2c/l2c/connectors/simulation"
)

// query is a collection read's options.
type query struct {
	filter  simulation.Expr
	expand  map[string]bool
	top     int    // total rows wanted; 0 = all
	after   cursor // from $skiptoken
	orderBy string // the first $orderby property, "" when none
}

// cursor is a position in key order: after generated row gen, or after the
// explicit key exp. The $skiptoken is its text ("g42", "eC1001"), opaque to clients.
type cursor struct {
	set bool
	gen int // -1 when the position is among explicit rows
	exp string
}

func (c cursor) String() string {
	if c.gen >= 0 {
		return "g" + strconv.Itoa(c.gen)
	}
	return "e" + c.exp
}

func parseCursor(s string) (cursor, bool) {
	if s == "" {
		return cursor{gen: -1}, true
	}
	switch s[0] {
	case 'g':
		n, err := strconv.Atoi(s[1:])
		return cursor{set: true, gen: n}, err == nil && n >= 0
	case 'e':
		return cursor{set: true, gen: -1, exp: s[1:]}, true
	}
	return cursor{}, false
}

func (c *reqCtx) parseQuery() (query, bool) {
	q := c.r.URL.Query()
	var out query
	if f := q.Get("$filter"); f != "" {
		e, err := parseFilter(f)
		if err != nil {
			c.fail(http.StatusBadRequest, "Invalid filter expression: "+err.Error())
			return out, false
		}
		if c.s.opts.Strict && usesTime(e) {
			// What the independent server did: its parser has no Edm.Time,
			// and it said so with a 500, not a 400.
			c.fail(http.StatusInternalServerError, "Unsupported literal type in $filter: time")
			return out, false
		}
		out.filter = e
	}
	out.expand = map[string]bool{}
	for _, p := range strings.Split(q.Get("$expand"), ",") {
		p = strings.TrimSpace(p)
		for p != "" {
			out.expand[p] = true
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	if t := q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			c.fail(http.StatusBadRequest, "Invalid $top")
			return out, false
		}
		out.top = n
	}
	if q.Get("$skip") != "" {
		// Client-side paging can skip or repeat rows while data changes; the
		// simulator insists on the server's paging, as l2c's connector does.
		c.fail(http.StatusBadRequest, "$skip is not supported by the simulator; follow __next")
		return out, false
	}
	if ob := strings.TrimSpace(q.Get("$orderby")); ob != "" {
		first, _, _ := strings.Cut(ob, ",")
		first = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(first), " asc"))
		out.orderBy = first
	}
	cur, ok := parseCursor(q.Get("$skiptoken"))
	if !ok {
		c.fail(http.StatusBadRequest, "Invalid $skiptoken")
		return out, false
	}
	out.after = cur
	return out, true
}

func (q query) match(r row) bool { return q.filter == nil || q.filter.Eval(r.get) }

// table is one entity's rows in key order: generated rows (by index, changed
// ones included) and then explicit rows.
type table[T row] struct {
	n          int
	gen        func(i int) T
	firstAt    func(bound time.Time) int // first generated index whose original stamp is at or after bound
	changedIdx []int
	changed    func(i int) bool
	keys       []string
	explicit   func(key string) T
	stamps     map[string]bool // properties a lower bound may be taken on
	keyProp    string
	genIndex   func(key string) (int, bool)
	// sortProp is the property rows are kept in order of (the entity's key,
	// which keyset paging orders by); genKey is generated row i's value of it.
	sortProp string
	genKey   func(i int) string
}

// page returns up to limit rows matching q after its cursor, and the cursor
// of the last row returned. Only rows that can match are visited: generated
// rows from the filter's lower bound on, changed rows, and explicit rows.
func (t *table[T]) page(q query, limit int) (rows []T, last cursor) {
	if key, ok := keyEquals(q.filter, t.keyProp); ok && t.keyProp != "" {
		return t.lookup(q, key), cursor{}
	}
	lo := 0
	if q.filter != nil {
		if b, ok := lowerBound(q.filter, t.stamps); ok {
			lo = t.firstAt(b)
		}
	}
	start := 0
	if q.after.set {
		if q.after.gen >= 0 {
			start = q.after.gen + 1
		} else {
			start = t.n // past every generated row
		}
	}
	// Keyset paging ("Key gt 'last'"): start at the bound rather than walk
	// the rows before it only to filter them out. The filter still decides.
	keyFrom := ""
	if t.sortProp != "" {
		if kb, ok := simulation.KeyLowerBound(q.filter, t.sortProp); ok {
			if i, ok := t.genIndex(kb); ok && i < t.n {
				start = max(start, i)
			} else if t.n == 0 || kb > t.genKey(t.n-1) {
				start, keyFrom = t.n, kb
			}
		}
	}
	if start < t.n {
		ci := sort.SearchInts(t.changedIdx, start)
		g := max(start, lo)
		for len(rows) < limit {
			// The next generated index in key order is the smaller of the next
			// changed row and the next unchanged row at or after the bound.
			for g < t.n && t.changed(g) {
				g++
			}
			next := -1
			switch {
			case ci < len(t.changedIdx) && (g >= t.n || t.changedIdx[ci] < g):
				next = t.changedIdx[ci]
				ci++
			case g < t.n:
				next = g
				g++
			}
			if next < 0 {
				break
			}
			r := t.gen(next)
			last = cursor{set: true, gen: next}
			if q.match(r) {
				rows = append(rows, r)
			}
		}
		if len(rows) >= limit {
			return rows, last
		}
	}
	from := 0
	if q.after.set && q.after.gen < 0 {
		from = sort.SearchStrings(t.keys, q.after.exp)
		if from < len(t.keys) && t.keys[from] == q.after.exp {
			from++
		}
	}
	if keyFrom != "" {
		from = max(from, sort.SearchStrings(t.keys, keyFrom))
	}
	for _, k := range t.keys[from:] {
		if len(rows) >= limit {
			break
		}
		r := t.explicit(k)
		last = cursor{set: true, gen: -1, exp: k}
		if q.match(r) {
			rows = append(rows, r)
		}
	}
	return rows, last
}

// lookup finds the rows whose key property equals key, then applies the rest
// of the filter.
func (t *table[T]) lookup(q query, key string) []T {
	var out []T
	if i, ok := t.genIndex(key); ok && i < t.n {
		if r := t.gen(i); q.match(r) {
			out = append(out, r)
		}
	}
	if idx := sort.SearchStrings(t.keys, key); idx < len(t.keys) && t.keys[idx] == key {
		if r := t.explicit(key); q.match(r) {
			out = append(out, r)
		}
	}
	return out
}

// Page buffers are recycled and sized from the largest row seen so far: a page
// of 5,000 business partners is about 16 MB, and growing a buffer to that by
// appending (copying it again and again) costs more than writing it. A
// sync.Pool would not do: the client's decoding triggers GCs that empty it.
var (
	rowSize = func() *atomic.Int64 { var v atomic.Int64; v.Store(1024); return &v }()
	bufs    = make(chan []byte, 4)
)

func getBuf(size int) []byte {
	select {
	case b := <-bufs:
		if cap(b) >= size {
			return b[:0]
		}
	default:
	}
	return make([]byte, 0, max(size, 4096))
}

func putBuf(b []byte) {
	select {
	case bufs <- b:
	default:
	}
}

// serveCollection answers a collection read: one server page, with __next
// when more may follow. write encodes one row.
func serveCollection[T row](c *reqCtx, t *table[T], write func(j *jbuf, r T, q query)) {
	q, ok := c.parseQuery()
	if !ok {
		return
	}
	if q.orderBy != "" && q.orderBy != t.sortProp {
		c.fail(http.StatusBadRequest, "$orderby "+q.orderBy+" is not supported by the simulator; order by "+t.sortProp)
		return
	}
	limit := c.s.opts.PageSize
	if c.s.opts.NoPaging {
		// No server-driven paging: everything in one answer, unless $top says less.
		limit = math.MaxInt
	}
	if q.top > 0 && q.top < limit {
		limit = q.top
	}
	c.s.mu.RLock()
	rows, last := t.page(q, limit)
	j := &jbuf{b: getBuf(len(rows) * int(rowSize.Load()) * 9 / 8)}
	defer func() { putBuf(j.b) }()
	j.b = append(j.b, `{"d":{"results":`...)
	j.openArr()
	for _, r := range rows {
		j.elem()
		write(j, r, q)
	}
	c.s.mu.RUnlock()
	j.closeArr()
	more := !c.s.opts.NoPaging && len(rows) == limit && last.set && (q.top == 0 || q.top > limit)
	if more {
		next := *c.r.URL
		v := next.Query()
		v.Set("$skiptoken", last.String())
		if q.top > 0 {
			v.Set("$top", strconv.Itoa(q.top-len(rows)))
		}
		next.RawQuery = strings.ReplaceAll(v.Encode(), "+", "%20")
		j.b = append(j.b, `,"__next":`...)
		j.b = appendString(j.b, "http://"+c.r.Host+next.Path+"?"+next.RawQuery)
	}
	j.b = append(j.b, "}}"...)
	if len(rows) > 0 {
		if per := int64(len(j.b) / len(rows)); per > rowSize.Load() {
			rowSize.Store(per)
		}
	}
	c.writeJSON(http.StatusOK, j.b)
}
