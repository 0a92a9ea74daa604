package calendar

import "github.com/l2c/l2c/internal/civil"

// Date is a day on the calendar as people write it (2026-02-14): no time, no
// zone. Which instants it covers depends on the calendar's time zone.
type Date = civil.Date

// ParseDate reads YYYY-MM-DD; DateOf is the day of t in t's own location
// (Calendar.DateOf uses the calendar's zone instead).
var (
	ParseDate = civil.ParseDate
	DateOf    = civil.DateOf
)
