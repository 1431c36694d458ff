-- 0001_init: the tables of the coaching store.
--
-- {{schema}} is replaced by the store's schema (Options.Schema), quoted as an
-- identifier. Every id and key column uses COLLATE "C": the port orders ids
-- in Go's byte order, which locale collations do not follow.

-- Participants. The personal identity code is kept in its own column, in
-- clear (coaching.IdentityCode.Reveal); data holds the rest of the
-- participant as JSON with the code left out (its JSON form is a mask).
CREATE TABLE {{schema}}.participants (
	id            text COLLATE "C" PRIMARY KEY,
	organisation  text COLLATE "C" NOT NULL DEFAULT '',
	identity_code text,
	data          jsonb NOT NULL
);

-- Cases. data is the whole coaching.Case as JSON; the columns beside it are
-- copies for filtering, indexing and the version check.
CREATE TABLE {{schema}}.cases (
	id             text COLLATE "C" PRIMARY KEY,
	participant_id text COLLATE "C" NOT NULL,
	organisation   text COLLATE "C" NOT NULL DEFAULT '',
	model          text COLLATE "C" NOT NULL,
	state          text COLLATE "C" NOT NULL,
	version        bigint NOT NULL,
	opened_at      timestamptz NOT NULL,
	closed_at      timestamptz,
	data           jsonb NOT NULL
);
CREATE INDEX cases_model_state ON {{schema}}.cases (model, state, id);
CREATE INDEX cases_organisation ON {{schema}}.cases (organisation, id);
CREATE INDEX cases_open ON {{schema}}.cases (id) WHERE closed_at IS NULL;
CREATE INDEX cases_participant ON {{schema}}.cases (participant_id);

-- The audit trail: append-only, numbered 1, 2, 3, ... per case.
CREATE TABLE {{schema}}.audit (
	case_id         text COLLATE "C" NOT NULL REFERENCES {{schema}}.cases (id),
	seq             bigint NOT NULL CHECK (seq > 0),
	at              timestamptz NOT NULL,
	kind            text NOT NULL,
	actor_id        text NOT NULL,
	roles           text[],
	event           text NOT NULL,
	from_state      text NOT NULL,
	to_state        text NOT NULL,
	reason          text NOT NULL,
	payload         jsonb,
	idempotency_key text NOT NULL,
	PRIMARY KEY (case_id, seq)
);

CREATE FUNCTION {{schema}}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit trail is append-only: % is not allowed', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {{schema}}.audit
	FOR EACH ROW EXECUTE FUNCTION {{schema}}.audit_append_only();

-- audit_follows checks that seq is the next entry of the case, and raises
-- SQLSTATE VA409 otherwise; the store maps it to a *coaching.ConflictError.
-- (Used where an INSERT that quietly inserts nothing would not be noticed:
-- a pipelined append, see the store's AppendAudit.)
CREATE FUNCTION {{schema}}.audit_follows(case_id text, seq bigint) RETURNS boolean
	LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM {{schema}}.cases c WHERE c.id = audit_follows.case_id)
	   OR (SELECT coalesce(max(a.seq), 0) FROM {{schema}}.audit a WHERE a.case_id = audit_follows.case_id) <> audit_follows.seq - 1 THEN
		RAISE EXCEPTION 'audit entry % of case % does not follow the last entry', audit_follows.seq, audit_follows.case_id
			USING ERRCODE = 'VA409';
	END IF;
	RETURN true;
END
$$;

-- Idempotent commands: one row per (case, key).
CREATE TABLE {{schema}}.commands (
	case_id     text COLLATE "C" NOT NULL REFERENCES {{schema}}.cases (id),
	key         text COLLATE "C" NOT NULL,
	fingerprint text NOT NULL,
	seq         bigint NOT NULL,
	at          timestamptz NOT NULL,
	PRIMARY KEY (case_id, key)
);

-- Document versions (the HOKS and others), immutable.
CREATE TABLE {{schema}}.documents (
	case_id text COLLATE "C" NOT NULL REFERENCES {{schema}}.cases (id),
	kind    text COLLATE "C" NOT NULL,
	version bigint NOT NULL CHECK (version > 0),
	status  text NOT NULL,
	at      timestamptz NOT NULL,
	by      text NOT NULL,
	seq     bigint NOT NULL,
	data    jsonb,
	PRIMARY KEY (case_id, kind, version)
);

-- Attendance marks: every revision is kept. The current mark of a (case,
-- date, lesson) is the one with the highest revision, which the primary key
-- finds with one backward index step. No foreign key to cases: marks are
-- bulk-loaded (COPY) and the store checks the cases exist itself.
CREATE TABLE {{schema}}.marks (
	case_id  text COLLATE "C" NOT NULL,
	date     date NOT NULL,
	lesson   text COLLATE "C" NOT NULL,
	revision integer NOT NULL CHECK (revision > 0),
	title    text NOT NULL,
	minutes  integer NOT NULL,
	status   text NOT NULL,
	reason   text NOT NULL,
	at       timestamptz NOT NULL,
	by       text NOT NULL,
	PRIMARY KEY (case_id, date, lesson, revision)
);

-- Coaching sessions.
CREATE TABLE {{schema}}.sessions (
	id           text COLLATE "C" PRIMARY KEY,
	kind         text NOT NULL,
	date         date NOT NULL,
	hours        numeric NOT NULL,
	staff        jsonb NOT NULL,
	cases        text[] COLLATE "C" NOT NULL,
	elements     text[] NOT NULL,
	peer_support text NOT NULL,
	contacts     integer NOT NULL,
	topic        text NOT NULL,
	at           timestamptz NOT NULL,
	by           text NOT NULL
);
CREATE INDEX sessions_date ON {{schema}}.sessions (date, id);
CREATE INDEX sessions_cases ON {{schema}}.sessions USING gin (cases);
CREATE INDEX sessions_staff ON {{schema}}.sessions USING gin (staff jsonb_path_ops);

-- The outbox. seq is the insertion order (the tie-break of "oldest first").
CREATE TABLE {{schema}}.notices (
	id          text COLLATE "C" PRIMARY KEY,
	seq         bigint GENERATED ALWAYS AS IDENTITY,
	case_id     text COLLATE "C" NOT NULL DEFAULT '',
	kind        text NOT NULL,
	recipient   jsonb NOT NULL,
	subject     text NOT NULL,
	body        text NOT NULL,
	data        jsonb,
	created_at  timestamptz NOT NULL,
	not_before  timestamptz NOT NULL,
	status      text NOT NULL CHECK (status IN ('pending', 'claimed', 'sent', 'dead', 'cancelled')),
	attempts    integer NOT NULL DEFAULT 0,
	lease_until timestamptz,
	sent_at     timestamptz,
	last_error  text NOT NULL DEFAULT ''
);
-- What a dispatcher claims: pending notices by NotBefore, and claimed ones
-- whose lease has expired. Sent, dead and cancelled notices (almost all of
-- them, after a while) are in neither index.
CREATE INDEX notices_due ON {{schema}}.notices (not_before, id) WHERE status IN ('pending', 'claimed');
CREATE INDEX notices_lease ON {{schema}}.notices (lease_until) WHERE status = 'claimed';
CREATE INDEX notices_case ON {{schema}}.notices (case_id, created_at, seq);
CREATE INDEX notices_created ON {{schema}}.notices (created_at, seq);

-- Durable timers.
CREATE TABLE {{schema}}.timers (
	key     text COLLATE "C" PRIMARY KEY,
	case_id text COLLATE "C" NOT NULL,
	kind    text NOT NULL,
	due_at  timestamptz NOT NULL,
	ref     bigint NOT NULL
);
CREATE INDEX timers_due ON {{schema}}.timers (due_at, key);
