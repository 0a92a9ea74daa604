-- +goose Up
-- One way of storing a review (issue 16): a quote's discount review moves from
-- a jsonb document into columns of the quote's row, the columns contracts and
-- orders store theirs in. A quote has a review only when its discount is below
-- the customer's minimum, so the columns are NULL, all of them, when it has none.
ALTER TABLE deal_quotes
    ADD COLUMN review_status text,
    ADD COLUMN review_round  int,
    ADD COLUMN requested_by  text,
    ADD COLUMN requested_at  timestamptz,
    ADD COLUMN decided_by    text,
    ADD COLUMN decided_at    timestamptz,
    ADD COLUMN note          text,
    ADD COLUMN case_id       text;
UPDATE deal_quotes SET
    review_status = review->>'status',
    review_round  = (review->>'round')::int,
    requested_by  = coalesce(review->>'requested_by', ''),
    requested_at  = (review->>'requested_at')::timestamptz,
    decided_by    = coalesce(review->>'decided_by', ''),
    decided_at    = (review->>'decided_at')::timestamptz,
    note          = coalesce(review->>'note', ''),
    case_id       = coalesce(review->>'case_id', '')
WHERE review IS NOT NULL AND jsonb_typeof(review) = 'object';
ALTER TABLE deal_quotes DROP COLUMN review;
-- A whole review or none.
ALTER TABLE deal_quotes ADD CONSTRAINT deal_quotes_review_whole CHECK (
    (review_status IS NULL AND review_round IS NULL AND requested_by IS NULL AND requested_at IS NULL
        AND decided_by IS NULL AND decided_at IS NULL AND note IS NULL AND case_id IS NULL)
    OR (review_status IS NOT NULL AND review_round IS NOT NULL AND requested_by IS NOT NULL
        AND requested_at IS NOT NULL AND decided_by IS NOT NULL AND note IS NOT NULL AND case_id IS NOT NULL));

-- +goose Down
ALTER TABLE deal_quotes ADD COLUMN review jsonb;
UPDATE deal_quotes SET review = jsonb_strip_nulls(jsonb_build_object(
    'status', review_status, 'round', review_round, 'requested_by', requested_by,
    'requested_at', requested_at, 'decided_by', nullif(decided_by, ''), 'decided_at', decided_at,
    'note', nullif(note, ''), 'case_id', nullif(case_id, '')))
WHERE review_status IS NOT NULL;
ALTER TABLE deal_quotes DROP CONSTRAINT deal_quotes_review_whole,
    DROP COLUMN review_status, DROP COLUMN review_round, DROP COLUMN requested_by, DROP COLUMN requested_at,
    DROP COLUMN decided_by, DROP COLUMN decided_at, DROP COLUMN note, DROP COLUMN case_id;
