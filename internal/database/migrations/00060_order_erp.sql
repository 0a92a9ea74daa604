-- +goose Up
-- An order created in the ERP by its deal (issue 12): its lines with the
-- day each was promised (and the ERP's confirmed day), where it stands in
-- the ERP (waiting, created, sent, linked, refused; what l2c has been waiting
-- on the ERP for, since when and why), and what the delivery owner and their
-- manager were told about the promised day. Orders of deals from before keep
-- these NULL.
ALTER TABLE deal_orders
    ADD COLUMN lines jsonb,
    ADD COLUMN erp jsonb,
    ADD COLUMN follow_up jsonb;

-- +goose Down
ALTER TABLE deal_orders DROP COLUMN lines, DROP COLUMN erp, DROP COLUMN follow_up;
