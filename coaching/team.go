package coaching

import "slices"

// TeamChange is the argument of [CaseChange.ChangeTeam].
type TeamChange struct {
	// Add puts a member on the team; a member already there in the same
	// role is replaced (e.g. new contact details).
	Add *TeamMember
	// Remove takes the member with this actor id and role off the team.
	Remove *TeamMemberRef
	// ExpectedVersion, when non-zero, must equal the case's version.
	ExpectedVersion int64
	// Reason is recorded in the audit entry.
	Reason string
}

// TeamMemberRef names a member of a team.
type TeamMemberRef struct {
	ActorID string
	Role    Role
}

// ChangeTeam adds or removes one support-team member with the change: the
// case's new team and an audit entry of kind [AuditTeam] (event
// team_add:<role> or team_remove:<role>) with a new case version. Open the
// change under OpChangeCase: the policy's change_case rule must allow the
// actor (the default: the team and the head of studies), and the actor
// needs a role that may open cases in the case's model. A closed case's
// team does not change (*TransitionError); a concurrent change committed
// first is a *ConflictError. A change records one audit entry, so it
// changes the team once and calls neither Audit nor SaveDocument besides.
func (ch *CaseChange) ChangeTeam(tc TeamChange) error {
	if (tc.Add == nil) == (tc.Remove == nil) {
		return &ValidationError{Subject: "team change", Problems: []FieldProblem{{Message: "give exactly one of add and remove"}}}
	}
	var pr problems
	pr.subject = "team change"
	if tc.Add != nil {
		pr.merge("add", tc.Add.validate())
	}
	checkMultiline(&pr, "reason", tc.Reason, 4000)
	if err := pr.err(); err != nil {
		return err
	}
	e, c := ch.e, &ch.c
	m := e.models[c.Model] // the change's case has a model the engine knows
	if !anyRole(ch.actor, m.spec.Openers) {
		req := &Request{Actor: ch.actor, Operation: OpChangeCase, Case: c, Organisation: c.Organisation, Today: DateOf(ch.now)}
		return e.deny(req, Deny(RuleModelOpeners, "changing a team needs one of the roles %s", joinRoles(m.spec.Openers)))
	}
	if tc.ExpectedVersion != 0 && tc.ExpectedVersion != c.Version {
		return &ConflictError{CaseID: c.ID, Expected: tc.ExpectedVersion, Current: c.Version}
	}
	if c.Closed() {
		return &TransitionError{Event: "change_team", State: c.State}
	}
	if err := ch.ownEntry(); err != nil {
		return err
	}
	entry := &AuditEntry{Kind: AuditTeam, Reason: tc.Reason}
	switch {
	case tc.Add != nil:
		team := slices.DeleteFunc(slices.Clone(c.Team), func(m TeamMember) bool { return m.ActorID == tc.Add.ActorID && m.Role == tc.Add.Role })
		ch.team = append(team, *tc.Add)
		entry.Event = "team_add:" + string(tc.Add.Role)
	default:
		i := slices.IndexFunc(c.Team, func(m TeamMember) bool { return m.ActorID == tc.Remove.ActorID && m.Role == tc.Remove.Role })
		if i < 0 {
			return &NotFoundError{Kind: "team member", ID: tc.Remove.ActorID + "/" + string(tc.Remove.Role)}
		}
		ch.team = slices.Delete(slices.Clone(c.Team), i, i+1)
		entry.Event = "team_remove:" + string(tc.Remove.Role)
	}
	ch.own, ch.audit = entry, entry
	return nil
}
