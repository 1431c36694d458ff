-- 0005: narrow columns for the figures (outcomes.FactsStreamer), so that
-- a report reads no JSON document and makes no lookup in the records
-- table: the case's opening and closing instants, the participant's birth
-- date and background, and the data of each case's latest record of each
-- name.
--
-- The instants are INTEGER microseconds like every other instant here
-- (the figures read their Helsinki civil dates, which microseconds keep
-- exactly). The store writes them with the case's JSON on every
-- InsertCase and UpdateCase; the rows already stored get them from a step
-- in Go after this script (the JSON holds RFC 3339 text with nanoseconds,
-- which SQLite's date functions read only to the millisecond).
ALTER TABLE cases ADD COLUMN opened_at INTEGER;
ALTER TABLE cases ADD COLUMN closed_at INTEGER;

-- The JSON values of the participant's birth_date and background members
-- (NULL when missing), as SQLite's -> renders them; InsertParticipant and
-- UpdateParticipant (erasure's rewrite too) compute them from the JSON
-- they write, in the same statement.
ALTER TABLE participants ADD COLUMN birth_date TEXT;
ALTER TABLE participants ADD COLUMN background TEXT;
UPDATE participants SET birth_date = data -> '$.birth_date', background = data -> '$.background';

-- The latest record of each name per case (the one with the greatest
-- rowid in records), kept by triggers on records whatever writes them —
-- AppendRecords, erasure's ReplaceRecords, a loader — at the cost of one
-- upsert per record appended. The store does not know which names a
-- report reads; it keeps every name's latest. data is the record's data,
-- or JSON null for a record without data (either reads as missing).
CREATE TABLE latest_records (
    case_id   TEXT NOT NULL REFERENCES cases (id),
    name      TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (case_id, name)
) WITHOUT ROWID;

INSERT INTO latest_records (case_id, name, record_id, data)
SELECT r.case_id, r.name, r.id, coalesce(r.data, 'null')
FROM (SELECT max(id) AS id FROM records GROUP BY case_id, name) m
JOIN records r ON r.id = m.id;

-- A record appended after the latest of its name replaces it.
CREATE TRIGGER records_latest_insert AFTER INSERT ON records BEGIN
    INSERT INTO latest_records (case_id, name, record_id, data)
    VALUES (new.case_id, new.name, new.id, coalesce(new.data, 'null'))
    ON CONFLICT (case_id, name) DO UPDATE SET record_id = excluded.record_id, data = excluded.data
        WHERE excluded.record_id > latest_records.record_id;
END;

-- A deleted record that was the latest of its name gives way to the
-- latest that remains, if any.
CREATE TRIGGER records_latest_delete AFTER DELETE ON records
WHEN EXISTS (SELECT 1 FROM latest_records WHERE case_id = old.case_id AND name = old.name AND record_id = old.id) BEGIN
    DELETE FROM latest_records WHERE case_id = old.case_id AND name = old.name;
    INSERT INTO latest_records (case_id, name, record_id, data)
    SELECT case_id, name, id, coalesce(data, 'null') FROM records
    WHERE case_id = old.case_id AND name = old.name ORDER BY id DESC LIMIT 1;
END;
