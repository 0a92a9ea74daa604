-- +goose Up
-- Key-account activities (攻关活动, issue 14 item 2): planned on a deal by its
-- sales side (what, when, the goal, the support wanted), seen by the owner's
-- manager, who names a supporter; the outcome, once recorded, is also a
-- customer activity of kind key_account, so it is a follow-up for the pool
-- clock like a visit or a call.
CREATE TABLE key_account_activities (
    id             bigserial PRIMARY KEY,
    deal_id        text NOT NULL REFERENCES deals (id),
    kind           text NOT NULL CHECK (kind IN ('tech_exchange', 'exec_visit', 'site_visit', 'demo')),
    planned_on     date NOT NULL,
    goal           text NOT NULL CHECK (goal <> ''),
    support_wanted text NOT NULL DEFAULT '',
    planned_by     text NOT NULL REFERENCES users (id),
    planned_at     timestamptz NOT NULL,
    supporter      text REFERENCES users (id),
    support_note   text NOT NULL DEFAULT '',
    assigned_by    text REFERENCES users (id),
    assigned_at    timestamptz,
    done_at        timestamptz,
    done_by        text REFERENCES users (id),
    outcome        text NOT NULL DEFAULT '',
    activity_id    bigint REFERENCES customer_activities (id),
    CHECK ((supporter IS NULL) = (assigned_at IS NULL)),
    CHECK ((done_at IS NULL) = (done_by IS NULL))
);
CREATE INDEX key_account_activities_deal_idx ON key_account_activities (deal_id, planned_on);
CREATE INDEX key_account_activities_open_idx ON key_account_activities (planned_on) WHERE done_at IS NULL;
CREATE INDEX key_account_activities_supporter_idx ON key_account_activities (supporter, planned_on) WHERE supporter IS NOT NULL AND done_at IS NULL;

ALTER TABLE customer_activities DROP CONSTRAINT customer_activities_kind_check,
    ADD CONSTRAINT customer_activities_kind_check CHECK (kind IN ('visit', 'call', 'meeting', 'key_account'));

-- +goose Down
DROP TABLE key_account_activities;
DELETE FROM customer_activities WHERE kind = 'key_account';
ALTER TABLE customer_activities DROP CONSTRAINT customer_activities_kind_check,
    ADD CONSTRAINT customer_activities_kind_check CHECK (kind IN ('visit', 'call', 'meeting'));
