-- 0013: what the outbox's health report (coaching.OutboxInspector) reads,
-- and what a notice carries since coaching.Notice gained DueAt, Channel
-- and Trace.
--
-- {{schema}} is replaced by the store's schema, as in 0001.
--
-- due_at is when the notice first became due: its not_before when it was
-- enqueued, or when it was rewritten before any attempt. Retries move
-- not_before, never due_at. The notices stored before get their
-- not_before, the best that is known (the UPDATE rewrites every row of
-- the outbox once, in the migration's transaction). channel is the
-- dispatcher channel that recorded the latest outcome, trace the trace
-- context of the call that enqueued the notice; both '' for the notices
-- stored before (a constant default costs no rewrite).
ALTER TABLE {{schema}}.notices ADD COLUMN due_at timestamptz,
	ADD COLUMN channel text NOT NULL DEFAULT '',
	ADD COLUMN trace text NOT NULL DEFAULT '';
UPDATE {{schema}}.notices SET due_at = not_before;
ALTER TABLE {{schema}}.notices ALTER COLUMN due_at SET NOT NULL;

-- The health report reads the waiting notices through notices_due (0001,
-- partial: pending and claimed only) and the dead ones through this
-- index, never the sent ones, however many there are. Only a notice that
-- dies writes to it. Its key is seq, not channel: a channel name is any
-- text, and a B-tree key is limited to about 2.7 kB, so a long one would
-- make the dead letter's completion fail; the report reads each dead
-- notice's channel from the table instead.
CREATE INDEX notices_dead ON {{schema}}.notices (seq) WHERE status = 'dead';
