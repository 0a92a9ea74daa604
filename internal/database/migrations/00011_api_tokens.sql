-- +goose Up
-- API tokens for machines and scripts: stored as digests, scoped, expiring,
-- revocable. (users.token_sha256 remains the personal token `l2c users add` makes.)
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id),
    name         text NOT NULL CHECK (name <> ''),
    token_sha256 bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write'] AND cardinality(scopes) > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at);

-- +goose Down
DROP TABLE api_tokens;
