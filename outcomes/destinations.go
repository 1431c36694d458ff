package outcomes

import (
	"slices"
	"strings"

	"github.com/valmennus/valmennus/pathway"
)

// This file declares, once, what each figure built from a destination
// (pathway.Kind) counts. Rows and indicators count through these
// declarations, and the texts that say what they count (labels, notes,
// the includes and destinations fields) are generated from them, so a
// label cannot drift from what is counted.

// groupTitles names the destination groups in generated labels.
var groupTitles = map[pathway.Group]string{
	pathway.GroupStudies:      "studies",
	pathway.GroupWork:         "work",
	pathway.GroupJobSeeking:   "job seeking",
	pathway.GroupUnemployed:   "unemployed",
	pathway.GroupOutside:      "outside the labour force",
	pathway.GroupRedirected:   "redirected to a better-suited field",
	pathway.GroupOtherService: "other service",
	pathway.GroupUnknown:      "unknown",
}

// onwardPath is the VALO table's "positive onward path": the destination
// groups the funder reads in "(studies or work)". The row counts the
// destinations of these groups that the classifier judges positive; its
// label is generated from what it counts.
var onwardPath = []pathway.Group{pathway.GroupStudies, pathway.GroupWork}

// describeKinds names a set of destinations for a label: a group all of
// whose kinds are in the set by the group's name ("studies"), other kinds
// by their titles, in pathway.Kinds order, joined with "or". An empty set
// is "none".
func describeKinds(kinds []pathway.Kind) string {
	var parts []string
	done := map[pathway.Group]bool{}
	for _, k := range pathway.Kinds() {
		if !slices.Contains(kinds, k) {
			continue
		}
		g := k.Group()
		if done[g] {
			continue
		}
		if whole := groupKinds(g); len(whole) > 1 && containsAll(kinds, whole) {
			parts = append(parts, groupTitles[g])
			done[g] = true
			continue
		}
		parts = append(parts, k.Title())
	}
	return joinOr(parts)
}

// listKinds lists the titles of kinds, in pathway.Kinds order, separated
// by commas: the text of a note.
func listKinds(kinds []pathway.Kind) string {
	var parts []string
	for _, k := range pathway.Kinds() {
		if slices.Contains(kinds, k) {
			parts = append(parts, k.Title())
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// kindCodes returns the codes of kinds, in pathway.Kinds order; the
// unknown destination is written "unknown".
func kindCodes(kinds []pathway.Kind) []string {
	var out []string
	for _, k := range pathway.Kinds() {
		if !slices.Contains(kinds, k) {
			continue
		}
		if k == pathway.Unknown {
			out = append(out, "unknown")
			continue
		}
		out = append(out, string(k))
	}
	return out
}

func groupKinds(g pathway.Group) []pathway.Kind {
	var out []pathway.Kind
	for _, k := range pathway.Kinds() {
		if k.Group() == g {
			out = append(out, k)
		}
	}
	return out
}

func containsAll(set, sub []pathway.Kind) bool {
	for _, k := range sub {
		if !slices.Contains(set, k) {
			return false
		}
	}
	return true
}

func joinOr(parts []string) string {
	switch len(parts) {
	case 0:
		return "none"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// result is what a status after leaving counts as in the ESF result
// indicators; one status may count as several (an apprenticeship is both
// employment and training), but never as both job searching and
// employment.
type result uint8

const (
	resultJobSearching result = 1 << iota
	resultEducation
	resultEmployment
)

// resultDef declares which statuses after leaving count as a result.
type resultDef struct {
	result result
	title  string
	kinds  []pathway.Kind
}

// resultDefs is the one mapping from a status after leaving to the ESF
// results (../shared/reference/domain.md §1.2–1.5). Job seeking and
// unemployment are job searching (an unemployed person is by definition
// job searching); studies are education or training, and so is an
// apprenticeship ("oppisopimus"), which is vocational education and
// training under an employment contract; every kind of work, self-employment
// and apprenticeships included, is employment.
var resultDefs = []resultDef{
	{resultJobSearching, "engaged in job searching", []pathway.Kind{pathway.JobSeeking, pathway.Unemployed}},
	{resultEducation, "in education or training", []pathway.Kind{pathway.StudiesQualification, pathway.StudiesOther, pathway.WorkApprenticeship}},
	{resultEmployment, "in employment, including self-employment", []pathway.Kind{pathway.WorkOpen, pathway.WorkSubsidised, pathway.WorkApprenticeship, pathway.WorkSelfEmployed}},
}

// resultNone are the statuses known to be none of the results: outside the
// labour force.
var resultNone = []pathway.Kind{pathway.OutsideParentalLeave, pathway.OutsideMilitaryService, pathway.OutsideOther}

// resultUndecided are the statuses that do not say whether the person is
// job searching, in education or in employment: a redirect, another
// service and an unknown status. A result indicator counts them as
// "fact unknown".
var resultUndecided = []pathway.Kind{pathway.Redirected, pathway.OtherService, pathway.Unknown}

// resultByKind is resultDefs and resultNone by kind; a kind that is not in
// it is undecided.
var resultByKind = func() map[pathway.Kind]result {
	m := map[pathway.Kind]result{}
	for _, k := range resultNone {
		m[k] = 0
	}
	for _, d := range resultDefs {
		for _, k := range d.kinds {
			m[k] |= d.result
		}
	}
	return m
}()

// resultOf returns what the status k counts as, and whether it is decided.
func resultOf(k pathway.Kind) (result, bool) {
	r, ok := resultByKind[k]
	return r, ok
}

// resultKinds returns the statuses that count as any of rs.
func resultKinds(rs result) []pathway.Kind {
	var out []pathway.Kind
	for _, k := range pathway.Kinds() {
		if r, ok := resultOf(k); ok && r&rs != 0 {
			out = append(out, k)
		}
	}
	return out
}

// resultNotes says which statuses count as which result.
func resultNotes() []string {
	notes := make([]string, 0, len(resultDefs)+2)
	for _, d := range resultDefs {
		notes = append(notes, d.title+": "+listKinds(d.kinds)+".")
	}
	notes = append(notes, "none of these: "+listKinds(resultNone)+".",
		"not decided (a fact unknown): "+listKinds(resultUndecided)+".")
	return notes
}
