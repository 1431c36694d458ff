-- 0015: welfare contacts (caseload.Contact.Welfare, "welfare" in a
-- contact's data). A contact by a curator, psychologist or nurse on the
-- case's team, or of a held item one of them owned, is welfare
-- information: the caseload lists it only to those the policy allows
-- read_welfare. The contacts stored before are marked by their author's
-- welfare role on the case's team now (the roles coaching.Role.IsWelfare
-- names); the UPDATE reads the table once.
--
-- {{schema}} is replaced by the store's schema, as in 0001.
UPDATE {{schema}}.contacts k SET data = jsonb_set(k.data, '{welfare}', 'true')
WHERE EXISTS (SELECT 1 FROM {{schema}}.case_team m WHERE m.case_id = k.case_id AND m.actor_id = k.data ->> 'by'
	AND m.role IN ('curator', 'psychologist', 'nurse'));
