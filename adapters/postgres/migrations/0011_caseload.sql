-- 0011: the caseload feature's data (coaching/caseload): alerts, planned
-- items, the contact log, each case's team members as rows (for "my
-- caseload"), and the participants' name sort key.
--
-- {{schema}} is replaced by the store's schema, as in 0001.
--
-- Alerts: the alert as JSON beside copies of what the queries filter on.
-- One active (open or acknowledged) alert per case and cause: the partial
-- unique index decides it across processes (PutAlert's duplicate).
CREATE TABLE {{schema}}.alerts (
	id           text COLLATE "C" PRIMARY KEY,
	case_id      text COLLATE "C" NOT NULL REFERENCES {{schema}}.cases (id),
	organisation text COLLATE "C" NOT NULL,
	cause_kind   text COLLATE "C" NOT NULL,
	cause_key    text COLLATE "C" NOT NULL,
	owner        text COLLATE "C" NOT NULL,
	status       text COLLATE "C" NOT NULL,
	welfare      boolean NOT NULL,
	version      bigint NOT NULL,
	data         jsonb NOT NULL
);
CREATE UNIQUE INDEX alerts_active_cause ON {{schema}}.alerts (case_id, cause_kind, cause_key)
	WHERE status IN ('open', 'acknowledged');
CREATE INDEX alerts_case ON {{schema}}.alerts (case_id, id);
CREATE INDEX alerts_owner ON {{schema}}.alerts (owner, id);
CREATE INDEX alerts_organisation ON {{schema}}.alerts (organisation, id);

-- Planned items, and the cases each lists (planned_cases, with the item's
-- date and status copied, so that a case's next planned item is the first
-- entry of an index range).
CREATE TABLE {{schema}}.planned (
	id           text COLLATE "C" PRIMARY KEY,
	organisation text COLLATE "C" NOT NULL,
	owner        text COLLATE "C" NOT NULL,
	status       text COLLATE "C" NOT NULL,
	"on"         date NOT NULL,
	version      bigint NOT NULL,
	data         jsonb NOT NULL
);
CREATE INDEX planned_on ON {{schema}}.planned ("on", id);
CREATE INDEX planned_owner ON {{schema}}.planned (owner, "on", id);
CREATE TABLE {{schema}}.planned_cases (
	case_id    text COLLATE "C" NOT NULL,
	planned_id text COLLATE "C" NOT NULL REFERENCES {{schema}}.planned (id),
	"on"       date NOT NULL,
	status     text COLLATE "C" NOT NULL,
	PRIMARY KEY (case_id, planned_id)
);
CREATE INDEX planned_cases_next ON {{schema}}.planned_cases (case_id, "on", planned_id) WHERE status = 'planned';
CREATE INDEX planned_cases_item ON {{schema}}.planned_cases (planned_id);

-- The contact log; a case's last contact is one backward step of
-- contacts_case.
CREATE TABLE {{schema}}.contacts (
	id           text COLLATE "C" PRIMARY KEY,
	case_id      text COLLATE "C" NOT NULL REFERENCES {{schema}}.cases (id),
	organisation text COLLATE "C" NOT NULL,
	"on"         date NOT NULL,
	at           timestamptz NOT NULL,
	data         jsonb NOT NULL
);
CREATE INDEX contacts_case ON {{schema}}.contacts (case_id, "on", at);

-- Team membership. A transition must stay a HOT update (0008): no index
-- may hold a column it changes. The store writes team_key, a compact form
-- of the team's (actor, role) pairs, with every case write; it is in no
-- index, and the trigger rewrites a case's case_team rows only when it
-- changed (WHEN compares two short strings: a Fire that does not touch
-- the team pays that and nothing else).
ALTER TABLE {{schema}}.cases ADD COLUMN team_key text;
CREATE TABLE {{schema}}.case_team (
	actor_id text COLLATE "C" NOT NULL,
	role     text COLLATE "C" NOT NULL,
	case_id  text COLLATE "C" NOT NULL,
	PRIMARY KEY (actor_id, role, case_id)
);
CREATE INDEX case_team_case ON {{schema}}.case_team (case_id);

CREATE FUNCTION {{schema}}.case_team_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		DELETE FROM {{schema}}.case_team WHERE case_id = OLD.id;
	END IF;
	INSERT INTO {{schema}}.case_team (actor_id, role, case_id)
	SELECT DISTINCT m ->> 'actor_id', coalesce(m ->> 'role', ''), NEW.id
	FROM jsonb_array_elements(CASE WHEN jsonb_typeof(NEW.data -> 'team') = 'array' THEN NEW.data -> 'team' ELSE '[]' END) m
	WHERE coalesce(m ->> 'actor_id', '') <> '' AND octet_length(m ->> 'actor_id') <= 1024
	  AND octet_length(coalesce(m ->> 'role', '')) <= 256
	ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;
CREATE TRIGGER case_team_insert AFTER INSERT ON {{schema}}.cases
	FOR EACH ROW EXECUTE FUNCTION {{schema}}.case_team_sync();
CREATE TRIGGER case_team_update AFTER UPDATE OF team_key ON {{schema}}.cases
	FOR EACH ROW WHEN (OLD.team_key IS DISTINCT FROM NEW.team_key) EXECUTE FUNCTION {{schema}}.case_team_sync();

-- The cases already stored: their members, and a team_key that no store
-- write produces (so the first write of each case rewrites its rows once,
-- harmlessly, with the key the store computes).
INSERT INTO {{schema}}.case_team (actor_id, role, case_id)
SELECT DISTINCT m ->> 'actor_id', coalesce(m ->> 'role', ''), c.id
FROM {{schema}}.cases c
	CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(c.data -> 'team') = 'array' THEN c.data -> 'team' ELSE '[]' END) m
WHERE coalesce(m ->> 'actor_id', '') <> '' AND octet_length(m ->> 'actor_id') <= 1024
  AND octet_length(coalesce(m ->> 'role', '')) <= 256
ON CONFLICT DO NOTHING;

-- The lists by opening (newest first) read an organisation's cases in
-- index order; neither column changes in a transition.
CREATE INDEX cases_organisation_opened ON {{schema}}.cases (organisation, opened_at DESC, id);

-- The participant's name sort key (caseload.NameKey), written by the
-- store with every participant; SQL cannot compute it, so the store fills
-- the rows stored before this migration in Go (Store.Migrate).
ALTER TABLE {{schema}}.participants ADD COLUMN sort_name text COLLATE "C";

ANALYZE {{schema}}.case_team;
