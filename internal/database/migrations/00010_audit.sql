-- +goose Up
-- The audit trail: append-only, each entry MAC-chained to the one before.
CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    object_type text NOT NULL DEFAULT '',
    object_id   text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',  -- JSON, kept byte for byte: the MAC covers it
    prev_mac    bytea NOT NULL,
    mac         bytea NOT NULL
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, seq);

-- The seal on the last entry: one row, rewritten with each append.
CREATE TABLE audit_head (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq  bigint NOT NULL,
    mac  bytea NOT NULL
);

-- +goose Down
DROP TABLE audit_head, audit_log;
