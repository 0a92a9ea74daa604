package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
)

// TestDealStageTablesRoundTrip: every field of every stage table (the column
// lists in deal_tables.go) is written and read back exactly, with the
// optional ones both set and unset.
func TestDealStageTablesRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
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
	qr := review(deal.ReviewApproved, ptr(at(4)), "quote_discount.D.1")
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
				Status: deal.QuoteAccepted, SubmittedBy: "wang", SubmittedAt: at(2), MinDiscount: &pct, Review: &qr}},
		Bid: &deal.Bid{Number: "B-1", Result: deal.BidWon, Note: "won", RecordedBy: "wang", RecordedAt: at(5)},
		Contract: &deal.Contract{Number: "HT-1", Amount: 90, PaymentTerms: "NT30", NonstandardTerms: true, NonTemplate: true,
			TemplateID: "TPL", QuoteTotal: &total, BelowQuote: true, Review: review(deal.ReviewApproved, ptr(at(6)), "contract_review.D.2")},
		Order: &deal.Order{Kind: deal.OrderCustom, ERPNumber: "SO-1", DeliveryDue: day, DueAt: at(40),
			Review: review(deal.ReviewPending, nil, ""), OverdueNotified: ptr(at(41))},
		Shipments: []deal.Shipment{{Number: "S-1", ShippedOn: day, Carrier: "SF", Final: true, RecordedBy: "li", RecordedAt: at(10)}},
		Invoices:  []deal.Invoice{{Number: "I-1", Amount: 90, IssuedOn: day, DueOn: day, RecordedBy: "li", RecordedAt: at(11)}},
		Payments:  []deal.Payment{{Reference: "P-1", Amount: 90, ReceivedOn: day, InvoiceNo: "I-1", RecordedBy: "li", RecordedAt: at(12)}},
	}
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
