package sis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/contactchange"
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
	// "guardian1_phone"); empty when only SISAgain changed.
	Columns []string `json:"columns"`
	// SISAgain names whose contact details are the SIS's again ("student",
	// "guardian1", "guardian2"): a change made in valmennus was
	// overtaken by a newer SIS record, and its date cleared (even when the
	// values were already the same).
	SISAgain []string `json:"sis_again,omitempty"`
}

// Conflict is a contact detail a re-import kept: it was changed in
// valmennus (an approved proposal, package coaching/contactchange), and
// the SIS's value either is still the one of the last import or, changed
// since, comes with a record dated on or before the valmennus change (or
// undated). The message never repeats either value.
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
	return enrolled(ctx, eng, actor, opts.Organisation, rows)
}

// enrolled returns which rows' participants are enrolled in org (only
// their existence is read).
func enrolled(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, org coaching.OrganisationID, rows []row) (map[coaching.ParticipantID]bool, error) {
	ids := make([]coaching.ParticipantID, len(rows))
	for i, r := range rows {
		ids[i] = r.participant.ID
	}
	var known map[coaching.ParticipantID]bool
	err := eng.Read(ctx, actor, func(s *coaching.Scope) error {
		var err error
		known, err = s.Enrolled(org, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sis: looking for participants already enrolled: %w", err)
	}
	return known, nil
}

// merge writes the SIS contact in onto the stored contact cur, field by
// field — only the columns the header names (named), an empty cell
// clearing the value. A field changed in valmennus (changedOn set) is
// overwritten only when the SIS's own value changed since the last import
// (sis, the values the SIS last gave) and the SIS record is dated after
// the change (updatedOn); otherwise it is kept and reported as a conflict.
// The contact is the SIS's again (its date cleared) when no field was kept
// and every field is the SIS's. It returns the merged contact, the SIS's
// values now, the date, the columns written and the conflicts.
func merge(cur, sis, in coaching.Contact, changedOn, updatedOn coaching.Date, emailCol, phoneCol string, named map[string]int) (coaching.Contact, coaching.Contact, coaching.Date, []string, []Conflict) {
	out, nextSIS := cur, sis
	var written []string
	var conflicts []Conflict
	carried := false
	for _, f := range []struct {
		col            string
		cur, next, sis *string
		lastSIS, in    string
	}{{emailCol, &cur.Email, &out.Email, &nextSIS.Email, sis.Email, in.Email}, {phoneCol, &cur.Phone, &out.Phone, &nextSIS.Phone, sis.Phone, in.Phone}} {
		if _, ok := named[f.col]; !ok {
			continue // the file does not carry it: left as it is
		}
		carried = true
		*f.sis = f.in
		if *f.cur == f.in {
			continue
		}
		if !changedOn.IsZero() {
			var msg string
			switch {
			case f.lastSIS == f.in:
				msg = "kept: changed in valmennus on " + changedOn.String() + "; the SIS still gives the value of its last import"
			case updatedOn.IsZero():
				msg = "kept: changed in valmennus on " + changedOn.String() + ", and changed in the SIS since the last import (the SIS record has no updated_on date): check which is right"
			case !changedOn.Before(updatedOn):
				msg = "kept: changed in valmennus on " + changedOn.String() + ", on or after the SIS record (updated_on " + updatedOn.String() + ")"
			}
			if msg != "" {
				conflicts = append(conflicts, Conflict{Column: f.col, Message: msg})
				continue
			}
		}
		*f.next = f.in
		written = append(written, f.col)
	}
	if !changedOn.IsZero() && carried && len(conflicts) == 0 && out == nextSIS {
		changedOn = coaching.Date{} // the SIS's record is the contact now
	}
	return out, nextSIS, changedOn, written, conflicts
}

// sameName reports whether two names are the same but for case and
// spacing.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// update writes a row's contact details onto its participant, already
// enrolled, in a change of its own under the policy's decide_request rule,
// by one who decides the student's contact changes on one of their cases
// ([contactchange.MayDecide]: the personal tutor, the study counsellor,
// the coach when the team has no personal tutor, or the head of studies;
// the import's own enrol rule lets any staff member import, not change a
// student's details), with an audit entry on each of the
// participant's cases when anything changed. A guardian is updated only
// when the row names them as recorded under their number (the same name
// but for case and spacing); otherwise the row's guardian is reported as
// a conflict and not written.
func update(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, r row, rep *Report) error {
	var written, again []string
	var conflicts []Conflict
	_, err := eng.ChangeParticipant(ctx, actor, coaching.OpDecideRequest, r.participant.ID, func(ch *coaching.ParticipantChange) error {
		written, again, conflicts = nil, nil, nil
		if !slices.ContainsFunc(ch.Cases(), func(c coaching.Case) bool { return contactchange.MayDecide(actor, c) }) {
			return &coaching.ForbiddenError{ActorID: actor.ID, Operation: string(coaching.OpDecideRequest), Rule: contactchange.RuleDecider,
				Reason: "contact details are changed by the student's personal tutor or study counsellor, the coach when the team has no personal tutor, or the head of studies"}
		}
		p := ch.Participant()
		next := p
		var w []string
		var cs []Conflict
		next.Contact, next.SISContact, next.ContactChangedOn, w, cs = merge(p.Contact, p.SISContact, r.participant.Contact, p.ContactChangedOn, r.updatedOn, colEmail, colPhone, r.named)
		dirty := next.SISContact != p.SISContact
		written, conflicts = append(written, w...), append(conflicts, cs...)
		if hasCol(r.named, colSignOn) && next.SignOn != r.participant.SignOn {
			next.SignOn = r.participant.SignOn
			written = append(written, colSignOn)
		}
		if next.ContactChangedOn != p.ContactChangedOn {
			again = append(again, "student")
		}
		next.Guardians = append([]coaching.Guardian(nil), p.Guardians...)
		for i, g := range r.participant.Guardians {
			n := r.guardianOf[i]
			for j := range next.Guardians {
				if next.Guardians[j].ID != g.ID {
					continue
				}
				sg := &next.Guardians[j]
				if !sameName(sg.Name, g.Name) {
					conflicts = append(conflicts, Conflict{Column: guardianCol(n, "name"), Message: fmt.Sprintf(
						"not updated: the name differs from guardian %d's as recorded; a re-import does not match guardians again (reordered or replaced guardians are changed by hand)", n)})
					continue
				}
				before, beforeSIS := sg.ContactChangedOn, sg.SISContact
				sg.Contact, sg.SISContact, sg.ContactChangedOn, w, cs = merge(sg.Contact, sg.SISContact, g.Contact, sg.ContactChangedOn, r.updatedOn, guardianCol(n, "email"), guardianCol(n, "phone"), r.named)
				dirty = dirty || sg.SISContact != beforeSIS
				written, conflicts = append(written, w...), append(conflicts, cs...)
				if col := guardianCol(n, "sign_on"); hasCol(r.named, col) {
					if sg.SignOn != g.SignOn {
						sg.SignOn = g.SignOn
						written = append(written, col)
					}
				}
				if sg.ContactChangedOn != before {
					again = append(again, "guardian"+strconv.Itoa(n))
				}
			}
		}
		if len(written) == 0 && len(again) == 0 {
			if dirty {
				// Only the SIS's values as given are new (the contact
				// itself is unchanged): kept for the next import.
				return ch.Update(next)
			}
			return nil
		}
		if err := ch.Update(next); err != nil {
			return err
		}
		payload, err := json.Marshal(struct {
			Columns  []string `json:"columns"`
			SISAgain []string `json:"sis_again,omitempty"`
		}{append([]string{}, written...), again})
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
		var fe *coaching.ForbiddenError
		if errors.As(err, &fe) {
			rep.Problems = append(rep.Problems, RowProblem{Line: r.line, Message: "not updated: the importer decides no contact change of the student — neither their personal tutor, study counsellor or (without a personal tutor) coach on one of their teams, nor the head of studies (" + fe.Rule + ")"})
			return nil
		}
		return err
	}
	for i := range conflicts {
		conflicts[i].Line, conflicts[i].Participant = r.line, r.participant.ID
	}
	rep.Conflicts = append(rep.Conflicts, conflicts...)
	if len(written) > 0 || len(again) > 0 {
		rep.Updated = append(rep.Updated, Updated{Line: r.line, ExternalID: r.externalID, Participant: r.participant.ID, Columns: written, SISAgain: again})
	}
	return nil
}

// hasCol reports whether the file's header named col.
func hasCol(named map[string]int, col string) bool {
	_, ok := named[col]
	return ok
}
