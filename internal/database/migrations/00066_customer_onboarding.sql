-- +goose Up
-- New customers through an approval (issue 12): a sales assistant enters the
-- customer, who is pending (线索客户: quotes yes, orders no) until a
-- customer_onboarding case approves them; then the ERP creates them and the
-- customer becomes active under the ERP's number.
ALTER TABLE customers ADD COLUMN status text NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'pending', 'rejected'));

-- company_key is the form in which two registered names are the same company:
-- full-width ASCII folded to ASCII (（ → (), case folded, every space removed
-- (ideographic ones too), and the legal forms 有限责任公司 / 有限公司 and
-- "company limited" / "co., ltd." written one way. Duplicates are looked for
-- on it; names are stored as written.
-- +goose StatementBegin
CREATE FUNCTION company_key(name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN
    replace(replace(replace(replace(replace(
        regexp_replace(lower(translate(name,
            '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～',
            '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~')),
            '[[:space:]\u3000\u200b\ufeff]+', '', 'g'),
        '有限责任公司', '有限公司'), 'companylimited', 'co.,ltd.'), 'co.ltd.', 'co.,ltd.'), 'co.,ltd', 'co.,ltd.'), 'co.,ltd..', 'co.,ltd.');
-- +goose StatementEnd
CREATE INDEX customers_company_key_idx ON customers (company_key(name));

CREATE TABLE customer_onboardings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provisional_code text NOT NULL UNIQUE, -- NEW-…: the customer's code in l2c until the ERP numbers it
    requested_by  text NOT NULL REFERENCES users (id),
    request       jsonb NOT NULL,     -- what was entered
    case_id       text NOT NULL,
    status        text NOT NULL CHECK (status IN ('in_review', 'approved', 'created', 'rejected', 'withdrawn', 'failed')),
    erp_code      text NOT NULL DEFAULT '',
    detail        text NOT NULL DEFAULT '',
    import_id     bigint,             -- the workbook import whose row asked for it
    requested_at  timestamptz NOT NULL,
    finished_at   timestamptz
);
CREATE INDEX customer_onboardings_requester_idx ON customer_onboardings (requested_by, id DESC);
CREATE INDEX customer_onboardings_erp_code_idx ON customer_onboardings (erp_code) WHERE erp_code <> '';

CREATE SEQUENCE customer_onboarding_code_seq;

-- The default route: the sales manager; a credit limit of 500,000 or more
-- (the case's amount) also goes to finance.
INSERT INTO approval_rules (kind, version, stages, updated_by) VALUES ('customer_onboarding', 1, '[
  {"name":"sales_manager","approvers":["role:sales_manager"],"rule":"any","sla_hours":8,"remind_before_hours":2},
  {"name":"finance","approvers":["role:finance"],"rule":"any","sla_hours":8,"remind_before_hours":2,
   "when":{"amount_at_least":"500000.00"}}
]', 'system');

-- +goose Down
DELETE FROM approval_rules WHERE kind = 'customer_onboarding';
DROP SEQUENCE customer_onboarding_code_seq;
DROP TABLE customer_onboardings;
DROP INDEX customers_company_key_idx;
DROP FUNCTION company_key(text);
ALTER TABLE customers DROP COLUMN status;
