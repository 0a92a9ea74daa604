-- +goose Up
-- Credit at the order (issue 12): an order whose customer's exposure is over
-- the credit limit, who has receivables overdue beyond the policy, or who is
-- blocked in the ERP is held for finance. One row per hold, kept whatever
-- became of it; a manual release grants a temporary allowance on top of the
-- limit (credit_releases) until it expires.
CREATE TABLE credit_holds (
    id            text PRIMARY KEY,               -- <deal id>.<deal version>, as in credit-hold/{id}
    deal_id       text NOT NULL REFERENCES deals (id),
    customer_code text NOT NULL,
    amount        bigint NOT NULL,                -- the order held, minor units
    currency      char(3) NOT NULL,
    requested_by  text NOT NULL,                  -- who placed the order
    case_id       text NOT NULL,
    reasons       jsonb NOT NULL,                 -- why it was held
    exposure      jsonb NOT NULL,                 -- the breakdown at the last check
    status        text NOT NULL CHECK (status IN ('held', 'released', 'refused')),
    released_by   text NOT NULL DEFAULT '',       -- 'system' when a re-check let it go
    note          text NOT NULL DEFAULT '',
    held_at       timestamptz NOT NULL,
    checked_at    timestamptz NOT NULL,
    settled_at    timestamptz
);
-- The order's hold as the deal's workflow holds it (deal.Order.Credit).
ALTER TABLE deal_orders ADD COLUMN credit_hold jsonb;

CREATE INDEX credit_holds_deal_idx ON credit_holds (deal_id, held_at DESC);
-- Payments and limit changes re-check the open holds of a customer.
CREATE INDEX credit_holds_open_idx ON credit_holds (customer_code) WHERE status = 'held';

CREATE TABLE credit_releases (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hold_id       text NOT NULL UNIQUE REFERENCES credit_holds (id),
    customer_code text NOT NULL,
    amount        bigint NOT NULL CHECK (amount > 0), -- allowance above the limit, minor units
    reason        text NOT NULL CHECK (reason <> ''),
    approved_by   text NOT NULL,
    approved_at   timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX credit_releases_customer_idx ON credit_releases (customer_code, expires_at);

-- The exposure query (database.CreditExposure) reads per customer: open
-- invoices (erp_invoices_customer_idx), their payments (erp_payments_invoice_idx),
-- unapplied receipts (advances), and orders placed and not yet invoiced.
-- Covering indexes, so a check reads index pages only (index-only scans once
-- vacuumed), not invoices scattered over the heap: p99 39 → see README.
CREATE INDEX erp_invoices_open_customer_idx ON erp_invoices (customer_code) INCLUDE (number, amount, currency, due_on) WHERE NOT cancelled;
CREATE INDEX erp_payments_invoice_amount_idx ON erp_payments (invoice_no) INCLUDE (amount);
CREATE INDEX erp_payments_advance_idx ON erp_payments (customer_code) WHERE invoice_no = '';
CREATE INDEX deals_customer_ordered_idx ON deals (customer_code) WHERE stage IN ('delivery', 'payment_collection');

-- The default route of a hold: finance; from one million a second finance
-- approver (four eyes: distinct approvers), for a finance manager to hold.
INSERT INTO approval_rules (kind, version, stages, updated_by) VALUES ('credit_hold', 1, '[
  {"name":"finance","approvers":["role:finance"],"rule":"any","sla_hours":4,"remind_before_hours":1},
  {"name":"finance_manager","approvers":["role:finance"],"rule":"any","sla_hours":8,"remind_before_hours":2,
   "when":{"amount_at_least":"1000000.00"}}
]', 'system');

-- +goose Down
DELETE FROM approval_rules WHERE kind = 'credit_hold';
DROP INDEX deals_customer_ordered_idx;
DROP INDEX erp_payments_advance_idx;
DROP INDEX erp_payments_invoice_amount_idx;
DROP INDEX erp_invoices_open_customer_idx;
DROP TABLE credit_releases, credit_holds;
ALTER TABLE deal_orders DROP COLUMN credit_hold;
