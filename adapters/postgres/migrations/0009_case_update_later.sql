-- 0009: the engine's case update can be pipelined (txn.UpdateCaseLater):
-- it travels with the audit entry, the timers, the notices and the COMMIT
-- in one round trip, instead of one of its own waited on for its row
-- count. An UPDATE that matches no row is no error in SQL, so the
-- pipelined form (queries.updateCaseOrFail) calls case_not_updated when
-- its compare-and-set updated nothing, and the raised error fails the
-- transaction: nothing of it is written, and the store maps the error to
-- what UpdateCase would have returned.
--
-- {{schema}} is replaced by the store's schema, as in 0001.
--
-- case_not_updated says why: SQLSTATE VC404 when the case is missing (a
-- *coaching.NotFoundError), VC409 when its version is not the expected
-- one (a *coaching.ConflictError), with the stored version as the
-- error's DETAIL, digits only, for ConflictError.Current. It is VOLATILE
-- so that, under READ COMMITTED, it reads the version committed by the
-- writer the UPDATE waited for, not the statement's older snapshot.
CREATE FUNCTION {{schema}}.case_not_updated(case_id text, expected bigint) RETURNS void
	LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	stored bigint;
BEGIN
	SELECT c.version INTO stored FROM {{schema}}.cases c WHERE c.id = case_not_updated.case_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'case % does not exist', case_not_updated.case_id USING ERRCODE = 'VC404';
	END IF;
	RAISE EXCEPTION 'case % changed: expected version %, current version is %', case_not_updated.case_id,
		case_not_updated.expected, stored USING ERRCODE = 'VC409', DETAIL = stored::text;
END
$$;
