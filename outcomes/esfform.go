package outcomes

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

// ESF+ participant forms (EURA 2021): the data behind the EECO and EECR
// indicators, one row per participant, for the funder's participant forms
// at entry ("aloitustiedot") and at exit ("lopetustiedot"), and a
// completeness report of the facts still unknown.
//
// The rows are derived from the same facts as [ESFAggregator]'s
// indicators, so a column and the indicator it feeds never disagree.

// FormColumn is one column of the ESF+ participant form: Key is the
// library's stable name for the value (the JSON member name, and what
// [FormOptions.Columns] refers to), Codes the indicators it feeds, Finnish
// and English the form's labels. Exit columns are filled for participants
// who left only.
type FormColumn struct {
	Key     string `json:"key"`
	Codes   string `json:"codes,omitempty"`
	Finnish string `json:"fi"`
	English string `json:"en"`
	Exit    bool   `json:"exit,omitempty"`
}

// Label returns the column's label in lang (Finnish unless English).
func (c FormColumn) Label(lang coaching.Language) string {
	if lang == coaching.English && c.English != "" {
		return c.English
	}
	return c.Finnish
}

// DefaultFormColumns returns the columns the export writes unless
// [FormOptions.Columns] says otherwise, in order: the entry data, then the
// exit data.
//
// The labels are written as a Finnish ESF+ form words them, but the EURA
// 2021 system's own column names were not available when this table was
// written: check them against the funder's current participant form (the
// rakennerahastot.fi material bank) and override labels, order or the set
// of columns with [FormOptions.Columns] where they differ. The keys and
// the values stay as documented here.
//
// Values (the same in CSV and JSON; CSV writes an unknown value as an
// empty cell, JSON as null):
//   - participant: the student information system's id for the person
//     (Participant.ExternalIDs["sis"]), else the library's participant id.
//     Never the identity code.
//   - dates: ISO 8601 (2024-09-02), which Excel reads as a date.
//   - gender: female, male, non_binary (coaching.Gender).
//   - labour_status: unemployed, employed, inactive, in_education
//     (coaching.LabourStatus; in_education counts as inactive, EECO04).
//   - isced: the band the education level counts in: 0-2, 3-4 or 5-8.
//   - yes/no facts: 1 or 0 in CSV, true or false in JSON.
//   - destination: a pathway.Kind code.
//   - status_upon_leaving, status_six_months: what the status counts as
//     in the result indicators: job_searching, education, employment,
//     education+employment (an apprenticeship) or none (outside the labour
//     force); unknown when the status is not recorded or does not say (a
//     redirect, another service).
//   - improved_situation is asked of participants employed at entry only
//     (EECR06); for others it is empty.
//
// Homelessness and living in a rural area (EECO16–EECO19) are not held by
// the library and have no column.
func DefaultFormColumns() []FormColumn {
	out := make([]FormColumn, len(formFields))
	for i, f := range formFields {
		out[i] = f.col
	}
	return out
}

// formField is a column and how its value is derived.
type formField struct {
	col   FormColumn
	value func(r *formRow) any // nil: unknown or not applicable
}

var formFields = []formField{
	{FormColumn{Key: "participant", Finnish: "Osallistujan tunniste", English: "Participant identifier"},
		func(r *formRow) any { return r.id }},
	{FormColumn{Key: "entry_date", Finnish: "Osallistumisen alkamispäivä", English: "Date of entry"},
		func(r *formRow) any { return dateValue(r.entry) }},
	{FormColumn{Key: "birth_date", Codes: "EECO06–EECO08", Finnish: "Osallistujan syntymäaika", English: "Date of birth"},
		func(r *formRow) any { return dateValue(r.birth) }},
	{FormColumn{Key: "age_at_entry", Codes: "EECO06–EECO08", Finnish: "Ikä aloitettaessa", English: "Age at entry"},
		func(r *formRow) any { return ifKnown(r.f.ageOK, r.f.age) }},
	{FormColumn{Key: "gender", Codes: "EECO01", Finnish: "Sukupuoli", English: "Gender"},
		func(r *formRow) any { return ifKnown(r.gender != coaching.GenderUnknown, string(r.gender)) }},
	{FormColumn{Key: "labour_status", Codes: "EECO02, EECO04, EECO05", Finnish: "Työmarkkina-asema aloitettaessa", English: "Labour market status at entry"},
		func(r *formRow) any { return ifKnown(r.f.labour != coaching.LabourUnknown, string(r.f.labour)) }},
	{FormColumn{Key: "unemployed_months", Codes: "EECO03", Finnish: "Työttömyyden kesto aloitettaessa (kk)", English: "Duration of unemployment at entry (months)"},
		func(r *formRow) any { return ifKnown(r.f.monthsOK, r.f.months) }},
	{FormColumn{Key: "long_term_unemployed", Codes: "EECO03", Finnish: "Pitkäaikaistyötön", English: "Long-term unemployed"},
		func(r *formRow) any { return triValue(r.f.ltu()) }},
	{FormColumn{Key: "isced", Codes: "EECO09–EECO11", Finnish: "Koulutustaso (ISCED)", English: "Educational attainment (ISCED)"},
		func(r *formRow) any { return iscedBand(&r.f) }},
	{FormColumn{Key: "disability", Codes: "EECO12", Finnish: "Vammainen henkilö", English: "Participant with a disability"},
		func(r *formRow) any { return triValue(r.f.disability) }},
	{FormColumn{Key: "third_country_national", Codes: "EECO13", Finnish: "Kolmannen maan kansalainen", English: "Third-country national"},
		func(r *formRow) any { return triValue(r.f.thirdCountr) }},
	{FormColumn{Key: "foreign_background", Codes: "EECO14", Finnish: "Ulkomaalaistaustainen", English: "Participant with a foreign background"},
		func(r *formRow) any { return triValue(r.f.foreign) }},
	{FormColumn{Key: "minority", Codes: "EECO15", Finnish: "Vähemmistöön kuuluva (myös romanit)", English: "Minority (including marginalised communities such as the Roma)"},
		func(r *formRow) any { return triValue(r.f.minority) }},
	{FormColumn{Key: "exit_date", Exit: true, Finnish: "Osallistumisen päättymispäivä", English: "Date of exit"},
		func(r *formRow) any { return dateValue(r.exit) }},
	{FormColumn{Key: "destination", Exit: true, Finnish: "Sijoittuminen osallistumisen jälkeen", English: "Destination after leaving"},
		func(r *formRow) any { return ifKnown(r.dest != pathway.Unknown, string(r.dest)) }},
	{FormColumn{Key: "status_upon_leaving", Codes: "EECR01, EECR02, EECR04", Exit: true, Finnish: "Tilanne osallistumisen päättyessä (4 viikon sisällä)", English: "Status upon leaving (within four weeks)"},
		func(r *formRow) any { return ifKnown(r.f.uponKnown, resultValue(r.f.upon)) }},
	{FormColumn{Key: "qualification_gained", Codes: "EECR03", Exit: true, Finnish: "Suorittanut tutkinnon osallistumisen päättyessä", English: "Gained a qualification upon leaving"},
		func(r *formRow) any { return triValue(r.f.qualified) }},
	{FormColumn{Key: "status_six_months", Codes: "EECR05", Exit: true, Finnish: "Tilanne kuusi kuukautta osallistumisen jälkeen", English: "Status six months after leaving"},
		func(r *formRow) any { return ifKnown(r.f.sixKnown, resultValue(r.f.six)) }},
	{FormColumn{Key: "improved_situation", Codes: "EECR06", Exit: true, Finnish: "Työmarkkinatilanne parantunut kuuden kuukauden kuluessa", English: "Improved labour market situation six months after leaving"},
		func(r *formRow) any {
			if r.f.labour != coaching.LabourEmployed {
				return nil
			}
			return triValue(r.f.improved)
		}},
}

func ifKnown[T any](ok bool, v T) any {
	if !ok {
		return nil
	}
	return v
}

func dateValue(d coaching.Date) any { return ifKnown(!d.IsZero() && d.Valid(), d.String()) }

func triValue(t tri) any { return ifKnown(t != unknown, t == yes) }

func iscedBand(f *facts) any {
	for _, b := range []struct {
		lo, hi int
		band   string
	}{{0, 2, "0-2"}, {3, 4, "3-4"}, {5, 8, "5-8"}} {
		if f.isced(b.lo, b.hi) == yes {
			return b.band
		}
	}
	return nil
}

func resultValue(r result) string {
	var parts []string
	for _, p := range []struct {
		r    result
		name string
	}{{resultJobSearching, "job_searching"}, {resultEducation, "education"}, {resultEmployment, "employment"}} {
		if r&p.r != 0 {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// Fact names a fact the participant form needs, as the completeness
// report names it (the Background or Input field's JSON name).
type Fact string

// The facts the completeness report checks.
const (
	FactBirthDate            Fact = "birth_date"
	FactGender               Fact = "gender"
	FactLabourStatus         Fact = "labour_status"
	FactUnemployedMonths     Fact = "unemployed_months"
	FactEducationLevel       Fact = "education_level"
	FactDisability           Fact = "disability"
	FactThirdCountryNational Fact = "third_country_national"
	FactForeignBackground    Fact = "foreign_background"
	FactMinority             Fact = "minority"
	FactExitDate             Fact = "exit_date"
	FactUponLeaving          Fact = "status_upon_leaving"
	FactQualificationGained  Fact = "qualification_gained"
	FactSixMonths            Fact = "status_six_months"
	FactImprovedSituation    Fact = "improved_situation"
)

// formFacts are the facts in the order the report lists them, and when
// each is needed and known.
var formFacts = []struct {
	fact   Fact
	needed func(r *formRow) bool
	known  func(r *formRow) bool
}{
	{FactBirthDate, always, func(r *formRow) bool { return r.f.ageOK }},
	{FactGender, always, func(r *formRow) bool { return r.gender != coaching.GenderUnknown }},
	{FactLabourStatus, always, func(r *formRow) bool { return r.f.labour != coaching.LabourUnknown }},
	// The months decide long-term unemployment, so they are needed of the
	// unemployed (and of those whose status is unknown).
	{FactUnemployedMonths, func(r *formRow) bool { return r.f.labourIs(coaching.LabourUnemployed) != no },
		func(r *formRow) bool { return r.f.monthsOK }},
	{FactEducationLevel, always, func(r *formRow) bool { return r.f.iscedOK }},
	{FactDisability, always, func(r *formRow) bool { return r.f.disability != unknown }},
	{FactThirdCountryNational, always, func(r *formRow) bool { return r.f.thirdCountr != unknown }},
	{FactForeignBackground, always, func(r *formRow) bool { return r.f.foreign != unknown }},
	{FactMinority, always, func(r *formRow) bool { return r.f.minority != unknown }},
	{FactExitDate, func(r *formRow) bool { return r.f.left }, func(r *formRow) bool { return !r.exit.IsZero() }},
	{FactUponLeaving, func(r *formRow) bool { return r.f.left }, func(r *formRow) bool { return r.f.uponKnown }},
	{FactQualificationGained, func(r *formRow) bool { return r.f.left }, func(r *formRow) bool { return r.f.qualified != unknown }},
	{FactSixMonths, (*formRow).sixMonthsDue, func(r *formRow) bool { return r.f.sixKnown }},
	{FactImprovedSituation, func(r *formRow) bool { return r.sixMonthsDue() && r.f.labour == coaching.LabourEmployed },
		func(r *formRow) bool { return r.f.improved != unknown }},
}

func always(*formRow) bool { return true }

// formRow is one participant's derived data.
type formRow struct {
	caseID      coaching.CaseID
	participant coaching.ParticipantID
	stored      bool // the participant is stored (the figures had them)
	id          string
	f           facts
	gender      coaching.Gender
	entry       coaching.Date
	birth       coaching.Date
	exit        coaching.Date
	dest        pathway.Kind
	today       coaching.Date
}

// sixMonthsDue reports whether the six-month facts are due: the
// participant left and the six-month checkpoint's window (six months and
// 28 days after leaving) has closed.
func (r *formRow) sixMonthsDue() bool {
	if !r.f.left || r.exit.IsZero() {
		return false
	}
	closes := pathway.AddPeriod(r.exit, coaching.Months(6)).AddDays(pathway.UponLeavingDays)
	return closes.Before(r.today)
}

// FormOptions tune [ReadESFForms]. The zero value (or nil) writes
// [DefaultFormColumns] with Finnish labels.
type FormOptions struct {
	// Columns replaces DefaultFormColumns: a host relabels, reorders or
	// omits columns here (keys must be among the defaults').
	Columns []FormColumn
	// Language of the labels: coaching.English, else Finnish.
	Language coaching.Language
	// Include, when set, keeps only the cases it returns true for (e.g.
	// not the applicants an entry assessment declined).
	Include func(in *Input) bool
	// Fill, when set, completes a case's facts the store does not hold
	// (QualificationGained, ImprovedSituation, …) before the row is
	// derived. It must not keep in.
	Fill func(in *Input)
	// Today is the date the six-month facts are judged due against; zero
	// means the engine clock's Helsinki date.
	Today coaching.Date
}

// ESFForms is the participant data of one query, read under the access
// policy by [ReadESFForms]: personal data, to be written out with
// [ESFForms.WriteCSV] or [ESFForms.WriteJSON] and not kept.
type ESFForms struct {
	cols []formField
	lang coaching.Language
	rows []formRow
}

// ErrFormsForFunder is the refusal of a per-participant export to a funder:
// a funder sees figures in aggregate only. It matches coaching.ErrForbidden.
var ErrFormsForFunder = fmt.Errorf("%w: the ESF+ participant forms are personal data; a funder reads the indicators in aggregate", coaching.ErrForbidden)

// ReadESFForms reads the ESF+ participant data of the cases q selects, as
// actor, one row per case (a participation: a participant who enters the
// operation twice is on two rows, as the funder counts entries).
//
// The rows are personal data. A funder (coaching.RoleFunder) is refused
// ([ErrFormsForFunder]) whatever the policy says; otherwise the policy
// must allow actor the organisation's figures (read_figures; q names the
// actor's own organisation or none) and read_participant on every
// participant without a case in view — under the default policy, the
// organisation's head of studies. Identity codes are never read or
// written.
func ReadESFForms(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, q coaching.CaseQuery, opts *FormOptions) (*ESFForms, error) {
	if eng == nil {
		return nil, errors.New("outcomes: no engine")
	}
	if actor.HasRole(coaching.RoleFunder) {
		return nil, ErrFormsForFunder
	}
	if opts == nil {
		opts = &FormOptions{}
	}
	if q.Organisation == "" {
		q.Organisation = actor.Organisation
	}
	if q.Organisation != actor.Organisation {
		return nil, fmt.Errorf("%w: the ESF+ participant forms are read by the organisation's own staff", coaching.ErrForbidden)
	}
	cols, err := formColumns(opts.Columns)
	if err != nil {
		return nil, err
	}
	today := opts.Today
	if today.IsZero() {
		today = coaching.DateOf(eng.Clock().Now())
	}
	out := &ESFForms{cols: cols, lang: opts.Language}
	collect := sinkFunc(func(in *Input) {
		if opts.Include != nil && !opts.Include(in) {
			return
		}
		if opts.Fill != nil {
			opts.Fill(in)
		}
		out.rows = append(out.rows, rowOf(in, today))
	})
	if _, err := FromEngine(ctx, eng, actor, q, collect); err != nil {
		return nil, err
	}
	err = eng.Read(ctx, actor, func(s *coaching.Scope) error {
		for i := range out.rows {
			r := &out.rows[i]
			if !r.stored {
				continue // a case whose participant was never stored: its facts are unknown
			}
			p, err := s.Participant(coaching.OpReadParticipant, r.participant)
			if err != nil {
				return err
			}
			if sis := p.ExternalIDs["sis"]; sis != "" {
				r.id = sis
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sinkFunc is a function as a Sink.
type sinkFunc func(in *Input)

func (f sinkFunc) Add(in *Input) { f(in) }

func rowOf(in *Input, today coaching.Date) formRow {
	r := formRow{caseID: in.Case.ID, participant: in.Case.ParticipantID, id: string(in.Case.ParticipantID), stored: in.Participant.ID != "",
		f: factsOf(in), gender: in.Participant.Background.Gender, entry: EntryDateOf(in),
		birth: in.Participant.BirthDate, today: today}
	switch r.gender {
	case coaching.GenderFemale, coaching.GenderMale, coaching.GenderNonBinary:
	default:
		r.gender = coaching.GenderUnknown
	}
	if !r.f.left {
		return r
	}
	if d := in.Destination; d != nil && d.Kind.Valid() {
		r.dest = d.Kind
	}
	switch {
	case !in.Case.ClosedAt.IsZero():
		r.exit = coaching.DateOf(in.Case.ClosedAt)
	case in.Destination != nil:
		r.exit = in.Destination.Date
	}
	return r
}

// formColumns resolves a host's column table against the derivations.
func formColumns(cols []FormColumn) ([]formField, error) {
	if cols == nil {
		return formFields, nil
	}
	byKey := make(map[string]formField, len(formFields))
	for _, f := range formFields {
		byKey[f.col.Key] = f
	}
	out := make([]formField, 0, len(cols))
	seen := map[string]bool{}
	for _, c := range cols {
		f, ok := byKey[c.Key]
		switch {
		case !ok:
			return nil, fmt.Errorf("outcomes: ESF+ form column %q: no such value (see DefaultFormColumns)", c.Key)
		case seen[c.Key]:
			return nil, fmt.Errorf("outcomes: ESF+ form column %q named twice", c.Key)
		case strings.TrimSpace(c.Finnish) == "":
			return nil, fmt.Errorf("outcomes: ESF+ form column %q: no Finnish label", c.Key)
		}
		seen[c.Key] = true
		c.Exit = f.col.Exit
		out = append(out, formField{col: c, value: f.value})
	}
	return out, nil
}

// Len returns the number of rows.
func (x *ESFForms) Len() int { return len(x.rows) }

// Columns returns the columns written, in order.
func (x *ESFForms) Columns() []FormColumn {
	out := make([]FormColumn, len(x.cols))
	for i, c := range x.cols {
		out[i] = c.col
	}
	return out
}

func (x *ESFForms) value(r *formRow, c *formField) any {
	if c.col.Exit && !r.f.left {
		return nil
	}
	return c.value(r)
}

// WriteCSV writes the rows as CSV for a Finnish spreadsheet: UTF-8 with a
// byte-order mark (so Excel reads it as UTF-8), ';' between fields (','
// is the decimal separator in Finnish, and Finnish Excel splits on ';'),
// CRLF line ends, one header row of labels. A text cell that a spreadsheet
// would read as a formula (starting with =, +, -, @, tab or CR, and not a
// number) is written with a leading apostrophe.
func (x *ESFForms) WriteCSV(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.Comma, cw.UseCRLF = ';', true
	rec := make([]string, len(x.cols))
	for i, c := range x.cols {
		rec[i] = c.col.Label(x.lang)
	}
	// Every cell goes through csvSafe: the participant identifier comes
	// from an external system and a label may come from the caller, and
	// either could start like a formula (=1+2) that Excel would evaluate.
	if err := cw.Write(csvSafe(rec)); err != nil {
		return err
	}
	for i := range x.rows {
		for j := range x.cols {
			rec[j] = csvValue(x.value(&x.rows[i], &x.cols[j]))
		}
		if err := cw.Write(csvSafe(rec)); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func csvValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case bool:
		if v {
			return "1"
		}
		return "0"
	case int:
		return strconv.Itoa(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// WriteJSON writes {"columns": [...], "rows": [{key: value, …}, …]}: the
// columns with their labels and indicator codes, each row an object by
// column key (unknown values null, exit values of those who have not left
// left out).
func (x *ESFForms) WriteJSON(w io.Writer) error {
	type doc struct {
		Columns []FormColumn     `json:"columns"`
		Rows    []map[string]any `json:"rows"`
	}
	d := doc{Columns: x.Columns(), Rows: make([]map[string]any, len(x.rows))}
	for i := range x.rows {
		r := &x.rows[i]
		m := make(map[string]any, len(x.cols))
		for j := range x.cols {
			c := &x.cols[j]
			if c.col.Exit && !r.f.left {
				continue
			}
			m[c.col.Key] = x.value(r, c)
		}
		d.Rows[i] = m
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// Completeness is which participants lack which of the facts the form
// needs, so gaps are fixed before the funder's deadline.
//
// The facts needed: of every participant, the entry facts (birth date,
// gender, labour status, education level, disability, third-country
// nationality, foreign background, minority; the months of unemployment
// of the unemployed and of those whose status is unknown); of those who
// left, the exit facts (exit date, status upon leaving, qualification
// gained); of those who left and whose six-month window has closed (six
// months and 28 days after leaving, by FormOptions.Today), the status six
// months after leaving and, if employed at entry, whether their situation
// improved. A participant who declined to answer (a nil fact) lacks it.
type Completeness struct {
	Participants int `json:"participants"`
	Leavers      int `json:"leavers"`
	// Missing lists, in the export's order, the participants who lack a
	// fact, each with the facts they lack.
	Missing []MissingFacts `json:"missing"`
	// ByFact counts, for each fact the form needs of anyone, how many
	// participants lack it of how many it is needed of.
	ByFact []FactCount `json:"by_fact"`
}

// MissingFacts is one participant's gaps.
type MissingFacts struct {
	// Participant is the identifier the export writes.
	Participant string          `json:"participant"`
	Case        coaching.CaseID `json:"case"`
	Facts       []Fact          `json:"facts"`
}

// FactCount is one fact's gaps across the participants.
type FactCount struct {
	Fact    Fact `json:"fact"`
	Missing int  `json:"missing"`
	Needed  int  `json:"needed"`
}

// Completeness returns the completeness report of the rows.
func (x *ESFForms) Completeness() Completeness {
	c := Completeness{Participants: len(x.rows)}
	counts := make([]FactCount, len(formFacts))
	for i, f := range formFacts {
		counts[i].Fact = f.fact
	}
	for i := range x.rows {
		r := &x.rows[i]
		if r.f.left {
			c.Leavers++
		}
		var lacks []Fact
		for j, f := range formFacts {
			if !f.needed(r) {
				continue
			}
			counts[j].Needed++
			if !f.known(r) {
				counts[j].Missing++
				lacks = append(lacks, f.fact)
			}
		}
		if lacks != nil {
			c.Missing = append(c.Missing, MissingFacts{Participant: r.id, Case: r.caseID, Facts: lacks})
		}
	}
	for _, n := range counts {
		if n.Needed > 0 {
			c.ByFact = append(c.ByFact, n)
		}
	}
	return c
}

// Lacking returns the facts some participant lacks, with their counts.
func (c Completeness) Lacking() []FactCount {
	var out []FactCount
	for _, n := range c.ByFact {
		if n.Missing > 0 {
			out = append(out, n)
		}
	}
	return out
}
