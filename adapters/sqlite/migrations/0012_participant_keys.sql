-- 0012: participant ids are scoped per organisation, and a sign-on id is
-- unique among the participants of one organisation.
--
-- A participant's key is (organisation, id): the same id in two
-- organisations is two participants, so no organisation can take an id
-- another one's import needs, and a lookup by id in one organisation never
-- finds another's (coaching.ReadTx.Participant). The organisation was only
-- in the JSON; it gets a column, the key's first. SQLite cannot change a
-- primary key, so the table is rebuilt: the triggers that name it are
-- dropped first (a rename checks every trigger of the schema) and made
-- again after, joining a case to the participant of its own organisation.
-- Existing rows keep their ids and organisations (ids were unique across
-- the store, so they are unique within each organisation).
--
-- sign_on is the participant's sign-on id (coaching.Participant.SignOn)
-- from its JSON, NULL when none is linked; the unique index refuses a
-- second participant of the organisation with the same one. A database in
-- which two participants of one organisation already share a sign-on id
-- cannot take this migration: it fails (and nothing of it is applied)
-- with SQLite's UNIQUE constraint error, until one of them is unlinked.
DROP TRIGGER case_figures_case_insert;
DROP TRIGGER case_figures_case_participant;

CREATE TABLE participants_0012 (
    organisation  TEXT NOT NULL,
    id            TEXT NOT NULL,
    identity_code TEXT,
    data          TEXT NOT NULL,
    birth_date    TEXT,
    background    TEXT,
    sort_name     TEXT,
    sign_on       TEXT GENERATED ALWAYS AS (nullif(data ->> '$.sign_on', '')) VIRTUAL,
    PRIMARY KEY (organisation, id)
);
INSERT INTO participants_0012 (organisation, id, identity_code, data, birth_date, background, sort_name)
SELECT coalesce(data ->> '$.organisation', ''), id, identity_code, data, birth_date, background, sort_name FROM participants;
DROP TABLE participants;
ALTER TABLE participants_0012 RENAME TO participants;
CREATE UNIQUE INDEX participants_sign_on ON participants (organisation, sign_on) WHERE sign_on IS NOT NULL;

CREATE TRIGGER case_figures_case_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_figures (case_id, participant_id, organisation, model, state, closed, opened_at, closed_at,
        has_participant, birth_date, background, destination, upon_leaving, six_months)
    SELECT new.id, new.participant_id, new.organisation, new.model, new.state, new.closed, new.opened_at, new.closed_at,
        p.id IS NOT NULL, p.birth_date, p.background,
        (SELECT data FROM latest_records WHERE case_id = new.id AND name = 'destination'),
        (SELECT data FROM latest_records WHERE case_id = new.id AND name = 'follow_up_upon_leaving'),
        (SELECT data FROM latest_records WHERE case_id = new.id AND name = 'follow_up_six_months')
    FROM (SELECT 1) LEFT JOIN participants p ON p.organisation = new.organisation AND p.id = new.participant_id;
END;

-- A case moved to another participant (or organisation) takes that
-- participant's facts.
CREATE TRIGGER case_figures_case_participant AFTER UPDATE OF participant_id, organisation ON cases
WHEN old.participant_id IS NOT new.participant_id OR old.organisation IS NOT new.organisation BEGIN
    UPDATE case_figures SET participant_id = new.participant_id, has_participant = 0, birth_date = NULL, background = NULL
    WHERE case_id = new.id;
    UPDATE case_figures SET has_participant = 1, birth_date = p.birth_date, background = p.background
    FROM participants p WHERE p.organisation = new.organisation AND p.id = new.participant_id AND case_figures.case_id = new.id;
END;

CREATE TRIGGER case_figures_participant_insert AFTER INSERT ON participants BEGIN
    UPDATE case_figures SET has_participant = 1, birth_date = new.birth_date, background = new.background
    WHERE participant_id = new.id AND organisation = new.organisation;
END;

CREATE TRIGGER case_figures_participant_update AFTER UPDATE ON participants
WHEN old.birth_date IS NOT new.birth_date OR old.background IS NOT new.background OR old.id IS NOT new.id
    OR old.organisation IS NOT new.organisation BEGIN
    UPDATE case_figures SET has_participant = 0, birth_date = NULL, background = NULL
    WHERE participant_id = old.id AND organisation = old.organisation;
    UPDATE case_figures SET has_participant = 1, birth_date = new.birth_date, background = new.background
    WHERE participant_id = new.id AND organisation = new.organisation;
END;

CREATE TRIGGER case_figures_participant_delete AFTER DELETE ON participants BEGIN
    UPDATE case_figures SET has_participant = 0, birth_date = NULL, background = NULL
    WHERE participant_id = old.id AND organisation = old.organisation;
END;

-- A case of one organisation whose participant id named a participant of
-- another had that participant's facts; it has none now.
UPDATE case_figures SET has_participant = 0, birth_date = NULL, background = NULL
WHERE has_participant AND NOT EXISTS (SELECT 1 FROM participants p
    WHERE p.organisation = case_figures.organisation AND p.id = case_figures.participant_id);
