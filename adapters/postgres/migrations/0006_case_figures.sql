-- 0006: one narrow row per case holding everything the figures read
-- (outcomes.FactsStreamer), so that a report is one sequential pass over
-- one small table instead of hash joins of four tables (cases,
-- participants and latest_records three times), whose passes over the
-- wide cases and participants tables were most of a million-case report.
--
-- The rows are kept by triggers, whatever writes the tables (the store, an
-- erasure, a COPY), each at the cost of one small update, and only when a
-- column the figures read changes. No index holds a column that changes
-- (the state, the closing instant, the facts), so those updates are HOT
-- (heap-only, no index written) while the page has room: fillfactor 80
-- leaves it. The record names are pathway's constants
-- (pathway.RecordDestination, RecordUponLeaving and RecordSixMonths), the
-- three the figures count.
CREATE TABLE {{schema}}.case_figures (
	case_id         text COLLATE "C" PRIMARY KEY,
	participant_id  text COLLATE "C" NOT NULL,
	organisation    text COLLATE "C" NOT NULL,
	model           text COLLATE "C" NOT NULL,
	state           text COLLATE "C" NOT NULL,
	opened_at       timestamptz NOT NULL,
	closed_at       timestamptz,
	-- Whether the participant is stored; birth_date and background are the
	-- participant's columns (0005), NULL when missing.
	has_participant boolean NOT NULL,
	birth_date      text,
	background      text,
	-- The data of the case's latest record of each name (latest_records),
	-- NULL when the case has none.
	destination     text,
	upon_leaving    text,
	six_months      text
) WITH (fillfactor = 80);
-- The JSON columns are text, as jsonb prints them, converted once when
-- written: a jsonb column is converted to text for every row sent, and
-- over a million rows those conversions were most of the server's work.
CREATE INDEX case_figures_participant ON {{schema}}.case_figures (participant_id);
CREATE INDEX case_figures_organisation ON {{schema}}.case_figures (organisation, case_id);
CREATE INDEX case_figures_model ON {{schema}}.case_figures (model, case_id);

INSERT INTO {{schema}}.case_figures (case_id, participant_id, organisation, model, state, opened_at, closed_at,
	has_participant, birth_date, background, destination, upon_leaving, six_months)
SELECT c.id, c.participant_id, c.organisation, c.model, c.state, c.opened_at, c.closed_at,
	p.id IS NOT NULL, p.birth_date::text, p.background::text, d.data::text, u.data::text, x.data::text
FROM {{schema}}.cases c LEFT JOIN {{schema}}.participants p ON p.id = c.participant_id
	LEFT JOIN {{schema}}.latest_records d ON d.case_id = c.id AND d.name = 'destination'
	LEFT JOIN {{schema}}.latest_records u ON u.case_id = c.id AND u.name = 'follow_up_upon_leaving'
	LEFT JOIN {{schema}}.latest_records x ON x.case_id = c.id AND x.name = 'follow_up_six_months';

CREATE FUNCTION {{schema}}.case_figures_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO {{schema}}.case_figures (case_id, participant_id, organisation, model, state, opened_at, closed_at,
			has_participant, birth_date, background, destination, upon_leaving, six_months)
		SELECT NEW.id, NEW.participant_id, NEW.organisation, NEW.model, NEW.state, NEW.opened_at, NEW.closed_at,
			p.id IS NOT NULL, p.birth_date::text, p.background::text,
			(SELECT data::text FROM {{schema}}.latest_records WHERE case_id = NEW.id AND name = 'destination'),
			(SELECT data::text FROM {{schema}}.latest_records WHERE case_id = NEW.id AND name = 'follow_up_upon_leaving'),
			(SELECT data::text FROM {{schema}}.latest_records WHERE case_id = NEW.id AND name = 'follow_up_six_months')
		FROM (SELECT 1) one LEFT JOIN {{schema}}.participants p ON p.id = NEW.participant_id;
	ELSIF TG_OP = 'DELETE' THEN
		DELETE FROM {{schema}}.case_figures WHERE case_id = OLD.id;
	ELSIF OLD.participant_id IS DISTINCT FROM NEW.participant_id OR OLD.id IS DISTINCT FROM NEW.id THEN
		-- A case moved to another participant takes that participant's facts.
		UPDATE {{schema}}.case_figures f SET case_id = NEW.id, participant_id = NEW.participant_id,
			organisation = NEW.organisation, model = NEW.model, state = NEW.state, opened_at = NEW.opened_at,
			closed_at = NEW.closed_at, has_participant = p.id IS NOT NULL, birth_date = p.birth_date::text, background = p.background::text
		FROM (SELECT 1) one LEFT JOIN {{schema}}.participants p ON p.id = NEW.participant_id
		WHERE f.case_id = OLD.id;
	ELSE
		UPDATE {{schema}}.case_figures SET organisation = NEW.organisation, model = NEW.model, state = NEW.state,
			opened_at = NEW.opened_at, closed_at = NEW.closed_at
		WHERE case_id = OLD.id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER case_figures_case_insert AFTER INSERT ON {{schema}}.cases
	FOR EACH ROW EXECUTE FUNCTION {{schema}}.case_figures_case();
CREATE TRIGGER case_figures_case_delete AFTER DELETE ON {{schema}}.cases
	FOR EACH ROW EXECUTE FUNCTION {{schema}}.case_figures_case();
-- Only a change of a column the figures read costs a write: a Fire that
-- keeps the state (a version bump, a document) writes nothing here.
CREATE TRIGGER case_figures_case_update AFTER UPDATE ON {{schema}}.cases
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
		OR OLD.opened_at IS DISTINCT FROM NEW.opened_at OR OLD.organisation IS DISTINCT FROM NEW.organisation
		OR OLD.model IS DISTINCT FROM NEW.model OR OLD.participant_id IS DISTINCT FROM NEW.participant_id
		OR OLD.id IS DISTINCT FROM NEW.id)
	EXECUTE FUNCTION {{schema}}.case_figures_case();

CREATE FUNCTION {{schema}}.case_figures_participant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		UPDATE {{schema}}.case_figures SET has_participant = false, birth_date = NULL, background = NULL
		WHERE participant_id = OLD.id;
	END IF;
	IF TG_OP = 'DELETE' THEN
		RETURN NULL;
	END IF;
	UPDATE {{schema}}.case_figures SET has_participant = true, birth_date = NEW.birth_date::text, background = NEW.background::text
	WHERE participant_id = NEW.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER case_figures_participant_insert_delete AFTER INSERT OR DELETE ON {{schema}}.participants
	FOR EACH ROW EXECUTE FUNCTION {{schema}}.case_figures_participant();
CREATE TRIGGER case_figures_participant_update AFTER UPDATE ON {{schema}}.participants
	FOR EACH ROW WHEN (OLD.birth_date IS DISTINCT FROM NEW.birth_date OR OLD.background IS DISTINCT FROM NEW.background
		OR OLD.id IS DISTINCT FROM NEW.id)
	EXECUTE FUNCTION {{schema}}.case_figures_participant();

-- latest_records changes by insert, upsert (an update) and delete, each
-- of one case and name.
CREATE FUNCTION {{schema}}.case_figures_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	r record;
	d text;
BEGIN
	IF TG_OP = 'DELETE' THEN
		r := OLD;
		d := NULL;
	ELSE
		r := NEW;
		d := NEW.data::text;
	END IF;
	IF r.name = 'destination' THEN
		UPDATE {{schema}}.case_figures SET destination = d WHERE case_id = r.case_id;
	ELSIF r.name = 'follow_up_upon_leaving' THEN
		UPDATE {{schema}}.case_figures SET upon_leaving = d WHERE case_id = r.case_id;
	ELSE
		UPDATE {{schema}}.case_figures SET six_months = d WHERE case_id = r.case_id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER case_figures_record_insert AFTER INSERT OR UPDATE ON {{schema}}.latest_records
	FOR EACH ROW WHEN (NEW.name IN ('destination', 'follow_up_upon_leaving', 'follow_up_six_months'))
	EXECUTE FUNCTION {{schema}}.case_figures_record();
CREATE TRIGGER case_figures_record_delete AFTER DELETE ON {{schema}}.latest_records
	FOR EACH ROW WHEN (OLD.name IN ('destination', 'follow_up_upon_leaving', 'follow_up_six_months'))
	EXECUTE FUNCTION {{schema}}.case_figures_record();

ANALYZE {{schema}}.case_figures;
