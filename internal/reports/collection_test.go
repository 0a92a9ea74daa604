package reports_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/reports"
	"github.com/l2c/l2c/internal/workbook"
)

// TestCollectionForecastWorkbook: R-1's instalments as of 30 June 2026, by
// week from Monday 29 June: one due on 3 July, one overdue (expected now,
// what is left of it), one in January (after the 13 weeks: Later). Liu, who
// does not, gets the header only.
func TestCollectionForecastWorkbook(t *testing.T) {
	e := setup(t)
	ins := `INSERT INTO collection_instalments (deal_id, no, trigger, due_kind, due_days, amount, paid, currency, customer_code,
		payment_owner, due_on) VALUES ('R-1', $1, 'signing', 'calendar_days', 0, $2, $3, 'CNY', 'C1', 'wu', $4)`
	sqlExec(t, e.pool, ins, 1, 1000000, 0, "2026-07-03")
	sqlExec(t, e.pool, ins, 2, 500000, 200000, "2026-06-01")
	sqlExec(t, e.pool, ins, 3, 300000, 0, "2027-01-15")
	t.Cleanup(func() { sqlExec(t, e.pool, `DELETE FROM collection_instalments WHERE deal_id = 'R-1'`) })

	data, res, err := e.rep.ExportBytes(context.Background(), reports.CollectionForecast, reports.Params{Lang: workbook.English}, wang)
	require.NoError(t, err)
	require.Equal(t, "collection-forecast-2026-06-30.xlsx", res.FileName)
	f := open(t, data)
	require.Equal(t, []string{"Forecast", "About"}, f.GetSheetList())
	require.Equal(t, [][]string{
		{"Week of", "Currency", "Expected", "Instalments"},
		{"2026-06-29", "CNY", "13,000.00", "2"},
		{"Later", "CNY", "3,000.00", "1"},
	}, rowsOf(t, f, "Forecast"))

	data, _, err = e.rep.ExportBytes(context.Background(), reports.CollectionForecast, reports.Params{Lang: workbook.Chinese}, liu)
	require.NoError(t, err)
	require.Equal(t, [][]string{{"周（周一）", "币种", "预计回款", "期数"}}, rowsOf(t, open(t, data), "回款预测"))
}
