-- +goose Up
-- Ageing and forecast for every viewer in milliseconds (issue 13): the
-- reports of a manager or a collector read a few thousand summary cells
-- instead of their hundreds of thousands of items, live and exact.
--
-- Each summary is cells plus deltas, like approval_stage_time_deltas
-- (00111): statement triggers append what a statement changed to the deltas
-- (no key, no upsert, no lock: two syncs never touch the same row), and the
-- hourly refresh folds them into the cells. A reader sums cells and deltas
-- in one statement, so it reads an exact figure whether a fold has run or
-- not, and applies the same visibility predicate as every other read.

-- The ERP's open items per customer, deal ('' for none), currency and due
-- day: the ageing buckets them at read time (a bucket is relative to the
-- day asked about), and takes the owner and office from the deal and
-- customer as they are now.
CREATE TABLE receivable_cells (
    customer_code text NOT NULL,
    deal_id       text NOT NULL,
    currency      char(3) NOT NULL,
    due_on        date NOT NULL,
    open          bigint NOT NULL,
    items         bigint NOT NULL,
    PRIMARY KEY (customer_code, deal_id, currency, due_on)
);
CREATE TABLE receivable_cell_deltas (
    customer_code text NOT NULL,
    deal_id       text NOT NULL,
    currency      char(3) NOT NULL,
    due_on        date NOT NULL,
    open          bigint NOT NULL,
    items         bigint NOT NULL
);
CREATE INDEX receivable_cell_deltas_customer_idx ON receivable_cell_deltas (customer_code);

-- +goose StatementBegin
CREATE FUNCTION receivable_cells_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO receivable_cell_deltas
        SELECT customer_code, coalesce(deal_id, ''), currency, due_on, sum(open), count(*) FROM new_items GROUP BY 1, 2, 3, 4;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO receivable_cell_deltas
        SELECT customer_code, coalesce(deal_id, ''), currency, due_on, -sum(open), -count(*) FROM old_items GROUP BY 1, 2, 3, 4;
    ELSE
        INSERT INTO receivable_cell_deltas
        SELECT customer_code, deal_id, currency, due_on, sum(open), sum(n) FROM (
            SELECT customer_code, coalesce(deal_id, '') AS deal_id, currency, due_on, open, 1 AS n FROM new_items
            UNION ALL SELECT customer_code, coalesce(deal_id, ''), currency, due_on, -open, -1 FROM old_items) x
        GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 OR sum(open) <> 0;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER receivable_cells_inserted AFTER INSERT ON receivable_items
    REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION receivable_cells_apply();
CREATE TRIGGER receivable_cells_updated AFTER UPDATE ON receivable_items
    REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION receivable_cells_apply();
CREATE TRIGGER receivable_cells_deleted AFTER DELETE ON receivable_items
    REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION receivable_cells_apply();
INSERT INTO receivable_cells
SELECT customer_code, coalesce(deal_id, ''), currency, due_on, sum(open), count(*) FROM receivable_items GROUP BY 1, 2, 3, 4;

-- Who collects which customers: the customers of the deals a person is
-- payment owner of without having created, sold or discovered them, with
-- how many such deals (customerCollects reads it). Kept by statement
-- triggers on deals; a row goes when its count reaches nought.
CREATE TABLE collector_customers (
    payment_owner text NOT NULL,
    customer_code text NOT NULL,
    deals         bigint NOT NULL CHECK (deals >= 0),
    PRIMARY KEY (payment_owner, customer_code)
);

-- +goose StatementBegin
CREATE FUNCTION collector_customers_move(owners text[], customers text[], n int[]) RETURNS void LANGUAGE sql AS $$
    WITH moved AS (
        SELECT o, c, sum(k) AS k FROM unnest(owners, customers, n) m (o, c, k) GROUP BY 1, 2 HAVING sum(k) <> 0
    ), up AS (
        INSERT INTO collector_customers AS x (payment_owner, customer_code, deals)
        SELECT o, c, k FROM moved WHERE k > 0 ORDER BY 1, 2
        ON CONFLICT (payment_owner, customer_code) DO UPDATE SET deals = x.deals + EXCLUDED.deals
    )
    UPDATE collector_customers x SET deals = x.deals + m.k FROM moved m
    WHERE m.k < 0 AND x.payment_owner = m.o AND x.customer_code = m.c;
    DELETE FROM collector_customers x USING unnest(owners, customers) m (o, c)
    WHERE x.deals = 0 AND x.payment_owner = m.o AND x.customer_code = m.c;
$$;
-- +goose StatementEnd

-- The open, scheduled instalments per the columns that decide who sees a
-- deal (dealVisible reads them as alias d), currency and expected week:
-- the Monday of the due day plus the customer's days to pay
-- (customer_pay_stats), before today's clamp (a week already past is this
-- week's, at read time). The refresh rebuilds them with the days to pay;
-- in between, the deltas keep the customer and due day and are put in
-- their week at read time with the same days to pay.
CREATE TABLE collection_forecast_cells (
    sales_owner    text NOT NULL,
    discoverer     text NOT NULL,
    delivery_owner text,
    payment_owner  text,
    created_by     text NOT NULL,
    stage          text NOT NULL,
    currency       char(3) NOT NULL,
    week           date NOT NULL,
    expected       bigint NOT NULL,
    items          bigint NOT NULL
);
CREATE UNIQUE INDEX collection_forecast_cells_key ON collection_forecast_cells
    (sales_owner, discoverer, delivery_owner, payment_owner, created_by, stage, currency, week) NULLS NOT DISTINCT;
CREATE TABLE collection_forecast_deltas (
    sales_owner    text NOT NULL,
    discoverer     text NOT NULL,
    delivery_owner text,
    payment_owner  text,
    created_by     text NOT NULL,
    stage          text NOT NULL,
    customer_code  text NOT NULL,
    currency       char(3) NOT NULL,
    due_on         date NOT NULL,
    expected       bigint NOT NULL,
    items          bigint NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION collection_forecast_instalments_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO collection_forecast_deltas
        SELECT d.sales_owner, d.discoverer, d.delivery_owner, d.payment_owner, d.created_by, d.stage,
            i.customer_code, i.currency, i.due_on, sum(i.amount - i.paid - i.credited), count(*)
        FROM new_instalments i JOIN deals d ON d.id = i.deal_id
        WHERE i.settled_on IS NULL AND i.due_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
    ELSE
        INSERT INTO collection_forecast_deltas
        SELECT d.sales_owner, d.discoverer, d.delivery_owner, d.payment_owner, d.created_by, d.stage,
            i.customer_code, i.currency, i.due_on, -sum(i.amount - i.paid - i.credited), -count(*)
        FROM old_instalments i JOIN deals d ON d.id = i.deal_id
        WHERE i.settled_on IS NULL AND i.due_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
    END IF;
    RETURN NULL;
END $$;
-- An instalment's change that moves what it expects or when (not the
-- ladder's columns the dunning tick writes): a row trigger, so the tick's
-- million updates queue nothing.
CREATE FUNCTION collection_forecast_instalment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO collection_forecast_deltas
    SELECT d.sales_owner, d.discoverer, d.delivery_owner, d.payment_owner, d.created_by, d.stage,
        x.customer_code, x.currency, x.due_on, x.expected, x.items
    FROM (SELECT OLD.deal_id, OLD.customer_code, OLD.currency, OLD.due_on, -(OLD.amount - OLD.paid - OLD.credited), -1
          WHERE OLD.settled_on IS NULL AND OLD.due_on IS NOT NULL
          UNION ALL
          SELECT NEW.deal_id, NEW.customer_code, NEW.currency, NEW.due_on, NEW.amount - NEW.paid - NEW.credited, 1
          WHERE NEW.settled_on IS NULL AND NEW.due_on IS NOT NULL) x (deal_id, customer_code, currency, due_on, expected, items)
    JOIN deals d ON d.id = x.deal_id;
    RETURN NULL;
END $$;
-- A deal's change of the columns that decide who sees it moves its open
-- instalments to the new columns; a change of its customer or people moves
-- it between collectors' customers.
CREATE FUNCTION report_cells_deals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO collection_forecast_deltas
        SELECT v.sales_owner, v.discoverer, v.delivery_owner, v.payment_owner, v.created_by, v.stage,
            i.customer_code, i.currency, i.due_on, v.sign * sum(i.amount - i.paid - i.credited), v.sign * count(*)
        FROM old_deals o JOIN new_deals n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (-1, o.sales_owner, o.discoverer, o.delivery_owner, o.payment_owner, o.created_by, o.stage),
            (1, n.sales_owner, n.discoverer, n.delivery_owner, n.payment_owner, n.created_by, n.stage))
            v (sign, sales_owner, discoverer, delivery_owner, payment_owner, created_by, stage)
        JOIN collection_instalments i ON i.deal_id = o.id AND i.settled_on IS NULL AND i.due_on IS NOT NULL
        WHERE (o.sales_owner, o.discoverer, o.delivery_owner, o.payment_owner, o.created_by, o.stage)
            IS DISTINCT FROM (n.sales_owner, n.discoverer, n.delivery_owner, n.payment_owner, n.created_by, n.stage)
        GROUP BY v.sign, 1, 2, 3, 4, 5, 6, 7, 8, 9;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM collector_customers_move(array_agg(payment_owner), array_agg(customer_code), array_agg(1)) FROM new_deals
        WHERE payment_owner IS NOT NULL AND created_by <> payment_owner AND sales_owner <> payment_owner AND discoverer <> payment_owner;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM collector_customers_move(array_agg(payment_owner), array_agg(customer_code), array_agg(-1)) FROM old_deals
        WHERE payment_owner IS NOT NULL AND created_by <> payment_owner AND sales_owner <> payment_owner AND discoverer <> payment_owner;
    ELSE
        PERFORM collector_customers_move(array_agg(payment_owner), array_agg(customer_code), array_agg(n)) FROM (
            SELECT payment_owner, customer_code, created_by, sales_owner, discoverer, 1 AS n FROM new_deals
            UNION ALL SELECT payment_owner, customer_code, created_by, sales_owner, discoverer, -1 FROM old_deals) x
        WHERE payment_owner IS NOT NULL AND created_by <> payment_owner AND sales_owner <> payment_owner AND discoverer <> payment_owner;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER collection_forecast_inserted AFTER INSERT ON collection_instalments
    REFERENCING NEW TABLE AS new_instalments FOR EACH STATEMENT EXECUTE FUNCTION collection_forecast_instalments_apply();
CREATE TRIGGER collection_forecast_deleted AFTER DELETE ON collection_instalments
    REFERENCING OLD TABLE AS old_instalments FOR EACH STATEMENT EXECUTE FUNCTION collection_forecast_instalments_apply();
CREATE TRIGGER collection_forecast_updated AFTER UPDATE ON collection_instalments FOR EACH ROW
    WHEN ((OLD.deal_id, OLD.customer_code, OLD.currency, OLD.due_on, OLD.settled_on, OLD.amount, OLD.paid, OLD.credited)
        IS DISTINCT FROM (NEW.deal_id, NEW.customer_code, NEW.currency, NEW.due_on, NEW.settled_on, NEW.amount, NEW.paid, NEW.credited))
    EXECUTE FUNCTION collection_forecast_instalment_changed();
CREATE TRIGGER report_cells_deals_inserted AFTER INSERT ON deals
    REFERENCING NEW TABLE AS new_deals FOR EACH STATEMENT EXECUTE FUNCTION report_cells_deals_apply();
CREATE TRIGGER report_cells_deals_updated AFTER UPDATE ON deals
    REFERENCING OLD TABLE AS old_deals NEW TABLE AS new_deals FOR EACH STATEMENT EXECUTE FUNCTION report_cells_deals_apply();
CREATE TRIGGER report_cells_deals_deleted AFTER DELETE ON deals
    REFERENCING OLD TABLE AS old_deals FOR EACH STATEMENT EXECUTE FUNCTION report_cells_deals_apply();

INSERT INTO collector_customers
SELECT payment_owner, customer_code, count(*) FROM deals
WHERE payment_owner IS NOT NULL AND created_by <> payment_owner AND sales_owner <> payment_owner AND discoverer <> payment_owner
GROUP BY 1, 2;
INSERT INTO collection_forecast_cells
SELECT d.sales_owner, d.discoverer, d.delivery_owner, d.payment_owner, d.created_by, d.stage, i.currency,
    date_trunc('week', i.due_on + coalesce(s.avg_days_late, 0))::date, sum(i.amount - i.paid - i.credited), count(*)
FROM collection_instalments i JOIN deals d ON d.id = i.deal_id LEFT JOIN customer_pay_stats s ON s.customer_code = i.customer_code
WHERE i.settled_on IS NULL AND i.due_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- +goose Down
DROP TRIGGER report_cells_deals_deleted ON deals;
DROP TRIGGER report_cells_deals_updated ON deals;
DROP TRIGGER report_cells_deals_inserted ON deals;
DROP TRIGGER collection_forecast_updated ON collection_instalments;
DROP TRIGGER collection_forecast_deleted ON collection_instalments;
DROP TRIGGER collection_forecast_inserted ON collection_instalments;
DROP TRIGGER receivable_cells_deleted ON receivable_items;
DROP TRIGGER receivable_cells_updated ON receivable_items;
DROP TRIGGER receivable_cells_inserted ON receivable_items;
DROP FUNCTION report_cells_deals_apply(), collector_customers_move(text[], text[], int[]), collection_forecast_instalment_changed(), collection_forecast_instalments_apply(),
    receivable_cells_apply();
DROP TABLE collection_forecast_deltas, collection_forecast_cells, collector_customers, receivable_cell_deltas, receivable_cells;
