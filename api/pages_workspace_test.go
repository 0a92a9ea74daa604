package api_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/database"
)

// The customer, integration and administration pages: customers and their
// terms changes, the ERP sync, imports, routing rules, the calendar, users.

// pagesERPCustomer puts the simulator's customer code into l2c's customer
// master as the last sync would, owned by wang: its terms are the ERP's,
// so an approved change can be written back.
func pagesERPCustomer(t *testing.T, s *stack, code string) database.Customer {
	t.Helper()
	ctx := context.Background()
	erpNow, err := s.erp.Customer(ctx, code)
	require.NoError(t, err)
	c := database.Customer{Code: code, Name: erpNow.Name, PaymentTerms: erpNow.PaymentTerms,
		MinDiscountBP: erpNow.MinDiscountBP, CreditLimit: erpNow.CreditLimit, SalesOwner: "wang", Source: "erp", ERPETag: erpNow.ETag}
	_, err = s.db.CustomersUpsert(ctx, []database.Customer{c}, nil)
	require.NoError(t, err)
	return c
}

// TestPagesTermsChangeChenAndSunApprove: wang asks for new payment terms on
// his customer's page, which says before he sends it who will approve it
// (Chen, then Sun, and Li only for a large credit limit). A key the ERP
// would not take is refused with the API's message next to the field, what
// was typed is kept, and nothing is recorded. Sent, Chen and then Sun each
// see the terms before → after in their inbox and approve; wang's page then
// says the terms were written to the ERP.
func TestPagesTermsChangeChenAndSunApprove(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	for _, u := range []string{"wang", "chen", "sun"} {
		setPassword(t, s, u, u+"'s long passphrase")
	}
	c := pagesERPCustomer(t, s, "C1003")
	require.NotEqual(t, "NT45", c.PaymentTerms)

	wang := pagesOpenTab(t, s, "wang", "zh-CN,zh;q=0.9")
	wang.login("wang", "wang's long passphrase")
	wang.visit("/customers?q=" + url.QueryEscape("C1003"))
	wang.submit(`a[href="/customers/C1003"]`)
	require.Contains(t, wang.textOf("h1"), c.Name)
	route := wang.textOf("ol.route")
	require.Contains(t, route, "市场管理部审批：Chen", "who approves, before sending")
	require.Contains(t, route, "财务审批：Sun")
	require.Contains(t, route, "销售总监审批：Li")
	require.Contains(t, route, "新信用额度不低于 ¥5,000,000.00 时", "the director only for a large credit limit")
	require.NotContains(t, route, "Wang", "never the requester")
	wang.requireTranslated("the customer (zh)")
	wang.shot("customer-zh")

	// Refused as the API refuses it: the message next to the field, nothing recorded.
	before, err := s.db.TermsChangeList(ctx, "C1003")
	require.NoError(t, err)
	wang.fill("#f-payment_terms", "net 45")
	wang.fill("#f-reason", "客户年采购量翻倍")
	wang.submit("#terms-form button[type=submit]")
	msg := wang.textOf("#f-payment_terms-error")
	api := s.do("POST", "/api/v1/customers/C1003/terms-changes", "tok-wang", `{"payment_terms":"net 45","reason":"x"}`)
	require.Equal(t, 422, api.status, api.raw)
	require.Contains(t, api.raw, msg, "the page says what the API says")
	invalid, err := chromedp.Run(wang.ctx, chromedp.AttributeValue(chromedp.CSS("#f-payment_terms"), "aria-invalid"))
	require.NoError(t, err)
	require.Equal(t, "true", invalid.Value)
	value, err := chromedp.Run(wang.ctx, chromedp.Value(chromedp.CSS("#f-reason")))
	require.NoError(t, err)
	require.Equal(t, "客户年采购量翻倍", value, "what was typed is kept")
	after, err := s.db.TermsChangeList(ctx, "C1003")
	require.NoError(t, err)
	require.Equal(t, before, after, "the refused request recorded nothing")
	wang.requireTranslated("a refused terms change (zh)")
	wang.shot("terms-refused-zh")

	wang.fill("#f-payment_terms", "NT45")
	wang.submit("#terms-form button[type=submit]")
	require.Contains(t, wang.text(), "变更申请已提交审批。")
	require.Contains(t, wang.textOf("table.terms-changes tbody tr"), "审批中")
	changes, err := s.db.TermsChangeList(ctx, "C1003")
	require.NoError(t, err)
	caseID := changes[len(changes)-1].CaseID
	s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })

	// Chen, in Chinese, then Sun, in English: each sees before → after.
	for _, who := range []struct{ user, lang, kind string }{{"chen", "zh-CN", "客户条款变更"}, {"sun", "en-US", "Customer terms change"}} {
		b := pagesOpenTab(t, s, who.user, who.lang)
		b.login(who.user, who.user+"'s long passphrase")
		b.until("/inbox", pagesCard(caseID), 15*time.Second, func(string) bool { return true })
		line := b.textOf(pagesCard(caseID) + ` [data-field="payment_terms"] dd`)
		require.Equal(t, c.PaymentTerms+" → NT45", strings.TrimSpace(line), "%s sees the terms before → after", who.user)
		require.Contains(t, b.textOf(pagesCard(caseID)), who.kind)
		require.Contains(t, b.textOf(pagesCard(caseID)), c.Name)
		b.requireTranslated(who.user + "'s inbox")
		b.shot("inbox-" + who.user)
		b.submit(pagesCard(caseID) + ` button.approve`)
		require.NotContains(t, b.text(), "NT45", "the decided step left %s's inbox", who.user)
	}

	wang.until("/customers/C1003", "table.terms-changes tbody tr td.terms-status", 30*time.Second,
		func(s string) bool { return strings.HasPrefix(s, "已写入 ERP") })
	require.Contains(t, wang.textOf("section[aria-labelledby=h-terms]"), "NT45", "the customer's terms are the new ones")
	wang.requireTranslated("the written change (zh)")
}

// TestPagesSyncFailureShownToTheAdmin: with the ERP answering every request
// with an error, the administrator starts a run from the sync page and
// sees it failing: its attempts and the ERP's error, on the entity's line.
func TestPagesSyncFailureShownToTheAdmin(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "admin", "admin's long passphrase")
	s.sim.SetFaults(erpsim.Faults{ErrorRate: 1})
	t.Cleanup(func() { s.sim.SetFaults(erpsim.Faults{}) })

	b := pagesOpenTab(t, s, "admin", "en-US")
	b.login("admin", "admin's long passphrase")
	b.visit("/sync")
	b.requireTranslated("/sync (en)")
	b.submit("#sync-invoices form.run-now button")
	notice := b.textOf("p.notice")
	require.Contains(t, notice, "Started a run of Invoices")
	runID := notice[strings.LastIndex(notice, " ")+1:]
	require.True(t, strings.HasPrefix(runID, "sync/invoices/manual-"), notice)
	t.Cleanup(func() { _ = s.tc.TerminateWorkflow(context.Background(), runID, "", "test over") })

	b.until("/sync", "#sync-invoices .running", 60*time.Second, func(s string) bool {
		return strings.Contains(s, "failed attempts") && strings.Contains(s, "503")
	})
	running := b.textOf("#sync-invoices .running")
	require.Contains(t, running, runID)
	b.requireTranslated("a failing sync (en)")
	b.shot("sync-failing-en")

	// A second run of the entity is refused while this one goes, with the API's message.
	b.submit("#sync-invoices form.run-now button")
	require.Contains(t, b.textOf("#sync-invoices-error"), "is still going")
}

// pagesLogin is a browser logged in as user through /auth/login, and the
// session's CSRF token.
func pagesLogin(t *testing.T, s *stack, user, lang string) (*browser, string) {
	t.Helper()
	setPassword(t, s, user, user+"'s long passphrase")
	b := newBrowser(t, s.url)
	b.lang = lang
	return b, b.loginJSON(user, user+"'s long passphrase")
}

// TestPagesWorkspaceRefusesLikeTheAPI tries to get around the controls of
// the new pages, as the wrong person, without the CSRF token, and with bad
// input, and checks each was refused and changed nothing.
func TestPagesWorkspaceRefusesLikeTheAPI(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	code := fmt.Sprintf("PGR-%d", time.Now().UnixNano()%1e9)
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{{Code: code, Name: "常州轴承", SalesOwner: "wang",
		PaymentTerms: "NT30", Source: "manual"}}, nil)
	require.NoError(t, err)
	terms := func() []database.TermsChange {
		l, err := s.db.TermsChangeList(ctx, code)
		require.NoError(t, err)
		return l
	}
	changes := terms()

	// Liu does not see wang's customer: a 404 that tells nothing.
	liu, liuCSRF := pagesLogin(t, s, "liu", "en")
	p := liu.do("GET", "/customers/"+code, "", "")
	require.Equal(t, http.StatusNotFound, p.status)
	require.NotContains(t, p.body, "NT")
	require.NotContains(t, liu.do("GET", "/customers?q="+code, "", "").body, "常州轴承", "nor in the search")
	p = liu.form("/customers/"+code+"/terms", url.Values{"csrf_token": {liuCSRF}, "payment_terms": {"NT10"}, "reason": {"x"}})
	require.Equal(t, http.StatusNotFound, p.status)
	// Finance approves changes of terms; it does not ask for them.
	sun, sunCSRF := pagesLogin(t, s, "sun", "en")
	require.NotContains(t, sun.do("GET", "/customers/"+code, "", "").body, `id="terms-form"`, "no form for finance")
	p = sun.form("/customers/"+code+"/terms", url.Values{"csrf_token": {sunCSRF}, "payment_terms": {"NT10"}, "reason": {"x"}})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Contains(t, p.body, "changes of terms are asked for by the customer")
	// The owner without the session's token, or from another site.
	wang, wangCSRF := pagesLogin(t, s, "wang", "en")
	p = wang.form("/customers/"+code+"/terms", url.Values{"payment_terms": {"NT10"}, "reason": {"x"}})
	require.Equal(t, http.StatusForbidden, p.status)
	p = wang.form("/customers/"+code+"/terms", url.Values{"csrf_token": {wangCSRF}, "payment_terms": {"NT10"}, "reason": {"x"}},
		"Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, p.status)
	// Bad input, each next to its field.
	for _, bad := range []struct{ field, value, want string }{
		{"min_discount", "eighty", "want a percent"},
		{"min_discount", "0", "want basis points"},
		{"credit_limit", "lots", "want an amount"},
		{"credit_limit", "-5", "must not be negative"},
	} {
		p = wang.form("/customers/"+code+"/terms", url.Values{"csrf_token": {wangCSRF}, bad.field: {bad.value}, "reason": {"x"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.status, bad.field)
		require.Contains(t, p.body, `id="f-`+bad.field+`-error">`+bad.want, "%s=%s: %s", bad.field, bad.value, p.body)
	}
	p = wang.form("/customers/"+code+"/terms", url.Values{"csrf_token": {wangCSRF}, "reason": {"nothing"}, "payment_terms": {"NT30"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Contains(t, p.body, "nothing changes")
	require.Equal(t, changes, terms(), "no refused request recorded anything")
	// An admin is not the sales side either.
	admin, adminCSRF := pagesLogin(t, s, "admin", "en")
	p = admin.form("/customers/"+code+"/terms", url.Values{"csrf_token": {adminCSRF}, "payment_terms": {"NT10"}, "reason": {"x"}})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, changes, terms())
	// A good request goes through once; sent again (a retry, a second tab)
	// it is refused while the first is in review, with the API's message.
	p = wang.form("/customers/"+code+"/terms", url.Values{"csrf_token": {wangCSRF}, "payment_terms": {"NT10"}, "reason": {"x"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Len(t, terms(), len(changes)+1)
	p = wang.form("/customers/"+code+"/terms", url.Values{"csrf_token": {wangCSRF}, "payment_terms": {"NT10"}, "reason": {"x"}})
	require.Equal(t, http.StatusConflict, p.status)
	require.Contains(t, p.body, "is already in review")
	require.Len(t, terms(), len(changes)+1, "the retry recorded nothing")

	// The sync, the rules, the calendar: administrators only.
	schedules, err := s.db.SyncScheduleList(ctx)
	require.NoError(t, err)
	rules, err := s.db.ApprovalRulesLatest(ctx, approval.KindTermsChange)
	require.NoError(t, err)
	for _, path := range []string{"/sync", "/sync/health", "/admin/rules", "/admin/rules/terms_change", "/admin/calendars", "/admin/users"} {
		require.Equal(t, http.StatusForbidden, wang.do("GET", path, "", "").status, path)
	}
	for path, form := range map[string]url.Values{
		"/sync/customers/run":      {"csrf_token": {wangCSRF}},
		"/sync/customers/schedule": {"csrf_token": {wangCSRF}, "spec": {"@every 1m"}, "enabled": {"true"}},
		"/admin/rules/terms_change": {"csrf_token": {wangCSRF}, "stages": {"1"}, "s0.name": {"finance"},
			"s0.approvers": {"user:wang"}, "s0.rule": {"any"}, "s0.sla_hours": {"8"}},
		"/admin/calendars": {"csrf_token": {wangCSRF}, "time_zone": {"UTC"}, "weekdays": {"sat"}, "hours": {"00:00-24:00"}},
	} {
		p = wang.form(path, form)
		require.Equal(t, http.StatusForbidden, p.status, path)
	}
	// An admin's bad rules: every message next to its field, nothing saved.
	p = admin.form("/admin/rules/terms_change", url.Values{"csrf_token": {adminCSRF}, "stages": {"2"},
		"s0.name": {"finance"}, "s0.approvers": {"role:finanse"}, "s0.rule": {"any"}, "s0.sla_hours": {"0"},
		"s1.name": {"finance"}, "s1.approvers": {"user:nobody"}, "s1.rule": {"some"}, "s1.sla_hours": {"eight"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	require.Contains(t, p.body, `id="r1-sla_hours-error">want a whole number`)
	p = admin.form("/admin/rules/terms_change", url.Values{"csrf_token": {adminCSRF}, "stages": {"2"},
		"s0.name": {"finance"}, "s0.approvers": {"role:finanse"}, "s0.rule": {"any"}, "s0.sla_hours": {"0"},
		"s1.name": {"finance"}, "s1.approvers": {"manager"}, "s1.rule": {"some"}, "s1.sla_hours": {"8"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	for _, want := range []string{`id="r0-approvers-error">&#34;finanse&#34; is not a role`, `id="r0-sla_hours-error">must be between 1 and 2000`,
		`id="r1-name-error">&#34;finance&#34; is used by an earlier stage`, `id="r1-rule-error">&#34;some&#34;: want any or all`} {
		require.Contains(t, p.body, want)
	}
	again, err := s.db.ApprovalRulesLatest(ctx, approval.KindTermsChange)
	require.NoError(t, err)
	require.Equal(t, rules, again, "refused rules saved nothing")
	// A bad schedule: the message next to the field, nothing saved.
	p = admin.form("/sync/customers/schedule", url.Values{"csrf_token": {adminCSRF}, "spec": {"every so often"}, "enabled": {"true"},
		"stale_after": {"soon"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Contains(t, p.body, `id="f-spec-customers-error">`)
	now, err := s.db.SyncScheduleList(ctx)
	require.NoError(t, err)
	require.Equal(t, schedules, now, "refused schedules saved nothing")
	// A bad calendar day: its line and the calendar's message next to the days.
	p = admin.form("/admin/calendars", url.Values{"csrf_token": {adminCSRF}, "name": {"China"}, "time_zone": {"Asia/Shanghai"},
		"weekdays": {"mon", "tue"}, "hours": {"09:00-18:00"}, "days": {"2026-10-01 holiday 国庆节\n2026-13-01 holiday x"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	require.Contains(t, p.body, `id="f-days-error">line 2: `)

	// An import without the session's token is refused before anything is recorded.
	zhao, zhaoCSRF := pagesLogin(t, s, "zhao", "en")
	imports := func() int {
		l, err := s.db.ImportListFor(ctx, database.Viewer{All: true}, "zhao", 0, 200)
		require.NoError(t, err)
		return len(l)
	}
	n := imports()
	body, ct := pagesUpload(t, "", "客户编码,客户名称\nPGI-1,导入测试客户\n")
	require.Equal(t, http.StatusForbidden, zhao.do("POST", "/imports", ct, body).status)
	require.Equal(t, n, imports(), "nothing recorded without the token")
	body, ct = pagesUpload(t, wangCSRF, "客户编码,客户名称\nPGI-1,导入测试客户\n")
	require.Equal(t, http.StatusForbidden, wang.do("POST", "/imports", ct, body).status, "a rep does not import")
	body, ct = pagesUpload(t, zhaoCSRF, "客户编码,客户名称\nPGI-1,导入测试客户\n", "dry_run", "true")
	p = zhao.do("POST", "/imports", ct, body)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, n+1, imports())
	page := zhao.do("GET", p.header.Get("Location"), "", "")
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, "checked, nothing written")
	require.Equal(t, http.StatusNotFound, wang.do("GET", p.header.Get("Location"), "", "").status, "another's import is not there")
}

// pagesUpload is the imports form as a browser sends it: the CSRF token
// first, then the file and any other fields.
func pagesUpload(t *testing.T, csrf, csv string, fields ...string) (body, contentType string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if csrf != "" {
		require.NoError(t, w.WriteField("csrf_token", csrf))
	}
	for i := 0; i+1 < len(fields); i += 2 {
		require.NoError(t, w.WriteField(fields[i], fields[i+1]))
	}
	f, err := w.CreateFormFile("file", "customers.csv")
	require.NoError(t, err)
	_, err = f.Write([]byte(csv))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.String(), w.FormDataContentType()
}

// pagesEveryWorkspacePage renders the customer, import, sync and admin
// pages in Chinese and English, at a desktop's and a phone's width, and
// fails on a raw key: li (a sales manager) sees the deal's customer with
// its receivables by age; the admin sees the sync and the admin pages.
func pagesEveryWorkspacePage(t *testing.T, s *stack, dealID string) {
	ctx := context.Background()
	code := pagesDealCustomer(t, s, dealID)
	day := func(n int) time.Time { return time.Now().In(shanghai).AddDate(0, 0, n).Truncate(24 * time.Hour) }
	_, err := s.db.InvoicesUpsert(ctx, []database.ERPInvoice{
		{Number: code + "-1", CustomerCode: code, Amount: 100000, Currency: "CNY", IssuedOn: day(-10), DueOn: day(20), ERPChangedAt: time.Now()},
		{Number: code + "-2", CustomerCode: code, Amount: 250000, Currency: "CNY", IssuedOn: day(-90), DueOn: day(-45), ERPChangedAt: time.Now()},
		{Number: code + "-3", CustomerCode: code, Amount: 700000, Currency: "CNY", IssuedOn: day(-200), DueOn: day(-120), ERPChangedAt: time.Now()},
	}, nil)
	require.NoError(t, err)
	setPassword(t, s, "admin", "admin's long passphrase")
	for _, lang := range []string{"zh-CN", "en-US"} {
		t.Run("workspace-"+lang, func(t *testing.T) {
			li := pagesOpenTab(t, s, "li", lang)
			li.login("li", "li's long passphrase")
			for _, path := range []string{"/customers", "/customers?class=Z", "/customers/" + code, "/customers/NOPE-1", "/imports"} {
				li.visit(path)
				li.requireTranslated(path)
			}
			li.visit("/customers?q=" + code[:3])
			li.shot("customers")
			li.visit("/customers/" + code)
			ageing := li.textOf("table.ageing tbody tr")
			for _, want := range []string{"¥1,000.00", "¥2,500.00", "¥7,000.00", "¥10,500.00"} {
				require.Contains(t, ageing, want, "not yet due, 31–60 and over 90 days, and the total")
			}
			li.shot("customer")
			li.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
			li.visit("/customers/" + code)
			li.requireTranslated("the customer at a phone's width")
			li.shot("customer-phone")
			li.visit("/customers?class=Z")
			li.shot("customers-refused-phone")

			admin := pagesOpenTab(t, s, "admin", lang)
			admin.login("admin", "admin's long passphrase")
			for _, path := range []string{"/sync", "/imports", "/imports?by=all", "/admin/rules", "/admin/rules/contract_review",
				"/admin/rules/terms_change", "/admin/calendars", "/admin/users", "/admin/rules/nope"} {
				admin.visit(path)
				admin.requireTranslated(path)
			}
			admin.visit("/admin/rules")
			admin.shot("rules")
			admin.visit("/admin/rules/contract_review")
			admin.shot("rule-edit")
			admin.visit("/admin/users")
			admin.shot("users")
			admin.visit("/admin/calendars")
			admin.shot("calendar")
			admin.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
			admin.visit("/sync")
			admin.requireTranslated("/sync at a phone's width")
			admin.shot("sync-phone")
		})
	}
}

// TestPagesImportInTheBrowser: zhao, a sales assistant, uploads a customer
// file with one bad row, writing the good rows; the import's page says what
// became of each and offers the annotated result, which downloads.
func TestPagesImportInTheBrowser(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "zhao", "zhao's long passphrase")
	code := fmt.Sprintf("PGI-%d", time.Now().UnixNano()%1e9)
	file := t.TempDir() + "/客户.csv"
	name := fmt.Sprintf("杭州纺机%d", time.Now().UnixNano()%1e9)
	require.NoError(t, os.WriteFile(file, []byte("客户编码,客户名称,客户等级\n"+code+","+name+",A\n"+code+"-2,,B\n"), 0o644))

	b := pagesOpenTab(t, s, "zhao", "zh-CN")
	b.login("zhao", "zhao's long passphrase")
	b.visit("/imports")
	b.requireTranslated("/imports (zh)")
	b.run(chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file}))
	b.run(chromedp.SetValue(chromedp.CSS("#f-mode"), "accept-valid"))
	b.submit("#import-form button[type=submit]")
	require.Contains(t, b.location(), "/imports/")
	require.Contains(t, b.textOf("p.waiting"), "部分导入")
	require.Contains(t, b.textOf("table.row-errors"), "3", "the bad row, by its number")
	b.requireTranslated("an import's page (zh)")
	b.shot("import-zh")
	// A customer l2c does not know becomes a new-customer request: a lead
	// customer with its customer_onboarding case, not an active customer.
	r := s.do("GET", "/api/v1/customers?q="+url.QueryEscape(name), "tok-admin", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Contains(t, r.raw, `"code":"NEW-`, "the good row was sent for approval")

	// The annotated result and the template download with the browser's
	// session, as its links do.
	href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS("a.download"), "href"))
	require.NoError(t, err)
	require.True(t, href.Exists)
	cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{})
	require.NoError(t, err)
	hb := newBrowser(t, s.url)
	for _, c := range cookies.Cookies {
		hb.cookies[c.Name] = c.Value
	}
	res := hb.do("GET", href.Value, "", "")
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", res.header.Get("Content-Type"))
	res = hb.do("GET", "/imports/template", "", "")
	require.Equal(t, http.StatusOK, res.status)
	require.Contains(t, res.header.Get("Content-Disposition"), "attachment")
}
