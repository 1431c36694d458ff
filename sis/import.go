package sis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// The keys of [coaching.Participant.ExternalIDs] an import sets.
const (
	// ExternalIDSIS holds the row's external_id.
	ExternalIDSIS = "sis"
	// ExternalIDLearnerOID holds the row's learner_oid, when given.
	ExternalIDLearnerOID = "oppija_oid"
)

// RecordName is the name of the case record that holds the group and the
// start date of an imported row (payload [EnrolmentRecord]).
const RecordName = "sis_enrolment"

// DefaultMaxRows is the default of [Options.MaxRows].
const DefaultMaxRows = 10000

// EnrolmentRecord is the payload of the [RecordName] record stored on
// each new case: the row's group and start date. It is stored only when
// the row gives at least one of them.
type EnrolmentRecord struct {
	// Group is the row's group, e.g. "TVO25A".
	Group string `json:"group,omitempty"`
	// StartDate is the row's start_date.
	StartDate coaching.Date `json:"start_date,omitzero"`
}

// Options configure [Import]. The zero value of every field but Model is
// a documented default.
type Options struct {
	// Model names the model the participants are enrolled into; required.
	Model string
	// Organisation is every participant's organisation; it is part of the
	// participant ids ([ParticipantID]) and must not contain ':'.
	// Defaults to none (the empty organisation).
	Organisation coaching.OrganisationID
	// Team is the initial support team of every new case. Defaults to
	// none.
	Team []coaching.TeamMember
	// Strict enrols nothing unless every row is good, and then all rows
	// in one transaction. Defaults to false: every good row is enrolled
	// in a transaction of its own.
	Strict bool
	// MaxRows is the most data rows a file may have; a longer file stops
	// the import before anything is enrolled. Defaults to
	// [DefaultMaxRows] (10 000).
	MaxRows int
	// Update makes a re-import update the contact details (the student's
	// e-mail address and phone number, and each recorded guardian's) of
	// rows whose participant is already enrolled in the organisation — the
	// importing actor's own ([coaching.Actor].Organisation; another is a
	// *coaching.ValidationError, participant ids being scoped per
	// organisation) —
	// instead of reporting them as already enrolled; a detail changed in
	// valmennus after the SIS record is kept and reported (see
	// [Report.Conflicts] and the package documentation). Defaults to
	// false. It cannot be combined with Strict.
	Update bool
	// Aliases are the host's own header names: a header name → the
	// documented column it means (e.g. "Opiskelijan numero" →
	// "external_id"), or [Ignore] to skip the header's column. Names are
	// compared normalised (case, diacritics, spaces and punctuation
	// ignored), and a host's alias overrides a default one of the same
	// normalised name ([Aliases] lists the defaults). Defaults to none.
	Aliases map[string]string
	// DryRun checks and computes everything an import would do — every
	// row, every enrolment and every update run in their transactions as
	// they would — and then rolls each transaction back: the report is
	// the import's (with [Report.DryRun] set and no case ids, the cases
	// not being made), and nothing is written: no participant, case,
	// record, audit entry or notice. Defaults to false.
	DryRun bool
	// FullExport says the file lists every student of the organisation
	// the SIS has: the participants an import made in the organisation
	// (ids "sis:<organisation>:…") with an open case of Model whom the
	// file does not list are reported in [Report.Missing] — not closed,
	// not deleted. Listing the organisation's students needs the policy's
	// read_figures rule on the organisation (the head of studies, under
	// [coaching.DefaultPolicy]), checked before the file is read, and the
	// organisation must be the actor's own. Defaults to false.
	FullExport bool
}

// Enrolled is a row that was enrolled.
type Enrolled struct {
	// Line is the physical line the row starts on (the header is line 1).
	Line int `json:"line"`
	// ExternalID is the row's external_id.
	ExternalID string `json:"external_id"`
	// Participant is the new participant ([ParticipantID]).
	Participant coaching.ParticipantID `json:"participant"`
	// Case is the new case; empty in a dry run.
	Case coaching.CaseID `json:"case"`
}

// RowProblem is one problem of one row. A row with problems is not
// enrolled. Messages never repeat the cell's value.
type RowProblem struct {
	// Line is the physical line the row starts on (the header is line 1;
	// line breaks in quoted fields count).
	Line int `json:"line"`
	// Column is the column's documented name, or "" for a problem of the
	// whole row (e.g. a wrong number of fields).
	Column string `json:"column,omitempty"`
	// Message says what is wrong, in plain English.
	Message string `json:"message"`
}

// String formats the problem as "line 4, email: not a valid e-mail address".
func (p RowProblem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("line %d, %s: %s", p.Line, p.Column, p.Message)
}

// Report is the outcome of an [Import].
type Report struct {
	// Enrolled lists the enrolled rows in file order.
	Enrolled []Enrolled `json:"enrolled"`
	// Problems lists every problem of every row not enrolled, in file
	// order (by line, then in the order of the documented columns).
	Problems []RowProblem `json:"problems"`
	// Rows is how many data rows the file has, not counting the header
	// and rows whose fields are all empty.
	Rows int `json:"rows"`
	// Updated lists the rows whose participant's contact details a
	// re-import ([Options.Update]) changed, in file order.
	Updated []Updated `json:"updated,omitempty"`
	// Conflicts lists the contact details a re-import kept because they
	// were changed in valmennus after the SIS record, in file order.
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// Encoding is the encoding the file was read in: [EncodingUTF8],
	// [EncodingUTF8BOM] or [EncodingWindows1252].
	Encoding string `json:"encoding"`
	// DryRun is set when the import was a dry run ([Options.DryRun]):
	// the report says what the import would do, and nothing was written.
	DryRun bool `json:"dry_run,omitempty"`
	// Missing lists, for a full export ([Options.FullExport]), the
	// organisation's imported students with an open case of the model
	// whom the file does not list, by external id. They are reported
	// only. A row whose external id cannot be read (not valid CSV, or
	// without the value) lists no one, so its student may be among them.
	Missing []Missing `json:"missing,omitempty"`
}

// Missing is a student a full export does not list.
type Missing struct {
	// ExternalID is the student's id in the SIS, as last imported.
	ExternalID string `json:"external_id"`
	// Participant is the participant ([ParticipantID]).
	Participant coaching.ParticipantID `json:"participant"`
	// Cases are the participant's open cases of the model.
	Cases []coaching.CaseID `json:"cases"`
}

// ParticipantID returns the id an import gives the participant of a row:
// "sis:<organisation>:<external_id>". A host maps its own student to a
// participant with it (or through [coaching.Participant.ExternalIDs]).
func ParticipantID(org coaching.OrganisationID, externalID string) coaching.ParticipantID {
	return coaching.ParticipantID("sis:" + string(org) + ":" + externalID)
}

// Import reads a CSV export of students (see the package documentation
// for the format) and enrols the good rows into opts.Model on behalf of
// actor.
//
// Problems with rows are listed in the report and do not make an error.
// The error is for what stops the whole import: invalid options, a
// forbidden actor (a *[coaching.ForbiddenError], checked before the input
// is read), unreadable input, a bad header, too many rows (a
// *[coaching.ValidationError], matching [coaching.ErrInvalid]), a
// cancelled ctx, or a store failure. Once enrolment has begun, the report
// is returned along with such an error: without Strict it lists the rows
// enrolled before the import stopped, which stay enrolled; with Strict
// nothing was enrolled.
//
// ctx is checked while reading and before every transaction; cancelling it
// stops the import (without Strict, rows already committed stay
// enrolled). Import never panics on any input.
func Import(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, r io.Reader, opts Options) (*Report, error) {
	if eng == nil {
		return nil, errors.New("sis: Import: the engine is nil")
	}
	if r == nil {
		return nil, errors.New("sis: Import: the reader is nil")
	}
	if err := opts.check(eng); err != nil {
		return nil, err
	}
	if opts.Update && opts.Organisation != actor.Organisation {
		// ChangeParticipant addresses the actor's organisation's
		// participants: participant ids are scoped per organisation.
		return nil, &coaching.ValidationError{Subject: "SIS import options", Problems: []coaching.FieldProblem{{Field: "organisation",
			Message: "an update changes participants of the importing actor's own organisation only (participant ids are scoped per organisation)"}}}
	}
	if opts.FullExport && opts.Organisation != actor.Organisation {
		return nil, &coaching.ValidationError{Subject: "SIS import options", Problems: []coaching.FieldProblem{{Field: "organisation",
			Message: "a full export lists the students of the importing actor's own organisation only"}}}
	}
	if opts.MaxRows == 0 {
		opts.MaxRows = DefaultMaxRows
	}
	if err := authorize(ctx, eng, actor, opts); err != nil {
		return nil, err
	}
	var students *coaching.FigureSource
	if opts.FullExport {
		var err error
		if students, err = eng.Figures(ctx, actor, coaching.CaseQuery{Organisation: opts.Organisation, Model: opts.Model, OpenOnly: true}); err != nil {
			return nil, err
		}
	}
	p, err := parse(ctx, r, parseOptions{org: opts.Organisation, today: coaching.DateOf(eng.Clock().Now()), maxRows: opts.MaxRows, aliases: opts.Aliases})
	if err != nil {
		return nil, err
	}
	rep := &Report{Rows: p.rows, Problems: p.problems, Encoding: p.encoding, DryRun: opts.DryRun}
	if students != nil {
		// Read before anything is enrolled: a student the file adds is
		// not missing.
		if rep.Missing, err = missing(ctx, students, opts.Organisation, p.present); err != nil {
			return nil, err
		}
	}
	if opts.Strict {
		err = enrolAll(ctx, eng, actor, opts, p.good, rep)
	} else {
		err = enrolEach(ctx, eng, actor, opts, p.good, rep)
	}
	slices.SortStableFunc(rep.Problems, func(a, b RowProblem) int { return cmp.Compare(a.Line, b.Line) })
	return rep, err
}

// check validates the options.
func (o Options) check(eng *coaching.Engine) error {
	var probs []coaching.FieldProblem
	if _, ok := eng.Model(o.Model); !ok {
		probs = append(probs, coaching.FieldProblem{Field: "model", Message: fmt.Sprintf("the engine has no model %q", o.Model)})
	}
	probs = append(probs, coaching.TextProblems("organisation", string(o.Organisation), 200, false)...)
	if strings.Contains(string(o.Organisation), ":") {
		probs = append(probs, coaching.FieldProblem{Field: "organisation", Message: "must not contain ':' (it separates the parts of a participant id)"})
	}
	if o.MaxRows < 0 {
		probs = append(probs, coaching.FieldProblem{Field: "max_rows", Message: "must not be negative"})
	}
	for alias, col := range o.Aliases {
		field := "aliases." + displayName(alias)
		switch {
		case normalizeHeader(alias) == "":
			probs = append(probs, coaching.FieldProblem{Field: field, Message: "has no letters or digits"})
		case col != Ignore && !slices.Contains(columns, col):
			probs = append(probs, coaching.FieldProblem{Field: field, Message: fmt.Sprintf("names no documented column (%q); use one of Columns() or sis.Ignore", col)})
		}
	}
	if o.Update && o.Strict {
		probs = append(probs, coaching.FieldProblem{Field: "update", Message: "cannot be combined with strict: updates run row by row"})
	}
	if len(probs) > 0 {
		return &coaching.ValidationError{Subject: "SIS import options", Problems: probs}
	}
	return nil
}

// authorize checks, before anything is read, what the engine checks on
// every enrolment: the actor holds one of the model's opener roles and
// the policy lets them enrol in the organisation. A policy denial is
// written to the access log by the engine.
func authorize(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, opts Options) error {
	return eng.Read(ctx, actor, func(s *coaching.Scope) error { return s.MayEnrol(opts.Model, opts.Organisation) })
}

// enrolRow enrols one row and stores its record, inside tx.
func enrolRow(ctx context.Context, eng *coaching.Engine, tx coaching.Tx, actor coaching.Actor, opts Options, r row) (coaching.CaseID, error) {
	p := coaching.EnrolParams{Model: opts.Model, Participant: r.participant, Team: opts.Team,
		Reason: fmt.Sprintf("SIS import, line %d", r.line)}
	if r.record != (EnrolmentRecord{}) {
		// Stored with the opening, by the importer: the enrolment is all
		// the permission it needs, so an importer who is not on the new
		// case's team still writes it, under their own name.
		p.Records = []coaching.RecordInput{{Name: RecordName, Payload: r.record}}
	}
	c, err := eng.In(tx).Enrol(ctx, actor, p)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// enrolEach enrols every row in a transaction of its own (with
// opts.Update, updates the rows already enrolled instead).
func enrolEach(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, opts Options, rows []row, rep *Report) error {
	known, err := enrolledAlready(ctx, eng, actor, opts, rows)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		if known[r.participant.ID] {
			if err := update(ctx, eng, actor, opts, r, rep); err != nil {
				return fmt.Errorf("sis: updating line %d: %w", r.line, err)
			}
			continue
		}
		var id coaching.CaseID
		err := eng.Write(ctx, actor, func(s *coaching.Scope) error {
			var err error
			id, err = enrolRow(ctx, eng, s.Tx(), actor, opts, r)
			if err == nil && opts.DryRun {
				id, err = "", errDryRun
			}
			return err
		})
		if errors.Is(err, errDryRun) {
			err = nil
		}
		if err != nil {
			if probs, ok := rowProblems(r, err); ok {
				rep.Problems = append(rep.Problems, probs...)
				continue
			}
			return fmt.Errorf("sis: enrolling line %d: %w", r.line, err)
		}
		rep.Enrolled = append(rep.Enrolled, Enrolled{Line: r.line, ExternalID: r.externalID, Participant: r.participant.ID, Case: id})
	}
	return nil
}

// enrolAll enrols every row in one transaction, if no row has a problem
// and none is enrolled already.
func enrolAll(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, opts Options, rows []row, rep *Report) error {
	if len(rep.Problems) > 0 || len(rows) == 0 {
		return nil
	}
	// Find every row already enrolled before writing anything, so the
	// report lists them all (the transaction would stop at the first).
	// Only existence is read.
	known, err := enrolled(ctx, eng, actor, opts.Organisation, rows)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if known[r.participant.ID] {
			rep.Problems = append(rep.Problems, alreadyEnrolled(r.line))
		}
	}
	if len(rep.Problems) > 0 {
		return nil
	}
	var enrolled []Enrolled
	failed := -1
	err = eng.Write(ctx, actor, func(s *coaching.Scope) error {
		enrolled, failed = enrolled[:0], -1
		for i, r := range rows {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			id, err := enrolRow(ctx, eng, s.Tx(), actor, opts, r)
			if err != nil {
				failed = i
				return err
			}
			if opts.DryRun {
				id = ""
			}
			enrolled = append(enrolled, Enrolled{Line: r.line, ExternalID: r.externalID, Participant: r.participant.ID, Case: id})
		}
		if opts.DryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if err != nil {
		if failed >= 0 {
			if probs, ok := rowProblems(rows[failed], err); ok {
				rep.Problems = append(rep.Problems, probs...)
				return nil
			}
			return fmt.Errorf("sis: enrolling line %d: %w", rows[failed].line, err)
		}
		return fmt.Errorf("sis: enrolling: %w", err)
	}
	rep.Enrolled = enrolled
	return nil
}

// missing lists the students of the organisation an import made
// (participant ids "sis:<org>:<external id>") with a case in students
// whose external id the file does not hold, by external id.
func missing(ctx context.Context, students *coaching.FigureSource, org coaching.OrganisationID, present map[string]bool) ([]Missing, error) {
	prefix := string(ParticipantID(org, ""))
	byID := map[coaching.ParticipantID]*Missing{}
	for row, err := range students.Rows(ctx) {
		if err != nil {
			return nil, fmt.Errorf("sis: listing the organisation's students: %w", err)
		}
		c := row.Case
		ext, ok := strings.CutPrefix(string(c.ParticipantID), prefix)
		if !ok || present[ext] {
			continue
		}
		m := byID[c.ParticipantID]
		if m == nil {
			m = &Missing{ExternalID: ext, Participant: c.ParticipantID}
			byID[c.ParticipantID] = m
		}
		m.Cases = append(m.Cases, c.ID)
	}
	out := make([]Missing, 0, len(byID))
	for _, m := range byID {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Missing) int { return cmp.Compare(a.ExternalID, b.ExternalID) })
	return out, nil
}

func alreadyEnrolled(line int) RowProblem {
	return RowProblem{Line: line, Column: colExternalID, Message: "already enrolled"}
}

// rowProblems turns an enrolment error that concerns the row alone into
// row problems; ok is false for errors that stop the import.
func rowProblems(r row, err error) ([]RowProblem, bool) {
	if errors.Is(err, coaching.ErrDuplicate) {
		return []RowProblem{alreadyEnrolled(r.line)}, true
	}
	var ve *coaching.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		return nil, false
	}
	var out []RowProblem
	for _, fp := range ve.Problems {
		field, ok := strings.CutPrefix(fp.Field, "participant.")
		if !ok {
			return nil, false // the team or the model: every row would fail
		}
		out = append(out, RowProblem{Line: r.line, Column: columnOf(field, r.guardianOf), Message: fp.Message})
	}
	return out, true
}
