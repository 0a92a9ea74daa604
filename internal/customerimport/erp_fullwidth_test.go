package customerimport_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/customerimport"
	"github.com/l2c/l2c/internal/workbook/workbooktest"
)

// A registered name is a legal name: written with full-width parentheses it
// is stored so, not "corrected" to ASCII ones. Width is folded only to
// compare: the same customer imported again with ASCII parentheses is the
// same name (no rename refused, nothing changed).
func TestERPFullWidthNamesAreStoredAsWritten(t *testing.T) {
	e := setup(t)
	const name = "瑞丰贸易（上海）有限公司"
	const addr = "上海市浦东新区张江路８８号（二期）３幢"
	data := workbooktest.XLSX(t, workbooktest.Sheet{Name: "客户", Rows: [][]any{
		{"客户编码", "客户名称", "地址", "联系人", "付款条件"},
		{"FW-1", name, addr, "王（经理）", "ＮＴ３０"},
	}})
	rep, err := e.run(t, "客户.xlsx", data, "", false)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusImported, rep.Status, rep.Message)
	c := e.customer(t, "FW-1")
	require.Equal(t, name, c.Name)
	require.Equal(t, addr, c.Address)
	require.Equal(t, "王（经理）", c.ContactName)
	require.Equal(t, "NT30", c.PaymentTerms, "a terms key is a code: folded")

	before := e.snapshot(t, "FW-")
	again := workbooktest.XLSX(t, workbooktest.Sheet{Name: "客户", Rows: [][]any{
		{"客户编码", "客户名称", "地址", "联系人", "付款条件"},
		{"FW-1", "瑞丰贸易(上海)有限公司", "上海市浦东新区张江路88号(二期)3幢", "王(经理)", "NT30"},
	}})
	rep, err = e.run(t, "客户.xlsx", again, "", false)
	require.NoError(t, err)
	require.Equal(t, customerimport.StatusImported, rep.Status, rep.Message)
	require.Equal(t, customerimport.Counts{Total: 1, Accepted: 1, Unchanged: 1}, rep.Rows)
	require.Equal(t, before, e.snapshot(t, "FW-"), "the same name in other widths changes nothing")
	require.Equal(t, name, e.customer(t, "FW-1").Name)
}
