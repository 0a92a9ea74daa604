-- +goose Up
-- The deal list and pipeline read a rep's deals from the indexes of every way
-- they can be named on one (sales owner, discoverer, delivery and payment
-- owner have theirs; these are the other two). One customer's deals are
-- read by deals_customer_idx, made by 00080_ownership.
CREATE INDEX deals_discoverer_idx ON deals (discoverer, id);
CREATE INDEX deals_created_by_idx ON deals (created_by, id);

-- +goose Down
DROP INDEX deals_created_by_idx, deals_discoverer_idx;
