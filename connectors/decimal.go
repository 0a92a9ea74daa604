package connectors

import (
	"strconv"
	"strings"
)

// Hundredths brings the digits after a decimal point to two places, the minor
// units ERPs send amounts in: "5" is "50", "125" is refused (ok false) and
// "1200" is "12", since zeros past the second place change nothing.
func Hundredths(frac string) (two string, ok bool) {
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return "", false
		}
		return frac[:2], true
	}
	for len(frac) < 2 {
		frac += "0"
	}
	return frac, true
}

// Minor is the amount in minor units that checked digits make: whole, and two
// after the point (as Hundredths gives them), negative when neg.
func Minor(neg bool, whole, two string) int64 {
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(two, 10, 64)
	if neg {
		return -(w*100 + f)
	}
	return w*100 + f
}
