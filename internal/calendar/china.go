package calendar

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// ChinaSpec is mainland China's working calendar: Monday to Friday, 09:00–12:00
// and 13:00–18:00 Beijing time, with the public holidays and make-up working
// days (调休) the State Council announces each November for the next year,
// listed in china_holidays.json.
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
	var notices []chinaNotice
	if err := json.Unmarshal(chinaHolidays, &notices); err != nil {
		panic(fmt.Sprintf("calendar: china_holidays.json: %v", err))
	}
	for _, n := range notices {
		if n.Holiday == "" {
			for _, d := range n.Dates {
				s.Days = append(s.Days, Day{Date: d, Kind: Workday, Name: fmt.Sprintf("%s调休上班", n.Workday)})
			}
			continue
		}
		start, err := ParseDate(n.From)
		if err != nil {
			panic(err)
		}
		end, err := ParseDate(n.To)
		if err != nil {
			panic(err)
		}
		for d := start; !end.Before(d); d = d.AddDays(1) {
			s.Days = append(s.Days, Day{Date: d.String(), Kind: Holiday, Name: n.Holiday})
		}
	}
	return s
}

// chinaHolidays is the notices' days, in their order: each holiday's days off
// (From to To) and its make-up working days (Dates), as the notice lists them.
//
//go:embed china_holidays.json
var chinaHolidays []byte

// chinaNotice is one line of a notice: the days off of Holiday, or the days
// worked in exchange for the holiday Workday.
type chinaNotice struct {
	Holiday string   `json:"holiday"`
	From    string   `json:"from"`
	To      string   `json:"to"`
	Workday string   `json:"workday"`
	Dates   []string `json:"dates"`
}

// China is ChinaSpec compiled: the default calendar when none is stored.
func China() *Calendar {
	c, err := New(ChinaSpec())
	if err != nil {
		panic(fmt.Sprintf("calendar: built-in China calendar: %v", err))
	}
	return c
}
