-- 0012: participant ids are scoped per organisation, and a sign-on id is
-- unique among the participants of one organisation.
--
-- A participant's key is (organisation, id): the same id in two
-- organisations is two participants, so no organisation can take an id
-- another one's import needs, and a lookup by id in one organisation never
-- finds another's (coaching.ReadTx.Participant). Existing rows keep their
-- ids and organisations (ids were unique across the store, so they are
-- unique within each organisation).
--
-- sign_on is the participant's sign-on id (coaching.Participant.SignOn)
-- from its JSON, NULL when none is linked; the unique index refuses a
-- second participant of the organisation with the same one. A database in
-- which two participants of one organisation already share a sign-on id
-- cannot take this migration: it fails (and nothing of it is applied)
-- naming the index, until one of them is unlinked.
ALTER TABLE {{schema}}.participants DROP CONSTRAINT participants_pkey,
	ADD PRIMARY KEY (organisation, id),
	ADD COLUMN sign_on text COLLATE "C" GENERATED ALWAYS AS (nullif(data ->> 'sign_on', '')) STORED;
CREATE UNIQUE INDEX participants_sign_on ON {{schema}}.participants (organisation, sign_on) WHERE sign_on IS NOT NULL;

-- The figures' copy of each case's participant facts (0006) joins a case
-- to the participant of its own organisation.
CREATE OR REPLACE FUNCTION {{schema}}.case_figures_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO {{schema}}.case_figures (case_id, participant_id, organisation, model, state, opened_at, closed_at,
			has_participant, birth_date, background, destination, upon_leaving, six_months)
		SELECT NEW.id, NEW.participant_id, NEW.organisation, NEW.model, NEW.state, NEW.opened_at, NEW.closed_at,
			p.id IS NOT NULL, p.birth_date::text, p.background::text,
			(SELECT data::text FROM {{schema}}.latest_records WHERE case_id = NEW.id AND name = 'destination'),
			(SELECT data::text FROM {{schema}}.latest_records WHERE case_id = NEW.id AND name = 'follow_up_upon_leaving'),
			(SELECT data::text FROM {{schema}}.latest_records WHERE case_id = NEW.id AND name = 'follow_up_six_months')
		FROM (SELECT 1) one LEFT JOIN {{schema}}.participants p ON p.organisation = NEW.organisation AND p.id = NEW.participant_id;
	ELSIF TG_OP = 'DELETE' THEN
		DELETE FROM {{schema}}.case_figures WHERE case_id = OLD.id;
	ELSIF OLD.participant_id IS DISTINCT FROM NEW.participant_id OR OLD.organisation IS DISTINCT FROM NEW.organisation
		OR OLD.id IS DISTINCT FROM NEW.id THEN
		-- A case moved to another participant (or organisation) takes
		-- that participant's facts.
		UPDATE {{schema}}.case_figures f SET case_id = NEW.id, participant_id = NEW.participant_id,
			organisation = NEW.organisation, model = NEW.model, state = NEW.state, opened_at = NEW.opened_at,
			closed_at = NEW.closed_at, has_participant = p.id IS NOT NULL, birth_date = p.birth_date::text, background = p.background::text
		FROM (SELECT 1) one LEFT JOIN {{schema}}.participants p ON p.organisation = NEW.organisation AND p.id = NEW.participant_id
		WHERE f.case_id = OLD.id;
	ELSE
		UPDATE {{schema}}.case_figures SET organisation = NEW.organisation, model = NEW.model, state = NEW.state,
			opened_at = NEW.opened_at, closed_at = NEW.closed_at
		WHERE case_id = OLD.id;
	END IF;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION {{schema}}.case_figures_participant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		UPDATE {{schema}}.case_figures SET has_participant = false, birth_date = NULL, background = NULL
		WHERE participant_id = OLD.id AND organisation = OLD.organisation;
	END IF;
	IF TG_OP = 'DELETE' THEN
		RETURN NULL;
	END IF;
	UPDATE {{schema}}.case_figures SET has_participant = true, birth_date = NEW.birth_date::text, background = NEW.background::text
	WHERE participant_id = NEW.id AND organisation = NEW.organisation;
	RETURN NULL;
END
$$;
DROP TRIGGER case_figures_participant_update ON {{schema}}.participants;
CREATE TRIGGER case_figures_participant_update AFTER UPDATE ON {{schema}}.participants
	FOR EACH ROW WHEN (OLD.birth_date IS DISTINCT FROM NEW.birth_date OR OLD.background IS DISTINCT FROM NEW.background
		OR OLD.id IS DISTINCT FROM NEW.id OR OLD.organisation IS DISTINCT FROM NEW.organisation)
	EXECUTE FUNCTION {{schema}}.case_figures_participant();

-- A case of one organisation whose participant id named a participant of
-- another had that participant's facts; it has none now.
UPDATE {{schema}}.case_figures f SET has_participant = false, birth_date = NULL, background = NULL
WHERE f.has_participant AND NOT EXISTS (SELECT 1 FROM {{schema}}.participants p
	WHERE p.organisation = f.organisation AND p.id = f.participant_id);
