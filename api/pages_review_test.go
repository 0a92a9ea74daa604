package api_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The pages as the people who use them try them (issue 11, reviewed):
// what a rep, an approver, finance and the admin would find wrong.

// pagesDealRows are the IDs of the deals a /deals page lists.
func pagesDealRows(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<td data-label="[^"]*"><a href="/deals/([^"]+)">`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestPagesDealListFiltersLikeTheAPI: /deals filters by stage, owner,
// customer, holder and days in the stage, as GET /api/v1/deals does (one
// parser): a deal in contract review is held by its approvers (Li, He), by
// name on the page and in the holder filter, not "in contract review"; the
// pipeline counts what the filters leave; a filter that names nobody, or a
// bad age, is refused next to its field and the API refuses the same age.
func TestPagesDealListFiltersLikeTheAPI(t *testing.T) {
	s := setup(t)
	dealID, _ := pagesDeal(t, s, "Filtered")
	dl, err := s.db.DealGet(context.Background(), dealID)
	require.NoError(t, err)
	code := dl.Customer.Code
	apiIDs := func(query string) []string {
		r := s.do("GET", "/api/v1/deals?limit=200&"+query, "tok-admin", "")
		require.Equal(t, 200, r.status, r.raw)
		var out []string
		for _, d := range r.body["deals"].([]any) {
			out = append(out, d.(map[string]any)["id"].(string))
		}
		return out
	}
	require.Contains(t, apiIDs("holder=li"), dealID, "the API: a review's approver holds the deal")
	require.Contains(t, apiIDs("holder=he"), dealID)
	require.NotContains(t, apiIDs("holder=wang"), dealID)
	require.Contains(t, apiIDs("customer="+code), dealID)
	require.NotContains(t, apiIDs("min_stage_days=1"), dealID, "it entered its stage just now")
	bad := s.do("GET", "/api/v1/deals?min_stage_days=x", "tok-admin", "")
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, `"field":"min_stage_days"`)

	b := pagesSession(t, s, "wang")
	b.lang = "zh-CN"
	list := b.do("GET", "/deals?stage=contract_review&holder=Li", "", "")
	require.Equal(t, http.StatusOK, list.status, list.body)
	require.Contains(t, pagesDealRows(list.body), dealID, "Li by name")
	row := list.body[strings.Index(list.body, `href="/deals/`+dealID+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	require.Regexp(t, `<td data-label="当前处理人">(Li、He|He、Li)</td>`, row, "held by the approvers, by name")
	require.NotContains(t, row, "审批中", "not just \"in review\"")
	require.Contains(t, row, "已 0 天", "how long it has been in its stage")
	require.Contains(t, list.body, `value="Li"`, "what was typed stays in the field")
	require.Contains(t, list.body, `href="/deals?stage=quote&amp;holder=Li"`, "the pipeline keeps the filters")
	require.NotContains(t, pagesDealRows(b.do("GET", "/deals?holder=wang", "", "").body), dealID)
	require.NotContains(t, pagesDealRows(b.do("GET", "/deals?min_stage_days=7", "", "").body), dealID)
	require.Contains(t, pagesDealRows(b.do("GET", "/deals?owner=Wang&customer="+url.QueryEscape(code), "", "").body), dealID)

	nobody := b.do("GET", "/deals?owner=Nobody-Like-This", "", "")
	require.Equal(t, http.StatusBadRequest, nobody.status)
	require.Contains(t, nobody.body, `<span class="field-error" id="f-owner-error">没有名为“Nobody-Like-This”的人</span>`)
	age := b.do("GET", "/deals?min_stage_days=-3", "", "")
	require.Equal(t, http.StatusBadRequest, age.status)
	require.Contains(t, age.body, `id="f-min_stage_days-error"`)
	require.Contains(t, pagesDealRows(age.body), dealID, "the list still shows, without the refused filter")
}
