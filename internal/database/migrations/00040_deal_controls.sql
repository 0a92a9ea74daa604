-- +goose Up
-- Contracts record what their routing facts were derived from (issue 10):
-- the template used and the accepted quote they are measured against.
ALTER TABLE deal_contracts
    ADD COLUMN template_id text NOT NULL DEFAULT '',
    ADD COLUMN quote_total bigint,
    ADD COLUMN below_quote boolean NOT NULL DEFAULT false;

-- A contract below its accepted quote is a further discount: the contract
-- review gains a market-management stage for it, as a new version of the
-- contract rules (the versions before stay, for the cases that used them).
INSERT INTO approval_rules (kind, version, stages, updated_by)
SELECT kind, version + 1, jsonb_insert(stages, '{1}',
    '{"name":"market_manager","approvers":["role:market_manager"],"rule":"any","sla_hours":8,"remind_before_hours":2,
      "when":{"discount_below_minimum":true},"inputs":["amount","quote_total","effective_discount"]}'), 'system'
FROM approval_rules WHERE kind = 'contract_review'
ORDER BY version DESC LIMIT 1;

-- The Idempotency-Key a deal action was sent with, and what was sent: the
-- same key with another request is refused rather than answered with the
-- first one's outcome.
CREATE TABLE deal_idempotency (
    deal_id    text NOT NULL REFERENCES deals (id),
    key        text NOT NULL,
    actor      text NOT NULL,
    digest     bytea NOT NULL, -- SHA-256 of the action as received
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deal_id, key)
);

-- +goose Down
DROP TABLE deal_idempotency;
DELETE FROM approval_rules r WHERE kind = 'contract_review' AND updated_by = 'system'
    AND version = (SELECT max(version) FROM approval_rules WHERE kind = 'contract_review')
    AND stages @> '[{"name":"market_manager"}]';
ALTER TABLE deal_contracts DROP COLUMN template_id, DROP COLUMN quote_total, DROP COLUMN below_quote;
