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
func BucketOf(due, asOf Date) Bucket { return Buckets[BucketIndex(DaysLate(due, asOf))] }

// lastDays is the most days late each bucket but the oldest holds, in
// Buckets' order.
var lastDays = [...]int{0, 30, 60, 90}

// BucketIndex is the place in Buckets of an item late days past due (0 or
// less: current). The reports and the customer page, which age by days
// overdue, count in the same brackets through it.
func BucketIndex(late int) int {
	for i, last := range lastDays {
		if late <= last {
			return i
		}
	}
	return len(lastDays)
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
