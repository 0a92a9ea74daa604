package kingdeesim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/l2c/l2c/connectors/simulation"
)

// A FilterString as K3 Cloud takes it, the subset l2c sends: comparisons
// (= <> > >= < <=) of a field key with a quoted string or a number, combined
// with AND, OR and parentheses. Datetimes are compared as the strings they
// are ('2026-11-02 10:00:00'), as SQL Server compares them with a literal.
// The combining and evaluation are the simulators' shared ones
// (connectors/simulation); the syntax and the value comparison are K3's.

// ops are K3's comparison operators.
var ops = map[string]simulation.Op{"=": simulation.Eq, "<>": simulation.Ne, "!=": simulation.Ne,
	">": simulation.Gt, ">=": simulation.Ge, "<": simulation.Lt, "<=": simulation.Le}

// stamp is a datetime as compared: stored ones carry a T, literals a space.
func stamp(s string) string { return strings.Replace(s, "T", " ", 1) }

// values compares a field's value (string, float64 or json.Number; nil for
// an unknown field, which compares with nothing) with a literal, whose
// strings are already stamp()ed.
func values(v, lit any) (int, bool) {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		if err != nil {
			return 0, false
		}
		v = f
	}
	switch x := v.(type) {
	case string:
		y, ok := lit.(string)
		return strings.Compare(stamp(x), y), ok
	case float64:
		y, ok := lit.(float64)
		switch {
		case !ok:
			return 0, false
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func lexFilter(s string) ([]simulation.Token, error) {
	var out []simulation.Token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')':
			out = append(out, simulation.Token{Kind: string(c), Text: string(c)})
			i++
		case c == '\'':
			str, n, ok := simulation.Quoted(s[i:])
			if !ok {
				return nil, fmt.Errorf("unterminated string")
			}
			out = append(out, simulation.Token{Kind: "str", Text: str})
			i += n
		case strings.IndexByte("=<>!", c) >= 0:
			j := i + 1
			for j < len(s) && strings.IndexByte("=<>", s[j]) >= 0 {
				j++
			}
			out = append(out, simulation.Token{Kind: "op", Text: s[i:j]})
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := simulation.NumberEnd(s, i)
			out = append(out, simulation.Token{Kind: "num", Text: s[i:j]})
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
			out = append(out, simulation.Token{Kind: "word", Text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

func parseFilter(s string) (simulation.Expr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &simulation.Parser{Toks: toks, Keyword: strings.EqualFold, Unary: comparison}
	return p.Parse()
}

// comparison is field op literal.
func comparison(p *simulation.Parser) (simulation.Expr, error) {
	t := p.Toks[p.Pos]
	if t.Kind != "word" {
		return nil, fmt.Errorf("expected a field, got %q", t.Text)
	}
	if p.Pos+2 >= len(p.Toks) {
		return nil, fmt.Errorf("incomplete comparison after %s", t.Text)
	}
	op, lit := p.Toks[p.Pos+1], p.Toks[p.Pos+2]
	if op.Kind != "op" {
		return nil, fmt.Errorf("expected an operator after %s", t.Text)
	}
	p.Pos += 3
	c := simulation.Cmp{Field: t.Text, Op: -1, Values: values}
	if o, ok := ops[op.Text]; ok {
		c.Op = o
	}
	switch lit.Kind {
	case "str":
		c.Lit = stamp(lit.Text)
		return c, nil
	case "num":
		f, err := strconv.ParseFloat(lit.Text, 64)
		if err != nil {
			return nil, err
		}
		c.Lit = f
		return c, nil
	}
	return nil, fmt.Errorf("expected a value after %s %s", t.Text, op.Text)
}

// lowerBound is the least string field is compared to with =, >= or > on
// every path through c: keyset paging and delta filters start there.
func lowerBound(c simulation.Expr, field string) (string, bool) {
	return simulation.KeyLowerBound(c, field)
}
