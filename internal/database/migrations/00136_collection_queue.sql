-- +goose Up
-- The dunning queue pages through the open instalments most overdue first
-- (due day, then deal and number: its keyset), and My work lists a payment
-- owner's open instalments earliest due first; each reads its page from an
-- index in that order instead of sorting every open instalment.
CREATE INDEX collection_instalments_queue_idx ON collection_instalments (due_on, deal_id, no)
    WHERE settled_on IS NULL AND due_on IS NOT NULL;
CREATE INDEX collection_instalments_owner_due_idx ON collection_instalments (payment_owner, due_on, deal_id, no)
    WHERE settled_on IS NULL;

-- +goose Down
DROP INDEX collection_instalments_queue_idx;
DROP INDEX collection_instalments_owner_due_idx;
