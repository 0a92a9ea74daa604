-- +goose Up
-- Where e-mail notifications go. Optional: a user without one is reached by the
-- chat robot or the log only.
ALTER TABLE users ADD COLUMN email text CHECK (email ~ '^[^@\s<>",;]+@[^@\s<>",;]+$');

-- Delivery state of the outbox. A row is due while sent_at is null and
-- next_attempt_at is set; after a success sent_at is set, and after the last
-- failed attempt next_attempt_at is cleared and last_error says why, so the
-- row stays visible for someone to look at (and requeue).
ALTER TABLE notifications
    ADD COLUMN attempts        int NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz DEFAULT now(),
    ADD COLUMN last_error      text NOT NULL DEFAULT '';
UPDATE notifications SET next_attempt_at = NULL WHERE sent_at IS NOT NULL;
UPDATE notifications SET next_attempt_at = created_at WHERE sent_at IS NULL;

-- The dispatcher's claim query reads only due rows, oldest first.
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at, id)
    WHERE sent_at IS NULL AND next_attempt_at IS NOT NULL;

-- +goose Down
DROP INDEX notifications_due_idx;
ALTER TABLE notifications DROP COLUMN last_error, DROP COLUMN next_attempt_at, DROP COLUMN attempts;
ALTER TABLE users DROP COLUMN email;
