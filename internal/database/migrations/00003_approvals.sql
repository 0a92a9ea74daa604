-- +goose Up
-- Routing rules: one rule set per kind of review, edited by admins. Each save is
-- kept (version), and a case records the route it was given.
CREATE TABLE approval_rules (
    kind       text NOT NULL,
    version    int NOT NULL,
    stages     jsonb NOT NULL,
    updated_by text NOT NULL REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, version)
);

-- One row per review case (the read model of an approval workflow).
CREATE TABLE approval_cases (
    id           text PRIMARY KEY,
    kind         text NOT NULL,
    deal_id      text REFERENCES deals (id),
    title        text NOT NULL,
    requester    text NOT NULL REFERENCES users (id),
    team         text NOT NULL DEFAULT '',
    status       text NOT NULL,
    round        int NOT NULL,
    rules_version int NOT NULL,
    route        jsonb NOT NULL,
    subject      jsonb NOT NULL,
    previous_subject jsonb,             -- the subject of the round before, for diffs
    facts        jsonb NOT NULL,
    comments     jsonb NOT NULL DEFAULT '[]',
    opened_at    timestamptz NOT NULL,
    closed_at    timestamptz,
    version      bigint NOT NULL
);
CREATE INDEX approval_cases_deal_idx ON approval_cases (deal_id);

-- One row per step: who holds it, since when, due when, decided when.
CREATE TABLE approval_steps (
    id               text NOT NULL,        -- unique within its case: r<round>.s<stage>.<approver>
    case_id          text NOT NULL REFERENCES approval_cases (id),
    kind             text NOT NULL,        -- copied from the case so reports filter without a join
    team             text NOT NULL DEFAULT '',
    requester        text NOT NULL,
    round            int NOT NULL,
    stage_index      int NOT NULL,
    stage            text NOT NULL,
    approver         text NOT NULL,
    on_behalf_of     text NOT NULL DEFAULT '',
    status           text NOT NULL,
    entered_at       timestamptz NOT NULL,
    remind_at        timestamptz,
    due_at           timestamptz,
    decided_at       timestamptz,
    decided_by       text NOT NULL DEFAULT '',
    note             text NOT NULL DEFAULT '',
    changes          jsonb NOT NULL DEFAULT '[]',
    escalation_level int NOT NULL DEFAULT 0,
    PRIMARY KEY (case_id, id)
);
-- My inbox: pending steps for an approver, oldest first.
CREATE INDEX approval_steps_inbox_idx ON approval_steps (approver, entered_at, id) WHERE status = 'pending';
CREATE INDEX approval_steps_on_behalf_idx ON approval_steps (on_behalf_of, entered_at) WHERE status = 'pending' AND on_behalf_of <> '';
-- The stuck report: open steps, most overdue first, overall and by each filter.
CREATE INDEX approval_steps_open_due_idx ON approval_steps (due_at, id) WHERE status = 'pending';
CREATE INDEX approval_steps_open_holder_idx ON approval_steps (approver, due_at, id) WHERE status = 'pending';
CREATE INDEX approval_steps_open_requester_idx ON approval_steps (requester, due_at, id) WHERE status = 'pending';
CREATE INDEX approval_steps_open_team_idx ON approval_steps (team, due_at, id) WHERE status = 'pending';
CREATE INDEX approval_steps_open_kind_idx ON approval_steps (kind, due_at, id) WHERE status = 'pending';

-- Time-boxed out-of-office delegation: while away, user's new steps go to delegate.
CREATE TABLE delegations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users (id),
    delegate_id text NOT NULL REFERENCES users (id) CHECK (delegate_id <> user_id),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delegations_user_idx ON delegations (user_id, starts_at);

-- The default routes; admins edit them through the API.
INSERT INTO users (id, name, roles) VALUES ('system', 'l2c', ARRAY['admin']) ON CONFLICT DO NOTHING;
INSERT INTO approval_rules (kind, version, stages, updated_by) VALUES
('contract_review', 1, '[
  {"name":"sales_manager","approvers":["role:sales_manager"],"rule":"any","sla_hours":8,"remind_before_hours":2},
  {"name":"finance","approvers":["role:finance"],"rule":"any","sla_hours":8,"remind_before_hours":2,
   "when":{"nonstandard_payment_terms":true},"inputs":["amount","payment_terms"]},
  {"name":"legal","approvers":["role:admin"],"rule":"any","sla_hours":16,"remind_before_hours":4,
   "when":{"non_template_contract":true},"inputs":["contract_no","template"]},
  {"name":"general_manager","approvers":["manager"],"rule":"any","sla_hours":16,"remind_before_hours":4,
   "when":{"amount_at_least":"1000000.00"},"inputs":["amount"],"reassign_on_escalation":true}
]', 'system'),
('custom_order', 1, '[
  {"name":"technical","approvers":["role:delivery"],"rule":"any","sla_hours":16,"remind_before_hours":4},
  {"name":"sales_manager","approvers":["role:sales_manager"],"rule":"any","sla_hours":8,"remind_before_hours":2}
]', 'system'),
('quote_discount', 1, '[
  {"name":"market_manager","approvers":["role:market_manager"],"rule":"any","sla_hours":8,"remind_before_hours":2,
   "when":{"discount_below_minimum":true}},
  {"name":"finance","approvers":["role:finance"],"rule":"any","sla_hours":8,"remind_before_hours":2,
   "when":{"discount_below_minimum":true}}
]', 'system');

-- +goose Down
DROP TABLE delegations, approval_steps, approval_cases, approval_rules;
