-- 0011: the caseload's data (coaching/caseload): alerts, planned items and
-- contacts, and what the list reads from the cases and participants.
-- (It takes the place of the no-op placeholder of this name that kept the
-- numbering in step with PostgreSQL's 0011 for a few minutes, unreleased.)
--
-- The list (caseload.Reader.Summaries) is one query over cases: a case's
-- team comes from case_team (kept in step with the case by triggers), its
-- participant's name order from participants.sort_name (written by the
-- store), its flags from attendance_state, its group from latest_records,
-- its last contact and next planned item from an index step each, and
-- whether its phase is overdue from cases.phase_due.

-- phase_due is the case's phase deadline in microseconds while the phase
-- has one and the case is not paused, else NULL: a case is overdue at now
-- when it is open and phase_due < now. team_key is the case's team in a
-- compact form the store writes (actor, role pairs, see teamKey in Go);
-- case_team follows it. Neither is indexed: a transition writes phase_due
-- and only compares team_key (UpdateCase's usual statement matches the
-- stored key and does not assign it, so the trigger below is not even part
-- of its program; a team change takes the statement that assigns every
-- column). The rows already stored get both from a step in Go after this
-- script.
ALTER TABLE cases ADD COLUMN phase_due INTEGER;
ALTER TABLE cases ADD COLUMN team_key TEXT;

-- The members of each case's team: "my caseload" reads a member's cases
-- from the primary key instead of every case's JSON.
CREATE TABLE case_team (
    actor_id TEXT NOT NULL,
    role     TEXT NOT NULL,
    case_id  TEXT NOT NULL,
    PRIMARY KEY (actor_id, role, case_id)
) WITHOUT ROWID;
CREATE INDEX case_team_case ON case_team (case_id);

-- The membership rows are rewritten from the case's JSON only when
-- team_key changes (the trigger names team_key, so an UPDATE that does not
-- set it does not run it at all, and one that sets it unchanged stops at
-- the WHEN test).
CREATE TRIGGER case_team_insert AFTER INSERT ON cases BEGIN
    INSERT OR IGNORE INTO case_team (actor_id, role, case_id)
    SELECT coalesce(value ->> '$.actor_id', ''), coalesce(value ->> '$.role', ''), new.id
    FROM json_each(new.data, '$.team');
END;
CREATE TRIGGER case_team_update AFTER UPDATE OF team_key ON cases
WHEN old.team_key IS NOT new.team_key BEGIN
    DELETE FROM case_team WHERE case_id = old.id;
    INSERT OR IGNORE INTO case_team (actor_id, role, case_id)
    SELECT coalesce(value ->> '$.actor_id', ''), coalesce(value ->> '$.role', ''), new.id
    FROM json_each(new.data, '$.team');
END;
INSERT OR IGNORE INTO case_team (actor_id, role, case_id)
SELECT coalesce(t.value ->> '$.actor_id', ''), coalesce(t.value ->> '$.role', ''), c.id
FROM cases c, json_each(c.data, '$.team') t;

-- The participant's name in caseload.NameKey's order (family, given),
-- compared bytewise (BINARY): written by the store on every participant
-- write; the rows already stored get it from the step in Go (SQL cannot
-- compute NameKey).
ALTER TABLE participants ADD COLUMN sort_name TEXT;

-- Alerts: the columns the queries filter on, the whole alert as JSON.
CREATE TABLE alerts (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    organisation TEXT NOT NULL,
    cause_kind   TEXT NOT NULL,
    cause_key    TEXT NOT NULL,
    welfare      INTEGER NOT NULL,
    owner        TEXT NOT NULL,
    status       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    data         TEXT NOT NULL
);
-- One active alert per cause and case; the list counts a case's active
-- alerts from the same index.
CREATE UNIQUE INDEX alerts_active_cause ON alerts (case_id, cause_kind, cause_key)
    WHERE status IN ('open', 'acknowledged');
CREATE INDEX alerts_case ON alerts (case_id, id);
CREATE INDEX alerts_owner ON alerts (owner, id);
CREATE INDEX alerts_organisation ON alerts (organisation, id);

-- Planned items, and the cases each lists with its date and status, so
-- that a case's next planned item is one step in planned_next.
CREATE TABLE planned (
    id           TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    owner        TEXT NOT NULL,
    status       TEXT NOT NULL,
    on_day       INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    data         TEXT NOT NULL
);
CREATE INDEX planned_organisation ON planned (organisation, on_day, id);
CREATE INDEX planned_owner ON planned (owner, on_day, id);
CREATE TABLE planned_cases (
    case_id    TEXT NOT NULL,
    planned_id TEXT NOT NULL,
    on_day     INTEGER NOT NULL,
    status     TEXT NOT NULL,
    PRIMARY KEY (case_id, planned_id)
) WITHOUT ROWID;
CREATE INDEX planned_cases_next ON planned_cases (case_id, on_day, planned_id) WHERE status = 'planned';
CREATE INDEX planned_cases_item ON planned_cases (planned_id);

-- Contacts; a case's last contact is one backward step in contacts_case.
CREATE TABLE contacts (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    organisation  TEXT NOT NULL,
    kind          TEXT NOT NULL,
    on_day        INTEGER NOT NULL,
    with_guardian INTEGER NOT NULL,
    note          TEXT NOT NULL,
    at            INTEGER NOT NULL,
    by_actor      TEXT NOT NULL
);
CREATE INDEX contacts_case ON contacts (case_id, on_day, at);
