package sis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/valmennus/valmennus/coaching"
)

// AuditKind is the kind of the audit entry a re-import's update of a
// participant's contact details leaves on each of the participant's
// cases (event [EventContactUpdated]; the reason names the line, the
// payload the columns, never the values).
const AuditKind coaching.AuditKind = "sis"

// EventContactUpdated is the audit event of a re-import's update.
const EventContactUpdated = "sis_contact_updated"

// Updated is a row whose participant's contact details a re-import
// changed.
type Updated struct {
	Line        int                    `json:"line"`
	ExternalID  string                 `json:"external_id"`
	Participant coaching.ParticipantID `json:"participant"`
	// Columns are the columns whose value was written (e.g. "email",
	// "guardian1_phone").
	Columns []string `json:"columns"`
}

// Conflict is a contact detail a re-import kept: it was changed in
// valmennus (an approved proposal, package coaching/contactchange) on or
// after the SIS record's updated_on date, or — the record having no date —
// since the import that last wrote it. The message never repeats either
// value.
type Conflict struct {
	Line        int                    `json:"line"`
	Participant coaching.ParticipantID `json:"participant"`
	Column      string                 `json:"column"`
	Message     string                 `json:"message"`
}

// String formats the conflict as "line 4, email: kept …".
func (c Conflict) String() string {
	return fmt.Sprintf("line %d, %s: %s", c.Line, c.Column, c.Message)
}

// enrolledAlready returns which rows' participants are already enrolled
// in the organisation, when the import updates them (nil otherwise: the
// enrolment reports them).
func enrolledAlready(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, opts Options, rows []row) (map[coaching.ParticipantID]bool, error) {
	if !opts.Update || len(rows) == 0 {
		return nil, nil
	}
	ids := make([]coaching.ParticipantID, len(rows))
	for i, r := range rows {
		ids[i] = r.participant.ID
	}
	var known map[coaching.ParticipantID]bool
	err := eng.Read(ctx, actor, func(s *coaching.Scope) error {
		var err error
		known, err = s.Enrolled(opts.Organisation, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sis: looking for participants already enrolled: %w", err)
	}
	return known, nil
}

// merge writes the SIS contact in onto the stored contact cur, field by
// field, unless cur was changed in valmennus (changedOn) on or after the
// SIS record's date — or, the record having no date, at all since the
// import that last wrote it (the import clears the date when the SIS's
// newer record wins). It returns the merged contact and its date, the
// columns written and the conflicts.
func merge(cur, in coaching.Contact, changedOn, updatedOn coaching.Date, emailCol, phoneCol string) (coaching.Contact, coaching.Date, []string, []Conflict) {
	keep := !changedOn.IsZero() && (updatedOn.IsZero() || !changedOn.Before(updatedOn))
	msg := "kept: changed in valmennus on " + changedOn.String() + ", on or after the SIS record (updated_on " + updatedOn.String() + ")"
	if updatedOn.IsZero() {
		msg = "kept: changed in valmennus on " + changedOn.String() + ", since the last import (the SIS record has no updated_on date)"
	}
	out := cur
	var written []string
	var conflicts []Conflict
	for _, f := range []struct {
		col       string
		cur, next *string
		in        string
	}{{emailCol, &cur.Email, &out.Email, in.Email}, {phoneCol, &cur.Phone, &out.Phone, in.Phone}} {
		if *f.cur == f.in {
			continue
		}
		if keep {
			conflicts = append(conflicts, Conflict{Column: f.col, Message: msg})
			continue
		}
		*f.next = f.in
		written = append(written, f.col)
	}
	if !keep && !changedOn.IsZero() {
		changedOn = coaching.Date{} // the SIS's newer record is the contact now
	}
	return out, changedOn, written, conflicts
}

// update writes a row's contact details onto its participant, already
// enrolled, in a change of its own under the policy's enrol rule, with an
// audit entry on each of the participant's cases when anything changed.
func update(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, r row, rep *Report) error {
	var written []string
	var conflicts []Conflict
	_, err := eng.ChangeParticipant(ctx, actor, coaching.OpEnrol, r.participant.ID, func(ch *coaching.ParticipantChange) error {
		written, conflicts = nil, nil
		p := ch.Participant()
		next := p
		var w []string
		var cs []Conflict
		next.Contact, next.ContactChangedOn, w, cs = merge(p.Contact, r.participant.Contact, p.ContactChangedOn, r.updatedOn, colEmail, colPhone)
		written, conflicts = append(written, w...), append(conflicts, cs...)
		next.Guardians = append([]coaching.Guardian(nil), p.Guardians...)
		for i, g := range r.participant.Guardians {
			n := r.guardianOf[i]
			for j := range next.Guardians {
				if next.Guardians[j].ID != g.ID {
					continue
				}
				sg := &next.Guardians[j]
				sg.Contact, sg.ContactChangedOn, w, cs = merge(sg.Contact, g.Contact, sg.ContactChangedOn, r.updatedOn, guardianCol(n, "email"), guardianCol(n, "phone"))
				written, conflicts = append(written, w...), append(conflicts, cs...)
			}
		}
		dirty := len(written) > 0 || next.ContactChangedOn != p.ContactChangedOn
		for j := range next.Guardians {
			dirty = dirty || next.Guardians[j].ContactChangedOn != p.Guardians[j].ContactChangedOn
		}
		if !dirty {
			return nil
		}
		if err := ch.Update(next); err != nil {
			return err
		}
		payload, err := json.Marshal(struct {
			Columns []string `json:"columns"`
		}{written})
		if err != nil {
			return err
		}
		return ch.EachCase(func(cc *coaching.CaseChange) error {
			cc.Audit(AuditKind, EventContactUpdated, fmt.Sprintf("SIS import, line %d", r.line), payload)
			return nil
		})
	})
	if err != nil {
		if probs, ok := rowProblems(r, err); ok {
			rep.Problems = append(rep.Problems, probs...)
			return nil
		}
		return err
	}
	for i := range conflicts {
		conflicts[i].Line, conflicts[i].Participant = r.line, r.participant.ID
	}
	rep.Conflicts = append(rep.Conflicts, conflicts...)
	if len(written) > 0 {
		rep.Updated = append(rep.Updated, Updated{Line: r.line, ExternalID: r.externalID, Participant: r.participant.ID, Columns: written})
	}
	return nil
}
