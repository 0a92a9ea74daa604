package database

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/identity"
)

// Login is what a password login needs to know about a user.
type Login struct {
	User         identity.User
	PasswordHash string // empty: the user has no password (SSO or tokens only)
	Disabled     bool
}

// LoginByUser reads user id's login; ErrNotFound when there is no such user.
func (db *DB) LoginByUser(ctx context.Context, id string) (Login, error) {
	var l Login
	err := db.pool.QueryRow(ctx, `SELECT id, name, team, roles, coalesce(password_hash, ''), disabled FROM users WHERE id = $1`, id).
		Scan(&l.User.ID, &l.User.Name, &l.User.Team, &l.User.Roles, &l.PasswordHash, &l.Disabled)
	if err != nil {
		return Login{}, fmt.Errorf("login %s: %w", id, notFound(err))
	}
	return l, nil
}

// UserSetPassword stores a new password hash for user id. With endSessions, it
// also ends every session the user has open and revokes every API token they
// made, so a password changed because it leaked locks the thief out, whatever
// they minted with it. (The personal token an administrator issues with `l2c
// users add` is not made with the password and stays.)
func (db *DB) UserSetPassword(ctx context.Context, id, hash string, endSessions bool, now time.Time) error {
	err := db.txIn(ctx, func(tx pgx.Tx) error {
		err := userUpdate(ctx, tx, `UPDATE users SET password_hash = $2 WHERE id = $1`, id, hash)
		if err != nil || !endSessions {
			return err
		}
		if err := userEndSessions(ctx, tx, id, now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, id, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("set password for %s: %w", id, err)
	}
	return nil
}

// UserBySSO finds the active user an SSO identity belongs to: by the subject
// linked earlier, else by a verified email that exactly one user has, which it
// then links, so a later change of address at the provider cannot move the
// login to someone else.
func (db *DB) UserBySSO(ctx context.Context, subject, verifiedEmail string) (identity.User, error) {
	var u identity.User
	err := db.pool.QueryRow(ctx, `
		WITH linked AS (
			SELECT id FROM users WHERE sso_subject = $1
		), by_email AS (
			UPDATE users SET sso_subject = $1
			WHERE NOT EXISTS (SELECT 1 FROM linked) AND $2 <> '' AND lower(email) = lower($2) AND sso_subject IS NULL
			  AND (SELECT count(*) FROM users WHERE lower(email) = lower($2)) = 1
			RETURNING id
		)
		SELECT u.id, u.name, u.team, u.roles FROM users u
		WHERE u.id IN (SELECT id FROM linked UNION ALL SELECT id FROM by_email) AND NOT u.disabled`,
		subject, verifiedEmail).Scan(&u.ID, &u.Name, &u.Team, &u.Roles)
	if err != nil {
		return identity.User{}, fmt.Errorf("user by SSO identity: %w", notFound(err))
	}
	return u, nil
}

// Session is an open login session.
type Session struct {
	ID        int64
	User      identity.User
	Method    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionCreate opens a session for user, known from now on by token's digest.
func (db *DB) SessionCreate(ctx context.Context, user, token, method, ip, userAgent string, now, expires time.Time) (int64, error) {
	sum := sha256.Sum256([]byte(token))
	return queryValue[int64](ctx, db.pool, "open session for "+user, `INSERT INTO sessions (user_id, token_sha256, method, ip, user_agent, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, left($5, 256), $6, $6, $7) RETURNING id`, user, sum[:], method, ip, userAgent, now, expires)
}

// SessionByToken finds the live session a cookie names: not revoked, not
// expired, used within idle, its user not disabled. It stamps the use (at
// most once a minute, to spare the writes).
func (db *DB) SessionByToken(ctx context.Context, token string, now time.Time, idle time.Duration) (Session, error) {
	sum := sha256.Sum256([]byte(token))
	var s Session
	err := db.pool.QueryRow(ctx, `
		WITH live AS (
			SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE s.token_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
			  AND s.last_seen_at > $2 - $3::interval AND NOT u.disabled
		), touched AS (
			UPDATE sessions SET last_seen_at = $2
			WHERE id IN (SELECT id FROM live) AND last_seen_at < $2 - interval '1 minute'
		)
		SELECT s.id, s.method, s.created_at, s.expires_at, u.id, u.name, u.team, u.roles
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id IN (SELECT id FROM live)`,
		sum[:], now, idle.String()).Scan(&s.ID, &s.Method, &s.CreatedAt, &s.ExpiresAt, &s.User.ID, &s.User.Name, &s.User.Team, &s.User.Roles)
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", notFound(err))
	}
	return s, nil
}

// SessionRevoke ends the session a cookie names; ending it twice is harmless.
func (db *DB) SessionRevoke(ctx context.Context, token string, now time.Time) error {
	sum := sha256.Sum256([]byte(token))
	if _, err := db.q(ctx).Exec(ctx, `UPDATE sessions SET revoked_at = coalesce(revoked_at, $2) WHERE token_sha256 = $1`, sum[:], now); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// userUpdate runs an UPDATE of one user's row: no such user is ErrNotFound.
func userUpdate(ctx context.Context, tx pgx.Tx, sql string, args ...any) error {
	tag, err := tx.Exec(ctx, sql, args...)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return err
}

// userEndSessions ends every session user id still has open, as of now.
func userEndSessions(ctx context.Context, tx pgx.Tx, id string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, id, now)
	return err
}

// UserSetDemoPassword gives user id a password if they have none; the demo
// data uses it so a password changed on a laptop survives the next start.
func (db *DB) UserSetDemoPassword(ctx context.Context, id, hash string) error {
	if _, err := db.pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash IS NULL`, id, hash); err != nil {
		return fmt.Errorf("demo password for %s: %w", id, err)
	}
	return nil
}

// UserSetDisabled disables or re-enables user id. A disabled user cannot log
// in, their sessions end and their tokens stop working (they are checked on
// every request), and a re-enabled one starts with no session.
func (db *DB) UserSetDisabled(ctx context.Context, id string, disabled bool, now time.Time) error {
	err := db.txIn(ctx, func(tx pgx.Tx) error {
		if err := userUpdate(ctx, tx, `UPDATE users SET disabled = $2 WHERE id = $1`, id, disabled); err != nil {
			return err
		}
		return userEndSessions(ctx, tx, id, now)
	})
	if err != nil {
		return fmt.Errorf("disable %s: %w", id, err)
	}
	return nil
}

// SessionView is a live session as its user sees it: never the secret.
type SessionView struct {
	ID         int64     `json:"id"`
	Method     string    `json:"method"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"`
}

// SessionsLive lists user's live sessions, newest first; current marks the
// one named by the token the request came with (if any).
func (db *DB) SessionsLive(ctx context.Context, user, token string, now time.Time, idle time.Duration) ([]SessionView, error) {
	sum := sha256.Sum256([]byte(token))
	return queryList(ctx, db.pool, fmt.Sprintf("sessions of %s", user), pgx.RowToStructByPos[SessionView], `SELECT id, method, ip, user_agent, created_at, last_seen_at, expires_at, token_sha256 = $2
		FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $3 AND last_seen_at > $3 - $4::interval
		ORDER BY created_at DESC, id DESC`, user, sum[:], now, idle.String())
}

// SessionEnd ends session id if it is user's; ErrNotFound otherwise.
func (db *DB) SessionEnd(ctx context.Context, id int64, user string, now time.Time) error {
	tag, err := db.q(ctx).Exec(ctx, `UPDATE sessions SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND user_id = $2`, id, user, now)
	if err != nil {
		return fmt.Errorf("end session %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// LoginBucket is one limit on login attempts: Key's bucket holds up to Burst
// attempts and refills at Rate a second.
type LoginBucket struct {
	Key         string
	Rate, Burst float64
}

// LoginTake spends one attempt from each of buckets, atomically and for every
// replica at once: either every bucket has an attempt left and each is spent,
// or none is spent and wait says how long until all would have one. Buckets
// are taken in key order, so two attempts never wait on each other in a
// circle. Calling it before the password is checked is what keeps parallel
// guesses from all getting through while the first ones are being checked.
func (db *DB) LoginTake(ctx context.Context, now time.Time, buckets []LoginBucket) (ok bool, wait time.Duration, err error) {
	keys := make([]string, len(buckets))
	rates := make([]float64, len(buckets))
	bursts := make([]float64, len(buckets))
	for i, b := range buckets {
		keys[i], rates[i], bursts[i] = b.Key, b.Rate, b.Burst
	}
	errDenied := errors.New("denied")
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			INSERT INTO login_buckets AS b (key, tokens, rate, burst, at)
			SELECT w.key, w.burst - 1, w.rate, w.burst, $4 FROM unnest($1::text[], $2::float8[], $3::float8[]) AS w(key, rate, burst)
			ORDER BY w.key
			ON CONFLICT (key) DO UPDATE SET
				tokens = least(EXCLUDED.burst, b.tokens + greatest(0, extract(epoch FROM EXCLUDED.at - b.at)) * EXCLUDED.rate) - 1,
				rate = EXCLUDED.rate, burst = EXCLUDED.burst, at = greatest(b.at, EXCLUDED.at)
			RETURNING tokens, rate`, keys, rates, bursts, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var tokens, rate float64
			if err := rows.Scan(&tokens, &rate); err != nil {
				return err
			}
			if tokens < 0 {
				wait = max(wait, time.Duration(-tokens/rate*float64(time.Second)))
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if wait > 0 {
			return errDenied // nothing spent
		}
		// Buckets untouched for a day are full again: now and then, forget them.
		if rand.IntN(100) == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM login_buckets WHERE at < $1::timestamptz - interval '1 day'`, now)
		}
		return err
	})
	if errors.Is(err, errDenied) {
		return false, max(wait, time.Second), nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("login limits: %w", err)
	}
	return true, 0, nil
}

// LoginRefund gives back the attempts a login that turned out right took:
// only wrong passwords use up a limit.
func (db *DB) LoginRefund(ctx context.Context, keys []string) error {
	if _, err := db.pool.Exec(ctx, `UPDATE login_buckets SET tokens = least(burst, tokens + 1) WHERE key = ANY($1)`, keys); err != nil {
		return fmt.Errorf("login limits: %w", err)
	}
	return nil
}
