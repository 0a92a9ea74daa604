// Package i18n is the pages' message catalogue and formatting: every word a
// page shows, in Chinese (first) and English; pipeline stages, kinds of
// review and approval stages by their business names; money, times and
// working hours as the company reads them.
//
// A key without a translation comes out as the key itself, so a page that
// shows one is caught by the tests that look for raw identifiers (snake_case)
// in the visible text, rather than silently showing an empty cell.
package i18n

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/money"
)

// Lang is a language the pages speak.
type Lang string

const (
	Chinese Lang = "zh"
	English Lang = "en"
)

// Langs are the languages offered, the default first.
var Langs = []Lang{Chinese, English}

// Valid reports whether l is offered.
func (l Lang) Valid() bool { return l == Chinese || l == English }

// Parse reads a language name ("zh", "zh-CN", "en-US"), or "" when none is offered.
func Parse(s string) Lang {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "zh"):
		return Chinese
	case strings.HasPrefix(s, "en"):
		return English
	}
	return ""
}

// FromAcceptLanguage picks, from a browser's Accept-Language, the offered
// language it prefers most (by q weight, then order); Chinese when it names none.
func FromAcceptLanguage(header string) Lang {
	best, bestQ := Lang(""), -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if l := Parse(tag); l != "" && q > bestQ && q > 0 {
			best, bestQ = l, q
		}
	}
	if best == "" {
		return Chinese
	}
	return best
}

// Has reports whether key has a text in every language.
func Has(key string) bool {
	e, ok := catalogue[key]
	return ok && e.zh != "" && e.en != ""
}

// Keys lists the catalogue's keys, sorted.
func Keys() []string {
	out := make([]string, 0, len(catalogue))
	for k := range catalogue {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Printer speaks one language in one time zone; pages call its methods from
// their templates.
type Printer struct {
	Lang Lang
	Loc  *time.Location
	// Now is the time "today" and "tomorrow" are counted from.
	Now time.Time
	// Names are people's names by user ID.
	Names map[string]string
}

// T is the text of key, with args put in (fmt verbs) when there are any.
func (p Printer) T(key string, args ...any) string {
	e, ok := catalogue[key]
	s := key
	if ok {
		s = e.zh
		if p.Lang == English {
			s = e.en
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Stage is a pipeline stage's business name (合同评审 / Contract review).
func (p Printer) Stage(s any) string { return p.T("stage." + fmt.Sprint(s)) }

// Kind is a kind of review's business name.
func (p Printer) Kind(k any) string { return p.T("kind." + fmt.Sprint(k)) }

// Step is an approval stage's business name (销售经理审批 / Sales manager approval).
// A stage an administrator named that the catalogue does not know is shown
// by its name.
func (p Printer) Step(name string) string {
	if _, ok := catalogue["step."+name]; !ok && name != "" {
		return name
	}
	return p.T("step." + name)
}

// Action is what a deal's history entry did.
func (p Printer) Action(a string) string { return p.T("action." + a) }

// Field is the label of a reviewed field (金额 / Amount).
func (p Printer) Field(name string) string { return p.T("field." + name) }

// Status is a case's or a step's status.
func (p Printer) Status(s any) string { return p.T("status." + fmt.Sprint(s)) }

// Role is a role's name.
func (p Printer) Role(r any) string { return p.T("role." + fmt.Sprint(r)) }

// Person is a user's name, or who a "role:<role>" holder is.
func (p Printer) Person(id string) string {
	if r, ok := strings.CutPrefix(id, "role:"); ok {
		return p.T("anyone_with_role", p.Role(r))
	}
	if cs, ok := strings.CutPrefix(id, "approval:"); ok { // a deal waiting on a review case
		kind, _, _ := strings.Cut(cs, ".")
		return p.T("in_review_of", p.Kind(kind))
	}
	if _, ok := strings.CutPrefix(id, "credit:"); ok { // an order held for credit: finance releases it
		return p.T("held_for_credit")
	}
	if id == "" {
		return "—"
	}
	if id == "system" {
		return p.T("person.system")
	}
	if id == "erp" {
		return p.T("person.erp")
	}
	if n := p.Names[id]; n != "" {
		return n
	}
	return id
}

// Money formats an amount with its currency's sign and thousands separators:
// ¥2,280,000.00.
func (p Printer) Money(a money.Amount, currency string) string {
	s := a.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := sign + symbol(currency) + b.String() + "." + frac
	if symbol(currency) == "" && currency != "" {
		out += " " + currency
	}
	return out
}

func symbol(currency string) string {
	switch currency {
	case "CNY", "":
		return "¥"
	case "USD":
		return "$"
	case "EUR":
		return "€"
	}
	return ""
}

// MoneyText formats an amount written as text ("2280000.00 CNY"), as the
// subject of a review holds it; text that is not one is shown as it is.
func (p Printer) MoneyText(s string) string {
	num, cur, _ := strings.Cut(strings.TrimSpace(s), " ")
	a, err := money.Parse(num)
	if err != nil {
		return s
	}
	return p.Money(a, cur)
}

// Time is t in the company's zone, as a person reads it: "今天 10:00",
// "tomorrow 10:00", "12月3日 周四 10:00", "Thu 3 Dec 10:00", with the year
// when it is not this one.
func (p Printer) Time(t any) string {
	var tt time.Time
	switch v := t.(type) {
	case time.Time:
		tt = v
	case *time.Time:
		if v == nil {
			return "—"
		}
		tt = *v
	default:
		return fmt.Sprint(t)
	}
	if tt.IsZero() {
		return "—"
	}
	loc := p.Loc
	if loc == nil {
		loc = time.UTC
	}
	tt = tt.In(loc)
	now := p.Now.In(loc)
	clock := tt.Format("15:04")
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc) }
	switch int(day(tt).Sub(day(now)).Hours() / 24) {
	case 0:
		return p.T("today") + " " + clock
	case 1:
		return p.T("tomorrow") + " " + clock
	case -1:
		return p.T("yesterday") + " " + clock
	}
	wd := p.T("weekday." + strconv.Itoa(int(tt.Weekday())))
	if p.Lang == English {
		s := fmt.Sprintf("%s %d %s", wd, tt.Day(), tt.Format("Jan"))
		if tt.Year() != now.Year() {
			s += " " + strconv.Itoa(tt.Year())
		}
		return s + " " + clock
	}
	s := fmt.Sprintf("%d月%d日 %s", int(tt.Month()), tt.Day(), wd)
	if tt.Year() != now.Year() {
		s = strconv.Itoa(tt.Year()) + "年" + s
	}
	return s + " " + clock
}

// Date is a calendar date ("2026-12-31"), as written in the company.
func (p Printer) Date(d fmt.Stringer) string { return d.String() }

// Hours is a length of working time: "3.5 工作小时" / "3.5 working hours".
func (p Printer) Hours(d any) string {
	var h float64
	switch v := d.(type) {
	case time.Duration:
		h = v.Hours()
	case float64:
		h = v
	}
	return p.T("working_hours", strconv.FormatFloat(float64(int64(h*10+0.5))/10, 'f', -1, 64))
}

// Percent formats a share written as text in the subject ("85.00%": 85%).
func (p Printer) Percent(s string) string {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "%"); ok && strings.Contains(n, ".") {
		return strings.TrimSuffix(strings.TrimRight(n, "0"), ".") + "%"
	}
	return s
}
