package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/api"
	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
	"github.com/l2c/l2c/internal/wiring"
	"github.com/l2c/l2c/workflows"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// staff are the test users; each one's token is "tok-<id>".
var staff = []identity.User{
	{ID: "wang", Name: "Wang", Roles: []identity.Role{identity.RoleSales}},
	{ID: "liu", Name: "Liu", Roles: []identity.Role{identity.RoleSales}},
	{ID: "li", Name: "Li", Roles: []identity.Role{identity.RoleSalesManager}},
	{ID: "he", Name: "He", Roles: []identity.Role{identity.RoleSalesManager}},
	{ID: "zhou", Name: "Zhou", Roles: []identity.Role{identity.RoleDelivery}},
	{ID: "wu", Name: "Wu", Roles: []identity.Role{identity.RoleCollector}},
	{ID: "sun", Name: "Sun", Roles: []identity.Role{identity.RoleFinance}},
	{ID: "admin", Name: "Admin", Roles: []identity.Role{identity.RoleAdmin}},
	{ID: "chen", Name: "Chen", Roles: []identity.Role{identity.RoleMarketManager}},
	{ID: "zhao", Name: "Zhao", Roles: []identity.Role{identity.RoleSalesAssistant}},
}

// managers: wang reports to li.
var managers = map[string]string{"wang": "li"}

type stack struct {
	t      testing.TB
	url    string
	tc     client.Client
	db     *database.DB
	erp    *sap.Client // the ERP simulator, as the worker reaches it
	sim    *erpsim.Sim // the simulator itself: its faults, orders and shipments
	simURL string
	worker worker.Worker // the in-process worker (the fault test runs one in a child instead)
}

// testChain is the audit chain of the tests' l2c, whose key also signs the
// workflows' Updates: every worker of the tests (the child's too) uses it.
func testChain(t testing.TB) audit.Chain {
	return testenv.AuditChain(t)
}

// simClient is the worker's connector to the ERP simulator at url.
func simClient(t testing.TB, url string, log *slog.Logger) *sap.Client {
	erp, err := sap.New(sap.Config{BaseURL: url, Username: "L2C_COMM", Password: "sim-secret",
		MinDiscountField: erpsim.DefaultMinDiscountField, CreditLimitField: erpsim.DefaultCreditLimitField, Log: log})
	require.NoError(t, err)
	return erp
}

// stackWorker is a worker of the tests' l2c with every workflow and activity,
// as `l2c worker` registers them, reading orders' shipments every poll.
// sticky is how long a workflow's task waits for this worker before any
// other may take it.
func stackWorker(tc client.Client, db *database.DB, chain audit.Chain, erp *sap.Client, log *slog.Logger, poll, sticky time.Duration) worker.Worker {
	return stackWorkerWith(tc, db, chain, erp, log, &activities.Deliveries{ShipmentPoll: poll, WatchHeartbeat: 10 * time.Second},
		worker.Options{StickyScheduleToStartTimeout: sticky})
}

// stackWorkerWith is stackWorker following deliveries as d says, with opts.
func stackWorkerWith(tc client.Client, db *database.DB, chain audit.Chain, erp *sap.Client, log *slog.Logger, d *activities.Deliveries,
	opts worker.Options) worker.Worker {
	w := worker.New(tc, workflows.TaskQueue, opts)
	wiring.Register(w, wiring.Deps{DB: db, Log: log, Audit: chain, RuleEditWindow: activities.DefaultRuleEditWindow, Location: shanghai,
		ERP: &activities.ERP{Conn: erp, DB: db, Temporal: tc, Log: log}, Deliveries: d})
	return w
}

var shared testenv.Shared[stack]

// setup gives every test the same running l2c: API, worker, PostgreSQL and
// Temporal, all real. Tests keep out of each other's way by using their own deals.
func setup(t testing.TB) *stack {
	s := *shared.Get(t, func() *stack {
		ctx := context.Background()
		db, err := database.Open(ctx, testenv.DatabaseURL(t))
		require.NoError(t, err)
		testenv.AddUsers(t, db, staff...)
		for u, m := range managers {
			var user identity.User
			for _, s := range staff {
				if s.ID == u {
					user = s
				}
			}
			require.NoError(t, db.UserUpsert(ctx, user, m, ""))
		}
		tc := testenv.TemporalClient(t)
		// Errors only: a failing request shows why, a passing run stays quiet.
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		chain := testChain(t)
		// Changes of terms are written to the ERP simulator.
		simulator := erpsim.New(erpsim.Options{Log: log})
		sim := httptest.NewServer(simulator.Handler())
		erp := simClient(t, sim.URL, log)
		// A loaded test machine can take seconds to pick up a sticky task; the
		// default 5 s then sends it to the normal queue, and the pinned dev
		// server can lose a speculative (update) task on that path ("premature
		// end of stream"). A longer wait keeps tasks on the worker that has them.
		w := stackWorker(tc, db, chain, erp, log, 100*time.Millisecond, time.Minute)
		require.NoError(t, w.Start())
		srv := httptest.NewServer(api.NewRouter(api.Deps{DB: db, Temporal: tc, Location: shanghai, Log: log, Audit: chain,
			Limits: api.NewLimits(1e6, 1e6), // the tests' own pace; TestRateLimits checks the limits
			Orders: erp}))                   // order numbers are checked against the simulator
		return &stack{url: srv.URL, tc: tc, db: db, erp: erp, sim: simulator, simURL: sim.URL, worker: w}
	})
	s.t = t
	return &s
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (s *stack) do(method, path, token, body string) reply {
	s.t.Helper()
	r, err := s.try(method, path, token, body)
	require.NoError(s.t, err)
	return r
}

// try is do without failing the test, for use inside require.Eventually.
func (s *stack) try(method, path, token, body string) (reply, error) {
	contentType := ""
	if body != "" {
		contentType = "application/json"
	}
	return send(method, s.url+path, token, contentType, strings.NewReader(body))
}

// send makes one request to any server of a test (the shared stack, a
// replica, a router of its own): token as a bearer token and contentType
// when set, further headers as name, value pairs. It keeps the answer's body
// raw and, when it is JSON, decoded.
func send(method, url, token, contentType string, body io.Reader, header ...string) (reply, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return reply{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r, nil
}

// mustSend is send, failing the test when the request gets no answer.
func mustSend(t testing.TB, method, url, token, contentType string, body io.Reader, header ...string) reply {
	t.Helper()
	r, err := send(method, url, token, contentType, body, header...)
	require.NoError(t, err)
	return r
}

// act posts an action as user and requires the given status.
func (s *stack) act(id, user string, status int, body string) reply {
	s.t.Helper()
	r := s.do("POST", "/api/v1/deals/"+id+"/actions", "tok-"+user, body)
	require.Equal(s.t, status, r.status, "%s by %s: %s", body, user, r.raw)
	return r
}

func (s *stack) open(body string) string {
	s.t.Helper()
	body = s.dealKnownCustomer(body, "wang") // a deal names a customer l2c knows
	r := s.do("POST", "/api/v1/deals", "tok-wang", body)
	require.Equal(s.t, http.StatusCreated, r.status, r.raw)
	id := r.body["id"].(string)
	require.Equal(s.t, "/api/v1/deals/"+id, r.header.Get("Location"))
	return id
}

func (s *stack) get(id string) map[string]any {
	s.t.Helper()
	r := s.do("GET", "/api/v1/deals/"+id, "tok-wang", "")
	require.Equal(s.t, http.StatusOK, r.status, r.raw)
	return r.body
}

func (s *stack) workflowStatus(id string) enumspb.WorkflowExecutionStatus {
	s.t.Helper()
	var status enumspb.WorkflowExecutionStatus
	require.Eventually(s.t, func() bool {
		d, err := s.tc.DescribeWorkflowExecution(context.Background(), workflows.DealWorkflowID(id), "")
		if err != nil {
			return false
		}
		status = d.WorkflowExecutionInfo.Status
		return status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}, 10*time.Second, 50*time.Millisecond)
	return status
}

func future(days int) string {
	return time.Now().In(shanghai).AddDate(0, 0, days).Format(time.DateOnly)
}
func today() string { return time.Now().In(shanghai).Format(time.DateOnly) }

func TestFullDealFromOpportunityToPaid(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"CNC spindles","customer":{"code":"` + s.dealERPCustomer("Suzhou Parts") + `","name":"Suzhou Parts"},"expected_amount":"48000"}`)
	require.Equal(t, "opportunity", s.get(id)["stage"])

	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"SP-1","quantity":4,"unit_price":"12000"}],"discount":"90%","valid_until":"`+future(30)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"HT-2026-001","amount":"43200.00","template_id":"TPL-STD"}`)
	contract := s.get(id)["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	s.waitCase(contract, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	s.decide(contract, "li", 200, `{"approve":true,"note":"terms standard"}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
	s.act(id, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	s.act(id, "wang", 200, `{"action":"place_order","kind":"stock","delivery_due":"`+future(14)+`","erp_order_no":"`+s.dealERPOrder(s.get(id)["customer"].(map[string]any)["code"].(string))+`"}`)
	s.act(id, "zhou", 200, `{"action":"record_shipment","shipment_no":"S-1","shipped_on":"`+today()+`","final":true}`)
	s.act(id, "sun", 200, `{"action":"record_invoice","invoice_no":"INV-1","amount":"43200","issued_on":"`+today()+`","due_on":"`+future(30)+`"}`)
	s.act(id, "wu", 200, `{"action":"record_payment","payment_ref":"BANK-1","amount":"20000","received_on":"`+today()+`"}`)
	last := s.act(id, "wu", 200, `{"action":"record_payment","payment_ref":"BANK-2","amount":"23200","received_on":"`+today()+`","invoice_no":"INV-1"}`)

	require.Equal(t, "closed", last.body["stage"])
	d := s.get(id)
	require.Equal(t, "closed", d["stage"])
	require.NotNil(t, d["closed_at"])
	require.Equal(t, "43200.00", d["quotes"].([]any)[0].(map[string]any)["net_total"], "4×12000 at 90%")
	history := d["history"].([]any)
	require.Len(t, history, 11)
	first, final := history[0].(map[string]any), history[10].(map[string]any)
	require.Equal(t, "open", first["action"])
	require.Equal(t, "wang", first["actor"])
	require.Equal(t, "review_approved", history[4].(map[string]any)["action"])
	require.Equal(t, "li", history[4].(map[string]any)["actor"])
	require.Equal(t, "payment_collection", final["from"])
	require.Equal(t, "closed", final["to"])
	require.Equal(t, "wu", final["actor"])
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, s.workflowStatus(id))
}

func TestLostDeal(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"Presses (tender)","customer":{"name":"Ningbo Auto"},"tendered":true}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"HP-9","quantity":1,"unit_price":"900000"}],"valid_until":"`+future(10)+`"}`)
	r := s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	require.Equal(t, "bid", r.body["stage"], "a tendered deal goes through the bid")
	r = s.act(id, "wang", 200, `{"action":"record_bid","result":"lost","reason":"a competitor bid 8% lower","bid_no":"ZB-77"}`)
	require.Equal(t, "lost", r.body["stage"])
	require.Equal(t, "bid lost: a competitor bid 8% lower", r.body["lost_reason"])
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, s.workflowStatus(id))
	p := s.act(id, "wang", 409, `{"action":"mark_lost","reason":"again"}`)
	require.Contains(t, p.body["detail"], "is lost")
}

// TestBadInputChangesNothing sends each kind of bad request to one deal and
// checks the answer names the problem and the deal is exactly as it was.
func TestBadInputChangesNothing(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"Gearboxes","customer":{"name":"Wuxi Textile"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"GB-2","quantity":2,"unit_price":"5000"}],"valid_until":"`+future(20)+`"}`)
	before := s.get(id)

	cases := []struct {
		name, user, path, body string
		status                 int
		kind                   string
		field                  string // a field the answer must name, if any
	}{
		{"unknown action", "wang", "", `{"action":"sing"}`, 400, "unknown_action", ""},
		{"no action", "wang", "", `{}`, 400, "unknown_action", "action"},
		{"wrong person", "sun", "", `{"action":"accept_quote"}`, 403, "forbidden", ""},
		{"another rep's deal", "liu", "", `{"action":"accept_quote"}`, 404, "not_found", ""},
		{"approval with nothing in review", "li", "", `{"action":"approve_contract"}`, 409, "wrong_stage", ""},
		{"wrong stage", "wang", "", `{"action":"record_shipment","shipment_no":"S","shipped_on":"` + today() + `"}`, 409, "wrong_stage", ""},
		{"missing field", "wang", "", `{"action":"submit_quote","lines":[{"sku":"GB-2","quantity":1,"unit_price":"1"}]}`, 422, "invalid", "valid_until"},
		{"bad line", "wang", "", `{"action":"submit_quote","lines":[{"sku":"","quantity":-1,"unit_price":"1"}],"valid_until":"` + future(3) + `"}`, 422, "invalid", "lines[0].quantity"},
		{"past date", "wang", "", `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"1"}],"valid_until":"2020-01-01"}`, 422, "invalid", "valid_until"},
		{"unknown owner", "wang", "", `{"action":"assign_owners","delivery_owner":"nobody"}`, 422, "invalid", "delivery_owner"},
		{"lost without reason", "wang", "", `{"action":"mark_lost"}`, 422, "invalid", "reason"},
		{"malformed JSON", "wang", "", `{"action":"accept_quote"`, 400, "malformed_json", ""},
		{"not JSON", "wang", "", `action=accept_quote`, 400, "malformed_json", ""},
		{"unknown field", "wang", "", `{"action":"accept_quote","approve":true}`, 400, "malformed_json", "approve"},
		{"wrong type", "wang", "", `{"action":"submit_quote","lines":[{"sku":"A","quantity":"two","unit_price":"1"}]}`, 400, "malformed_json", "lines.quantity"},
		{"two objects", "wang", "", `{"action":"accept_quote"}{"action":"accept_quote"}`, 400, "malformed_json", ""},
		{"unknown deal", "wang", "/api/v1/deals/D-999999/actions", `{"action":"accept_quote"}`, 404, "not_found", ""},
		{"no token", "", "", `{"action":"accept_quote"}`, 401, "unauthenticated", ""},
		{"bad token", "mallory", "", `{"action":"accept_quote"}`, 401, "unauthenticated", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.t = t
			path := c.path
			if path == "" {
				path = "/api/v1/deals/" + id + "/actions"
			}
			token := ""
			if c.user != "" {
				token = "tok-" + c.user
			}
			r := s.do("POST", path, token, c.body)
			require.Equal(t, c.status, r.status, r.raw)
			require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			require.Equal(t, "/problems/"+c.kind, r.body["type"], r.raw)
			require.NotEmpty(t, r.body["detail"])
			if c.field != "" {
				require.Contains(t, r.raw, `"field":"`+c.field+`"`)
			}
			require.Equal(t, before, s.get(id), "the deal must be unchanged")
		})
	}
}

// TestNobodyApprovesTheirOwnRequest: a sales manager who submits a contract for
// review is never among its approvers; another manager decides.
func TestNobodyApprovesTheirOwnRequest(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"Own","customer":{"name":"O"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"100"}],"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	r := s.act(id, "li", 200, `{"action":"submit_contract","contract_no":"C-9","amount":"100","template_id":"TPL-STD"}`)
	caseID := r.body["contract"].(map[string]any)["review"].(map[string]any)["case_id"].(string)
	c := s.waitCase(caseID, func(c map[string]any) bool { return len(c["holders"].([]any)) > 0 })
	require.Equal(t, []string{"he"}, holders(c), "li requested it, so only he reviews")
	p := s.decide(caseID, "li", 403, `{"approve":true}`)
	require.Contains(t, p.body["detail"], "requested this review")
	s.decide(caseID, "he", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(id)["stage"] == "order" }, 10*time.Second, 20*time.Millisecond)
}

func TestCreateRejectsBadDeals(t *testing.T) {
	s := setup(t)
	for body, field := range map[string]string{
		`{"customer":{"name":"X"}}`:                                           "title",
		`{"title":"T","customer":{"name":"X"},"currency":"BTC"}`:              "currency",
		`{"title":"T","customer":{"name":"X"},"owners":{"delivery":"ghost"}}`: "owners.delivery",
		`{"title":"T","customer":{"name":"X"},"expected_amount":"1.001"}`:     "",
	} {
		r := s.do("POST", "/api/v1/deals", "tok-wang", body)
		require.Contains(t, []int{400, 422}, r.status, body+" → "+r.raw)
		if field != "" {
			require.Contains(t, r.raw, `"field":"`+field+`"`, body)
		}
	}
	r := s.do("POST", "/api/v1/deals", "tok-sun", `{"title":"T","customer":{"name":"X"},"owners":{"sales":"wang"}}`)
	require.Equal(t, 403, r.status, "finance does not open deals")
}

// TestConcurrentActionsOneWins: ten people accept the same quote at once;
// the workflow serialises them, exactly one moves the deal and the rest are told why not.
func TestConcurrentActionsOneWins(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"Race","customer":{"name":"R"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"1"}],"valid_until":"`+future(5)+`"}`)
	statuses := make([]int, 10)
	testenv.InParallel(len(statuses), len(statuses), func(i int) {
		if r, err := send("POST", s.url+"/api/v1/deals/"+id+"/actions", "tok-wang", "", strings.NewReader(`{"action":"accept_quote"}`)); err == nil {
			statuses[i] = r.status
		}
	})
	won := 0
	for _, st := range statuses {
		require.Contains(t, []int{200, 409}, st)
		if st == 200 {
			won++
		}
	}
	require.Equal(t, 1, won, "statuses: %v", statuses)
	require.Len(t, s.get(id)["history"], 3)
}

// TestLiveViewAgreesWithDatabase: the workflow's own view of a deal and the
// recorded one are the same, field for field.
func TestLiveViewAgreesWithDatabase(t *testing.T) {
	s := setup(t)
	id := s.open(`{"title":"Agree","customer":{"name":"A"},"owners":{"delivery":"zhou"}}`)
	s.act(id, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":3,"unit_price":"10.10"}],"discount":85,"valid_until":"`+future(5)+`"}`)
	s.act(id, "wang", 200, `{"action":"accept_quote"}`)
	s.act(id, "wang", 200, `{"action":"submit_contract","contract_no":"C-1","amount":"25.75","template_id":"TPL-STD"}`)
	recorded := s.get(id)
	// The history and the collection plan (with its dunning and promises) are
	// l2c's records beside the deal, not the workflow's state.
	delete(recorded, "history")
	delete(recorded, "collection")
	live := s.do("GET", "/api/v1/deals/"+id+"/live", "tok-wang", "")
	require.Equal(t, 200, live.status, live.raw)
	require.Equal(t, recorded, live.body)
}

func TestListFiltersByStageAndOwner(t *testing.T) {
	s := setup(t)
	mine := s.open(`{"title":"Mine","customer":{"name":"M"},"owners":{"payment":"wu"}}`)
	theirs := s.do("POST", "/api/v1/deals", "tok-liu", s.dealKnownCustomer(`{"title":"Theirs","customer":{"name":"T"}}`, "liu"))
	require.Equal(t, 201, theirs.status, theirs.raw)
	s.act(mine, "wang", 200, `{"action":"submit_quote","lines":[{"sku":"A","quantity":1,"unit_price":"1"}],"valid_until":"`+future(5)+`"}`)

	idsAs := func(user, query string) []string {
		r := s.do("GET", "/api/v1/deals?"+query, "tok-"+user, "")
		require.Equal(t, 200, r.status, r.raw)
		var out []string
		for _, d := range r.body["deals"].([]any) {
			out = append(out, d.(map[string]any)["id"].(string))
		}
		return out
	}
	ids := func(query string) []string { return idsAs("admin", query) }
	// Reps see their own deals only: the database filters, not the handler.
	require.Contains(t, idsAs("wang", ""), mine)
	require.NotContains(t, idsAs("wang", ""), theirs.body["id"])
	require.Contains(t, idsAs("liu", ""), theirs.body["id"])
	require.NotContains(t, idsAs("liu", ""), mine)
	require.Contains(t, idsAs("wu", ""), mine, "the payment owner sees the deal they are named on")
	require.Equal(t, 404, s.do("GET", "/api/v1/deals/"+mine, "tok-liu", "").status)
	require.Contains(t, ids("owner=wu"), mine)
	require.NotContains(t, ids("owner=wu"), theirs.body["id"])
	require.Contains(t, ids("owner=liu&stage=opportunity"), theirs.body["id"])
	require.NotContains(t, ids("stage=opportunity"), mine)
	require.Contains(t, ids("stage=quote&owner=wang"), mine)

	page := ids("limit=1")
	require.Len(t, page, 1)
	next := ids("limit=1&after=" + page[0])
	require.Len(t, next, 1)
	require.Greater(t, next[0], page[0])

	for q, field := range map[string]string{"stage=won": "stage", "limit=0": "limit", "limit=x": "limit", "stage=' OR 1=1 --": "stage"} {
		r := s.do("GET", "/api/v1/deals?"+strings.ReplaceAll(q, " ", "%20"), "tok-wang", "")
		require.Equal(t, 400, r.status, q)
		require.Contains(t, r.raw, fmt.Sprintf(`"field":"%s"`, field))
	}
	r := s.do("GET", "/api/v1/deals?owner="+strings.ReplaceAll("x' OR '1'='1", " ", "%20"), "tok-wang", "")
	require.Equal(t, 200, r.status)
	require.Empty(t, r.body["deals"])
}

func TestHealth(t *testing.T) {
	s := setup(t)
	require.Equal(t, 200, s.do("GET", "/healthz", "", "").status)
	r := s.do("GET", "/readyz", "", "")
	require.Equal(t, 200, r.status, r.raw)
	me := s.do("GET", "/api/v1/me", "tok-li", "")
	require.Equal(t, "li", me.body["id"])
	require.Equal(t, 401, s.do("GET", "/api/v1/me", "", "").status)
}

func staffUser(id string) identity.User {
	return identity.User{ID: id, Name: id, Roles: []identity.Role{identity.RoleSalesManager}}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSecurityHeadersAndRateLimits(t *testing.T) {
	s := setup(t)
	r := s.do("GET", "/api/v1/me", "tok-wang", "")
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		require.Equal(t, v, r.header.Get(k), k)
	}
	require.Contains(t, r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")

	// A router of its own with tight limits: 1 a second, bursts of 4.
	chain := testenv.AuditChain(t)
	limited := httptest.NewServer(api.NewRouter(api.Deps{DB: s.db, Temporal: s.tc, Location: shanghai, Audit: chain,
		Log: discard(), Limits: api.NewLimits(1, 1)}))
	defer limited.Close()
	get := func(token string) *http.Response {
		req, _ := http.NewRequest("GET", limited.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	var codes []int
	for range 6 {
		codes = append(codes, get("guess").StatusCode)
	}
	require.Equal(t, []int{401, 401, 401, 401, 429, 429}, codes, "token guessing from one address is slowed down")
	res := get("guess")
	require.Equal(t, 429, res.StatusCode)
	require.NotEmpty(t, res.Header.Get("Retry-After"))
	require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
}
