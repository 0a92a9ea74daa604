-- +goose Up
-- People who act in l2c. API tokens are stored as SHA-256 digests, never in clear.
CREATE TABLE users (
    id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    name         text NOT NULL,
    team         text NOT NULL DEFAULT '',
    manager_id   text REFERENCES users (id),
    roles        text[] NOT NULL CHECK (cardinality(roles) > 0),
    token_sha256 bytea UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE deal_number_seq;

-- One row per deal: what lists and filters read. Stage data lives in the
-- deal_* tables below; all of it is rewritten from the workflow's state on
-- every transition, guarded by version so a late retry never rolls it back.
CREATE TABLE deals (
    id                 text PRIMARY KEY,
    title              text NOT NULL,
    customer_code      text NOT NULL DEFAULT '',
    customer_name      text NOT NULL,
    tendered           boolean NOT NULL,
    currency           char(3) NOT NULL,
    expected_amount    bigint NOT NULL,   -- minor units
    purchase_timeframe text NOT NULL DEFAULT '',
    discoverer         text NOT NULL REFERENCES users (id),
    sales_owner        text NOT NULL REFERENCES users (id),
    delivery_owner     text REFERENCES users (id),
    payment_owner      text REFERENCES users (id),
    stage              text NOT NULL,
    stage_entered_at   timestamptz NOT NULL,
    holder             text NOT NULL DEFAULT '',
    lost_reason        text NOT NULL DEFAULT '',
    created_by         text NOT NULL REFERENCES users (id),
    created_at         timestamptz NOT NULL,
    closed_at          timestamptz,
    version            bigint NOT NULL
);
CREATE INDEX deals_stage_idx ON deals (stage, id);
CREATE INDEX deals_sales_owner_idx ON deals (sales_owner, id);
CREATE INDEX deals_delivery_owner_idx ON deals (delivery_owner, id) WHERE delivery_owner IS NOT NULL;
CREATE INDEX deals_payment_owner_idx ON deals (payment_owner, id) WHERE payment_owner IS NOT NULL;

-- Every transition: who moved the deal, from where to where, when and why.
CREATE TABLE deal_history (
    deal_id    text NOT NULL REFERENCES deals (id),
    seq        bigint NOT NULL,
    action     text NOT NULL,
    actor      text NOT NULL,
    from_stage text NOT NULL DEFAULT '',
    to_stage   text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,
    PRIMARY KEY (deal_id, seq)
);

CREATE TABLE deal_quotes (
    deal_id      text NOT NULL REFERENCES deals (id),
    revision     int NOT NULL,
    lines        jsonb NOT NULL,
    discount_bp  int NOT NULL,          -- share of list price charged, 10000 = 100%
    list_total   bigint NOT NULL,
    net_total    bigint NOT NULL,
    valid_until  date NOT NULL,
    expires_at   timestamptz NOT NULL,
    status       text NOT NULL,
    submitted_by text NOT NULL,
    submitted_at timestamptz NOT NULL,
    PRIMARY KEY (deal_id, revision)
);

CREATE TABLE deal_bids (
    deal_id     text PRIMARY KEY REFERENCES deals (id),
    number      text NOT NULL DEFAULT '',
    result      text NOT NULL,
    note        text NOT NULL DEFAULT '',
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL
);

CREATE TABLE deal_contracts (
    deal_id      text PRIMARY KEY REFERENCES deals (id),
    number       text NOT NULL,
    amount       bigint NOT NULL,
    review_status text NOT NULL,
    review_round int NOT NULL,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL,
    decided_by   text NOT NULL DEFAULT '',
    decided_at   timestamptz,
    note         text NOT NULL DEFAULT ''
);

CREATE TABLE deal_orders (
    deal_id      text PRIMARY KEY REFERENCES deals (id),
    kind         text NOT NULL,
    erp_number   text NOT NULL DEFAULT '',
    delivery_due date NOT NULL,
    due_at       timestamptz NOT NULL,
    review_status text NOT NULL,
    review_round int NOT NULL,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL,
    decided_by   text NOT NULL DEFAULT '',
    decided_at   timestamptz,
    note         text NOT NULL DEFAULT '',
    overdue_notified_at timestamptz
);

CREATE TABLE deal_shipments (
    deal_id     text NOT NULL REFERENCES deals (id),
    number      text NOT NULL,
    shipped_on  date NOT NULL,
    carrier     text NOT NULL DEFAULT '',
    final       boolean NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (deal_id, number)
);

CREATE TABLE deal_invoices (
    deal_id     text NOT NULL REFERENCES deals (id),
    number      text NOT NULL,
    amount      bigint NOT NULL,
    issued_on   date NOT NULL,
    due_on      date NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (deal_id, number)
);

CREATE TABLE deal_payments (
    deal_id     text NOT NULL REFERENCES deals (id),
    reference   text NOT NULL,
    amount      bigint NOT NULL,
    received_on date NOT NULL,
    invoice_no  text NOT NULL DEFAULT '',
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (deal_id, reference)
);

-- Messages to people. Keyed so a retried activity never tells anyone twice;
-- a notifier delivers rows and stamps sent_at.
CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    dedupe_key text NOT NULL UNIQUE,
    recipient  text NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL DEFAULT '',
    deal_id    text REFERENCES deals (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);

-- +goose Down
DROP TABLE notifications, deal_payments, deal_invoices, deal_shipments, deal_orders,
    deal_contracts, deal_bids, deal_quotes, deal_history, deals, users;
DROP SEQUENCE deal_number_seq;
