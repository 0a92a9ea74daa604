-- +goose Up
-- A quote below the customer's approved minimum discount waits for approval.
ALTER TABLE deal_quotes
    ADD COLUMN min_discount_bp int,
    ADD COLUMN review jsonb;

-- +goose Down
ALTER TABLE deal_quotes DROP COLUMN min_discount_bp, DROP COLUMN review;
