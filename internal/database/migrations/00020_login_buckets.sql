-- +goose Up
-- Login attempts, counted in PostgreSQL so that every replica spends from the
-- same buckets: one token bucket per key ("ip:…", "user:…", "user+ip:…",
-- "device:…"), refilled at rate a second up to burst. An attempt takes its
-- tokens before the password is looked at (database.LoginTake).
CREATE TABLE login_buckets (
    key    text PRIMARY KEY,
    tokens double precision NOT NULL,
    rate   double precision NOT NULL CHECK (rate > 0),
    burst  double precision NOT NULL CHECK (burst >= 1),
    at     timestamptz NOT NULL
);
CREATE INDEX login_buckets_at_idx ON login_buckets (at);

-- +goose Down
DROP TABLE login_buckets;
