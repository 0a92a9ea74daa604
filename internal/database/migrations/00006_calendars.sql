-- +goose Up
-- Working calendars: the hours SLAs are counted in. One company per deployment,
-- so usually one calendar, "default"; more are possible (a plant that works
-- Saturdays). The rules that make a calendar valid live in internal/calendar
-- and are checked before saving; the constraints here are a backstop.
CREATE TABLE calendars (
    id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    name       text NOT NULL DEFAULT '',
    time_zone  text NOT NULL CHECK (time_zone <> ''),
    weekdays   text[] NOT NULL CHECK (cardinality(weekdays) > 0
                   AND weekdays <@ ARRAY['mon','tue','wed','thu','fri','sat','sun']),
    -- working periods of a working day, in order: {'09:00-12:00','13:00-18:00'}
    hours      text[] NOT NULL CHECK (cardinality(hours) > 0
                   AND array_to_string(hours, ',') ~ '^\d\d:\d\d-\d\d:\d\d(,\d\d:\d\d-\d\d:\d\d)*$'),
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Exceptions to the regular week: public holidays and make-up working days
-- (调休). One row per date, so a date cannot be both.
CREATE TABLE calendar_days (
    calendar_id text NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    day         date NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name        text NOT NULL DEFAULT '',
    PRIMARY KEY (calendar_id, day)
);

-- The default calendar: mainland China, Monday to Friday, 09:00-12:00 and
-- 13:00-18:00 Beijing time, with the State Council's holidays and make-up days:
--   2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12)
--   2026: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)
-- The same data is calendar.ChinaSpec() in Go; a test keeps them equal. Later
-- years are added by an admin (PUT /api/v1/calendars/default) when announced.
INSERT INTO calendars (id, name, time_zone, weekdays, hours, updated_by)
VALUES ('default', '中国大陆 Mainland China', 'Asia/Shanghai', '{mon,tue,wed,thu,fri}',
        '{09:00-12:00,13:00-18:00}', 'migration');

INSERT INTO calendar_days (calendar_id, day, kind, name)
SELECT 'default', d::date, 'holiday', h.name
FROM (VALUES
    ('元旦',           date '2025-01-01', date '2025-01-01'),
    ('春节',           date '2025-01-28', date '2025-02-04'),
    ('清明节',         date '2025-04-04', date '2025-04-06'),
    ('劳动节',         date '2025-05-01', date '2025-05-05'),
    ('端午节',         date '2025-05-31', date '2025-06-02'),
    ('国庆节、中秋节', date '2025-10-01', date '2025-10-08'),
    ('元旦',           date '2026-01-01', date '2026-01-03'),
    ('春节',           date '2026-02-15', date '2026-02-23'),
    ('清明节',         date '2026-04-04', date '2026-04-06'),
    ('劳动节',         date '2026-05-01', date '2026-05-05'),
    ('端午节',         date '2026-06-19', date '2026-06-21'),
    ('中秋节',         date '2026-09-25', date '2026-09-27'),
    ('国庆节',         date '2026-10-01', date '2026-10-07')
) AS h(name, first_day, last_day),
generate_series(h.first_day, h.last_day, interval '1 day') AS d;

INSERT INTO calendar_days (calendar_id, day, kind, name) VALUES
    ('default', '2025-01-26', 'workday', '春节调休上班'),
    ('default', '2025-02-08', 'workday', '春节调休上班'),
    ('default', '2025-04-27', 'workday', '劳动节调休上班'),
    ('default', '2025-09-28', 'workday', '国庆节调休上班'),
    ('default', '2025-10-11', 'workday', '国庆节调休上班'),
    ('default', '2026-01-04', 'workday', '元旦调休上班'),
    ('default', '2026-02-14', 'workday', '春节调休上班'),
    ('default', '2026-02-28', 'workday', '春节调休上班'),
    ('default', '2026-05-09', 'workday', '劳动节调休上班'),
    ('default', '2026-09-20', 'workday', '国庆节调休上班'),
    ('default', '2026-10-10', 'workday', '国庆节调休上班');

-- +goose Down
DROP TABLE calendar_days, calendars;
