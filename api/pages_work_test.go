package api_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// section is the text of the section of a page headed h-<id>, or "".
func section(body, id string) string {
	m := regexp.MustCompile(`(?s)<section aria-labelledby="h-` + id + `">.*?</section>`).FindString(body)
	return m
}

// TestPagesMyWorkPerRole: My work shows each person their part. A contract
// of 880,000.00 approved by li is a big deal signed recently for li (a sales
// manager over wang) and for the admin, not for he (a sales manager who does
// not see wang's deals) nor for wang (a rep). Zhou, its delivery owner, sees
// the order due in three days; once shipped, wu, its payment owner, sees the
// invoice past due with what is still open after a part payment.
func TestPagesMyWorkPerRole(t *testing.T) {
	s := setup(t)
	dealID := pagesDealAtOrder(t, s, "大单 My work")

	for user, sees := range map[string]bool{"li": true, "admin": true, "he": false, "wang": false} {
		p := pagesSession(t, s, user).do("GET", "/", "", "")
		require.Equal(t, http.StatusOK, p.status, user)
		big := section(p.body, "big-deals")
		if user == "wang" {
			require.Empty(t, big, "a rep's My work has no big deals")
			continue
		}
		require.NotEmpty(t, big, "%s is management", user)
		require.Equal(t, sees, strings.Contains(big, dealID), "%s sees the big deal: %v", user, sees)
		if sees {
			require.Contains(t, big, "¥880,000.00")
			require.Contains(t, big, "Wang", "the sales owner by name")
		}
	}

	s.act(dealID, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	s.act(dealID, "wang", 200, `{"action":"place_order","kind":"stock","delivery_due":"`+future(3)+`"}`)
	zhou := pagesSession(t, s, "zhou")
	due := section(zhou.do("GET", "/", "", "").body, "deliveries")
	require.Contains(t, due, dealID, "the delivery owner sees the order due")
	require.Contains(t, due, future(3))
	require.Empty(t, section(pagesSession(t, s, "wu").do("GET", "/", "", "").body, "deliveries"), "not wu's to deliver")

	s.act(dealID, "zhou", 200, `{"action":"record_shipment","shipment_no":"S-1","shipped_on":"`+today()+`","final":true}`)
	require.NotContains(t, section(zhou.do("GET", "/", "", "").body, "deliveries"), dealID, "shipped: no longer due")
	s.act(dealID, "sun", 200, `{"action":"record_invoice","invoice_no":"INV-W1","amount":"879900","issued_on":"`+future(-40)+`","due_on":"`+future(-10)+`"}`)
	s.act(dealID, "sun", 200, `{"action":"record_invoice","invoice_no":"INV-W2","amount":"100","issued_on":"`+today()+`","due_on":"`+future(20)+`"}`)
	s.act(dealID, "wu", 200, `{"action":"record_payment","payment_ref":"BANK-W1","amount":"80000","received_on":"`+today()+`"}`)
	wu := section(pagesSession(t, s, "wu").do("GET", "/", "", "").body, "invoices")
	require.Contains(t, wu, "INV-W1", "past due and not paid")
	require.Contains(t, wu, "¥799,900.00", "what the payment left open")
	require.NotContains(t, wu, "INV-W2", "not due yet")
	require.Empty(t, section(zhou.do("GET", "/", "", "").body, "invoices"), "not zhou's to collect")
}

// pagesCSRF is the CSRF token of the forms on a page.
func pagesCSRF(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, m, "the page has a form")
	return m[1]
}

// pagesAct posts the deal page's form of action as b, with fields.
func pagesAct(t *testing.T, b *browser, dealID, action string, fields map[string]string) page {
	t.Helper()
	v := url.Values{"csrf_token": {pagesCSRF(t, b.do("GET", "/deals/"+dealID, "", "").body)}, "action": {action}}
	for k, x := range fields {
		v.Set(k, x)
	}
	return b.form("/deals/"+dealID+"/act", v)
}

// TestPagesDealFormsForWhoMay takes a deal from the order to closed on its
// page. Each form shows only to who may take the action (the registry's
// rules and the segregation of duties); a form posted anyway by someone
// else is refused as the API refuses it and changes nothing; a bad field is
// refused with the API's message next to it; then order, shipment, invoice
// and payment go through, each by its own person, and the deal is closed.
func TestPagesDealFormsForWhoMay(t *testing.T) {
	s := setup(t)
	dealID := pagesDealAtOrder(t, s, "表单 who may")
	wang, zhou, sun, wu := pagesSession(t, s, "wang"), pagesSession(t, s, "zhou"), pagesSession(t, s, "sun"), pagesSession(t, s, "wu")
	forms := func(b *browser) []string {
		p := b.do("GET", "/deals/"+dealID, "", "")
		require.Equal(t, http.StatusOK, p.status, p.body)
		var out []string
		for _, m := range regexp.MustCompile(`<form [^>]*id="act-([a-z_]+)"`).FindAllStringSubmatch(p.body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	require.Equal(t, []string{"assign_owners", "place_order"}, forms(wang))
	require.Empty(t, forms(zhou), "the delivery team does not place orders")

	// Posted anyway: refused as the API refuses it, and nothing changed.
	before := s.dealSnapshot(dealID)
	p := pagesAct(t, zhou, dealID, "place_order", map[string]string{"kind": "stock", "delivery_due": future(14)})
	require.Equal(t, http.StatusForbidden, p.status, p.body)
	require.Contains(t, p.body, "只有销售负责人（wang）、销售内勤或销售经理可以操作", "the API's refusal, in Chinese")
	require.Equal(t, before, s.dealSnapshot(dealID))
	// A delivery date in the past: the API's message next to the field.
	p = pagesAct(t, wang, dealID, "place_order", map[string]string{"kind": "stock", "delivery_due": "2020-01-01"})
	require.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	require.Regexp(t, `id="f-place_order-delivery_due-error">[^<]+<`, p.body)
	require.Contains(t, p.body, `value="2020-01-01"`, "what was typed is kept")
	require.Equal(t, before, s.dealSnapshot(dealID))

	p = pagesAct(t, wang, dealID, "assign_owners", map[string]string{"delivery_owner": "zhou", "payment_owner": "wu"})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	p = pagesAct(t, wang, dealID, "place_order", map[string]string{"kind": "stock", "delivery_due": future(14)})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, "delivery", s.get(dealID)["stage"])
	// This deal's customer is not in the ERP simulator, which refuses its
	// order a moment later. Wait for that answer: landing between a snapshot
	// and its check below, it would read as a refused action's change.
	s.waitOrder(dealID, erpStatusIs("refused"))
	require.Equal(t, []string{"assign_owners", "resend_order"}, forms(wang), "who sells does not ship, and may re-send the refused order")
	require.Equal(t, []string{"record_shipment"}, forms(zhou))

	before = s.dealSnapshot(dealID)
	p = pagesAct(t, wang, dealID, "record_shipment", map[string]string{"shipment_no": "S-P1", "shipped_on": today(), "final": "true"})
	require.Equal(t, http.StatusForbidden, p.status, p.body)
	require.Equal(t, before, s.dealSnapshot(dealID), "a refused shipment changed nothing")
	p = pagesAct(t, zhou, dealID, "record_shipment", map[string]string{"shipment_no": "S-P1", "shipped_on": today(), "final": "true"})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, "payment_collection", s.get(dealID)["stage"])

	require.Contains(t, forms(sun), "record_invoice")
	require.NotContains(t, forms(wang), "record_invoice")
	p = pagesAct(t, sun, dealID, "record_invoice", map[string]string{"invoice_no": "INV-P1", "amount": "880000", "issued_on": today(), "due_on": future(30)})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Contains(t, forms(wu), "record_payment")
	p = pagesAct(t, wu, dealID, "record_payment", map[string]string{"payment_ref": "BANK-P1", "amount": "880000", "received_on": today()})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, "closed", s.get(dealID)["stage"])
	require.Empty(t, forms(wang), "a closed deal takes no action")
	done := wu.do("GET", "/deals/"+dealID+"?done=record_payment", "", "")
	require.Contains(t, done.body, "回款已记录。")
}

// TestPagesStuckChartIsItsOwnPicture: the stuck board points at its chart,
// a picture the board does not wait for, shown to the board's viewers only,
// in working hours in both languages.
func TestPagesStuckChartIsItsOwnPicture(t *testing.T) {
	s := setup(t)
	pagesDeal(t, s, "Chart")
	li := pagesSession(t, s, "li")
	board := li.do("GET", "/approvals/stuck?kind=contract_review", "", "")
	require.Equal(t, http.StatusOK, board.status)
	require.Contains(t, board.body, `<img src="/approvals/stuck/chart.svg?kind=contract_review"`)
	chart := li.do("GET", "/approvals/stuck/chart.svg?kind=contract_review", "", "")
	require.Equal(t, http.StatusOK, chart.status, chart.body)
	require.Equal(t, "image/svg+xml; charset=utf-8", chart.header.Get("Content-Type"))
	require.Contains(t, chart.body, `<svg xmlns="http://www.w3.org/2000/svg"`)
	require.Contains(t, chart.body, "合同评审 · 销售经理审批", "each stage by its business name")
	require.Contains(t, chart.body, "工作小时", "the figures are working hours")
	li.cookies["__Host-l2c_lang"] = "en"
	en := li.do("GET", "/approvals/stuck/chart.svg?kind=contract_review", "", "")
	require.Equal(t, http.StatusOK, en.status, en.body)
	require.Contains(t, en.body, "Working hours from entry to decision", "in English too")
	refused := pagesSession(t, s, "liu").do("GET", "/approvals/stuck/chart.svg", "", "")
	require.Equal(t, http.StatusForbidden, refused.status, "a rep sees neither the board nor its chart")
	require.NotContains(t, refused.body, "<svg")
}

// pagesDelegate hands b's step of case caseID over to to from the case's
// page, with the note 出差.
func pagesDelegate(t *testing.T, b *browser, caseID, to string) page {
	t.Helper()
	v := url.Values{"csrf_token": {pagesCSRF(t, b.do("GET", "/approvals/"+caseID, "", "").body)}, "to": {to}, "note": {"出差"}}
	return b.form("/approvals/"+caseID+"/delegate", v)
}

// pagesRefusedDelegation is a hand-over of who's step to to that is refused
// with code and a page saying msg.
type pagesRefusedDelegation struct {
	who  *browser
	to   string
	code int
	msg  string
}

// pagesDelegations tries each refused hand-over of case caseID, which must
// leave the case as it was, then hands by's step over to to: holder (to,
// resolved) then holds the step.
func pagesDelegations(t *testing.T, s *stack, caseID string, refused []pagesRefusedDelegation, by *browser, to, holder string) {
	t.Helper()
	before := s.storedCase(caseID)
	for _, try := range refused {
		p := pagesDelegate(t, try.who, caseID, try.to)
		require.Equal(t, try.code, p.status, "to %s: %s", try.to, p.body)
		require.Contains(t, p.body, try.msg, "to %s", try.to)
		require.Equal(t, before, s.storedCase(caseID), "a refused hand-over to %q changed nothing", try.to)
	}
	p := pagesDelegate(t, by, caseID, to)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Eventually(t, func() bool { return s.holdsStep(caseID, holder) }, 10*time.Second, 50*time.Millisecond,
		"%s holds the step now", holder)
}

// TestPagesDelegateFromTheCase: li hands her step of wang's contract review
// to a colleague from the case's page. Only a holder sees the form; a
// requester posting it anyway, a colleague already holding the stage and a
// user who does not exist are refused with the API's message (in Chinese,
// next to the field) and the case is unchanged; then the hand-over goes
// through and the step is the colleague's.
func TestPagesDelegateFromTheCase(t *testing.T) {
	s := setup(t)
	_, caseID := pagesDeal(t, s, "转交 delegate")
	li, wang := pagesSession(t, s, "li"), pagesSession(t, s, "wang")
	own := li.do("GET", "/approvals/"+caseID, "", "")
	require.Contains(t, own.body, `action="/approvals/`+caseID+`/delegate"`)
	require.NotContains(t, wang.do("GET", "/approvals/"+caseID, "", "").body, "/delegate", "the requester holds no step")

	pagesDelegations(t, s, caseID, []pagesRefusedDelegation{
		{wang, "zhao", http.StatusForbidden, "wang 没有可委托的待办审批"},
		{li, "he", http.StatusUnprocessableEntity, "he 在本环节已有审批步骤"},
		{li, "nobody", http.StatusUnprocessableEntity, "没有用户“nobody”"},
		{li, "li", http.StatusUnprocessableEntity, "不能委托给自己"},
	}, li, "zhao", "zhao")
}

// TestPagesWalkthroughAfterTheContract is the README's walkthrough after
// li's approval, in the browser, each person logged in through the form:
// wang names the owners and places the order on the deal's page; zhou sees
// the delivery due on his My work and records the shipment; sun records the
// invoice, wu the payment; the deal is closed.
func TestPagesWalkthroughAfterTheContract(t *testing.T) {
	s := setup(t)
	dealID := pagesDealAtOrder(t, s, "走查 walkthrough")
	tab := func(user string) *pagesTab {
		pw := user + "'s long passphrase"
		setPassword(t, s, user, pw)
		b := pagesOpenTab(t, s, user, "zh-CN,zh;q=0.9")
		b.login(user, pw)
		return b
	}
	wang := tab("wang")
	wang.visit("/deals/" + dealID)
	wang.fill("#f-assign_owners-delivery_owner", "zhou")
	wang.fill("#f-assign_owners-payment_owner", "wu")
	wang.submit("#act-assign_owners button")
	require.Contains(t, wang.text(), "负责人已指定。")
	wang.fill("#f-place_order-delivery_due", future(14))
	wang.submit("#act-place_order button")
	require.Equal(t, "交付", wang.textOf("dd.stage"))
	wang.requireTranslated("the ordered deal (zh)")

	zhou := tab("zhou")
	require.Contains(t, zhou.textOf("#h-deliveries ~ table"), dealID, "zhou's My work: the delivery due")
	zhou.requireTranslated("zhou's My work (zh)")
	zhou.visit("/deals/" + dealID)
	zhou.fill("#f-record_shipment-shipment_no", "S-1")
	zhou.fill("#f-record_shipment-shipped_on", today())
	zhou.run(chromedp.Click(chromedp.CSS("#f-record_shipment-final")))
	zhou.submit("#act-record_shipment button")
	require.Equal(t, "回款", zhou.textOf("dd.stage"))

	sun := tab("sun")
	sun.visit("/deals/" + dealID)
	sun.fill("#f-record_invoice-invoice_no", "INV-1")
	sun.fill("#f-record_invoice-amount", "880000")
	sun.fill("#f-record_invoice-issued_on", today())
	sun.fill("#f-record_invoice-due_on", future(30))
	sun.submit("#act-record_invoice button")
	require.Contains(t, sun.text(), "发票已记录。")

	wu := tab("wu")
	wu.visit("/deals/" + dealID)
	wu.fill("#f-record_payment-payment_ref", "BANK-1")
	wu.fill("#f-record_payment-amount", "880000")
	wu.fill("#f-record_payment-received_on", today())
	wu.submit("#act-record_payment button")
	require.Equal(t, "已完成", wu.textOf("dd.stage"))
	wu.requireTranslated("the closed deal (zh)")
	wu.shot("deal-closed-zh")
}
