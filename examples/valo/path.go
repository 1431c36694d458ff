package main

import (
	"math/rand/v2"

	"github.com/valmennus/valmennus/coaching"
)

// How often the variations of a period occur, in per cent.
const (
	overrunPercent = 6  // a phase runs past its deadline
	pausePercent   = 15 // a sick leave in one working phase
	repeatPercent  = 10 // more practice after a first demonstration
)

// working lists the working phases in order.
var working = []string{coaching.ValoInduction, coaching.ValoSkillAcquisition, coaching.ValoDemonstration, coaching.ValoOnwardGuidance}

var resume = map[string]string{
	coaching.ValoInduction:        coaching.ValoResumeInduction,
	coaching.ValoSkillAcquisition: coaching.ValoResumeAcquisition,
	coaching.ValoDemonstration:    coaching.ValoResumeDemonstration,
	coaching.ValoOnwardGuidance:   coaching.ValoResumeOnwardGuidance,
}

// deadlines are the phase deadlines of the built-in VALO model.
var deadlines = func() map[string]coaching.Period {
	out := map[string]coaching.Period{}
	for _, st := range coaching.VALOSpec().States {
		out[st.Name] = st.Deadline
	}
	return out
}()

// shortDays are the phase lengths of a plain, short period.
var shortDays = map[string]int{
	coaching.ValoRecruitment:      12,
	coaching.ValoInduction:        20,
	coaching.ValoSkillAcquisition: 48,
	coaching.ValoDemonstration:    18,
	coaching.ValoOnwardGuidance:   18,
}

// deadlineDays returns the number of days from start to the deadline of a
// phase entered on start.
func deadlineDays(state string, start coaching.Date) int {
	return daysBetween(start, coaching.DateOf(deadlines[state].After(start.At(9, 0))))
}

// phaseLength draws the active days of a phase entered on start. On time
// ends at least two days before the deadline, so that moving a weekend day
// to Monday still meets it; an overrun ends at least two days after it.
// Recruitment varies the most.
func phaseLength(r *rand.Rand, state string, start coaching.Date, overrun bool) int {
	dl := deadlineDays(state, start)
	spread := 6
	switch state {
	case coaching.ValoRecruitment:
		spread = 12
	case coaching.ValoSkillAcquisition:
		spread = 9
	}
	if overrun {
		return between(r, dl+2, dl+2+spread)
	}
	return between(r, dl-2-spread, dl-2)
}

var (
	referrals = []string{
		"Referred by the TE office.",
		"Referred by the youth workshop.",
		"Referred by the labour service centre (TYP).",
		"Applied after an information session at the workshop.",
	}
	suitability = []string{
		"Suited to the field; manages the physical work well.",
		"Suited to the field with some adjustments to the tasks.",
		"Interested in the field and suited to it.",
	}
	workingLife = []string{
		"Punctual and reliable; works well in a team.",
		"Needs support with keeping to times; otherwise good.",
		"Works independently; communicates well with customers.",
	}
	competence = []string{
		"No earlier studies in the field.",
		"Earlier work experience in the field, no certificate.",
		"Some units studied earlier, not demonstrated.",
	}
)

var (
	morePractice = map[Field][]string{
		FieldHousehold: {"gaps in machine cleaning showed; more practice needed", "more practice in floor care before the qualification event"},
		FieldProperty:  {"more practice in outdoor area maintenance needed", "gaps in the daily checks of technical systems"},
	}
	discontinueReasons = []string{
		"moved away from the area",
		"long sick leave; work ability to be assessed",
		"stopped attending; motivation lost",
		"life situation does not allow commitment now",
	}
	redirectReasons = []string{
		"better suited to the practical nurse programme",
		"applied to studies in the catering field",
		"better suited to logistics studies",
	}
)

// planner lays out a path day by day. Every step lands on a weekday.
type planner struct {
	r     *rand.Rand
	day   coaching.Date
	steps []Step
}

// step schedules s n days (n ≥ 1) after the previous step, moved off a
// weekend.
func (p *planner) step(n int, s Step) {
	p.day = weekday(p.day.AddDays(max(n, 1)))
	s.Date = p.day
	p.steps = append(p.steps, s)
}

// run spends active days in the current phase and then takes exit. With
// pause, the phase is interrupted by a sick leave of a few weeks that does
// not count towards the phase deadline.
func (p *planner) run(state string, active int, pause bool, exit Step) {
	start := p.day
	if pause && active >= 8 {
		p.step(between(p.r, 3, active-4), Step{Event: coaching.ValoPause, Reason: "sick leave"})
		done := daysBetween(start, p.day)
		p.step(between(p.r, 14, 35), Step{Event: resume[state]})
		active = max(1, active-done)
	}
	p.step(active, exit)
}

// planPeriod plans a participant's period to the member's outcome. A plan
// that would run past the project's end is replaced by a plain, short one.
func planPeriod(r *rand.Rand, m *Member) []Step {
	steps := planWith(r, m, true)
	if steps[len(steps)-1].Date.After(ProjectEnd) {
		steps = planWith(r, m, false)
	}
	return steps
}

// planWith plans a period; without extras every phase takes its shortest
// on-time length, with no pause, repeat or overrun.
func planWith(r *rand.Rand, m *Member, extras bool) []Step {
	p := planner{r: r, day: m.Entry, steps: []Step{{Date: m.Entry, Event: EventEnrol}}}
	length := func(state string) int {
		if !extras {
			return shortDays[state]
		}
		return phaseLength(r, state, p.day, r.IntN(100) < overrunPercent)
	}
	pauseIn := ""
	if extras && r.IntN(100) < pausePercent {
		pauseIn = choose(r, working)
	}
	repeat := extras && m.Outcome == coaching.ValoClosed && r.IntN(100) < repeatPercent
	stopIn := ""
	switch m.Outcome {
	case coaching.ValoDiscontinued:
		stopIn = choose(r, working[:3])
	case coaching.ValoRedirected:
		stopIn = choose(r, working[:2])
	}

	p.run(coaching.ValoRecruitment, length(coaching.ValoRecruitment), false,
		Step{Event: coaching.ValoAdmit, Payload: admission(r)})
	for _, state := range working {
		if state == stopIn {
			p.stop(m)
			return p.steps
		}
		switch state {
		case coaching.ValoInduction:
			p.run(state, length(state), pauseIn == state, Step{Event: coaching.ValoStartAcquisition, Payload: findings(r, m.Field)})
		case coaching.ValoSkillAcquisition:
			p.run(state, length(state), pauseIn == state, Step{Event: coaching.ValoStartDemonstration})
		case coaching.ValoDemonstration:
			if repeat {
				p.run(state, between(r, 7, 14), false, Step{Event: coaching.ValoReturnToAcquisition, Reason: choose(r, morePractice[m.Field])})
				p.run(coaching.ValoSkillAcquisition, between(r, 20, 40), false, Step{Event: coaching.ValoStartDemonstration})
			}
			p.run(state, length(state), pauseIn == state, Step{Event: coaching.ValoStartOnwardGuidance})
		case coaching.ValoOnwardGuidance:
			p.run(state, length(state), pauseIn == state, Step{Event: coaching.ValoClose})
		}
	}
	return p.steps
}

// stop ends the period early in the current phase: a redirect, or a
// discontinuation. The participant who left working life was on sick leave
// first and discontinued from the pause.
func (p *planner) stop(m *Member) {
	switch {
	case m.Outcome == coaching.ValoRedirected:
		p.step(between(p.r, 5, 15), Step{Event: coaching.ValoRedirect, Reason: choose(p.r, redirectReasons)})
	case m.Destination == DestOutside:
		p.step(between(p.r, 5, 15), Step{Event: coaching.ValoPause, Reason: "sick leave"})
		p.step(between(p.r, 21, 42), Step{Event: coaching.ValoDiscontinue, Reason: "left working life (disability pension)"})
	default:
		p.step(between(p.r, 5, 15), Step{Event: coaching.ValoDiscontinue, Reason: choose(p.r, discontinueReasons)})
	}
}

// admission is the entry assessment of an admitted participant: every
// criterion met.
func admission(r *rand.Rand) coaching.EntryAssessment {
	a := assessment(coaching.CriterionMet, coaching.CriterionMet, coaching.CriterionMet, coaching.CriterionMet, coaching.CriterionMet)
	a.Notes = choose(r, referrals)
	return a
}

// findings are the induction findings, with one to three target units of
// the participant's field.
func findings(r *rand.Rand, f Field) coaching.InductionFindings {
	list := units[f]
	perm := r.Perm(len(list))
	target := make([]string, between(r, 1, 3))
	for i := range target {
		target[i] = list[perm[i]]
	}
	return coaching.InductionFindings{
		FieldSuitability:  choose(r, suitability),
		WorkingLifeSkills: choose(r, workingLife),
		CurrentCompetence: choose(r, competence),
		TargetUnits:       target,
	}
}
