-- +goose Up
-- Logins for the web pages: a password (argon2id, PHC string) and/or a link to
-- the company's SSO identity (first made through users.email), and the
-- sessions a login opens.
ALTER TABLE users
    ADD COLUMN password_hash text,
    ADD COLUMN sso_subject   text,                 -- OIDC "iss sub" once linked
    ADD COLUMN disabled      boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX users_sso_subject_idx ON users (sso_subject) WHERE sso_subject IS NOT NULL;

-- A session is known by the digest of its cookie, so the table holds nothing
-- a thief could present. It ends at expires_at, after idle time without use,
-- or when revoked (logout, password change, the user disabled).
CREATE TABLE sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id),
    token_sha256 bytea NOT NULL UNIQUE,
    method       text NOT NULL CHECK (method IN ('password', 'oidc')),
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE sessions;
DROP INDEX users_sso_subject_idx;
ALTER TABLE users DROP COLUMN disabled, DROP COLUMN sso_subject, DROP COLUMN password_hash;
