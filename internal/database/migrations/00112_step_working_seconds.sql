-- +goose Up
-- Stage times in working hours (issue 11: "a chart of average and P90
-- working hours per stage"), and a sales manager's stuck board and chart
-- read by index alone.
--
-- working_seconds is a decided step's time from entry to decision in working
-- time on the company calendar (internal/calendar, Calendar.Between), worked
-- out in Go where the decision is saved (database.CaseSave) and, for the
-- steps decided before, by the backfill of migration 00113. It is kept as
-- decided: a later edit of the calendar does not rewrite past figures.
ALTER TABLE approval_steps ADD COLUMN working_seconds double precision;

-- approval_step_seconds is what a decided step counts in the stage times:
-- its working time; a step some other writer decided without saying it (a
-- script, a test writing the table) counts its clock time.
-- +goose StatementBegin
CREATE FUNCTION approval_step_seconds(entered_at timestamptz, decided_at timestamptz, working_seconds double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT coalesce(working_seconds, extract(epoch FROM decided_at - entered_at)::double precision)
$$;
-- +goose StatementEnd

-- The deltas of 00110 and 00111, counted in working_seconds.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approval_stage_deltas(steps jsonb, n integer) RETURNS TABLE (kind text, stage text, stage_index integer,
	bucket integer, n integer, secs double precision)
LANGUAGE sql IMMUTABLE AS $$
	SELECT s.kind, s.stage, s.stage_index,
		CASE WHEN s.status = 'pending' THEN -1 ELSE approval_time_bucket(approval_step_seconds(s.entered_at, s.decided_at, s.working_seconds)) END,
		n, CASE WHEN s.status = 'pending' THEN 0 ELSE approval_step_seconds(s.entered_at, s.decided_at, s.working_seconds) END
	FROM jsonb_to_recordset(steps) AS s(kind text, stage text, stage_index integer, status text,
		entered_at timestamptz, decided_at timestamptz, working_seconds double precision)
	WHERE s.status = 'pending' OR (s.status IN ('approved', 'rejected') AND s.decided_at IS NOT NULL)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approval_stage_times_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	now_steps jsonb := '[]';
	was_steps jsonb := '[]';
BEGIN
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		SELECT coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'stage', stage, 'stage_index', stage_index,
			'status', status, 'entered_at', entered_at, 'decided_at', decided_at, 'working_seconds', working_seconds)), '[]') INTO now_steps
		FROM new_steps WHERE status IN ('pending', 'approved', 'rejected');
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		SELECT coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'stage', stage, 'stage_index', stage_index,
			'status', status, 'entered_at', entered_at, 'decided_at', decided_at, 'working_seconds', working_seconds)), '[]') INTO was_steps
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
-- 00111's functions back word for word; what the totals hold then is in
-- working time for the steps that have it (run 00113's Down first, which
-- moves them back to clock time).
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approval_stage_deltas(steps jsonb, n integer) RETURNS TABLE (kind text, stage text, stage_index integer,
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
DROP FUNCTION approval_step_seconds(timestamptz, timestamptz, double precision);
ALTER TABLE approval_steps DROP COLUMN working_seconds;
