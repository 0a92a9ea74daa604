-- +goose Up
-- What an integration administrator watches: a run's failed attempts and last
-- error while it is still retrying, and per entity how stale its data may be
-- before someone is told (stale_alerted_at: told, and not fresh since).
ALTER TABLE sync_runs
    ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error      text NOT NULL DEFAULT '',
    ADD COLUMN last_error_at   timestamptz;
ALTER TABLE sync_schedules
    ADD COLUMN stale_after      interval NOT NULL DEFAULT interval '2 hours' CHECK (stale_after > interval '0'),
    ADD COLUMN stale_alerted_at timestamptz;
CREATE INDEX sync_runs_succeeded_idx ON sync_runs (entity, finished_at DESC) WHERE status = 'succeeded';

-- +goose Down
DROP INDEX sync_runs_succeeded_idx;
ALTER TABLE sync_schedules DROP COLUMN stale_alerted_at, DROP COLUMN stale_after;
ALTER TABLE sync_runs DROP COLUMN last_error_at, DROP COLUMN last_error, DROP COLUMN failed_attempts;
