package workbook_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/workbook"
)

// TestAuthCSVCellNeutralisesFormulas: the same cells the workbook writer
// quotes get an apostrophe in CSV; everything else is left as it is.
func TestAuthCSVCellNeutralisesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://e.x","x")`: `'=HYPERLINK("http://e.x","x")`,
		"+1":                           "'+1",
		"-2+3":                         "'-2+3",
		"@SUM(A1)":                     "'@SUM(A1)",
		"\tx":                          "'\tx",
		"\rx":                          "'\rx",
		"＝1+1":                         "'＝1+1",
		"plain":                        "plain",
		"":                             "",
		"a=b":                          "a=b",
	} {
		require.Equal(t, want, workbook.CSVCell(in), "%q", in)
	}
}
