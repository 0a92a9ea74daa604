package funnel

import (
	"time"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/ownership"
)

// The purchase timeframe sets how closely a deal is followed up: its sales
// owner is reminded when an open deal before the order has had no follow-up
// (a person's move on the deal, an activity logged on it or on its
// customer, or its opening) for FollowUpDays working days of its
// timeframe, and within NearDays working days once the month the order is
// expected in (the owner's, else the timeframe's) is this month or next.
// Days are counted on the company's working calendar.
var FollowUpDays = map[deal.Timeframe]int{
	deal.TimeframeNow: 5, deal.Timeframe3Months: 10, deal.Timeframe6Months: 20, deal.TimeframeOneYear: 40}

// NearDays is the follow-up interval once the order is near.
const NearDays = 5

// FollowUpCutoffs are the instants before which a deal's last follow-up
// makes it due a reminder, per timeframe and when near, as of one moment.
type FollowUpCutoffs struct {
	ByTimeframe map[deal.Timeframe]time.Time
	Near        time.Time
	// NearMonth is the last month (YYYY-MM) that counts as near: next month.
	NearMonth string
	// Workday: the moment is on a working day; reminders go out on those only.
	Workday bool
}

// FollowUpCutoffsAt works the cutoffs out on cal as of at: the start of the
// working day that many working days before at's day.
func FollowUpCutoffsAt(cal *calendar.Calendar, at time.Time) FollowUpCutoffs {
	today := cal.DateOf(at)
	start := func(n int) time.Time {
		d := ownership.WorkdaysBack(cal, today, n)
		return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, cal.Location()).UTC()
	}
	out := FollowUpCutoffs{ByTimeframe: map[deal.Timeframe]time.Time{}, Near: start(NearDays), Workday: cal.IsWorkday(today)}
	for tf, n := range FollowUpDays {
		out.ByTimeframe[tf] = start(n)
	}
	local := at.In(cal.Location())
	out.NearMonth = time.Date(local.Year(), local.Month()+1, 1, 0, 0, 0, 0, cal.Location()).Format("2006-01")
	return out
}
