package collection

import "time"

var utc = time.UTC

// Bucket is an ageing bucket: how late an open item is, in calendar days
// past its due date.
type Bucket string

const (
	BucketCurrent Bucket = "current" // not yet due (or due today)
	Bucket1to30   Bucket = "1_30"
	Bucket31to60  Bucket = "31_60"
	Bucket61to90  Bucket = "61_90"
	Bucket90Plus  Bucket = "90_plus"
)

// Buckets lists the buckets youngest first: the columns of the ageing report.
var Buckets = []Bucket{BucketCurrent, Bucket1to30, Bucket31to60, Bucket61to90, Bucket90Plus}

// BucketOf is the bucket of an item due on due, seen on asOf.
func BucketOf(due, asOf Date) Bucket {
	switch late := DaysLate(due, asOf); {
	case late <= 0:
		return BucketCurrent
	case late <= 30:
		return Bucket1to30
	case late <= 60:
		return Bucket31to60
	case late <= 90:
		return Bucket61to90
	}
	return Bucket90Plus
}

// DaysLate is how many calendar days after due asOf is (negative: before).
func DaysLate(due, asOf Date) int { return daysBetween(due, asOf) }

// ExpectedOn is when an item due on due is expected to be paid, from its
// customer's average days to pay after due (negative: early): never before
// today, since what is late is expected now.
func ExpectedOn(due Date, avgDaysLate int, today Date) Date {
	d := due.AddDays(avgDaysLate)
	if d.Before(today) {
		return today
	}
	return d
}

// WeekOf is the Monday starting d's week (ISO weeks), the forecast's key.
func WeekOf(d Date) Date {
	wd := int(d.Weekday()+6) % 7 // Monday 0 … Sunday 6
	return d.AddDays(-wd)
}
