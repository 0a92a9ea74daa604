-- +goose Up
-- ERP records a deal's workflow was signalled and refused because l2c's copy
-- of the ERP's data does not hold them as sent: one row per refused signal
-- (keyed by the check that refused it), written with its audit entry, so a
-- retried check does not audit twice.
CREATE TABLE erp_record_refusals (
    key         text PRIMARY KEY,
    deal_id     text NOT NULL,
    record      text NOT NULL,   -- invoice number or payment reference, as heard
    reason      text NOT NULL,
    audit_seq   bigint NOT NULL,
    refused_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX erp_record_refusals_deal_idx ON erp_record_refusals (deal_id);

-- +goose Down
DROP TABLE erp_record_refusals;
