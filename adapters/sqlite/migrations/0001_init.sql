-- 0001: the coaching store's tables.
--
-- Conventions:
--   * Ids and other keys are TEXT compared with SQLite's default BINARY
--     collation, which is Go's byte order (the order CaseQuery.AfterID uses).
--   * Instants are INTEGER microseconds since the Unix epoch, UTC; the zero
--     time.Time is stored as its own (very negative) value, so comparisons
--     and ordering behave as they do in Go.
--   * Civil dates (coaching.Date) are INTEGER yyyymmdd.
--   * Structured values the store never filters on are JSON TEXT; raw JSON
--     payloads the port hands over as bytes are BLOBs, kept byte for byte.

-- Participants. The identity code lives only in its own column: the JSON
-- in data never carries it (coaching.IdentityCode marshals to a mask).
CREATE TABLE participants (
    id            TEXT PRIMARY KEY,
    identity_code TEXT,
    data          TEXT NOT NULL
);

-- Cases: the whole case as JSON, plus the columns Store.Cases filters on.
-- No foreign key to participants: the port allows a case whose participant
-- is not stored (coaching.CaseRow.HasParticipant).
CREATE TABLE cases (
    id             TEXT PRIMARY KEY,
    participant_id TEXT NOT NULL,
    model          TEXT NOT NULL,
    state          TEXT NOT NULL,
    organisation   TEXT NOT NULL,
    closed         INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    data           TEXT NOT NULL
);
-- No index holds the state: a transition changes it, and every index on it
-- would be one more page written per Fire. A State filter walks the model
-- index (or the ids) and checks the row.
CREATE INDEX cases_model ON cases (model, id);
CREATE INDEX cases_organisation ON cases (organisation, id);
CREATE INDEX cases_open ON cases (id) WHERE closed = 0;
CREATE INDEX cases_participant ON cases (participant_id);

-- The append-only audit trail: entries 1, 2, 3, ... per case.
CREATE TABLE audit (
    case_id         TEXT NOT NULL REFERENCES cases (id),
    seq             INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    roles           TEXT,
    event           TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    payload         BLOB,
    idempotency_key TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;

-- Idempotent commands, per case.
CREATE TABLE commands (
    case_id     TEXT NOT NULL REFERENCES cases (id),
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (case_id, key)
) WITHOUT ROWID;

-- Document versions (e.g. the HOKS), immutable, 1, 2, 3, ... per (case, kind).
CREATE TABLE documents (
    case_id  TEXT NOT NULL REFERENCES cases (id),
    kind     TEXT NOT NULL,
    version  INTEGER NOT NULL,
    status   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    by_actor TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    data     BLOB,
    PRIMARY KEY (case_id, kind, version)
);

-- Attendance marks: every revision is kept. The current mark of a
-- (case, day, lesson) is its highest revision, found through the primary
-- key (MAX(revision) ... GROUP BY day, lesson walks the key in order).
CREATE TABLE mark_revisions (
    case_id  TEXT NOT NULL REFERENCES cases (id),
    day      INTEGER NOT NULL,
    lesson   TEXT NOT NULL,
    revision INTEGER NOT NULL,
    title    TEXT NOT NULL,
    minutes  INTEGER NOT NULL,
    status   TEXT NOT NULL,
    reason   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    by_actor TEXT NOT NULL,
    PRIMARY KEY (case_id, day, lesson, revision)
) WITHOUT ROWID;

-- Coaching sessions. Staff, cases and elements are JSON arrays.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    day          INTEGER NOT NULL,
    hours        TEXT NOT NULL,
    staff        TEXT,
    cases        TEXT,
    elements     TEXT,
    peer_support TEXT NOT NULL,
    contacts     INTEGER NOT NULL,
    topic        TEXT NOT NULL,
    at           INTEGER NOT NULL,
    by_actor     TEXT NOT NULL
);
CREATE INDEX sessions_day ON sessions (day, id);

-- The outbox. case_id is '' for notices about no case (digests), so it has
-- no foreign key. The rowid keeps insertion order for Outbox.Notices.
CREATE TABLE notices (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    data        TEXT,
    created_at  INTEGER NOT NULL,
    not_before  INTEGER NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    lease_until INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL,
    last_error  TEXT NOT NULL
);
-- Claiming walks only the notices still to deliver, oldest first.
CREATE INDEX notices_active ON notices (not_before, id) WHERE status IN ('pending', 'claimed');
CREATE INDEX notices_case ON notices (case_id, created_at);
CREATE INDEX notices_created ON notices (created_at);

-- Durable timers.
CREATE TABLE timers (
    key     TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    due_at  INTEGER NOT NULL,
    ref     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX timers_due ON timers (due_at, key);
