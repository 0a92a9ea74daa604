package i18n_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/i18n"
)

// TestPersonNamesEveryKindOfHolder: whoever a deal waits on reads as
// people say it, never as its key: a person by name, a role's holders, a
// review, and an order held for credit (finance), in both languages.
func TestPersonNamesEveryKindOfHolder(t *testing.T) {
	zh := i18n.Printer{Lang: i18n.Chinese, Names: map[string]string{"li": "李娜"}}
	en := i18n.Printer{Lang: i18n.English, Names: map[string]string{"li": "Li Na"}}
	require.Equal(t, "李娜", zh.Person("li"))
	require.Equal(t, "财务（信用冻结放行）", zh.Person("credit:CH-000001"))
	require.Equal(t, "finance (credit hold)", en.Person("credit:CH-000001"))
	require.Equal(t, "合同评审审批中", zh.Person("approval:contract_review.D-000001.1"))
	require.NotContains(t, en.Person("role:sales_manager"), "sales_manager")
}
