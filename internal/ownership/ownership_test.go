package ownership

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/identity"
)

func TestMaskShowsOnlyTheFirstLetter(t *testing.T) {
	for in, want := range map[string]string{"王五": "王*", "王小明": "王**", "Wang": "W***", "李": "李*", "": "*", " 赵 ": "赵*"} {
		require.Equal(t, want, Mask(in), in)
	}
}

func TestPhoneKeyDropsFormattingAndTheCountryCode(t *testing.T) {
	for in, want := range map[string]string{
		"+86 512-6666-0001": "51266660001", "0086 (512) 6666 0001": "51266660001", "512 6666 0001": "51266660001",
		"+86 138 0013 8000": "13800138000", "13800138000": "13800138000", "8613800138000": "13800138000", "ext. 12": "12",
	} {
		require.Equal(t, want, PhoneKey(in), in)
	}
}

func TestResolvePicksTheMostParticularLimit(t *testing.T) {
	two, five, ten := 2, 5, 10
	limits := map[string]Limit{
		"role:sales": {Scope: "role:sales", Rolling: &ten, RollingDays: 91}, "role:sales_manager": {Scope: "role:sales_manager", Rolling: &five, RollingDays: 91},
		"team:east": {Scope: "team:east", Rolling: &five, RollingDays: 30}, "user:zhang": {Scope: "user:zhang", Rolling: &two, RollingDays: 91},
	}
	rep := identity.User{ID: "li", Roles: []identity.Role{identity.RoleSales}}
	require.Equal(t, "role:sales", Resolve(rep, limits).Scope)
	both := identity.User{ID: "li", Roles: []identity.Role{identity.RoleSales, identity.RoleSalesManager}}
	require.Equal(t, "role:sales_manager", Resolve(both, limits).Scope, "the tighter of two roles")
	east := identity.User{ID: "li", Team: "east", Roles: []identity.Role{identity.RoleSales}}
	require.Equal(t, "team:east", Resolve(east, limits).Scope)
	zhang := identity.User{ID: "zhang", Team: "east", Roles: []identity.Role{identity.RoleSales}}
	require.Equal(t, "user:zhang", Resolve(zhang, limits).Scope)
	none := Resolve(identity.User{ID: "x", Roles: []identity.Role{identity.RoleFinance}}, limits)
	require.Nil(t, none.Rolling)
	require.Equal(t, DefaultRollingDays, none.RollingDays)
}

func TestCheckTake(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	two := 2
	limit := Limit{Scope: "role:sales", Standing: &two, Rolling: &two, RollingDays: 91}
	require.NoError(t, CheckTake("a", Holding{Owned: 1, Recent: 1}, limit, 0, false, now))
	var re *Refused
	require.ErrorAs(t, CheckTake("a", Holding{Owned: 2}, limit, 0, false, now), &re)
	require.Equal(t, Cap, re.Reason)
	require.ErrorAs(t, CheckTake("a", Holding{Recent: 2}, limit, 0, false, now), &re)
	require.Equal(t, Cap, re.Reason)
	lost := Holding{LostAt: now.AddDate(0, 0, -10)}
	require.ErrorAs(t, CheckTake("a", lost, limit, 30*24*time.Hour, false, now), &re)
	require.Equal(t, Cooldown, re.Reason)
	require.NoError(t, CheckTake("a", lost, limit, 30*24*time.Hour, true, now), "a manager's assignment is not bound by the cooldown")
	require.NoError(t, CheckTake("a", lost, limit, 5*24*time.Hour, false, now))
}

// TestCutoffsCountChinasWorkingDays: over the 2026 Mid-Autumn and National
// Day holidays (25 September and 1–7 October off; Sunday 20 September and
// Saturday 10 October worked), 15 working days before Monday 12 October is
// Tuesday 15 September, not the 21 September fifteen weekdays would give.
func TestCutoffsCountChinasWorkingDays(t *testing.T) {
	cal := calendar.China()
	sh := cal.Location()
	require.Equal(t, calendar.Date{Year: 2026, Month: 9, Day: 15}, WorkdaysBack(cal, calendar.Date{Year: 2026, Month: 10, Day: 12}, 15))
	require.Equal(t, calendar.Date{Year: 2026, Month: 9, Day: 30}, WorkdaysBack(cal, calendar.Date{Year: 2026, Month: 10, Day: 4}, 0),
		"a holiday counts from the working day before it")
	now := time.Date(2026, 10, 12, 10, 0, 0, 0, sh)
	c := Cutoffs(cal, now, []Rule{{Class: "C", IdleDays: 20, WarnDays: 5}})[0]
	require.Equal(t, time.Date(2026, 9, 15, 0, 0, 0, 0, sh).UTC(), c.WarnBefore)
	require.Equal(t, time.Date(2026, 9, 8, 0, 0, 0, 0, sh).UTC(), c.RecycleBefore)
	// Warned before the fourth working day back: five working days' notice.
	require.Equal(t, time.Date(2026, 9, 30, 0, 0, 0, 0, sh).UTC(), c.WarnedBefore)
}

func TestMayHandOver(t *testing.T) {
	rep := identity.User{ID: "rep", Team: "east", Roles: []identity.Role{identity.RoleSales}}
	mgr := identity.User{ID: "mgr", Team: "east", Roles: []identity.Role{identity.RoleSalesManager}}
	peer := identity.User{ID: "peer", Team: "east", Roles: []identity.Role{identity.RoleSalesManager}}
	other := identity.User{ID: "other", Team: "west", Roles: []identity.Role{identity.RoleSalesManager}}
	admin := identity.User{ID: "admin", Roles: []identity.Role{identity.RoleAdmin}}
	require.NoError(t, MayHandOver(mgr, rep, "mgr"))
	require.NoError(t, MayHandOver(peer, rep, "mgr"), "a sales manager of the rep's team")
	require.NoError(t, MayHandOver(admin, rep, "mgr"))
	require.Error(t, MayHandOver(other, rep, "mgr"))
	require.Error(t, MayHandOver(rep, rep, "mgr"), "not one's own")
	require.Error(t, MayHandOver(peer, mgr, "boss"), "a peer manager does not hand over a manager")
	require.Error(t, MayHandOver(mgr, mgr, ""), "nor a manager their own")
}
