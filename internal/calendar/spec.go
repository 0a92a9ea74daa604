package calendar

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/l2c/l2c/internal/refusal"
)

// Spec is a calendar as it is written down, stored and sent over the API: plain
// strings, so that a bad value is reported against its field by New instead of
// failing somewhere inside a JSON decoder.
type Spec struct {
	// ID names the calendar; "default" is the one approvals use unless told otherwise.
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// TimeZone is an IANA zone name such as Asia/Shanghai: working hours are wall-clock times there.
	TimeZone string `json:"time_zone"`
	// Weekdays are the regular working days: mon, tue, wed, thu, fri, sat, sun.
	Weekdays []string `json:"weekdays"`
	// Hours are the periods worked on every working day, e.g. 09:00–12:00 and 13:00–18:00.
	Hours []Period `json:"hours"`
	// Days are the exceptions to Weekdays: public holidays, and make-up working
	// days (调休) that fall on a day normally off.
	Days []Day `json:"days"`
}

// Period is a stretch of working time within a day, as HH:MM wall-clock times;
// End may be 24:00.
type Period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// DayKind says whether an exception day is off or worked.
type DayKind string

const (
	Holiday DayKind = "holiday" // a day off, whatever weekday it falls on
	Workday DayKind = "workday" // a day worked, whatever weekday it falls on (调休 上班)
)

// Day is one exception to the regular week.
type Day struct {
	Date string  `json:"date"` // YYYY-MM-DD
	Kind DayKind `json:"kind"`
	Name string  `json:"name,omitempty"` // 春节, 国庆节调休, ...
}

// FieldError names one bad field of a Spec and what is wrong with it: the
// field-error type every validator in l2c returns (internal/refusal).
type FieldError = refusal.FieldError

// ValidationError lists every problem with a Spec, so an admin fixes them in
// one go rather than one per request.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid calendar: " + strings.Join(parts, "; ")
}

// Bounds that keep a calendar small and its arithmetic far from time.Time's limits.
const (
	maxDays        = 10000
	maxPeriods     = 12
	maxNameLen     = 200
	minYear        = 1970
	maxYear        = 2200
	minutesPerDay  = 24 * 60
	defaultTZ      = "Asia/Shanghai"
	maxDayNameLen  = 100
	idPatternShape = "lower-case letters, digits, '.', '_' or '-', at most 64, starting with a letter or digit"
)

// DefaultID is the calendar approvals use when nothing else is configured.
const DefaultID = "default"

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

var weekdayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseWeekday accepts mon or Monday, in any case.
func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range weekdayNames {
		if s == n || s == strings.ToLower(time.Weekday(i).String()) {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseClock reads HH:MM (00:00 to 24:00) as minutes since midnight.
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 || strings.Trim(h+m, "0123456789") != "" {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

func formatClock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// period is a Period in minutes since midnight.
type period struct{ start, end int }

// New checks s and compiles it into a Calendar. A bad Spec gives a
// *ValidationError naming every bad field (hours[1].end, days[3].date, ...).
func New(s Spec) (*Calendar, error) {
	var fe []FieldError
	add := func(field, format string, args ...any) {
		fe = append(fe, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	c := &Calendar{days: make(map[Date]DayKind, len(s.Days))}

	if s.ID != "" && !idPattern.MatchString(s.ID) {
		add("id", "must be %s", idPatternShape)
	}
	if utf8.RuneCountInString(s.Name) > maxNameLen {
		add("name", "must be at most %d characters", maxNameLen)
	}

	switch tz := strings.TrimSpace(s.TimeZone); {
	case tz == "":
		add("time_zone", "is required, e.g. %s", defaultTZ)
	case tz == "Local":
		// "Local" would be whatever zone the server happens to run in.
		add("time_zone", "name the zone, e.g. %s; Local depends on the server", defaultTZ)
	default:
		loc, err := time.LoadLocation(tz)
		if err != nil {
			add("time_zone", "%q is not a known IANA time zone", s.TimeZone)
		}
		c.loc = loc
	}

	if len(s.Weekdays) == 0 {
		add("weekdays", "name at least one working weekday, e.g. [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"]")
	}
	for i, w := range s.Weekdays {
		wd, ok := parseWeekday(w)
		switch {
		case !ok:
			add(fmt.Sprintf("weekdays[%d]", i), "%q is not a weekday; use mon, tue, wed, thu, fri, sat or sun", w)
		case c.weekdays[wd]:
			add(fmt.Sprintf("weekdays[%d]", i), "%s is listed twice", weekdayNames[wd])
		default:
			c.weekdays[wd] = true
		}
	}

	type indexed struct {
		period
		i int
	}
	var ps []indexed
	switch {
	case len(s.Hours) == 0:
		add("hours", "name at least one working period, e.g. {\"start\":\"09:00\",\"end\":\"18:00\"}")
	case len(s.Hours) > maxPeriods:
		add("hours", "at most %d periods a day", maxPeriods)
	}
	for i, p := range s.Hours {
		start, ok1 := parseClock(p.Start)
		end, ok2 := parseClock(p.End)
		if !ok1 {
			add(fmt.Sprintf("hours[%d].start", i), "%q is not a time like 09:00", p.Start)
		}
		if !ok2 {
			add(fmt.Sprintf("hours[%d].end", i), "%q is not a time like 18:00 (24:00 is the end of the day)", p.End)
		}
		if !ok1 || !ok2 {
			continue
		}
		if start >= minutesPerDay {
			add(fmt.Sprintf("hours[%d].start", i), "must be before 24:00")
			continue
		}
		if end <= start {
			add(fmt.Sprintf("hours[%d].end", i), "must be after start %s", p.Start)
			continue
		}
		ps = append(ps, indexed{period{start, end}, i})
	}
	slices.SortStableFunc(ps, func(a, b indexed) int { return a.start - b.start })
	for k := 1; k < len(ps); k++ {
		// Touching periods (12:00–13:00 then 13:00–18:00) are fine; overlapping ones
		// would count the same minutes twice.
		if prev := ps[k-1]; ps[k].start < prev.end {
			add(fmt.Sprintf("hours[%d]", ps[k].i), "overlaps hours[%d] (%s–%s)", prev.i,
				formatClock(prev.start), formatClock(prev.end))
		}
	}
	for _, p := range ps {
		c.periods = append(c.periods, p.period)
	}

	if len(s.Days) > maxDays {
		add("days", "at most %d days", maxDays)
	}
	firstAt := make(map[Date]int, len(s.Days))
	for i, d := range s.Days {
		field := fmt.Sprintf("days[%d]", i)
		date, err := ParseDate(d.Date)
		if err != nil {
			add(field+".date", "%v", err)
		} else if date.Year < minYear || date.Year > maxYear {
			add(field+".date", "must be between %d and %d", minYear, maxYear)
			err = fmt.Errorf("out of range")
		}
		if d.Kind != Holiday && d.Kind != Workday {
			add(field+".kind", "%q is not a kind; use %q or %q", d.Kind, Holiday, Workday)
		}
		if utf8.RuneCountInString(d.Name) > maxDayNameLen {
			add(field+".name", "must be at most %d characters", maxDayNameLen)
		}
		if err != nil {
			continue
		}
		if j, dup := firstAt[date]; dup {
			if s.Days[j].Kind != d.Kind {
				add(field+".date", "%s cannot be both a %s (days[%d]) and a %s", date, s.Days[j].Kind, j, d.Kind)
			} else {
				add(field+".date", "%s is listed twice (also days[%d])", date, j)
			}
			continue
		}
		firstAt[date] = i
		c.days[date] = d.Kind
		if d.Kind == Holiday {
			c.holidays++
		}
	}
	if len(fe) > 0 {
		return nil, &ValidationError{Fields: fe}
	}

	for _, p := range c.periods {
		c.daily += time.Duration(p.end-p.start) * time.Minute
	}
	c.spec = normalize(s, c)
	return c, nil
}

// normalize is s in canonical form: weekdays Monday first, periods and days in
// order, times as HH:MM. Saving and reading back a calendar gives the same Spec.
func normalize(s Spec, c *Calendar) Spec {
	n := Spec{ID: s.ID, Name: s.Name, TimeZone: c.loc.String()}
	for _, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday,
		time.Friday, time.Saturday, time.Sunday} {
		if c.weekdays[wd] {
			n.Weekdays = append(n.Weekdays, weekdayNames[wd])
		}
	}
	for _, p := range c.periods {
		n.Hours = append(n.Hours, Period{Start: formatClock(p.start), End: formatClock(p.end)})
	}
	n.Days = make([]Day, 0, len(s.Days))
	for _, d := range s.Days {
		date, _ := ParseDate(d.Date)
		n.Days = append(n.Days, Day{Date: date.String(), Kind: d.Kind, Name: d.Name})
	}
	slices.SortFunc(n.Days, func(a, b Day) int { return strings.Compare(a.Date, b.Date) })
	return n
}
