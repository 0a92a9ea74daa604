package database

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/identity"
)

// UserByToken finds the user an API token belongs to. Tokens are compared by
// their SHA-256 digest, so the table never holds a usable token.
func (db *DB) UserByToken(ctx context.Context, token string) (identity.User, error) {
	sum := sha256.Sum256([]byte(token))
	var u identity.User
	err := db.pool.QueryRow(ctx, `SELECT id, name, team, roles FROM users WHERE token_sha256 = $1`, sum[:]).
		Scan(&u.ID, &u.Name, &u.Team, &u.Roles)
	if err != nil {
		return identity.User{}, fmt.Errorf("user by token: %w", notFound(err))
	}
	return u, nil
}

// UserUpsert creates or updates a user; a non-empty token replaces their API token.
func (db *DB) UserUpsert(ctx context.Context, u identity.User, managerID, token string) error {
	var digest []byte
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		digest = sum[:]
	}
	return exec(ctx, db.q(ctx), "upsert user "+u.ID, `
		INSERT INTO users (id, name, team, manager_id, roles, token_sha256)
		VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, team = EXCLUDED.team,
			manager_id = EXCLUDED.manager_id, roles = EXCLUDED.roles,
			token_sha256 = coalesce(EXCLUDED.token_sha256, users.token_sha256)`,
		u.ID, u.Name, u.Team, managerID, u.Roles, digest)
}

// UsersMissing returns those of ids that name no user, in the order given.
func (db *DB) UsersMissing(ctx context.Context, ids []string) ([]string, error) {
	return queryList(ctx, db.pool, "check users", pgx.RowTo[string], `SELECT want.id FROM unnest($1::text[]) WITH ORDINALITY AS want(id, n)
		WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = want.id) ORDER BY want.n`, ids)
}

// SalesOwnerInReach reports whether owner is an active sales rep (or sales
// manager) whom an assistant or manager may hand deals to: themselves,
// someone in their team, or one of their direct reports.
func (db *DB) SalesOwnerInReach(ctx context.Context, actor, team, owner string) (bool, error) {
	return queryValue[bool](ctx, db.pool, "sales owner "+owner, `SELECT EXISTS (SELECT 1 FROM users o WHERE o.id = $3 AND NOT o.disabled
		AND o.roles && ARRAY['sales', 'sales_manager'] AND (o.id = $1 OR ($2 <> '' AND o.team = $2) OR o.manager_id = $1))`,
		actor, team, owner)
}

// UserRow is a user as the administrators' list shows them.
type UserRow struct {
	ID, Name, Team string
	Manager        string // "" when they report to nobody
	Roles          []identity.Role
	Disabled       bool
	// Password and SSO say how they log in to the pages; Token, whether
	// they hold an API token of their own.
	Password, SSO, Token bool
}

// UserList lists every user in ID order, for the administrators.
func (db *DB) UserList(ctx context.Context) ([]UserRow, error) {
	return queryList(ctx, db.pool, "list users", pgx.RowToStructByPos[UserRow], `SELECT id, name, team, coalesce(manager_id, ''), roles, disabled,
		password_hash IS NOT NULL, sso_subject IS NOT NULL, token_sha256 IS NOT NULL FROM users ORDER BY id`)
}

// EscalationTargets maps each of holders to whom their overdue step escalates:
// their manager or, when that one is a disabled account or barred (the case's
// requester, the people its subject names, four eyes), the first manager up
// the chain who is neither, at most climb steps up (a cycle ends the climb).
// A holder with nobody eligible above is left out. One round trip.
func (db *DB) EscalationTargets(ctx context.Context, holders, barred []string, climb int) (map[string]string, error) {
	if barred == nil {
		barred = []string{}
	}
	return queryPairs(ctx, db.pool, "escalation targets", `
		WITH RECURSIVE up(holder, id, depth, path) AS (
			SELECT u.id, u.manager_id, 1, ARRAY[u.id] FROM users u
			WHERE u.id = ANY($1) AND u.manager_id IS NOT NULL
			UNION ALL
			SELECT up.holder, m.manager_id, up.depth + 1, up.path || m.id FROM up JOIN users m ON m.id = up.id
			WHERE m.manager_id IS NOT NULL AND up.depth < $3 AND NOT m.id = ANY(up.path)
			  AND (m.disabled OR m.id = ANY($2))
		)
		SELECT DISTINCT ON (up.holder) up.holder, up.id FROM up JOIN users m ON m.id = up.id
		WHERE NOT m.disabled AND NOT m.id = ANY($2) AND NOT m.id = ANY(up.path)
		ORDER BY up.holder, up.depth`, holders, barred, climb)
}
