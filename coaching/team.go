package coaching

import (
	"context"
	"errors"
	"slices"
)

// TeamChange is the argument of [Engine.ChangeTeam].
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

// ChangeTeam adds or removes one support-team member, as one audited change
// of the case (a new version and an audit entry of kind [AuditTeam]). The
// policy's change_case rule must allow the actor (the default: the team and
// the head of studies), and the actor needs a role that may open cases in
// the case's model. A conflicting concurrent change returns a *ConflictError.
func (e *Engine) ChangeTeam(ctx context.Context, actor Actor, id CaseID, ch TeamChange) (Case, error) {
	return e.changeTeam(ctx, e.run(ctx), actor, id, ch)
}

func (e *Engine) changeTeam(ctx context.Context, run txRunner, actor Actor, id CaseID, ch TeamChange) (Case, error) {
	if err := e.screen(run, actor, OpChangeCase); err != nil {
		return Case{}, err
	}
	if (ch.Add == nil) == (ch.Remove == nil) {
		return Case{}, &ValidationError{Subject: "team change", Problems: []FieldProblem{{Message: "give exactly one of add and remove"}}}
	}
	var pr problems
	pr.subject = "team change"
	if ch.Add != nil {
		pr.merge("add", ch.Add.validate())
	}
	checkMultiline(&pr, "reason", ch.Reason, 4000)
	if err := pr.err(); err != nil {
		return Case{}, err
	}
	var next Case
	err := run(func(tx Tx) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		m, ok := e.models[c.Model]
		if !ok {
			return errors.New("valmennus: case " + string(c.ID) + " uses a model this engine was not given: " + c.Model)
		}
		req, _, err := e.authorize(ctx, tx, actor, OpChangeCase, &c, "", "", nil)
		if err != nil {
			return err
		}
		if !anyRole(actor, m.spec.Openers) {
			return e.deny(req, Deny(RuleModelOpeners, "changing a team needs one of the roles %s", joinRoles(m.spec.Openers)))
		}
		if ch.ExpectedVersion != 0 && ch.ExpectedVersion != c.Version {
			return &ConflictError{CaseID: c.ID, Expected: ch.ExpectedVersion, Current: c.Version}
		}
		if c.Closed() {
			return &TransitionError{Event: "change_team", State: c.State}
		}
		now := e.clock.Now()
		next = c
		next.Version++
		entry := AuditEntry{CaseID: c.ID, Seq: next.Version, At: now, Kind: AuditTeam, ActorID: actor.ID, Roles: slices.Clone(actor.Roles),
			From: c.State, To: c.State, Reason: ch.Reason}
		switch {
		case ch.Add != nil:
			team := slices.DeleteFunc(slices.Clone(c.Team), func(m TeamMember) bool { return m.ActorID == ch.Add.ActorID && m.Role == ch.Add.Role })
			next.Team = append(team, *ch.Add)
			entry.Event = "team_add:" + string(ch.Add.Role)
		default:
			i := slices.IndexFunc(c.Team, func(m TeamMember) bool { return m.ActorID == ch.Remove.ActorID && m.Role == ch.Remove.Role })
			if i < 0 {
				return &NotFoundError{Kind: "team member", ID: ch.Remove.ActorID + "/" + string(ch.Remove.Role)}
			}
			next.Team = slices.Delete(slices.Clone(c.Team), i, i+1)
			entry.Event = "team_remove:" + string(ch.Remove.Role)
		}
		if err := tx.UpdateCase(ctx, next, c.Version); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, entry)
	})
	if err != nil {
		return Case{}, err
	}
	return next, nil
}
