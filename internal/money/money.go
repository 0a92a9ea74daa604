// Package money holds exact amounts of money. Amounts are integer minor units
// (fen, cents) so sums and comparisons are exact; they travel in JSON as decimal
// strings ("1234.50") so no client ever rounds them through a float.
package money

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DefaultCurrency is used when a deal names none.
const DefaultCurrency = "CNY"

// Currencies l2c accepts. All have two minor digits; a currency with another
// exponent (JPY, KWD) needs Amount to learn exponents first.
var currencies = map[string]bool{"CNY": true, "USD": true, "EUR": true, "HKD": true, "GBP": true}

// ValidCurrency reports whether code is an ISO 4217 code l2c accepts.
func ValidCurrency(code string) bool { return currencies[code] }

// Amount is a sum of money in minor units (1 CNY = 100 Amount).
type Amount int64

// ErrFormat is wrapped by every parse error.
var ErrFormat = errors.New("not an amount")

// Parse reads a decimal amount with at most two decimals: "1234", "1234.5", "-0.01".
// Thousands separators, exponents and more than two decimals are rejected rather
// than guessed at.
func Parse(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrFormat)
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (hasDot && (frac == "" || !digits(frac))) {
		return 0, fmt.Errorf("%w: %q", ErrFormat, s)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%w: %q has more than two decimals", ErrFormat, s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	units, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || units > (math.MaxInt64-99)/100 {
		return 0, fmt.Errorf("%w: %q is too large", ErrFormat, s)
	}
	minor, _ := strconv.ParseInt(frac, 10, 64)
	a := Amount(units*100 + minor)
	if neg {
		a = -a
	}
	return a, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// String formats the amount with exactly two decimals: "1234.50".
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign = "-"
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MarshalJSON writes the amount as a decimal string.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(`"` + a.String() + `"`), nil }

// UnmarshalJSON accepts a decimal string or a JSON number; both are read as
// exact decimal text, never through float64.
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MulRatio returns a*num/den rounded half away from zero, for discounts and
// shares. It reports false if the result does not fit.
func (a Amount) MulRatio(num, den int64) (Amount, bool) {
	if den == 0 {
		return 0, false
	}
	p := int64(a) * num
	if num != 0 && p/num != int64(a) {
		return 0, false
	}
	q, r := p/den, p%den
	if 2*abs(r) >= abs(den) {
		if (p < 0) != (den < 0) {
			q--
		} else {
			q++
		}
	}
	return Amount(q), true
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
