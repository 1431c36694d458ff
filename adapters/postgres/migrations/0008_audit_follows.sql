-- 0008: audit_follows finds a case's last audit entry with one backward
-- index step, however its plan was chosen.
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
