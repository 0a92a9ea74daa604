package database

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/identity"
)

// Credential is who a token belongs to and what it may do.
type Credential struct {
	User identity.User
	// TokenID is the API token used, 0 for a personal token.
	TokenID int64
	// Scopes are "read" and/or "write"; a personal token has both.
	Scopes []string
}

// CanWrite reports whether the credential may change anything.
func (c Credential) CanWrite() bool { return slices.Contains(c.Scopes, "write") }

// CredentialByToken finds what a presented token is: a personal token, or an
// API token that is neither expired nor revoked (whose use it then stamps).
func (db *DB) CredentialByToken(ctx context.Context, token string, now time.Time) (Credential, error) {
	sum := sha256.Sum256([]byte(token))
	var c Credential
	err := db.pool.QueryRow(ctx, `SELECT id, name, team, roles FROM users WHERE token_sha256 = $1 AND NOT disabled`, sum[:]).
		Scan(&c.User.ID, &c.User.Name, &c.User.Team, &c.User.Roles)
	if err == nil {
		c.Scopes = []string{"read", "write"}
		return c, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("token: %w", err)
	}
	err = db.pool.QueryRow(ctx, `
		UPDATE api_tokens t SET last_used_at = $2
		FROM users u
		WHERE t.token_sha256 = $1 AND u.id = t.user_id AND NOT u.disabled AND t.revoked_at IS NULL AND t.expires_at > $2
		RETURNING t.id, t.scopes, u.id, u.name, u.team, u.roles`, sum[:], now).
		Scan(&c.TokenID, &c.Scopes, &c.User.ID, &c.User.Name, &c.User.Team, &c.User.Roles)
	if err != nil {
		return Credential{}, fmt.Errorf("token: %w", notFound(err))
	}
	return c, nil
}

// APIToken is a token as its owner sees it: never the secret.
type APIToken struct {
	ID         int64      `json:"id"`
	User       string     `json:"user"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// TokenCreate stores a new API token by its digest and returns it.
func (db *DB) TokenCreate(ctx context.Context, user, name string, scopes []string, secret string, expires time.Time) (APIToken, error) {
	sum := sha256.Sum256([]byte(secret))
	t := APIToken{User: user, Name: name, Scopes: scopes, ExpiresAt: expires}
	err := db.q(ctx).QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_sha256, scopes, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`, user, name, sum[:], scopes, expires).Scan(&t.ID, &t.CreatedAt)
	if err != nil {
		return t, fmt.Errorf("create token: %w", err)
	}
	return t, nil
}

// TokenList lists user's API tokens, newest first.
func (db *DB) TokenList(ctx context.Context, user string) ([]APIToken, error) {
	return queryList(ctx, db.pool, "list tokens", pgx.RowToStructByPos[APIToken], `SELECT id, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at
		FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, user)
}

// TokenRevoke revokes token id if it belongs to user (or any token, for an
// admin); revoking twice is harmless. ErrNotFound when there is no such token
// for this caller.
func (db *DB) TokenRevoke(ctx context.Context, id int64, user string, admin bool, now time.Time) error {
	tag, err := db.q(ctx).Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $3)
		WHERE id = $1 AND ($2 OR user_id = $4)`, id, admin, now, user)
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
