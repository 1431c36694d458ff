package outcomes

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

// FactsStreamer is the figures port: an optional capability of a
// coaching.Store that streams, for each case, only the facts the figures
// read — the case's columns, its opening and closing instants, its records
// and its participant's birth date and background — instead of whole
// cases and participants. [FromStore] detects it with a type assertion
// (as it detects coaching.CaseStreamer) and falls back to the stores'
// other reads when it is missing; the figures are the same either way.
//
// The SQL adapters implement it with one narrow SELECT; the memory store
// does not need it (its cases are decoded already).
type FactsStreamer interface {
	// CaseFacts streams the facts of the cases matching q, in no
	// particular order (q.AfterID still filters: only ids after it). The
	// *CaseFacts and every byte slice it holds are reused: they are valid
	// only until the next iteration. Iteration stops at the first error,
	// yielded with a nil row.
	CaseFacts(ctx context.Context, q coaching.CaseQuery) iter.Seq2[*CaseFacts, error]
}

// CaseFacts is one case's facts as a store keeps them. The JSON fields
// hold the encoding/json forms of the coaching types (what the SQL stores
// keep in their JSON columns); [FromStore] decodes them with the same rules
// as the whole case and participant.
//
// A store gives the case's instants either as values (OpenedAt, ClosedAt)
// or as the case's JSON document (Case); the figures' records as the data
// of the latest of each (Destination, UponLeaving, SixMonths), as a JSON
// array of records (Records) or in the case's document; and
// the participant's facts either as values (BirthDate, Background) or as
// the participant's JSON document (Participant): a document, when set, is
// read instead of the values (only its opened_at, closed_at and records,
// or birth_date and background members are read).
type CaseFacts struct {
	ID            coaching.CaseID
	ParticipantID coaching.ParticipantID
	Organisation  coaching.OrganisationID
	Model         string
	State         string

	OpenedAt time.Time
	// ClosedAt is zero while the case is open.
	ClosedAt time.Time
	// Destination, UponLeaving and SixMonths are the data of the case's
	// latest pathway.RecordDestination, pathway.RecordUponLeaving and
	// pathway.RecordSixMonths record: nil when the case has none, and a
	// record without data is an empty slice or JSON null (either decodes
	// as missing). They are read when neither Records nor Case is set —
	// what a store that keeps records beside the case row gives.
	Destination, UponLeaving, SixMonths []byte
	// Records is the JSON array of the case's records
	// ([]coaching.Record); nil when there are none or they are given
	// otherwise. Only the members name and data of each record are read,
	// and only the latest record of each of the three names counts.
	Records []byte
	// Case, when not nil, is the case's JSON document (coaching.Case's
	// encoding; the members with columns of their own may be missing).
	Case []byte

	// HasParticipant reports whether the case's participant is stored; the
	// participant fields are ignored when it is false.
	HasParticipant bool
	// BirthDate is the JSON value of the participant's birth_date (a
	// "YYYY-MM-DD" string, or nil when missing).
	BirthDate []byte
	// Background is the JSON object of the participant's background
	// (coaching.Background), or nil when missing.
	Background []byte
	// Participant, when not nil, is the participant's JSON document
	// (coaching.Participant's encoding).
	Participant []byte
}

// factsFiller turns CaseFacts into an Input, reusing its memory.
type factsFiller struct {
	r storeResolver
	// intern shares the short codes of backgrounds (gender, levels,
	// statuses) between cases (an Interner, made on first use).
	intern func([]byte) string
	// backgrounds are the backgrounds decoded so far, by their JSON: a
	// cohort repeats a few hundred combinations of facts, so most cases
	// take theirs from here instead of reading the JSON again.
	backgrounds map[string]*decodedBackground
}

// decodedBackground is a background and the values its pointers point to.
type decodedBackground struct {
	bg       coaching.Background
	months   int
	foreign  bool
	disab    bool
	third    bool
	minority bool
}

// maxBackgrounds bounds factsFiller.backgrounds; beyond it a background is
// decoded for each case that has it.
const maxBackgrounds = 4096

// fill sets in from f: Case holds f's columns and instants (no version,
// history, team, records or flags: no figure reads them) and Participant the participant's id, birth
// date and background; the destination and follow-up statuses are
// resolved from the records exactly as [StoreResolver] resolves them.
func (x *factsFiller) fill(f *CaseFacts, in *Input) error {
	*in = Input{Case: coaching.Case{ID: f.ID, ParticipantID: f.ParticipantID, Organisation: f.Organisation,
		Model: f.Model, State: f.State, OpenedAt: f.OpenedAt, ClosedAt: f.ClosedAt}}
	records := f.Records
	if f.Case != nil {
		var opened, closed []byte
		var err error
		opened, closed, records, err = caseMembers(f.Case)
		if err != nil {
			return fmt.Errorf("outcomes: case %q: %w", f.ID, err)
		}
		in.Case.OpenedAt, in.Case.ClosedAt = time.Time{}, time.Time{}
		if err := unmarshalTime(opened, &in.Case.OpenedAt); err != nil {
			return fmt.Errorf("outcomes: case %q: opened_at: %w", f.ID, err)
		}
		if err := unmarshalTime(closed, &in.Case.ClosedAt); err != nil {
			return fmt.Errorf("outcomes: case %q: closed_at: %w", f.ID, err)
		}
	}
	dest, upon, six := f.Destination, f.UponLeaving, f.SixMonths
	if records != nil {
		var err error
		if dest, upon, six, err = latestRecords(records); err != nil {
			return fmt.Errorf("outcomes: case %q: records: %w", f.ID, err)
		}
	}
	if f.HasParticipant {
		p := &in.Participant
		p.ID = f.ParticipantID
		birth, bg := f.BirthDate, f.Background
		if f.Participant != nil {
			var err error
			if birth, bg, err = participantMembers(f.Participant); err != nil {
				return fmt.Errorf("outcomes: participant %q: %w", f.ParticipantID, err)
			}
		}
		if err := unmarshalDate(birth, &p.BirthDate); err != nil {
			return fmt.Errorf("outcomes: participant %q: birth_date: %w", f.ParticipantID, err)
		}
		if err := x.background(bg, &p.Background); err != nil {
			return fmt.Errorf("outcomes: participant %q: background: %w", f.ParticipantID, err)
		}
	}
	x.r.records(in, dest, upon, upon != nil, six, six != nil)
	return nil
}

// background decodes a background object. The form encoding/json writes
// (plain strings, an integer, booleans, in any order and spacing) is read
// without encoding/json, once per distinct document: the pointers point
// into x's memory, which sinks must not change or keep; anything else —
// a key the fast reader does not know among them, so that a fact added to
// coaching.Background and not yet taught to it is decoded, not dropped —
// goes through encoding/json.
func (x *factsFiller) background(b []byte, bg *coaching.Background) error {
	*bg = coaching.Background{}
	if b == nil {
		return nil
	}
	if d, ok := x.backgrounds[string(b)]; ok {
		*bg = d.bg
		return nil
	}
	if x.intern == nil {
		x.intern = Interner()
	}
	d := new(decodedBackground)
	if !x.fastBackground(b, d) {
		if err := json.Unmarshal(b, bg); err != nil {
			return err
		}
		return nil
	}
	if x.backgrounds == nil {
		x.backgrounds = map[string]*decodedBackground{}
	}
	if len(x.backgrounds) < maxBackgrounds {
		x.backgrounds[string(b)] = d
	}
	*bg = d.bg
	return nil
}

func (x *factsFiller) fastBackground(b []byte, d *decodedBackground) bool {
	ok := true
	bg := &d.bg
	err := eachMember(b, func(key, val []byte) bool {
		switch {
		case string(key) == "gender":
			s, good := plainString(val)
			bg.Gender, ok = coaching.Gender(x.intern(s)), good
		case string(key) == "education_level":
			s, good := plainString(val)
			bg.EducationLevel, ok = coaching.EducationLevel(x.intern(s)), good
		case string(key) == "labour_status":
			s, good := plainString(val)
			bg.LabourStatus, ok = coaching.LabourStatus(x.intern(s)), good
		case string(key) == "unemployed_months":
			if bg.UnemployedMonths = nil; string(val) != "null" {
				d.months, ok = plainInt(val)
				bg.UnemployedMonths = &d.months
			}
		case string(key) == "foreign_background":
			ok = optionalBool(val, &d.foreign, &bg.ForeignBackground)
		case string(key) == "disability":
			ok = optionalBool(val, &d.disab, &bg.Disability)
		case string(key) == "third_country_national":
			ok = optionalBool(val, &d.third, &bg.ThirdCountryNational)
		case string(key) == "minority":
			ok = optionalBool(val, &d.minority, &bg.Minority)
		default:
			// A key in another case, or one this reader does not know:
			// encoding/json decides (it matches keys case-insensitively
			// and knows every field).
			ok = false
		}
		return ok
	})
	return err == nil && ok
}

// optionalBool reads a plain JSON boolean or null into *field as
// encoding/json does (null makes it nil, whatever an earlier repeat of the
// key said), keeping the value in *v; false when val is neither.
func optionalBool(val []byte, v *bool, field **bool) bool {
	if *field = nil; string(val) == "null" {
		return true
	}
	b, ok := plainBool(val)
	*v, *field = b, v
	return ok
}

// recordData returns the data of the latest record called name, and
// whether there is one.
func recordData(c *coaching.Case, name string) ([]byte, bool) {
	rec, ok := c.Record(name)
	return rec.Data, ok
}

// unmarshalTime decodes a JSON instant as encoding/json does; nil leaves
// t as it is.
func unmarshalTime(b []byte, t *time.Time) error {
	if b == nil {
		return nil
	}
	return t.UnmarshalJSON(b)
}

// unmarshalDate decodes a JSON date as encoding/json does; nil and null
// leave d as it is.
func unmarshalDate(b []byte, d *coaching.Date) error {
	if b == nil || string(b) == "null" {
		return nil
	}
	if s, ok := plainString(b); ok {
		if v, ok := parseISODate(s); ok {
			*d = v // what coaching.ParseDate returns, without allocating
			return nil
		}
		return d.UnmarshalText(s)
	}
	return json.Unmarshal(b, d)
}

// pickMembers sets vals[i] to the raw member names[i] of the object doc
// (the last one; nil when missing). It reports false when doc is not in
// the plain form — a key only encoding/json would match (escaped, or in
// another case), or malformed JSON — and then the caller lets
// encoding/json decide.
func pickMembers(doc []byte, names []string, vals [][]byte) bool {
	plain := true
	err := eachMember(doc, func(key, val []byte) bool {
		for i, n := range names {
			if string(key) == n {
				vals[i] = val
				return true
			}
		}
		plain = !foldsTo(key, names...)
		return plain
	})
	return err == nil && plain
}

var (
	caseNames        = []string{"opened_at", "closed_at", "records"}
	participantNames = []string{"birth_date", "background"}
	recordNames      = []string{"name", "data"}
)

// caseMembers returns the raw opened_at, closed_at and records members of
// a case document (nil when missing or, for records, null).
func caseMembers(doc []byte) (opened, closed, records []byte, err error) {
	var v [3][]byte
	if !pickMembers(doc, caseNames, v[:]) {
		var w struct {
			OpenedAt json.RawMessage `json:"opened_at"`
			ClosedAt json.RawMessage `json:"closed_at"`
			Records  json.RawMessage `json:"records"`
		}
		if err := json.Unmarshal(doc, &w); err != nil {
			return nil, nil, nil, err
		}
		v = [3][]byte{w.OpenedAt, w.ClosedAt, w.Records}
	}
	if string(v[2]) == "null" {
		v[2] = nil
	}
	return v[0], v[1], v[2], nil
}

// participantMembers returns the raw birth_date and background members of
// a participant document (nil when missing or, for background, null).
func participantMembers(doc []byte) (birth, bg []byte, err error) {
	var v [2][]byte
	if !pickMembers(doc, participantNames, v[:]) {
		var w struct {
			BirthDate  json.RawMessage `json:"birth_date"`
			Background json.RawMessage `json:"background"`
		}
		if err := json.Unmarshal(doc, &w); err != nil {
			return nil, nil, err
		}
		v = [2][]byte{w.BirthDate, w.Background}
	}
	if string(v[1]) == "null" {
		v[1] = nil
	}
	return v[0], v[1], nil
}

// latestRecords returns the data of the latest destination, upon-leaving
// and six-month records in a JSON array of records; nil for a name with no
// record, and a record with no data gives an empty (non-nil) slice, which
// decodes as missing.
func latestRecords(arr []byte) (dest, upon, six []byte, err error) {
	var got [3][]byte
	set := func(name, data []byte) {
		if data == nil {
			data = []byte{}
		}
		switch string(name) {
		case pathway.RecordDestination:
			got[0] = data
		case pathway.RecordUponLeaving:
			got[1] = data
		case pathway.RecordSixMonths:
			got[2] = data
		}
	}
	plain := true
	err = eachElement(arr, func(el []byte) bool {
		var v [2][]byte
		if !pickMembers(el, recordNames, v[:]) {
			plain = false
			return false
		}
		if v[0] == nil {
			return true // no name: not a record the figures read
		}
		name, ok := plainString(v[0])
		if plain = ok; ok {
			set(name, v[1])
		}
		return plain
	})
	if err == nil && plain {
		return got[0], got[1], got[2], nil
	}
	got = [3][]byte{}
	var recs []struct {
		Name string          `json:"name"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(arr, &recs); err != nil {
		return nil, nil, nil, err
	}
	for _, r := range recs {
		set([]byte(r.Name), r.Data)
	}
	return got[0], got[1], got[2], nil
}

// Interner returns a function that turns b into a string, returning the
// same string for the same bytes: a FactsStreamer's rows repeat a few
// organisations, models and states a million times, and sharing them
// saves an allocation per column per row. It remembers at most 1 024
// distinct values (beyond them it allocates as string(b) would). Not safe
// for concurrent use: one per stream.
func Interner() func(b []byte) string {
	names := map[string]string{}
	return func(b []byte) string {
		if s, ok := names[string(b)]; ok {
			return s
		}
		s := string(b)
		if len(names) < 1024 {
			names[s] = s
		}
		return s
	}
}
