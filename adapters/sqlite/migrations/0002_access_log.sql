-- 0002: the access log, the organisation of a coaching session, and cases
-- by participant.

-- The access log: who read welfare records or identity codes, who erased,
-- and every request the policy denied. Append-only (the triggers below
-- refuse UPDATE and DELETE). seq is the rowid: writes are serialised (one
-- writer connection, BEGIN IMMEDIATE across processes), so it ascends in
-- commit order; AUTOINCREMENT keeps a number from ever being handed out
-- twice, even if rows were removed by hand (e.g. a retention job that drops
-- the triggers).
CREATE TABLE access_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    actor_id       TEXT NOT NULL,
    roles          TEXT,
    organisation   TEXT NOT NULL,
    operation      TEXT NOT NULL,
    case_id        TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    allowed        INTEGER NOT NULL,
    rule           TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    subject        TEXT NOT NULL
);
-- The questions the log answers: who looked at this case or this student,
-- what did this actor look at, what happened in this organisation. Each
-- index ends in seq (the rowid), so a filtered read walks it in Seq order.
CREATE INDEX access_log_case ON access_log (case_id);
CREATE INDEX access_log_participant ON access_log (participant_id);
CREATE INDEX access_log_actor ON access_log (actor_id);
CREATE INDEX access_log_organisation ON access_log (organisation);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only: DELETE is not allowed');
END;

-- Sessions keep the recording staff member's organisation. Rows written
-- before this migration belong to no organisation ('').
ALTER TABLE sessions ADD COLUMN organisation TEXT NOT NULL DEFAULT '';

-- Store.Cases with CaseQuery.Participant pages by id within one
-- participant's cases: the index holds both (the old one held the
-- participant and the rowid, so the pages needed a sort).
DROP INDEX cases_participant;
CREATE INDEX cases_participant ON cases (participant_id, id);
