-- 0006: one narrow row per case holding everything the figures read
-- (outcomes.FactsStreamer), so that a report is one pass over one small
-- table instead of a join of four tables per case (cases, participants
-- and three lookups in latest_records). Over a million cases the join's
-- index lookups, not the arithmetic, were the report's cost.
--
-- The rows are kept by triggers, whatever writes the tables (the store, an
-- erasure, a loader), each at the cost of one small update, and only when
-- a column the figures read changes: a Fire that changes nothing here
-- (the same state) writes nothing more. The record names are pathway's
-- constants (pathway.RecordDestination, RecordUponLeaving and
-- RecordSixMonths), the three the figures count.
CREATE TABLE case_figures (
    case_id        TEXT NOT NULL PRIMARY KEY,
    participant_id TEXT NOT NULL,
    organisation   TEXT NOT NULL,
    model          TEXT NOT NULL,
    state          TEXT NOT NULL,
    closed         INTEGER NOT NULL,
    opened_at      INTEGER,
    closed_at      INTEGER,
    -- 1 when the participant is stored; birth_date and background are the
    -- participant's narrow columns (0005), NULL when missing.
    has_participant INTEGER NOT NULL,
    birth_date     TEXT,
    background     TEXT,
    -- The data of the case's latest record of each name (latest_records),
    -- NULL when the case has none.
    destination    BLOB,
    upon_leaving   BLOB,
    six_months     BLOB,
    -- The columns above as the figures read them, in one value: for each,
    -- its length in bytes, ':' and its bytes (an integer as its decimal
    -- text), or '~' for NULL. Computed when the row is written, so that a
    -- report fetches one value per case: the driver's cost is per column
    -- fetched, and over a million rows fetching thirteen cost more than
    -- everything else the report does. The order is the Go reader's
    -- (figures.go, factColumns).
    facts          BLOB GENERATED ALWAYS AS (
        coalesce(octet_length(case_id) || ':' || case_id, '~') ||
        coalesce(octet_length(participant_id) || ':' || participant_id, '~') ||
        coalesce(octet_length(organisation) || ':' || organisation, '~') ||
        coalesce(octet_length(model) || ':' || model, '~') ||
        coalesce(octet_length(state) || ':' || state, '~') ||
        coalesce(octet_length(opened_at) || ':' || opened_at, '~') ||
        coalesce(octet_length(closed_at) || ':' || closed_at, '~') ||
        coalesce(octet_length(has_participant) || ':' || has_participant, '~') ||
        coalesce(octet_length(birth_date) || ':' || birth_date, '~') ||
        coalesce(octet_length(background) || ':' || background, '~') ||
        coalesce(octet_length(destination) || ':' || destination, '~') ||
        coalesce(octet_length(upon_leaving) || ':' || upon_leaving, '~') ||
        coalesce(octet_length(six_months) || ':' || six_months, '~')) STORED
) WITHOUT ROWID;
CREATE INDEX case_figures_participant ON case_figures (participant_id);
CREATE INDEX case_figures_organisation ON case_figures (organisation, case_id);
CREATE INDEX case_figures_model ON case_figures (model, case_id);

INSERT INTO case_figures (case_id, participant_id, organisation, model, state, closed, opened_at, closed_at,
    has_participant, birth_date, background, destination, upon_leaving, six_months)
SELECT c.id, c.participant_id, c.organisation, c.model, c.state, c.closed, c.opened_at, c.closed_at,
    p.id IS NOT NULL, p.birth_date, p.background, d.data, u.data, x.data
FROM cases c LEFT JOIN participants p ON p.id = c.participant_id
    LEFT JOIN latest_records d ON d.case_id = c.id AND d.name = 'destination'
    LEFT JOIN latest_records u ON u.case_id = c.id AND u.name = 'follow_up_upon_leaving'
    LEFT JOIN latest_records x ON x.case_id = c.id AND x.name = 'follow_up_six_months';

CREATE TRIGGER case_figures_case_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_figures (case_id, participant_id, organisation, model, state, closed, opened_at, closed_at,
        has_participant, birth_date, background, destination, upon_leaving, six_months)
    SELECT new.id, new.participant_id, new.organisation, new.model, new.state, new.closed, new.opened_at, new.closed_at,
        p.id IS NOT NULL, p.birth_date, p.background,
        (SELECT data FROM latest_records WHERE case_id = new.id AND name = 'destination'),
        (SELECT data FROM latest_records WHERE case_id = new.id AND name = 'follow_up_upon_leaving'),
        (SELECT data FROM latest_records WHERE case_id = new.id AND name = 'follow_up_six_months')
    FROM (SELECT 1) LEFT JOIN participants p ON p.id = new.participant_id;
END;

-- A transition, a closing: only the columns that change are set, so that
-- no index entry is rewritten (SQLite rewrites an index whose column is
-- set, changed or not).
CREATE TRIGGER case_figures_case_update AFTER UPDATE ON cases
WHEN old.state IS NOT new.state OR old.closed IS NOT new.closed OR old.opened_at IS NOT new.opened_at
    OR old.closed_at IS NOT new.closed_at BEGIN
    UPDATE case_figures SET state = new.state, closed = new.closed, opened_at = new.opened_at, closed_at = new.closed_at
    WHERE case_id = old.id;
END;

-- What the store never changes, but a host's own writes might.
CREATE TRIGGER case_figures_case_keys AFTER UPDATE ON cases
WHEN old.organisation IS NOT new.organisation OR old.model IS NOT new.model OR old.id IS NOT new.id BEGIN
    UPDATE case_figures SET case_id = new.id, organisation = new.organisation, model = new.model
    WHERE case_id = old.id;
END;

-- A case moved to another participant takes that participant's facts.
CREATE TRIGGER case_figures_case_participant AFTER UPDATE OF participant_id ON cases
WHEN old.participant_id IS NOT new.participant_id BEGIN
    UPDATE case_figures SET participant_id = new.participant_id, has_participant = 0, birth_date = NULL, background = NULL
    WHERE case_id = new.id;
    UPDATE case_figures SET has_participant = 1, birth_date = p.birth_date, background = p.background
    FROM participants p WHERE p.id = new.participant_id AND case_figures.case_id = new.id;
END;

CREATE TRIGGER case_figures_case_delete AFTER DELETE ON cases BEGIN
    DELETE FROM case_figures WHERE case_id = old.id;
END;

CREATE TRIGGER case_figures_participant_insert AFTER INSERT ON participants BEGIN
    UPDATE case_figures SET has_participant = 1, birth_date = new.birth_date, background = new.background
    WHERE participant_id = new.id;
END;

CREATE TRIGGER case_figures_participant_update AFTER UPDATE ON participants
WHEN old.birth_date IS NOT new.birth_date OR old.background IS NOT new.background OR old.id IS NOT new.id BEGIN
    UPDATE case_figures SET has_participant = 0, birth_date = NULL, background = NULL WHERE participant_id = old.id;
    UPDATE case_figures SET has_participant = 1, birth_date = new.birth_date, background = new.background
    WHERE participant_id = new.id;
END;

CREATE TRIGGER case_figures_participant_delete AFTER DELETE ON participants BEGIN
    UPDATE case_figures SET has_participant = 0, birth_date = NULL, background = NULL WHERE participant_id = old.id;
END;

-- latest_records changes by insert, upsert (an update) and delete, each
-- of one case and name.
-- A new latest record: the three are read again (one lookup each in
-- latest_records' primary key).
CREATE TRIGGER case_figures_record_insert AFTER INSERT ON latest_records
WHEN new.name IN ('destination', 'follow_up_upon_leaving', 'follow_up_six_months') BEGIN
    UPDATE case_figures SET
        destination = (SELECT data FROM latest_records WHERE case_id = new.case_id AND name = 'destination'),
        upon_leaving = (SELECT data FROM latest_records WHERE case_id = new.case_id AND name = 'follow_up_upon_leaving'),
        six_months = (SELECT data FROM latest_records WHERE case_id = new.case_id AND name = 'follow_up_six_months')
    WHERE case_id = new.case_id;
END;

-- A later record of the name replacing the latest (the upsert's update).
CREATE TRIGGER case_figures_record_update AFTER UPDATE ON latest_records
WHEN new.name IN ('destination', 'follow_up_upon_leaving', 'follow_up_six_months') BEGIN
    UPDATE case_figures SET
        destination = CASE new.name WHEN 'destination' THEN new.data ELSE destination END,
        upon_leaving = CASE new.name WHEN 'follow_up_upon_leaving' THEN new.data ELSE upon_leaving END,
        six_months = CASE new.name WHEN 'follow_up_six_months' THEN new.data ELSE six_months END
    WHERE case_id = new.case_id;
END;

CREATE TRIGGER case_figures_record_delete AFTER DELETE ON latest_records
WHEN old.name IN ('destination', 'follow_up_upon_leaving', 'follow_up_six_months') BEGIN
    UPDATE case_figures SET
        destination = CASE old.name WHEN 'destination' THEN NULL ELSE destination END,
        upon_leaving = CASE old.name WHEN 'follow_up_upon_leaving' THEN NULL ELSE upon_leaving END,
        six_months = CASE old.name WHEN 'follow_up_six_months' THEN NULL ELSE six_months END
    WHERE case_id = old.case_id;
END;
