-- +goose Up
-- Value classes computed from the ERP's facts (issue 14, item 3): ABC by
-- trailing-12-month invoiced revenue × a payment grade (1 good, 2 fair, 3
-- poor, 0 not graded). The nightly run explains every customer's class in
-- customer_classes and proposes changes in class_proposals; a change applies
-- to customers only when a sales manager or finance approves it.
ALTER TABLE customers ADD COLUMN payment_grade smallint NOT NULL DEFAULT 0 CHECK (payment_grade BETWEEN 0 AND 3);

-- The shares, thresholds and the terms proposed per class at onboarding, one
-- row (internal/database ClassRules; without a row, the defaults in Go).
CREATE TABLE class_rules (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    rules      jsonb NOT NULL,
    updated_by text NOT NULL DEFAULT 'system',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per run (run_key: the workflow's ID, so a retried activity finds
-- its run done), with the rules it applied.
CREATE TABLE class_runs (
    id            bigserial PRIMARY KEY,
    run_key       text NOT NULL UNIQUE,
    as_of         date NOT NULL,
    rules         jsonb NOT NULL,
    customers     int NOT NULL,
    proposed      int NOT NULL,
    withdrawn     int NOT NULL,
    total_revenue numeric NOT NULL,
    requested_by  text NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);

-- The last run's factors per customer: what its class is computed from.
CREATE TABLE customer_classes (
    customer_code   text PRIMARY KEY,
    run_id          bigint NOT NULL,    -- class_runs; no foreign key: the run writes 100,000 at once
    revenue         bigint NOT NULL,    -- minor units, invoices issued in the window, credit notes netted
    invoices        int NOT NULL,
    share_bp        int NOT NULL,       -- of the total, basis points
    before_bp       int NOT NULL,       -- share of the customers ranked above (strictly more revenue)
    rank            int NOT NULL,       -- 1 = most revenue; ties share a rank
    value_class     text NOT NULL CHECK (value_class IN ('A', 'B', 'C')),
    days_to_pay     int,                -- amount-weighted, issue to payment
    on_time_bp      int,                -- share of the amount due that was paid by its due date
    longest_overdue int,                -- days, paid late or still open
    payment_grade   smallint NOT NULL
);

-- Proposed changes: old → new with the factors; one pending per customer.
CREATE TABLE class_proposals (
    id            bigserial PRIMARY KEY,
    customer_code text NOT NULL,   -- no foreign keys: the run writes thousands at once
    run_id        bigint NOT NULL,
    old_class     text NOT NULL,
    old_grade     smallint NOT NULL,
    new_class     text NOT NULL CHECK (new_class IN ('A', 'B', 'C')),
    new_grade     smallint NOT NULL CHECK (new_grade BETWEEN 0 AND 3),
    factors       jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    decided_by    text,
    decided_at    timestamptz,
    note          text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX class_proposals_pending_idx ON class_proposals (customer_code) WHERE status = 'pending';

-- +goose Down
DROP TABLE class_proposals, customer_classes, class_runs, class_rules;
ALTER TABLE customers DROP COLUMN payment_grade;
