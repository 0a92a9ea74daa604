package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/testenv"
)

// overdueAdvance makes the advance of a collection deal fall due days ago,
// as if signed long before: the tests cannot wait for a due date.
func overdueAdvance(t *testing.T, id string, days int) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testenv.DatabaseURL(t))
	require.NoError(t, err)
	defer pool.Close()
	_, err = pool.Exec(context.Background(), `UPDATE collection_instalments SET due_on = $2 WHERE deal_id = $1 AND no = 1`,
		id, future(-days))
	require.NoError(t, err)
}

// TestCollectionPlanOnTheDealAndItsPromiseForm: GET /deals/{id} carries the
// plan (due rule, status, promises per instalment); the deal page's promise
// form takes the API's rules: the seller and the delivery owner are refused,
// a bad amount or day is refused by its field, a form without the session's
// CSRF token is refused, and none of them records anything; wu's goes
// through, post/redirect/get, and shows on the page and in the API.
func TestCollectionPlanOnTheDealAndItsPromiseForm(t *testing.T) {
	s := setup(t)
	id := s.collectionDeal("Plan on the deal")
	overdueAdvance(t, id, 12)

	d := s.get(id)
	c := d["collection"].(map[string]any)
	ins := c["instalments"].([]any)
	require.Len(t, ins, 3)
	adv := ins[0].(map[string]any)
	require.Equal(t, "signing", adv["trigger"])
	require.Equal(t, map[string]any{"kind": "calendar_days", "days": float64(10)}, adv["due_rule"])
	require.Equal(t, future(-12), adv["due_on"])
	require.Equal(t, "30000.00", adv["amount"])
	require.Equal(t, "30000.00", adv["open"])
	require.Equal(t, "overdue", adv["status"])
	require.Equal(t, "72.00", adv["interest"], "7.3% a year on 30,000.00 for 12 days")
	require.Equal(t, "scheduled", ins[2].(map[string]any)["status"], "retention waits for acceptance")
	require.Empty(t, adv["promises"])

	promises := func() []any {
		return s.collectionPlan(id, "wu")["promises"].([]any)
	}
	post := func(who string, v url.Values) page {
		t.Helper()
		b := pagesSession(t, s, who)
		b.cookies["__Host-l2c_lang"] = "en"
		deal := b.do("GET", "/deals/"+id, "", "")
		require.Equal(t, 200, deal.status)
		if v.Get("csrf_token") == "" {
			v.Set("csrf_token", pagesCSRF(t, deal.body))
		}
		return b.form("/deals/"+id+"/promise", v)
	}
	good := url.Values{"no": {"1"}, "promised_on": {future(5)}, "amount": {"30,000.00"}, "note": {"CFO called"}}
	for _, who := range []string{"wang", "zhou"} {
		p := post(who, url.Values{"no": {"1"}, "promised_on": {future(5)}, "amount": {"30000.00"}})
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, p.status, "%s: %s", who, p.body)
	}
	p := post("wu", url.Values{"no": {"1"}, "promised_on": {future(5)}, "amount": {"30000.01"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Contains(t, p.body, `id="f-amount-promise-error">30000.01 is more than the 30000.00 still open`)
	require.Contains(t, p.body, `value="30000.01"`, "what was typed stays")
	p = post("wu", url.Values{"no": {"1"}, "promised_on": {"2020-01-01"}, "amount": {"x"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Contains(t, p.body, `id="f-amount-promise-error"`)
	p = post("wu", url.Values{"no": {"1"}, "promised_on": {"2020-01-01"}, "amount": {"100.00"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Contains(t, p.body, `id="f-promised_on-promise-error">2020-01-01 has passed`)
	p = post("wu", url.Values{"no": {"9"}, "promised_on": {future(5)}, "amount": {"100.00"}})
	require.Equal(t, http.StatusNotFound, p.status)
	p = post("wu", url.Values{"csrf_token": {"forged"}, "no": {"1"}, "promised_on": {future(5)}, "amount": {"100.00"}})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Empty(t, promises(), "nothing refused was recorded")

	p = post("wu", good)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, "/deals/"+id+"?done=promise#h-collection", p.header.Get("Location"))
	require.Len(t, promises(), 1)
	adv = s.get(id)["collection"].(map[string]any)["instalments"].([]any)[0].(map[string]any)
	pr := adv["promises"].([]any)[0].(map[string]any)
	require.Equal(t, future(5), pr["promised_on"])
	require.Equal(t, "30000.00", pr["amount"])
	require.Equal(t, "wu", pr["recorded_by"])

	b := pagesSession(t, s, "wu")
	b.cookies["__Host-l2c_lang"] = "en"
	page := b.do("GET", "/deals/"+id+"?done=promise", "", "")
	require.Contains(t, page.body, "The promise to pay is recorded.")
	plan := section(page.body, "collection")
	require.Contains(t, plan, "¥30,000.00")
	require.Contains(t, plan, "promised for "+future(5))
	require.Contains(t, plan, "CFO called")
	work := b.do("GET", "/", "", "")
	mine := section(work.body, "instalments")
	require.Contains(t, mine, "Plan on the deal")
	require.Contains(t, mine, "12 days overdue")
	require.True(t, strings.Contains(mine, `href="/deals/`+id+`#h-collection"`), mine)
}
