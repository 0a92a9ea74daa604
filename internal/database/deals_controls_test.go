package database_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// dealAuditCount counts the audit entries about deal id.
func dealAuditCount(t *testing.T, db *database.DB, id string) int {
	t.Helper()
	n := 0
	require.NoError(t, db.AuditEach(context.Background(), database.AuditFilter{ObjectType: "deal", ObjectID: id},
		func(audit.Entry) error { n++; return nil }))
	return n
}

// TestDealSaveAuditedOnce (issue 10, item 9): a transition and its audit entry
// commit together; a retried save appends nothing more; an entry that cannot
// be written takes the transition down with it.
func TestDealSaveAuditedOnce(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	chain := testenv.AuditChain(t)
	now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	wang := identity.User{ID: "wang", Roles: []identity.Role{identity.RoleSales}}
	entry := func(id string, h deal.HistoryEntry) *audit.Entry {
		return &audit.Entry{At: h.At, Actor: h.Actor, Action: "deal." + h.Action, ObjectType: "deal", ObjectID: id, Detail: []byte(`{}`)}
	}

	id, err := db.DealNextID(ctx)
	require.NoError(t, err)
	v1, h1, err := deal.Open(id, deal.Opening{Title: "T", Customer: deal.Customer{Name: "C"}}, wang, now)
	require.NoError(t, err)
	for range 3 { // Temporal may run the same save more than once
		_, err = db.DealSaveAudited(ctx, v1, h1, nil, chain, entry(id, h1))
		require.NoError(t, err)
	}
	require.Equal(t, 1, dealAuditCount(t, db, id))

	q := deal.Action{Name: deal.ActSubmitQuote, Lines: []deal.QuoteLine{{SKU: "A", Quantity: 2, UnitPrice: 150}},
		ValidUntil: deal.Date{Year: 2026, Month: 12, Day: 1}}
	q.Resolve(now, time.UTC)
	v2, h2, err := deal.Apply(v1, wang, q, now.Add(time.Minute))
	require.NoError(t, err)
	_, err = db.DealSaveAudited(ctx, v2, h2, nil, chain, entry(id, h2))
	require.NoError(t, err)
	_, err = db.DealSaveAudited(ctx, v1, h1, nil, chain, entry(id, h1)) // a late retry of the first
	require.NoError(t, err)
	require.Equal(t, 2, dealAuditCount(t, db, id))

	// The entry cannot be stored (PostgreSQL refuses bytes that are not
	// UTF-8): the transition is not stored either.
	id3, err := db.DealNextID(ctx)
	require.NoError(t, err)
	v3, h3, err := deal.Open(id3, deal.Opening{Title: "T", Customer: deal.Customer{Name: "C"}}, wang, now)
	require.NoError(t, err)
	bad := entry(id3, h3)
	bad.Detail = []byte{'"', 0xff, '"'}
	_, err = db.DealSaveAudited(ctx, v3, h3, nil, chain, bad)
	require.Error(t, err)
	_, err = db.DealGet(ctx, id3)
	require.True(t, errors.Is(err, database.ErrNotFound), "the deal was not saved without its audit entry: %v", err)
	require.Equal(t, 0, dealAuditCount(t, db, id3))
}
