package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/ownership"
	"github.com/l2c/l2c/internal/scheduler"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// runTick starts a run of a nightly clock (start) as of at, under an ID of
// its own, and waits for its result (into out); the run as of record has its
// history recorded into file (testenv.RecordHistory).
func (s *stack) runTick(t *testing.T, start scheduler.Starter, at time.Time, out any, record time.Time, file string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, started, err := start(ctx, s.tc, "test-"+workflows.SyncBucket(at)+"-"+fmt.Sprint(time.Now().UnixNano()), "test", at)
	require.NoError(t, err)
	require.True(t, started)
	require.NoError(t, s.tc.GetWorkflow(ctx, id, "").Get(ctx, out))
	if at.Equal(record) {
		testenv.RecordHistory(t, s.tc, id, file)
	}
}

// ownersWorld adds team "own": ow-boss (sales manager) manages ow-hm (a sales
// manager who owns customers) and reps ow-a (王小明), ow-b and ow-c; ow-hm
// manages ow-rep. Each has token tok-<id>.
func ownersWorld(t *testing.T) *stack {
	s := setup(t)
	s.addUsers(
		teamUser{identity.User{ID: "ow-boss", Name: "Boss", Team: "own", Roles: []identity.Role{identity.RoleSalesManager}}, ""},
		teamUser{identity.User{ID: "ow-hm", Name: "Han Mei", Team: "own", Roles: []identity.Role{identity.RoleSalesManager}}, "ow-boss"},
		teamUser{identity.User{ID: "ow-a", Name: "王小明", Team: "own", Roles: []identity.Role{identity.RoleSales}}, "ow-boss"},
		teamUser{identity.User{ID: "ow-b", Name: "Bai", Team: "own", Roles: []identity.Role{identity.RoleSales}}, "ow-boss"},
		teamUser{identity.User{ID: "ow-c", Name: "Cao", Team: "own", Roles: []identity.Role{identity.RoleSales}}, "ow-boss"},
		teamUser{identity.User{ID: "ow-rep", Name: "Ren", Team: "own", Roles: []identity.Role{identity.RoleSales}}, "ow-hm"})
	return s
}

// ownerOf reads a customer's owner straight from the database.
func (s *stack) ownerOf(code string) string {
	s.t.Helper()
	owner, _, _, err := s.db.CustomerOwnerOf(context.Background(), code)
	require.NoError(s.t, err)
	return owner
}

// auditCount counts the trail's entries of action on object id.
func (s *stack) auditCount(action, id string) int {
	s.t.Helper()
	n := 0
	require.NoError(s.t, s.db.AuditEach(context.Background(), database.AuditFilter{Action: action, ObjectID: id, Limit: 1000},
		func(audit.Entry) error { n++; return nil }))
	return n
}

// TestOwnershipCollisionRefusedWithTheMaskedOwner: a rep who opens a deal on,
// or enters, a customer another rep owns (the same tax ID, the same name
// once folded, the same phone) is refused with the owner masked and the last
// contact, the owner and their manager are asked, and nothing else is saved.
func TestOwnershipCollisionRefusedWithTheMaskedOwner(t *testing.T) {
	s := ownersWorld(t)
	ctx := context.Background()
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{{Code: "OW-COL", Name: "苏州精密（集团）有限公司",
		TaxID: "91320500OWCOL0001", Phone: "+86 512-6666-0001", SalesOwner: "ow-a", Source: "manual"}}, nil)
	require.NoError(t, err)
	met := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	_, err = s.db.ActivityAdd(ctx, database.Activity{Customer: "OW-COL", Kind: "visit", HappenedAt: met, By: "ow-a"})
	require.NoError(t, err)

	deals := s.dealCount()
	var requests int64
	require.NoError(t, s.db.CountRows(ctx, "ownership_requests", &requests))
	// The name typed with ASCII parentheses and a double space is the same name.
	r := s.do("POST", "/api/v1/deals", "tok-ow-b", `{"title":"Spindles","customer":{"code":"NEW-1","name":"苏州精密(集团)有限公司  "}}`)
	dealRefused(t, r, 409, "name")
	require.Equal(t, "/problems/customer_owned", r.body["type"])
	col := r.body["collision"].(map[string]any)
	require.Equal(t, "王**", col["owner"])
	require.Equal(t, "2026-11-20", col["last_contact"])
	require.Contains(t, r.body["detail"], "last contact 2026-11-20", "the detail's day is the reply's")
	require.Equal(t, "name", col["matched_on"])
	require.NotContains(t, r.raw, "ow-a")
	require.NotContains(t, r.raw, "王小明")
	require.NotContains(t, r.raw, "OW-COL")
	require.Equal(t, deals, s.dealCount(), "no deal was opened")
	require.Equal(t, "ow-a", s.ownerOf("OW-COL"))
	var after int64
	require.NoError(t, s.db.CountRows(ctx, "ownership_requests", &after))
	require.Equal(t, requests+1, after, "one request to the owner")
	for _, to := range []string{"ow-a", "ow-boss"} {
		st, err := s.db.NotificationByKey(ctx, fmt.Sprintf("ownership-request/%d/%s", int64(col["request_id"].(float64)), to))
		require.NoError(t, err, to)
		require.Equal(t, to, st.Recipient)
	}
	// Asking again points to the same request.
	again := s.do("POST", "/api/v1/deals", "tok-ow-b", `{"title":"Spindles","customer":{"code":"NEW-1","name":"苏州精密（集团）有限公司"}}`)
	require.Equal(t, col["request_id"], again.body["collision"].(map[string]any)["request_id"])

	// Entering the customer: by tax ID, by phone written another way.
	for _, body := range []string{`{"tax_id":"91320500OWCOL0001","name":"Another name"}`, `{"phone":"0086 (512) 6666 0001"}`} {
		r := s.do("POST", "/api/v1/ownership/check", "tok-ow-b", body)
		require.Equal(t, 409, r.status, r.raw)
		require.Equal(t, "王**", r.body["collision"].(map[string]any)["owner"])
	}
	// Entered as a new customer (onboarding): the same collision, and no request to onboard it.
	var onboardings int64
	require.NoError(t, s.db.CountRows(ctx, "customer_onboardings", &onboardings))
	r = s.do("POST", "/api/v1/customers", "tok-ow-b", `{"name":"苏州精密（集团）有限责任公司","tax_id":"91320500OWCOL0001",
		"address":"苏州市工业园区 1 号","payment_terms":"NT30","min_discount_bp":9000,"sales_owner":"ow-b"}`)
	require.Equal(t, 409, r.status, r.raw)
	require.Equal(t, "/problems/customer_owned", r.body["type"])
	require.Equal(t, "王**", r.body["collision"].(map[string]any)["owner"])
	require.NotContains(t, r.raw, "OW-COL")
	var onboardingsAfter int64
	require.NoError(t, s.db.CountRows(ctx, "customer_onboardings", &onboardingsAfter))
	require.Equal(t, onboardings, onboardingsAfter, "nothing was saved")
	require.Equal(t, 200, s.do("POST", "/api/v1/ownership/check", "tok-ow-b", `{"name":"苏州精密有限公司"}`).status, "another name")
	require.Equal(t, 200, s.do("POST", "/api/v1/ownership/check", "tok-ow-a", `{"tax_id":"91320500OWCOL0001"}`).status, "one's own")
	require.Equal(t, 403, s.do("POST", "/api/v1/ownership/check", "tok-zhou", `{"tax_id":"91320500OWCOL0001"}`).status)
	dealRefused(t, s.do("POST", "/api/v1/ownership/check", "tok-ow-b", `{}`), 422, "name")

	// The code alone, with another name, still reveals nothing (control 7).
	r = s.do("POST", "/api/v1/deals", "tok-ow-b", fmt.Sprintf(`{"title":"Peek","customer":{"code":"OW-COL","name":"peek %d"}}`, time.Now().UnixNano()))
	dealRefused(t, r, 422, "customer.code")
	require.NotContains(t, r.raw, "collision")
}

// TestOwnershipRollingCap: a rep takes on at most the rolling cap of new
// customers in three months, whether claimed or assigned; releasing one does
// not give a claim back; of two reps claiming one customer at once, one wins.
func TestOwnershipRollingCap(t *testing.T) {
	s := ownersWorld(t)
	ctx := context.Background()
	var pool []database.Customer
	for i := 1; i <= 5; i++ {
		pool = append(pool, database.Customer{Code: fmt.Sprintf("OW-CAP-%d", i), Name: fmt.Sprintf("Cap %d", i), Source: "manual"})
	}
	_, err := s.db.CustomersUpsert(ctx, pool, nil)
	require.NoError(t, err)

	// Bad rules are refused whole, naming each field; nothing is saved.
	r := s.do("PUT", "/api/v1/ownership/rules", "tok-admin",
		`{"limits":[{"scope":"user:ow-c","rolling_cap":2},{"scope":"boss","rolling_cap":-1}],"pool":[{"value_class":"D","idle_days":5}]}`)
	dealRefused(t, r, 422, "limits[1].scope")
	require.Contains(t, r.raw, `"field":"limits[1].rolling_cap"`)
	require.Contains(t, r.raw, `"field":"pool[0].value_class"`)
	require.NotContains(t, s.do("GET", "/api/v1/ownership/rules", "tok-ow-c", "").raw, "user:ow-c")
	require.Equal(t, 403, s.do("PUT", "/api/v1/ownership/rules", "tok-ow-boss", `{"limits":[{"scope":"user:ow-c","rolling_cap":9}]}`).status)

	r = s.do("PUT", "/api/v1/ownership/rules", "tok-admin", `{"limits":[{"scope":"user:ow-c","standing_cap":10,"rolling_cap":2}]}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, 1, s.auditCount("ownership.rules.save", ""))

	require.Equal(t, 200, s.do("POST", "/api/v1/pool/OW-CAP-1/claim", "tok-ow-c", `{}`).status)
	r = s.do("POST", "/api/v1/ownership/customers/OW-CAP-2/assign", "tok-ow-boss", `{"owner":"ow-c"}`)
	require.Equal(t, 200, r.status, r.raw)
	r = s.do("POST", "/api/v1/pool/OW-CAP-3/claim", "tok-ow-c", `{}`)
	dealRefused(t, r, 422, "owner")
	require.Equal(t, "/problems/ownership_cap", r.body["type"])
	require.Contains(t, r.raw, "took on 2 customers in the last 91 days")
	require.Equal(t, "", s.ownerOf("OW-CAP-3"))
	dealRefused(t, s.do("POST", "/api/v1/ownership/customers/OW-CAP-3/assign", "tok-ow-boss", `{"owner":"ow-c"}`), 422, "owner")
	require.Equal(t, 422, s.do("POST", "/api/v1/ownership/customers/OW-CAP-3/assign", "tok-admin", `{"owner":"ow-c"}`).status,
		"an admin is held to the cap too")

	require.Equal(t, 200, s.do("POST", "/api/v1/ownership/customers/OW-CAP-1/release", "tok-ow-c", `{"reason":"not for us"}`).status)
	require.Equal(t, 422, s.do("POST", "/api/v1/pool/OW-CAP-3/claim", "tok-ow-c", `{}`).status, "a release gives no claim back")
	// Released by ow-c: the cooldown keeps them from taking it straight back.
	r = s.do("POST", "/api/v1/pool/OW-CAP-1/claim", "tok-ow-c", `{}`)
	require.Equal(t, 409, r.status, r.raw)
	require.Equal(t, "/problems/cooldown", r.body["type"])
	require.Equal(t, 403, s.do("POST", "/api/v1/pool/OW-CAP-4/claim", "tok-zhao", `{}`).status, "an assistant claims for nobody")
	// Someone else's customer is not claimable, and its owner is shown masked.
	r = s.do("POST", "/api/v1/pool/OW-CAP-2/claim", "tok-ow-b", `{}`)
	require.Equal(t, 409, r.status, r.raw)
	require.Contains(t, r.raw, "C**")
	require.Equal(t, "ow-c", s.ownerOf("OW-CAP-2"))

	// Two reps at once on one pool customer: exactly one owns it.
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, who := range []string{"ow-a", "ow-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.try("POST", "/api/v1/pool/OW-CAP-5/claim", "tok-"+who, `{}`)
			if err == nil {
				statuses[i] = r.status
			}
		}()
	}
	wg.Wait()
	require.ElementsMatch(t, []int{200, 409}, statuses)
	require.Contains(t, []string{"ow-a", "ow-b"}, s.ownerOf("OW-CAP-5"))
	ev, err := s.db.OwnershipEvents(ctx, "OW-CAP-5")
	require.NoError(t, err)
	require.Len(t, ev, 1)
}

// TestOwnershipPoolRecycleOnWorkingDays: a class C customer (20 working days,
// warned 5 before) left alone over China's National Day holidays is not
// warned on calendar days; it is warned once 15 working days have passed,
// returned to the pool after 20 (its owner told each time), and then its
// previous owner must wait out the cooldown while another rep may claim it.
func TestOwnershipPoolRecycleOnWorkingDays(t *testing.T) {
	s := ownersWorld(t)
	ctx := context.Background()
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{
		{Code: "OW-REC", Name: "Recycled Co", ValueClass: "C", Source: "manual"},
		{Code: "OW-KEPT", Name: "Kept Co", ValueClass: "C", Source: "manual"}}, nil)
	require.NoError(t, err)
	sh := func(month time.Month, day int) time.Time { return time.Date(2026, month, day, 10, 0, 0, 0, shanghai) }
	for _, code := range []string{"OW-REC", "OW-KEPT"} {
		_, err := s.db.CustomerTake(ctx, code, identity.User{ID: "ow-a", Roles: []identity.Role{identity.RoleSales}},
			"ow-boss", database.TakeAssign, "test", sh(9, 10))
		require.NoError(t, err)
	}
	run := func(at time.Time) (out database.RecycleCounts) {
		s.runTick(t, scheduler.StartPoolRecycle, at, &out, sh(10, 19), "pool_recycle.json")
		return out
	}
	warnedAt := func(code string) bool {
		ev, err := s.db.OwnershipEvents(ctx, code)
		require.NoError(t, err)
		for _, e := range ev {
			if e.Kind == "warn" {
				return true
			}
		}
		return false
	}
	// 30 September: 20 calendar days, just under 15 working days: nothing yet.
	run(sh(9, 30))
	require.False(t, warnedAt("OW-REC"))
	require.Equal(t, "ow-a", s.ownerOf("OW-REC"))
	// 12 October: 32 calendar days but, after the holidays, 17 working days:
	// warned (both), not returned.
	run(sh(10, 12))
	require.True(t, warnedAt("OW-REC"))
	require.Equal(t, "ow-a", s.ownerOf("OW-REC"))
	_, err = s.db.NotificationByKey(ctx, "pool-warn/ow-a/"+sh(10, 12).UTC().Format(time.DateOnly))
	require.NoError(t, err, "the owner was warned")
	// A call to OW-KEPT is a follow-up: its warning goes, its clock restarts.
	_, err = s.db.ActivityAdd(ctx, database.Activity{Customer: "OW-KEPT", Kind: "call", HappenedAt: sh(10, 13), By: "ow-a"})
	require.NoError(t, err)
	// 19 October: past 20 working days: OW-REC returns to the pool.
	n := run(sh(10, 19))
	require.GreaterOrEqual(t, n.Recycled, int64(1))
	require.Equal(t, "", s.ownerOf("OW-REC"))
	require.Equal(t, "ow-a", s.ownerOf("OW-KEPT"))
	_, err = s.db.NotificationByKey(ctx, "pool-recycle/ow-a/"+sh(10, 19).UTC().Format(time.DateOnly))
	require.NoError(t, err)
	require.GreaterOrEqual(t, s.auditCount("pool.recycle", sh(10, 19).UTC().Format(time.DateOnly)), 1)
	// The same moment again changes nothing more.
	again := run(sh(10, 19))
	require.Zero(t, again.Recycled)
	require.Zero(t, again.Warned)

	// The cooldown (30 days for C): ow-a may not claim it back a week later;
	// ow-b may; after the cooldown ow-a could.
	a := identity.User{ID: "ow-a", Roles: []identity.Role{identity.RoleSales}}
	_, err = s.db.CustomerTake(ctx, "OW-REC", a, "ow-a", database.TakeClaim, "", sh(10, 26))
	var re *ownership.Refused
	require.ErrorAs(t, err, &re)
	require.Equal(t, ownership.Cooldown, re.Reason)
	require.Equal(t, "", s.ownerOf("OW-REC"))
	_, err = s.db.CustomerTake(ctx, "OW-REC", identity.User{ID: "ow-b", Roles: []identity.Role{identity.RoleSales}},
		"ow-b", database.TakeClaim, "", sh(10, 26))
	require.NoError(t, err)
	require.Equal(t, "ow-b", s.ownerOf("OW-REC"))
	require.Equal(t, 403, s.do("POST", "/api/v1/ownership/recycle", "tok-ow-boss", "").status, "by hand: admins only")
}

// TestOwnershipHandoverMovesEveryOpenItem: a manager hands a leaver's
// customers, open deals and open approval steps to a successor, audited;
// anyone else (the leaver's own rep, a manager of another team) is refused
// and nothing moves.
func TestOwnershipHandoverMovesEveryOpenItem(t *testing.T) {
	s := ownersWorld(t)
	ctx := context.Background()
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{
		{Code: "OW-H1", Name: "Hand One", SalesOwner: "ow-hm", PaymentTerms: dealTestTerms, MinDiscountBP: &dealTestMinDiscount, Source: "manual"},
		{Code: "OW-H2", Name: "Hand Two", SalesOwner: "ow-hm", Source: "manual"}}, nil)
	require.NoError(t, err)
	r := s.do("POST", "/api/v1/deals", "tok-ow-hm", `{"title":"Handed","customer":{"code":"OW-H1","name":"Hand One"},"owners":{"sales":"ow-hm"}}`)
	require.Equal(t, 201, r.status, r.raw)
	dealID := r.body["id"].(string)
	// ow-hm, a sales manager, holds a step of wang's contract review.
	_, caseID := s.inContractReview(`"contract_no":"HT-OWH","amount":"100"`)
	require.True(t, s.holdsStep(caseID, "ow-hm"))

	body := `{"from":"ow-hm","to":"ow-rep","reason":"Han Mei leaves on 30 November"}`
	for _, who := range []string{"ow-rep", "ow-hm", "li", "zhao"} {
		r := s.do("POST", "/api/v1/ownership/handovers", "tok-"+who, body)
		require.Equal(t, 403, r.status, "%s: %s", who, r.raw)
	}
	dealRefused(t, s.do("POST", "/api/v1/ownership/handovers", "tok-ow-boss", `{"from":"ow-hm","to":"zhou","reason":"x"}`), 422, "to")
	dealRefused(t, s.do("POST", "/api/v1/ownership/handovers", "tok-ow-boss", `{"from":"ow-hm","to":"ow-rep"}`), 422, "reason")
	require.Equal(t, "ow-hm", s.ownerOf("OW-H1"))
	d, err := s.db.DealGet(ctx, dealID)
	require.NoError(t, err)
	require.Equal(t, "ow-hm", d.Owners.Sales)
	require.True(t, s.holdsStep(caseID, "ow-hm"))
	require.Zero(t, s.auditCount("ownership.handover", "ow-hm"))

	r = s.do("POST", "/api/v1/ownership/handovers", "tok-ow-boss", body)
	require.Equal(t, 200, r.status, r.raw)
	require.Empty(t, r.body["left"], r.raw)
	require.Equal(t, []any{"OW-H1", "OW-H2"}, r.body["customers"])
	require.Equal(t, []any{dealID}, r.body["deals"])
	require.Contains(t, r.body["approval_cases"], caseID)
	require.Equal(t, "ow-rep", s.ownerOf("OW-H1"))
	require.Equal(t, "ow-rep", s.ownerOf("OW-H2"))
	d, err = s.db.DealGet(ctx, dealID)
	require.NoError(t, err)
	require.Equal(t, "ow-rep", d.Owners.Sales)
	require.True(t, s.holdsStep(caseID, "ow-rep"))
	require.False(t, s.holdsStep(caseID, "ow-hm"))
	require.Equal(t, 1, s.auditCount("ownership.handover", "ow-hm"))
	require.Equal(t, 1, s.auditCount("deal.hand_over", dealID))
	var detail map[string]any
	require.NoError(t, s.db.AuditEach(ctx, database.AuditFilter{Action: "ownership.handover", ObjectID: "ow-hm", Limit: 1},
		func(e audit.Entry) error { return json.Unmarshal(e.Detail, &detail) }))
	require.Equal(t, "ow-rep", detail["to"])
	// The successor now sells the deal and may act on it; the leaver may not.
	s.act(dealID, "ow-rep", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	// The same handover again has nothing left to move.
	r = s.do("POST", "/api/v1/ownership/handovers", "tok-ow-boss", body)
	require.Equal(t, 200, r.status, r.raw)
	require.Empty(t, r.body["customers"])
	require.Empty(t, r.body["deals"])
}

// TestOwnershipActivitiesFeedThePoolClock: a call logged on a customer is
// its last contact; bad input names the field and logs nothing; a rep who
// does not own the customer is told it does not exist.
func TestOwnershipActivitiesFeedThePoolClock(t *testing.T) {
	s := ownersWorld(t)
	ctx := context.Background()
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{{Code: "OW-ACT", Name: "Activity Co", SalesOwner: "ow-a", Source: "manual"}}, nil)
	require.NoError(t, err)
	r := s.do("POST", "/api/v1/activities", "tok-ow-a", `{"customer":"OW-ACT","kind":"nap","happened_at":"2099-01-01T00:00:00Z","note":"x"}`)
	dealRefused(t, r, 422, "kind")
	require.Contains(t, r.raw, `"field":"happened_at"`)
	require.Equal(t, 404, s.do("POST", "/api/v1/activities", "tok-ow-b", `{"customer":"OW-ACT","kind":"call","happened_at":"2026-11-25T10:00:00+08:00"}`).status)
	dealRefused(t, s.do("POST", "/api/v1/activities", "tok-ow-a", `{"customer":"OW-ACT","deal_id":"D-999999","kind":"call","happened_at":"2026-11-25T10:00:00+08:00"}`), 422, "deal_id")
	list := s.do("GET", "/api/v1/activities?customer=OW-ACT", "tok-ow-a", "")
	require.Equal(t, 200, list.status, list.raw)
	require.Empty(t, list.body["activities"])

	r = s.do("POST", "/api/v1/activities", "tok-ow-a", `{"customer":"OW-ACT","kind":"call","happened_at":"2026-11-25T10:00:00+08:00","note":"budget next quarter"}`)
	require.Equal(t, 201, r.status, r.raw)
	require.Equal(t, 1, s.auditCount("activity.log", "OW-ACT"))
	list = s.do("GET", "/api/v1/activities?customer=OW-ACT", "tok-ow-boss", "")
	require.Len(t, list.body["activities"], 1)
	// Its owner's colleague typing its name runs into it, with that call as the last contact.
	c := s.do("POST", "/api/v1/ownership/check", "tok-ow-b", `{"name":"activity co"}`)
	require.Equal(t, 409, c.status, c.raw)
	require.Equal(t, "2026-11-25", c.body["collision"].(map[string]any)["last_contact"])
}
