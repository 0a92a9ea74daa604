-- +goose Up
-- Reviews run as approval cases: the deal records which case, and the contract
-- terms that route a contract review.
ALTER TABLE deal_contracts
    ADD COLUMN payment_terms text NOT NULL DEFAULT '',
    ADD COLUMN nonstandard_terms boolean NOT NULL DEFAULT false,
    ADD COLUMN non_template boolean NOT NULL DEFAULT false,
    ADD COLUMN case_id text NOT NULL DEFAULT '';
ALTER TABLE deal_orders ADD COLUMN case_id text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE deal_orders DROP COLUMN case_id;
ALTER TABLE deal_contracts DROP COLUMN payment_terms, DROP COLUMN nonstandard_terms,
    DROP COLUMN non_template, DROP COLUMN case_id;
