-- +goose Up
-- ERP sync: invoices and payments read from the ERP, the schedules and runs of
-- the sync, and rows the ERP sent that could not be read.

-- Delta reads and "what changed lately" scale with the changes, not the table.
CREATE INDEX customers_erp_changed_at_idx ON customers (erp_changed_at);

-- Billing documents. deal_id is set when the invoice bills a deal's sales
-- order (deal_orders.erp_number); signal_pending marks an invoice the deal's
-- workflow has not been told about yet (a transactional outbox).
CREATE TABLE erp_invoices (
    number          text PRIMARY KEY CHECK (number <> ''),
    customer_code   text NOT NULL,
    sales_order     text NOT NULL DEFAULT '',
    amount          bigint NOT NULL,            -- gross, minor units
    currency        char(3) NOT NULL,
    issued_on       date NOT NULL,
    due_on          date NOT NULL,
    cancelled       boolean NOT NULL DEFAULT false,
    erp_changed_at  timestamptz NOT NULL,
    deal_id         text REFERENCES deals (id),
    signal_pending  boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX erp_invoices_sales_order_idx ON erp_invoices (sales_order) WHERE sales_order <> '';
CREATE INDEX erp_invoices_customer_idx ON erp_invoices (customer_code, issued_on);
CREATE INDEX erp_invoices_erp_changed_at_idx ON erp_invoices (erp_changed_at);
CREATE INDEX erp_invoices_signal_idx ON erp_invoices (number) WHERE signal_pending;
CREATE INDEX erp_invoices_deal_idx ON erp_invoices (deal_id) WHERE deal_id IS NOT NULL;

-- Payments: money received clearing an invoice.
CREATE TABLE erp_payments (
    reference       text PRIMARY KEY CHECK (reference <> ''),
    invoice_no      text NOT NULL,
    customer_code   text NOT NULL,
    amount          bigint NOT NULL,
    currency        char(3) NOT NULL,
    received_on     date NOT NULL,
    erp_changed_at  timestamptz NOT NULL,
    deal_id         text REFERENCES deals (id),
    signal_pending  boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX erp_payments_invoice_idx ON erp_payments (invoice_no);
CREATE INDEX erp_payments_erp_changed_at_idx ON erp_payments (erp_changed_at);
CREATE INDEX erp_payments_signal_idx ON erp_payments (reference) WHERE signal_pending;

-- Deal orders are matched to invoices by their ERP sales order number.
CREATE INDEX deal_orders_erp_number_idx ON deal_orders (erp_number) WHERE erp_number <> '';

-- One schedule per entity, editable at run time. running_run is the run that
-- holds the entity: a second run never overlaps it.
CREATE TABLE sync_schedules (
    entity      text PRIMARY KEY,
    spec        text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    running_run text,
    updated_by  text NOT NULL DEFAULT 'system',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sync_schedules (entity, spec) VALUES
    ('customers', '*/15 * * * *'), ('invoices', '*/5 * * * *'), ('payments', '*/5 * * * *');

-- Every run, keyed by its workflow ID, with its counts.
CREATE TABLE sync_runs (
    id           text PRIMARY KEY,
    entity       text NOT NULL,
    trigger      text NOT NULL,            -- schedule, manual
    requested_by text NOT NULL DEFAULT '',
    status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    since        timestamptz,              -- the delta's lower bound
    pages        bigint NOT NULL DEFAULT 0,
    rows_read    bigint NOT NULL DEFAULT 0,
    inserted     bigint NOT NULL DEFAULT 0,
    updated      bigint NOT NULL DEFAULT 0,
    unchanged    bigint NOT NULL DEFAULT 0,
    rejected     bigint NOT NULL DEFAULT 0,
    signalled    bigint NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_entity_idx ON sync_runs (entity, started_at DESC);

-- Rows of a run that could not be read, with the reason.
CREATE TABLE sync_rejects (
    run_id   text NOT NULL REFERENCES sync_runs (id),
    erp_key  text NOT NULL,
    reason   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, erp_key)
);

-- +goose Down
DROP TABLE sync_rejects, sync_runs, sync_schedules, erp_payments, erp_invoices;
DROP INDEX deal_orders_erp_number_idx;
DROP INDEX customers_erp_changed_at_idx;
