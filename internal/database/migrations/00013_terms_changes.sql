-- +goose Up
-- Changes of a customer's commercial terms (minimum discount, payment terms,
-- credit limit): requested by sales, approved by market management and
-- finance, then written into the ERP. One row per request, kept whatever
-- became of it.
CREATE TABLE terms_changes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_code text NOT NULL REFERENCES customers (code),
    requested_by  text NOT NULL REFERENCES users (id),
    reason        text NOT NULL CHECK (reason <> ''),
    before        jsonb NOT NULL,            -- the terms as l2c knew them when asked
    after         jsonb NOT NULL,            -- the terms asked for (only those changing)
    erp_etag      text NOT NULL DEFAULT '',  -- the ERP's version the change was asked against
    case_id       text,                      -- its approval case
    status        text NOT NULL CHECK (status IN ('in_review', 'approved', 'written', 'rejected', 'withdrawn', 'conflict', 'failed')),
    detail        text NOT NULL DEFAULT '',  -- why it was rejected, or failed
    requested_at  timestamptz NOT NULL,
    finished_at   timestamptz
);
-- One change at a time per customer: a second would be approved against terms
-- the first is about to replace.
CREATE UNIQUE INDEX terms_changes_open_idx ON terms_changes (customer_code) WHERE status IN ('in_review', 'approved');
CREATE INDEX terms_changes_customer_idx ON terms_changes (customer_code, id);

-- The default route: market management, then finance; a credit limit of five
-- million or more (the case's amount) also goes to the requester's manager.
INSERT INTO approval_rules (kind, version, stages, updated_by) VALUES ('terms_change', 1, '[
  {"name":"market_manager","approvers":["role:market_manager"],"rule":"any","sla_hours":8,"remind_before_hours":2},
  {"name":"finance","approvers":["role:finance"],"rule":"any","sla_hours":8,"remind_before_hours":2},
  {"name":"sales_director","approvers":["manager"],"rule":"any","sla_hours":16,"remind_before_hours":4,
   "when":{"amount_at_least":"5000000.00"}}
]', 'system');

-- +goose Down
DELETE FROM approval_rules WHERE kind = 'terms_change';
DROP TABLE terms_changes;
