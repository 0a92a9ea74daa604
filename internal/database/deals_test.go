package database_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func setup(t testing.TB) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), testenv.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)
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
