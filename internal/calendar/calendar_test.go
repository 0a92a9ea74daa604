package calendar_test

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/calendar"
)

var (
	shanghai = mustZone("Asia/Shanghai")
	newYork  = mustZone("America/New_York")
	china    = calendar.China()
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a wall-clock time: at(shanghai, "2026-02-13 17:00").
func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func date(s string) calendar.Date {
	d, err := calendar.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func must(c *calendar.Calendar, err error) *calendar.Calendar {
	if err != nil {
		panic(err)
	}
	return c
}

func mustNew(t testing.TB, s calendar.Spec) *calendar.Calendar {
	t.Helper()
	c, err := calendar.New(s)
	require.NoError(t, err)
	return c
}

// TestChinaCalendarMatchesTheNotices checks the seed against what the notices
// say in words: the weekday of each first holiday, that every make-up day is a
// weekend day, and the resulting number of working days.
func TestChinaCalendarMatchesTheNotices(t *testing.T) {
	firsts := map[string]time.Weekday{
		"2025-01-01": time.Wednesday, "2025-01-28": time.Tuesday, "2025-04-04": time.Friday,
		"2025-05-01": time.Thursday, "2025-05-31": time.Saturday, "2025-10-01": time.Wednesday,
		"2026-01-01": time.Thursday, "2026-02-15": time.Sunday, "2026-04-04": time.Saturday,
		"2026-05-01": time.Friday, "2026-06-19": time.Friday, "2026-09-25": time.Friday,
		"2026-10-01": time.Thursday,
	}
	for d, wd := range firsts {
		require.Equal(t, wd, date(d).Weekday(), d)
		require.False(t, china.IsWorkday(date(d)), d)
	}
	counts := map[int][2]int{} // year → holidays, make-up days
	for _, d := range china.Spec().Days {
		dd := date(d.Date)
		c := counts[dd.Year]
		if d.Kind == calendar.Workday {
			c[1]++
			wd := dd.Weekday()
			require.True(t, wd == time.Saturday || wd == time.Sunday, "make-up day %s is a %s", d.Date, wd)
			require.True(t, china.IsWorkday(dd), d.Date)
		} else {
			c[0]++
		}
		counts[dd.Year] = c
	}
	// 2025: 1+8+3+5+3+8 days off, 5 make-up days; 2026: 3+9+3+5+3+3+7 off, 6 make-up.
	require.Equal(t, map[int][2]int{2025: {28, 5}, 2026: {33, 6}}, counts)

	// Both years: 261 weekdays, 18 (2025) and 19 (2026) of them holidays, plus make-up days.
	for year, want := range map[int]int{2025: 248, 2026: 248} {
		n := 0
		for d := (calendar.Date{Year: year, Month: 1, Day: 1}); d.Year == year; d = d.AddDays(1) {
			if china.IsWorkday(d) {
				n++
			}
		}
		require.Equal(t, want, n, "working days in %d", year)
		from := time.Date(year, 1, 1, 0, 0, 0, 0, shanghai)
		require.Equal(t, time.Duration(want)*8*time.Hour, china.Between(from, from.AddDate(1, 0, 0)))
	}

	for d, want := range map[string]bool{
		"2026-02-13": true, "2026-02-14": true, "2026-02-15": false, "2026-02-23": false,
		"2026-02-24": true, "2026-02-28": true, "2026-03-01": false, "2026-09-20": true,
		"2026-10-08": true, "2026-10-10": true, "2026-10-11": false, "2025-10-08": false,
	} {
		require.Equal(t, want, china.IsWorkday(date(d)), d)
	}
}

func TestAddOnTheChinaCalendar(t *testing.T) {
	sh := func(s string) time.Time { return at(shanghai, s) }
	for _, tc := range []struct {
		name string
		from string
		d    time.Duration
		want string
	}{
		{"within the morning", "2026-03-02 10:00", time.Hour, "2026-03-02 11:00"},
		{"over the lunch break", "2026-03-02 11:30", time.Hour, "2026-03-02 13:30"},
		{"from the lunch break", "2026-03-02 12:30", 30 * time.Minute, "2026-03-02 13:30"},
		{"before hours", "2026-03-02 07:00", time.Hour, "2026-03-02 10:00"},
		{"after hours", "2026-03-02 19:00", time.Hour, "2026-03-03 10:00"},
		{"ends exactly at close, not next morning", "2026-03-02 10:00", 7 * time.Hour, "2026-03-02 18:00"},
		{"over a weekend", "2026-03-06 17:30", time.Hour, "2026-03-09 09:30"},
		{"from a Sunday", "2026-03-08 15:00", 2 * time.Hour, "2026-03-09 11:00"},
		{"two working days", "2026-03-04 14:00", 16 * time.Hour, "2026-03-06 14:00"},
		{"onto the make-up Saturday before Spring Festival", "2026-02-13 17:00", 2 * time.Hour, "2026-02-14 10:00"},
		{"over the Spring Festival week", "2026-02-14 17:00", 2 * time.Hour, "2026-02-24 10:00"},
		{"onto the make-up Saturday after", "2026-02-27 17:00", 2 * time.Hour, "2026-02-28 10:00"},
		{"onto the make-up Sunday before National Day", "2026-09-18 17:00", 2 * time.Hour, "2026-09-20 10:00"},
		{"over the National Day week", "2026-09-30 17:00", 2 * time.Hour, "2026-10-08 10:00"},
		{"onto the make-up Saturday after National Day", "2026-10-09 17:00", 2 * time.Hour, "2026-10-10 10:00"},
		{"2025 National Day and Mid-Autumn", "2025-09-30 17:00", 2 * time.Hour, "2025-10-09 10:00"},
		{"backwards over Spring Festival", "2026-02-24 10:00", -2 * time.Hour, "2026-02-14 17:00"},
		{"backwards over lunch", "2026-03-02 13:30", -time.Hour, "2026-03-02 11:30"},
		{"backwards from the evening", "2026-03-02 20:00", -time.Hour, "2026-03-02 17:00"},
		{"zero from outside hours stays put", "2026-03-07 20:00", 0, "2026-03-07 20:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := china.Add(sh(tc.from), tc.d)
			require.Equal(t, sh(tc.want), got, "got %s", got)
			require.Equal(t, shanghai, got.Location())
		})
	}
	// A UTC input gets a UTC answer, counted on Beijing hours.
	got := china.Add(time.Date(2026, 3, 2, 3, 30, 0, 0, time.UTC), time.Hour) // 11:30 Beijing
	require.Equal(t, time.Date(2026, 3, 2, 5, 30, 0, 0, time.UTC), got)
	require.Equal(t, time.UTC, got.Location())
}

func TestBetweenOnTheChinaCalendar(t *testing.T) {
	sh := func(s string) time.Time { return at(shanghai, s) }
	for _, tc := range []struct {
		a, b string
		want time.Duration
	}{
		{"2026-03-02 10:00", "2026-03-02 11:00", time.Hour},
		{"2026-03-02 11:00", "2026-03-02 14:00", 2 * time.Hour},
		{"2026-03-02 12:10", "2026-03-02 12:50", 0},
		{"2026-03-02 00:00", "2026-03-03 00:00", 8 * time.Hour},
		{"2026-03-06 17:00", "2026-03-09 10:00", 2 * time.Hour},
		{"2026-03-07 08:00", "2026-03-08 20:00", 0},
		{"2026-02-13 09:00", "2026-02-25 09:00", 24 * time.Hour}, // the 13th, the make-up 14th, the 24th
		{"2026-09-30 09:00", "2026-10-12 09:00", 32 * time.Hour}, // the 30th, the 8th, 9th and make-up 10th; the 11th is a Sunday
		{"2026-03-02 11:00", "2026-03-02 11:00", 0},
	} {
		require.Equal(t, tc.want, china.Between(sh(tc.a), sh(tc.b)), "%s → %s", tc.a, tc.b)
		require.Equal(t, -tc.want, china.Between(sh(tc.b), sh(tc.a)), "%s → %s", tc.b, tc.a)
	}
}

func TestNextAndIsWorkingTime(t *testing.T) {
	sh := func(s string) time.Time { return at(shanghai, s) }
	require.Equal(t, sh("2026-03-02 10:00"), china.Next(sh("2026-03-02 10:00")))
	require.Equal(t, sh("2026-03-02 13:00"), china.Next(sh("2026-03-02 12:00")))
	require.Equal(t, sh("2026-02-24 09:00"), china.Next(sh("2026-02-14 18:00")))
	require.True(t, china.IsWorkingTime(sh("2026-02-14 09:00")))
	require.False(t, china.IsWorkingTime(sh("2026-02-14 18:00")))
	require.False(t, china.IsWorkingTime(sh("2026-03-02 12:00")))
	require.False(t, china.IsWorkingTime(sh("2026-10-05 10:00")))
}

// TestDaylightSavingTime: hours are wall-clock times, so on the day clocks
// change a working period lasts an hour more or less, and Add and Between agree.
func TestDaylightSavingTime(t *testing.T) {
	ny := func(s string) time.Time { return at(newYork, s) }
	office := mustNew(t, calendar.Spec{ID: "ny", TimeZone: "America/New_York",
		Weekdays: []string{"mon", "tue", "wed", "thu", "fri"}, Hours: []calendar.Period{{"09:00", "17:00"}}})
	// Clocks went forward on Sunday 2026-03-08: the weekend is 47 real hours, but
	// no working time is lost.
	require.Equal(t, ny("2026-03-09 10:00"), office.Add(ny("2026-03-06 16:00"), 2*time.Hour))
	require.Equal(t, 2*time.Hour, office.Between(ny("2026-03-06 16:00"), ny("2026-03-09 10:00")))

	allDay := mustNew(t, calendar.Spec{ID: "always", TimeZone: "America/New_York",
		Weekdays: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Hours: []calendar.Period{{"00:00", "24:00"}}})
	require.Equal(t, 23*time.Hour, allDay.Between(ny("2026-03-07 12:00"), ny("2026-03-08 12:00")))
	require.Equal(t, ny("2026-03-08 13:00"), allDay.Add(ny("2026-03-07 12:00"), 24*time.Hour))
	require.Equal(t, 25*time.Hour, allDay.Between(ny("2026-10-31 12:00"), ny("2026-11-01 12:00")))
	require.Equal(t, ny("2026-11-01 11:00"), allDay.Add(ny("2026-10-31 12:00"), 24*time.Hour))

	// A night shift across the change: 01:00–04:00 is two real hours in spring
	// and four in autumn.
	night := mustNew(t, calendar.Spec{ID: "night", TimeZone: "America/New_York",
		Weekdays: []string{"sun"}, Hours: []calendar.Period{{"01:00", "04:00"}}})
	require.Equal(t, 2*time.Hour, night.Between(ny("2026-03-08 00:00"), ny("2026-03-08 12:00")))
	require.Equal(t, 4*time.Hour, night.Between(ny("2026-11-01 00:00"), ny("2026-11-01 12:00")))
	require.Equal(t, 3*time.Hour, night.Between(ny("2026-03-15 00:00"), ny("2026-03-15 12:00")))

	// Beijing has no DST: every working day is 8 hours, all year.
	for d := date("2026-01-01"); d.Year == 2026; d = d.AddDays(1) {
		start := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, shanghai)
		want := time.Duration(0)
		if china.IsWorkday(d) {
			want = 8 * time.Hour
		}
		require.Equal(t, want, china.Between(start, start.AddDate(0, 0, 1)), d.String())
	}
}

// checkAddBetween is the property that ties Add and Between together: Add(from, d)
// is the earliest instant at which Between(from, ·) reaches d, and counting back
// undoes it.
func checkAddBetween(t *testing.T, c *calendar.Calendar, from time.Time, d time.Duration) {
	t.Helper()
	to := c.Add(from, d)
	if d >= 0 {
		require.False(t, to.Before(from), "Add(%s, %s) = %s is before from", from, d, to)
		require.Equal(t, d, c.Between(from, to), "Between(%s, Add(·, %s) = %s)", from, d, to)
		if d > 0 {
			require.Less(t, c.Between(from, to.Add(-time.Nanosecond)), d, "Add(%s, %s) = %s is not the earliest", from, d, to)
			require.True(t, c.IsWorkingTime(to.Add(-time.Nanosecond)), "%s does not end working time", to)
			back := c.Add(to, -d)
			require.Equal(t, d, c.Between(back, to))
			require.False(t, back.Before(c.Next(from)), "Add(%s, %s) went back to %s, before %s", to, -d, back, c.Next(from))
		}
		return
	}
	require.False(t, to.After(from), "Add(%s, %s) = %s is after from", from, d, to)
	require.Equal(t, -d, c.Between(to, from))
	require.Less(t, c.Between(to.Add(time.Nanosecond), from), -d, "Add(%s, %s) = %s is not the latest", from, d, to)
}

// propertyCalendars are checked with durations up to their maxD: the sparse one
// has two working minutes a week, so a few hours take it years.
var propertyCalendars = []*calendar.Calendar{
	china,
	must(calendar.New(calendar.Spec{ID: "ny", TimeZone: "America/New_York",
		Weekdays: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"},
		Hours:    []calendar.Period{{"00:30", "02:30"}, {"08:00", "12:00"}, {"22:00", "24:00"}},
		Days:     []calendar.Day{{Date: "2026-07-03", Kind: calendar.Holiday}, {Date: "2026-11-26", Kind: calendar.Holiday}}})),
	must(calendar.New(calendar.Spec{ID: "sparse", TimeZone: "Europe/London",
		Weekdays: []string{"wed"}, Hours: []calendar.Period{{"00:59", "01:01"}},
		Days: []calendar.Day{{Date: "2026-03-25", Kind: calendar.Holiday}, {Date: "2026-03-29", Kind: calendar.Workday}}})),
	// Chile changes its clocks at midnight, so some days start at 01:00 or twice.
	must(calendar.New(calendar.Spec{ID: "santiago", TimeZone: "America/Santiago",
		Weekdays: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"},
		Hours:    []calendar.Period{{"00:00", "01:00"}, {"23:30", "24:00"}}})),
}

var maxD = []time.Duration{2000 * time.Hour, 2000 * time.Hour, 3 * time.Hour, 500 * time.Hour}

// TestAddBetweenProperty checks the property on random instants and durations
// around 2025–2027 (a fixed seed: failures reproduce).
func TestAddBetweenProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 214))
	base := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	for range 3000 {
		k := r.IntN(len(propertyCalendars))
		c := propertyCalendars[k]
		from := base.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
		if r.IntN(3) == 0 {
			from = from.Truncate(30 * time.Minute) // land on period boundaries too
		}
		d := time.Duration(r.Int64N(int64(maxD[k] / 4)))
		if r.IntN(4) == 0 {
			d = d.Truncate(time.Hour)
		}
		if r.IntN(3) == 0 {
			d = -d
		}
		checkAddBetween(t, c, from, d)
	}
}

func FuzzAddBetween(f *testing.F) {
	f.Add(uint8(0), int64(0), int64(0))
	f.Add(uint8(0), int64(1771059600), int64(2*time.Hour)) // Friday before Spring Festival 2026
	f.Add(uint8(1), int64(1772953200), int64(time.Hour))   // DST change in New York
	f.Add(uint8(1), int64(1793505600), -int64(90*time.Minute))
	f.Add(uint8(2), int64(1774746000), int64(3*time.Minute))
	f.Add(uint8(3), int64(1775358000), int64(2*time.Hour)) // Chile's April 2026 change, at midnight
	f.Fuzz(func(t *testing.T, which uint8, unix int64, d int64) {
		k := int(which) % len(propertyCalendars)
		// Stay within a century of 2023 and below maxD: the calendar's range, and a
		// bound on how long one case runs.
		from := time.Unix(1700000000+unix%(100*365*86400), 0)
		checkAddBetween(t, propertyCalendars[k], from, time.Duration(d%int64(maxD[k])))
	})
}

func TestNewRejectsBadSpecsNamingTheField(t *testing.T) {
	good := calendar.ChinaSpec()
	for _, tc := range []struct {
		name   string
		change func(*calendar.Spec)
		fields []string
	}{
		{"no zone", func(s *calendar.Spec) { s.TimeZone = "" }, []string{"time_zone"}},
		{"unknown zone", func(s *calendar.Spec) { s.TimeZone = "Mars/Olympus" }, []string{"time_zone"}},
		{"server zone", func(s *calendar.Spec) { s.TimeZone = "Local" }, []string{"time_zone"}},
		{"bad id", func(s *calendar.Spec) { s.ID = "Default Calendar" }, []string{"id"}},
		{"no weekdays", func(s *calendar.Spec) { s.Weekdays = nil }, []string{"weekdays"}},
		{"bad weekday", func(s *calendar.Spec) { s.Weekdays = []string{"mon", "funday", "mon"} }, []string{"weekdays[1]", "weekdays[2]"}},
		{"no hours", func(s *calendar.Spec) { s.Hours = nil }, []string{"hours"}},
		{"malformed hours", func(s *calendar.Spec) { s.Hours = []calendar.Period{{"9:00", "25:00"}} }, []string{"hours[0].start", "hours[0].end"}},
		{"end before start", func(s *calendar.Spec) { s.Hours = []calendar.Period{{"13:00", "12:00"}} }, []string{"hours[0].end"}},
		{"overlap", func(s *calendar.Spec) {
			s.Hours = []calendar.Period{{"13:00", "18:00"}, {"09:00", "13:30"}}
		}, []string{"hours[0]"}},
		{"both holiday and workday", func(s *calendar.Spec) {
			s.Days = append(s.Days, calendar.Day{Date: "2026-02-15", Kind: calendar.Workday})
		}, []string{"days[" + strconv.Itoa(len(good.Days)) + "].date"}},
		{"listed twice", func(s *calendar.Spec) {
			s.Days = append(s.Days, calendar.Day{Date: "2026-02-15", Kind: calendar.Holiday})
		}, []string{"days[" + strconv.Itoa(len(good.Days)) + "].date"}},
		{"bad date and kind", func(s *calendar.Spec) {
			s.Days = []calendar.Day{{Date: "2026-02-30", Kind: "off"}, {Date: "1900-01-01", Kind: calendar.Holiday}}
		}, []string{"days[0].date", "days[0].kind", "days[1].date"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := calendar.ChinaSpec()
			tc.change(&s)
			_, err := calendar.New(s)
			var ve *calendar.ValidationError
			require.ErrorAs(t, err, &ve)
			var fields []string
			for _, f := range ve.Fields {
				fields = append(fields, f.Field)
				require.NotEmpty(t, f.Message)
			}
			require.Equal(t, tc.fields, fields, err.Error())
		})
	}
	// Touching periods are fine, and come back sorted.
	s := good
	s.Hours = []calendar.Period{{"13:00", "18:00"}, {"09:00", "13:00"}}
	c := mustNew(t, s)
	require.Equal(t, []calendar.Period{{"09:00", "13:00"}, {"13:00", "18:00"}}, c.Spec().Hours)
}

func TestSpecIsNormalizedAndRoundTripsThroughJSON(t *testing.T) {
	c := mustNew(t, calendar.Spec{ID: "plant-2", TimeZone: "Asia/Shanghai",
		Weekdays: []string{"Saturday", "MON", "tue"},
		Hours:    []calendar.Period{{"13:00", "17:00"}, {"08:00", "12:00"}},
		Days: []calendar.Day{{Date: "2026-05-09", Kind: calendar.Workday, Name: "调休"},
			{Date: "2026-05-01", Kind: calendar.Holiday, Name: "劳动节"}}})
	want := calendar.Spec{ID: "plant-2", TimeZone: "Asia/Shanghai", Weekdays: []string{"mon", "tue", "sat"},
		Hours: []calendar.Period{{"08:00", "12:00"}, {"13:00", "17:00"}},
		Days: []calendar.Day{{Date: "2026-05-01", Kind: calendar.Holiday, Name: "劳动节"},
			{Date: "2026-05-09", Kind: calendar.Workday, Name: "调休"}}}
	require.Equal(t, want, c.Spec())

	b, err := json.Marshal(c)
	require.NoError(t, err)
	var back calendar.Calendar
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, want, back.Spec())
	require.Equal(t, c.Add(at(shanghai, "2026-04-30 16:00"), 3*time.Hour), back.Add(at(shanghai, "2026-04-30 16:00"), 3*time.Hour))

	require.Error(t, json.Unmarshal([]byte(`{"id":"x","time_zone":"Nowhere"}`), &back))
}
