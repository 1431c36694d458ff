-- 0013: what the outbox's health report (coaching.OutboxInspector) reads,
-- and what a notice carries since coaching.Notice gained DueAt, Channel
-- and Trace.
--
-- due_at is when the notice first became due (microseconds, as
-- not_before): its not_before when it was enqueued, or when it was
-- rewritten before any attempt. Retries move not_before, never due_at.
-- The notices stored before get their not_before, the best that is known.
-- SQLite cannot make an added column NOT NULL without a default, so the
-- default is 0; the store always writes the column.
-- channel is the dispatcher channel that recorded the latest outcome,
-- trace the trace context of the call that enqueued the notice; both ''
-- for the notices stored before.
ALTER TABLE notices ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN trace TEXT NOT NULL DEFAULT '';
UPDATE notices SET due_at = not_before;

-- The health report counts the waiting notices through notices_active
-- (0001, partial: pending and claimed only) and the dead ones by channel
-- through this index, never reading the sent ones, however many there
-- are. Only a notice that dies writes to it.
CREATE INDEX notices_dead ON notices (channel) WHERE status = 'dead';
