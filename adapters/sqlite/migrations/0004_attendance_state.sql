-- 0004: attendance keeps its per-case state in tables of its own
-- (coaching/attendance.State): the early-warning flags, which leave the
-- case row's JSON, and running totals of the current marks — per case and
-- per case and day — which let recording read only the warning rules'
-- windows (a row a day) however many marks a student has. PutMarks adjusts
-- the totals in the same transaction as the marks; PutFlags replaces the
-- flags.
CREATE TABLE attendance_state (
    case_id        TEXT PRIMARY KEY REFERENCES cases (id),
    marks          INTEGER NOT NULL DEFAULT 0,
    minutes        INTEGER NOT NULL DEFAULT 0,
    absent_marks   INTEGER NOT NULL DEFAULT 0,
    absent_minutes INTEGER NOT NULL DEFAULT 0,
    unexplained    INTEGER NOT NULL DEFAULT 0,
    flags          TEXT NOT NULL DEFAULT '[]'
) WITHOUT ROWID;

-- The totals of one case's current marks on one day (attendance.Day).
CREATE TABLE attendance_days (
    case_id        TEXT NOT NULL REFERENCES cases (id),
    day            INTEGER NOT NULL,
    marks          INTEGER NOT NULL DEFAULT 0,
    minutes        INTEGER NOT NULL DEFAULT 0,
    absent_marks   INTEGER NOT NULL DEFAULT 0,
    absent_minutes INTEGER NOT NULL DEFAULT 0,
    unexplained    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (case_id, day)
) WITHOUT ROWID;

-- The totals of the marks already stored: the latest revision of each
-- (case, day, lesson), counted as attendance.Totals counts.
INSERT INTO attendance_days (case_id, day, marks, minutes, absent_marks, absent_minutes, unexplained)
SELECT case_id, day, count(*), sum(minutes),
       sum(status IN ('absent_unexplained', 'absent_explained', 'sick')),
       sum(CASE WHEN status IN ('absent_unexplained', 'absent_explained', 'sick') THEN minutes ELSE 0 END),
       sum(status = 'absent_unexplained')
FROM (SELECT case_id, day, lesson, MAX(revision), minutes, status FROM mark_revisions GROUP BY case_id, day, lesson)
GROUP BY case_id, day;

INSERT INTO attendance_state (case_id, marks, minutes, absent_marks, absent_minutes, unexplained)
SELECT case_id, count(*), sum(minutes),
       sum(status IN ('absent_unexplained', 'absent_explained', 'sick')),
       sum(CASE WHEN status IN ('absent_unexplained', 'absent_explained', 'sick') THEN minutes ELSE 0 END),
       sum(status = 'absent_unexplained')
FROM (SELECT case_id, day, lesson, MAX(revision), minutes, status FROM mark_revisions GROUP BY case_id, day, lesson)
GROUP BY case_id;

-- The flags leave the case rows.
INSERT INTO attendance_state (case_id, flags)
SELECT id, json_extract(data, '$.flags') FROM cases WHERE json_type(data, '$.flags') = 'array'
ON CONFLICT (case_id) DO UPDATE SET flags = excluded.flags;
UPDATE cases SET data = json_remove(data, '$.flags') WHERE json_type(data, '$.flags') IS NOT NULL;
