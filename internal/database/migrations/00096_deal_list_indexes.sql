-- +goose Up
-- The deal list and pipeline read a rep's deals from the indexes of every way
-- they can be named on one (sales owner, discoverer, delivery and payment
-- owner have theirs; these are the other two), and one customer's deals
-- from an index of their own rather than by reading every deal.
CREATE INDEX deals_discoverer_idx ON deals (discoverer, id);
CREATE INDEX deals_created_by_idx ON deals (created_by, id);
CREATE INDEX deals_customer_idx ON deals (customer_code, id);

-- +goose Down
DROP INDEX deals_customer_idx, deals_created_by_idx, deals_discoverer_idx;
