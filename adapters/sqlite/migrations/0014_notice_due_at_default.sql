-- 0014: a notice inserted without due_at gets one, so that the builds from
-- before 0013 keep enqueueing against this schema during a rolling upgrade
-- (an older build against a newer schema is supported, see migrate.go).
--
-- Those builds insert notices naming only the columns before 0013, so
-- their rows get 0013's default, 0, which reads as 1970-01-01: a notice
-- waiting for decades, and the outbox's health report's lag with it. The
-- trigger gives such a row the value this build's Enqueue gives: its
-- not_before, or its created_at when not_before is Go's zero time
-- (-62135596800000000 microseconds, year 1). The UPDATE does the same for
-- the rows an older build inserted between 0013 and this migration (it
-- reads the whole table once). 0013 is left as it is: it may be applied
-- somewhere.
UPDATE notices SET due_at = CASE WHEN not_before = -62135596800000000 THEN created_at ELSE not_before END
WHERE due_at = 0;

CREATE TRIGGER notices_due_at AFTER INSERT ON notices WHEN new.due_at = 0 BEGIN
    UPDATE notices SET due_at = CASE WHEN new.not_before = -62135596800000000 THEN new.created_at ELSE new.not_before END
    WHERE id = new.id;
END;
