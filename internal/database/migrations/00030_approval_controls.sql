-- +goose Up
-- Four eyes is a property of a kind's rule set: a person decides at most one
-- stage of a case. On unless an admin turns it off (a recorded rule edit).
ALTER TABLE approval_rules ADD COLUMN distinct_approvers boolean NOT NULL DEFAULT true;

-- What a case keeps of the controls it runs under: the people its subject
-- names (never its approvers), four eyes, and the controls' version (0 for
-- cases started before them).
ALTER TABLE approval_cases
    ADD COLUMN excluded jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN distinct_approvers boolean NOT NULL DEFAULT false,
    ADD COLUMN controls int NOT NULL DEFAULT 0;

-- A delegation ends at its end time, or earlier when someone ends it; the row
-- stays, with who ended it, for the record.
ALTER TABLE delegations
    ADD COLUMN created_by text REFERENCES users (id),
    ADD COLUMN ended_at timestamptz,
    ADD COLUMN ended_by text REFERENCES users (id);

-- +goose Down
ALTER TABLE delegations DROP COLUMN ended_by, DROP COLUMN ended_at, DROP COLUMN created_by;
ALTER TABLE approval_cases DROP COLUMN controls, DROP COLUMN distinct_approvers, DROP COLUMN excluded;
ALTER TABLE approval_rules DROP COLUMN distinct_approvers;
