-- 0003_records: case records leave the case row.
--
-- {{schema}} is replaced by the store's schema, as in 0001.
--
-- A case's records (coaching.Case.Records) were kept in the case's JSON
-- and rewritten with it on every change, so a change cost more the more
-- records the case had. They are now rows of their own, appended in the
-- transaction of the change that adds them and never rewritten (erasure
-- replaces them, see coaching.Tx.ReplaceRecords).
--
-- id is the order they were appended in. Within one case it ascends in
-- commit order: a change appends its records after its UPDATE of the case
-- row, whose lock it holds until it commits, so no other change of the
-- case draws a number in between. Both indexes end in id: a case's records
-- in order, and the latest of a name with one backward index step.
CREATE TABLE {{schema}}.records (
	id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	case_id text COLLATE "C" NOT NULL REFERENCES {{schema}}.cases (id),
	seq     bigint NOT NULL,
	name    text COLLATE "C" NOT NULL,
	at      timestamptz NOT NULL,
	by      text NOT NULL,
	data    jsonb
);
CREATE INDEX records_case ON {{schema}}.records (case_id, id);
CREATE INDEX records_case_name ON {{schema}}.records (case_id, name, id);

-- The records already stored move out of the cases' JSON, each case's in
-- its order (the identity is drawn as the ordered rows are inserted). The
-- instants are cut to microseconds before they are read, as the store
-- writes them (pgx drops what is below a microsecond; a cast would round).
INSERT INTO {{schema}}.records (case_id, seq, name, at, by, data)
SELECT c.id, coalesce((r.value ->> 'seq')::bigint, 0), coalesce(r.value ->> 'name', ''),
	regexp_replace(r.value ->> 'at', '(\.[0-9]{6})[0-9]+', '\1')::timestamptz,
	coalesce(r.value ->> 'by', ''), r.value -> 'data'
FROM {{schema}}.cases c
	CROSS JOIN LATERAL jsonb_array_elements(c.data -> 'records') WITH ORDINALITY AS r (value, ord)
WHERE jsonb_typeof(c.data -> 'records') = 'array'
ORDER BY c.id, r.ord;

UPDATE {{schema}}.cases SET data = data - 'records' WHERE data ? 'records';
