-- +goose Up
-- Customers worth owning (issue 14): one owner per customer, caps on how many a
-- rep holds and claims, a pool (公海) neglected customers return to on a clock
-- of working days, a guard against two reps chasing one customer (撞单), and
-- handovers when a rep leaves.

-- The forms customers are matched on, as internal/textnorm.Fold and
-- ownership.PhoneKey make them: full-width ASCII folded to ASCII, lower case,
-- runs of spaces as one; a phone as its digits without China's 86 prefix.
-- IMMUTABLE, so they can be indexed.
-- +goose StatementBegin
CREATE FUNCTION l2c_fold(s text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT btrim(regexp_replace(lower(translate(s,
        '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　' || chr(8203) || chr(8204) || chr(8205) || chr(8288) || chr(65279),
        '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ')),
        '\s+', ' ', 'g'))
$$;
CREATE FUNCTION l2c_phone_key(s text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(d) > 11 AND left(d, 2) = '86' THEN substr(d, 3)
                WHEN length(d) > 11 AND left(d, 4) = '0086' THEN substr(d, 5) ELSE d END
    FROM (SELECT regexp_replace(s, '\D', '', 'g') AS d) x
$$;
-- +goose StatementEnd

-- The matching forms are columns kept by a trigger when the name or phone
-- changes, not expression indexes: those would be evaluated again on every
-- update of a customer's row (a change of owner, say), and the pool clock
-- changes tens of thousands at a time.
ALTER TABLE customers
    ADD COLUMN match_name     text NOT NULL DEFAULT '', -- l2c_fold(name)
    ADD COLUMN match_phone    text NOT NULL DEFAULT '', -- l2c_phone_key(phone)
    ADD COLUMN owned_since    timestamptz,          -- when the current owner took it
    ADD COLUMN pool_since     timestamptz,          -- when it last returned to the pool
    ADD COLUMN previous_owner text;                 -- who had it then (a user ID, kept if the user goes)
-- +goose StatementBegin
CREATE FUNCTION l2c_customer_match_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.match_name := l2c_fold(NEW.name);
    NEW.match_phone := l2c_phone_key(NEW.phone);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER customers_match_keys BEFORE INSERT OR UPDATE OF name, phone ON customers
    FOR EACH ROW EXECUTE FUNCTION l2c_customer_match_keys();
UPDATE customers SET match_name = l2c_fold(name), match_phone = l2c_phone_key(phone);

CREATE INDEX customers_match_name_idx ON customers (match_name);
CREATE INDEX customers_match_phone_idx ON customers (match_phone) WHERE length(match_phone) >= 7;
CREATE INDEX customers_pool_idx ON customers (code) WHERE sales_owner IS NULL;
CREATE INDEX deals_customer_idx ON deals (customer_code, id);

-- The owner of a customer about to return to the pool has been told, at
-- warned_at; a follow-up, a new owner or the return removes the row. Kept
-- apart from customers so warning thousands is a narrow insert.
CREATE TABLE pool_warnings (
    customer_code text PRIMARY KEY,
    owner         text NOT NULL,
    warned_at     timestamptz NOT NULL
);

-- Caps per scope: 'role:<role>', 'team:<team>' or 'user:<id>'; the most
-- particular scope a person has wins (user, then team, then role). standing:
-- customers owned at once; rolling: new claims and assignments within
-- rolling_days (three months by default).
CREATE TABLE ownership_limits (
    scope        text PRIMARY KEY CHECK (scope ~ '^(role|team|user):.+$'),
    standing_cap int CHECK (standing_cap >= 0),
    rolling_cap  int CHECK (rolling_cap >= 0),
    rolling_days int NOT NULL DEFAULT 91 CHECK (rolling_days > 0),
    updated_by   text NOT NULL DEFAULT 'system',
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ownership_limits (scope, standing_cap, rolling_cap) VALUES
    ('role:sales', 200, 20), ('role:sales_manager', 200, 20);

-- The pool clock per value class ('' = not ranked): after idle_days working
-- days without a follow-up the customer returns to the pool, the owner having
-- been warned warn_days working days before; the owner who lost it may not
-- claim it back for cooldown_days calendar days.
CREATE TABLE pool_rules (
    value_class   text PRIMARY KEY CHECK (value_class IN ('', 'A', 'B', 'C')),
    idle_days     int NOT NULL CHECK (idle_days > 0),
    warn_days     int NOT NULL CHECK (warn_days >= 0),
    cooldown_days int NOT NULL CHECK (cooldown_days >= 0),
    CHECK (warn_days < idle_days)
);
INSERT INTO pool_rules VALUES ('A', 60, 10, 30), ('B', 40, 5, 30), ('C', 20, 5, 30), ('', 20, 5, 30);

-- Activities on a customer or a deal (visits, calls, meetings): they are
-- follow-ups, so they reset the pool clock and show on the deal's timeline.
CREATE TABLE customer_activities (
    id            bigserial PRIMARY KEY,
    customer_code text NOT NULL REFERENCES customers (code),
    deal_id       text REFERENCES deals (id),
    kind          text NOT NULL CHECK (kind IN ('visit', 'call', 'meeting')),
    happened_at   timestamptz NOT NULL,
    by_user       text NOT NULL REFERENCES users (id),
    note          text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_activities_customer_idx ON customer_activities (customer_code, happened_at);
CREATE INDEX customer_activities_at_idx ON customer_activities (happened_at);
CREATE INDEX customer_activities_deal_idx ON customer_activities (deal_id, happened_at) WHERE deal_id IS NOT NULL;

-- Every change of a customer's owner and every warning, with why: the caps
-- count claims from here and the cooldown reads recycles from here.
CREATE TABLE ownership_events (
    id            bigserial PRIMARY KEY,
    customer_code text NOT NULL, -- no foreign key: history outlives rows, and the clock writes thousands at once
    kind          text NOT NULL CHECK (kind IN ('claim', 'assign', 'release', 'warn', 'recycle', 'handover')),
    from_owner    text,
    to_owner      text,
    by_user       text NOT NULL,
    at            timestamptz NOT NULL,
    reason        text NOT NULL DEFAULT ''
);
CREATE INDEX ownership_events_to_idx ON ownership_events (to_owner, at) WHERE kind IN ('claim', 'assign');
CREATE INDEX ownership_events_customer_idx ON ownership_events (customer_code, at);

-- A rep who ran into someone else's customer asks its owner (or their
-- manager) to share or hand it over; the request is what the collision
-- guard's 409 points to.
CREATE TABLE ownership_requests (
    id            bigserial PRIMARY KEY,
    customer_code text NOT NULL REFERENCES customers (code),
    requested_by  text NOT NULL REFERENCES users (id),
    owner         text NOT NULL REFERENCES users (id),
    manager       text REFERENCES users (id),
    context       text NOT NULL,   -- what the requester was doing: open_deal, enter_customer
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'granted', 'declined')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- One open request per requester and customer: asking again points to it.
CREATE UNIQUE INDEX ownership_requests_open_idx ON ownership_requests (customer_code, requested_by) WHERE status = 'open';

-- A handover of everything a rep holds to a successor, and what it moved.
CREATE TABLE ownership_handovers (
    id          bigserial PRIMARY KEY,
    from_user   text NOT NULL REFERENCES users (id),
    to_user     text NOT NULL REFERENCES users (id),
    by_user     text NOT NULL REFERENCES users (id),
    reason      text NOT NULL,
    customers   text[] NOT NULL,
    deals       text[] NOT NULL,
    steps       text[] NOT NULL,
    plans       bigint NOT NULL DEFAULT 0,
    at          timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE ownership_handovers, ownership_requests, ownership_events, customer_activities, pool_rules, ownership_limits, pool_warnings;
DROP INDEX deals_customer_idx, customers_pool_idx, customers_match_phone_idx, customers_match_name_idx;
DROP TRIGGER customers_match_keys ON customers;
DROP FUNCTION l2c_customer_match_keys();
ALTER TABLE customers DROP COLUMN match_name, DROP COLUMN match_phone, DROP COLUMN owned_since, DROP COLUMN pool_since,
    DROP COLUMN previous_owner;
DROP FUNCTION l2c_phone_key(text), l2c_fold(text);
