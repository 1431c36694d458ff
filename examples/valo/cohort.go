package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/pathway"
)

// Seed is the fixed seed of the example's synthetic cohort.
const Seed uint64 = 20150216

// Second words of the PCG state, one stream per generator, so the cohort
// and the declined applicants do not depend on each other's draws.
const (
	cohortStream    uint64 = 0x56414c4f // "VALO"
	applicantStream uint64 = 0x48414b55 // "HAKU"
)

// The figures of the VALO project (seeds/001, DOMAIN.md §1) the cohort
// mirrors exactly.
const (
	CohortSize          = 77
	Women               = 51
	Under30             = 29
	LongTermUnemployed  = 49 // unemployed over 12 months at entry
	EducationBasic      = 35
	EducationVocational = 40
	EducationHigher     = 2

	// Not reported as figures; chosen to fit the text.
	PropertyServices    = 12 // most unit completions (124 of 135) were in household and cleaning
	ImmigrantBackground = 6  // a target group from 2017 on
	SwedishSpeaking     = 3
	DeclinedApplicants  = 5
)

// Coordinator is the project's coordinator, who reads every case and the
// figures: in the access policy, the organisation's head of studies.
var Coordinator = coaching.Actor{ID: "coordinator", Name: "Projektikoordinaattori", Roles: []coaching.Role{coaching.RoleHeadOfStudies}, Organisation: Workshop}

// Workshop is the organisation of every case, participant and staff member:
// the workshop's provider OID (plan.go's providerOID), so that lists such
// as a coach's caseload are the workshop's.
const Workshop coaching.OrganisationID = providerOID

// Dates of the project and of the simulated intake.
var (
	ProjectStart = coaching.NewDate(2015, time.February, 16)
	ProjectEnd   = coaching.NewDate(2018, time.February, 15)
	FirstEntry   = coaching.NewDate(2015, time.March, 2)
	LastEntry    = coaching.NewDate(2017, time.August, 31)
	// ImmigrantsFrom: immigrant job seekers became a target group in 2017.
	ImmigrantsFrom = coaching.NewDate(2017, time.January, 1)
)

// Field is the field a participant is coached in.
type Field int

// The project's two fields.
const (
	FieldHousehold Field = iota // kotityö- ja puhdistuspalveluala
	FieldProperty               // kiinteistöpalveluala
)

func (f Field) String() string {
	if f == FieldProperty {
		return "property services"
	}
	return "household and cleaning services"
}

// Coach is one of the project's three coaches (synthetic, not the real
// staff): two for household and cleaning services, one for property
// services. The second household coach started 3.5 months and the property
// coach 7.5 months after the project began.
type Coach struct {
	ID    string
	Name  string
	Field Field
	Start coaching.Date
}

// Coaches are the project's coaches.
var Coaches = []Coach{
	{ID: "coach-household-1", Name: "Valmentaja A (kotityö- ja puhdistuspalvelut)", Field: FieldHousehold, Start: ProjectStart},
	{ID: "coach-household-2", Name: "Valmentaja B (kotityö- ja puhdistuspalvelut)", Field: FieldHousehold, Start: coaching.NewDate(2015, time.June, 1)},
	{ID: "coach-property", Name: "Valmentaja C (kiinteistöpalvelut)", Field: FieldProperty, Start: coaching.NewDate(2015, time.October, 1)},
}

// Actor is the coach as an engine actor.
func (c Coach) Actor() coaching.Actor {
	return coaching.Actor{ID: c.ID, Name: c.Name, Roles: []coaching.Role{coaching.RoleCoach}, Organisation: Workshop}
}

// Team is a case's support team: the coach, with role coach.
func (c Coach) Team() []coaching.TeamMember {
	return []coaching.TeamMember{{ActorID: c.ID, Role: coaching.RoleCoach, Name: c.Name, Language: coaching.Finnish}}
}

// Destination is where a participant went after the period. The engine does
// not store it yet (onward paths come later), so the example keeps it here.
type Destination string

// Destinations, as the project reported them.
const (
	DestNone       Destination = "" // declined applicants: no period
	DestStudies    Destination = "studies"
	DestWork       Destination = "work"
	DestUnemployed Destination = "unemployed"
	DestJobSeeking Destination = "job_seeking"
	DestOutside    Destination = "outside_working_life"
)

// DestinationRow is one row of the project's reported destination table.
type DestinationRow struct {
	Dest     Destination
	Title    string
	Count    int
	Reported string // the percentage as the source prints it
}

// ReportedDestinations is the seed's table, in its order.
var ReportedDestinations = []DestinationRow{
	{DestStudies, "continued to studies", 12, "15.6"},
	{DestWork, "to work (incl. wage-subsidised)", 23, "29.8"},
	{DestUnemployed, "unemployed job seeker", 29, "37.7"},
	{DestJobSeeking, "moved to job seeking", 12, "15.6"},
	{DestOutside, "outside working life", 1, "1.3"},
}

// Kind is the pathway destination the engine records for d. Work is split
// between the open labour market and wage-subsidised work, studies between
// full qualifications and other studies, by the member's index i, so both
// appear in the data (the project reported them together).
func (d Destination) Kind(i int) pathway.Kind {
	switch d {
	case DestStudies:
		if i%3 == 0 {
			return pathway.StudiesOther
		}
		return pathway.StudiesQualification
	case DestWork:
		if i%2 == 0 {
			return pathway.WorkSubsidised
		}
		return pathway.WorkOpen
	case DestUnemployed:
		return pathway.Unemployed
	case DestJobSeeking:
		return pathway.JobSeeking
	case DestOutside:
		return pathway.OutsideOther
	}
	return pathway.Unknown
}

// row is the key suffix of d's row in the outcomes VALO table.
func (d Destination) row() string {
	if d == DestOutside {
		return "outside"
	}
	return string(d)
}

// Positive reports whether the destination is a positive onward path
// (studies or work).
func (d Destination) Positive() bool { return d == DestStudies || d == DestWork }

// EventEnrol is the pseudo-event of a path's first step: the case is opened
// with [coaching.Engine.Enrol].
const EventEnrol = "enrol"

// Step is one planned command on a participant's case.
type Step struct {
	Date    coaching.Date
	Event   string // a VALO event, or EventEnrol
	Reason  string
	Payload any
	// ExpectRejected marks a command the model's rules must reject (the
	// case stays where it is).
	ExpectRejected bool
}

// Member is one synthetic participant (or applicant) with the planned path
// of their case and where they went afterwards.
type Member struct {
	Participant coaching.Participant
	Field       Field
	Coach       Coach
	// Entry is the day the case is opened (recruitment starts).
	Entry coaching.Date
	// Outcome is the terminal state the path ends in.
	Outcome string
	// Destination is where the participant went after the period.
	Destination Destination
	Path        []Step
}

// Under30 reports whether the member was under 30 on the entry day.
func (m Member) Under30() bool { return m.Participant.AgeOn(m.Entry) < 30 }

// LastDay is the day of the path's last step.
func (m Member) LastDay() coaching.Date {
	if len(m.Path) == 0 {
		return m.Entry
	}
	return m.Path[len(m.Path)-1].Date
}

// counted is a value repeated n times in an exact-count list.
type counted[T any] struct {
	v T
	n int
}

func times[T any](v T, n int) counted[T] { return counted[T]{v, n} }

// exact returns the values repeated their counts, shuffled: the counts are
// exact, the order (and so the combinations with other attributes) varies.
func exact[T any](r *rand.Rand, parts ...counted[T]) []T {
	var out []T
	for _, p := range parts {
		for range p.n {
			out = append(out, p.v)
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// pick returns k of the indices, chosen at random, in ascending order.
func pick(r *rand.Rand, idx []int, k int) []int {
	idx = slices.Clone(idx)
	r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	idx = idx[:min(k, len(idx))]
	slices.Sort(idx)
	return idx
}

// between returns a uniform integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

func choose[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// Synthetic names from small lists: no real persons are meant.
var (
	femaleFi = []string{"Aino", "Anna", "Eeva", "Elina", "Hanna", "Heidi", "Jenni", "Laura", "Leena", "Marja", "Minna", "Niina", "Paula", "Pirjo", "Riikka", "Sari", "Satu", "Tiina", "Tuula", "Ulla"}
	maleFi   = []string{"Antti", "Jari", "Juha", "Jukka", "Kari", "Markku", "Mika", "Pekka", "Petri", "Sami", "Timo", "Tuomas", "Ville"}
	familyFi = []string{"Aaltonen", "Heikkilä", "Hiltunen", "Jokinen", "Kallio", "Karjalainen", "Koskinen", "Laaksonen", "Lehtonen", "Mattila", "Niemi", "Nurmi", "Ojala", "Rantanen", "Salonen", "Saarinen", "Toivonen", "Virtanen", "Väisänen"}
	femaleSv = []string{"Annika", "Camilla", "Ida", "Linnea", "Sofia"}
	maleSv   = []string{"Fredrik", "Jonas", "Mikael", "Patrik"}
	familySv = []string{"Blomqvist", "Holmström", "Lindberg", "Nyström", "Sjöberg"}
	femaleIn = []string{"Amina", "Fatima", "Leyla", "Mariam", "Sara"}
	maleIn   = []string{"Ahmed", "Daniel", "Omar", "Yusuf"}
	familyIn = []string{"Abdi", "Ahmadi", "Hassan", "Nguyen", "Tran"}
)

// Qualification units (tutkinnon osat) of the project's fields.
var units = map[Field][]string{
	FieldHousehold: {"Perussiivouspalvelut", "Ylläpitosiivouspalvelut", "Kotityöpalvelut", "Erikoispuhdistuspalvelut", "Laitoshuoltopalvelut", "Tekstiilien huoltopalvelut"},
	FieldProperty:  {"Kiinteistön yleishoito ja valvonta", "Ulkoalueiden hoito", "Kiinteistön teknisten järjestelmien hoito", "Jätehuolto ja kierrätys"},
}

// Cohort returns the 77 synthetic participants, sorted by entry day. The
// same seed always gives the same cohort. Gender, age group, length of
// unemployment, education and destination are dealt from exact-count
// lists, so the marginals equal the project's reported figures.
func Cohort(seed uint64) []Member {
	r := rand.New(rand.NewPCG(seed, cohortStream))
	entries := entryDays(r, CohortSize, true)

	women := exact(r, times(true, Women), times(false, CohortSize-Women))
	young := exact(r, times(true, Under30), times(false, CohortSize-Under30))
	longTerm := exact(r, times(true, LongTermUnemployed), times(false, CohortSize-LongTermUnemployed))
	education := exact(r,
		times(coaching.EducationBasic, EducationBasic),
		times(coaching.EducationVocational, EducationVocational),
		times(coaching.EducationHigher, EducationHigher))
	type fate struct {
		outcome string
		dest    Destination
	}
	// A few are redirected to a better-suited field (they went on to
	// study it); a few discontinue (and stayed unemployed or left working
	// life); everyone else completes the period.
	fates := exact(r,
		times(fate{coaching.ValoRedirected, DestStudies}, 3),
		times(fate{coaching.ValoClosed, DestStudies}, 9),
		times(fate{coaching.ValoClosed, DestWork}, 23),
		times(fate{coaching.ValoDiscontinued, DestUnemployed}, 4),
		times(fate{coaching.ValoClosed, DestUnemployed}, 25),
		times(fate{coaching.ValoClosed, DestJobSeeking}, 12),
		times(fate{coaching.ValoDiscontinued, DestOutside}, 1))

	all := make([]int, CohortSize)
	var propertyEligible, immigrantEligible []int
	for i := range all {
		all[i] = i
		if !entries[i].Before(Coaches[2].Start) {
			propertyEligible = append(propertyEligible, i)
		}
		if !entries[i].Before(ImmigrantsFrom) {
			immigrantEligible = append(immigrantEligible, i)
		}
	}
	property := pick(r, propertyEligible, PropertyServices)
	immigrant := pick(r, immigrantEligible, ImmigrantBackground)
	swedish := pick(r, slices.DeleteFunc(slices.Clone(all), func(i int) bool { return slices.Contains(immigrant, i) }), SwedishSpeaking)

	out := make([]Member, CohortSize)
	for i := range out {
		m := &out[i]
		m.Entry = entries[i]
		m.Field = FieldHousehold
		if slices.Contains(property, i) {
			m.Field = FieldProperty
		}
		m.Coach = coachFor(r, m.Field, m.Entry)
		lang := coaching.Finnish
		if slices.Contains(swedish, i) {
			lang = coaching.Swedish
		}
		m.Participant = person(r, fmt.Sprintf("valo-p%03d", i+1), m.Entry, women[i], young[i], lang, slices.Contains(immigrant, i))
		months := between(r, 3, 12)
		if longTerm[i] {
			months = between(r, 13, 60)
		}
		m.Participant.Background.EducationLevel = education[i]
		m.Participant.Background.UnemployedMonths = &months
		m.Outcome, m.Destination = fates[i].outcome, fates[i].dest
		m.Path = planPeriod(r, m)
	}
	return out
}

// Applicants returns the applicants declined at recruitment: their entry
// criteria were not met. The first one's coach first tries to admit them
// and the model's rules reject it.
func Applicants(seed uint64) []Member {
	r := rand.New(rand.NewPCG(seed, applicantStream))
	entries := entryDays(r, DeclinedApplicants, false)
	declines := []struct {
		reason     string
		assessment coaching.EntryAssessment
	}{
		{"cannot commit to the period at present", assessment(coaching.CriterionMet, coaching.CriterionMet, coaching.CriterionNotMet, coaching.CriterionMet, coaching.CriterionNotMet)},
		{"no motivation of their own for the field", assessment(coaching.CriterionNotMet, coaching.CriterionMet, coaching.CriterionMet, coaching.CriterionMet, coaching.CriterionNotMet)},
		{"working-life skills need rehabilitative work first", assessment(coaching.CriterionMet, coaching.CriterionNotMet, coaching.CriterionNotMet, coaching.CriterionMet, coaching.CriterionMet)},
		{"wants a paid job rather than a coaching period", assessment(coaching.CriterionNotMet, coaching.CriterionMet, coaching.CriterionMet, coaching.CriterionNotMet, coaching.CriterionNotMet)},
		{"care responsibilities prevent daily attendance", assessment(coaching.CriterionMet, coaching.CriterionMet, coaching.CriterionNotMet, coaching.CriterionMet, coaching.CriterionMet)},
	}
	out := make([]Member, DeclinedApplicants)
	for i := range out {
		m := &out[i]
		m.Entry = entries[i]
		m.Field = FieldHousehold
		if !m.Entry.Before(Coaches[2].Start) && r.IntN(4) == 0 {
			m.Field = FieldProperty
		}
		m.Coach = coachFor(r, m.Field, m.Entry)
		m.Participant = person(r, fmt.Sprintf("valo-a%d", i+1), m.Entry, r.IntN(3) > 0, r.IntN(2) == 0, coaching.Finnish, false)
		months := between(r, 1, 48)
		m.Participant.Background.EducationLevel = choose(r, []coaching.EducationLevel{coaching.EducationBasic, coaching.EducationVocational})
		m.Participant.Background.UnemployedMonths = &months
		m.Outcome = coaching.ValoDeclined

		d := declines[i%len(declines)]
		p := planner{r: r, day: m.Entry, steps: []Step{{Date: m.Entry, Event: EventEnrol}}}
		if i == 0 {
			p.step(between(r, 5, 12), Step{Event: coaching.ValoAdmit, Payload: d.assessment, ExpectRejected: true})
			p.step(between(r, 1, 5), Step{Event: coaching.ValoDecline, Reason: d.reason, Payload: d.assessment})
		} else {
			p.step(between(r, 5, 20), Step{Event: coaching.ValoDecline, Reason: d.reason, Payload: d.assessment})
		}
		m.Path = p.steps
	}
	return out
}

func assessment(motivation, skills, attendance, work, goal coaching.CriterionResult) coaching.EntryAssessment {
	return coaching.EntryAssessment{
		Motivation: motivation, WorkingLifeSkills: skills, AttendanceCommitment: attendance,
		WorkCommitment: work, GoalCommitment: goal,
	}
}

// entryDays returns n staggered weekdays from FirstEntry to LastEntry,
// sorted. With pin (and n ≥ 2) the first and the last are those very days.
func entryDays(r *rand.Rand, n int, pin bool) []coaching.Date {
	span := daysBetween(FirstEntry, LastEntry)
	out := make([]coaching.Date, n)
	for i := range out {
		out[i] = weekday(FirstEntry.AddDays(between(r, 1, span-1)))
	}
	if pin && n >= 2 {
		out[0], out[n-1] = FirstEntry, LastEntry
	}
	slices.SortFunc(out, coaching.Date.Compare)
	return out
}

// coachFor assigns the coach of the field who was already working on the
// entry day.
func coachFor(r *rand.Rand, f Field, entry coaching.Date) Coach {
	if f == FieldProperty {
		return Coaches[2]
	}
	if entry.Before(Coaches[1].Start) {
		return Coaches[0]
	}
	return Coaches[r.IntN(2)]
}

// person makes a synthetic participant: a name from the lists, a birth date
// that puts them under 30 (18–29) or not (30–62) on the entry day, and the
// labour status of an unemployed job seeker, and a synthetic identity code
// (temporary range 900–999: never a real person's) that the report must
// never show.
func person(r *rand.Rand, id string, entry coaching.Date, female, under30 bool, lang coaching.Language, immigrant bool) coaching.Participant {
	given, family := maleFi, familyFi
	switch {
	case immigrant:
		given, family = maleIn, familyIn
		if female {
			given = femaleIn
		}
	case lang == coaching.Swedish:
		given, family = maleSv, familySv
		if female {
			given = femaleSv
		}
	case female:
		given = femaleFi
	}
	gender := coaching.GenderMale
	if female {
		gender = coaching.GenderFemale
	}
	age := between(r, 30, 62)
	if under30 {
		age = between(r, 18, 29)
	}
	foreign := immigrant
	birth := birthDate(r, entry, age)
	return coaching.Participant{
		ID:           coaching.ParticipantID(id),
		Organisation: Workshop,
		GivenNames:   choose(r, given),
		FamilyName:   choose(r, family),
		BirthDate:    birth,
		IdentityCode: syntheticCode(id, birth),
		Language:     lang,
		Background: coaching.Background{
			Gender:            gender,
			LabourStatus:      coaching.LabourUnemployed,
			ForeignBackground: &foreign,
		},
	}
}

// birthDate returns a birth date of someone aged exactly age on the day on.
func birthDate(r *rand.Rand, on coaching.Date, age int) coaching.Date {
	b := coaching.NewDate(on.Year-age, on.Month, on.Day)
	if !b.Valid() { // 29 February in a common year
		b = coaching.NewDate(on.Year-age, on.Month, 28)
	}
	// Up to 359 days earlier is still the same age: a year has ≥ 365 days.
	return b.AddDays(-r.IntN(360))
}

// weekday moves a Saturday or Sunday to the next Monday.
func weekday(d coaching.Date) coaching.Date {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDays(2)
	case time.Sunday:
		return d.AddDays(1)
	}
	return d
}

// daysBetween returns the number of calendar days from a to b.
func daysBetween(a, b coaching.Date) int {
	ta := time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC)
	tb := time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC)
	return int(tb.Sub(ta) / (24 * time.Hour))
}

// syntheticCode derives a participant's synthetic identity code from the
// id, so the cohort's random draws stay as they were.
func syntheticCode(id string, birth coaching.Date) coaching.IdentityCode {
	n := 0
	for _, b := range []byte(id) {
		n = (n*31 + int(b)) % 100
	}
	code, _ := coachingtest.SyntheticIdentityCode(birth, 900+n)
	return code
}
