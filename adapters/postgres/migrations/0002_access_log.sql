-- 0002_access_log: the access log, the erasure of a case's free text in
-- its audit trail, the organisation of a coaching session, and cases by
-- participant.
--
-- {{schema}} is replaced by the store's schema, as in 0001.

-- The access log: who read welfare records or identity codes, who erased,
-- and every request the policy denied. Append-only (the trigger below
-- refuses UPDATE and DELETE).
--
-- seq comes from an identity column. The port says Seq ascends in commit
-- order; a sequence hands out numbers when a row is inserted, not when its
-- transaction commits, so two transactions appending at the same time may
-- commit in the other order than their numbers (and a rolled-back
-- transaction leaves a gap). What holds: every Seq is unique, and within
-- one transaction, and between transactions that do not overlap, Seq
-- ascends in insertion order. A reader paging with AfterSeq while writers
-- are busy may therefore see an entry with a smaller Seq appear after it
-- read past it; an audit report read after the fact sees every entry.
CREATE TABLE {{schema}}.access_log (
	seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at             timestamptz NOT NULL,
	actor_id       text COLLATE "C" NOT NULL,
	roles          text[],
	organisation   text COLLATE "C" NOT NULL DEFAULT '',
	operation      text NOT NULL,
	case_id        text COLLATE "C" NOT NULL DEFAULT '',
	participant_id text COLLATE "C" NOT NULL DEFAULT '',
	allowed        boolean NOT NULL,
	rule           text NOT NULL,
	purpose        text NOT NULL,
	subject        text NOT NULL
);
-- The questions the log answers: who looked at this case or this student,
-- what did this actor look at, what happened in this organisation; each
-- index is in Seq order within its key, for paging.
CREATE INDEX access_log_case ON {{schema}}.access_log (case_id, seq);
CREATE INDEX access_log_participant ON {{schema}}.access_log (participant_id, seq);
CREATE INDEX access_log_actor ON {{schema}}.access_log (actor_id, seq);
CREATE INDEX access_log_organisation ON {{schema}}.access_log (organisation, seq);

CREATE FUNCTION {{schema}}.access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the access log is append-only: % is not allowed', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON {{schema}}.access_log
	FOR EACH ROW EXECUTE FUNCTION {{schema}}.access_log_append_only();

-- The audit trail stays append-only with one exception, erasure
-- (coaching.Tx.PurgeCase): an UPDATE that clears an entry's free text
-- (reason to '', payload to NULL) and leaves every other column as it was
-- is let through. Anything else, and every DELETE, is refused as before.
-- The exception is a property of the row change itself rather than a
-- session setting the store would switch on around the purge: it needs no
-- state, works the same in a host's transaction, and cannot be used to
-- change what an entry says happened (who, when, which event, from which
-- state to which), only to forget why.
CREATE OR REPLACE FUNCTION {{schema}}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.reason = '' AND NEW.payload IS NULL
	   AND (NEW.case_id, NEW.seq, NEW.at, NEW.kind, NEW.actor_id, NEW.roles, NEW.event, NEW.from_state, NEW.to_state, NEW.idempotency_key)
	       IS NOT DISTINCT FROM
	       (OLD.case_id, OLD.seq, OLD.at, OLD.kind, OLD.actor_id, OLD.roles, OLD.event, OLD.from_state, OLD.to_state, OLD.idempotency_key) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'the audit trail is append-only: % is not allowed (only erasure may clear an entry''s reason and payload)', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Sessions keep the recording staff member's organisation. Rows written
-- before this migration belong to no organisation ('').
ALTER TABLE {{schema}}.sessions ADD COLUMN organisation text COLLATE "C" NOT NULL DEFAULT '';

-- Store.Cases with CaseQuery.Participant pages by id within one
-- participant's cases: the index holds both, so a page is one index range
-- in id order.
DROP INDEX {{schema}}.cases_participant;
CREATE INDEX cases_participant ON {{schema}}.cases (participant_id, id);
