-- +goose Up
-- The dunning tick tells each person once a day (a digest: how many
-- instalments reached which step, and where to open them) instead of once
-- per instalment and step; a broken promise is still told on its own. Who
-- each step told is recorded on the step itself, the deal's trail, where the
-- deal page reads it.
ALTER TABLE dunning_events ADD COLUMN told text[] NOT NULL DEFAULT '{}';

-- The steps taken before: who they told, from their notifications
-- (dunning/<deal>/<no>/<step>/<who>), in the order they were queued.
UPDATE dunning_events e SET told = n.who
FROM (SELECT split_part(dedupe_key, '/', 2) AS deal_id, split_part(dedupe_key, '/', 3)::int AS no,
        split_part(dedupe_key, '/', 4) AS step, array_agg(recipient ORDER BY id) AS who
    FROM notifications WHERE dedupe_key ~ '^dunning/[^/]+/[0-9]{1,9}/[^/]+/[^/]+$'
    GROUP BY 1, 2, 3) n
WHERE e.deal_id = n.deal_id AND e.no = n.no AND e.step = n.step;

-- A digest's key is dunning-digest/<day>/<who>/<n>: n from this sequence,
-- one per tick that tells anyone (a later tick the same day that reaches
-- new steps sends another digest, never a second copy of the first).
CREATE SEQUENCE dunning_digest_seq;

-- +goose Down
DROP SEQUENCE dunning_digest_seq;
ALTER TABLE dunning_events DROP COLUMN told;
