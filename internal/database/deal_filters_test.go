package database_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// TestDealListByHolderAndAge: the deal list's holder and age filters, as
// the page and the API use them: a deal is held by whom it waits on, and is
// as old as its time in its current stage; the pipeline counts the same
// deals; a holder's name finds its user, and a part of a name every match.
func TestDealListByHolderAndAge(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	tag := fmt.Sprint(time.Now().UnixNano() % 1e9)
	rep, other := "hf-rep-"+tag, "hf-other-"+tag
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: rep, Name: "Holder Rep " + tag, Roles: []identity.Role{identity.RoleSales}}, "", ""))
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: other, Name: "Holder Other " + tag, Roles: []identity.Role{identity.RoleSales}}, "", ""))
	now := time.Now()
	open := func(owner string, enteredDaysAgo int) string {
		id, err := db.DealNextID(ctx)
		require.NoError(t, err)
		d, h, err := deal.Open(id, deal.Opening{Title: "HF", Customer: deal.Customer{Name: "C"}, Owners: deal.Owners{Sales: owner}},
			identity.User{ID: owner, Roles: []identity.Role{identity.RoleSales}}, now.AddDate(0, 0, -enteredDaysAgo))
		require.NoError(t, err)
		_, err = db.DealSave(ctx, d, h, nil)
		require.NoError(t, err)
		return id
	}
	fresh, old, theirs := open(rep, 1), open(rep, 40), open(other, 40)
	all := database.Viewer{ID: "hf-admin", All: true}
	list := func(f database.DealFilter) []string {
		f.Viewer, f.Limit = all, 1000
		got, err := db.DealList(ctx, f)
		require.NoError(t, err)
		var ids []string
		for _, d := range got {
			if d.ID == fresh || d.ID == old || d.ID == theirs {
				ids = append(ids, d.ID)
			}
		}
		return ids
	}
	require.Equal(t, []string{fresh, old}, list(database.DealFilter{Holder: rep}), "an opportunity waits on its sales owner")
	require.Equal(t, []string{old, theirs}, list(database.DealFilter{InStageBefore: now.AddDate(0, 0, -30)}), "in stage 30 days or more")
	require.Equal(t, []string{old}, list(database.DealFilter{Holder: rep, InStageBefore: now.AddDate(0, 0, -30)}))
	require.Empty(t, list(database.DealFilter{Holder: "nobody-" + tag}))

	pipe, err := db.DealPipeline(ctx, database.DealFilter{Viewer: all, Holder: rep, InStageBefore: now.AddDate(0, 0, -30)})
	require.NoError(t, err)
	require.Len(t, pipe, 1, "the pipeline counts what the list lists")
	require.Equal(t, "opportunity", pipe[0].Stage)
	require.EqualValues(t, 1, pipe[0].Deals)

	named := func(text string) []string {
		us, err := db.UsersNamed(ctx, text)
		require.NoError(t, err)
		var ids []string
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		return ids
	}
	require.Equal(t, []string{rep}, named(rep), "a user name")
	require.Equal(t, []string{rep}, named("holder rep "+tag), "a whole name, in any case")
	require.ElementsMatch(t, []string{other, rep}, named(tag), "a part of a name: every match")
	require.Empty(t, named("no such person "+tag))

	holders, err := db.CaseHolders(ctx, []string{"no-such-case." + tag})
	require.NoError(t, err)
	require.Empty(t, holders)
}
