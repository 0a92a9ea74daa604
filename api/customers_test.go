package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
)

// customerWorld seeds a team of its own, so the lists can be checked exactly:
// gao (rep) and his manager lin and assistant qian are team "north"; xu is a
// rep of team "south". gao owns CT-G1 and CT-G2, xu owns CT-X1, nobody owns
// CT-NONE. zhou delivers and wu collects xu's deal for CT-X1.
func customerWorld(t *testing.T) *stack {
	s := setup(t)
	ctx := context.Background()
	s.addUsers(
		teamUser{identity.User{ID: "lin", Name: "Lin", Team: "north", Roles: []identity.Role{identity.RoleSalesManager}}, ""},
		teamUser{identity.User{ID: "gao", Name: "Gao", Team: "north", Roles: []identity.Role{identity.RoleSales}}, "lin"},
		teamUser{identity.User{ID: "qian", Name: "Qian", Team: "north", Roles: []identity.Role{identity.RoleSalesAssistant}}, ""},
		teamUser{identity.User{ID: "xu", Name: "Xu", Team: "south", Roles: []identity.Role{identity.RoleSales}}, ""})
	bp, limit := int64(8500), int64(100000)
	_, err := s.db.CustomersUpsert(ctx, []database.Customer{
		{Code: "CT-G1", Name: "Gao One Trading", SalesOwner: "gao", ValueClass: "A", PaymentTerms: "NT30",
			MinDiscountBP: &bp, CreditLimit: &limit, Source: "manual"},
		{Code: "CT-G2", Name: "Gao Two Metals", SalesOwner: "gao", ValueClass: "B", Blocked: true, Source: "manual"},
		{Code: "CT-X1", Name: "Xu Machinery", SalesOwner: "xu", ValueClass: "A", PaymentTerms: "NT60", Source: "manual"},
		{Code: "CT-NONE", Name: "Nobody's Yet", ValueClass: "C", Source: "manual"},
	}, nil)
	require.NoError(t, err)
	day := func(v string) time.Time { d, _ := time.Parse(time.DateOnly, v); return d }
	now := time.Now()
	_, err = s.db.InvoicesUpsert(ctx, []database.ERPInvoice{
		{Number: "INV-CT-1", CustomerCode: "CT-G1", Amount: 10000, Currency: "CNY", IssuedOn: day("2026-01-05"),
			DueOn: day("2026-02-04"), ERPChangedAt: now},
		{Number: "INV-CT-2", CustomerCode: "CT-G1", Amount: 5000, Currency: "CNY", IssuedOn: day("2026-01-10"),
			DueOn: day("2026-02-09"), Cancelled: true, ERPChangedAt: now},
		{Number: "INV-CT-3", CustomerCode: "CT-X1", Amount: 7000, Currency: "CNY", IssuedOn: day("2026-01-10"),
			DueOn: day("2026-02-09"), ERPChangedAt: now},
	}, nil)
	require.NoError(t, err)
	_, err = s.db.PaymentsUpsert(ctx, []database.ERPPayment{
		{Reference: "PAY-CT-1", InvoiceNo: "INV-CT-1", CustomerCode: "CT-G1", Amount: 4000, Currency: "CNY",
			ReceivedOn: day("2026-01-20"), ERPChangedAt: now},
	}, nil)
	require.NoError(t, err)
	r := s.do("POST", "/api/v1/deals", "tok-xu",
		`{"title":"Xu's lathes","customer":{"code":"CT-X1","name":"Xu Machinery"},"owners":{"delivery":"zhou","payment":"wu"}}`)
	require.Equal(t, 201, r.status, r.raw)
	return s
}

// teamUser is a test user and their manager ("" for none).
type teamUser struct {
	user    identity.User
	manager string
}

// addUsers adds users, each with token tok-<id>.
func (s *stack) addUsers(users ...teamUser) {
	s.t.Helper()
	for _, u := range users {
		require.NoError(s.t, s.db.UserUpsert(context.Background(), u.user, u.manager, "tok-"+u.user.ID))
	}
}

// customerCodes lists customers as user with query and returns their codes
// and, by code, whether the customer came with its terms.
func (s *stack) customerCodes(user, query string) ([]string, map[string]bool) {
	s.t.Helper()
	r := s.do("GET", "/api/v1/customers?"+query, "tok-"+user, "")
	require.Equal(s.t, 200, r.status, r.raw)
	codes, terms := []string{}, map[string]bool{}
	for _, c := range r.body["customers"].([]any) {
		c := c.(map[string]any)
		codes = append(codes, c["code"].(string))
		_, terms[c["code"].(string)] = c["terms"]
	}
	return codes, terms
}

func TestCustomerVisibility(t *testing.T) {
	s := customerWorld(t)

	// Whole lists, not only this test's customers: the database filters.
	codes, terms := s.customerCodes("gao", "")
	require.Equal(t, []string{"CT-G1", "CT-G2"}, codes, "a rep sees exactly the customers he owns")
	require.Equal(t, map[string]bool{"CT-G1": true, "CT-G2": true}, terms)
	codes, _ = s.customerCodes("xu", "")
	require.Equal(t, []string{"CT-X1"}, codes)

	// The team, and customers nobody owns yet, for the manager and the assistant.
	for _, user := range []string{"lin", "qian"} {
		codes, terms = s.customerCodes(user, "q=CT-")
		require.Equal(t, []string{"CT-G1", "CT-G2", "CT-NONE"}, codes, user)
		require.Equal(t, map[string]bool{"CT-G1": true, "CT-G2": true, "CT-NONE": true}, terms, user)
	}
	// li manages wang only: nothing of team north, and unowned ones as a manager.
	codes, _ = s.customerCodes("li", "q=CT-")
	require.Equal(t, []string{"CT-NONE"}, codes)

	// Finance sees all of them, with their terms.
	codes, terms = s.customerCodes("sun", "q=ct-")
	require.Equal(t, []string{"CT-G1", "CT-G2", "CT-NONE", "CT-X1"}, codes)
	require.Equal(t, map[string]bool{"CT-G1": true, "CT-G2": true, "CT-NONE": true, "CT-X1": true}, terms)
	g1 := s.do("GET", "/api/v1/customers/CT-G1", "tok-sun", "")
	require.Equal(t, 200, g1.status, g1.raw)
	require.Equal(t, map[string]any{"payment_terms": "NT30", "min_discount_bp": 8500.0, "credit_limit": "1000.00"},
		g1.body["terms"])
	require.Equal(t, "gao", g1.body["sales_owner"])
	none := s.do("GET", "/api/v1/customers/CT-NONE", "tok-admin", "")
	require.Equal(t, map[string]any{"payment_terms": "", "min_discount_bp": nil, "credit_limit": nil}, none.body["terms"])

	// Delivery and collections see the customer of a deal they are named on,
	// without its terms; only the payment owner sees its receivables.
	for _, user := range []string{"zhou", "wu"} {
		codes, terms = s.customerCodes(user, "q=CT-")
		require.Equal(t, []string{"CT-X1"}, codes, user)
		require.Equal(t, map[string]bool{"CT-X1": false}, terms, user)
		x1 := s.do("GET", "/api/v1/customers/CT-X1", "tok-"+user, "")
		require.Equal(t, 200, x1.status, x1.raw)
		require.NotContains(t, x1.raw, "terms")
		require.NotContains(t, x1.raw, "NT60")
		require.Equal(t, "Xu Machinery", x1.body["name"])
		require.Equal(t, 404, s.do("GET", "/api/v1/customers/CT-G1", "tok-"+user, "").status, user)
	}
	require.Equal(t, 404, s.do("GET", "/api/v1/customers/CT-X1/receivables", "tok-zhou", "").status)
	rec := s.do("GET", "/api/v1/customers/CT-X1/receivables", "tok-wu", "")
	require.Equal(t, 200, rec.status, rec.raw)
	require.Len(t, rec.body["invoices"], 1)

	// Another rep's customer does not exist for gao, nor does a missing one.
	for _, path := range []string{"/api/v1/customers/CT-X1", "/api/v1/customers/CT-X1/receivables",
		"/api/v1/customers/CT-NONE", "/api/v1/customers/CT-NONE/receivables", "/api/v1/customers/NO-SUCH",
		"/api/v1/customers/NO-SUCH/receivables"} {
		r := s.do("GET", path, "tok-gao", "")
		require.Equal(t, 404, r.status, path)
		require.Equal(t, "/problems/not_found", r.body["type"])
	}
	require.Equal(t, 404, s.do("GET", "/api/v1/customers/CT-G1/receivables", "tok-xu", "").status)
	require.Equal(t, 404, s.do("GET", "/api/v1/customers/CT-G1", "tok-li", "").status)
}

func TestCustomerReceivables(t *testing.T) {
	s := customerWorld(t)
	for _, user := range []string{"gao", "lin", "qian", "sun", "chen", "admin"} {
		r := s.do("GET", "/api/v1/customers/CT-G1/receivables", "tok-"+user, "")
		require.Equal(t, 200, r.status, "%s: %s", user, r.raw)
		require.Equal(t, "CT-G1", r.body["customer_code"])
		require.Equal(t, []any{
			map[string]any{"number": "INV-CT-1", "currency": "CNY", "amount": "100.00", "issued_on": "2026-01-05",
				"due_on": "2026-02-04", "cancelled": false, "paid": "40.00", "open": "60.00",
				"payments": []any{map[string]any{"reference": "PAY-CT-1", "amount": "40.00", "currency": "CNY",
					"received_on": "2026-01-20"}}},
			map[string]any{"number": "INV-CT-2", "currency": "CNY", "amount": "50.00", "issued_on": "2026-01-10",
				"due_on": "2026-02-09", "cancelled": true, "paid": "0.00", "open": "0.00", "payments": []any{}},
		}, r.body["invoices"], user)
		require.Equal(t, []any{map[string]any{"currency": "CNY", "invoiced": "100.00", "paid": "40.00", "open": "60.00"}},
			r.body["totals"], user)
	}
	empty := s.do("GET", "/api/v1/customers/CT-G2/receivables", "tok-gao", "")
	require.Equal(t, 200, empty.status, empty.raw)
	require.Equal(t, []any{}, empty.body["invoices"])
	require.Equal(t, []any{}, empty.body["totals"])
}

func TestCustomerListFilters(t *testing.T) {
	s := customerWorld(t)
	codes := func(query string) []string {
		c, _ := s.customerCodes("sun", query)
		return c
	}
	require.Equal(t, []string{"CT-G1", "CT-G2"}, codes("q=CT-&owner=gao"))
	require.Equal(t, []string{"CT-G1", "CT-X1"}, codes("q=CT-&class=A"))
	require.Equal(t, []string{"CT-NONE"}, codes("q=CT-&class=C"))
	require.Equal(t, []string{"CT-G2"}, codes("q=CT-&blocked=true"))
	require.Equal(t, []string{"CT-G1", "CT-NONE", "CT-X1"}, codes("q=CT-&blocked=false"))
	require.Equal(t, []string{"CT-G1"}, codes("q=ct-g1"), "the code, ignoring case")
	require.Equal(t, []string{"CT-G1"}, codes("q="+url.QueryEscape("ONE trad")), "the name, ignoring case")
	require.Empty(t, codes("q=CT_"), "q is text, not a LIKE pattern")
	require.Empty(t, codes("q=CT-&owner=nobody"))
	require.Equal(t, []string{"CT-G1"}, codes("q=CT-&owner=gao&class=A&blocked=false"))

	// Keyset pages, with next as the cursor.
	r := s.do("GET", "/api/v1/customers?q=CT-&limit=2", "tok-sun", "")
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "CT-G2", r.body["next"])
	require.Equal(t, []string{"CT-NONE", "CT-X1"}, codes("q=CT-&limit=2&after=CT-G2"))
	require.Empty(t, codes("q=CT-&after=CT-X1"))

	for query, field := range map[string]string{
		"class=D": "class", "class=a": "class", "blocked=yes": "blocked", "blocked=1": "blocked",
		"limit=0": "limit", "limit=501": "limit", "limit=x": "limit", "limit=-1": "limit",
		"owner=" + url.QueryEscape("' OR 1=1 --"): "owner", "owner=Gao": "owner",
		"q=" + strings.Repeat("x", 101): "q",
	} {
		r := s.do("GET", "/api/v1/customers?"+query, "tok-gao", "")
		require.Equal(t, 400, r.status, query)
		require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
		require.Contains(t, r.raw, `"field":"`+field+`"`, query)
	}
	// Limits at the edges are fine.
	for _, query := range []string{"limit=1", "limit=500", "q=" + strings.Repeat("x", 100)} {
		require.Equal(t, 200, s.do("GET", "/api/v1/customers?"+query, "tok-gao", "").status, query)
	}
}

// TestCustomerFiltersInjectionSeesNothingMore: injection attempts in the
// filters are plain text to the query, so a rep sees no more than his own.
func TestCustomerFiltersInjectionSeesNothingMore(t *testing.T) {
	s := customerWorld(t)
	for _, p := range []string{"q", "after"} {
		for _, a := range []string{`' OR '1'='1`, `x'; DROP TABLE customers; --`, `%`, `_`, `\`} {
			codes, _ := s.customerCodes("gao", p+"="+url.QueryEscape(a))
			for _, c := range codes {
				require.Contains(t, []string{"CT-G1", "CT-G2"}, c, "%s=%s", p, a)
			}
		}
	}
	codes, _ := s.customerCodes("gao", "q="+url.QueryEscape(`' OR '1'='1`))
	require.Empty(t, codes)
}
