package deal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/l2c/l2c/internal/civil"
	"strconv"
	"strings"
)

// Date is a calendar day as people write it (2026-12-31). When a date becomes a
// deadline it ends at midnight in the company's time zone (End).
type Date = civil.Date

// ParseDate reads YYYY-MM-DD; DateOf is the day of an instant in its zone.
var (
	ParseDate = civil.ParseDate
	DateOf    = civil.DateOf
)

// Percent is a share in basis points: 8500 is 85%. Discounts are written the way
// the sales team writes them: the share of list price charged (85 = 八五折).
type Percent int64

// Hundred is 100%.
const Hundred Percent = 10000

// ParsePercent reads "85", "85.5", "85%" (at most two decimals).
func ParsePercent(s string) (Percent, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	whole, frac, hasDot := strings.Cut(s, ".")
	if len(frac) > 2 || (hasDot && frac == "") {
		return 0, fmt.Errorf("%q: want a percent with at most two decimals, like 85 or 85.5", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseUint(whole, 10, 16)
	f, err2 := strconv.ParseUint(frac, 10, 8)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%q is not a percent like 85 or 85.5", s)
	}
	return Percent(w*100 + f), nil
}

func (p Percent) String() string {
	s := fmt.Sprintf("%d.%02d", p/100, p%100)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "0"), "0")
	return strings.TrimSuffix(s, ".")
}

// MarshalJSON writes the percent as a JSON number: 85.5.
func (p Percent) MarshalJSON() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalJSON reads a number or a string ("85", "85%").
func (p *Percent) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := ParsePercent(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}
