-- 0014: a notice inserted without due_at gets one, so that the builds from
-- before 0013 keep enqueueing against this schema during a rolling upgrade
-- (an older build against a newer schema is supported, see migrate.go).
--
-- {{schema}} is replaced by the store's schema, as in 0001.
--
-- 0013 made due_at NOT NULL without a default, and those builds insert
-- notices naming only the columns before 0013: every enqueue of theirs
-- failed. A BEFORE INSERT trigger runs before the NOT NULL constraint is
-- checked, so the column stays NOT NULL and a row without due_at gets the
-- value this build's Enqueue gives: not_before, or created_at when
-- not_before is Go's zero time (year 1), which would read as a notice
-- waiting since then. The WHEN clause keeps the function out of this
-- build's inserts, which always write due_at. 0013 is left as it is: it
-- may be applied somewhere.
CREATE FUNCTION {{schema}}.notices_due_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.due_at := coalesce(NEW.due_at,
		CASE WHEN NEW.not_before = '0001-01-01 00:00:00+00' THEN NEW.created_at ELSE NEW.not_before END);
	RETURN NEW;
END;
$$;
CREATE TRIGGER notices_due_at BEFORE INSERT ON {{schema}}.notices
	FOR EACH ROW WHEN (NEW.due_at IS NULL) EXECUTE FUNCTION {{schema}}.notices_due_at();
