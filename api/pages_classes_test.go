package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// classReviewWorld: team cr (manager cr-boss, rep cr-rep), another team's
// manager cx-boss; customers CR-1 (cr-rep's, B2, proposed A1), CR-2
// (cr-rep's, unranked, proposed C3) and CR-OWN (cr-boss's own, C1, proposed
// B1), each proposal with its factors. It returns the proposals' IDs by
// customer. The people are disabled again when the test ends.
func classReviewWorld(t *testing.T, suffix string) (*stack, map[string]int64) {
	s := setup(t)
	ctx := context.Background()
	s.addUsers(
		teamUser{identity.User{ID: "cr-boss", Name: "Cui Boss", Team: "cr", Roles: []identity.Role{identity.RoleSalesManager}}, ""},
		teamUser{identity.User{ID: "cr-rep", Name: "崔代表", Team: "cr", Roles: []identity.Role{identity.RoleSales}}, "cr-boss"},
		teamUser{identity.User{ID: "cx-boss", Name: "Cx Boss", Team: "cx", Roles: []identity.Role{identity.RoleSalesManager}}, ""})
	authExec(t, `UPDATE users SET disabled = false WHERE id LIKE 'cr-%' OR id LIKE 'cx-%'`)
	t.Cleanup(func() { authExec(t, `UPDATE users SET disabled = true WHERE id LIKE 'cr-%' OR id LIKE 'cx-%'`) })
	codes := map[string]string{"CR-1" + suffix: "cr-rep", "CR-2" + suffix: "cr-rep", "CR-OWN" + suffix: "cr-boss"}
	var list []database.Customer
	for code, owner := range codes {
		list = append(list, database.Customer{Code: code, Name: "等级客户 " + code, SalesOwner: owner, Source: "manual"})
	}
	_, err := s.db.CustomersUpsert(ctx, list, nil)
	require.NoError(t, err)
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	factors := `{"revenue":"250000.00","invoices":3,"share_bp":4200,"before_bp":3000,"rank":2,"days_to_pay":28,"on_time_bp":9500,"longest_overdue":3}`
	ids := map[string]int64{}
	for _, p := range []struct {
		code, old string
		oldG      int
		newC      string
		newG      int
	}{
		{"CR-1" + suffix, "B", 2, "A", 1}, {"CR-2" + suffix, "", 0, "C", 3}, {"CR-OWN" + suffix, "C", 1, "B", 1},
	} {
		_, err := conn.Exec(ctx, `UPDATE customers SET value_class = $2, payment_grade = $3 WHERE code = $1`, p.code, p.old, p.oldG)
		require.NoError(t, err)
		var id int64
		require.NoError(t, conn.QueryRow(ctx, `INSERT INTO class_proposals (customer_code, run_id, old_class, old_grade, new_class, new_grade, factors)
			VALUES ($1, 0, $2, $3, $4, $5, $6) RETURNING id`, p.code, p.old, p.oldG, p.newC, p.newG, factors).Scan(&id))
		ids[strings.TrimSuffix(p.code, suffix)] = id
	}
	return s, ids
}

// classReviewState is what a decision may change: the world's proposals,
// its customers' classes, and the count of class decisions audited.
func classReviewState(t *testing.T, s *stack, suffix string) string {
	t.Helper()
	ctx := context.Background()
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	var rows string
	require.NoError(t, conn.QueryRow(ctx, `SELECT
		(SELECT string_agg(concat_ws('/', p.id, p.status, p.decided_by, p.note), ';' ORDER BY p.id) FROM class_proposals p
			WHERE p.customer_code LIKE 'CR-%' || $1)
		|| ' | ' || (SELECT string_agg(concat_ws('/', c.code, c.value_class, c.payment_grade), ';' ORDER BY c.code) FROM customers c
			WHERE c.code LIKE 'CR-%' || $1)`, suffix).Scan(&rows))
	n := 0
	for _, a := range []string{"class.approve", "class.reject"} {
		n += s.auditCount(a, "")
	}
	return fmt.Sprintf("%s / audit %d", rows, n)
}

// TestClassReviewPageControls (attack): the review page lists the pending
// changes the viewer may decide, with their factors — a sales manager's
// team's customers but not their own, finance everyone's — and is refused
// to anyone else; deciding through it is the API's decision: the rep, an
// admin, another team's manager, the manager on their own customer, a
// rejection without a note, a decided proposal again are each refused with
// the message on the page and nothing changed. Then a manager approves one
// (the class applies) and finance rejects another; My work links the page
// with the count.
func TestClassReviewPageControls(t *testing.T) {
	s, ids := classReviewWorld(t, "-A")
	row := func(id int64) string { return fmt.Sprintf(`data-class-proposal="%d"`, id) }

	boss := pagesSession(t, s, "cr-boss").do("GET", "/classes/review", "", "")
	require.Equal(t, 200, boss.status, boss.body)
	require.Contains(t, boss.body, row(ids["CR-1"]))
	require.Contains(t, boss.body, row(ids["CR-2"]))
	require.NotContains(t, boss.body, row(ids["CR-OWN"]), "never their own customer")
	require.Contains(t, boss.body, "B2 → A1")
	require.Contains(t, boss.body, "— → C3")
	require.Contains(t, boss.body, "近 365 天开票收入")
	require.Contains(t, boss.body, "崔代表")
	en := pagesSession(t, s, "cr-boss")
	en.lang = "en-US"
	enPage := en.do("GET", "/classes/review", "", "").body
	require.Contains(t, enPage, "Value-class changes to review")
	require.Contains(t, enPage, "Invoiced in the last 365 days")
	work := section(pagesSession(t, s, "cr-boss").do("GET", "/", "", "").body, "class-review")
	require.Contains(t, work, `href="/classes/review"`)
	listed := strings.Count(boss.body, "data-class-proposal=") // with any unowned customer's the night proposed
	require.Contains(t, work, fmt.Sprintf("待您审核的等级变更 %d 项", listed), "the count is the page's")
	fin := pagesSession(t, s, "sun").do("GET", "/classes/review", "", "").body
	for _, c := range []string{"CR-1", "CR-2", "CR-OWN"} {
		require.Contains(t, fin, row(ids[c]), "finance reviews every customer's")
	}
	require.NotContains(t, pagesSession(t, s, "cx-boss").do("GET", "/classes/review", "", "").body, row(ids["CR-1"]))
	for _, who := range []string{"cr-rep", "admin", "chen"} {
		require.Equal(t, 403, pagesSession(t, s, who).do("GET", "/classes/review", "", "").status, who)
		require.Empty(t, section(pagesSession(t, s, who).do("GET", "/", "", "").body, "class-review"), who)
	}

	before := classReviewState(t, s, "-A")
	id := func(c string) string { return fmt.Sprint(ids[c]) }
	for _, c := range []struct {
		who    string
		form   url.Values
		status int
		says   string
	}{
		{"cr-rep", url.Values{"id": {id("CR-1")}, "approve": {"true"}}, 403, ""},
		{"admin", url.Values{"id": {id("CR-1")}, "approve": {"true"}}, 403, ""},
		{"cx-boss", url.Values{"id": {id("CR-1")}, "approve": {"true"}}, 404, "没有等级变更提议 " + id("CR-1")},
		{"cr-boss", url.Values{"id": {id("CR-OWN")}, "approve": {"true"}}, 403, "任何人都不能审核自己负责客户的等级；未作任何决定"},
		{"cr-boss", url.Values{"id": {id("CR-1")}, "approve": {"false"}, "note": {" "}}, 422, "请说明驳回的理由"},
		{"cr-boss", url.Values{"id": {id("CR-1")}}, 422, "必填：批准或驳回"},
	} {
		r := pageForm(t, s, c.who, "/classes/review/decide", c.form)
		require.Equal(t, c.status, r.status, "%s %v: %s", c.who, c.form, r.body)
		if c.says != "" {
			require.Contains(t, r.body, c.says, "%s %v", c.who, c.form)
		}
		require.Equal(t, before, classReviewState(t, s, "-A"), "%s %v changed something", c.who, c.form)
	}
	r := pageForm(t, s, "cr-boss", "/classes/review/decide", url.Values{"id": {id("CR-1")}, "approve": {"false"}, "note": {""}})
	require.Contains(t, r.body, `id="f-note-class`+id("CR-1")+`-error"`, "the note's refusal is by the row's note field")

	r = pageForm(t, s, "cr-boss", "/classes/review/decide", url.Values{"id": {id("CR-1")}, "approve": {"true"}})
	require.Equal(t, 303, r.status, r.body)
	require.Equal(t, "/classes/review?done=class_approved", r.header.Get("Location"))
	r = pageForm(t, s, "sun", "/classes/review/decide", url.Values{"id": {id("CR-2")}, "approve": {"false"}, "note": {"付款记录太短"}})
	require.Equal(t, 303, r.status, r.body)
	after := classReviewState(t, s, "-A")
	require.Contains(t, after, fmt.Sprintf("%d/approved/cr-boss/", ids["CR-1"]))
	require.Contains(t, after, fmt.Sprintf("%d/rejected/sun/付款记录太短", ids["CR-2"]))
	require.Contains(t, after, "CR-1-A/A/1")
	require.Contains(t, after, "CR-2-A//0", "a rejection changes no class")
	again := pageForm(t, s, "sun", "/classes/review/decide", url.Values{"id": {id("CR-1")}, "approve": {"true"}})
	require.Equal(t, 409, again.status, again.body)
	require.Contains(t, again.body, "已不在待审状态")
	require.Equal(t, after, classReviewState(t, s, "-A"))
	work = section(pagesSession(t, s, "cr-boss").do("GET", "/", "", "").body, "class-review")
	if listed == 2 {
		require.Contains(t, work, "没有待您审核的等级变更。")
	} else {
		require.Contains(t, work, fmt.Sprintf("待您审核的等级变更 %d 项", listed-2))
	}
}

// TestClassReviewInTheBrowser: in Chromium, a sales manager follows My
// work's link to the review page, rejects without a note (refused by the
// row's note field), then approves; in Chinese with no raw key.
func TestClassReviewInTheBrowser(t *testing.T) {
	s, ids := classReviewWorld(t, "-B")
	setPassword(t, s, "cr-boss", "cr-boss's long passphrase")
	b := pagesOpenTab(t, s, "cr-boss", "zh-CN,zh;q=0.9")
	b.login("cr-boss", "cr-boss's long passphrase")
	b.visit("/")
	b.submit(`#h-class-review ~ p a[href="/classes/review"]`)
	require.Equal(t, "/classes/review", b.location())
	tr := fmt.Sprintf(`tr[data-class-proposal="%d"]`, ids["CR-1"])
	require.Contains(t, b.textOf(tr), "B2 → A1")
	require.Contains(t, b.textOf(tr), "95%")
	b.requireTranslated("the review page")
	b.submit(tr + ` button[value="false"]`)
	require.Equal(t, "请说明驳回的理由", b.textOf(fmt.Sprintf("#f-note-class%d-error", ids["CR-1"])))
	b.requireTranslated("the refused rejection")
	b.submit(tr + ` button[value="true"]`)
	require.Contains(t, b.text(), "已批准等级变更。")
	require.NotContains(t, b.text(), "等级客户 CR-1-B", "decided: off the list")
	require.Contains(t, classReviewState(t, s, "-B"), "CR-1-B/A/1")
}
