-- +goose Up
-- The deal list's holder filter (who a deal waits on now: its holder, or an
-- approver of its open review, whose deals hold "approval:<case>") reads the
-- deals of those holders from this index, in ID order, instead of testing
-- every deal the viewer may see.
CREATE INDEX deals_holder_idx ON deals (holder, id);

-- +goose Down
DROP INDEX deals_holder_idx;
