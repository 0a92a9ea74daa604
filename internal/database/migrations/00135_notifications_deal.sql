-- +goose Up
-- A deal's page shows who each dunning step told: the notifications of one
-- deal, read by its ID rather than by scanning every notification sent.
CREATE INDEX notifications_deal_idx ON notifications (deal_id) WHERE deal_id IS NOT NULL;

-- +goose Down
DROP INDEX notifications_deal_idx;
