package calendar

import "fmt"

// ChinaSpec is mainland China's working calendar: Monday to Friday, 09:00–12:00
// and 13:00–18:00 Beijing time, with the public holidays and make-up working
// days (调休) the State Council announces each November for the next year.
//
// Sources, as published by Xinhua and reprinted in full by the national press:
//   - 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号),
//     2024-11-12, https://m.gmw.cn/2024-11/12/content_1303894933.htm
//   - 2026: 国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04,
//     https://politics.gmw.cn/2025-11/04/content_38391083.htm
//
// Years not listed have no holidays here: add them (PUT /api/v1/calendars/default)
// when the notice comes out. Migration 00006 seeds the same data as the
// "default" calendar; a test keeps the two in step.
func ChinaSpec() Spec {
	s := Spec{
		ID:       DefaultID,
		Name:     "中国大陆 Mainland China",
		TimeZone: "Asia/Shanghai",
		Weekdays: []string{"mon", "tue", "wed", "thu", "fri"},
		Hours:    []Period{{"09:00", "12:00"}, {"13:00", "18:00"}},
	}
	off := func(name, from, to string) {
		start, err := ParseDate(from)
		if err != nil {
			panic(err)
		}
		end, err := ParseDate(to)
		if err != nil {
			panic(err)
		}
		for d := start; !end.Before(d); d = d.AddDays(1) {
			s.Days = append(s.Days, Day{Date: d.String(), Kind: Holiday, Name: name})
		}
	}
	on := func(name string, dates ...string) {
		for _, d := range dates {
			s.Days = append(s.Days, Day{Date: d, Kind: Workday, Name: fmt.Sprintf("%s调休上班", name)})
		}
	}

	// 2025
	off("元旦", "2025-01-01", "2025-01-01")
	off("春节", "2025-01-28", "2025-02-04")
	on("春节", "2025-01-26", "2025-02-08")
	off("清明节", "2025-04-04", "2025-04-06")
	off("劳动节", "2025-05-01", "2025-05-05")
	on("劳动节", "2025-04-27")
	off("端午节", "2025-05-31", "2025-06-02")
	off("国庆节、中秋节", "2025-10-01", "2025-10-08")
	on("国庆节", "2025-09-28", "2025-10-11")

	// 2026
	off("元旦", "2026-01-01", "2026-01-03")
	on("元旦", "2026-01-04")
	off("春节", "2026-02-15", "2026-02-23")
	on("春节", "2026-02-14", "2026-02-28")
	off("清明节", "2026-04-04", "2026-04-06")
	off("劳动节", "2026-05-01", "2026-05-05")
	on("劳动节", "2026-05-09")
	off("端午节", "2026-06-19", "2026-06-21")
	off("中秋节", "2026-09-25", "2026-09-27")
	off("国庆节", "2026-10-01", "2026-10-07")
	on("国庆节", "2026-09-20", "2026-10-10")
	return s
}

// China is ChinaSpec compiled: the default calendar when none is stored.
func China() *Calendar {
	c, err := New(ChinaSpec())
	if err != nil {
		panic(fmt.Sprintf("calendar: built-in China calendar: %v", err))
	}
	return c
}
