package sap

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors"
)

// This file holds the OData v2 wire format as SAP Gateway speaks it in JSON:
// the "d" envelope, /Date(ms)/ values, Edm.Time durations, Edm.Decimal strings
// and the literals of $filter expressions. The simulator uses it too, so both
// sides of every test agree on one reading of the protocol.

// Meta is an entity's __metadata: its canonical URI and, for entities with
// optimistic locking, its ETag.
type Meta struct {
	ID   string `json:"id,omitempty"`
	URI  string `json:"uri,omitempty"`
	Type string `json:"type,omitempty"`
	ETag string `json:"etag,omitempty"`
}

// Deferred is a navigation property: either expanded ({"results": [...]}) or
// deferred ({"__deferred": {...}}), in which case Results is empty.
type Deferred[T any] struct {
	Results []T `json:"results"`
}

// Collection is the body of a collection read: {"d": {"results": [...], "__next": "..."}}.
type Collection[T any] struct {
	D struct {
		Results []T    `json:"results"`
		Next    string `json:"__next,omitempty"`
		Count   string `json:"__count,omitempty"`
	} `json:"d"`
}

// Entity is the body of a single-entity read or a create: {"d": {...}}.
type Entity[T any] struct {
	D T `json:"d"`
}

// ErrorBody is SAP Gateway's JSON error: {"error": {"code": ..., "message": {"lang", "value"}}}.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message struct {
			Lang  string `json:"lang"`
			Value string `json:"value"`
		} `json:"message"`
	} `json:"error"`
}

// NewErrorBody builds SAP's error envelope.
func NewErrorBody(code, msg string) ErrorBody {
	var b ErrorBody
	b.Error.Code = code
	b.Error.Message.Lang = "en"
	b.Error.Message.Value = msg
	return b
}

// ParseDate reads an Edm.DateTime or Edm.DateTimeOffset JSON value:
// "/Date(1700000000000)/" or "/Date(1700000000000+0480)/" (offset in minutes,
// which v2 carries for information only: the milliseconds are UTC already).
func ParseDate(s string) (time.Time, error) {
	inner, ok := strings.CutPrefix(s, "/Date(")
	if ok {
		inner, ok = strings.CutSuffix(inner, ")/")
	}
	if !ok || inner == "" {
		return time.Time{}, fmt.Errorf("%q is not an OData /Date(…)/ value", s)
	}
	digits := inner
	if i := strings.IndexAny(inner[1:], "+-"); i >= 0 {
		digits = inner[:i+1]
		if _, err := strconv.Atoi(inner[i+2:]); err != nil {
			return time.Time{}, fmt.Errorf("%q has a bad offset", s)
		}
	}
	ms, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an OData /Date(…)/ value", s)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// FormatDate writes t as an Edm.DateTime JSON value.
func FormatDate(t time.Time) string {
	return "/Date(" + strconv.FormatInt(t.UnixMilli(), 10) + ")/"
}

// FormatDateOffset writes t as an Edm.DateTimeOffset JSON value (UTC).
func FormatDateOffset(t time.Time) string {
	return "/Date(" + strconv.FormatInt(t.UnixMilli(), 10) + "+0000)/"
}

// ParseTime reads an Edm.Time value, an ISO 8601 duration such as "PT14H05M09S".
func ParseTime(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "PT")
	if !ok {
		return 0, fmt.Errorf("%q is not an Edm.Time like PT14H05M09S", s)
	}
	var d time.Duration
	for rest != "" {
		i := strings.IndexAny(rest, "HMS")
		if i <= 0 {
			return 0, fmt.Errorf("%q is not an Edm.Time like PT14H05M09S", s)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not an Edm.Time like PT14H05M09S", s)
		}
		switch rest[i] {
		case 'H':
			d += time.Duration(n * float64(time.Hour))
		case 'M':
			d += time.Duration(n * float64(time.Minute))
		case 'S':
			d += time.Duration(n * float64(time.Second))
		}
		rest = rest[i+1:]
	}
	if d >= 24*time.Hour {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return d, nil
}

// FormatTime writes a time of day as an Edm.Time value, to the second.
func FormatTime(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("PT%02dH%02dM%02dS", s/3600, s/60%60, s%60)
}

// SplitStamp splits t into SAP's date-and-time pair (LastChangeDate at
// midnight, LastChangeTime as time of day) in loc.
func SplitStamp(t time.Time, loc *time.Location) (day time.Time, tod time.Duration) {
	t = t.In(loc)
	y, m, d := t.Date()
	day = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	tod = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	return day, tod
}

// JoinStamp is the inverse of SplitStamp: the instant of day+tod in loc, in UTC.
func JoinStamp(day time.Time, tod time.Duration, loc *time.Location) time.Time {
	y, m, d := day.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).Add(tod).UTC()
}

// Literals of $filter expressions.

// DateTimeLit is an Edm.DateTime literal: datetime'2026-11-02T00:00:00'.
func DateTimeLit(t time.Time) string {
	return "datetime'" + t.UTC().Format("2006-01-02T15:04:05") + "'"
}

// DateTimeOffsetLit is an Edm.DateTimeOffset literal: datetimeoffset'2026-11-02T01:02:03Z'.
func DateTimeOffsetLit(t time.Time) string {
	return "datetimeoffset'" + t.UTC().Format("2006-01-02T15:04:05Z") + "'"
}

// TimeLit is an Edm.Time literal: time'PT14H05M09S'.
func TimeLit(d time.Duration) string { return "time'" + FormatTime(d) + "'" }

// StringLit quotes s for $filter and key predicates, doubling single quotes.
func StringLit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ParseDecimal reads an Edm.Decimal (sent as a JSON string, "1234.500") into
// minor units with two decimals. Digits beyond the second must be zeros: an
// amount of 0.001 is refused rather than rounded.
func ParseDecimal(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	frac, ok := connectors.Hundredths(frac)
	if !ok {
		return 0, fmt.Errorf("%q has more than two significant decimals", s)
	}
	if len(whole) > 15 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return connectors.Minor(neg, whole, frac), nil
}

// FormatDecimal writes minor units as an Edm.Decimal string with two decimals.
func FormatDecimal(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

type rowError struct {
	index int
	key   string
	err   error
}
