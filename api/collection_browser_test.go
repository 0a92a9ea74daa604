package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCollectionInTheBrowser: wu, the payment owner, sees on My work an
// instalment 20 days overdue, opens the deal, is refused a promise beyond
// what is open (the message by the field), then records one; the ladder's
// steps show whom they told. Finance sees the ageing and the dunning queue.
func TestCollectionInTheBrowser(t *testing.T) {
	s := setup(t)
	id := s.collectionDeal("Browser Overdue")
	overdueAdvance(t, id, 20)
	ageingKnown(t, s) // the ERP's open items; the run below refreshes finance's totals
	r := s.do("POST", "/api/v1/collection/dunning/run", "tok-sun", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	setPassword(t, s, "wu", "wu's long passphrase")
	setPassword(t, s, "sun", "sun's long passphrase")

	wu := pagesOpenTab(t, s, "wu", "zh-CN,zh;q=0.9")
	wu.login("wu", "wu's long passphrase")
	wu.visit("/")
	mine := wu.textOf("#h-instalments")
	require.Contains(t, mine, "我负责的待回款")
	require.Contains(t, wu.textOf(`section[aria-labelledby="h-instalments"]`), "逾期 20 天")
	wu.requireTranslated("My work with instalments")
	wu.shot("collection-my-work")

	wu.visit("/deals/" + id)
	plan := wu.textOf(`section[aria-labelledby="h-collection"]`)
	require.Contains(t, plan, "第 1 期")
	require.Contains(t, plan, "已逾期")
	require.Contains(t, plan, "¥30,000.00")
	require.Contains(t, plan, "通知负责人的经理", "the ladder reached the manager's step")
	wu.requireTranslated("the deal's plan")

	wu.fill(`#f-promised_on-promise`, future(4))
	wu.fill(`#f-amount-promise`, "40000")
	wu.submit(`#promise-form button[type="submit"]`)
	require.Contains(t, wu.textOf(`#f-amount-promise-error`), "40000.00")
	require.Empty(t, s.collectionPlan(id, "wu")["promises"])
	wu.fill(`#f-amount-promise`, "30000")
	wu.fill(`#f-note-promise`, "财务总监电话确认")
	wu.submit(`#promise-form button[type="submit"]`)
	require.Contains(t, wu.location(), "done=promise")
	require.Contains(t, wu.text(), "已记录付款承诺")
	require.Contains(t, wu.textOf(`section[aria-labelledby="h-collection"]`), "财务总监电话确认")
	require.Len(t, s.collectionPlan(id, "wu")["promises"], 1)
	wu.shot("collection-deal-plan")

	sun := pagesOpenTab(t, s, "sun", "en-US,en;q=0.9")
	sun.login("sun", "sun's long passphrase")
	sun.visit("/collection/ageing?by=owner")
	require.Contains(t, sun.text(), "Receivables ageing")
	require.Contains(t, sun.text(), "Over 90 days")
	require.Contains(t, sun.text(), "Age Rep", "owners by name")
	sun.requireTranslated("the ageing")
	sun.shot("collection-ageing")
	sun.visit("/collection/dunning")
	require.Contains(t, sun.text(), "Browser Overdue")
	require.Contains(t, sun.text(), "20 days overdue")
	sun.requireTranslated("the dunning queue")
	sun.shot("collection-dunning")
}
