package outcomes

import (
	"errors"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

// ErrEmptyCohort is returned where a figure would divide by zero: a report
// over no cases has no percentages.
var ErrEmptyCohort = errors.New("outcomes: empty cohort: no percentages")

// Input is one case with the facts the figures need. Aggregators read it and
// never keep it (nor any slice inside it), so a caller may reuse one Input
// for every case. Every fact may be missing; a missing fact is counted in an
// explicit "unknown" row.
type Input struct {
	Case        coaching.Case
	Participant coaching.Participant
	// Destination is where the participant went after the period (the
	// record of the closing event); nil when not known (yet).
	Destination *pathway.Destination
	// EntryDate is the date of entry into the operation, for ages at
	// entry; zero means the Helsinki civil date of Case.OpenedAt.
	EntryDate coaching.Date

	// UponLeaving is the status that counts for the ESF 28-day "upon
	// leaving" checkpoint: the last one observed in the window (see
	// pathway.Evaluate); Unknown when not found.
	UponLeaving pathway.Kind
	// SixMonths is the status that counts six months after leaving.
	SixMonths pathway.Kind
	// Left says whether the participant has left the operation; nil means
	// "closed case, or a destination is recorded".
	Left *bool

	// QualificationGained: gained a qualification upon leaving (CR03, EECR03).
	QualificationGained *bool
	// ImprovedSituation: improved labour-market situation six months after
	// leaving, for participants employed at entry (CR07, EECR06).
	ImprovedSituation *bool
	// Disadvantaged: "other disadvantaged" under the national definition
	// (CO17). CR05 and CR09 count as disadvantaged everyone in CO15, CO16
	// or CO17, not only these.
	Disadvantaged *bool
	// ThirdCountryNational: not an EU citizen (EECO13); nil means the
	// participant's Background.ThirdCountryNational.
	ThirdCountryNational *bool
	// Minority: belongs to a minority incl. marginalised communities
	// (EECO15); nil means the participant's Background.Minority.
	Minority *bool
}

// tri is a yes/no fact that may be unknown.
type tri uint8

const (
	unknown tri = iota
	no
	yes
)

func triOf(b *bool) tri {
	switch {
	case b == nil:
		return unknown
	case *b:
		return yes
	}
	return no
}

func triIf(b bool) tri {
	if b {
		return yes
	}
	return no
}

// Gender indices of counters.
const (
	gWomen = iota
	gMen
	gNonBinary
	gUnknown
	nGender
)

func genderIndex(g coaching.Gender) int {
	switch g {
	case coaching.GenderFemale:
		return gWomen
	case coaching.GenderMale:
		return gMen
	case coaching.GenderNonBinary:
		return gNonBinary
	}
	return gUnknown
}

// EntryDateOf returns the entry date the figures use for in.
func EntryDateOf(in *Input) coaching.Date {
	if !in.EntryDate.IsZero() {
		return in.EntryDate
	}
	if in.Case.OpenedAt.IsZero() {
		return coaching.Date{}
	}
	return coaching.DateOf(in.Case.OpenedAt)
}

// AgeAtEntry returns the participant's age on the entry date; ok is false
// when the birth date or the entry date is missing or impossible, or the
// age would be negative.
func AgeAtEntry(in *Input) (age int, ok bool) {
	b := in.Participant.BirthDate
	e := EntryDateOf(in)
	if !b.Valid() || !e.Valid() || e.Before(b) {
		return 0, false
	}
	return b.AgeOn(e), true
}

// unemployedMonths returns the length of unemployment at entry: 0 when the
// participant was known not to be unemployed at entry (whatever months are
// recorded: the months are of a continuous unemployment at entry), else the
// recorded months.
func unemployedMonths(bg *coaching.Background) (int, bool) {
	switch bg.LabourStatus {
	case coaching.LabourEmployed, coaching.LabourInactive, coaching.LabourInEducation:
		return 0, true
	}
	if m := bg.UnemployedMonths; m != nil && *m >= 0 {
		return *m, true
	}
	return 0, false
}

// LongTermUnemployed applies the ESF rule by age at entry: under 25, more
// than 6 continuous months; from 25, more than 12.
func LongTermUnemployed(ageAtEntry, months int) bool {
	if ageAtEntry < 25 {
		return months > 6
	}
	return months > 12
}

func left(in *Input) bool {
	if in.Left != nil {
		return *in.Left
	}
	return in.Case.Closed() || in.Destination != nil
}
