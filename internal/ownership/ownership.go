// Package ownership holds the rules of who owns a customer: one owner at a
// time, caps on how many a rep holds and takes on, the pool (公海) customers
// nobody follows return to on a clock of working days, the cooldown that keeps
// a rep from taking back at once the customer they let go, the guard against
// two reps chasing one customer (撞单), and who may hand a rep's customers
// over. It is pure: the database supplies the counts, this package decides.
package ownership

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/identity"
)

// Reason sorts the refusals of this package; the API gives each its problem kind.
type Reason string

const (
	Cooldown  Reason = "cooldown"       // the previous owner is waiting out the cooldown (409)
	Cap       Reason = "ownership_cap"  // a standing or rolling cap is reached (422)
	Owned     Reason = "customer_owned" // someone else owns the customer (409)
	Forbidden Reason = "forbidden"      // this person may not do this (403)
	Invalid   Reason = "invalid"        // a field is wrong (422)
)

// Refused is a refusal: why, the field at fault if any, and a message for people.
type Refused struct {
	Reason  Reason
	Field   string
	Message string
}

func (e *Refused) Error() string { return e.Message }

func refuse(r Reason, field, format string, args ...any) *Refused {
	return &Refused{Reason: r, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Limit caps what one person owns: Standing customers at once, and Rolling
// new ones (claims and assignments) within RollingDays. A nil cap is no cap.
type Limit struct {
	Scope       string `json:"scope"` // role:<role>, team:<team> or user:<id>
	Standing    *int   `json:"standing_cap"`
	Rolling     *int   `json:"rolling_cap"`
	RollingDays int    `json:"rolling_days"`
}

// DefaultRollingDays is "three months", the cases' window for new claims.
const DefaultRollingDays = 91

// Resolve picks the limit that applies to u from limits by scope: the most
// particular one (user, then team, then the tightest of u's roles). The zero
// Limit (no caps) when none applies.
func Resolve(u identity.User, limits map[string]Limit) Limit {
	if l, ok := limits["user:"+u.ID]; ok {
		return l
	}
	if u.Team != "" {
		if l, ok := limits["team:"+u.Team]; ok {
			return l
		}
	}
	var best Limit
	found := false
	for _, r := range u.Roles {
		l, ok := limits["role:"+string(r)]
		if !ok {
			continue
		}
		if !found || tighter(l, best) {
			best, found = l, true
		}
	}
	if best.RollingDays == 0 {
		best.RollingDays = DefaultRollingDays
	}
	return best
}

func tighter(a, b Limit) bool {
	lt := func(x, y *int) bool { return x != nil && (y == nil || *x < *y) }
	return lt(a.Rolling, b.Rolling) || (!lt(b.Rolling, a.Rolling) && lt(a.Standing, b.Standing))
}

// Holding is what a person holds when they are about to take a customer.
type Holding struct {
	Owned  int // customers they own now
	Recent int // customers they claimed or were assigned within the limit's window
	// LostAt is when the pool took this customer from them last (zero: never).
	LostAt time.Time
}

// CheckTake says why to (the new owner) may not take one more customer under
// limit, or nil. cooldown is how long someone who lost the customer to the
// pool must wait before they may claim it again; it does not bind a manager's
// assignment (assigned).
func CheckTake(to string, h Holding, limit Limit, cooldown time.Duration, assigned bool, now time.Time) error {
	if !assigned && !h.LostAt.IsZero() && now.Before(h.LostAt.Add(cooldown)) {
		return refuse(Cooldown, "", "%s let this customer return to the pool on %s and may claim it again from %s",
			to, h.LostAt.UTC().Format(time.DateOnly), h.LostAt.Add(cooldown).UTC().Format(time.DateOnly))
	}
	if limit.Standing != nil && h.Owned >= *limit.Standing {
		return refuse(Cap, "owner", "%s owns %d customers, the most allowed (%s)", to, h.Owned, limit.Scope)
	}
	if limit.Rolling != nil && h.Recent >= *limit.Rolling {
		return refuse(Cap, "owner", "%s took on %d customers in the last %d days, the most allowed (%s)",
			to, h.Recent, limit.RollingDays, limit.Scope)
	}
	return nil
}

// Mask shows a person's name as a collision answer may: its first letter and
// a star for each of the others (王五 → 王*, Wang → W***).
func Mask(name string) string {
	name = strings.TrimSpace(name)
	r, size := utf8.DecodeRuneInString(name)
	if size == 0 {
		return "*"
	}
	n := utf8.RuneCountInString(name) - 1
	if n < 1 {
		n = 1
	}
	return string(r) + strings.Repeat("*", n)
}

// PhoneKey is the form phones are matched on: the digits, without China's
// country code (+86, 0086) in front of a longer number. It mirrors the SQL
// function l2c_phone_key.
func PhoneKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	switch {
	case len(d) > 11 && strings.HasPrefix(d, "0086"):
		return d[4:]
	case len(d) > 11 && strings.HasPrefix(d, "86"):
		return d[2:]
	}
	return d
}

// MinPhoneDigits: shorter phone keys (an extension, a typo) match nothing.
const MinPhoneDigits = 7

// Rule is the pool clock of one value class ("" = not ranked).
type Rule struct {
	Class        string `json:"value_class"`
	IdleDays     int    `json:"idle_days"`     // working days without a follow-up before the customer returns to the pool
	WarnDays     int    `json:"warn_days"`     // working days before that the owner is warned
	CooldownDays int    `json:"cooldown_days"` // calendar days the previous owner waits to claim it back
}

// Cutoff is a class's clock as of one run: a customer whose last follow-up
// is before WarnBefore is warned; before RecycleBefore, and warned before
// WarnedBefore, it returns to the pool.
type Cutoff struct {
	Class         string
	WarnBefore    time.Time
	RecycleBefore time.Time
	WarnedBefore  time.Time
}

// Cutoffs turns rules into instants on cal as of now. A last follow-up at
// any time of the working day N working days back counts as N days idle, so
// each cutoff is the start of that day in the calendar's zone.
func Cutoffs(cal *calendar.Calendar, now time.Time, rules []Rule) []Cutoff {
	today := cal.DateOf(now)
	out := make([]Cutoff, 0, len(rules))
	for _, r := range rules {
		out = append(out, Cutoff{Class: r.Class,
			WarnBefore:    startOf(cal, WorkdaysBack(cal, today, r.IdleDays-r.WarnDays)),
			RecycleBefore: startOf(cal, WorkdaysBack(cal, today, r.IdleDays)),
			// A warning must have stood for warn_days working days (at least
			// one) before the customer goes, whenever the clock first ran.
			WarnedBefore: startOf(cal, WorkdaysBack(cal, today, max(r.WarnDays, 1)-1)),
		})
	}
	return out
}

// WorkdaysBack is the working day n working days before today (today itself
// for n = 0 when it is a working day, else the working day before it).
func WorkdaysBack(cal *calendar.Calendar, today calendar.Date, n int) calendar.Date {
	d := today
	for !cal.IsWorkday(d) {
		d = d.AddDays(-1)
	}
	for i := 0; i < n; {
		d = d.AddDays(-1)
		if cal.IsWorkday(d) {
			i++
		}
	}
	return d
}

func startOf(cal *calendar.Calendar, d calendar.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, cal.Location()).UTC()
}

// MayHandOver says why by may not hand over from's customers and open work,
// or nil: an admin, from's manager, or a sales manager of from's team when
// from is a rep; never from themself.
func MayHandOver(by identity.User, from identity.User, fromManager string) error {
	switch {
	case by.ID == from.ID:
		return refuse(Forbidden, "", "%s cannot hand over their own customers and open work; their manager or an admin does", from.ID)
	case by.Has(identity.RoleAdmin), by.Has(identity.RoleSalesManager) && fromManager == by.ID:
		return nil
	case by.Has(identity.RoleSalesManager) && by.Team != "" && by.Team == from.Team && !from.Has(identity.RoleSalesManager):
		return nil
	}
	return refuse(Forbidden, "", "only an admin or %s's sales manager may hand over their customers and open work", from.ID)
}

// CheckSuccessor says why to cannot take over from's customers, or nil.
func CheckSuccessor(from, to identity.User, toDisabled bool) error {
	switch {
	case to.ID == from.ID:
		return refuse(Invalid, "to", "the successor must be someone else than %s", from.ID)
	case toDisabled:
		return refuse(Invalid, "to", "%s is disabled", to.ID)
	case !to.Has(identity.RoleSales, identity.RoleSalesManager):
		return refuse(Invalid, "to", "%s is not a sales rep or sales manager", to.ID)
	}
	return nil
}

// Why describes a collision for the one who ran into it: the owner masked,
// the last contact date, and what was matched.
func Why(ownerName string, lastContact *time.Time, matchedOn string, loc *time.Location) string {
	last := "no contact recorded"
	if lastContact != nil {
		last = "last contact " + lastContact.In(loc).Format(time.DateOnly) // the company's day, as the reply's last_contact
	}
	return fmt.Sprintf("this customer (matched on %s) is owned by %s, %s; a request to share it has been sent to the owner and their manager",
		matchedOn, Mask(ownerName), last)
}
