-- +goose Up
-- A sales manager's stage times (issue 11) read their team's deals' steps
-- as a few index ranges instead of one probe per case: deal_owner is the
-- sales owner of the step's case's deal (NULL for a case without a deal),
-- kept by triggers in the transaction that writes the step, the case or the
-- deal, so the visibility predicate read through it stays exact. A step's
-- insert reads its deal FOR SHARE: an owner change in flight is waited for
-- and then read, never missed.
ALTER TABLE approval_steps ADD COLUMN deal_owner text;

-- The stage-times triggers have nothing to count here (no figure changes).
ALTER TABLE approval_steps DISABLE TRIGGER approval_stage_times_update;
UPDATE approval_steps s SET deal_owner = d.sales_owner
	FROM approval_cases k JOIN deals d ON d.id = k.deal_id WHERE k.id = s.case_id;
ALTER TABLE approval_steps ENABLE TRIGGER approval_stage_times_update;

-- +goose StatementBegin
CREATE FUNCTION approval_steps_deal_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	SELECT d.sales_owner INTO NEW.deal_owner FROM approval_cases k JOIN deals d ON d.id = k.deal_id
	WHERE k.id = NEW.case_id FOR SHARE OF d;
	RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER approval_steps_deal_owner BEFORE INSERT OR UPDATE OF case_id ON approval_steps
	FOR EACH ROW EXECUTE FUNCTION approval_steps_deal_owner();

-- +goose StatementBegin
CREATE FUNCTION deals_owner_to_steps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE approval_steps SET deal_owner = NEW.sales_owner
	WHERE case_id IN (SELECT id FROM approval_cases WHERE deal_id = NEW.id) AND deal_owner IS DISTINCT FROM NEW.sales_owner;
	RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER deals_owner_to_steps AFTER UPDATE OF sales_owner ON deals
	FOR EACH ROW WHEN (OLD.sales_owner IS DISTINCT FROM NEW.sales_owner) EXECUTE FUNCTION deals_owner_to_steps();

-- +goose StatementBegin
CREATE FUNCTION approval_cases_deal_to_steps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE approval_steps SET deal_owner = (SELECT sales_owner FROM deals WHERE id = NEW.deal_id)
	WHERE case_id = NEW.id;
	RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER approval_cases_deal_to_steps AFTER UPDATE OF deal_id ON approval_cases
	FOR EACH ROW WHEN (OLD.deal_id IS DISTINCT FROM NEW.deal_id) EXECUTE FUNCTION approval_cases_deal_to_steps();

CREATE INDEX approval_steps_deal_owner_times_idx ON approval_steps (deal_owner)
	INCLUDE (kind, stage, stage_index, status, entered_at, decided_at, working_seconds) WHERE deal_owner IS NOT NULL;

-- +goose Down
DROP INDEX approval_steps_deal_owner_times_idx;
DROP TRIGGER approval_cases_deal_to_steps ON approval_cases;
DROP FUNCTION approval_cases_deal_to_steps();
DROP TRIGGER deals_owner_to_steps ON deals;
DROP FUNCTION deals_owner_to_steps();
DROP TRIGGER approval_steps_deal_owner ON approval_steps;
DROP FUNCTION approval_steps_deal_owner();
ALTER TABLE approval_steps DROP COLUMN deal_owner;
