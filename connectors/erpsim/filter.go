package erpsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors/sap"
)

// A small OData v2 $filter: comparisons (eq ne gt ge lt le) of properties with
// literals (strings, datetime, datetimeoffset, time, numbers, true, false,
// null), combined with and, or, not and parentheses. That is what SAP's own
// delta extractions and l2c's connector send; functions such as substringof
// are answered with 400, as a service that does not support them would.

type expr interface {
	eval(r row) bool
}

// row gives a filter the value of a property: string, time.Time,
// time.Duration, bool, float64 or nil.
type row interface {
	get(prop string) any
}

type binary struct {
	and         bool
	left, right expr
}

func (b binary) eval(r row) bool {
	if b.and {
		return b.left.eval(r) && b.right.eval(r)
	}
	return b.left.eval(r) || b.right.eval(r)
}

type not struct{ e expr }

func (n not) eval(r row) bool { return !n.e.eval(r) }

type compare struct {
	op   string
	prop string
	lit  any
}

func (c compare) eval(r row) bool {
	v := r.get(c.prop)
	if v == nil || c.lit == nil {
		switch c.op {
		case "eq":
			return v == nil && c.lit == nil
		case "ne":
			return (v == nil) != (c.lit == nil)
		}
		return false
	}
	cmp, ok := compareValues(v, c.lit)
	if !ok {
		return false
	}
	switch c.op {
	case "eq":
		return cmp == 0
	case "ne":
		return cmp != 0
	case "gt":
		return cmp > 0
	case "ge":
		return cmp >= 0
	case "lt":
		return cmp < 0
	case "le":
		return cmp <= 0
	}
	return false
}

func compareValues(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return strings.Compare(x, y), ok
	case time.Time:
		y, ok := b.(time.Time)
		return x.Compare(y), ok
	case time.Duration:
		y, ok := b.(time.Duration)
		if !ok {
			return 0, false
		}
		return cmpOrdered(x, y), true
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		if x == y {
			return 0, true
		}
		if !x {
			return -1, true
		}
		return 1, true
	case float64:
		y, ok := b.(float64)
		return cmpOrdered(x, y), ok
	}
	return 0, false
}

func cmpOrdered[T int64 | float64 | time.Duration](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseFilter parses a $filter expression.
func parseFilter(s string) (expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return e, nil
}

type token struct {
	kind string // ident, lit, (, )
	text string
	val  any
}

func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')':
			out = append(out, token{kind: string(c), text: string(c)})
			i++
		case c == '\'':
			str, n, err := quoted(s[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, token{kind: "lit", text: s[i : i+n], val: str})
			i += n
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && (s[j] == '.' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			// Edm.Decimal and Edm.Int64 literals carry a suffix: 12.5M, 7L.
			num := s[i:j]
			if j < len(s) && strings.ContainsRune("mMlLdDfF", rune(s[j])) {
				j++
			}
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return nil, fmt.Errorf("bad number %q", s[i:j])
			}
			out = append(out, token{kind: "lit", text: s[i:j], val: f})
			i = j
		case isIdent(c):
			j := i
			for j < len(s) && (isIdent(s[j]) || s[j] == '/' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			word := s[i:j]
			if j < len(s) && s[j] == '\'' { // typed literal: datetime'…'
				str, n, err := quoted(s[j:])
				if err != nil {
					return nil, err
				}
				v, err := typedLiteral(word, str)
				if err != nil {
					return nil, err
				}
				out = append(out, token{kind: "lit", text: s[i : j+n], val: v})
				i = j + n
				continue
			}
			switch word {
			case "null":
				out = append(out, token{kind: "lit", text: word, val: nil})
			case "true", "false":
				out = append(out, token{kind: "lit", text: word, val: word == "true"})
			default:
				out = append(out, token{kind: "ident", text: word})
			}
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at %d", c, i)
		}
	}
	return out, nil
}

func isIdent(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// quoted reads a '…' literal with ” for a quote; n is the bytes consumed.
func quoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, nil
		}
		b.WriteByte(s[i])
	}
	return "", 0, fmt.Errorf("unterminated string literal")
}

func typedLiteral(kind, s string) (any, error) {
	switch kind {
	case "datetime":
		for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return nil, fmt.Errorf("bad datetime literal %q", s)
	case "datetimeoffset":
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("bad datetimeoffset literal %q", s)
		}
		return t.UTC(), nil
	case "time":
		d, err := sap.ParseTime(s)
		if err != nil {
			return nil, err
		}
		return d, nil
	case "guid", "X", "binary":
		return s, nil
	}
	return nil, fmt.Errorf("unknown literal type %s'…'", kind)
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *parser) keyword(w string) bool {
	if t := p.peek(); t != nil && t.kind == "ident" && t.text == w {
		p.pos++
		return true
	}
	return false
}

func (p *parser) or() (expr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = binary{left: left, right: right}
	}
	return left, nil
}

func (p *parser) and() (expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = binary{and: true, left: left, right: right}
	}
	return left, nil
}

func (p *parser) unary() (expr, error) {
	if p.keyword("not") {
		e, err := p.unary()
		return not{e}, err
	}
	t := p.peek()
	if t == nil {
		return nil, fmt.Errorf("the filter ends too early")
	}
	if t.kind == "(" {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.peek(); t == nil || t.kind != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return e, nil
	}
	if t.kind != "ident" {
		return nil, fmt.Errorf("expected a property, got %q", t.text)
	}
	p.pos++
	op := p.peek()
	if op == nil || op.kind != "ident" {
		if op != nil && op.kind == "(" {
			return nil, fmt.Errorf("function %s is not supported", t.text)
		}
		return nil, fmt.Errorf("expected an operator after %s", t.text)
	}
	switch op.text {
	case "eq", "ne", "gt", "ge", "lt", "le":
	default:
		return nil, fmt.Errorf("operator %q is not supported", op.text)
	}
	p.pos++
	lit := p.peek()
	if lit == nil || lit.kind != "lit" {
		return nil, fmt.Errorf("expected a literal after %s %s", t.text, op.text)
	}
	p.pos++
	return compare{op: op.text, prop: t.text, lit: lit.val}, nil
}

// lowerBound returns a time before which no row whose stamp properties are
// stamps can match e: the earliest literal any of them is compared to with
// eq, ge or gt along every path through the expression. ok is false when e
// puts no such bound (the whole table must be scanned).
func lowerBound(e expr, stamps map[string]bool) (time.Time, bool) {
	switch x := e.(type) {
	case compare:
		t, isTime := x.lit.(time.Time)
		if isTime && stamps[x.prop] && (x.op == "eq" || x.op == "ge" || x.op == "gt") {
			return t, true
		}
		return time.Time{}, false
	case binary:
		l, lok := lowerBound(x.left, stamps)
		r, rok := lowerBound(x.right, stamps)
		if x.and {
			switch {
			case lok && rok:
				if l.After(r) {
					return l, true
				}
				return r, true
			case lok:
				return l, true
			case rok:
				return r, true
			}
			return time.Time{}, false
		}
		if lok && rok {
			if l.Before(r) {
				return l, true
			}
			return r, true
		}
		return time.Time{}, false
	}
	return time.Time{}, false
}

// keyEquals returns the literal e compares prop to with eq, if e is such a
// comparison or an and of one, to look a row up instead of scanning.
func keyEquals(e expr, prop string) (string, bool) {
	switch x := e.(type) {
	case compare:
		if s, ok := x.lit.(string); ok && x.prop == prop && x.op == "eq" {
			return s, true
		}
	case binary:
		if x.and {
			if s, ok := keyEquals(x.left, prop); ok {
				return s, true
			}
			return keyEquals(x.right, prop)
		}
	}
	return "", false
}

// usesTime reports whether e compares anything with an Edm.Time literal.
func usesTime(e expr) bool {
	switch x := e.(type) {
	case compare:
		_, ok := x.lit.(time.Duration)
		return ok
	case binary:
		return usesTime(x.left) || usesTime(x.right)
	case not:
		return usesTime(x.e)
	}
	return false
}

// keyLowerBound returns a string below which no row's prop can match e: the
// least literal prop is compared to with eq, ge or gt along every path
// through e (keyset paging sends "Key gt 'last'", possibly with ties on a
// second key spelled out as "or (Key eq 'last' and Item gt '…')").
func keyLowerBound(e expr, prop string) (string, bool) {
	switch x := e.(type) {
	case compare:
		s, ok := x.lit.(string)
		if ok && x.prop == prop && (x.op == "eq" || x.op == "ge" || x.op == "gt") {
			return s, true
		}
	case binary:
		l, lok := keyLowerBound(x.left, prop)
		r, rok := keyLowerBound(x.right, prop)
		if x.and {
			switch {
			case lok && rok:
				return max(l, r), true
			case lok:
				return l, true
			case rok:
				return r, true
			}
			return "", false
		}
		if lok && rok {
			return min(l, r), true
		}
	}
	return "", false
}
