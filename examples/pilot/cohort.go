package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/coachingtest"
)

// Seed makes the simulated class and its term reproducible.
const Seed uint64 = 20260810

// ClassSize is the number of students in the first-year class.
const ClassSize = 25

// Fields of the pilot (DOMAIN.md §2: surface treatment and construction).
const (
	FieldConstruction     = "construction"
	FieldSurfaceTreatment = "surface treatment"
)

// The students with a part to play in the term, by index in the class.
const (
	idxTurns18         = 3  // born 2008-11-04: an adult from 2026-11-04
	idxReferral        = 5  // a growing absence pattern; referred to the curator
	idxUnreachable     = 7  // the second guardian has no contact details
	idxConsent         = 9  // an adult (born 2007) who consents to informing the guardians
	idxCorrection      = 11 // a day's absences explained the day after the digest
	idxDrifter2        = 13 // a growing absence pattern
	idxSwedish         = 15 // a Swedish-speaking guardian
	idxNoConsent       = 17 // an adult (born 2007) without consent
	idxEnglish         = 19 // an English-speaking guardian
	idxDrifter3        = 21 // a growing absence pattern
	idxRedirected      = 23 // moves to a better-suited field in November
	idxCorrectedBefore = 1  // marked absent, then late, before the digest
)

// Birthday18 is the 18th birthday of the student who comes of age mid-term.
var Birthday18 = coaching.NewDate(2026, 11, 4)

// supportNeeds are the students whose support needs are known at the start;
// the special-needs teacher is on their team.
var supportNeeds = map[int][]string{
	2:           {"lukemisen ja kirjoittamisen tuki", "tehtävien pilkkominen"},
	idxReferral: {"opiskelurytmin tuki"},
	8:           {"matematiikan tukiopetus"},
	14:          {"lukemisen ja kirjoittamisen tuki"},
	20:          {"keskittymisen tuki", "matematiikan tukiopetus"},
}

// profile is how a student attends, as probabilities.
type profile struct {
	late        float64 // a lesson attended late
	unexplained float64 // a lesson missed without explanation
	sickDay     float64 // a whole day off sick
	appointment float64 // an explained half day (an appointment)
	// A drifting student skips whole days more and more often from school
	// week driftFrom on, up to driftMax; individual coaching brings it down.
	drift, driftMax float64
	driftFrom       int
}

// Student is one member of the class.
type Student struct {
	Index       int
	CaseID      coaching.CaseID
	Field       string
	Participant coaching.Participant
	// Initial situation as the personal tutor maps it.
	SupportNeeds      []string
	Literacy, Maths   coaching.ScreeningResult
	InterviewDay      int // school day of the initial interview (0 = the first)
	profile           profile
	individualCoached int // individual coaching sessions so far
}

var givenNames = []string{
	"Aino", "Eetu", "Veeti", "Onni", "Emilia", "Leevi", "Niilo", "Elias", "Jenna", "Sara",
	"Aleksi", "Joona", "Iida", "Lauri", "Oona", "Väinö", "Topias", "Miro", "Aada", "Rasmus",
	"Eemil", "Jere", "Niko", "Helmi", "Santeri", "Ville", "Julia",
}

var familyNames = []string{
	"Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
	"Koskinen", "Järvinen", "Lehtonen", "Saarinen", "Salminen", "Heinonen", "Niemi", "Heikkilä",
	"Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen", "Rantanen", "Karjalainen", "Jokinen",
}

var parentNames = []string{
	"Anne", "Jari", "Minna", "Mika", "Sari", "Timo", "Tiina", "Petri", "Johanna", "Marko",
	"Katja", "Janne", "Satu", "Juha", "Hanna", "Antti", "Päivi", "Sami", "Heidi", "Jukka",
}

// Cohort builds the class from the seed: the same seed gives the same
// class.
func Cohort(seed uint64) []*Student {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	given := shuffled(rng, givenNames)
	family := shuffled(rng, familyNames)
	out := make([]*Student, ClassSize)
	for i := range out {
		s := &Student{Index: i, CaseID: coaching.OrganisationCaseID("oppilaitos-1", fmt.Sprintf("pilot-%02d", i+1))}
		s.Field = FieldConstruction
		if i%2 == 1 {
			s.Field = FieldSurfaceTreatment
		}
		fam := family[i]
		switch i {
		case idxSwedish:
			fam = "Lindqvist"
		case idxEnglish:
			fam = "Walker"
		}
		birth := coaching.NewDate(2010, 1, 1).AddDays(rng.IntN(365))
		switch i {
		case idxTurns18:
			birth = coaching.NewDate(2008, 11, 4)
		case idxConsent:
			birth = coaching.NewDate(2007, 5, 21)
		case idxNoConsent:
			birth = coaching.NewDate(2007, 2, 9)
		}
		gender := coaching.GenderMale
		if rng.IntN(4) == 0 {
			gender = coaching.GenderFemale
		}
		p := coaching.Participant{
			ID:           coaching.ParticipantID(fmt.Sprintf("student-%02d", i+1)),
			Organisation: "oppilaitos-1",
			GivenNames:   given[i],
			FamilyName:   fam,
			BirthDate:    birth,
			IdentityCode: syntheticCode(birth, 900+2*i+rng.IntN(2)),
			Language:     coaching.Finnish,
			Background:   coaching.Background{Gender: gender, EducationLevel: coaching.EducationBasic, LabourStatus: coaching.LabourInEducation},
		}
		p.Guardians = guardians(rng, i, fam)
		if i == idxConsent {
			p.GuardianConsent = coaching.ConsentRecord{GivenOn: TermStart}
		}
		s.Participant = p

		s.SupportNeeds = supportNeeds[i]
		s.Literacy, s.Maths = coaching.ScreeningNoNeed, coaching.ScreeningNoNeed
		for _, n := range s.SupportNeeds {
			if strings.Contains(n, "lukemisen") {
				s.Literacy = coaching.ScreeningSupportNeed
			}
			if strings.Contains(n, "matematiikan") {
				s.Maths = coaching.ScreeningSupportNeed
			}
		}
		if rng.IntN(12) == 0 && s.Literacy == coaching.ScreeningNoNeed {
			s.Maths = coaching.ScreeningSupportNeed // found in the screening, not known before
		}
		if i == idxRedirected {
			s.Maths = coaching.ScreeningNotTaken // was away on the screening day
		}
		s.InterviewDay = 2 + i/2 // two interviews a day from the third school day

		s.profile = profile{late: 0.03, unexplained: 0.006, sickDay: 0.015, appointment: 0.006}
		if rng.IntN(6) == 0 {
			s.profile.late = 0.10
		}
		switch i {
		case idxReferral, idxDrifter2, idxDrifter3:
			s.profile = profile{late: 0.06, unexplained: 0.02, sickDay: 0.03, appointment: 0.006,
				drift: 0.03, driftMax: 0.30, driftFrom: 3 + i%3}
		}
		out[i] = s
	}
	return out
}

// guardians returns a student's guardians: one or two, with e-mail, in
// Finnish unless the family speaks Swedish or English; one guardian has no
// contact details at all.
func guardians(rng *rand.Rand, i int, family string) []coaching.Guardian {
	n := 1 + rng.IntN(10)/3 // two guardians for seven in ten
	if n > 2 {
		n = 2
	}
	if i == idxUnreachable {
		n = 2
	}
	var out []coaching.Guardian
	for k := range n {
		name := parentNames[rng.IntN(len(parentNames))]
		lang := coaching.Finnish
		switch {
		case i == idxSwedish && k == 0:
			name, lang = "Camilla", coaching.Swedish
		case i == idxEnglish && k == 0:
			name, lang = "Sarah", coaching.English
		}
		g := coaching.Guardian{
			ID:       fmt.Sprintf("guardian-%02d-%d", i+1, k+1),
			Name:     name + " " + family,
			Language: lang,
			Contact:  coaching.Contact{Email: fmt.Sprintf("%s.%s.%d@koti.example", ascii(name), ascii(family), i+1)},
		}
		if i == idxUnreachable && k == 1 {
			g.Contact = coaching.Contact{} // no contact details: reported, the tutor is told
		}
		out = append(out, g)
	}
	return out
}

func shuffled(rng *rand.Rand, in []string) []string {
	out := append([]string(nil), in...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// ascii writes a name for an e-mail address: lower case, no diacritics.
func ascii(s string) string {
	r := strings.NewReplacer("ä", "a", "ö", "o", "å", "a", "Ä", "a", "Ö", "o", "Å", "a", " ", "")
	return strings.ToLower(r.Replace(s))
}

// syntheticCode is a valid identity code in the temporary range 900–999,
// never given to a real person. The individual numbers the cohort uses
// are all in that range.
func syntheticCode(birth coaching.Date, individual int) coaching.IdentityCode {
	code, _ := coachingtest.SyntheticIdentityCode(birth, individual)
	return code
}
