-- +goose Up
-- The stage-times summary must not slow approvals down (issue 11).
--
-- 00110's triggers upserted approval_stage_times under a lock per kind, so
-- every decision's save held that lock and updated the same row (the stage's
-- open steps) until it committed: parallel decisions on cases of one kind
-- waited for each other. Now the triggers only append what a statement
-- changed to approval_stage_time_deltas (no key, no upsert, no lock: two
-- saves never touch the same row), and CompactStageTimes (approvals.go) folds
-- the deltas into approval_stage_times from time to time, in one transaction
-- (DELETE … RETURNING, then ON CONFLICT): a reader that sums the totals and
-- the deltas still waiting in one statement reads an exact figure at any
-- moment, whether a compaction has run or not.
CREATE TABLE approval_stage_time_deltas (
	kind        text NOT NULL,
	stage       text NOT NULL,
	bucket      integer NOT NULL,
	stage_index integer NOT NULL,
	steps       bigint NOT NULL,
	seconds     double precision NOT NULL
);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approval_stage_times_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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
	INSERT INTO approval_stage_time_deltas (kind, stage, bucket, stage_index, steps, seconds)
		SELECT d.kind, d.stage, d.bucket, min(d.stage_index), sum(d.n), sum(d.n * d.secs)
		FROM (SELECT * FROM approval_stage_deltas(now_steps, 1) UNION ALL SELECT * FROM approval_stage_deltas(was_steps, -1)) d
		GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0 OR sum(d.n * d.secs) <> 0;
	RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- Fold what waits, then put 00110's function back word for word.
WITH d AS (DELETE FROM approval_stage_time_deltas RETURNING *)
INSERT INTO approval_stage_times AS t (kind, stage, bucket, stage_index, steps, seconds)
	SELECT kind, stage, bucket, min(stage_index), sum(steps), sum(seconds) FROM d GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (kind, stage, bucket) DO UPDATE SET steps = t.steps + EXCLUDED.steps,
	seconds = t.seconds + EXCLUDED.seconds, stage_index = least(t.stage_index, EXCLUDED.stage_index);
DROP TABLE approval_stage_time_deltas;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approval_stage_times_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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
