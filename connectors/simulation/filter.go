package simulation

import (
	"fmt"
	"strings"
)

// A filter as both simulators evaluate it: comparisons of a field with a
// literal, combined with and, or and not. Each simulator lexes its ERP's
// syntax (OData's $filter for SAP, the FilterString of K3 Cloud's
// ExecuteBillQuery) into Tokens, parses the comparisons itself (Parser.Unary),
// and says how its values compare (Cmp.Values); the combining, the
// evaluation and the bounds keyset paging starts from are here.

// Expr is a parsed filter.
type Expr interface {
	// Eval reports whether the row whose field values get returns matches.
	Eval(get func(field string) any) bool
}

// Logic is a and b (And) or a or b.
type Logic struct {
	And  bool
	L, R Expr
}

func (x Logic) Eval(get func(string) any) bool {
	if x.And {
		return x.L.Eval(get) && x.R.Eval(get)
	}
	return x.L.Eval(get) || x.R.Eval(get)
}

// Not is not E.
type Not struct{ E Expr }

func (x Not) Eval(get func(string) any) bool { return !x.E.Eval(get) }

// Op is a comparison's operator.
type Op int

const (
	Eq Op = iota
	Ne
	Gt
	Ge
	Lt
	Le
)

// Cmp compares Field's value with Lit.
type Cmp struct {
	Field string
	Op    Op
	Lit   any
	// Values orders a row's value against the literal; ok false means they
	// cannot be compared, and the comparison is false whatever its Op.
	Values func(v, lit any) (d int, ok bool)
	// NullIsValue: a missing value (nil) or a null literal is a value eq
	// and ne compare (OData's null); otherwise it compares with nothing.
	NullIsValue bool
}

func (c Cmp) Eval(get func(string) any) bool {
	v := get(c.Field)
	if c.NullIsValue && (v == nil || c.Lit == nil) {
		switch c.Op {
		case Eq:
			return v == nil && c.Lit == nil
		case Ne:
			return (v == nil) != (c.Lit == nil)
		}
		return false
	}
	d, ok := c.Values(v, c.Lit)
	if !ok {
		return false
	}
	switch c.Op {
	case Eq:
		return d == 0
	case Ne:
		return d != 0
	case Gt:
		return d > 0
	case Ge:
		return d >= 0
	case Lt:
		return d < 0
	case Le:
		return d <= 0
	}
	return false
}

// KeyLowerBound is a string below which no row's field can match e: the
// least string literal field is compared to with eq, ge or gt along every
// path through e. Keyset paging sends "key > last" (possibly with ties on a
// second key spelled out as "or (key = last and item > …)"); a scan starts
// there instead of filtering out every row before it.
func KeyLowerBound(e Expr, field string) (string, bool) {
	switch x := e.(type) {
	case Cmp:
		s, ok := x.Lit.(string)
		if ok && x.Field == field && (x.Op == Eq || x.Op == Ge || x.Op == Gt) {
			return s, true
		}
	case Logic:
		l, lok := KeyLowerBound(x.L, field)
		r, rok := KeyLowerBound(x.R, field)
		if x.And {
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

// Token is one lexed piece of a filter: Kind "word" (a field or keyword),
// "(" or ")", or whatever else a simulator's lexer names (literals,
// operators); Val is a literal's value.
type Token struct {
	Kind, Text string
	Val        any
}

// Parser parses a filter's and/or chains and parentheses over its Tokens;
// Unary parses everything else (a comparison, a not), from Pos.
type Parser struct {
	Toks []Token
	Pos  int
	// Keyword reports whether word is keyword w ("and", "or") in the
	// dialect's case rules.
	Keyword func(word, w string) bool
	Unary   func(p *Parser) (Expr, error)
}

// Parse parses the whole filter.
func (p *Parser) Parse() (Expr, error) {
	e, err := p.Or()
	if err != nil {
		return nil, err
	}
	if p.Pos != len(p.Toks) {
		return nil, fmt.Errorf("unexpected %q", p.Toks[p.Pos].Text)
	}
	return e, nil
}

// Peek is the next token, nil at the end.
func (p *Parser) Peek() *Token {
	if p.Pos < len(p.Toks) {
		return &p.Toks[p.Pos]
	}
	return nil
}

// Accept takes keyword w if it comes next.
func (p *Parser) Accept(w string) bool {
	if t := p.Peek(); t != nil && t.Kind == "word" && p.Keyword(t.Text, w) {
		p.Pos++
		return true
	}
	return false
}

// Or parses a or b or …, which binds loosest.
func (p *Parser) Or() (Expr, error) { return p.chain("or", false, p.And) }

// And parses a and b and ….
func (p *Parser) And() (Expr, error) { return p.chain("and", true, p.Term) }

func (p *Parser) chain(w string, and bool, next func() (Expr, error)) (Expr, error) {
	l, err := next()
	if err != nil {
		return nil, err
	}
	for p.Accept(w) {
		r, err := next()
		if err != nil {
			return nil, err
		}
		l = Logic{And: and, L: l, R: r}
	}
	return l, nil
}

// Term is a parenthesised filter, or what Unary parses (which calls it
// for the operand of a not).
func (p *Parser) Term() (Expr, error) {
	t := p.Peek()
	if t == nil {
		return nil, fmt.Errorf("the filter ends too early")
	}
	if t.Kind != "(" {
		return p.Unary(p)
	}
	p.Pos++
	e, err := p.Or()
	if err != nil {
		return nil, err
	}
	if t := p.Peek(); t == nil || t.Kind != ")" {
		return nil, fmt.Errorf("missing )")
	}
	p.Pos++
	return e, nil
}

// Quoted reads the '…' literal s starts with, ” standing for a quote; n is
// the bytes it takes, ok false when it does not end.
func Quoted(s string) (text string, n int, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, true
		}
		b.WriteByte(s[i])
	}
	return "", 0, false
}

// NumberEnd is where the number starting at s[i] (a minus or a digit, then
// digits and points) ends.
func NumberEnd(s string, i int) int {
	j := i + 1
	for j < len(s) && (s[j] == '.' || (s[j] >= '0' && s[j] <= '9')) {
		j++
	}
	return j
}
