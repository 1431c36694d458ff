package sis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/contactchange"
)

// AuditKind is the kind of the audit entry a re-import's update of a
// participant leaves on each of the participant's cases (event
// [EventUpdated]; the reason names the line, the payload the columns,
// never the values).
const AuditKind coaching.AuditKind = "sis"

// EventUpdated is the audit event of a re-import's update.
const EventUpdated = "sis_updated"

// FieldDiff is one field a re-import changed — or, in a dry run, would
// change: the column and its value before and after ("" for none; dates
// as YYYY-MM-DD). The values are personal data for the importer's report:
// [FieldDiff.String] and [FieldDiff.LogValue] name the column only, and
// the audit trail records the column, never the values.
type FieldDiff struct {
	Column string `json:"column"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// String names the column only: "guardian1_email changed".
func (d FieldDiff) String() string { return d.Column + " changed" }

// LogValue logs the column only.
func (d FieldDiff) LogValue() slog.Value { return slog.GroupValue(slog.String("column", d.Column)) }

// Updated is a row whose participant a re-import changed (or, in a dry
// run, would change).
type Updated struct {
	Line        int                    `json:"line"`
	ExternalID  string                 `json:"external_id"`
	Participant coaching.ParticipantID `json:"participant"`
	// Columns are the columns whose value was written (e.g. "email",
	// "guardian1_phone"), in the order of Diffs; empty when only
	// SISAgain changed.
	Columns []string `json:"columns"`
	// Diffs are the fields written, one per column, with the values
	// before and after.
	Diffs []FieldDiff `json:"diffs"`
	// SISAgain names whose contact details are the SIS's again ("student",
	// "guardian1", "guardian2"): a change made in valmennus was
	// overtaken by a newer SIS record, and its date cleared (even when the
	// values were already the same).
	SISAgain []string `json:"sis_again,omitempty"`
}

// LogValue logs the line, the participant and the columns, never the
// values.
func (u Updated) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("line", u.Line), slog.String("participant_id", string(u.Participant)), slog.Any("columns", u.Columns))
}

// Conflict is a detail a re-import kept: a contact detail changed in
// valmennus (an approved proposal, package coaching/contactchange) whose
// SIS value either is still the one of the last import or, changed since,
// comes with a record dated on or before the valmennus change (or
// undated); a guardian the SIS gives under another name than the one
// recorded under their number; a guardian the SIS no longer gives whose
// details were changed in valmennus on or after the SIS record; a
// background fact known at entry that the SIS now gives otherwise; or a
// name, birth date or identity code the SIS gives otherwise, which an
// import never changes. The message never repeats a value; Kept and SIS
// hold them for the importer's report ([Conflict.LogValue] leaves them
// out) — except for the identity code, whose conflict holds neither.
type Conflict struct {
	Line        int                    `json:"line"`
	Participant coaching.ParticipantID `json:"participant"`
	Column      string                 `json:"column"`
	Message     string                 `json:"message"`
	// Kept is the value valmennus keeps.
	Kept string `json:"kept"`
	// SIS is the value the SIS gives, not written.
	SIS string `json:"sis"`
}

// String formats the conflict as "line 4, email: kept …", without the
// values.
func (c Conflict) String() string {
	return fmt.Sprintf("line %d, %s: %s", c.Line, c.Column, c.Message)
}

// LogValue logs the line, the participant and the column, never the
// values.
func (c Conflict) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("line", c.Line), slog.String("participant_id", string(c.Participant)), slog.String("column", c.Column))
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
// values now, the date, the fields written and the conflicts.
func merge(cur, sis, in coaching.Contact, changedOn, updatedOn coaching.Date, emailCol, phoneCol string, named map[string]int) (coaching.Contact, coaching.Contact, coaching.Date, []FieldDiff, []Conflict) {
	out, nextSIS := cur, sis
	var written []FieldDiff
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
		if msg := newerInLibrary(changedOn, updatedOn, f.lastSIS == f.in); msg != "" {
			conflicts = append(conflicts, Conflict{Column: f.col, Message: msg, Kept: *f.cur, SIS: f.in})
			continue
		}
		*f.next = f.in
		written = append(written, FieldDiff{Column: f.col, Before: *f.cur, After: f.in})
	}
	if !changedOn.IsZero() && carried && len(conflicts) == 0 && out == nextSIS {
		changedOn = coaching.Date{} // the SIS's record is the contact now
	}
	return out, nextSIS, changedOn, written, conflicts
}

// newerInLibrary decides whether a detail changed in valmennus on
// changedOn (zero: never) is kept against the SIS record dated updatedOn
// (zero: undated); sisUnchanged is whether the SIS still gives the value of
// its last import. It returns the conflict's message, or "" when the SIS
// wins.
func newerInLibrary(changedOn, updatedOn coaching.Date, sisUnchanged bool) string {
	switch {
	case changedOn.IsZero():
		return ""
	case sisUnchanged:
		return "kept: changed in valmennus on " + changedOn.String() + "; the SIS still gives the value of its last import"
	case updatedOn.IsZero():
		return "kept: changed in valmennus on " + changedOn.String() + ", and changed in the SIS since the last import (the SIS record has no updated_on date): check which is right"
	case !changedOn.Before(updatedOn):
		return "kept: changed in valmennus on " + changedOn.String() + ", on or after the SIS record (updated_on " + updatedOn.String() + ")"
	}
	return ""
}

// sameName reports whether two names are the same but for case and
// spacing.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// errDryRun rolls a dry run's transaction back once everything was
// checked and computed.
var errDryRun = errors.New("sis: dry run: rolled back")

// update writes a row onto its participant, already enrolled, in a change
// of its own under the policy's decide_request rule, by one who decides
// the student's contact changes on one of their cases
// ([contactchange.MayDecide]: the personal tutor, the study counsellor,
// the coach when the team has no personal tutor, or the head of studies;
// the import's own enrol rule lets any staff member import, not change a
// student's details), with an audit entry on each of the participant's
// cases when anything changed. It writes the contact details (merge), the
// sign-on ids, the language, the background facts not yet known
// (mergeBackground; a known one that differs is a conflict), the
// guardians — updated when the row names
// them as recorded under their number (the same name but for case and
// spacing; another name is a conflict), added under a new number, removed
// when the row leaves their number empty — and the group and start date
// of the participant's open cases of opts.Model (a new [RecordName]
// record); a name, birth date or identity code the SIS gives otherwise
// is a conflict (identityConflicts). In a dry run everything is computed in the transaction, which
// is then rolled back.
func update(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, opts Options, r row, rep *Report) error {
	var diffs []FieldDiff
	var again []string
	var conflicts []Conflict
	_, err := eng.ChangeParticipant(ctx, actor, coaching.OpDecideRequest, r.participant.ID, func(ch *coaching.ParticipantChange) error {
		diffs, again, conflicts = nil, nil, nil
		if !slices.ContainsFunc(ch.Cases(), func(c coaching.Case) bool { return contactchange.MayDecide(actor, c) }) {
			return &coaching.ForbiddenError{ActorID: actor.ID, Operation: string(coaching.OpDecideRequest), Rule: contactchange.RuleDecider,
				Reason: "contact details are changed by the student's personal tutor or study counsellor, the coach when the team has no personal tutor, or the head of studies"}
		}
		p := ch.Participant()
		next := p
		var d []FieldDiff
		var cs []Conflict
		next.Contact, next.SISContact, next.ContactChangedOn, d, cs = merge(p.Contact, p.SISContact, r.participant.Contact, p.ContactChangedOn, r.updatedOn, colEmail, colPhone, r.named)
		dirty := next.SISContact != p.SISContact
		diffs, conflicts = append(diffs, d...), append(conflicts, cs...)
		if hasCol(r.named, colSignOn) && next.SignOn != r.participant.SignOn {
			diffs = append(diffs, FieldDiff{Column: colSignOn, Before: next.SignOn, After: r.participant.SignOn})
			next.SignOn = r.participant.SignOn
		}
		if hasCol(r.named, colLanguage) && next.Language != r.participant.Language {
			diffs = append(diffs, FieldDiff{Column: colLanguage, Before: string(next.Language), After: string(r.participant.Language)})
			next.Language = r.participant.Language
		}
		var bd []FieldDiff
		var bc []Conflict
		next.Background, bd, bc = mergeBackground(p.Background, r.participant.Background, r.named)
		diffs, conflicts = append(diffs, bd...), append(conflicts, bc...)
		ic, err := identityConflicts(ctx, ch, p, r)
		if err != nil {
			return err
		}
		conflicts = append(conflicts, ic...)
		if next.ContactChangedOn != p.ContactChangedOn {
			again = append(again, "student")
		}
		var gd []FieldDiff
		var ga []string
		var gc []Conflict
		var gdirty bool
		next.Guardians, gd, ga, gc, gdirty = mergeGuardians(p, r)
		diffs, again, conflicts, dirty = append(diffs, gd...), append(again, ga...), append(conflicts, gc...), dirty || gdirty
		records, rd, err := enrolmentChanges(ctx, ch, opts, r)
		if err != nil {
			return err
		}
		diffs = append(diffs, rd...)
		slices.SortStableFunc(diffs, func(a, b FieldDiff) int { return slices.Index(columns, a.Column) - slices.Index(columns, b.Column) })
		slices.SortStableFunc(conflicts, func(a, b Conflict) int { return slices.Index(columns, a.Column) - slices.Index(columns, b.Column) })
		if len(diffs) == 0 && len(again) == 0 {
			if dirty && !opts.DryRun {
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
		}{diffColumns(diffs), again})
		if err != nil {
			return err
		}
		err = ch.EachCase(func(cc *coaching.CaseChange) error {
			if rec, ok := records[cc.Case().ID]; ok {
				if err := cc.AddRecord(RecordName, rec); err != nil {
					return err
				}
			}
			cc.Audit(AuditKind, EventUpdated, fmt.Sprintf("SIS import, line %d", r.line), payload)
			return nil
		})
		if err == nil && opts.DryRun {
			return errDryRun
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
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
	if len(diffs) > 0 || len(again) > 0 {
		rep.Updated = append(rep.Updated, Updated{Line: r.line, ExternalID: r.externalID, Participant: r.participant.ID,
			Columns: diffColumns(diffs), Diffs: diffs, SISAgain: again})
	}
	return nil
}

// mergeGuardians merges the row's guardians onto the participant's p,
// by number (the guardian ids an import makes, "<participant>:guardianN"):
// a recorded guardian the row names under the same name is updated (the
// contact by merge, the language and sign-on id as given); under another
// name it is a conflict and not written (a re-import does not match
// guardians again: one replaced in the SIS is replaced by hand, or removed
// by one import and added by the next); a number the participant has no
// guardian under is added; a recorded guardian the row leaves empty, when
// the header names the guardian's name column, is removed — unless their
// contact details were changed in valmennus on or after the SIS record
// (or the record is undated): that is a conflict. Guardians with ids an
// import does not make are left as they are. It returns the guardians,
// the fields written, whose details are the SIS's again, the conflicts,
// and whether the SIS's given values changed.
func mergeGuardians(p coaching.Participant, r row) ([]coaching.Guardian, []FieldDiff, []string, []Conflict, bool) {
	var diffs []FieldDiff
	var again []string
	var conflicts []Conflict
	dirty := false
	out := make([]coaching.Guardian, 0, len(p.Guardians)+guardians)
	given := map[string]coaching.Guardian{}
	for _, g := range r.participant.Guardians {
		given[g.ID] = g
	}
	numberOf := func(id string) int {
		for n := 1; n <= guardians; n++ {
			if id == string(p.ID)+":guardian"+strconv.Itoa(n) {
				return n
			}
		}
		return 0
	}
	recorded := map[string]bool{}
	for _, sg := range p.Guardians {
		recorded[sg.ID] = true
		n := numberOf(sg.ID)
		if n == 0 {
			out = append(out, sg)
			continue
		}
		g, inRow := given[sg.ID]
		if !inRow {
			nameCol := guardianCol(n, "name")
			if !hasCol(r.named, nameCol) {
				out = append(out, sg)
				continue
			}
			if msg := newerInLibrary(sg.ContactChangedOn, r.updatedOn, false); msg != "" {
				conflicts = append(conflicts, Conflict{Column: nameCol, Kept: sg.Name,
					Message: fmt.Sprintf("not removed: guardian %d's contact details were %s", n, strings.TrimPrefix(msg, "kept: "))})
				out = append(out, sg)
				continue
			}
			diffs = append(diffs, guardianDiffs(n, sg, coaching.Guardian{})...)
			continue
		}
		if !sameName(sg.Name, g.Name) {
			conflicts = append(conflicts, Conflict{Column: guardianCol(n, "name"), Kept: sg.Name, SIS: g.Name, Message: fmt.Sprintf(
				"not updated: the name differs from guardian %d's as recorded; a re-import does not match guardians again (a replaced guardian is removed by one import and added by the next, or changed by hand)", n)})
			out = append(out, sg)
			continue
		}
		before, beforeSIS := sg.ContactChangedOn, sg.SISContact
		var d []FieldDiff
		var cs []Conflict
		sg.Contact, sg.SISContact, sg.ContactChangedOn, d, cs = merge(sg.Contact, sg.SISContact, g.Contact, sg.ContactChangedOn, r.updatedOn, guardianCol(n, "email"), guardianCol(n, "phone"), r.named)
		dirty = dirty || sg.SISContact != beforeSIS
		diffs, conflicts = append(diffs, d...), append(conflicts, cs...)
		if col := guardianCol(n, "language"); hasCol(r.named, col) && sg.Language != g.Language {
			diffs = append(diffs, FieldDiff{Column: col, Before: string(sg.Language), After: string(g.Language)})
			sg.Language = g.Language
		}
		if col := guardianCol(n, "sign_on"); hasCol(r.named, col) && sg.SignOn != g.SignOn {
			diffs = append(diffs, FieldDiff{Column: col, Before: sg.SignOn, After: g.SignOn})
			sg.SignOn = g.SignOn
		}
		if sg.ContactChangedOn != before {
			again = append(again, "guardian"+strconv.Itoa(n))
		}
		out = append(out, sg)
	}
	for i, g := range r.participant.Guardians {
		if recorded[g.ID] {
			continue
		}
		out = append(out, g)
		diffs = append(diffs, guardianDiffs(r.guardianOf[i], coaching.Guardian{}, g)...)
	}
	return out, diffs, again, conflicts, dirty
}

// identityConflicts compares the row's names, birth date and identity
// code with the participant's p, which an import never changes: a name
// or a birth date the SIS now gives otherwise (a change of name, a typo
// corrected) is a conflict with both values in Kept and SIS, for a person
// to correct by hand; an identity code the row gives that differs from
// the recorded one (or where none is recorded) is a conflict naming the
// column only — the code is compared in the change's transaction, and is
// never put in the report, a message or a log. A column the header does
// not name, and an identity code cell left empty, are not compared.
func identityConflicts(ctx context.Context, ch *coaching.ParticipantChange, p coaching.Participant, r row) ([]Conflict, error) {
	const notUpdated = "not updated by an import: the SIS gives another %s than the one recorded; if the SIS is right, change it by hand"
	var out []Conflict
	in := r.participant
	for _, f := range []struct{ col, what, kept, sis string }{
		{colGivenNames, "given names", p.GivenNames, in.GivenNames},
		{colFamilyName, "family name", p.FamilyName, in.FamilyName},
		{colBirthDate, "birth date", dateText(p.BirthDate), dateText(in.BirthDate)},
	} {
		if hasCol(r.named, f.col) && f.kept != f.sis {
			out = append(out, Conflict{Column: f.col, Kept: f.kept, SIS: f.sis, Message: fmt.Sprintf(notUpdated, f.what)})
		}
	}
	if in.IdentityCode.IsZero() || !hasCol(r.named, colIdentityCode) {
		return out, nil
	}
	stored := p.IdentityCode
	if stored.Withheld() {
		full, err := ch.Tx().Participant(ctx, p.Organisation, p.ID)
		if err != nil {
			return nil, err
		}
		stored = full.IdentityCode
	}
	if !stored.Equal(in.IdentityCode) {
		out = append(out, Conflict{Column: colIdentityCode, Message: fmt.Sprintf(notUpdated, "identity code (or none is recorded)")})
	}
	return out, nil
}

// guardianDiffs lists the fields of guardian n that differ between a
// guardian removed (after zero) or added (before zero).
func guardianDiffs(n int, before, after coaching.Guardian) []FieldDiff {
	var out []FieldDiff
	for _, f := range []struct{ field, before, after string }{
		{"name", before.Name, after.Name},
		{"email", before.Contact.Email, after.Contact.Email},
		{"phone", before.Contact.Phone, after.Contact.Phone},
		{"language", string(before.Language), string(after.Language)},
		{"sign_on", before.SignOn, after.SignOn},
	} {
		if f.before != f.after {
			out = append(out, FieldDiff{Column: guardianCol(n, f.field), Before: f.before, After: f.after})
		}
	}
	return out
}

// enrolmentChanges computes, for each of the participant's open cases of
// opts.Model, the [RecordName] record the row's group and start date make
// (only the columns the header names; the others keep the latest record's
// values), when it differs from the latest; and the fields that change
// (once each, however many cases change alike).
func enrolmentChanges(ctx context.Context, ch *coaching.ParticipantChange, opts Options, r row) (map[coaching.CaseID]EnrolmentRecord, []FieldDiff, error) {
	if !hasCol(r.named, colGroup) && !hasCol(r.named, colStartDate) {
		return nil, nil, nil
	}
	out := map[coaching.CaseID]EnrolmentRecord{}
	var diffs []FieldDiff
	add := func(d FieldDiff) {
		if !slices.Contains(diffs, d) {
			diffs = append(diffs, d)
		}
	}
	for _, c := range ch.Cases() {
		if c.Closed() || c.Model != opts.Model {
			continue
		}
		recs, err := ch.Tx().Records(ctx, c.ID, coaching.RecordQuery{Names: []string{RecordName}, Latest: true})
		if err != nil {
			return nil, nil, err
		}
		var cur EnrolmentRecord
		if len(recs) > 0 {
			if err := json.Unmarshal(recs[len(recs)-1].Data, &cur); err != nil {
				return nil, nil, fmt.Errorf("sis: reading the %s record of case %s: %w", RecordName, c.ID, err)
			}
		}
		next := cur
		if hasCol(r.named, colGroup) {
			next.Group = r.record.Group
		}
		if hasCol(r.named, colStartDate) {
			next.StartDate = r.record.StartDate
		}
		if next == cur {
			continue
		}
		out[c.ID] = next
		if next.Group != cur.Group {
			add(FieldDiff{Column: colGroup, Before: cur.Group, After: next.Group})
		}
		if next.StartDate != cur.StartDate {
			add(FieldDiff{Column: colStartDate, Before: dateText(cur.StartDate), After: dateText(next.StartDate)})
		}
	}
	return out, diffs, nil
}

// dateText is d as YYYY-MM-DD, or "" for the zero date.
func dateText(d coaching.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// diffColumns are the diffs' columns, in order.
func diffColumns(diffs []FieldDiff) []string {
	out := make([]string, len(diffs))
	for i, d := range diffs {
		out[i] = d.Column
	}
	return out
}

// hasCol reports whether the file's header named col.
func hasCol(named map[string]int, col string) bool {
	_, ok := named[col]
	return ok
}
