package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/l2c/l2c/api"
	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/workflows"
)

// dealTestTerms are the terms of the customers dealKnownCustomer makes: NT30,
// and quotes down to 80% of list price without a discount approval.
const dealTestTerms = "NT30"

var dealTestMinDiscount = int64(8000)

// dealKnownCustomer makes sure the customer an opening names is in the
// customer master, owned by owner, since a deal must name a known customer
// its opener may see. An opening that names only a customer's name gets a
// code made from it ("T-<name>-<owner>"). A customer that exists is left as
// it is. It returns the opening with the code filled in.
func (s *stack) dealKnownCustomer(body, owner string) string {
	s.t.Helper()
	var o map[string]any
	if json.Unmarshal([]byte(body), &o) != nil {
		return body // malformed on purpose: the API answers it
	}
	c, _ := o["customer"].(map[string]any)
	if c == nil {
		return body
	}
	name, _ := c["name"].(string)
	code, _ := c["code"].(string)
	if code == "" {
		if name == "" {
			return body
		}
		code = "T-" + strings.Trim(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(name, "-"), "-") + "-" + owner
		c["code"] = code
	}
	if name == "" {
		name = code
	}
	ctx := context.Background()
	have, err := s.db.CustomerCodesExisting(ctx, []string{code})
	require.NoError(s.t, err)
	if !have[code] {
		_, err := s.db.CustomersUpsert(ctx, []database.Customer{{Code: code, Name: name, SalesOwner: owner,
			PaymentTerms: dealTestTerms, MinDiscountBP: &dealTestMinDiscount, Source: "manual"}}, nil)
		require.NoError(s.t, err)
	}
	out, err := json.Marshal(o)
	require.NoError(s.t, err)
	return string(out)
}

// dealToOrder opens a deal for wang's customer (named by dealKnownCustomer)
// and takes it to the order stage: quote, acceptance, contract approved by li.
func (s *stack) dealToOrder(title string) string {
	s.t.Helper()
	return s.dealToOrderOpened(s.open(`{"title":"` + title + `","customer":{"name":"` + title + ` Co"}}`))
}

// dealToOrderFor is dealToOrder for a deal on the customer with code.
func (s *stack) dealToOrderFor(code string) string {
	s.t.Helper()
	return s.dealToOrderOpened(s.open(`{"title":"For ` + code + `","customer":{"code":"` + code + `","name":"` + code + `"}}`))
}

func (s *stack) dealToOrderOpened(id string) string {
	s.t.Helper()
	return s.dealToOrderWith(id, "1000")
}

// dealToOrderWith is dealToOrderOpened for a contract of amount, with wang's
// actions inReview taken while the contract is in review (a collection plan).
func (s *stack) dealToOrderWith(id, amount string, inReview ...string) string {
	s.t.Helper()
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"`+amount+`"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	r := s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-`+id+`","amount":"`+amount+`","template_id":"TPL-STD"}`)
	for _, a := range inReview {
		s.act(id, "wang", 200, a)
	}
	caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	s.decide(caseID, "li", 200, `{"approve":true}`)
	// Generous: on a loaded machine the case's news can take a while to reach the deal.
	require.Eventually(s.t, func() bool { return s.get(id)["stage"] == "order" }, 30*time.Second, 20*time.Millisecond)
	return id
}

// dealSnapshot is what a refused action must leave as it was.
type dealSnapshot struct {
	Stage   any
	Owners  any
	History int
	Rest    map[string]any
}

func (s *stack) dealSnapshot(id string) dealSnapshot {
	s.t.Helper()
	d := s.get(id)
	return dealSnapshot{Stage: d["stage"], Owners: d["owners"], History: len(d["history"].([]any)), Rest: d}
}

// dealCount counts every deal row.
func (s *stack) dealCount() int {
	s.t.Helper()
	n := 0
	after := ""
	for {
		page, err := s.db.DealList(context.Background(), database.DealFilter{Viewer: database.Viewer{All: true}, After: after, Limit: 1000})
		require.NoError(s.t, err)
		n += len(page)
		if len(page) < 1000 {
			return n
		}
		after = page[len(page)-1].ID
	}
}

// dealRefused requires a refusal with status that names field (if any).
func dealRefused(t *testing.T, r reply, status int, field string) {
	t.Helper()
	require.Equal(t, status, r.status, r.raw)
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"), r.raw)
	if field != "" {
		require.Contains(t, r.raw, `"field":"`+field+`"`)
	}
}

// TestDealControlSegregationOfDuties (issue 10, item 1): wang cannot sell,
// ship, invoice and collect his own deal.
func TestDealControlSegregationOfDuties(t *testing.T) {
	s := setup(t)
	// Opening: the seller cannot own delivery or payment, and the owners must
	// hold the roles for it.
	n := s.dealCount()
	for body, field := range map[string]string{
		`{"title":"SoD","customer":{"name":"SoD Co"},"owners":{"delivery":"wang"}}`:                  "owners.delivery",
		`{"title":"SoD","customer":{"name":"SoD Co"},"owners":{"payment":"wang"}}`:                   "owners.payment",
		`{"title":"SoD","customer":{"name":"SoD Co"},"owners":{"delivery":"wu"}}`:                    "owners.delivery", // a collector
		`{"title":"SoD","customer":{"name":"SoD Co"},"owners":{"payment":"zhou"}}`:                   "owners.payment",  // delivery
		`{"title":"SoD","customer":{"name":"SoD Co"},"owners":{"discoverer":"liu","payment":"liu"}}`: "owners.payment",
	} {
		r := s.do("POST", "/api/v1/deals", "tok-wang", s.dealKnownCustomer(body, "wang"))
		dealRefused(t, r, 422, field)
	}
	require.Equal(t, n, s.dealCount(), "no deal was opened")

	id := s.dealToOrder("SoD")
	before := s.dealSnapshot(id)
	r := s.act(id, "wang", 422, `{"action":"assign_owners","delivery_owner":"wang","payment_owner":"wang"}`)
	require.Contains(t, r.raw, `"field":"delivery_owner"`)
	require.Contains(t, r.raw, `"field":"payment_owner"`)
	s.act(id, "wang", 422, `{"action":"assign_owners","delivery_owner":"li"}`) // a sales manager is no delivery owner
	s.act(id, "li", 422, `{"action":"assign_owners","payment_owner":"zhao"}`)  // nor an assistant a payment owner
	require.Equal(t, before, s.dealSnapshot(id), "the deal must be unchanged")

	// A client cannot slip the owners' roles in itself.
	r = s.act(id, "wang", 400, `{"action":"assign_owners","delivery_owner":"wang","owner_roles":{"wang":["delivery"]}}`)
	require.Contains(t, r.raw, `"field":"owner_roles"`)

	s.act(id, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	s.act(id, "wang", 200, `{"action":"place_order","kind":"stock","delivery_due":"`+future(14)+`"}`)
	// The simulator does not know this customer and refuses the order a
	// moment later; wait for that, or it lands between the snapshots below.
	s.waitOrder(id, erpStatusIs("refused"))

	before = s.dealSnapshot(id)
	for _, who := range []string{"wang", "li"} {
		s.act(id, who, 403, `{"action":"record_shipment","shipment_no":"S-1","shipped_on":"`+today()+`","final":true}`)
	}
	require.Equal(t, before, s.dealSnapshot(id), "nobody selling the deal ships it")
	s.act(id, "zhou", 200, `{"action":"record_shipment","shipment_no":"S-1","shipped_on":"`+today()+`","final":true}`)

	before = s.dealSnapshot(id)
	invoice := `{"action":"record_invoice","invoice_no":"INV-1","amount":"1000","issued_on":"` + today() + `","due_on":"` + future(30) + `"}`
	for _, who := range []string{"wang", "li", "wu"} { // wu is the payment owner but not finance
		s.act(id, who, 403, invoice)
	}
	payment := `{"action":"record_payment","payment_ref":"BANK-1","amount":"1000","received_on":"` + today() + `"}`
	require.Equal(t, before, s.dealSnapshot(id), "invoices come from finance")
	s.act(id, "sun", 200, invoice)
	before = s.dealSnapshot(id)
	for _, who := range []string{"wang", "li", "zhou"} {
		s.act(id, who, 403, payment)
	}
	require.Equal(t, before, s.dealSnapshot(id), "payments by hand come from finance or a collector")
	last := s.act(id, "wu", 200, payment)
	require.Equal(t, "closed", last.body["stage"])
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, s.workflowStatus(id))
	// A deal under the controls version, for the workflows' replay tests.
	testenv.RecordHistory(t, s.tc, workflows.DealWorkflowID(id), "deal_controls.json")
}

// dealRoute waits for the case and returns its route's stage names.
func (s *stack) dealRoute(caseID string) (map[string]any, []string) {
	s.t.Helper()
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	var stages []string
	for _, st := range c["route"].([]any) {
		stages = append(stages, st.(map[string]any)["name"].(string))
	}
	return c, stages
}

// TestDealControlRoutingFactsFromData (item 2, the facts): non-standard terms
// and non-template are worked out from the customer master and the template,
// never taken from the requester.
func TestDealControlRoutingFactsFromData(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"Facts","customer":{"name":"Facts Co"}}`) // approved terms NT30
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"5000"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	before := s.dealSnapshot(id)
	for _, f := range []string{`"nonstandard_terms":false`, `"non_template":false`, `"nonstandard_terms":true`} {
		r := s.act(id, "wang", 400, `{"action":"submit_contract","contract_no":"HT-F","amount":"5000","payment_terms":"NT180","template_id":"TPL-STD",`+f+`}`)
		field := strings.Trim(strings.Split(f, ":")[0], `"`)
		require.Contains(t, r.raw, `"field":"`+field+`"`)
		require.Contains(t, r.raw, "worked out by l2c")
	}
	require.Equal(t, before, s.dealSnapshot(id), "a refused contract changes nothing")

	r := s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-F","amount":"5000","payment_terms":"NT180","template_id":"TPL-STD"}`)
	contract := r.body["contract"].(map[string]any)
	require.Equal(t, true, contract["nonstandard_terms"], "NT180 is not the customer's NT30")
	require.Nil(t, contract["non_template"])
	_, route := s.dealRoute(contract["review"].(map[string]any)["case_id"].(string))
	require.Equal(t, []string{"sales_manager", "finance"}, route, "finance reviews terms the customer was not approved for")

	// No template: legal reviews it; the customer's own terms: finance does not.
	id2 := s.open(`{"title":"Facts","customer":{"name":"Facts Co"}}`)
	s.act(id2, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"5000"}],"valid_until":"`+future(5)+`"}`)
	s.act(id2, "wang", 200, `{"action":"accept_quote"}`)
	r = s.act(id2, "wang", 200, `{"action":"submit_contract","contract_no":"HT-F2","amount":"5000","payment_terms":"NT30"}`)
	contract = r.body["contract"].(map[string]any)
	require.Equal(t, true, contract["non_template"])
	_, route = s.dealRoute(contract["review"].(map[string]any)["case_id"].(string))
	require.Equal(t, []string{"sales_manager", "legal"}, route)
}

// TestDealControlKnownCustomerAndDiscounts (item 6): a deal names a known
// customer; the minimum-discount gate holds on every path; a contract below
// the accepted quote is reviewed as a further discount.
func TestDealControlKnownCustomerAndDiscounts(t *testing.T) {
	s := setup(t)
	n := s.dealCount()
	for _, body := range []string{
		`{"title":"No code","customer":{"name":"Anyone"}}`,
		`{"title":"Made up","customer":{"code":"MADE-UP-1","name":"Anyone"}}`,
		`{"title":"Blank","customer":{"code":"  ","name":"Anyone"}}`,
	} {
		dealRefused(t, s.do("POST", "/api/v1/deals", "tok-wang", body), 422, "customer.code")
	}
	require.Equal(t, n, s.dealCount(), "no deal was opened")

	// A customer with no minimum recorded has none approved: 90% needs approval.
	_, err := s.db.CustomersUpsert(context.Background(), []database.Customer{
		{Code: "DC-NOMIN", Name: "No Minimum", SalesOwner: "wang", PaymentTerms: "NT30", Source: "manual"}}, nil)
	require.NoError(t, err)
	id := s.open(`{"title":"90%","customer":{"code":"DC-NOMIN"}}`)
	require.Equal(t, "No Minimum", s.get(id)["customer"].(map[string]any)["name"], "the master's name")
	r := s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"discount":90,"valid_until":"`+future(5)+`"}`)
	require.Equal(t, "pending_approval", r.body["quotes"].([]any)[0].(map[string]any)["status"])
	// The history, which everyone seeing the deal reads, does not give the minimum away.
	history := r.body["history"].([]any)
	reason := history[len(history)-1].(map[string]any)["reason"].(string)
	require.Contains(t, reason, "below the customer's minimum")
	require.NotContains(t, reason, "100%")

	// A contract far below the accepted quote: a further discount.
	id = s.open(`{"title":"Undercut","customer":{"name":"Undercut Co"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":10,"unit_price":"1000"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	r = s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-U","amount":"1000","template_id":"TPL-STD"}`)
	contract := r.body["contract"].(map[string]any)
	require.Equal(t, true, contract["below_quote"])
	require.Equal(t, "10000.00", contract["quote_total"])
	c, route := s.dealRoute(contract["review"].(map[string]any)["case_id"].(string))
	require.Equal(t, []string{"sales_manager", "market_manager"}, route)
	require.Contains(t, fmt.Sprint(c["subject"]), "quote_total")
	require.Contains(t, fmt.Sprint(c["subject"]), "10000.00 CNY")

	// Within a rounding unit of the quote is not a discount.
	id = s.open(`{"title":"Rounded","customer":{"name":"Undercut Co"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":3,"unit_price":"33.33"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	r = s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-R","amount":"99.50","template_id":"TPL-STD"}`)
	require.Nil(t, r.body["contract"].(map[string]any)["below_quote"])
}

// TestDealControlNamingACustomerRevealsNothing (item 7): naming another rep's
// customer on a new deal is refused like an unknown one, and a deal its
// viewer made never opens a customer to them.
func TestDealControlNamingACustomerRevealsNothing(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	bp := int64(7000)
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{
		{Code: "DC-LIU", Name: "Liu's Customer", SalesOwner: "liu", PaymentTerms: "NT45", MinDiscountBP: &bp, Source: "manual"}}, nil)
	require.NoError(t, err)
	require.Equal(t, 404, s.do("GET", "/api/v1/customers/DC-LIU", "tok-wang", "").status)

	n := s.dealCount()
	theirs := s.do("POST", "/api/v1/deals", "tok-wang", `{"title":"Peek","customer":{"code":"DC-LIU","name":"x"}}`)
	unknown := s.do("POST", "/api/v1/deals", "tok-wang", `{"title":"Peek","customer":{"code":"DC-NONE","name":"x"}}`)
	dealRefused(t, theirs, 422, "customer.code")
	require.Equal(t, strings.ReplaceAll(unknown.raw, "DC-NONE", "DC-LIU"), theirs.raw, "the same answer as for no such customer")
	require.Equal(t, n, s.dealCount())
	require.Equal(t, 404, s.do("GET", "/api/v1/customers/DC-LIU/receivables", "tok-wang", "").status)

	// A deal from before the controls, made by wang on liu's customer with
	// himself as payment owner, opens nothing to him.
	now := time.Now().UTC().Truncate(time.Microsecond)
	legacyID, err := s.db.DealNextID(ctx)
	require.NoError(t, err)
	legacy := deal.Deal{ID: legacyID, Title: "Legacy", Customer: deal.Customer{Code: "DC-LIU", Name: "Liu's Customer"},
		Currency: "CNY", Owners: deal.Owners{Discoverer: "wang", Sales: "wang", Delivery: "wang", Payment: "wang"},
		Stage: deal.StageOpportunity, StageEnteredAt: now, Holder: "wang", CreatedBy: "wang", CreatedAt: now, Version: 1,
		Quotes: []deal.Quote{}, Shipments: []deal.Shipment{}, Invoices: []deal.Invoice{}, Payments: []deal.Payment{}}
	_, err = s.db.DealSave(ctx, legacy, deal.HistoryEntry{Seq: 1, Action: "open", Actor: "wang", To: deal.StageOpportunity, At: now}, nil)
	require.NoError(t, err)
	require.Equal(t, 404, s.do("GET", "/api/v1/customers/DC-LIU", "tok-wang", "").status)
	require.Equal(t, 404, s.do("GET", "/api/v1/customers/DC-LIU/receivables", "tok-wang", "").status)
	list := s.do("GET", "/api/v1/customers?limit=500", "tok-wang", "")
	require.Equal(t, 200, list.status)
	require.NotContains(t, list.raw, "DC-LIU")

	// The delivery owner sees the deal, not the customer's minimum discount
	// (neither on the quote nor in the history of a quote that needed approval).
	id := s.dealToOrder("MinHidden")
	d := s.get(id)
	require.NotNil(t, d["quotes"].([]any)[0].(map[string]any)["min_discount"], "wang owns the customer")
	s.act(id, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	for _, path := range []string{"/api/v1/deals/" + id, "/api/v1/deals/" + id + "/live"} {
		r := s.do("GET", path, "tok-zhou", "")
		require.Equal(t, 200, r.status, r.raw)
		require.NotContains(t, r.raw, "min_discount", path)
	}
}

// TestDealControlIdempotencyKeys (item 15): a key is bound to its request.
func TestDealControlIdempotencyKeys(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"Keys","customer":{"name":"Keys Co"}}`)
	send := func(token, key, body string) reply {
		return apprDoKey(t, s, "POST", "/api/v1/deals/"+id+"/actions", token, key, body)
	}
	quote := `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"` + future(5) + `"}`
	key := "key-" + id
	require.Equal(t, 200, send("tok-wang", key, quote).status)
	before := s.dealSnapshot(id)
	audited := func() int {
		r := s.do("GET", "/api/v1/audit?limit=1000&object_type=deal&object_id="+id, "tok-admin", "")
		require.Equal(t, 200, r.status, r.raw)
		return strings.Count(r.raw, `"action":"deal.submit_quote"`)
	}
	require.Equal(t, 1, audited())

	for _, c := range []struct{ token, body string }{
		{"tok-wang", `{"action":"accept_quote"}`},                // another action
		{"tok-wang", strings.Replace(quote, `"100"`, `"90"`, 1)}, // another body
		{"tok-li", quote}, // another person
	} {
		r := send(c.token, key, c.body)
		dealRefused(t, r, 422, "Idempotency-Key")
	}
	require.Equal(t, before, s.dealSnapshot(id), "nothing changed")

	r := send("tok-wang", key, quote) // a true retry
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, before, s.dealSnapshot(id), "the first outcome, not a second quote")
	require.Equal(t, 1, audited(), "a replay is not audited again")

	// The request that ends the deal, retried once the deal is lost: the first
	// outcome again, not "no further action is possible"; and its key still
	// refuses any other request.
	lose := `{"action":"mark_lost","reason":"budget cut"}`
	lostKey := "lost-" + id
	require.Equal(t, 200, send("tok-wang", lostKey, lose).status)
	lost := s.dealSnapshot(id)
	r = send("tok-wang", lostKey, lose)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "lost", r.body["stage"])
	dealRefused(t, send("tok-wang", lostKey, `{"action":"mark_lost","reason":"other"}`), 422, "Idempotency-Key")
	require.Equal(t, lost, s.dealSnapshot(id), "nothing changed")
	r = s.do("GET", "/api/v1/audit?limit=1000&object_type=deal&object_id="+id, "tok-admin", "")
	require.Equal(t, 1, strings.Count(r.raw, `"action":"deal.mark_lost"`), "a replay is not audited again")
}

// TestDealControlAuditWithTheTransition (item 9): each transition's audit
// entry is written with it, including the ERP's, as the system.
func TestDealControlAuditWithTheTransition(t *testing.T) {
	s := setup(t)
	customer := s.dealERPCustomer("Audited Co")
	so := s.dealERPOrder(customer)
	id := s.dealToOrderFor(customer)
	s.act(id, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	s.act(id, "wang", 200, `{"action":"place_order","kind":"stock","delivery_due":"`+future(14)+`","erp_order_no":"`+so+`"}`)
	inv := &deal.Invoice{Number: "ERP-INV-" + id, Amount: 100000, IssuedOn: deal.DateOf(time.Now()), DueOn: deal.DateOf(time.Now().AddDate(0, 0, 30))}
	// The deal takes an invoice only as l2c's copy of the ERP's data holds it.
	_, err := s.db.InvoicesUpsert(context.Background(), []database.ERPInvoice{{Number: inv.Number, CustomerCode: customer,
		SalesOrder: so, Amount: int64(inv.Amount), Currency: "CNY", IssuedOn: time.Date(inv.IssuedOn.Year, time.Month(inv.IssuedOn.Month), inv.IssuedOn.Day, 0, 0, 0, 0, time.UTC),
		DueOn: time.Date(inv.DueOn.Year, time.Month(inv.DueOn.Month), inv.DueOn.Day, 0, 0, 0, 0, time.UTC), ERPChangedAt: time.Now()}}, nil)
	require.NoError(t, err)
	require.NoError(t, s.tc.SignalWorkflow(context.Background(), workflows.DealWorkflowID(id), "", workflows.DealERPSignal,
		workflows.ERPRecord{Invoice: inv}))
	require.Eventually(t, func() bool { return len(s.get(id)["invoices"].([]any)) == 1 }, 10*time.Second, 20*time.Millisecond)

	r := s.do("GET", "/api/v1/audit?limit=1000&object_type=deal&object_id="+id, "tok-admin", "")
	require.Equal(t, 200, r.status, r.raw)
	var page struct {
		Entries []struct {
			Seq           int64
			Actor, Action string
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.raw), &page), r.raw)
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.Actor+" "+e.Action)
	}
	history := s.get(id)["history"].([]any)
	require.Len(t, got, len(history), "one entry per transition: %v", got)
	require.Contains(t, got, "wang deal.open")
	require.Contains(t, got, "li deal.review_approved")
	require.Contains(t, got, "system deal.erp_invoice")
	// The chain verifies across this deal's entries. (Other tests' routers
	// may write with another key; their faults are theirs.)
	v := s.do("GET", "/api/v1/audit/verify", "tok-admin", "")
	require.Equal(t, 200, v.status, v.raw)
	for _, e := range page.Entries {
		require.NotContains(t, v.raw, fmt.Sprintf("entry %d ", e.Seq), "entry %d of %s verifies", e.Seq, id)
	}
}

// dealReportText downloads report name as user and returns the text of its
// first sheet's cells, one row a line.
func (s *stack) dealReportText(name, user string) string {
	s.t.Helper()
	r := s.do("GET", "/api/v1/reports/"+name+"?lang=en", "tok-"+user, "")
	require.Equal(s.t, 200, r.status, "%s as %s: %s", name, user, r.raw)
	f, err := excelize.OpenReader(bytes.NewReader([]byte(r.raw)))
	require.NoError(s.t, err)
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	require.NoError(s.t, err)
	var b strings.Builder
	for _, row := range rows {
		b.WriteString(strings.Join(row, "\t") + "\n")
	}
	return b.String()
}

// TestDealControlReportsFollowVisibility (item 8): an export holds only what
// its viewer may see in the API.
func TestDealControlReportsFollowVisibility(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	id := s.open(`{"title":"Reported","customer":{"name":"Reported Co"}}`)
	require.Equal(t, 404, s.do("GET", "/api/v1/deals/"+id, "tok-he", "").status)

	require.NotContains(t, s.dealReportText("pipeline", "he"), id, "he may not see wang's deal")
	require.Contains(t, s.dealReportText("pipeline", "li"), id, "li manages wang")
	require.Contains(t, s.dealReportText("pipeline", "sun"), id, "finance sees every deal")
	require.NotContains(t, s.dealReportText("pipeline", "liu"), id, "nor another rep")

	// An invoice owed on a deal of wang's customer.
	code := "T-Receivable-Co-wang"
	s.dealKnownCustomer(`{"customer":{"code":"`+code+`","name":"Receivable Co"}}`, "wang")
	now := time.Now().UTC().Truncate(time.Microsecond)
	owed, err := s.db.DealNextID(ctx)
	require.NoError(t, err)
	contract := &deal.Contract{Number: "HT-" + owed, Amount: 500000, Review: deal.Review{Status: deal.ReviewApproved, Round: 1,
		RequestedBy: "wang", RequestedAt: now}}
	d := deal.Deal{ID: owed, Title: "Owed", Customer: deal.Customer{Code: code, Name: "Receivable Co"}, Currency: "CNY",
		Owners: deal.Owners{Discoverer: "wang", Sales: "wang", Delivery: "zhou", Payment: "wu"},
		Stage:  deal.StagePaymentCollection, StageEnteredAt: now, Holder: "wu", CreatedBy: "wang", CreatedAt: now, Version: 1,
		Contract: contract, Quotes: []deal.Quote{}, Shipments: []deal.Shipment{}, Payments: []deal.Payment{},
		Invoices: []deal.Invoice{{Number: "INV-" + owed, Amount: 500000, IssuedOn: deal.DateOf(now.AddDate(0, 0, -40)),
			DueOn: deal.DateOf(now.AddDate(0, 0, -10)), RecordedBy: "sun", RecordedAt: now}}}
	_, err = s.db.DealSave(ctx, d, deal.HistoryEntry{Seq: 1, Action: "open", Actor: "wang", To: d.Stage, At: now}, nil)
	require.NoError(t, err)
	for user, sees := range map[string]bool{"he": false, "li": true, "sun": true, "wu": true} {
		text := s.dealReportText("receivables-ageing", user)
		if sees {
			require.Contains(t, text, code, user)
			require.Contains(t, text, owed, user)
		} else {
			require.NotContains(t, text, code, user)
			require.NotContains(t, text, owed, user)
		}
	}

	// A step held by finance on wang's deal: he neither sees the deal nor holds it.
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	r := s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-`+id+`","amount":"100","payment_terms":"NT180","template_id":"TPL-STD"}`)
	caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	s.decide(caseID, "li", 200, `{"approve":true}`)
	s.waitCase(caseID, func(c map[string]any) bool { return strings.Join(holders(c), ",") == "sun" })
	require.NotContains(t, s.dealReportText("stuck-reviews", "he"), caseID)
	require.Contains(t, s.dealReportText("stuck-reviews", "sun"), caseID)

	// The sync runs are the sync's administrators' (as in the API).
	require.Equal(t, 403, s.do("GET", "/api/v1/reports/sync-runs", "tok-he", "").status)
	require.Equal(t, 403, s.do("GET", "/api/v1/sync/runs", "tok-he", "").status)
}

// dealERPCustomer creates a customer in the ERP simulator and the same one in
// l2c's customer master, owned by wang, and returns its code.
func (s *stack) dealERPCustomer(name string) string {
	s.t.Helper()
	ctx := context.Background()
	c, err := s.erp.CreateCustomer(ctx, connectors.Idempotency{Key: "deal-test/" + name + "/" + time.Now().Format(time.RFC3339Nano),
		FirstSent: time.Now()}, connectors.NewCustomer{Name: name, City: "Suzhou", Currency: "CNY", PaymentTerms: dealTestTerms})
	require.NoError(s.t, err)
	_, err = s.db.CustomersUpsert(ctx, []database.Customer{{Code: c.Code, Name: name, SalesOwner: "wang",
		PaymentTerms: dealTestTerms, MinDiscountBP: &dealTestMinDiscount, Source: "erp"}}, nil)
	require.NoError(s.t, err)
	return c.Code
}

// dealERPOrder places an order for customer in the ERP simulator and returns its number.
func (s *stack) dealERPOrder(customer string) string {
	s.t.Helper()
	ref := fmt.Sprintf("PO-%d", time.Now().UnixNano()%1e9)
	o, err := s.erp.CreateSalesOrder(context.Background(), connectors.Idempotency{Key: "deal-test/" + ref, FirstSent: time.Now()},
		connectors.NewSalesOrder{Customer: customer, CustomerRef: ref, Currency: "CNY", Items: []connectors.OrderItem{{Material: "M", Quantity: 1}}})
	require.NoError(s.t, err)
	return o.Number
}

// dealOrdersDown is an ERP that cannot be reached.
type dealOrdersDown struct{}

func (dealOrdersDown) ReadSalesOrder(context.Context, string) (connectors.SalesOrder, error) {
	return connectors.SalesOrder{}, &connectors.Error{Kind: connectors.ErrUnavailable, Op: "read sales order", Status: 503}
}

// TestDealControlERPOrderNumberIsChecked (item 14): an order number a person
// types must be an ERP order of the deal's customer, and no other deal's.
func TestDealControlERPOrderNumberIsChecked(t *testing.T) {
	s := setup(t)
	mine, theirs := s.dealERPCustomer("Order Check Co"), s.dealERPCustomer("Someone Else Co")
	id := s.open(`{"title":"Order check","customer":{"code":"` + mine + `","name":"Order Check Co"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	r := s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-`+id+`","amount":"100","template_id":"TPL-STD"}`)
	caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	s.decide(caseID, "li", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
	s.act(id, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	before := s.dealSnapshot(id)
	order := func(no string) string {
		return `{"action":"place_order","kind":"stock","delivery_due":"` + future(14) + `","erp_order_no":"` + no + `"}`
	}
	for _, no := range []string{"9999999999", s.dealERPOrder(theirs), "../x"} {
		r := s.act(id, "wang", 422, order(no))
		require.Contains(t, r.raw, `"field":"erp_order_no"`)
	}
	require.Equal(t, before, s.dealSnapshot(id), "nothing changed")

	// The ERP down: 503, nothing changed.
	down := httptest.NewServer(api.NewRouter(api.Deps{DB: s.db, Temporal: s.tc, Location: shanghai, Log: discard(),
		Audit: testenv.AuditChain(s.t), Limits: api.NewLimits(1e6, 1e6), Orders: dealOrdersDown{}}))
	defer down.Close()
	r = mustSend(t, "POST", down.URL+"/api/v1/deals/"+id+"/actions", "tok-wang", "application/json",
		strings.NewReader(order(s.dealERPOrder(mine))))
	require.Equal(t, 503, r.status, r.raw)
	require.Contains(t, r.raw, `"field":"erp_order_no"`)
	require.Equal(t, before, s.dealSnapshot(id), "nothing changed")

	no := s.dealERPOrder(mine)
	r = s.act(id, "wang", 200, order(no))
	require.Equal(t, no, r.body["order"].(map[string]any)["erp_number"])

	// The same order on a second deal of the customer is refused.
	id2 := s.dealToOrderFor(mine)
	s.act(id2, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	r = s.act(id2, "wang", 422, order(no))
	require.Contains(t, r.raw, "another deal")
}

func (s *stack) dealChain() audit.Chain { return testChain(s.t) }
