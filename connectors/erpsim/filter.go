package erpsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/connectors/simulation"
)

// A small OData v2 $filter: comparisons (eq ne gt ge lt le) of properties with
// literals (strings, datetime, datetimeoffset, time, numbers, true, false,
// null), combined with and, or, not and parentheses. That is what SAP's own
// delta extractions and l2c's connector send; functions such as substringof
// are answered with 400, as a service that does not support them would.

// ops are OData's comparison operators.
var ops = map[string]simulation.Op{"eq": simulation.Eq, "ne": simulation.Ne, "gt": simulation.Gt,
	"ge": simulation.Ge, "lt": simulation.Lt, "le": simulation.Le}

// row gives a filter the value of a property: string, time.Time,
// time.Duration, bool, float64 or nil.
type row interface {
	get(prop string) any
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
func parseFilter(s string) (simulation.Expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &simulation.Parser{Toks: toks, Keyword: func(word, w string) bool { return word == w }, Unary: unary}
	return p.Parse()
}

func lex(s string) ([]simulation.Token, error) {
	var out []simulation.Token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')':
			out = append(out, simulation.Token{Kind: string(c), Text: string(c)})
			i++
		case c == '\'':
			str, n, err := quoted(s[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, simulation.Token{Kind: "lit", Text: s[i : i+n], Val: str})
			i += n
		case c == '-' || (c >= '0' && c <= '9'):
			j := simulation.NumberEnd(s, i)
			// Edm.Decimal and Edm.Int64 literals carry a suffix: 12.5M, 7L.
			num := s[i:j]
			if j < len(s) && strings.ContainsRune("mMlLdDfF", rune(s[j])) {
				j++
			}
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return nil, fmt.Errorf("bad number %q", s[i:j])
			}
			out = append(out, simulation.Token{Kind: "lit", Text: s[i:j], Val: f})
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
				out = append(out, simulation.Token{Kind: "lit", Text: s[i : j+n], Val: v})
				i = j + n
				continue
			}
			switch word {
			case "null":
				out = append(out, simulation.Token{Kind: "lit", Text: word, Val: nil})
			case "true", "false":
				out = append(out, simulation.Token{Kind: "lit", Text: word, Val: word == "true"})
			default:
				out = append(out, simulation.Token{Kind: "word", Text: word})
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
	str, n, ok := simulation.Quoted(s)
	if !ok {
		return "", 0, fmt.Errorf("unterminated string literal")
	}
	return str, n, nil
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

// unary is not …, or property op literal.
func unary(p *simulation.Parser) (simulation.Expr, error) {
	if p.Accept("not") {
		e, err := p.Term()
		return simulation.Not{E: e}, err
	}
	t := p.Peek()
	if t.Kind != "word" {
		return nil, fmt.Errorf("expected a property, got %q", t.Text)
	}
	p.Pos++
	op := p.Peek()
	if op == nil || op.Kind != "word" {
		if op != nil && op.Kind == "(" {
			return nil, fmt.Errorf("function %s is not supported", t.Text)
		}
		return nil, fmt.Errorf("expected an operator after %s", t.Text)
	}
	o, ok := ops[op.Text]
	if !ok {
		return nil, fmt.Errorf("operator %q is not supported", op.Text)
	}
	p.Pos++
	lit := p.Peek()
	if lit == nil || lit.Kind != "lit" {
		return nil, fmt.Errorf("expected a literal after %s %s", t.Text, op.Text)
	}
	p.Pos++
	return simulation.Cmp{Field: t.Text, Op: o, Lit: lit.Val, Values: compareValues, NullIsValue: true}, nil
}

// lowerBound returns a time before which no row whose stamp properties are
// stamps can match e: the earliest literal any of them is compared to with
// eq, ge or gt along every path through the expression. ok is false when e
// puts no such bound (the whole table must be scanned).
func lowerBound(e simulation.Expr, stamps map[string]bool) (time.Time, bool) {
	switch x := e.(type) {
	case simulation.Cmp:
		t, isTime := x.Lit.(time.Time)
		if isTime && stamps[x.Field] && (x.Op == simulation.Eq || x.Op == simulation.Ge || x.Op == simulation.Gt) {
			return t, true
		}
		return time.Time{}, false
	case simulation.Logic:
		l, lok := lowerBound(x.L, stamps)
		r, rok := lowerBound(x.R, stamps)
		if x.And {
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
func keyEquals(e simulation.Expr, prop string) (string, bool) {
	switch x := e.(type) {
	case simulation.Cmp:
		if s, ok := x.Lit.(string); ok && x.Field == prop && x.Op == simulation.Eq {
			return s, true
		}
	case simulation.Logic:
		if x.And {
			if s, ok := keyEquals(x.L, prop); ok {
				return s, true
			}
			return keyEquals(x.R, prop)
		}
	}
	return "", false
}

// usesTime reports whether e compares anything with an Edm.Time literal.
func usesTime(e simulation.Expr) bool {
	switch x := e.(type) {
	case simulation.Cmp:
		_, ok := x.Lit.(time.Duration)
		return ok
	case simulation.Logic:
		return usesTime(x.L) || usesTime(x.R)
	case simulation.Not:
		return usesTime(x.E)
	}
	return false
}
