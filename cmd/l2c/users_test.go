package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/testenv"
)

// TestOpenAsFindsTheUserOrSaysWho: `l2c import` and `l2c export` act as the
// user their -as names; one that does not exist is refused by name.
func TestOpenAsFindsTheUserOrSaysWho(t *testing.T) {
	ctx := context.Background()
	cfg := config.Config{DatabaseURL: testenv.DatabaseURL(t)}
	db, err := database.Open(ctx, cfg.DatabaseURL)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.UserUpsert(ctx, identity.User{ID: "cli-wang", Name: "Wang Wei",
		Roles: []identity.Role{identity.RoleSales}}, "", ""))

	got, u, err := openAs(ctx, cfg, "cli-wang")
	require.NoError(t, err)
	defer got.Close()
	require.Equal(t, "Wang Wei", u.Name)

	_, _, err = openAs(ctx, cfg, "cli-nobody")
	require.ErrorContains(t, err, "-as cli-nobody: no such user")
	_, _, err = openAs(ctx, config.Config{}, "cli-wang")
	require.ErrorContains(t, err, "DATABASE_URL is not set")
}

// TestUsersCommandsAreAudited: `l2c users add`, `disable` and `enable` each
// record their change with its entry (the token never in it); without an
// audit key fit for production the command is refused and changes nothing.
func TestUsersCommandsAreAudited(t *testing.T) {
	ctx := context.Background()
	cfg := config.Config{DatabaseURL: testenv.DatabaseURL(t)}
	db := testenv.OpenDB(t)
	entries := func(id string) map[string]string {
		got := map[string]string{}
		require.NoError(t, db.AuditEach(ctx, database.AuditFilter{ObjectType: "user", ObjectID: id}, func(e audit.Entry) error {
			got[e.Action] = string(e.Detail)
			return nil
		}))
		return got
	}

	t.Setenv("L2C_AUDIT_KEY", "")
	require.ErrorContains(t, runUsers(ctx, cfg, []string{"add", "-id", "cli-refused", "-name", "R", "-roles", "sales"}), "refusing to start")
	found, err := db.UsersFind(ctx, []string{"cli-refused"})
	require.NoError(t, err)
	require.Empty(t, found, "refused: no user")
	require.Empty(t, entries("cli-refused"), "refused: no entry")

	t.Setenv("L2C_AUDIT_KEY", "3f9a0c1e5b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d")
	require.NoError(t, runUsers(ctx, cfg, []string{"add", "-id", "cli-ua", "-name", "Ua", "-roles", "sales", "-email", "ua@example.com"}))
	require.NoError(t, runUsers(ctx, cfg, []string{"disable", "-id", "cli-ua"}))
	require.NoError(t, runUsers(ctx, cfg, []string{"enable", "-id", "cli-ua"}))
	got := entries("cli-ua")
	require.Contains(t, got["user.save"], `"new_token":true`)
	require.NotContains(t, got["user.save"], "l2c_", "the token is not in the entry")
	require.JSONEq(t, `{"email":"ua@example.com"}`, got["user.email_set"])
	require.Contains(t, got, "user.disabled")
	require.Contains(t, got, "user.enabled")
}
