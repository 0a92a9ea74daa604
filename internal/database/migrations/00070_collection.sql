-- +goose Up
-- Cash collection (issue 13): plans, instalments, the dunning ladder and what
-- it did, promises to pay, credit-hold flags and changes of signed plans.

-- Company templates, proposed from the customer's payment terms (a template
-- whose payment_terms is the customer's wins; '' is the fallback).
CREATE TABLE collection_templates (
    code          text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
    name          text NOT NULL,
    payment_terms text NOT NULL DEFAULT '',
    plan          jsonb NOT NULL,
    updated_by    text NOT NULL DEFAULT 'system',
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX collection_templates_terms_idx ON collection_templates (payment_terms);
INSERT INTO collection_templates (code, name, payment_terms, plan) VALUES
 ('STD-30-60-10', '30% advance, 60% on delivery, 10% retention for 12 months', '', '{"instalments":[
   {"label":"advance","percent_bp":3000,"trigger":"signing","due":{"kind":"calendar_days","days":10}},
   {"label":"delivery","percent_bp":6000,"trigger":"final_delivery","due":{"kind":"calendar_days","days":30}},
   {"label":"retention","percent_bp":1000,"trigger":"warranty_end","warranty_months":12,"due":{"kind":"calendar_days","days":0}}]}'),
 ('NT30', 'Invoice, due 30 days', 'NT30', '{"instalments":[
   {"label":"invoice","percent_bp":10000,"trigger":"invoice","due":{"kind":"calendar_days","days":30}}]}'),
 ('EOM60', 'End of month + 60 after delivery', 'EOM60', '{"instalments":[
   {"label":"delivery","percent_bp":10000,"trigger":"final_delivery","due":{"kind":"end_of_month","days":60}}]}');

-- One plan per deal. status: draft until the contract is signed, then signed
-- (its instalments fixed at the signed amount); version counts approved changes.
CREATE TABLE collection_plans (
    deal_id         text PRIMARY KEY REFERENCES deals (id),
    customer_code   text NOT NULL,
    currency        char(3) NOT NULL,
    contract_amount bigint NOT NULL,
    interest_bp     int NOT NULL DEFAULT 0 CHECK (interest_bp BETWEEN 0 AND 10000),
    template        text NOT NULL DEFAULT '',
    plan            jsonb NOT NULL,
    status          text NOT NULL CHECK (status IN ('draft', 'signed')),
    version         int NOT NULL DEFAULT 1,
    set_by          text NOT NULL,
    set_at          timestamptz NOT NULL
);
CREATE INDEX collection_plans_customer_idx ON collection_plans (customer_code);

-- When each of a deal's triggers first happened (company days).
CREATE TABLE collection_events (
    deal_id  text NOT NULL REFERENCES deals (id),
    trigger  text NOT NULL,
    happened date NOT NULL,
    PRIMARY KEY (deal_id, trigger)
);

-- Instalments: what is owed, when (due_on is null until the trigger
-- happens), what came in, and where the dunning ladder stands. The columns
-- copied from the deal and customer (owner, class, customer) let the dunning
-- tick decide every open instalment in one statement without joins.
CREATE TABLE collection_instalments (
    deal_id         text NOT NULL REFERENCES deals (id),
    no              int NOT NULL,
    label           text NOT NULL DEFAULT '',
    trigger         text NOT NULL,
    warranty_months int NOT NULL DEFAULT 0,
    due_kind        text NOT NULL,
    due_days        int NOT NULL,
    amount          bigint NOT NULL CHECK (amount > 0),
    currency        char(3) NOT NULL,
    customer_code   text NOT NULL,
    value_class     text NOT NULL DEFAULT '',
    payment_owner   text NOT NULL DEFAULT '',
    trigger_on      date,
    due_on          date,
    paid            bigint NOT NULL DEFAULT 0,
    credited        bigint NOT NULL DEFAULT 0,
    applied         jsonb NOT NULL DEFAULT '[]', -- [{"on","amount"}]: what reduced it, for interest
    settled_on      date,
    -- The ladder: the highest step taken (-1: none), the next step and its day.
    step            int NOT NULL DEFAULT -1,
    next_step       text NOT NULL DEFAULT '',
    next_on         date,
    decided_on      date,
    PRIMARY KEY (deal_id, no)
) WITH (fillfactor = 80); -- room on each page, so the daily tick's updates stay HOT
-- The dunning tick reads only open instalments with a due date.
CREATE INDEX collection_instalments_open_idx ON collection_instalments (due_on)
    WHERE settled_on IS NULL AND due_on IS NOT NULL;
CREATE INDEX collection_instalments_owner_idx ON collection_instalments (payment_owner) WHERE settled_on IS NULL;
CREATE INDEX collection_instalments_customer_idx ON collection_instalments (customer_code) WHERE settled_on IS NULL;

-- The ladder per customer value class ('' for every class without its own).
CREATE TABLE dunning_ladders (
    value_class text PRIMARY KEY CHECK (value_class IN ('', 'A', 'B', 'C')),
    steps       jsonb NOT NULL,
    updated_by  text NOT NULL DEFAULT 'system',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO dunning_ladders (value_class, steps) VALUES ('', '[
 {"name":"reminder","offset_working_days":-3,"to":["owner"]},
 {"name":"due","offset_working_days":0,"to":["owner"]},
 {"name":"manager","offset_working_days":5,"to":["owner","manager"]},
 {"name":"finance","offset_working_days":22,"to":["owner","manager","finance"],"credit_hold":true},
 {"name":"letter","offset_working_days":44,"to":["owner","finance","sales"],"letter":"dunning-letter"}]');

-- Every step the ladder took, once per instalment and step: the visible trail.
CREATE TABLE dunning_events (
    deal_id    text NOT NULL,
    no         int NOT NULL,
    step       text NOT NULL,
    step_index int NOT NULL,
    on_day     date NOT NULL,
    outstanding bigint NOT NULL,
    why        text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now(),
    -- No foreign key: the trail outlives an instalment a plan change removed.
    PRIMARY KEY (deal_id, no, step)
);

-- Promises to pay (date and amount), kept or broken by the dunning tick.
CREATE TABLE collection_promises (
    id          bigserial PRIMARY KEY,
    deal_id     text NOT NULL,
    no          int NOT NULL,
    promised_on date NOT NULL,
    amount      bigint NOT NULL CHECK (amount > 0),
    paid_before bigint NOT NULL,       -- what the instalment had received when promised
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'broken')),
    note        text NOT NULL DEFAULT '',
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    settled_on  date
);
CREATE INDEX collection_promises_open_idx ON collection_promises (deal_id, no) WHERE status = 'open';

-- Customers whose new orders are held for finance: an instalment reached a
-- credit-hold step. Cleared by the tick once those instalments are paid.
CREATE TABLE collection_credit_holds (
    customer_code text PRIMARY KEY,
    deal_id       text NOT NULL,
    no            int NOT NULL,
    since         date NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Changes of a signed plan: each an approval case (plan_change).
CREATE TABLE collection_plan_changes (
    id           bigserial PRIMARY KEY,
    deal_id      text NOT NULL REFERENCES deals (id),
    requested_by text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    plan_before  jsonb NOT NULL,
    plan_after   jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'in_review' CHECK (status IN ('in_review', 'approved', 'rejected', 'withdrawn', 'failed')),
    case_id      text NOT NULL DEFAULT '',
    detail       text NOT NULL DEFAULT '',
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_at   timestamptz
);
CREATE UNIQUE INDEX collection_plan_changes_open_idx ON collection_plan_changes (deal_id) WHERE status = 'in_review';

-- The route of a plan change: finance decides.
INSERT INTO approval_rules (kind, version, stages, updated_by) VALUES ('plan_change', 1, '[
 {"name":"finance","approvers":["role:finance"],"rule":"any","sla_hours":16,"remind_before_hours":4}]', 'system');

-- The forecast's and ageing's reads of the ERP's open items.
CREATE INDEX erp_payments_customer_idx ON erp_payments (customer_code, received_on);

-- +goose Down
DROP INDEX erp_payments_customer_idx;
DELETE FROM approval_rules WHERE kind = 'plan_change';
DROP TABLE collection_plan_changes, collection_credit_holds, collection_promises, dunning_events, dunning_ladders,
    collection_instalments, collection_events, collection_plans, collection_templates;
