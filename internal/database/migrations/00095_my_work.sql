-- +goose Up
-- My work shows management the contracts signed in the last days over an
-- amount: found by when the review approved them, not by reading them all.
CREATE INDEX deal_contracts_signed_idx ON deal_contracts (decided_at) WHERE review_status = 'approved';

-- +goose Down
DROP INDEX deal_contracts_signed_idx;
