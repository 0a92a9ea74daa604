package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

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
