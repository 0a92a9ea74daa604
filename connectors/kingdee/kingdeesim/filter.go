package kingdeesim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A FilterString as K3 Cloud takes it, the subset l2c sends: comparisons
// (= <> > >= < <=) of a field key with a quoted string or a number, combined
// with AND, OR and parentheses. Datetimes are compared as the strings they
// are ('2026-11-02 10:00:00'), as SQL Server compares them with a literal.

type cond interface {
	eval(r record) bool
}

type record interface {
	// get returns a field's value: string, float64, or nil for an unknown field.
	get(field string) any
}

type andOr struct {
	and  bool
	l, r cond
}

func (a andOr) eval(r record) bool {
	if a.and {
		return a.l.eval(r) && a.r.eval(r)
	}
	return a.l.eval(r) || a.r.eval(r)
}

type cmp struct {
	field, op string
	lit       any
}

func (c cmp) eval(r record) bool {
	v := r.get(c.field)
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		if err != nil {
			return false
		}
		v = f
	}
	var d int
	switch x := v.(type) {
	case string:
		y, ok := c.lit.(string)
		if !ok {
			return false
		}
		// Stored datetimes carry a T; literals a space.
		d = strings.Compare(strings.Replace(x, "T", " ", 1), strings.Replace(y, "T", " ", 1))
	case float64:
		y, ok := c.lit.(float64)
		if !ok {
			return false
		}
		switch {
		case x < y:
			d = -1
		case x > y:
			d = 1
		}
	default:
		return false
	}
	switch c.op {
	case "=":
		return d == 0
	case "<>", "!=":
		return d != 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	}
	return false
}

type tok struct {
	kind string // word, str, num, op, ( )
	text string
}

func lexFilter(s string) ([]tok, error) {
	var out []tok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')':
			out = append(out, tok{string(c), string(c)})
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string")
			}
			out = append(out, tok{"str", b.String()})
			i = j + 1
		case strings.IndexByte("=<>!", c) >= 0:
			j := i + 1
			for j < len(s) && strings.IndexByte("=<>", s[j]) >= 0 {
				j++
			}
			out = append(out, tok{"op", s[i:j]})
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && (s[j] == '.' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			out = append(out, tok{"num", s[i:j]})
			i = j
		default:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '.' || (s[j] >= '0' && s[j] <= '9') ||
				(s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q", c)
			}
			out = append(out, tok{"word", s[i:j]})
			i = j
		}
	}
	return out, nil
}

type fparser struct {
	toks []tok
	pos  int
}

func parseFilter(s string) (cond, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &fparser{toks: toks}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(toks) {
		return nil, fmt.Errorf("unexpected %q", toks[p.pos].text)
	}
	return c, nil
}

func (p *fparser) kw(w string) bool {
	if p.pos < len(p.toks) && p.toks[p.pos].kind == "word" && strings.EqualFold(p.toks[p.pos].text, w) {
		p.pos++
		return true
	}
	return false
}

func (p *fparser) or() (cond, error) {
	l, err := p.and()
	for err == nil && p.kw("OR") {
		var r cond
		if r, err = p.and(); err == nil {
			l = andOr{l: l, r: r}
		}
	}
	return l, err
}

func (p *fparser) and() (cond, error) {
	l, err := p.unary()
	for err == nil && p.kw("AND") {
		var r cond
		if r, err = p.unary(); err == nil {
			l = andOr{and: true, l: l, r: r}
		}
	}
	return l, err
}

func (p *fparser) unary() (cond, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("the filter ends too early")
	}
	t := p.toks[p.pos]
	if t.kind == "(" {
		p.pos++
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return c, nil
	}
	if t.kind != "word" {
		return nil, fmt.Errorf("expected a field, got %q", t.text)
	}
	if p.pos+2 >= len(p.toks) {
		return nil, fmt.Errorf("incomplete comparison after %s", t.text)
	}
	op, lit := p.toks[p.pos+1], p.toks[p.pos+2]
	if op.kind != "op" {
		return nil, fmt.Errorf("expected an operator after %s", t.text)
	}
	p.pos += 3
	switch lit.kind {
	case "str":
		return cmp{t.text, op.text, lit.text}, nil
	case "num":
		f, err := strconv.ParseFloat(lit.text, 64)
		if err != nil {
			return nil, err
		}
		return cmp{t.text, op.text, f}, nil
	}
	return nil, fmt.Errorf("expected a value after %s %s", t.text, op.text)
}

// lowerBound is the least string field is compared to with =, >= or > on
// every path through c: keyset paging and delta filters start there.
func lowerBound(c cond, field string) (string, bool) {
	switch x := c.(type) {
	case cmp:
		s, ok := x.lit.(string)
		if ok && x.field == field && (x.op == "=" || x.op == ">=" || x.op == ">") {
			return strings.Replace(s, "T", " ", 1), true
		}
	case andOr:
		l, lok := lowerBound(x.l, field)
		r, rok := lowerBound(x.r, field)
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
