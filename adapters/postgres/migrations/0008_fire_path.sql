-- 0008: what a Fire writes costs the same on a case's thousandth event
-- as on its tenth, and as the tables age: audit_follows finds a case's last
-- audit entry with one backward index step, however its plan was chosen,
-- and no index of cases holds the state, so that a transition can update
-- the row in place (HOT). (Edited in place before its release.)
--
-- {{schema}} is replaced by the store's schema, as in 0001.
--
-- PL/pgSQL keeps the plans of a function's queries per session, and after
-- five calls it may keep a generic plan, made once and never made again
-- while the tables grow. The 0001 body asked for max(seq): on a nearly
-- empty audit table (a new schema, a pool's first connections, no
-- statistics since autovacuum had not run) the generic plan PostgreSQL 15
-- chose read every entry of the case (Aggregate over an Index Only Scan on
-- case_id), so each append on that connection cost more the longer the
-- case's trail: a Fire after 1 000 events read 1 000 entries. Asked for
-- as ORDER BY seq DESC LIMIT 1, the last entry has no aggregate plan: the
-- generic plan is the backward scan of audit's primary key, which stops at
-- the first entry, from an empty table on (TestAuditAppendReadsOneEntry
-- checks it). What the function checks is unchanged.
CREATE OR REPLACE FUNCTION {{schema}}.audit_follows(case_id text, seq bigint) RETURNS boolean
	LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF coalesce((SELECT a.seq FROM {{schema}}.audit a WHERE a.case_id = audit_follows.case_id
	             ORDER BY a.seq DESC LIMIT 1), 0) <> audit_follows.seq - 1
	   OR NOT EXISTS (SELECT 1 FROM {{schema}}.cases c WHERE c.id = audit_follows.case_id) THEN
		RAISE EXCEPTION 'audit entry % of case % does not follow the last entry', audit_follows.seq, audit_follows.case_id
			USING ERRCODE = 'VA409';
	END IF;
	RETURN true;
END
$$;

-- Every transition changes cases.state, and cases_model_state held it:
-- each update therefore wrote a new entry into all five indexes of cases
-- (no update was HOT), and without a vacuum keeping up each index and the
-- heap grew with the updates, not the rows — in the load benchmark 200
-- cases took 55 MB after 5 minutes, and a lookup by id stepped over 6 to
-- 16 dead entries. The state leaves the indexes, as in SQLite's schema
-- since 0001: a State filter (Store.Cases) walks the model's cases in id
-- order and checks the row. With no indexed column changed, an update is
-- HOT when the row's page has room — fillfactor 80 leaves a fifth of each
-- new page for that (pages written before keep theirs until a VACUUM FULL
-- or a rewrite) — and its old versions are pruned from the page without a
-- vacuum. (Measured with pgbench on a copy of the table, 200 rows, 4
-- clients: 0 of 50 867 updates HOT and 9.7 MB before, 60 377 of 60 473
-- and 0.8 MB after.)
DROP INDEX {{schema}}.cases_model_state;
CREATE INDEX cases_model ON {{schema}}.cases (model, id);
ALTER TABLE {{schema}}.cases SET (fillfactor = 80);
