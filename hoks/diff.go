package hoks

import (
	"cmp"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// Change is one difference between two versions of a plan, in terms a
// personal tutor understands. [Diff] returns them.
type Change struct {
	// Kind says what happened.
	Kind ChangeKind
	// Path is the JSON path of what changed in version b, or in version a
	// when it is gone from b (a removal, or a value cleared), e.g.
	// "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1]". It is
	// never empty: a plan-level change names its member
	// ("ensikertainen-hyvaksyminen").
	Path string
	// Subject says in words what the change is about, e.g. "unit
	// tutkinnonosat_106727" or "instructor of workplace period at Rakennus Oy
	// (2024-01-08–2024-03-29) in unit tutkinnonosat_106727". It is empty for
	// a plan-level change whose kind names the field ("first approval date
	// set").
	Subject string
	// Before is the old value in words: empty for an addition, and for a
	// value that was not set.
	Before string
	// After is the new value in words: empty for a removal, and for a value
	// that is no longer set.
	After string
}

// String returns the change as one plain-English line: the kind, the
// subject and the values, e.g.
//
//	period moved: workplace period at Rakennus Oy in unit tutkinnonosat_106727: 2024-01-08–2024-03-29 → 2024-01-15–2024-04-05
//	unit added: unit tutkinnonosat_106727
//	contact details changed: e-mail: (none) → matti@example.fi
func (c Change) String() string {
	var b strings.Builder
	b.WriteString(c.Kind.String())
	if c.Subject != "" {
		b.WriteString(": ")
		b.WriteString(c.Subject)
	}
	single := func(s string) {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	switch c.Kind.form() {
	case formAdd:
		single(c.After)
	case formRemove:
		single(c.Before)
	default:
		if c.Before == "" && c.After == "" {
			break
		}
		b.WriteString(": ")
		b.WriteString(orNone(c.Before))
		b.WriteString(" → ")
		b.WriteString(orNone(c.After))
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// ChangeKind says what kind of change a [Change] is. The set is closed: the
// constants below are all there is.
type ChangeKind int

// The kinds of change. Values that are read-only bookkeeping are never
// changes: id, eid, module-id, paivitetty (Updated), versio (the client's
// document version), manuaalisyotto (ManualEntry) and Extra.
const (
	_ ChangeKind = iota

	// LearnerChanged: the learner's person OID (oppija-oid) changed.
	LearnerChanged
	// StudyRightChanged: the study right (opiskeluoikeus-oid) or the linked
	// TUVA study right (tuva-opiskeluoikeus-oid) changed.
	StudyRightChanged
	// ContactChanged: the learner's e-mail or phone number changed.
	ContactChanged
	// CareerPlanChanged: the career-plan goal (urasuunnitelma) or its code
	// version changed.
	CareerPlanChanged
	// CompetenceNeedChanged: whether the learner needs to acquire competence
	// at all (osaamisen-hankkimisen-tarve) changed.
	CompetenceNeedChanged
	// FirstApprovalSet: the first approval date (ensikertainen-hyvaksyminen)
	// was set; it starts the start-of-studies survey.
	FirstApprovalSet
	// FirstApprovalChanged: a first approval date that was already set
	// changed or was cleared.
	FirstApprovalChanged
	// ApprovalChanged: the latest approval time (hyvaksytty) changed: the
	// plan was approved (again).
	ApprovalChanged
	// CompetenceReached: the competence-reached date
	// (osaamisen-saavuttamisen-pvm) was set; it starts the end survey.
	CompetenceReached
	// CompetenceReachedChanged: a competence-reached date that was already
	// set changed or was cleared.
	CompetenceReachedChanged
	// DeletionChanged: the soft-delete time (poistettu) changed.
	DeletionChanged

	// UnitAdded: a unit to acquire or a previously acquired unit
	// (vocational, common or local) was added.
	UnitAdded
	// UnitRemoved: a unit was removed.
	UnitRemoved
	// UnitChanged: a unit's own field changed: code version, curriculum,
	// name, competence points, objectives, provider, essential circumstance
	// or teaching and guidance hours.
	UnitChanged
	// SubAreaAdded: a sub-area (osa-alue) of a common unit was added.
	SubAreaAdded
	// SubAreaRemoved: a sub-area of a common unit was removed.
	SubAreaRemoved
	// SubAreaChanged: a sub-area's own field changed (code version,
	// provider, essential circumstance, teaching and guidance hours).
	SubAreaChanged
	// DeviationsChanged: the deviations from the requirements or objectives
	// (vaatimuksista tai tavoitteista poikkeaminen) of a unit, sub-area or
	// demonstration changed.
	DeviationsChanged
	// VerificationChanged: how a previously acquired unit's competence is
	// verified (todentamisen prosessi) or the date it was sent for assessment
	// changed.
	VerificationChanged

	// PeriodAdded: a period of acquiring competence (osaamisen hankkimistapa;
	// a workplace period for a training agreement or apprenticeship) was
	// added.
	PeriodAdded
	// PeriodRemoved: a period of acquiring competence was removed.
	PeriodRemoved
	// PeriodMoved: a period's start or end date changed.
	PeriodMoved
	// MethodChanged: the way of acquiring competence (school, training
	// agreement, apprenticeship, …) or its code version changed.
	MethodChanged
	// PeriodChanged: a period's identifier (yksiloiva-tunniste), period note
	// or apprenticeship basis changed.
	PeriodChanged
	// RepresentativeChanged: the education provider's or the procuring
	// provider's representative of a period changed.
	RepresentativeChanged
	// WorkplaceChanged: a period's workplace (name, business ID) or key work
	// tasks changed.
	WorkplaceChanged
	// InstructorChanged: the responsible workplace instructor or their
	// contact details changed.
	InstructorChanged
	// PartTimeChanged: a period's part-time percentage (osa-aikaisuus)
	// changed.
	PartTimeChanged
	// InterruptionAdded: an interruption (keskeytymisajanjakso) was added to
	// a period.
	InterruptionAdded
	// InterruptionRemoved: an interruption was removed.
	InterruptionRemoved
	// InterruptionChanged: an interruption's dates changed.
	InterruptionChanged
	// EnvironmentAdded: another learning environment (muu
	// oppimisympäristö) was added to a period.
	EnvironmentAdded
	// EnvironmentRemoved: another learning environment was removed.
	EnvironmentRemoved
	// EnvironmentChanged: another learning environment's type or dates
	// changed.
	EnvironmentChanged

	// DemonstrationAdded: a competence demonstration (näyttö) was added.
	DemonstrationAdded
	// DemonstrationRemoved: a competence demonstration was removed.
	DemonstrationRemoved
	// DemonstrationMoved: a demonstration's start or end date changed.
	DemonstrationMoved
	// DemonstrationChanged: a demonstration's content, organiser or included
	// sub-areas changed.
	DemonstrationChanged
	// DemonstrationEnvironmentChanged: where a demonstration takes place
	// (näyttöympäristö: name, business ID, description) changed.
	DemonstrationEnvironmentChanged
	// AssessorAdded: an assessor (working-life, education provider's, or of
	// prior competence) was added.
	AssessorAdded
	// AssessorRemoved: an assessor was removed.
	AssessorRemoved
	// AssessorChanged: an assessor was replaced or their organisation
	// changed.
	AssessorChanged
	// CriteriaChanged: a demonstration's individual assessment criteria
	// (yksilölliset kriteerit) changed.
	CriteriaChanged

	// SupportingStudyAdded: a study supporting study skills
	// (opiskeluvalmiuksia tukeva opinto) was added.
	SupportingStudyAdded
	// SupportingStudyRemoved: a supporting study was removed.
	SupportingStudyRemoved
	// SupportingStudyChanged: a supporting study's name, description or
	// dates changed.
	SupportingStudyChanged
	// LearningSupportAdded: a learning-support measure (oppimisen tuki) was
	// added.
	LearningSupportAdded
	// LearningSupportRemoved: a learning-support measure was removed.
	LearningSupportRemoved
	// LearningSupportChanged: a learning-support measure's type, dates or
	// unit group changed.
	LearningSupportChanged
	// TUVAPartAdded: a TUVA training part was added.
	TUVAPartAdded
	// TUVAPartRemoved: a TUVA training part was removed.
	TUVAPartRemoved
	// TUVAPartChanged: a TUVA training part's code version, dates or extent
	// changed.
	TUVAPartChanged

	endOfKinds
)

type changeForm int

const (
	formChange changeForm = iota // "before → after"
	formAdd                      // the new value only
	formRemove                   // the old value only
)

type kindInfo struct {
	words string
	form  changeForm
}

var kindInfos = [endOfKinds]kindInfo{
	LearnerChanged:           {"learner changed", formChange},
	StudyRightChanged:        {"study right changed", formChange},
	ContactChanged:           {"contact details changed", formChange},
	CareerPlanChanged:        {"career plan changed", formChange},
	CompetenceNeedChanged:    {"need to acquire competence changed", formChange},
	FirstApprovalSet:         {"first approval date set", formAdd},
	FirstApprovalChanged:     {"first approval date changed", formChange},
	ApprovalChanged:          {"approval time changed", formChange},
	CompetenceReached:        {"competence reached", formAdd},
	CompetenceReachedChanged: {"competence-reached date changed", formChange},
	DeletionChanged:          {"deletion time changed", formChange},

	UnitAdded:           {"unit added", formAdd},
	UnitRemoved:         {"unit removed", formRemove},
	UnitChanged:         {"unit changed", formChange},
	SubAreaAdded:        {"sub-area added", formAdd},
	SubAreaRemoved:      {"sub-area removed", formRemove},
	SubAreaChanged:      {"sub-area changed", formChange},
	DeviationsChanged:   {"deviations changed", formChange},
	VerificationChanged: {"verification changed", formChange},

	PeriodAdded:           {"period added", formAdd},
	PeriodRemoved:         {"period removed", formRemove},
	PeriodMoved:           {"period moved", formChange},
	MethodChanged:         {"acquisition method changed", formChange},
	PeriodChanged:         {"period changed", formChange},
	RepresentativeChanged: {"representative changed", formChange},
	WorkplaceChanged:      {"workplace changed", formChange},
	InstructorChanged:     {"instructor changed", formChange},
	PartTimeChanged:       {"part-time percentage changed", formChange},
	InterruptionAdded:     {"interruption added", formAdd},
	InterruptionRemoved:   {"interruption removed", formRemove},
	InterruptionChanged:   {"interruption changed", formChange},
	EnvironmentAdded:      {"learning environment added", formAdd},
	EnvironmentRemoved:    {"learning environment removed", formRemove},
	EnvironmentChanged:    {"learning environment changed", formChange},

	DemonstrationAdded:              {"demonstration added", formAdd},
	DemonstrationRemoved:            {"demonstration removed", formRemove},
	DemonstrationMoved:              {"demonstration moved", formChange},
	DemonstrationChanged:            {"demonstration changed", formChange},
	DemonstrationEnvironmentChanged: {"demonstration environment changed", formChange},
	AssessorAdded:                   {"assessor added", formAdd},
	AssessorRemoved:                 {"assessor removed", formRemove},
	AssessorChanged:                 {"assessor changed", formChange},
	CriteriaChanged:                 {"individual criteria changed", formChange},

	SupportingStudyAdded:   {"supporting study added", formAdd},
	SupportingStudyRemoved: {"supporting study removed", formRemove},
	SupportingStudyChanged: {"supporting study changed", formChange},
	LearningSupportAdded:   {"learning support added", formAdd},
	LearningSupportRemoved: {"learning support removed", formRemove},
	LearningSupportChanged: {"learning support changed", formChange},
	TUVAPartAdded:          {"TUVA part added", formAdd},
	TUVAPartRemoved:        {"TUVA part removed", formRemove},
	TUVAPartChanged:        {"TUVA part changed", formChange},
}

// String returns the kind in words, e.g. "period moved".
func (k ChangeKind) String() string {
	if k > 0 && k < endOfKinds {
		return kindInfos[k].words
	}
	return "ChangeKind(" + strconv.Itoa(int(k)) + ")"
}

func (k ChangeKind) form() changeForm {
	if k > 0 && k < endOfKinds {
		return kindInfos[k].form
	}
	return formChange
}

// Diff says what changed from version a to version b of a plan, in terms a
// personal tutor understands: units added and removed, periods moved,
// assessors changed, demonstrations added, the first approval date set, and
// so on (see [ChangeKind]).
//
// List elements are matched by identity, not by position, so a reordered
// list is no change: units by their code URI (local units by AMOSAA id,
// else name, else module-id); periods by their period identifier
// (yksiloiva-tunniste) when present, else module-id, else type and start
// date (else type and end date); demonstrations by module-id, else start
// date and content (else content, else start date and environment);
// assessors by name and organisation (else name, else organisation); the
// other lists by their codes and dates. Among elements with the same
// identity, equal ones pair first and the rest pair so as to report the
// fewest changes. Values are compared in words: an absent string and an
// empty one are the same; an absent number, date or flag and a set one are
// not.
//
// An element added or removed is one change, plus one for each element in
// its lists (the periods and demonstrations of an added unit, the assessors
// of an added demonstration, …). A nil plan is an empty one: Diff(nil, b)
// lists everything in b as added. Read-only bookkeeping (id, eid,
// module-id, paivitetty, versio, manuaalisyotto, Extra) is never a change.
// The changes are sorted by Path, with numeric indexes compared as numbers,
// then by Kind. Diff returns nil when the versions say the same thing;
// Diff(a, a) and Diff(a, Decode(Encode(a))) are empty.
func Diff(a, b *Plan) []Change {
	var x, y Plan
	if a != nil {
		x = *a
	}
	if b != nil {
		y = *b
	}
	d := &differ{}
	d.plan(&x, &y)
	slices.SortStableFunc(d.out, compareChanges)
	return d.out
}

func compareChanges(x, y Change) int {
	if x.Path != y.Path {
		if lessPath(x.Path, y.Path) {
			return -1
		}
		if lessPath(y.Path, x.Path) {
			return 1
		}
		return strings.Compare(x.Path, y.Path)
	}
	return cmp.Or(
		cmp.Compare(x.Kind, y.Kind),
		strings.Compare(x.Subject, y.Subject),
		strings.Compare(x.Before, y.Before),
		strings.Compare(x.After, y.After),
	)
}

// differ collects the changes.
type differ struct {
	out []Change
	// scratch is set when only counting changes to pair look-alike
	// elements; lists nested in them then pair without counting, which
	// keeps the work linear however deep the look-alikes go.
	scratch bool
}

// diffLoc is where an element is in version a and in version b; a side is
// empty when the element is not in that version.
type diffLoc struct{ a, b string }

func (l diffLoc) key(k string) diffLoc { return diffLoc{join(l.a, k), join(l.b, k)} }

func (d *differ) add(k ChangeKind, path, subject, before, after string) {
	d.out = append(d.out, Change{Kind: k, Path: path, Subject: subject, Before: before, After: after})
}

// value reports a value that changed, at the path of member key (if any)
// of l in b, or in a when it is no longer set. The subject is prefix+label.
func (d *differ) value(k ChangeKind, l diffLoc, key, prefix, label, before, after string) {
	if before == after {
		return
	}
	path := l.b
	if after == "" {
		path = l.a
	}
	if key != "" {
		path = join(path, key)
	}
	d.add(k, path, prefix+label, before, after)
}

// strs reports a list of strings that changed as a multiset: a reordered
// list is the same.
func (d *differ) strs(k ChangeKind, l diffLoc, key, prefix, label string, before, after []string) {
	if sameStrings(before, after) {
		return
	}
	d.value(k, l, key, prefix, label, strings.Join(before, "; "), strings.Join(after, "; "))
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// Words.

func wordInt[T int | int64](p *T) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(int64(*p), 10)
}

func wordFloat(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func wordBool(p *bool) string {
	switch {
	case p == nil:
		return ""
	case *p:
		return "yes"
	}
	return "no"
}

func wordPercent(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p) + "%"
}

// wordSpan writes a period's dates, "2024-01-08–2024-03-29".
func wordSpan(start, end coaching.Date) string {
	if start.IsZero() && end.IsZero() {
		return ""
	}
	return start.String() + "–" + end.String()
}

// wordList joins the non-empty parts with ", ".
func wordList(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

func labelNamed(prefix, name string) string {
	if name == "" {
		return prefix
	}
	return prefix + " " + name
}

func labelIn(label, parent string) string {
	if parent == "" {
		return label
	}
	return label + " in " + parent
}

func labelDated(label string, start, end coaching.Date) string {
	if s := wordSpan(start, end); s != "" {
		return label + " (" + s + ")"
	}
	return label
}

func wordVersion(p *int) string {
	if p == nil {
		return ""
	}
	return "version " + strconv.Itoa(*p)
}

func zeroIfNil[T any](p *T) *T {
	if p == nil {
		return new(T)
	}
	return p
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// The plan.

func (d *differ) plan(x, y *Plan) {
	var top diffLoc
	d.value(LearnerChanged, top, "oppija-oid", "", "", deref(x.LearnerOID), deref(y.LearnerOID))
	d.value(StudyRightChanged, top, "opiskeluoikeus-oid", "", "study right", deref(x.StudyRightOID), deref(y.StudyRightOID))
	d.value(StudyRightChanged, top, "tuva-opiskeluoikeus-oid", "", "TUVA study right", deref(x.TUVAStudyRightOID), deref(y.TUVAStudyRightOID))
	d.value(ContactChanged, top, "sahkoposti", "", "e-mail", deref(x.Email), deref(y.Email))
	d.value(ContactChanged, top, "puhelinnumero", "", "phone number", deref(x.Phone), deref(y.Phone))
	d.value(CareerPlanChanged, top, "urasuunnitelma-koodi-uri", "", "career plan goal", deref(x.CareerPlanCodeURI), deref(y.CareerPlanCodeURI))
	d.value(CareerPlanChanged, top, "urasuunnitelma-koodi-versio", "", "career plan code version", wordInt(x.CareerPlanCodeVersion), wordInt(y.CareerPlanCodeVersion))
	d.value(CompetenceNeedChanged, top, "osaamisen-hankkimisen-tarve", "", "", wordBool(x.NeedsCompetence), wordBool(y.NeedsCompetence))
	if x.FirstApproved.IsZero() && !y.FirstApproved.IsZero() {
		d.add(FirstApprovalSet, "ensikertainen-hyvaksyminen", "", "", y.FirstApproved.String())
	} else {
		d.value(FirstApprovalChanged, top, "ensikertainen-hyvaksyminen", "", "", x.FirstApproved.String(), y.FirstApproved.String())
	}
	d.value(ApprovalChanged, top, "hyvaksytty", "", "", x.Approved.String(), y.Approved.String())
	if x.CompetenceReached.IsZero() && !y.CompetenceReached.IsZero() {
		d.add(CompetenceReached, "osaamisen-saavuttamisen-pvm", "", "", y.CompetenceReached.String())
	} else {
		d.value(CompetenceReachedChanged, top, "osaamisen-saavuttamisen-pvm", "", "", x.CompetenceReached.String(), y.CompetenceReached.String())
	}
	d.value(DeletionChanged, top, "poistettu", "", "", x.Deleted.String(), y.Deleted.String())

	eachPair(d, top, "aiemmin-hankitut-ammat-tutkinnon-osat", x.PriorVocationalUnits, y.PriorVocationalUnits, codeIdentity(func(u *PriorVocationalUnit) (*string, *string) { return u.UnitCodeURI, u.ModuleID }), (*differ).priorVocationalUnit)
	eachPair(d, top, "aiemmin-hankitut-yhteiset-tutkinnon-osat", x.PriorCommonUnits, y.PriorCommonUnits, codeIdentity(func(u *PriorCommonUnit) (*string, *string) { return u.UnitCodeURI, u.ModuleID }), (*differ).priorCommonUnit)
	eachPair(d, top, "aiemmin-hankitut-paikalliset-tutkinnon-osat", x.PriorLocalUnits, y.PriorLocalUnits, localIdentity(func(u *PriorLocalUnit) (*string, *string, *string) { return u.AMOSAAID, u.Name, u.ModuleID }), (*differ).priorLocalUnit)
	eachPair(d, top, "hankittavat-ammat-tutkinnon-osat", x.VocationalUnits, y.VocationalUnits, codeIdentity(func(u *VocationalUnit) (*string, *string) { return u.UnitCodeURI, u.ModuleID }), (*differ).vocationalUnit)
	eachPair(d, top, "hankittavat-yhteiset-tutkinnon-osat", x.CommonUnits, y.CommonUnits, codeIdentity(func(u *CommonUnit) (*string, *string) { return u.UnitCodeURI, u.ModuleID }), (*differ).commonUnit)
	eachPair(d, top, "hankittavat-paikalliset-tutkinnon-osat", x.LocalUnits, y.LocalUnits, localIdentity(func(u *LocalUnit) (*string, *string, *string) { return u.AMOSAAID, u.Name, u.ModuleID }), (*differ).localUnit)
	eachPair(d, top, "opiskeluvalmiuksia-tukevat-opinnot", x.SupportingStudies, y.SupportingStudies, supportingStudyIdentity, (*differ).supportingStudy)
	eachPair(d, top, "oppimisen-tuki", x.LearningSupport, y.LearningSupport, learningSupportIdentity, (*differ).learningSupport)
	eachPair(d, top, "hankittavat-koulutuksen-osat", x.TUVAParts, y.TUVAParts, tuvaIdentity, (*differ).tuvaPart)
}

// added reports an element added (only in b) or removed (only in a), with
// its label and value in words. It reports nothing for an element in both
// versions.
func (d *differ) added(added, removed ChangeKind, l diffLoc, labelA, labelB, valueA, valueB string, inA, inB bool) {
	switch {
	case !inA && inB:
		d.add(added, l.b, labelB, "", valueB)
	case inA && !inB:
		d.add(removed, l.a, labelA, valueA, "")
	}
}

// Units.

func vocationalLabel(u *VocationalUnit) string { return labelNamed("unit", deref(u.UnitCodeURI)) }
func commonLabel(u *CommonUnit) string         { return labelNamed("common unit", deref(u.UnitCodeURI)) }
func localLabel(u *LocalUnit) string {
	return labelNamed("local unit", firstNonEmpty(deref(u.Name), deref(u.AMOSAAID)))
}
func priorVocationalLabel(u *PriorVocationalUnit) string {
	return labelNamed("previously acquired unit", deref(u.UnitCodeURI))
}
func priorCommonLabel(u *PriorCommonUnit) string {
	return labelNamed("previously acquired common unit", deref(u.UnitCodeURI))
}
func priorLocalLabel(u *PriorLocalUnit) string {
	return labelNamed("previously acquired local unit", firstNonEmpty(deref(u.Name), deref(u.AMOSAAID)))
}

// unit reports a unit added or removed and returns the label to use for
// what it holds.
func (d *differ) unit(l diffLoc, labelA, labelB string, inA, inB bool) string {
	d.added(UnitAdded, UnitRemoved, l, labelA, labelB, "", "", inA, inB)
	if inB {
		return labelB
	}
	return labelA
}

func (d *differ) vocationalUnit(l diffLoc, a, b *VocationalUnit) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	label := d.unit(l, vocationalLabel(x), vocationalLabel(y), a != nil, b != nil)
	if a != nil && b != nil {
		d.value(UnitChanged, l, "tutkinnon-osa-koodi-uri", "code of ", label, deref(x.UnitCodeURI), deref(y.UnitCodeURI))
		d.value(UnitChanged, l, "tutkinnon-osa-koodi-versio", "code version of ", label, wordInt(x.UnitCodeVersion), wordInt(y.UnitCodeVersion))
		d.value(UnitChanged, l, "tutkinnon-osan-perusteen-diaarinro", "curriculum diary number of ", label, deref(x.CurriculumDiaryNumber), deref(y.CurriculumDiaryNumber))
		d.unitFields(UnitChanged, l, label, x.Deviations, y.Deviations, x.ProviderOID, y.ProviderOID, x.EssentialCircumstance, y.EssentialCircumstance)
		d.value(UnitChanged, l, "opetus-ja-ohjaus-maara", "teaching and guidance hours of ", label, wordFloat(x.TeachingHours), wordFloat(y.TeachingHours))
	}
	d.demonstrations(l, "osaamisen-osoittaminen", label, x.Demonstrations, y.Demonstrations)
	d.methods(l, label, x.Methods, y.Methods)
}

// unitFields compares the fields units and sub-areas share.
func (d *differ) unitFields(k ChangeKind, l diffLoc, label string, devA, devB, provA, provB *string, essA, essB *bool) {
	d.value(DeviationsChanged, l, "vaatimuksista-tai-tavoitteista-poikkeaminen", "deviations of ", label, deref(devA), deref(devB))
	d.value(k, l, "koulutuksen-jarjestaja-oid", "provider of ", label, deref(provA), deref(provB))
	d.value(k, l, "olennainen-seikka", "essential circumstance of ", label, wordBool(essA), wordBool(essB))
}

func (d *differ) localUnit(l diffLoc, a, b *LocalUnit) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	label := d.unit(l, localLabel(x), localLabel(y), a != nil, b != nil)
	if a != nil && b != nil {
		d.localFields(l, label, x.AMOSAAID, y.AMOSAAID, x.Name, y.Name, x.CompetencePoints, y.CompetencePoints, x.Objectives, y.Objectives)
		d.unitFields(UnitChanged, l, label, x.Deviations, y.Deviations, x.ProviderOID, y.ProviderOID, x.EssentialCircumstance, y.EssentialCircumstance)
		d.value(UnitChanged, l, "opetus-ja-ohjaus-maara", "teaching and guidance hours of ", label, wordFloat(x.TeachingHours), wordFloat(y.TeachingHours))
	}
	d.demonstrations(l, "osaamisen-osoittaminen", label, x.Demonstrations, y.Demonstrations)
	d.methods(l, label, x.Methods, y.Methods)
}

func (d *differ) localFields(l diffLoc, label string, idA, idB, nameA, nameB *string, ptsA, ptsB *int, objA, objB *string) {
	d.value(UnitChanged, l, "amosaa-tunniste", "AMOSAA id of ", label, deref(idA), deref(idB))
	d.value(UnitChanged, l, "nimi", "name of ", label, deref(nameA), deref(nameB))
	d.value(UnitChanged, l, "laajuus", "competence points of ", label, wordInt(ptsA), wordInt(ptsB))
	d.value(UnitChanged, l, "tavoitteet-ja-sisallot", "objectives and contents of ", label, deref(objA), deref(objB))
}

func (d *differ) commonUnit(l diffLoc, a, b *CommonUnit) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	label := d.unit(l, commonLabel(x), commonLabel(y), a != nil, b != nil)
	if a != nil && b != nil {
		d.value(UnitChanged, l, "tutkinnon-osa-koodi-uri", "code of ", label, deref(x.UnitCodeURI), deref(y.UnitCodeURI))
		d.value(UnitChanged, l, "tutkinnon-osa-koodi-versio", "code version of ", label, wordInt(x.UnitCodeVersion), wordInt(y.UnitCodeVersion))
		d.value(UnitChanged, l, "koulutuksen-jarjestaja-oid", "provider of ", label, deref(x.ProviderOID), deref(y.ProviderOID))
	}
	eachPair(d, l, "osa-alueet", x.SubAreas, y.SubAreas, codeIdentity(func(s *CommonUnitSubArea) (*string, *string) { return s.SubAreaCodeURI, s.ModuleID }),
		func(d *differ, l diffLoc, a, b *CommonUnitSubArea) { d.subArea(l, label, a, b) })
}

func subAreaLabel(code *string, unit string) string {
	return labelNamed("sub-area", deref(code)) + " of " + unit
}

func (d *differ) subArea(l diffLoc, unit string, a, b *CommonUnitSubArea) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	labelA, labelB := subAreaLabel(x.SubAreaCodeURI, unit), subAreaLabel(y.SubAreaCodeURI, unit)
	d.added(SubAreaAdded, SubAreaRemoved, l, labelA, labelB, "", "", a != nil, b != nil)
	label := labelB
	if b == nil {
		label = labelA
	}
	if a != nil && b != nil {
		d.value(SubAreaChanged, l, "osa-alue-koodi-uri", "code of ", label, deref(x.SubAreaCodeURI), deref(y.SubAreaCodeURI))
		d.value(SubAreaChanged, l, "osa-alue-koodi-versio", "code version of ", label, wordInt(x.SubAreaCodeVersion), wordInt(y.SubAreaCodeVersion))
		d.unitFields(SubAreaChanged, l, label, x.Deviations, y.Deviations, x.ProviderOID, y.ProviderOID, x.EssentialCircumstance, y.EssentialCircumstance)
		d.value(SubAreaChanged, l, "opetus-ja-ohjaus-maara", "teaching and guidance hours of ", label, wordFloat(x.TeachingHours), wordFloat(y.TeachingHours))
	}
	d.demonstrations(l, "osaamisen-osoittaminen", label, x.Demonstrations, y.Demonstrations)
	d.methods(l, label, x.Methods, y.Methods)
}

// Previously acquired units.

func (d *differ) priorVocationalUnit(l diffLoc, a, b *PriorVocationalUnit) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	label := d.unit(l, priorVocationalLabel(x), priorVocationalLabel(y), a != nil, b != nil)
	if a != nil && b != nil {
		d.value(UnitChanged, l, "tutkinnon-osa-koodi-uri", "code of ", label, deref(x.UnitCodeURI), deref(y.UnitCodeURI))
		d.value(UnitChanged, l, "tutkinnon-osa-koodi-versio", "code version of ", label, wordInt(x.UnitCodeVersion), wordInt(y.UnitCodeVersion))
		d.value(UnitChanged, l, "tutkinnon-osan-perusteen-diaarinro", "curriculum diary number of ", label, deref(x.CurriculumDiaryNumber), deref(y.CurriculumDiaryNumber))
		d.unitFields(UnitChanged, l, label, x.Deviations, y.Deviations, x.ProviderOID, y.ProviderOID, x.EssentialCircumstance, y.EssentialCircumstance)
		d.verification(l, label, x.VerificationCodeURI, y.VerificationCodeURI, x.VerificationCodeVersion, y.VerificationCodeVersion)
	}
	d.demonstrations(l, "tarkentavat-tiedot-naytto", label, x.DemonstrationDetails, y.DemonstrationDetails)
	d.verifiedAssessment(l, label, a != nil && b != nil, x.AssessmentDetails, y.AssessmentDetails)
}

func (d *differ) priorLocalUnit(l diffLoc, a, b *PriorLocalUnit) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	label := d.unit(l, priorLocalLabel(x), priorLocalLabel(y), a != nil, b != nil)
	if a != nil && b != nil {
		d.localFields(l, label, x.AMOSAAID, y.AMOSAAID, x.Name, y.Name, x.CompetencePoints, y.CompetencePoints, x.Objectives, y.Objectives)
		d.unitFields(UnitChanged, l, label, x.Deviations, y.Deviations, x.ProviderOID, y.ProviderOID, x.EssentialCircumstance, y.EssentialCircumstance)
		d.verification(l, label, x.VerificationCodeURI, y.VerificationCodeURI, x.VerificationCodeVersion, y.VerificationCodeVersion)
	}
	d.demonstrations(l, "tarkentavat-tiedot-naytto", label, x.DemonstrationDetails, y.DemonstrationDetails)
	d.verifiedAssessment(l, label, a != nil && b != nil, x.AssessmentDetails, y.AssessmentDetails)
}

func (d *differ) priorCommonUnit(l diffLoc, a, b *PriorCommonUnit) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	label := d.unit(l, priorCommonLabel(x), priorCommonLabel(y), a != nil, b != nil)
	if a != nil && b != nil {
		d.value(UnitChanged, l, "tutkinnon-osa-koodi-uri", "code of ", label, deref(x.UnitCodeURI), deref(y.UnitCodeURI))
		d.value(UnitChanged, l, "tutkinnon-osa-koodi-versio", "code version of ", label, wordInt(x.UnitCodeVersion), wordInt(y.UnitCodeVersion))
		d.value(UnitChanged, l, "koulutuksen-jarjestaja-oid", "provider of ", label, deref(x.ProviderOID), deref(y.ProviderOID))
		d.verification(l, label, x.VerificationCodeURI, y.VerificationCodeURI, x.VerificationCodeVersion, y.VerificationCodeVersion)
	}
	d.demonstrations(l, "tarkentavat-tiedot-naytto", label, x.DemonstrationDetails, y.DemonstrationDetails)
	d.verifiedAssessment(l, label, a != nil && b != nil, x.AssessmentDetails, y.AssessmentDetails)
	eachPair(d, l, "osa-alueet", x.SubAreas, y.SubAreas, codeIdentity(func(s *PriorCommonUnitSubArea) (*string, *string) { return s.SubAreaCodeURI, s.ModuleID }),
		func(d *differ, l diffLoc, a, b *PriorCommonUnitSubArea) { d.priorSubArea(l, label, a, b) })
}

func (d *differ) priorSubArea(l diffLoc, unit string, a, b *PriorCommonUnitSubArea) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	labelA, labelB := subAreaLabel(x.SubAreaCodeURI, unit), subAreaLabel(y.SubAreaCodeURI, unit)
	d.added(SubAreaAdded, SubAreaRemoved, l, labelA, labelB, "", "", a != nil, b != nil)
	label := labelB
	if b == nil {
		label = labelA
	}
	if a != nil && b != nil {
		d.value(SubAreaChanged, l, "osa-alue-koodi-uri", "code of ", label, deref(x.SubAreaCodeURI), deref(y.SubAreaCodeURI))
		d.value(SubAreaChanged, l, "osa-alue-koodi-versio", "code version of ", label, wordInt(x.SubAreaCodeVersion), wordInt(y.SubAreaCodeVersion))
		d.unitFields(SubAreaChanged, l, label, x.Deviations, y.Deviations, x.ProviderOID, y.ProviderOID, x.EssentialCircumstance, y.EssentialCircumstance)
		d.verification(l, label, x.VerificationCodeURI, y.VerificationCodeURI, x.VerificationCodeVersion, y.VerificationCodeVersion)
	}
	d.demonstrations(l, "tarkentavat-tiedot-naytto", label, x.DemonstrationDetails, y.DemonstrationDetails)
	d.verifiedAssessment(l, label, a != nil && b != nil, x.AssessmentDetails, y.AssessmentDetails)
}

func (d *differ) verification(l diffLoc, label string, uriA, uriB *string, verA, verB *int) {
	d.value(VerificationChanged, l, "valittu-todentamisen-prosessi-koodi-uri", "verification process of ", label, deref(uriA), deref(uriB))
	d.value(VerificationChanged, l, "valittu-todentamisen-prosessi-koodi-versio", "verification process code version of ", label, wordInt(verA), wordInt(verB))
}

// verifiedAssessment compares the assessor details of prior competence;
// both says whether the unit is in both versions.
func (d *differ) verifiedAssessment(l diffLoc, label string, both bool, a, b *VerifiedAssessment) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	l = l.key("tarkentavat-tiedot-osaamisen-arvioija")
	if both {
		d.value(VerificationChanged, l, "lahetetty-arvioitavaksi", "date sent for assessment of ", label, x.SentForAssessment.String(), y.SentForAssessment.String())
	}
	d.assessors(l, "aiemmin-hankitun-osaamisen-arvioijat", "assessor of "+label, providerAssessors(x.Assessors), providerAssessors(y.Assessors))
}

// Periods of acquiring competence.

// periodKind names the kind of period in words.
func periodKind(m *AcquisitionMethod) string {
	switch t := deref(m.MethodCodeURI); t {
	case MethodTrainingAgreement, MethodApprenticeship:
		return "workplace period"
	case MethodSchool:
		return "school period"
	case "":
		return "period"
	default:
		return "period (" + t + ")"
	}
}

func workplaceName(m *AcquisitionMethod) string {
	if m.Workplace == nil {
		return ""
	}
	return deref(m.Workplace.WorkplaceName)
}

// periodLabel is "workplace period at Rakennus Oy".
func periodLabel(m *AcquisitionMethod) string {
	if w := workplaceName(m); w != "" {
		return periodKind(m) + " at " + w
	}
	return periodKind(m)
}

func (d *differ) methods(l diffLoc, parent string, as, bs []AcquisitionMethod) {
	eachPair(d, l, "osaamisen-hankkimistavat", as, bs, methodIdentity,
		func(d *differ, l diffLoc, a, b *AcquisitionMethod) { d.method(l, parent, a, b) })
}

var methodIdentity = matchIdentity[AcquisitionMethod]{
	exclusive: func(m *AcquisitionMethod) string { return deref(m.PeriodID) },
	keys: []func(*AcquisitionMethod) string{
		func(m *AcquisitionMethod) string { return deref(m.PeriodID) },
		func(m *AcquisitionMethod) string { return deref(m.ModuleID) },
		func(m *AcquisitionMethod) string { return matchKey(deref(m.MethodCodeURI), m.Start.String()) },
		func(m *AcquisitionMethod) string { return matchKey(deref(m.MethodCodeURI), m.End.String()) },
	},
}

func (d *differ) method(l diffLoc, parent string, a, b *AcquisitionMethod) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	d.added(PeriodAdded, PeriodRemoved, l, labelIn(periodLabel(x), parent), labelIn(periodLabel(y), parent), wordSpan(x.Start, x.End), wordSpan(y.Start, y.End), a != nil, b != nil)
	m := y
	if b == nil {
		m = x
	}
	label := labelIn(labelDated(periodLabel(m), m.Start, m.End), parent)
	if a != nil && b != nil {
		d.value(PeriodMoved, l, "", "", labelIn(periodLabel(y), parent), wordSpan(x.Start, x.End), wordSpan(y.Start, y.End))
		d.value(PeriodChanged, l, "yksiloiva-tunniste", "period identifier of ", label, deref(x.PeriodID), deref(y.PeriodID))
		d.value(PeriodChanged, l, "ajanjakson-tarkenne", "period note of ", label, deref(x.PeriodNote), deref(y.PeriodNote))
		d.value(MethodChanged, l, "osaamisen-hankkimistapa-koodi-uri", "way of acquiring competence of ", label, deref(x.MethodCodeURI), deref(y.MethodCodeURI))
		d.value(MethodChanged, l, "osaamisen-hankkimistapa-koodi-versio", "code version of the way of acquiring competence of ", label, wordInt(x.MethodCodeVersion), wordInt(y.MethodCodeVersion))
		d.value(RepresentativeChanged, l, "jarjestajan-edustaja", "provider's representative of ", label, schoolPersonWords(x.ProviderRepresentative), schoolPersonWords(y.ProviderRepresentative))
		d.value(RepresentativeChanged, l, "hankkijan-edustaja", "procurer's representative of ", label, schoolPersonWords(x.ProcurerRepresentative), schoolPersonWords(y.ProcurerRepresentative))
		d.workplace(l.key("tyopaikalla-jarjestettava-koulutus"), labelIn(labelDated(periodKind(y), y.Start, y.End), parent), label, x.Workplace, y.Workplace)
		d.value(PartTimeChanged, l, "osa-aikaisuustieto", "", label, wordPercent(x.PartTimePercent), wordPercent(y.PartTimePercent))
		d.value(PeriodChanged, l, "oppisopimuksen-perusta-koodi-uri", "apprenticeship basis of ", label, deref(x.ApprenticeshipBasisCodeURI), deref(y.ApprenticeshipBasisCodeURI))
		d.value(PeriodChanged, l, "oppisopimuksen-perusta-koodi-versio", "apprenticeship basis code version of ", label, wordInt(x.ApprenticeshipBasisCodeVersion), wordInt(y.ApprenticeshipBasisCodeVersion))
	}
	eachPair(d, l, "muut-oppimisymparistot", x.OtherEnvironments, y.OtherEnvironments, environmentIdentity,
		func(d *differ, l diffLoc, a, b *OtherLearningEnvironment) {
			x, y := zeroIfNil(a), zeroIfNil(b)
			subject := "learning environment of " + label
			d.added(EnvironmentAdded, EnvironmentRemoved, l, subject, subject, environmentWords(x), environmentWords(y), a != nil, b != nil)
			if a != nil && b != nil {
				d.value(EnvironmentChanged, l, "", "", subject, environmentWords(x), environmentWords(y))
			}
		})
	eachPair(d, l, "keskeytymisajanjaksot", x.Interruptions, y.Interruptions, interruptionIdentity,
		func(d *differ, l diffLoc, a, b *Interruption) {
			x, y := zeroIfNil(a), zeroIfNil(b)
			subject := "interruption of " + label
			d.added(InterruptionAdded, InterruptionRemoved, l, subject, subject, wordSpan(x.Start, x.End), wordSpan(y.Start, y.End), a != nil, b != nil)
			if a != nil && b != nil {
				d.value(InterruptionChanged, l, "", "", subject, wordSpan(x.Start, x.End), wordSpan(y.Start, y.End))
			}
		})
}

func schoolPersonWords(p *SchoolPerson) string {
	if p == nil {
		return ""
	}
	return wordList(deref(p.Name), deref(p.Role), deref(p.InstitutionOID))
}

func environmentWords(e *OtherLearningEnvironment) string {
	return wordList(deref(e.CodeURI), wordVersion(e.CodeVersion), wordSpan(e.Start, e.End))
}

var environmentIdentity = matchIdentity[OtherLearningEnvironment]{keys: []func(*OtherLearningEnvironment) string{
	func(e *OtherLearningEnvironment) string { return matchKey(deref(e.CodeURI), e.Start.String()) },
	func(e *OtherLearningEnvironment) string { return matchKey(deref(e.CodeURI), e.End.String()) },
	func(e *OtherLearningEnvironment) string { return deref(e.CodeURI) },
}}

var interruptionIdentity = matchIdentity[Interruption]{keys: []func(*Interruption) string{
	func(i *Interruption) string { return i.Start.String() },
	func(i *Interruption) string { return i.End.String() },
}}

// workplace compares the workplace of a period in both versions; bare is
// the period's label without the workplace name.
func (d *differ) workplace(l diffLoc, bare, label string, a, b *WorkplaceTraining) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	d.value(WorkplaceChanged, l, "tyopaikan-nimi", "workplace of ", bare, deref(x.WorkplaceName), deref(y.WorkplaceName))
	d.value(WorkplaceChanged, l, "tyopaikan-y-tunnus", "workplace business ID of ", label, deref(x.BusinessID), deref(y.BusinessID))
	d.strs(WorkplaceChanged, l, "keskeiset-tyotehtavat", "key work tasks of ", label, x.KeyTasks, y.KeyTasks)
	i, j := zeroIfNil(x.Instructor), zeroIfNil(y.Instructor)
	l = l.key("vastuullinen-tyopaikka-ohjaaja")
	d.value(InstructorChanged, l, "nimi", "instructor of ", label, deref(i.Name), deref(j.Name))
	d.value(InstructorChanged, l, "sahkoposti", "instructor's e-mail of ", label, deref(i.Email), deref(j.Email))
	d.value(InstructorChanged, l, "puhelinnumero", "instructor's phone number of ", label, deref(i.Phone), deref(j.Phone))
}

// Demonstrations.

func environmentName(m *Demonstration) string {
	if m.Environment == nil {
		return ""
	}
	return deref(m.Environment.Name)
}

// demonstrationLabel is "demonstration at Rakennus Oy".
func demonstrationLabel(m *Demonstration) string {
	if n := environmentName(m); n != "" {
		return "demonstration at " + n
	}
	return "demonstration"
}

var demonstrationIdentity = matchIdentity[Demonstration]{keys: []func(*Demonstration) string{
	func(m *Demonstration) string { return deref(m.ModuleID) },
	func(m *Demonstration) string { return matchKey(m.Start.String(), contentKey(m.Content)) },
	func(m *Demonstration) string { return contentKey(m.Content) },
	func(m *Demonstration) string { return matchKey(m.Start.String(), environmentName(m)) },
}}

func contentKey(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	x := slices.Clone(ss)
	slices.Sort(x)
	return strings.Join(x, "\x00")
}

func (d *differ) demonstrations(l diffLoc, key, parent string, as, bs []Demonstration) {
	eachPair(d, l, key, as, bs, demonstrationIdentity,
		func(d *differ, l diffLoc, a, b *Demonstration) { d.demonstration(l, parent, a, b) })
}

func (d *differ) demonstration(l diffLoc, parent string, a, b *Demonstration) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	d.added(DemonstrationAdded, DemonstrationRemoved, l, labelIn(demonstrationLabel(x), parent), labelIn(demonstrationLabel(y), parent), wordSpan(x.Start, x.End), wordSpan(y.Start, y.End), a != nil, b != nil)
	m := y
	if b == nil {
		m = x
	}
	label := labelIn(labelDated(demonstrationLabel(m), m.Start, m.End), parent)
	if a != nil && b != nil {
		d.value(DemonstrationMoved, l, "", "", labelIn(demonstrationLabel(y), parent), wordSpan(x.Start, x.End), wordSpan(y.Start, y.End))
		d.value(DemonstrationChanged, l, "jarjestaja.oppilaitos-oid", "organiser of ", label, organiserWords(x.Organiser), organiserWords(y.Organiser))
		d.strs(DemonstrationChanged, l, "osa-alueet", "sub-areas of ", label, codeRefWords(x.SubAreas), codeRefWords(y.SubAreas))
		e, f := zeroIfNil(x.Environment), zeroIfNil(y.Environment)
		el := l.key("nayttoymparisto")
		d.value(DemonstrationEnvironmentChanged, el, "nimi", "environment of ", labelIn(labelDated("demonstration", y.Start, y.End), parent), deref(e.Name), deref(f.Name))
		d.value(DemonstrationEnvironmentChanged, el, "y-tunnus", "environment business ID of ", label, deref(e.BusinessID), deref(f.BusinessID))
		d.value(DemonstrationEnvironmentChanged, el, "kuvaus", "environment description of ", label, deref(e.Description), deref(f.Description))
		d.strs(DemonstrationChanged, l, "sisallon-kuvaus", "content of ", label, x.Content, y.Content)
		d.value(DeviationsChanged, l, "vaatimuksista-tai-tavoitteista-poikkeaminen", "deviations of ", label, deref(x.Deviations), deref(y.Deviations))
		d.strs(CriteriaChanged, l, "yksilolliset-kriteerit", "", label, x.IndividualCriteria, y.IndividualCriteria)
	}
	d.assessors(l, "koulutuksen-jarjestaja-osaamisen-arvioijat", "provider assessor of "+label, providerAssessors(x.ProviderAssessors), providerAssessors(y.ProviderAssessors))
	d.assessors(l, "tyoelama-osaamisen-arvioijat", "working-life assessor of "+label, workingLifeAssessors(x.WorkingLifeAssessors), workingLifeAssessors(y.WorkingLifeAssessors))
}

func organiserWords(o *DemonstrationOrganiser) string {
	if o == nil {
		return ""
	}
	return deref(o.InstitutionOID)
}

func codeRefWords(cs []CodeRef) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = wordList(deref(c.CodeURI), wordVersion(c.CodeVersion))
	}
	return out
}

// assessorWords is an assessor of either kind, in words.
type assessorWords struct {
	Name string // the assessor's name
	Org  string // the organisation's name or OID
	Desc string // everything: "Name (organisation, business ID)"
}

func providerAssessors(as []ProviderAssessor) []assessorWords {
	out := make([]assessorWords, len(as))
	for i, a := range as {
		org := ""
		if a.Organisation != nil {
			org = deref(a.Organisation.InstitutionOID)
		}
		out[i] = assessorWords{Name: deref(a.Name), Org: org, Desc: describeAssessor(deref(a.Name), org)}
	}
	return out
}

func workingLifeAssessors(as []WorkingLifeAssessor) []assessorWords {
	out := make([]assessorWords, len(as))
	for i, a := range as {
		o := zeroIfNil(a.Organisation)
		out[i] = assessorWords{Name: deref(a.Name), Org: deref(o.Name), Desc: describeAssessor(deref(a.Name), wordList(deref(o.Name), deref(o.BusinessID)))}
	}
	return out
}

func describeAssessor(name, org string) string {
	if org == "" {
		return name
	}
	return strings.TrimSpace(name + " (" + org + ")")
}

var assessorIdentity = matchIdentity[assessorWords]{keys: []func(*assessorWords) string{
	func(a *assessorWords) string { return matchKey(a.Name, a.Org) },
	func(a *assessorWords) string { return a.Name },
	func(a *assessorWords) string { return a.Org },
}}

func (d *differ) assessors(l diffLoc, key, subject string, as, bs []assessorWords) {
	eachPair(d, l, key, as, bs, assessorIdentity, func(d *differ, l diffLoc, a, b *assessorWords) {
		x, y := zeroIfNil(a), zeroIfNil(b)
		d.added(AssessorAdded, AssessorRemoved, l, subject, subject, x.Desc, y.Desc, a != nil, b != nil)
		if a != nil && b != nil {
			d.value(AssessorChanged, l, "", "", subject, x.Desc, y.Desc)
		}
	})
}

// Supporting studies, learning support and TUVA parts.

var supportingStudyIdentity = matchIdentity[SupportingStudy]{keys: []func(*SupportingStudy) string{
	func(s *SupportingStudy) string { return deref(s.Name) },
	func(s *SupportingStudy) string { return wordSpan(s.Start, s.End) },
}}

func (d *differ) supportingStudy(l diffLoc, a, b *SupportingStudy) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	labelA, labelB := labelNamed("supporting study", deref(x.Name)), labelNamed("supporting study", deref(y.Name))
	d.added(SupportingStudyAdded, SupportingStudyRemoved, l, labelA, labelB, wordSpan(x.Start, x.End), wordSpan(y.Start, y.End), a != nil, b != nil)
	if a != nil && b != nil {
		d.value(SupportingStudyChanged, l, "nimi", "name of ", labelB, deref(x.Name), deref(y.Name))
		d.value(SupportingStudyChanged, l, "kuvaus", "description of ", labelB, deref(x.Description), deref(y.Description))
		d.value(SupportingStudyChanged, l, "", "dates of ", labelB, wordSpan(x.Start, x.End), wordSpan(y.Start, y.End))
	}
}

var learningSupportIdentity = matchIdentity[LearningSupport]{keys: []func(*LearningSupport) string{
	func(s *LearningSupport) string {
		return matchKey(deref(s.TypeCodeURI), deref(s.UnitTypeCodeURI), s.Start.String())
	},
	func(s *LearningSupport) string { return matchKey(deref(s.TypeCodeURI), deref(s.UnitTypeCodeURI)) },
	func(s *LearningSupport) string { return matchKey(deref(s.TypeCodeURI), s.Start.String()) },
	func(s *LearningSupport) string { return deref(s.TypeCodeURI) },
}}

func (d *differ) learningSupport(l diffLoc, a, b *LearningSupport) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	labelA, labelB := labelNamed("learning support", deref(x.TypeCodeURI)), labelNamed("learning support", deref(y.TypeCodeURI))
	valueA := wordList(wordSpan(x.Start, x.End), deref(x.UnitTypeCodeURI))
	valueB := wordList(wordSpan(y.Start, y.End), deref(y.UnitTypeCodeURI))
	d.added(LearningSupportAdded, LearningSupportRemoved, l, labelA, labelB, valueA, valueB, a != nil, b != nil)
	if a != nil && b != nil {
		d.value(LearningSupportChanged, l, "oppimisen-tuen-tyyppi-koodi-uri", "type of ", labelB, deref(x.TypeCodeURI), deref(y.TypeCodeURI))
		d.value(LearningSupportChanged, l, "", "dates of ", labelB, wordSpan(x.Start, x.End), wordSpan(y.Start, y.End))
		d.value(LearningSupportChanged, l, "tutkinnon-osan-tyyppi-koodi-uri", "unit group of ", labelB, deref(x.UnitTypeCodeURI), deref(y.UnitTypeCodeURI))
	}
}

var tuvaIdentity = matchIdentity[TUVAPart]{keys: []func(*TUVAPart) string{
	func(p *TUVAPart) string { return matchKey(deref(p.CodeURI), p.Start.String()) },
	func(p *TUVAPart) string { return deref(p.CodeURI) },
}}

func wordWeeks(p *float64) string {
	if p == nil {
		return ""
	}
	return wordFloat(p) + " weeks"
}

func (d *differ) tuvaPart(l diffLoc, a, b *TUVAPart) {
	x, y := zeroIfNil(a), zeroIfNil(b)
	labelA, labelB := labelNamed("TUVA part", deref(x.CodeURI)), labelNamed("TUVA part", deref(y.CodeURI))
	d.added(TUVAPartAdded, TUVAPartRemoved, l, labelA, labelB, wordList(wordSpan(x.Start, x.End), wordWeeks(x.Extent)), wordList(wordSpan(y.Start, y.End), wordWeeks(y.Extent)), a != nil, b != nil)
	if a != nil && b != nil {
		d.value(TUVAPartChanged, l, "koulutuksen-osa-koodi-uri", "code of ", labelB, deref(x.CodeURI), deref(y.CodeURI))
		d.value(TUVAPartChanged, l, "koulutuksen-osa-koodi-versio", "code version of ", labelB, wordInt(x.CodeVersion), wordInt(y.CodeVersion))
		d.value(TUVAPartChanged, l, "", "dates of ", labelB, wordSpan(x.Start, x.End), wordSpan(y.Start, y.End))
		d.value(TUVAPartChanged, l, "laajuus", "extent of ", labelB, wordWeeks(x.Extent), wordWeeks(y.Extent))
	}
}

// Matching list elements by identity.

// matchIdentity says how to tell which element of one version is which element
// of the other. keys are tried in order; an empty key never matches. When
// exclusive is set, two elements whose exclusive keys are both present and
// differ are never the same element (a period identifier).
type matchIdentity[T any] struct {
	exclusive func(*T) string
	keys      []func(*T) string
}

// codeIdentity matches units and sub-areas by code URI, preferring equal
// module-ids among units with the same code.
func codeIdentity[T any](f func(*T) (code, moduleID *string)) matchIdentity[T] {
	return matchIdentity[T]{keys: []func(*T) string{
		func(t *T) string {
			code, id := f(t)
			if deref(id) == "" {
				return ""
			}
			return matchKey(deref(code), deref(id))
		},
		func(t *T) string { code, _ := f(t); return deref(code) },
	}}
}

// localIdentity matches local units by AMOSAA id, else name, else
// module-id; two different AMOSAA ids are different units.
func localIdentity[T any](f func(*T) (amosaa, name, moduleID *string)) matchIdentity[T] {
	return matchIdentity[T]{
		exclusive: func(t *T) string { id, _, _ := f(t); return deref(id) },
		keys: []func(*T) string{
			func(t *T) string { id, _, _ := f(t); return deref(id) },
			func(t *T) string { _, name, _ := f(t); return deref(name) },
			func(t *T) string { _, _, id := f(t); return deref(id) },
		},
	}
}

func matchKey(parts ...string) string {
	for _, p := range parts {
		if p != "" {
			return strings.Join(parts, "\x00")
		}
	}
	return ""
}

type matchPair struct{ a, b int } // -1: not in that version

// maxCostPairs bounds the pairs of look-alike elements whose changes are
// counted to pair them best; larger groups pair in order.
const maxCostPairs = 64

// eachPair matches the elements of the list key in both versions and calls
// f for each pair, with nil for a side that lacks the element.
func eachPair[T any](d *differ, l diffLoc, key string, as, bs []T, id matchIdentity[T], f func(d *differ, l diffLoc, a, b *T)) {
	if len(as) == 0 && len(bs) == 0 {
		return
	}
	la, lb := join(l.a, key), join(l.b, key)
	var cost func(a, b *T) int
	if !d.scratch {
		cost = func(a, b *T) int {
			s := differ{scratch: true}
			f(&s, diffLoc{}, a, b)
			return len(s.out)
		}
	}
	for _, p := range pairUp(as, bs, id, cost) {
		var a, b *T
		var at diffLoc
		if p.a >= 0 {
			a = &as[p.a]
			at.a = la + "[" + strconv.Itoa(p.a) + "]"
		}
		if p.b >= 0 {
			b = &bs[p.b]
			at.b = lb + "[" + strconv.Itoa(p.b) + "]"
		}
		f(d, at, a, b)
	}
}

// pairUp matches as to bs: key by key, equal elements first, then the
// pairs with the fewest changes. Then equal elements pair whatever their
// keys, and elements with no key at all pair with each other like
// elements with the same key. Elements left over are added or removed.
func pairUp[T any](as, bs []T, id matchIdentity[T], cost func(a, b *T) int) []matchPair {
	m := matcher[T]{as: as, bs: bs, id: id, cost: cost, usedA: make([]bool, len(as)), usedB: make([]bool, len(bs))}
	if len(as) > 0 && len(bs) > 0 {
		m.fpA, m.fpB = make([]*string, len(as)), make([]*string, len(bs))
		for _, key := range id.keys {
			groupA, groupB, order := m.groups(key)
			for _, k := range order {
				m.assign(groupA[k], groupB[k], true)
			}
		}
		keyless := func(t *T) string {
			for _, key := range id.keys {
				if key(t) != "" {
					return ""
				}
			}
			return "keyless"
		}
		all := func(*T) string { return "all" }
		for _, key := range []func(*T) string{all, keyless} {
			groupA, groupB, order := m.groups(key)
			for _, k := range order {
				m.assign(groupA[k], groupB[k], k == "keyless")
			}
		}
	}
	for i := range as {
		if !m.usedA[i] {
			m.out = append(m.out, matchPair{i, -1})
		}
	}
	for j := range bs {
		if !m.usedB[j] {
			m.out = append(m.out, matchPair{-1, j})
		}
	}
	return m.out
}

type matcher[T any] struct {
	as, bs       []T
	id           matchIdentity[T]
	cost         func(a, b *T) int
	fpA, fpB     []*string // fingerprints, computed when needed
	usedA, usedB []bool
	out          []matchPair
}

// groups groups the elements not yet matched by a non-empty key, keeping
// only keys found in both versions, in the order they first appear in as.
func (m *matcher[T]) groups(key func(*T) string) (groupA, groupB map[string][]int, order []string) {
	groupA, groupB = map[string][]int{}, map[string][]int{}
	for j := range m.bs {
		if !m.usedB[j] {
			if k := key(&m.bs[j]); k != "" {
				groupB[k] = append(groupB[k], j)
			}
		}
	}
	for i := range m.as {
		if m.usedA[i] {
			continue
		}
		k := key(&m.as[i])
		if _, ok := groupB[k]; !ok || k == "" {
			continue
		}
		if _, seen := groupA[k]; !seen {
			order = append(order, k)
		}
		groupA[k] = append(groupA[k], i)
	}
	return groupA, groupB, order
}

func (m *matcher[T]) compatible(i, j int) bool {
	if m.id.exclusive == nil {
		return true
	}
	x, y := m.id.exclusive(&m.as[i]), m.id.exclusive(&m.bs[j])
	return x == "" || y == "" || x == y
}

func (m *matcher[T]) fingerprintA(i int) string {
	if m.fpA[i] == nil {
		m.fpA[i] = new(fingerprint(&m.as[i]))
	}
	return *m.fpA[i]
}

func (m *matcher[T]) fingerprintB(j int) string {
	if m.fpB[j] == nil {
		m.fpB[j] = new(fingerprint(&m.bs[j]))
	}
	return *m.fpB[j]
}

func (m *matcher[T]) link(i, j int) {
	m.usedA[i], m.usedB[j] = true, true
	m.out = append(m.out, matchPair{i, j})
}

// assign pairs elements of A with elements of B: equal ones first, then,
// if all is set, the rest (those with the fewest changes first when the
// group is small and there is a cost, else in order).
func (m *matcher[T]) assign(A, B []int, all bool) {
	if all && len(A) == 1 && len(B) == 1 {
		if m.compatible(A[0], B[0]) {
			m.link(A[0], B[0])
		}
		return
	}
	equal := map[string][]int{}
	for _, j := range B {
		fp := m.fingerprintB(j)
		equal[fp] = append(equal[fp], j)
	}
	var restA []int
	for _, i := range A {
		fp := m.fingerprintA(i)
		js := equal[fp]
		n := slices.IndexFunc(js, func(j int) bool { return !m.usedB[j] && m.compatible(i, j) })
		if n < 0 {
			restA = append(restA, i)
			continue
		}
		m.link(i, js[n])
		equal[fp] = slices.Delete(js, n, n+1)
	}
	if !all {
		return
	}
	var restB []int
	for _, j := range B {
		if !m.usedB[j] {
			restB = append(restB, j)
		}
	}
	if len(restA) == 0 || len(restB) == 0 {
		return
	}
	if m.cost != nil && len(restA)*len(restB) <= maxCostPairs {
		type candidate struct{ i, j, cost int }
		var cs []candidate
		for _, i := range restA {
			for _, j := range restB {
				if m.compatible(i, j) {
					cs = append(cs, candidate{i, j, m.cost(&m.as[i], &m.bs[j])})
				}
			}
		}
		slices.SortStableFunc(cs, func(x, y candidate) int { return cmp.Compare(x.cost, y.cost) })
		for _, c := range cs {
			if !m.usedA[c.i] && !m.usedB[c.j] {
				m.link(c.i, c.j)
			}
		}
		return
	}
	for _, i := range restA {
		for _, j := range restB {
			if !m.usedB[j] && m.compatible(i, j) {
				m.link(i, j)
				break
			}
		}
	}
}

// fingerprint writes what an element says, without its bookkeeping (ID,
// ModuleID, Extra), so that elements that Diff finds equal have the same
// fingerprint: lists count as multisets, an absent string is an empty one
// and an absent object an empty one.
func fingerprint(v any) string {
	var b strings.Builder
	writeFingerprint(&b, reflect.ValueOf(v))
	return b.String()
}

func writeFingerprint(b *strings.Builder, v reflect.Value) {
	item := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	switch v.Kind() {
	case reflect.Pointer:
		switch {
		case !v.IsNil():
			writeFingerprint(b, v.Elem())
		case v.Type().Elem().Kind() == reflect.Struct || v.Type().Elem().Kind() == reflect.String:
			writeFingerprint(b, reflect.Zero(v.Type().Elem()))
		default:
			b.WriteByte('~')
		}
	case reflect.Struct:
		switch v.Type() {
		case dateType:
			item(v.Interface().(coaching.Date).String())
			return
		case instantType:
			item(v.Interface().(Instant).String())
			return
		}
		b.WriteByte('{')
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "ID" || f.Name == "ModuleID" || f.Name == "Extra" {
				continue
			}
			writeFingerprint(b, v.Field(i))
			b.WriteByte(';')
		}
		b.WriteByte('}')
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			var e strings.Builder
			writeFingerprint(&e, v.Index(i))
			parts[i] = e.String()
		}
		slices.Sort(parts)
		b.WriteByte('[')
		for _, p := range parts {
			item(p)
		}
		b.WriteByte(']')
	case reflect.String:
		item(v.String())
	case reflect.Int, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'f', -1, 64))
	}
}
