-- +goose Up
-- A sales manager's stage times (issue 11) are counted from the steps of the
-- cases they may reach, about 6,000 cases and 60,000 steps on the bench's
-- data: this index holds every column the count reads, so each case's steps
-- come from one index page, not ten heap pages (an index-only scan once
-- autovacuum has set the visibility map). The open steps of the stuck board
-- likewise, with what it filters and sorts on.
CREATE INDEX approval_steps_case_times_idx ON approval_steps (case_id)
	INCLUDE (kind, stage, stage_index, status, entered_at, decided_at, working_seconds);
CREATE INDEX approval_steps_open_case_due_idx ON approval_steps (case_id)
	INCLUDE (due_at, id, kind, team, requester, approver, entered_at) WHERE status = 'pending';
-- 00110's, which the one above replaces.
DROP INDEX approval_steps_open_case_idx;

-- +goose Down
CREATE INDEX approval_steps_open_case_idx ON approval_steps (case_id) WHERE status = 'pending';
DROP INDEX approval_steps_open_case_due_idx, approval_steps_case_times_idx;
