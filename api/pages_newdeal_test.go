package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
)

// TestPagesNewDealRefusedLikeTheAPI: the new-deal page lists a rep's own
// customers, not another rep's; a form naming another rep's customer, or no
// customer, or an amount that is not money, is refused with the API's
// message next to the field and opens nothing; a delivery owner (who may
// not open deals) gets neither the form nor a deal; without the form's
// CSRF token nothing happens; then wang's deal is opened and its page
// follows.
func TestPagesNewDealRefusedLikeTheAPI(t *testing.T) {
	s := setup(t)
	mine := pagesCustomer(t, s)
	theirs := fmt.Sprintf("PGL-%d", time.Now().UnixNano()%1e9)
	_, err := s.db.CustomersUpsert(context.Background(), []database.Customer{{Code: theirs, Name: "刘的客户", SalesOwner: "liu", Source: "manual"}}, nil)
	require.NoError(t, err)
	wang := pagesSession(t, s, "wang")
	form := wang.do("GET", "/deals/new?q="+url.QueryEscape("苏州精密"), "", "")
	require.Equal(t, http.StatusOK, form.status)
	require.Contains(t, form.body, `value="`+mine+`"`, "wang's customer is on the list")
	require.NotContains(t, wang.do("GET", "/deals/new", "", "").body, theirs, "liu's is not")
	require.Contains(t, wang.do("GET", "/", "", "").body, `href="/deals/new"`, "My work links the new-deal page for a rep")
	require.Contains(t, wang.do("GET", "/deals", "", "").body, `href="/deals/new"`)
	require.NotContains(t, pagesSession(t, s, "zhou").do("GET", "/", "", "").body, `href="/deals/new"`)

	count := func() int64 {
		var n int64
		require.NoError(t, s.db.CountRows(context.Background(), "deals", &n))
		return n
	}
	csrf := pagesCSRF(t, form.body)
	post := func(b *browser, token string, fields map[string]string) page {
		v := url.Values{"csrf_token": {token}}
		for k, x := range fields {
			v.Set(k, x)
		}
		return b.form("/deals/new", v)
	}
	errorOf := func(body, field string) string {
		m := regexp.MustCompile(`id="nd-` + field + `-error">([^<]*)<`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	before := count()
	for _, try := range []struct {
		name   string
		fields map[string]string
		status int
		field  string
	}{
		{"another rep's customer", map[string]string{"customer": theirs, "title": "X"}, http.StatusUnprocessableEntity, "customer"},
		{"an unknown customer", map[string]string{"customer": "NO-SUCH", "title": "X"}, http.StatusUnprocessableEntity, "customer"},
		{"no customer", map[string]string{"title": "X"}, http.StatusUnprocessableEntity, "customer"},
		{"not money", map[string]string{"customer": mine, "title": "X", "expected_amount": "九十万"}, http.StatusBadRequest, "amount"},
	} {
		p := post(wang, csrf, try.fields)
		require.Equal(t, try.status, p.status, "%s: %s", try.name, p.body)
		require.NotEmpty(t, errorOf(p.body, try.field), "%s: the message is next to the field", try.name)
		require.NotContains(t, p.body, "刘的客户", "%s: the refusal names no one else's customer", try.name)
		require.Contains(t, p.body, `value="X"`, "%s: what was typed stays", try.name)
		require.Equal(t, before, count(), "%s: nothing opened", try.name)
	}
	zhou := pagesSession(t, s, "zhou")
	require.Equal(t, http.StatusForbidden, zhou.do("GET", "/deals/new", "", "").status)
	p := post(zhou, pagesCSRF(t, zhou.do("GET", "/", "", "").body), map[string]string{"customer": mine, "title": "X"})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, http.StatusForbidden, post(wang, "forged", map[string]string{"customer": mine, "title": "X"}).status)
	require.Equal(t, before, count(), "nothing opened")

	p = post(wang, csrf, map[string]string{"customer": mine, "title": "新建 New", "expected_amount": "120000.50",
		"purchase_timeframe": "3_months", "currency": "CNY"})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	loc := p.header.Get("Location")
	require.Regexp(t, `^/deals/D-\d+\?done=open$`, loc)
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/deals/"), "?done=open")
	d := s.get(id)
	require.Equal(t, "新建 New", d["title"])
	require.Equal(t, "120000.50", d["expected_amount"])
	require.Equal(t, "3_months", d["purchase_timeframe"])
	require.Equal(t, "wang", d["owners"].(map[string]any)["sales"])
	shown := wang.do("GET", loc, "", "")
	require.Contains(t, shown.body, "商机已新建。")
	require.Contains(t, shown.body, `href="/customers/`+mine+`"`, "the deal links its customer's page")
}

// TestPagesStuckBoardAgreesWithTheAPI: the stuck board lists, for every
// overseer, the open steps the API's stuck report lists for them, in the
// same order; a sales manager of another team, who holds no step of wang's
// review, sees it on neither; a rep gets neither. The inbox card of li's step
// links the customer and carries the delegate form.
func TestPagesStuckBoardAgreesWithTheAPI(t *testing.T) {
	s := setup(t)
	_, caseID := pagesDeal(t, s, "卡住 stuck")
	apprUser(t, s, identity.User{ID: "pg-other-mgr", Name: "Other manager", Team: "elsewhere", Roles: []identity.Role{identity.RoleSalesManager}}, "")
	stepRow := regexp.MustCompile(`<a href="/approvals/([^"]+)">`)
	for _, user := range []string{"li", "he", "admin", "sun", "chen", "pg-other-mgr"} {
		for _, q := range []string{"", "?kind=contract_review", "?holder=li", "?owner=wang", "?min_age_hours=0"} {
			api := s.do("GET", "/api/v1/approvals/stuck"+q, "tok-"+user, "")
			require.Equal(t, 200, api.status, api.raw)
			var want []string
			for _, st := range api.body["steps"].([]any) {
				want = append(want, st.(map[string]any)["case_id"].(string))
			}
			board := pagesSession(t, s, user).do("GET", "/approvals/stuck"+q, "", "")
			require.Equal(t, http.StatusOK, board.status)
			var got []string
			for _, m := range stepRow.FindAllStringSubmatch(board.body, -1) {
				got = append(got, m[1])
			}
			require.Equal(t, want, got, "%s %s: the board is the report", user, q)
			sees := user != "pg-other-mgr"
			require.Equal(t, sees, slices.Contains(got, caseID), "%s %s sees wang's review: %v", user, q, sees)
		}
	}
	require.Equal(t, http.StatusForbidden, pagesSession(t, s, "wang").do("GET", "/approvals/stuck", "", "").status)
	require.Equal(t, 403, s.do("GET", "/api/v1/approvals/stuck", "tok-wang", "").status)

	inbox := pagesSession(t, s, "li").do("GET", "/inbox", "", "").body
	card := regexp.MustCompile(`(?s)<article class="card[^"]*" aria-labelledby="case-` + regexp.QuoteMeta(caseID) + `">.*?</article>`).FindString(inbox)
	require.NotEmpty(t, card)
	require.Regexp(t, `href="/customers/PG-\d+"`, card, "the card links the customer's page")
	require.Contains(t, card, `action="/approvals/`+caseID+`/delegate"`, "the card carries the delegate form")
}
