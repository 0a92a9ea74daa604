-- +goose Up
-- The stuck board and its chart (issue 11).
--
-- A viewer who does not see every case (a sales manager) reads the cases
-- they may see from the ways a case becomes theirs (caseReach in
-- approvals.go): asked for it, held or hold one of its steps, or may see its
-- deal or customer; then only those cases' open steps.
CREATE INDEX approval_cases_requester_idx ON approval_cases (requester);
-- A deal's cases by index alone (approval_cases_deal_idx holds no case ID).
CREATE INDEX approval_cases_deal_case_idx ON approval_cases (deal_id, id);
CREATE INDEX approval_steps_approver_idx ON approval_steps (approver, case_id);
CREATE INDEX approval_steps_behalf_idx ON approval_steps (on_behalf_of, case_id) WHERE on_behalf_of <> '';
CREATE INDEX approval_steps_open_case_idx ON approval_steps (case_id) WHERE status = 'pending';
CREATE INDEX terms_changes_case_idx ON terms_changes (case_id) WHERE case_id IS NOT NULL;

-- approval_time_bucket is the histogram bucket of a step's time from entry
-- to decision: 0 under a minute, then sixteen buckets per doubling (each
-- about 4.4 % wide), so a P90 read from the buckets is within that of the
-- exact one.
-- +goose StatementBegin
CREATE FUNCTION approval_time_bucket(seconds double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN seconds < 60 THEN 0 ELSE floor(16 * ln(seconds / 60) / ln(2))::integer + 1 END
$$;
-- +goose StatementEnd

-- approval_stage_times is every decided (approved or rejected) step's time
-- from entry to decision, summed per kind, stage and bucket, and on bucket -1
-- the stage's open steps: the chart of those who see every case reads a few
-- hundred rows of it instead of a million steps. The triggers below keep it
-- in the transaction that writes the steps, whichever statement does. They
-- take a transaction lock per kind first (a case is of one kind), so two
-- saves of the same kind wait for each other there rather than deadlock on
-- its rows; they would wait on the stage's open-steps row anyway.
CREATE TABLE approval_stage_times (
	kind        text NOT NULL,
	stage       text NOT NULL,
	bucket      integer NOT NULL,
	stage_index integer NOT NULL,
	steps       bigint NOT NULL,
	seconds     double precision NOT NULL,
	PRIMARY KEY (kind, stage, bucket)
);

-- approval_stage_deltas is what a statement changed: +1 for each step as it
-- now is, -1 for each as it was.
-- +goose StatementBegin
CREATE FUNCTION approval_stage_deltas(steps jsonb, n integer) RETURNS TABLE (kind text, stage text, stage_index integer,
	bucket integer, n integer, secs double precision)
LANGUAGE sql IMMUTABLE AS $$
	SELECT s.kind, s.stage, s.stage_index,
		CASE WHEN s.status = 'pending' THEN -1 ELSE approval_time_bucket(extract(epoch FROM s.decided_at - s.entered_at)) END,
		n, CASE WHEN s.status = 'pending' THEN 0 ELSE extract(epoch FROM s.decided_at - s.entered_at) END
	FROM jsonb_to_recordset(steps) AS s(kind text, stage text, stage_index integer, status text,
		entered_at timestamptz, decided_at timestamptz)
	WHERE s.status = 'pending' OR (s.status IN ('approved', 'rejected') AND s.decided_at IS NOT NULL)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION approval_stage_times_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	now_steps jsonb := '[]';
	was_steps jsonb := '[]';
BEGIN
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		SELECT coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'stage', stage, 'stage_index', stage_index,
			'status', status, 'entered_at', entered_at, 'decided_at', decided_at)), '[]') INTO now_steps
		FROM new_steps WHERE status IN ('pending', 'approved', 'rejected');
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		SELECT coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'stage', stage, 'stage_index', stage_index,
			'status', status, 'entered_at', entered_at, 'decided_at', decided_at)), '[]') INTO was_steps
		FROM old_steps WHERE status IN ('pending', 'approved', 'rejected');
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('approval_stage_times'), hashtext(k))
	FROM (SELECT DISTINCT x->>'kind' k FROM jsonb_array_elements(now_steps || was_steps) x ORDER BY 1) ks;
	INSERT INTO approval_stage_times AS t (kind, stage, bucket, stage_index, steps, seconds)
		SELECT d.kind, d.stage, d.bucket, min(d.stage_index), sum(d.n), sum(d.n * d.secs)
		FROM (SELECT * FROM approval_stage_deltas(now_steps, 1) UNION ALL SELECT * FROM approval_stage_deltas(was_steps, -1)) d
		GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0 OR sum(d.n * d.secs) <> 0
		ORDER BY 1, 2, 3
	ON CONFLICT (kind, stage, bucket) DO UPDATE SET steps = t.steps + EXCLUDED.steps,
		seconds = t.seconds + EXCLUDED.seconds, stage_index = least(t.stage_index, EXCLUDED.stage_index);
	RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER approval_stage_times_insert AFTER INSERT ON approval_steps
	REFERENCING NEW TABLE AS new_steps FOR EACH STATEMENT EXECUTE FUNCTION approval_stage_times_apply();
CREATE TRIGGER approval_stage_times_update AFTER UPDATE ON approval_steps
	REFERENCING OLD TABLE AS old_steps NEW TABLE AS new_steps FOR EACH STATEMENT EXECUTE FUNCTION approval_stage_times_apply();
CREATE TRIGGER approval_stage_times_delete AFTER DELETE ON approval_steps
	REFERENCING OLD TABLE AS old_steps FOR EACH STATEMENT EXECUTE FUNCTION approval_stage_times_apply();

INSERT INTO approval_stage_times (kind, stage, bucket, stage_index, steps, seconds)
	SELECT kind, stage, CASE WHEN status = 'pending' THEN -1 ELSE approval_time_bucket(extract(epoch FROM decided_at - entered_at)) END,
		min(stage_index), count(*), coalesce(sum(extract(epoch FROM decided_at - entered_at)) FILTER (WHERE status <> 'pending'), 0)
	FROM approval_steps WHERE status = 'pending' OR (status IN ('approved', 'rejected') AND decided_at IS NOT NULL)
	GROUP BY 1, 2, 3;

-- +goose Down
DROP TRIGGER approval_stage_times_delete ON approval_steps;
DROP TRIGGER approval_stage_times_update ON approval_steps;
DROP TRIGGER approval_stage_times_insert ON approval_steps;
DROP FUNCTION approval_stage_times_apply();
DROP FUNCTION approval_stage_deltas(jsonb, integer);
DROP TABLE approval_stage_times;
DROP FUNCTION approval_time_bucket(double precision);
DROP INDEX terms_changes_case_idx, approval_steps_open_case_idx,
	approval_steps_behalf_idx, approval_steps_approver_idx, approval_cases_deal_case_idx, approval_cases_requester_idx;
