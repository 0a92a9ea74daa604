-- +goose Up
-- Workbook imports: who imported which file, how, and what came of it. The
-- annotated result workbook is kept so the person can download it again, and
-- rows_read moves while a large file is being read, for progress.
CREATE TABLE import_jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('customers')),
    file_name    text NOT NULL,
    file_size    bigint NOT NULL,
    file_sha256  bytea NOT NULL,
    file_format  text NOT NULL DEFAULT '',
    mode         text NOT NULL CHECK (mode IN ('all_or_nothing', 'accept_valid')),
    dry_run      boolean NOT NULL,
    status       text NOT NULL CHECK (status IN
                   ('running', 'imported', 'partially_imported', 'rejected', 'validated', 'failed')),
    rows_read    int NOT NULL DEFAULT 0,
    rows_total   int NOT NULL DEFAULT 0,
    accepted     int NOT NULL DEFAULT 0,
    rejected     int NOT NULL DEFAULT 0,
    inserted     int NOT NULL DEFAULT 0,
    updated      int NOT NULL DEFAULT 0,
    unchanged    int NOT NULL DEFAULT 0,
    error_kind   text NOT NULL DEFAULT '',   -- why a whole file was refused
    message      text NOT NULL DEFAULT '',
    report       jsonb,                      -- columns found, ignored columns, first row errors
    result_name  text NOT NULL DEFAULT '',
    result       bytea,                      -- the annotated workbook (.xlsx)
    created_by   text NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX import_jobs_created_by_idx ON import_jobs (created_by, id DESC);

-- +goose Down
DROP TABLE import_jobs;
