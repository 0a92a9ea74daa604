-- +goose Up
-- The ERP's open items, every customer's, deal or no deal: each invoice (a
-- negative one is a credit note) with what its payments leave open. Kept
-- by statement triggers on the sync's tables, set-based, so a page of a
-- thousand invoices costs one statement, not a thousand.
CREATE TABLE receivable_items (
    number        text PRIMARY KEY,
    customer_code text NOT NULL,
    deal_id       text,
    currency      char(3) NOT NULL,
    issued_on     date NOT NULL,
    due_on        date NOT NULL,
    amount        bigint NOT NULL,
    open          bigint NOT NULL
);
CREATE INDEX receivable_items_customer_idx ON receivable_items (customer_code, due_on) INCLUDE (open);

-- +goose StatementBegin
CREATE FUNCTION receivable_items_refresh(numbers text[]) RETURNS void LANGUAGE sql AS $$
    WITH cur AS (
        SELECT i.number, i.customer_code, i.deal_id, i.currency, i.issued_on, i.due_on, i.amount,
            i.amount - coalesce((SELECT sum(p.amount) FROM erp_payments p WHERE p.invoice_no = i.number), 0) AS open,
            i.cancelled
        FROM erp_invoices i WHERE i.number = ANY(numbers)
    ), gone AS (
        DELETE FROM receivable_items r USING cur WHERE r.number = cur.number AND (cur.cancelled OR cur.open = 0)
    )
    INSERT INTO receivable_items (number, customer_code, deal_id, currency, issued_on, due_on, amount, open)
    SELECT number, customer_code, deal_id, currency, issued_on, due_on, amount, open FROM cur
    WHERE NOT cancelled AND open <> 0
    ON CONFLICT (number) DO UPDATE SET customer_code = EXCLUDED.customer_code, deal_id = EXCLUDED.deal_id,
        currency = EXCLUDED.currency, issued_on = EXCLUDED.issued_on, due_on = EXCLUDED.due_on,
        amount = EXCLUDED.amount, open = EXCLUDED.open
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION receivable_invoices_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM receivable_items_refresh(ARRAY(SELECT number FROM changed));
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION receivable_payments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM receivable_items_refresh(ARRAY(SELECT DISTINCT invoice_no FROM changed));
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER receivable_invoices_inserted AFTER INSERT ON erp_invoices
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION receivable_invoices_changed();
CREATE TRIGGER receivable_invoices_updated AFTER UPDATE ON erp_invoices
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION receivable_invoices_changed();
CREATE TRIGGER receivable_payments_inserted AFTER INSERT ON erp_payments
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION receivable_payments_changed();
CREATE TRIGGER receivable_payments_updated AFTER UPDATE ON erp_payments
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION receivable_payments_changed();

-- What is in the ERP already.
SELECT receivable_items_refresh(ARRAY(SELECT number FROM erp_invoices));

-- Summaries the dunning tick rebuilds every hour, for the reports over
-- everything (finance, admins): ageing by owner and office per due day, the
-- customers' days to pay, and the collection forecast per week.
CREATE TABLE receivable_summary (
    owner   text NOT NULL,
    office  text NOT NULL,
    currency char(3) NOT NULL,
    due_on  date NOT NULL,
    open    bigint NOT NULL,
    items   int NOT NULL,
    PRIMARY KEY (owner, office, currency, due_on)
);
CREATE TABLE customer_pay_stats (
    customer_code text PRIMARY KEY,
    avg_days_late int NOT NULL,   -- amount-weighted, received_on - due_on, last 365 days
    payments      int NOT NULL
);
CREATE TABLE collection_forecast_summary (
    week     date NOT NULL,       -- Monday
    currency char(3) NOT NULL,
    expected bigint NOT NULL,
    items    int NOT NULL,
    PRIMARY KEY (week, currency)
);
CREATE TABLE collection_summaries_refreshed (
    id  boolean PRIMARY KEY DEFAULT true CHECK (id),
    at  timestamptz NOT NULL,
    day date NOT NULL
);

-- +goose Down
DROP TABLE collection_summaries_refreshed, collection_forecast_summary, customer_pay_stats, receivable_summary;
DROP TRIGGER receivable_payments_updated ON erp_payments;
DROP TRIGGER receivable_payments_inserted ON erp_payments;
DROP TRIGGER receivable_invoices_updated ON erp_invoices;
DROP TRIGGER receivable_invoices_inserted ON erp_invoices;
DROP FUNCTION receivable_payments_changed(), receivable_invoices_changed(), receivable_items_refresh(text[]);
DROP TABLE receivable_items;
