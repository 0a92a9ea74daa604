-- +goose Up
-- Market activities (issue 14, item 2): trade fairs, technical seminars and
-- samples, applied for with budget lines and approved (a market_activity
-- case) before they run, against the budget market management sets per
-- department and quarter; afterwards their actual cost and the pipeline
-- they produced.

-- A department's budget for a quarter ('2026-Q4'). An application that
-- leaves less than warn_bp (basis points of the budget) remaining is
-- accepted with a warning; one over what remains is refused.
CREATE TABLE market_budgets (
    department text NOT NULL CHECK (department <> ''),
    quarter    text NOT NULL CHECK (quarter ~ '^[0-9]{4}-Q[1-4]$'),
    currency   char(3) NOT NULL DEFAULT 'CNY',
    amount     bigint NOT NULL CHECK (amount >= 0), -- minor units
    warn_bp    int NOT NULL DEFAULT 1000 CHECK (warn_bp BETWEEN 0 AND 10000),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department, quarter)
);

-- One application. What it commits against its budget: total while in
-- review or approved, the actual cost once recorded (done).
CREATE TABLE market_activities (
    id           bigserial PRIMARY KEY,
    title        text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('trade_fair', 'seminar', 'samples')),
    department   text NOT NULL,
    quarter      text NOT NULL,
    starts_on    date NOT NULL,
    lines        jsonb NOT NULL,                -- [{category, amount}]
    total        bigint NOT NULL CHECK (total > 0),
    currency     char(3) NOT NULL,
    status       text NOT NULL DEFAULT 'in_review'
        CHECK (status IN ('in_review', 'approved', 'rejected', 'withdrawn', 'failed', 'done')),
    case_id      text NOT NULL DEFAULT '',
    requested_by text NOT NULL REFERENCES users (id),
    requested_at timestamptz NOT NULL,
    decided_at   timestamptz,
    detail       text NOT NULL DEFAULT '',
    actual_cost  bigint CHECK (actual_cost >= 0),
    FOREIGN KEY (department, quarter) REFERENCES market_budgets (department, quarter)
);
CREATE INDEX market_activities_budget_idx ON market_activities (department, quarter);

-- The deals an activity produced (their source), tagged by the sales team.
CREATE TABLE market_activity_deals (
    activity_id bigint NOT NULL REFERENCES market_activities (id),
    deal_id     text NOT NULL REFERENCES deals (id),
    tagged_by   text NOT NULL,
    tagged_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deal_id)  -- a deal has one source
);
CREATE INDEX market_activity_deals_activity_idx ON market_activity_deals (activity_id);

-- The route of an application: market management; from 100,000.00 also the
-- requester's manager (management).
INSERT INTO approval_rules (kind, version, stages, updated_by) VALUES ('market_activity', 1, '[
  {"name":"market_manager","approvers":["role:market_manager"],"rule":"any","sla_hours":16,"remind_before_hours":4},
  {"name":"management","approvers":["manager"],"rule":"any","sla_hours":16,"remind_before_hours":4,
   "when":{"amount_at_least":"100000.00"}}
]', 'system');

-- +goose Down
DELETE FROM approval_rules WHERE kind = 'market_activity';
DROP TABLE market_activity_deals, market_activities, market_budgets;
