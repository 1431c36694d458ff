-- 0003: case records leave the case row.
--
-- A case's records (coaching.Case.Records) were kept in the case's JSON
-- and rewritten with it on every change, so a change cost more the more
-- records the case had. They are now rows of their own, appended in the
-- transaction of the change that adds them and never rewritten (erasure
-- replaces them, see coaching.Tx.ReplaceRecords).
--
-- The rowid is the order they were appended in: writes are serialised
-- (one writer connection, BEGIN IMMEDIATE across processes), and a case's
-- records are appended in its order. AUTOINCREMENT keeps a number from
-- being handed out twice, so an erasure's replacements come after
-- whatever the case had. Both indexes end in the rowid: a case's records
-- in order, and the latest of a name with one backward step.
CREATE TABLE records (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id  TEXT NOT NULL REFERENCES cases (id),
    seq      INTEGER NOT NULL,
    name     TEXT NOT NULL,
    at       INTEGER NOT NULL,
    by_actor TEXT NOT NULL,
    data     BLOB
);
CREATE INDEX records_case ON records (case_id);
CREATE INDEX records_case_name ON records (case_id, name);

-- The records already stored move out of the cases' JSON into the table
-- (a step in Go after this script: the instants in the JSON are RFC 3339
-- text with nanoseconds, which SQLite's date functions read only to the
-- millisecond).
