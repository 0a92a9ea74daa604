-- +goose Up
-- The funnel and forecast (issue 14, item 4): the rep's own view of a deal
-- beside the computed one, and the rules the computed one follows.

-- The sales owner's commit category (pipeline / best case / commit) and the
-- month they expect the order in ('YYYY-MM'), set by the set_forecast action;
-- '' when never set.
ALTER TABLE deals
    ADD COLUMN commit_category      text NOT NULL DEFAULT ''
        CHECK (commit_category IN ('', 'pipeline', 'best_case', 'commit')),
    ADD COLUMN expected_order_month text NOT NULL DEFAULT ''
        CHECK (expected_order_month = '' OR expected_order_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$');

-- One row: below min_sample decided deals a stage's probability of reaching
-- the order is the ladder's (basis points per stage), not the history's.
CREATE TABLE funnel_rules (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    min_sample int NOT NULL CHECK (min_sample > 0),
    ladder     jsonb NOT NULL,
    updated_by text NOT NULL DEFAULT 'system',
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO funnel_rules (min_sample, ladder) VALUES
    (20, '{"opportunity":1000,"quote":2500,"bid":4000,"contract_review":6000}');

-- +goose Down
DROP TABLE funnel_rules;
ALTER TABLE deals DROP COLUMN expected_order_month, DROP COLUMN commit_category;
