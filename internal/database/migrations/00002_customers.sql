-- +goose Up
-- The customer master. The ERP is its system of record; l2c keeps a copy it can
-- filter and report on, fed by the ERP sync and by workbook imports, and governs
-- changes to commercial terms before they are written back.
CREATE TABLE customers (
    code            text PRIMARY KEY CHECK (code <> ''), -- the ERP's customer number (SAP: Customer)
    name            text NOT NULL CHECK (name <> ''),
    tax_id          text NOT NULL DEFAULT '',           -- 税号 (unified social credit code)
    address         text NOT NULL DEFAULT '',
    contact_name    text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    payment_terms   text NOT NULL DEFAULT '',           -- the ERP's payment terms key, e.g. 0001, NT30
    min_discount_bp int CHECK (min_discount_bp BETWEEN 1 AND 10000), -- lowest share of list price without approval
    credit_limit    bigint CHECK (credit_limit >= 0),   -- minor units of currency
    currency        char(3) NOT NULL DEFAULT 'CNY',
    value_class     text NOT NULL DEFAULT '' CHECK (value_class IN ('', 'A', 'B', 'C')),
    sales_owner     text REFERENCES users (id),
    blocked         boolean NOT NULL DEFAULT false,
    source          text NOT NULL CHECK (source IN ('erp', 'import', 'manual')),
    erp_changed_at  timestamptz,                        -- the ERP's last-change stamp, for delta syncs
    erp_etag        text NOT NULL DEFAULT '',           -- for If-Match on write-backs
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_sales_owner_idx ON customers (sales_owner, code);
CREATE INDEX customers_tax_id_idx ON customers (tax_id) WHERE tax_id <> '';

-- Where each scheduled sync stands, advanced in the same transaction as the rows
-- it covers, so a crash resumes where it stopped.
CREATE TABLE sync_checkpoints (
    entity     text PRIMARY KEY,
    position   text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE sync_checkpoints, customers;
