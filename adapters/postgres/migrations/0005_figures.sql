-- 0005: narrow columns for the figures (outcomes.FactsStreamer), so that
-- a report reads no participant document and makes no pass over the
-- records table: the participant's birth date and background, and the
-- data of each case's latest record of each name. (The case's instants
-- have had columns of their own since 0001.)
--
-- The participant's birth_date and background members, as jsonb (NULL
-- when missing). Generated: PostgreSQL computes them from data on every
-- INSERT and UPDATE (erasure's rewrite of an erased participant too) and
-- fills them for the rows already stored while adding them.
ALTER TABLE {{schema}}.participants
	ADD COLUMN birth_date jsonb GENERATED ALWAYS AS (data -> 'birth_date') STORED,
	ADD COLUMN background jsonb GENERATED ALWAYS AS (data -> 'background') STORED;

-- The latest record of each name per case (the one with the greatest id
-- in records), kept by a trigger on records whatever writes them —
-- AppendRecords, erasure's ReplaceRecords, a COPY — at the cost of one
-- upsert per record appended. The store does not know which names a
-- report reads; it keeps every name's latest. data is the record's data,
-- or JSON null for a record without data (either reads as missing).
CREATE TABLE {{schema}}.latest_records (
	case_id   text COLLATE "C" NOT NULL REFERENCES {{schema}}.cases (id),
	name      text COLLATE "C" NOT NULL,
	record_id bigint NOT NULL,
	data      jsonb NOT NULL,
	PRIMARY KEY (case_id, name)
);

INSERT INTO {{schema}}.latest_records (case_id, name, record_id, data)
SELECT DISTINCT ON (case_id, name) case_id, name, id, coalesce(data, 'null')
FROM {{schema}}.records ORDER BY case_id, name, id DESC;

-- A record appended after the latest of its name replaces it; a deleted
-- record that was the latest of its name gives way to the latest that
-- remains, if any (row triggers run after the whole statement, so a
-- case's records deleted together leave nothing behind).
CREATE FUNCTION {{schema}}.records_latest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO {{schema}}.latest_records AS l (case_id, name, record_id, data)
		VALUES (NEW.case_id, NEW.name, NEW.id, coalesce(NEW.data, 'null'))
		ON CONFLICT (case_id, name) DO UPDATE SET record_id = excluded.record_id, data = excluded.data
			WHERE excluded.record_id > l.record_id;
		RETURN NULL;
	END IF;
	DELETE FROM {{schema}}.latest_records WHERE case_id = OLD.case_id AND name = OLD.name AND record_id = OLD.id;
	IF FOUND THEN
		INSERT INTO {{schema}}.latest_records (case_id, name, record_id, data)
		SELECT case_id, name, id, coalesce(data, 'null') FROM {{schema}}.records
		WHERE case_id = OLD.case_id AND name = OLD.name ORDER BY id DESC LIMIT 1;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER records_latest AFTER INSERT OR DELETE ON {{schema}}.records
	FOR EACH ROW EXECUTE FUNCTION {{schema}}.records_latest();

-- The planner's statistics of the new table and columns now, not at the
-- next autovacuum: the figures' joins are planned from them.
ANALYZE {{schema}}.participants, {{schema}}.latest_records;
