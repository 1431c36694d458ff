-- 0004: attendance keeps its per-case state in tables of its own
-- (coaching/attendance.State): the early-warning flags, which leave the
-- case row's JSON, and running totals of the current marks — per case and
-- per case and date — which let recording read only the warning rules'
-- windows (a row a day) however many marks a student has. PutMarks (and BulkMarks) adjust the totals in the same
-- transaction as the marks; PutFlags replaces the flags. No foreign key to
-- cases, as for the marks: the store checks the case exists.
CREATE TABLE {{schema}}.attendance_state (
	case_id        text COLLATE "C" PRIMARY KEY,
	marks          bigint NOT NULL DEFAULT 0,
	minutes        bigint NOT NULL DEFAULT 0,
	absent_marks   bigint NOT NULL DEFAULT 0,
	absent_minutes bigint NOT NULL DEFAULT 0,
	unexplained    bigint NOT NULL DEFAULT 0,
	flags          jsonb NOT NULL DEFAULT '[]'
);

-- The totals of one case's current marks on one date (attendance.Day).
CREATE TABLE {{schema}}.attendance_days (
	case_id        text COLLATE "C" NOT NULL,
	date           date NOT NULL,
	marks          bigint NOT NULL DEFAULT 0,
	minutes        bigint NOT NULL DEFAULT 0,
	absent_marks   bigint NOT NULL DEFAULT 0,
	absent_minutes bigint NOT NULL DEFAULT 0,
	unexplained    bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (case_id, date)
);

-- The totals of the marks already stored: the latest revision of each
-- (case, date, lesson), counted as attendance.Totals counts.
INSERT INTO {{schema}}.attendance_days (case_id, date, marks, minutes, absent_marks, absent_minutes, unexplained)
SELECT case_id, date, count(*), sum(minutes),
	count(*) FILTER (WHERE status IN ('absent_unexplained', 'absent_explained', 'sick')),
	coalesce(sum(minutes) FILTER (WHERE status IN ('absent_unexplained', 'absent_explained', 'sick')), 0),
	count(*) FILTER (WHERE status = 'absent_unexplained')
FROM (SELECT DISTINCT ON (case_id, date, lesson) case_id, date, minutes, status FROM {{schema}}.marks
	ORDER BY case_id, date, lesson, revision DESC) cur
GROUP BY case_id, date;

INSERT INTO {{schema}}.attendance_state (case_id, marks, minutes, absent_marks, absent_minutes, unexplained)
SELECT case_id, count(*), sum(minutes),
	count(*) FILTER (WHERE status IN ('absent_unexplained', 'absent_explained', 'sick')),
	coalesce(sum(minutes) FILTER (WHERE status IN ('absent_unexplained', 'absent_explained', 'sick')), 0),
	count(*) FILTER (WHERE status = 'absent_unexplained')
FROM (SELECT DISTINCT ON (case_id, date, lesson) case_id, minutes, status FROM {{schema}}.marks
	ORDER BY case_id, date, lesson, revision DESC) cur
GROUP BY case_id;

-- The flags leave the case rows.
INSERT INTO {{schema}}.attendance_state (case_id, flags)
SELECT id, data->'flags' FROM {{schema}}.cases WHERE jsonb_typeof(data->'flags') = 'array' AND data->'flags' <> '[]'::jsonb
ON CONFLICT (case_id) DO UPDATE SET flags = excluded.flags;
UPDATE {{schema}}.cases SET data = data - 'flags' WHERE data ? 'flags';
