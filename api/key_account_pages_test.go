package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
)

// keyAccountPageWorld is keyAccountWorld with a customer and deal of ka-rep
// of the test's own (code), so its follow-ups count in no other test.
func keyAccountPageWorld(t *testing.T, code string) (*stack, string) {
	s, _ := keyAccountWorld(t)
	_, err := s.db.CustomersUpsert(context.Background(), []database.Customer{{Code: code, Name: "攻关页面客户 " + code, SalesOwner: "ka-rep",
		PaymentTerms: dealTestTerms, MinDiscountBP: &dealTestMinDiscount, Source: "manual"}}, nil)
	require.NoError(t, err)
	r := s.do("POST", "/api/v1/deals", "tok-ka-rep", `{"title":"攻关页面","customer":{"code":"`+code+`","name":"攻关页面客户 `+code+`"},"owners":{"sales":"ka-rep"}}`)
	require.Equal(t, 201, r.status, r.raw)
	return s, r.body["id"].(string)
}

// planKeyActivity has ka-rep plan a key-account activity on deal and
// returns its ID.
func planKeyActivity(t *testing.T, s *stack, deal string) int64 {
	t.Helper()
	r := s.do("POST", "/api/v1/key-activities", "tok-ka-rep", `{"deal_id":"`+deal+`","kind":"demo","planned_on":"`+future(2)+`",
		"goal":"演示新产线","support_wanted":"an engineer"}`)
	require.Equal(t, 201, r.status, r.raw)
	return int64(r.body["id"].(float64))
}

// pageForm posts a page's form as user, with a fresh CSRF token from My work.
func pageForm(t *testing.T, s *stack, user, path string, v url.Values) page {
	t.Helper()
	b := pagesSession(t, s, user)
	m := csrfInput.FindStringSubmatch(b.do("GET", "/", "", "").body)
	require.Len(t, m, 2)
	v.Set("csrf_token", m[1])
	return b.form(path, v)
}

// TestKeyActivityPageFormsControls (attack): the forms show only to who may
// act — the support form to the owner's manager, the outcome form to the
// owner — and posting one anyway is refused as the API refuses it, with
// nothing changed: the owner naming a supporter, a teammate or another
// team's manager (who do not see the deal), the manager recording the
// outcome, a disabled or missing supporter, an empty outcome, an unknown
// activity; once done, neither form shows and both are refused.
func TestKeyActivityPageFormsControls(t *testing.T) {
	s, deal := keyAccountPageWorld(t, "KA-P1")
	id := planKeyActivity(t, s, deal)
	support, outcome := fmt.Sprintf("/key-activities/%d/support", id), fmt.Sprintf("/key-activities/%d/outcome", id)
	supportForm, outcomeForm := fmt.Sprintf(`id="ka-%d-support"`, id), fmt.Sprintf(`id="ka-%d-outcome"`, id)

	boss := pagesSession(t, s, "ka-boss").do("GET", "/deals/"+deal, "", "").body
	require.Contains(t, boss, supportForm)
	require.NotContains(t, boss, outcomeForm)
	rep := pagesSession(t, s, "ka-rep").do("GET", "/deals/"+deal, "", "").body
	require.Contains(t, rep, outcomeForm)
	require.NotContains(t, rep, supportForm)
	require.NotContains(t, pagesSession(t, s, "ka-sup").do("GET", "/", "", "").body, `class="act ka-form"`)
	require.Contains(t, section(pagesSession(t, s, "ka-boss").do("GET", "/", "", "").body, "key-activities"), supportForm)
	require.Contains(t, section(pagesSession(t, s, "ka-rep").do("GET", "/", "", "").body, "my-key-activities"), outcomeForm)

	before := s.keyActivityState(deal)
	for _, c := range []struct {
		who, path string
		form      url.Values
		status    int
		says      string
	}{
		{"ka-rep", support, url.Values{"supporter": {"ka-sup"}}, 403, ""},
		{"ka-rep2", support, url.Values{"supporter": {"ka-sup"}}, 404, ""}, // a teammate does not see the deal
		{"kb-boss", support, url.Values{"supporter": {"ka-sup"}}, 404, ""},
		{"ka-boss", outcome, url.Values{"note": {"done"}}, 403, ""},
		{"ka-rep2", outcome, url.Values{"note": {"done"}}, 404, ""},
		{"ka-boss", support, url.Values{"supporter": {"ka-off"}, "from": {"work"}}, 422, "没有可指派的用户“ka-off”（不存在或已停用）"},
		{"ka-boss", support, url.Values{"supporter": {" "}}, 422, "必填：支持人的用户名"},
		{"ka-rep", outcome, url.Values{"note": {""}, "from": {"work"}}, 422, "必填：活动取得了什么结果"},
		{"ka-boss", "/key-activities/999999/support", url.Values{"supporter": {"ka-sup"}}, 404, ""},
	} {
		r := pageForm(t, s, c.who, c.path, c.form)
		require.Equal(t, c.status, r.status, "%s %s: %s", c.who, c.path, r.body)
		if c.says != "" {
			require.Contains(t, r.body, `class="field-error"`, "the refusal is next to its field")
			require.Contains(t, r.body, c.says)
		}
		require.Equal(t, before, s.keyActivityState(deal), "%s %s changed something", c.who, c.path)
	}

	// Done through the forms: off both lists, no form shows, and both refuse.
	r := pageForm(t, s, "ka-boss", support, url.Values{"supporter": {"ka-sup"}, "note": {"bring the rig"}, "from": {"work"}})
	require.Equal(t, 303, r.status, r.body)
	require.True(t, strings.HasPrefix(r.header.Get("Location"), "/?done=ka_support"), r.header.Get("Location"))
	r = pageForm(t, s, "ka-rep", outcome, url.Values{"note": {"客户同意试产"}})
	require.Equal(t, 303, r.status, r.body)
	require.True(t, strings.HasPrefix(r.header.Get("Location"), "/deals/"+deal+"?done=ka_outcome"), r.header.Get("Location"))
	done := s.keyActivityState(deal)
	require.NotContains(t, pagesSession(t, s, "ka-boss").do("GET", "/deals/"+deal, "", "").body, supportForm)
	require.NotContains(t, pagesSession(t, s, "ka-rep").do("GET", "/deals/"+deal, "", "").body, outcomeForm)
	require.Equal(t, 409, pageForm(t, s, "ka-rep", outcome, url.Values{"note": {"again"}}).status)
	require.Equal(t, 409, pageForm(t, s, "ka-boss", support, url.Values{"supporter": {"ka-rep2"}}).status)
	require.Equal(t, done, s.keyActivityState(deal))
}

// TestKeyActivityFormsInTheBrowser: in Chromium, the rep's manager names a
// supporter from the deal page (a disabled one first: refused next to the
// field, what was typed kept), the rep records the outcome from My work
// (empty first: refused by the field), each page in Chinese with no raw key.
func TestKeyActivityFormsInTheBrowser(t *testing.T) {
	s, deal := keyAccountPageWorld(t, "KA-P2")
	id := planKeyActivity(t, s, deal)
	setPassword(t, s, "ka-boss", "ka-boss's long passphrase")
	setPassword(t, s, "ka-rep", "ka-rep's long passphrase")

	boss := pagesOpenTab(t, s, "ka-boss", "zh-CN,zh;q=0.9")
	boss.login("ka-boss", "ka-boss's long passphrase")
	boss.visit("/deals/" + deal)
	form := fmt.Sprintf("#ka-%d-support", id)
	boss.fill(fmt.Sprintf("#f-supporter-ka%d", id), "ka-off")
	boss.submit(form + ` button[type="submit"]`)
	require.Equal(t, "没有可指派的用户“ka-off”（不存在或已停用）", boss.textOf(fmt.Sprintf("#f-supporter-ka%d-error", id)))
	require.Equal(t, "ka-off", boss.valueOf(fmt.Sprintf("#f-supporter-ka%d", id)))
	boss.requireTranslated("the refused support form")
	boss.fill(fmt.Sprintf("#f-supporter-ka%d", id), "ka-sup")
	boss.fill(fmt.Sprintf("#f-note-ka%d-support", id), "带上测试台")
	boss.submit(form + ` button[type="submit"]`)
	require.Contains(t, boss.text(), "已指派支持人。")
	require.Contains(t, boss.textOf(fmt.Sprintf(`tr[data-key-activity="%d"]`, id)), "Su Pei")
	boss.requireTranslated("the deal page after assigning support")

	rep := pagesOpenTab(t, s, "ka-rep", "zh-CN,zh;q=0.9")
	rep.login("ka-rep", "ka-rep's long passphrase")
	rep.visit("/")
	out := fmt.Sprintf("#ka-%d-outcome", id)
	rep.submit(out + ` button[type="submit"]`)
	require.Equal(t, "必填：活动取得了什么结果", rep.textOf(fmt.Sprintf("#f-note-ka%d-outcome-error", id)))
	rep.requireTranslated("the refused outcome form")
	rep.fill(fmt.Sprintf("#f-note-ka%d-outcome", id), "客户同意试产")
	rep.submit(out + ` button[type="submit"]`)
	require.Contains(t, rep.text(), "已记录活动结果。")
	require.Equal(t, "/", strings.SplitN(rep.location(), "?", 2)[0])
	rep.visit("/deals/" + deal)
	require.Contains(t, rep.textOf(fmt.Sprintf(`tr[data-key-activity="%d"]`, id)), "客户同意试产")
	rep.requireTranslated("the deal page after the outcome")
}
