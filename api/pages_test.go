package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/i18n"
)

// pagesDeal opens a deal of wang's on a customer whose standard payment
// terms are NT90 and takes it to contract review with an amount of
// 880,000.00 on those terms: one stage, the sales managers (li, he).
func pagesDeal(t *testing.T, s *stack, title string) (dealID, caseID string) {
	t.Helper()
	code := pagesCustomer(t, s)
	dealID = s.open(`{"title":"` + title + `","customer":{"code":"` + code + `","name":"苏州精密机械"},"expected_amount":"900000"}`)
	s.act(dealID, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"CNC-5","quantity":2,"unit_price":"440000"}],"valid_until":"`+future(30)+`"}`)
	s.act(dealID, "wang", 200, `{"action":"accept_quote"}`)
	r := s.act(dealID, "wang", 200, `{"action":"submit_contract","contract_no":"HT-PG-1","amount":"880000","payment_terms":"NT90","template_id":"TPL-STD"}`)
	caseID = r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	return dealID, caseID
}

// pagesDealAtOrder is a pagesDeal whose contract li has approved, in the
// order stage.
func pagesDealAtOrder(t *testing.T, s *stack, title string) string {
	t.Helper()
	dealID, caseID := pagesDeal(t, s, title)
	s.decide(caseID, "li", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(dealID)["stage"] == "order" }, 15*time.Second, 20*time.Millisecond)
	return dealID
}

// pagesDealCustomer is the code of the customer of deal dealID, as stored.
func pagesDealCustomer(t *testing.T, s *stack, dealID string) string {
	t.Helper()
	dl, err := s.db.DealGet(context.Background(), dealID)
	require.NoError(t, err)
	return dl.Customer.Code
}

// storedCase is approval case caseID as the database holds it.
func (s *stack) storedCase(caseID string) approval.Case {
	s.t.Helper()
	c, err := s.db.CaseGet(context.Background(), caseID)
	require.NoError(s.t, err, caseID)
	return c
}

// holdsStep is whether who holds an open step of approval case caseID.
func (s *stack) holdsStep(caseID, who string) bool {
	s.t.Helper()
	c := s.storedCase(caseID)
	for _, st := range c.Pending() {
		if st.Approver == who {
			return true
		}
	}
	return false
}

// pagesCard is the inbox card of a case (its ID holds dots, so by attribute).
func pagesCard(caseID string) string { return `article[aria-labelledby="case-` + caseID + `"]` }

// pagesCustomer is a customer of wang's whose standard payment terms are
// NT90 and whose approved minimum discount is 90 %.
func pagesCustomer(t *testing.T, s *stack) string {
	t.Helper()
	code := fmt.Sprintf("PG-%d", time.Now().UnixNano()%1e9)
	minimum := int64(9000)
	_, err := s.db.CustomersUpsert(context.Background(), []database.Customer{{Code: code, Name: "苏州精密机械", SalesOwner: "wang",
		PaymentTerms: "NT90", MinDiscountBP: &minimum, Source: "manual"}}, nil)
	require.NoError(t, err)
	return code
}

// TestPagesContractReviewEndToEnd: wang's contract review, in the browser.
// Wang opens the deal from My work's "New deal" (a deal without a title is
// refused next to the field, and none is opened), quotes, has the quote
// accepted and submits the contract on the deal's page, and sees that it
// waits for Li, on the deal and on My work, with the step's business name
// and working hours; li sees the amount and the payment terms against the
// customer's standard in the inbox, is refused a rejection without a reason
// (the API's message next to the field, nothing changed), approves, and wang
// sees the deal moved to the order.
func TestPagesContractReviewEndToEnd(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "wang", "wang's long passphrase")
	setPassword(t, s, "li", "li's long passphrase")
	code := pagesCustomer(t, s)

	wang := pagesOpenTab(t, s, "wang", "zh-CN,zh;q=0.9")
	wang.login("wang", "wang's long passphrase")
	require.Equal(t, "/", wang.location(), "My work is the page after logging in")
	wang.submit(`.page-actions a[href="/deals/new"]`)
	require.Equal(t, "/deals/new", wang.location())
	wang.requireTranslated("the new deal (zh)")
	wang.fill(`#nd-q`, "苏州精密")
	wang.submit(`form[role="search"] button[type="submit"]`)
	wang.run(chromedp.SetValue(chromedp.CSS(`#nd-customer`), code))
	wang.fill(`#nd-title`, "数控机床 CNC-5")
	wang.fill(`#nd-amount`, "90万")
	var dealsBefore, dealsAfter int64
	require.NoError(t, s.db.CountRows(context.Background(), "deals", &dealsBefore))
	wang.submit(`form.newdeal button[type="submit"]`)
	require.NotEmpty(t, wang.textOf(`#nd-amount-error`), "not an amount: the API's refusal next to the field")
	invalid, err := chromedp.Run(wang.ctx, chromedp.AttributeValue(chromedp.CSS(`#nd-amount`), "aria-invalid"))
	require.NoError(t, err)
	require.Equal(t, "true", invalid.Value)
	wang.shot("new-deal-refused-zh")
	require.NoError(t, s.db.CountRows(context.Background(), "deals", &dealsAfter))
	require.Equal(t, dealsBefore, dealsAfter, "a refused opening opens nothing")
	require.Equal(t, "数控机床 CNC-5", wang.valueOf(`#nd-title`), "what was typed stays")
	wang.fill(`#nd-amount`, "900000")
	wang.submit(`form.newdeal button[type="submit"]`)
	loc := wang.location()
	require.Regexp(t, `^/deals/D-\d+\?done=open$`, loc, wang.text())
	dealID := strings.TrimSuffix(strings.TrimPrefix(loc, "/deals/"), "?done=open")
	require.Contains(t, wang.text(), "商机已新建。")
	require.Contains(t, wang.text(), "¥900,000.00")

	wang.fill(`#f-submit_quote-sku`, "CNC-5")
	wang.fill(`#f-submit_quote-quantity`, "2")
	wang.fill(`#f-submit_quote-unit_price`, "440000")
	wang.fill(`#f-submit_quote-valid_until`, future(30))
	wang.submit(`#act-submit_quote button[type="submit"]`)
	require.Contains(t, wang.text(), "报价已提交。", wang.text())
	wang.submit(`#act-accept_quote button[type="submit"]`)
	wang.fill(`#f-submit_contract-contract_no`, "HT-PG-1")
	wang.fill(`#f-submit_contract-amount`, "880000")
	wang.fill(`#f-submit_contract-payment_terms`, "NT90")
	wang.fill(`#f-submit_contract-template_id`, "TPL-STD")
	wang.submit(`#act-submit_contract button[type="submit"]`)
	require.Contains(t, wang.text(), "合同已提交评审。", wang.text())
	d := s.get(dealID)
	require.Equal(t, "contract_review", d["stage"])
	caseID := d["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)

	wang.until("/deals/"+dealID, "p.waiting", 15*time.Second, func(s string) bool { return strings.Contains(s, "Li") })
	waiting := wang.textOf("p.waiting")
	require.Contains(t, waiting, "当前等待：")
	require.Contains(t, waiting, "Li")
	require.Contains(t, waiting, "（销售经理审批）")
	require.Contains(t, waiting, "工作小时")
	require.Contains(t, waiting, "截止")
	require.Contains(t, wang.text(), "合同评审")
	require.Contains(t, wang.text(), "¥880,000.00")
	wang.requireTranslated("the deal (zh)")

	wang.visit("/")
	row, err := chromedp.Run(wang.ctx, chromedp.Text(chromedp.JSPath(
		`[...document.querySelectorAll("#h-requests ~ table tbody tr")].find(tr => tr.querySelector('a[href="/deals/`+dealID+`"]'))`)))
	require.NoError(t, err)
	require.Contains(t, row, "Li", "My work says who holds the review")
	require.Contains(t, row, "销售经理审批")
	require.Contains(t, row, "工作小时")
	require.Contains(t, row, "未升级")
	wang.requireTranslated("My work (zh)")

	li := pagesOpenTab(t, s, "li", "zh-CN,zh;q=0.9")
	li.login("li", "li's long passphrase")
	li.visit("/inbox")
	card := li.textOf(pagesCard(caseID))
	require.Contains(t, card, "合同评审")
	require.Contains(t, card, "¥880,000.00", "the amount, as money")
	require.Contains(t, card, "NT90", "the payment terms")
	require.Contains(t, card, "客户标准：NT90", "held against the customer's standard terms")
	require.Contains(t, card, "苏州精密机械")
	li.requireTranslated("the inbox (zh)")
	li.shot("inbox-zh")

	// Rejecting needs a reason: refused with the API's message next to the
	// field, and nothing changed.
	before := s.storedCase(caseID)
	li.submit(pagesCard(caseID) + ` button.reject`)
	msg := li.textOf(`[id="note-` + caseID + `-error"]`)
	require.Contains(t, msg, "驳回须填写意见", "the workflow's own message, in Chinese, next to the note")
	invalid, err = chromedp.Run(li.ctx, chromedp.AttributeValue(chromedp.CSS(`[id="note-`+caseID+`"]`), "aria-invalid"))
	require.NoError(t, err)
	require.Equal(t, "true", invalid.Value)
	require.Equal(t, before, s.storedCase(caseID), "a refused rejection changed nothing")

	li.fill(`[id="note-`+caseID+`"]`, "条款符合客户标准")
	li.submit(pagesCard(caseID) + ` button.approve`)
	require.Contains(t, li.text(), "已同意：合同评审 "+strings.TrimPrefix(caseID, "contract_review."))
	// Its card is gone (another test's review of the same amount may stay).
	require.NotContains(t, li.text(), "轮 · "+dealID, "the decided review left the inbox")

	// Wang sees the deal moved (the case tells the deal moments later).
	wang.until("/deals/"+dealID, "dd.stage", 15*time.Second, func(s string) bool { return s == "订单" })
	text := wang.text()
	require.Contains(t, text, "销售经理审批：同意")
	require.Contains(t, text, "条款符合客户标准", "the approver's comment is on the timeline")
	require.Contains(t, text, "合同评审 → 订单")
	wang.requireTranslated("the moved deal (zh)")
	wang.shot("deal-zh")

	// The same in English, chosen with the switch, which sticks.
	wang.submit(`.langs a[lang="en"]`)
	require.Contains(t, wang.text(), "Sales manager approval: approved")
	wang.visit("/deals/" + dealID)
	text = wang.text()
	require.Contains(t, text, "Contract review → Order")
	require.Contains(t, text, "¥880,000.00")
	wang.requireTranslated("the moved deal (en)")
	wang.shot("deal-en")
}

// TestPagesEveryPageInBothLanguages renders every page in Chinese and in
// English and fails on a raw key in the visible text (contract_review,
// sales_manager, a catalogue ID): the catalogue covers every name the
// pages show.
func TestPagesEveryPageInBothLanguages(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "li", "li's long passphrase")
	dealID, caseID := pagesDeal(t, s, "Every page")
	for _, lang := range []string{"zh-CN", "en-US"} {
		t.Run(lang, func(t *testing.T) {
			b := pagesOpenTab(t, s, "li", lang)
			b.visit("/login")
			b.requireTranslated("/login")
			b.login("li", "li's long passphrase")
			for _, path := range []string{"/", "/deals", "/deals?stage=contract_review", "/deals/" + dealID, "/inbox",
				"/approvals/" + caseID, "/approvals/stuck", "/approvals/stuck?min_age_hours=x", "/deals/D-999999", "/deals/new",
				"/deals/new?q=nothing-like-it",
				"/collection/ageing", "/collection/ageing?by=owner", "/collection/ageing?by=region&as_of=x", "/collection/forecast",
				"/collection/deliveries", "/collection/big-deals", "/collection/dunning"} {
				b.visit(path)
				b.requireTranslated(path)
				if path == "/approvals/stuck" || path == "/deals/new" {
					b.shot(strings.Trim(strings.ReplaceAll(path, "/", "-"), "-"))
				}
			}
			// At a phone's width the inbox, the board and the new-deal
			// form are still one readable column.
			b.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
			for _, path := range []string{"/inbox", "/approvals/stuck", "/deals/new"} {
				b.visit(path)
				b.requireTranslated(path + " at a phone's width")
				b.shot(strings.Trim(strings.ReplaceAll(path, "/", "-"), "-") + "-phone")
			}
		})
	}
	pagesEveryWorkspacePage(t, s, dealID)
	// Every approval stage in the routing rules as seeded has its business name.
	for _, kind := range approval.Kinds {
		rs, err := s.db.ApprovalRulesLatest(context.Background(), kind)
		require.NoError(t, err)
		for _, st := range rs.Stages {
			require.True(t, i18n.Has("step."+st.Name), "stage %s of %s has no business name", st.Name, kind)
		}
	}
}

// TestPagesShowOnlyWhatTheAPIShows: a page of a deal or a case the API
// answers 404 for is a 404 page that tells nothing; the stuck board is
// refused to a rep as the stuck report is.
func TestPagesShowOnlyWhatTheAPIShows(t *testing.T) {
	s := setup(t)
	dealID, caseID := pagesDeal(t, s, "NotForLiu")
	b := pagesSession(t, s, "liu")
	for _, path := range []string{"/deals/" + dealID, "/approvals/" + caseID} {
		p := b.do("GET", path, "", "")
		require.Equal(t, http.StatusNotFound, p.status, path)
		require.NotContains(t, p.body, "苏州精密机械", path)
		require.NotContains(t, p.body, "880,000", path)
	}
	for _, path := range []string{"/deals", "/deals?stage=contract_review", "/"} {
		p := b.do("GET", path, "", "")
		require.Equal(t, http.StatusOK, p.status, path)
		require.NotContains(t, p.body, "NotForLiu", "%s lists only what liu may see", path)
	}
	stuck := b.do("GET", "/approvals/stuck", "", "")
	require.Equal(t, http.StatusForbidden, stuck.status)
	require.Contains(t, stuck.body, "the stuck report is for managers, finance and admins", "the API's message")
}

// TestPagesDealActionsRefusedLikeTheAPI: wang quotes and submits the
// contract from the deal's page. A quote valid until a past date is refused
// with the API's message next to that field and changes nothing; fixed, it
// goes through, and the submitted contract waits for Li.
func TestPagesDealActionsRefusedLikeTheAPI(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "wang", "wang's long passphrase")
	code := fmt.Sprintf("PG-%d", time.Now().UnixNano()%1e9)
	_, err := s.db.CustomersUpsert(context.Background(), []database.Customer{{Code: code, Name: "宁波汽配", SalesOwner: "wang",
		PaymentTerms: "NT60", Source: "manual"}}, nil)
	require.NoError(t, err)
	id := s.open(`{"title":"冲压线","customer":{"code":"` + code + `","name":"宁波汽配"},"expected_amount":"500000"}`)
	before := s.get(id)

	b := pagesOpenTab(t, s, "wang", "zh-CN")
	b.login("wang", "wang's long passphrase")
	b.visit("/deals/" + id)
	b.fill("#f-submit_quote-sku", "PRESS-9")
	b.fill("#f-submit_quote-quantity", "1")
	b.fill("#f-submit_quote-unit_price", "500000")
	b.fill("#f-submit_quote-valid_until", "2020-01-01")
	b.submit("#act-submit_quote button")
	msg := b.textOf("#f-submit_quote-valid_until-error")
	require.NotEmpty(t, msg, "the API's message is next to the date")
	api := s.do("POST", "/api/v1/deals/"+id+"/actions", "tok-wang",
		`{"action":"submit_quote","lines":[{"sku":"PRESS-9","quantity":1,"unit_price":"500000"}],"valid_until":"2020-01-01"}`)
	require.Equal(t, 422, api.status, api.raw)
	apiMsg := api.body["errors"].([]any)[0].(map[string]any)["message"].(string)
	require.Equal(t, i18n.Printer{Lang: i18n.Chinese}.Refusal(apiMsg), msg, "the page says what the API says, in Chinese")
	require.Contains(t, msg, "2020-01-01")
	require.Equal(t, before, s.get(id), "the refused quote changed nothing")
	value, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#f-submit_quote-sku")))
	require.NoError(t, err)
	require.Equal(t, "PRESS-9", value, "what was typed is kept")
	b.requireTranslated("a refused quote (zh)")

	b.fill("#f-submit_quote-valid_until", future(30))
	b.submit("#act-submit_quote button")
	require.Contains(t, b.text(), "报价已提交。")
	require.Equal(t, "报价", b.textOf("dd.stage"))
	b.submit("#act-accept_quote button")
	require.Equal(t, "合同评审", b.textOf("dd.stage"))
	b.fill("#f-submit_contract-contract_no", "HT-PG-2")
	b.fill("#f-submit_contract-amount", "500000")
	b.fill("#f-submit_contract-payment_terms", "NT60")
	b.fill("#f-submit_contract-template_id", "TPL-STD")
	b.submit("#act-submit_contract button")
	require.Contains(t, b.text(), "合同已提交评审。")
	waiting := b.textOf("p.waiting")
	require.Contains(t, waiting, "Li")
	require.Contains(t, waiting, "销售经理审批")
	b.requireTranslated("the submitted contract (zh)")
	b.shot("deal-actions-zh")

	// On the case's page wang comments; an empty comment is refused with the
	// workflow's message next to the field, and adds nothing.
	b.submit(`p.waiting a[href^="/approvals/"]`)
	b.submit("form.comment button")
	require.Equal(t, "必填", b.textOf("#comment-text-error"), "the workflow's \"is required\", in Chinese")
	caseID := strings.TrimPrefix(b.location(), "/approvals/")
	caseID = strings.TrimSuffix(caseID, "/comment")
	require.Empty(t, s.storedCase(caseID).Comments)
	b.fill("#comment-text", "客户要求月底前签约")
	b.submit("form.comment button")
	require.Contains(t, b.text(), "留言已发送。")
	require.Contains(t, b.textOf("#h-comments ~ ul"), "客户要求月底前签约")
	b.requireTranslated("the case page (zh)")
	b.shot("case-zh")

	// My work in English says the same: who holds it, the step, working hours.
	b.visit("/lang?to=en&next=/")
	row, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.JSPath(
		`[...document.querySelectorAll("#h-requests ~ table tbody tr")].find(tr => tr.querySelector('a[href="/deals/`+id+`"]'))`)))
	require.NoError(t, err)
	require.Contains(t, row, "Li")
	require.Contains(t, row, "Sales manager approval")
	require.Contains(t, row, "working hours")
	require.Contains(t, row, "not escalated")
	b.requireTranslated("My work (en)")
	b.shot("my-work-en")
}
