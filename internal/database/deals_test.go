package database_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func setup(t testing.TB) *database.DB {
	t.Helper()
	db := testenv.OpenDB(t)
	for _, id := range []string{"wang", "li"} {
		require.NoError(t, db.UserUpsert(context.Background(), identity.User{ID: id, Name: id,
			Roles: []identity.Role{identity.RoleSales, identity.RoleSalesManager}}, "", "t-"+id))
	}
	return db
}

// TestDealSaveIsIdempotentAndIgnoresStaleStates: Temporal may run a save twice,
// or a retry of an older save may land after a newer one. Neither may duplicate
// history or roll the deal back.
func TestDealSaveIsIdempotentAndIgnoresStaleStates(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	wang := identity.User{ID: "wang", Roles: []identity.Role{identity.RoleSales}}
	id, err := db.DealNextID(ctx)
	require.NoError(t, err)
	v1, h1, err := deal.Open(id, deal.Opening{Title: "T", Customer: deal.Customer{Name: "C"}}, wang, now)
	require.NoError(t, err)
	q := deal.Action{Name: deal.ActSubmitQuote, Lines: []deal.QuoteLine{{SKU: "A", Quantity: 2, UnitPrice: 150}},
		ValidUntil: deal.Date{Year: 2026, Month: 12, Day: 1}}
	q.Resolve(now, time.UTC)
	v2, h2, err := deal.Apply(v1, wang, q, now.Add(time.Minute))
	require.NoError(t, err)

	note := []database.Notification{{DedupeKey: id + "/1/li", Recipient: "li", Subject: "s"}}
	added, err := db.DealSave(ctx, v1, h1, note)
	require.NoError(t, err)
	require.Len(t, added, 1)
	added, err = db.DealSave(ctx, v1, h1, note) // the same save again
	require.NoError(t, err)
	require.Empty(t, added, "a notification is queued once")
	_, err = db.DealSave(ctx, v2, h2, nil)
	require.NoError(t, err)
	_, err = db.DealSave(ctx, v1, h1, nil) // a late retry of the first save
	require.NoError(t, err)

	got, err := db.DealGet(ctx, id)
	require.NoError(t, err)
	require.Equal(t, v2, got, "the newest state wins, read back exactly as saved")
	history, err := db.DealHistory(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []deal.HistoryEntry{h1, h2}, history)
}

func TestDealGetUnknown(t *testing.T) {
	db := setup(t)
	_, err := db.DealGet(context.Background(), "D-404")
	require.ErrorIs(t, err, database.ErrNotFound)
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	u, err := db.UserByToken(ctx, "t-li")
	require.NoError(t, err)
	require.Equal(t, "li", u.ID)
	_, err = db.UserByToken(ctx, "t-nobody")
	require.ErrorIs(t, err, database.ErrNotFound)
	missing, err := db.UsersMissing(ctx, []string{"ghost", "li", "wang", "x"})
	require.NoError(t, err)
	require.Equal(t, []string{"ghost", "x"}, missing)
}

// TestDealVisibility: reps see their own deals, managers and assistants their
// team's (and a manager their reports'), departments their stages, finance all.
func TestDealVisibility(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	for _, u := range []struct {
		id, team, manager string
		role              identity.Role
	}{{"v-boss", "east", "", identity.RoleSalesManager}, {"v-east", "east", "v-boss", identity.RoleSales},
		{"v-north", "north", "v-boss", identity.RoleSales}, {"v-other", "north", "", identity.RoleSales}} {
		require.NoError(t, db.UserUpsert(ctx, identity.User{ID: u.id, Name: u.id, Team: u.team, Roles: []identity.Role{u.role}}, "", ""))
		if u.manager != "" {
			require.NoError(t, db.UserUpsert(ctx, identity.User{ID: u.id, Name: u.id, Team: u.team, Roles: []identity.Role{u.role}}, u.manager, ""))
		}
	}
	open := func(owner string) string {
		id, err := db.DealNextID(ctx)
		require.NoError(t, err)
		d, h, err := deal.Open(id, deal.Opening{Title: "V", Customer: deal.Customer{Name: "C"}, Owners: deal.Owners{Sales: owner}},
			identity.User{ID: owner, Roles: []identity.Role{identity.RoleSales}}, now)
		require.NoError(t, err)
		_, err = db.DealSave(ctx, d, h, nil)
		require.NoError(t, err)
		return id
	}
	east, north, other := open("v-east"), open("v-north"), open("v-other")
	sees := func(v database.Viewer) []string {
		list, err := db.DealList(ctx, database.DealFilter{Viewer: v, Limit: 1000})
		require.NoError(t, err)
		var ids []string
		for _, d := range list {
			if d.ID == east || d.ID == north || d.ID == other {
				ids = append(ids, d.ID)
			}
		}
		return ids
	}
	require.Equal(t, []string{east}, sees(database.Viewer{ID: "v-east"}))
	require.Equal(t, []string{east, north}, sees(database.Viewer{ID: "v-boss", Team: "east", Manager: true}), "team east, plus v-north who reports to v-boss")
	require.Equal(t, []string{east}, sees(database.Viewer{ID: "v-asst", Team: "east"}))
	require.Equal(t, []string{east, north, other}, sees(database.Viewer{ID: "v-fin", All: true}))
	require.Equal(t, []string{east, north, other}, sees(database.Viewer{ID: "v-col", Stages: []string{"opportunity"}}))
	require.Empty(t, sees(database.Viewer{ID: "v-del", Stages: []string{"delivery"}}))
	ok, err := db.DealVisible(ctx, other, database.Viewer{ID: "v-east"})
	require.NoError(t, err)
	require.False(t, ok)
}

// TestDealStageTablesRoundTrip: every field of every stage table (the column
// lists in deal_tables.go) is written and read back exactly, with the
// optional ones both set and unset.
func TestDealStageTablesRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	d, at := stageTablesDeal()
	h := deal.HistoryEntry{Seq: 7, Action: "x", Actor: "wang", To: d.Stage, At: at(12)}
	_, err := db.DealSave(ctx, d, h, nil)
	require.NoError(t, err)
	got, err := db.DealGet(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, d, got)

	// And the unset ones: no bid, contract or order; no closing, no payment owner.
	e := deal.Deal{ID: "D-RT2", Title: "Bare", Customer: deal.Customer{Name: "C"}, Currency: "CNY",
		Owners: deal.Owners{Discoverer: "wang", Sales: "wang"}, Stage: deal.StageOpportunity, StageEnteredAt: at(0),
		Holder: "wang", CreatedBy: "wang", CreatedAt: at(0), Version: 1,
		Quotes: []deal.Quote{}, Shipments: []deal.Shipment{}, Invoices: []deal.Invoice{}, Payments: []deal.Payment{}}
	_, err = db.DealSave(ctx, e, deal.HistoryEntry{Seq: 1, Action: "open", Actor: "wang", To: e.Stage, At: at(0)}, nil)
	require.NoError(t, err)
	got, err = db.DealGet(ctx, e.ID)
	require.NoError(t, err)
	require.Equal(t, e, got)
}

// TestQuoteReviewMovesFromJSONBToColumns: migration 00100 moves a quote's
// review out of the jsonb column it was stored in (as the code before it wrote
// it) into the review columns; the quotes read back as they were saved.
func TestQuoteReviewMovesFromJSONBToColumns(t *testing.T) {
	ctx := context.Background()
	url := testenv.EmptyDatabaseURL(t)
	_, err := database.MigrateTo(ctx, url, 99)
	require.NoError(t, err)
	d, _ := stageTablesDeal()
	conn := testenv.Conn(t, url)
	_, err = conn.Exec(ctx, `INSERT INTO users (id, name, roles) VALUES ('wang', 'wang', '{sales}'), ('li', 'li', '{sales}')`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO deals (id, title, customer_name, tendered, currency, expected_amount,
		discoverer, sales_owner, stage, stage_entered_at, created_by, created_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, d.ID, d.Title, d.Customer.Name, d.Tendered,
		d.Currency, d.ExpectedAmount, d.Owners.Discoverer, d.Owners.Sales, d.Stage, d.StageEnteredAt, d.CreatedBy, d.CreatedAt, d.Version)
	require.NoError(t, err)
	for _, q := range d.Quotes {
		lines, err := json.Marshal(q.Lines)
		require.NoError(t, err)
		var review []byte // what the jsonb column held: NULL for no review
		if q.Review != nil {
			review, err = json.Marshal(q.Review)
			require.NoError(t, err)
		}
		_, err = conn.Exec(ctx, `INSERT INTO deal_quotes (deal_id, revision, lines, discount_bp, list_total, net_total,
			valid_until, expires_at, status, submitted_by, submitted_at, min_discount_bp, review)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, d.ID, q.Revision, lines, q.Discount,
			q.ListTotal, q.NetTotal, time.Date(q.ValidUntil.Year, q.ValidUntil.Month, q.ValidUntil.Day, 0, 0, 0, 0, time.UTC), q.ExpiresAt, q.Status, q.SubmittedBy, q.SubmittedAt, q.MinDiscount, review)
		require.NoError(t, err)
	}

	applied, err := database.Migrate(ctx, url)
	require.NoError(t, err)
	require.Contains(t, applied, int64(100))
	db, err := database.Open(ctx, url)
	require.NoError(t, err)
	defer db.Close()
	got, err := db.DealGet(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, d.Quotes, got.Quotes)
	var stillThere bool
	require.NoError(t, conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'deal_quotes' AND column_name = 'review')`).Scan(&stillThere))
	require.False(t, stillThere, "the jsonb column is gone: one way of storing a review")
}

// stageTablesDeal is a deal with every field of every stage table set, the
// optional ones too (but for its first quote, which has no review), and the
// minute clock its times are on.
func stageTablesDeal() (deal.Deal, func(m int) time.Time) {
	at := func(m int) time.Time { return time.Date(2026, 11, 2, 1, m, 0, 0, time.UTC) }
	ptr := func(t time.Time) *time.Time { return &t }
	pct, total := deal.Percent(9000), money.Amount(12345)
	day := deal.Date{Year: 2026, Month: 12, Day: 1}
	review := func(status deal.ReviewStatus, decided *time.Time, caseID string) deal.Review {
		r := deal.Review{Status: status, Round: 2, RequestedBy: "wang", RequestedAt: at(3), CaseID: caseID}
		if decided != nil {
			r.DecidedBy, r.DecidedAt, r.Note = "li", decided, "ok"
		}
		return r
	}
	qr, pending := review(deal.ReviewApproved, ptr(at(4)), "quote_discount.D.1"), review(deal.ReviewPending, nil, "")
	d := deal.Deal{ID: "D-RT", Title: "Round trip", Customer: deal.Customer{Code: "C1", Name: "C"}, Tendered: true,
		Currency: "CNY", ExpectedAmount: 900, PurchaseTimeframe: deal.Timeframe3Months,
		Owners: deal.Owners{Discoverer: "li", Sales: "wang", Delivery: "li"}, Stage: deal.StagePaymentCollection,
		StageEnteredAt: at(9), Holder: "wang", LostReason: "", CreatedBy: "wang", CreatedAt: at(0), ClosedAt: ptr(at(20)), Version: 7,
		Quotes: []deal.Quote{
			{Revision: 1, Lines: []deal.QuoteLine{{SKU: "A", Description: "a", Quantity: 2, UnitPrice: 50, Amount: 100}},
				Discount: deal.Hundred, ListTotal: 100, NetTotal: 100, ValidUntil: day, ExpiresAt: at(30),
				Status: deal.QuoteSuperseded, SubmittedBy: "wang", SubmittedAt: at(1)},
			{Revision: 2, Lines: []deal.QuoteLine{{SKU: "B", Quantity: 1, UnitPrice: 100, Amount: 100}},
				Discount: pct, ListTotal: 100, NetTotal: 90, ValidUntil: day, ExpiresAt: at(31),
				Status: deal.QuoteAccepted, SubmittedBy: "wang", SubmittedAt: at(2), MinDiscount: &pct, Review: &qr},
			{Revision: 3, Lines: []deal.QuoteLine{{SKU: "B", Quantity: 1, UnitPrice: 100, Amount: 100}},
				Discount: pct, ListTotal: 100, NetTotal: 90, ValidUntil: day, ExpiresAt: at(32),
				Status: deal.QuotePendingApproval, SubmittedBy: "wang", SubmittedAt: at(7), MinDiscount: &pct, Review: &pending}},
		Bid: &deal.Bid{Number: "B-1", Result: deal.BidWon, Note: "won", RecordedBy: "wang", RecordedAt: at(5)},
		Contract: &deal.Contract{Number: "HT-1", Amount: 90, PaymentTerms: "NT30", NonstandardTerms: true, NonTemplate: true,
			TemplateID: "TPL", QuoteTotal: &total, BelowQuote: true, Review: review(deal.ReviewApproved, ptr(at(6)), "contract_review.D.2")},
		Order: &deal.Order{Kind: deal.OrderCustom, ERPNumber: "SO-1", DeliveryDue: day, DueAt: at(40),
			Review: review(deal.ReviewPending, nil, ""), OverdueNotified: ptr(at(41))},
		Shipments: []deal.Shipment{{Number: "S-1", ShippedOn: day, Carrier: "SF", Final: true, RecordedBy: "li", RecordedAt: at(10)}},
		Invoices:  []deal.Invoice{{Number: "I-1", Amount: 90, IssuedOn: day, DueOn: day, RecordedBy: "li", RecordedAt: at(11)}},
		Payments:  []deal.Payment{{Reference: "P-1", Amount: 90, ReceivedOn: day, InvoiceNo: "I-1", RecordedBy: "li", RecordedAt: at(12)}},
	}
	return d, at
}

// TestDisabledUserHoldsNoRoleStep: a role's approvers are its enabled members;
// a disabled one (left the company, work handed over) is not routed new steps,
// and enabled again they are.
func TestDisabledUserHoldsNoRoleStep(t *testing.T) {
	db := setup(t)
	ctx := context.Background()
	testenv.AddUsers(t, db,
		identity.User{ID: "fin-a", Name: "Fin A", Roles: []identity.Role{identity.RoleFinance}},
		identity.User{ID: "fin-b", Name: "Fin B", Roles: []identity.Role{identity.RoleFinance}})
	ids, err := db.UsersWithRole(ctx, string(identity.RoleFinance))
	require.NoError(t, err)
	require.Subset(t, ids, []string{"fin-a", "fin-b"})

	require.NoError(t, db.UserSetDisabled(ctx, "fin-b", true, time.Now()))
	ids, err = db.UsersWithRole(ctx, string(identity.RoleFinance))
	require.NoError(t, err)
	require.Contains(t, ids, "fin-a")
	require.NotContains(t, ids, "fin-b", "a disabled user holds no step")

	require.NoError(t, db.UserSetDisabled(ctx, "fin-b", false, time.Now()))
	ids, err = db.UsersWithRole(ctx, string(identity.RoleFinance))
	require.NoError(t, err)
	require.Contains(t, ids, "fin-b")
}
