-- 0010: the case_figures triggers on cases (0006) name the columns they
-- watch, so that an UPDATE which sets none of them does not run them.
--
-- SQLite codes an AFTER UPDATE trigger into an UPDATE statement's program
-- when the trigger has no column list or when the statement sets one of
-- its columns, and then runs it for every row updated, evaluating its
-- WHEN clause each time. case_figures_case_keys had no column list: every
-- transition (UpdateCase sets state, version, data and the instants, never
-- the id, model or organisation) ran it to find that nothing it keeps had
-- changed. Listing the columns leaves it out of that statement's program.
-- The saving is small: about half a microsecond of a transition's UPDATE
-- (9 µs with the case_figures row it writes, measured in a transaction
-- without its commit), within the noise of a whole Fire.
-- case_figures_case_update lists what its WHEN clause compares; a
-- transition sets state, so it still runs, as before. What the triggers
-- do when they run is unchanged, and a column an UPDATE does not set
-- cannot change, so case_figures holds the same rows as under 0006.
DROP TRIGGER case_figures_case_keys;
CREATE TRIGGER case_figures_case_keys AFTER UPDATE OF id, organisation, model ON cases
WHEN old.organisation IS NOT new.organisation OR old.model IS NOT new.model OR old.id IS NOT new.id BEGIN
    UPDATE case_figures SET case_id = new.id, organisation = new.organisation, model = new.model
    WHERE case_id = old.id;
END;

DROP TRIGGER case_figures_case_update;
CREATE TRIGGER case_figures_case_update AFTER UPDATE OF state, closed, opened_at, closed_at ON cases
WHEN old.state IS NOT new.state OR old.closed IS NOT new.closed OR old.opened_at IS NOT new.opened_at
    OR old.closed_at IS NOT new.closed_at BEGIN
    UPDATE case_figures SET state = new.state, closed = new.closed, opened_at = new.opened_at, closed_at = new.closed_at
    WHERE case_id = old.id;
END;
