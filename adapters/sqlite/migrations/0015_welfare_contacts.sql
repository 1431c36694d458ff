-- 0015: welfare contacts (caseload.Contact.Welfare). A contact by a
-- curator, psychologist or nurse on the case's team, or of a held item
-- one of them owned, is welfare information: the caseload lists it only to
-- those the policy allows read_welfare. The column defaults to 0, so an
-- older build's inserts still work (they mark nothing). The contacts
-- stored before are marked by their author's welfare role on the case's
-- team now (the roles coaching.Role.IsWelfare names); the UPDATE reads
-- the table once.
ALTER TABLE contacts ADD COLUMN welfare INTEGER NOT NULL DEFAULT 0;

UPDATE contacts SET welfare = 1
WHERE EXISTS (SELECT 1 FROM case_team m WHERE m.case_id = contacts.case_id AND m.actor_id = contacts.by_actor
    AND m.role IN ('curator', 'psychologist', 'nurse'));
