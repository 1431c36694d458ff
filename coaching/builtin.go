package coaching

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Names of the built-in models.
const (
	ModelVALO  = "valo"
	ModelPilot = "first_year_pilot"
)

// States and events of the VALO workshop coaching model.
const (
	ValoRecruitment      = "recruitment"
	ValoInduction        = "induction"
	ValoSkillAcquisition = "skill_acquisition"
	ValoDemonstration    = "demonstration"
	ValoOnwardGuidance   = "onward_guidance"
	ValoPaused           = "paused"
	ValoClosed           = "closed"
	ValoDeclined         = "declined"
	ValoDiscontinued     = "discontinued"
	ValoRedirected       = "redirected"

	ValoAdmit                = "admit"
	ValoDecline              = "decline"
	ValoStartAcquisition     = "start_acquisition"
	ValoStartDemonstration   = "start_demonstration"
	ValoReturnToAcquisition  = "return_to_acquisition"
	ValoStartOnwardGuidance  = "start_onward_guidance"
	ValoClose                = "close"
	ValoDiscontinue          = "discontinue"
	ValoRedirect             = "redirect"
	ValoPause                = "pause"
	ValoResumeInduction      = "resume_induction"
	ValoResumeAcquisition    = "resume_skill_acquisition"
	ValoResumeDemonstration  = "resume_demonstration"
	ValoResumeOnwardGuidance = "resume_onward_guidance"
)

// Records the VALO model keeps.
const (
	RecordEntryAssessment  = "entry_assessment"
	RecordInduction        = "induction_findings"
	RecordInitialSituation = "initial_situation"
)

// CriterionResult is a coach's judgement of one entry criterion.
type CriterionResult string

// Criterion results.
const (
	CriterionMet    CriterionResult = "met"
	CriterionNotMet CriterionResult = "not_met"
)

// EntryAssessment is the coach's assessment at the admission interview of
// a VALO participant: own motivation, working-life skills, and the ability
// to commit to attendance, to work and to a goal-oriented period. Every
// criterion must be assessed; admission needs all of them met.
type EntryAssessment struct {
	Motivation           CriterionResult `json:"motivation" validate:"required,oneof=met not_met"`
	WorkingLifeSkills    CriterionResult `json:"working_life_skills" validate:"required,oneof=met not_met"`
	AttendanceCommitment CriterionResult `json:"attendance_commitment" validate:"required,oneof=met not_met"`
	WorkCommitment       CriterionResult `json:"work_commitment" validate:"required,oneof=met not_met"`
	GoalCommitment       CriterionResult `json:"goal_commitment" validate:"required,oneof=met not_met"`
	Notes                string          `json:"notes,omitempty" validate:"max=4000"`
}

// InductionFindings is what the coach records at the end of induction:
// suitability for the field, working-life skills and current competence.
type InductionFindings struct {
	FieldSuitability  string `json:"field_suitability" validate:"required,max=4000"`
	WorkingLifeSkills string `json:"working_life_skills" validate:"required,max=4000"`
	CurrentCompetence string `json:"current_competence" validate:"required,max=4000"`
	// TargetUnits are the qualification units (tutkinnon osat) chosen.
	TargetUnits []string `json:"target_units,omitempty" validate:"max=20,dive,required,max=200"`
}

// ScreeningResult is the outcome of a literacy (luki) or maths screening.
type ScreeningResult string

// Screening results.
const (
	ScreeningNoNeed      ScreeningResult = "no_support_need"
	ScreeningSupportNeed ScreeningResult = "support_need"
	ScreeningNotTaken    ScreeningResult = "not_taken"
)

// InitialSituation is the personal tutor's mapping at the start of studies
// in the first-year pilot: support needs, literacy and maths screening
// results, the initial interview and the start of HOKS drafting.
type InitialSituation struct {
	SupportNeeds         []string        `json:"support_needs" validate:"max=20,dive,required,max=500"`
	LiteracyScreening    ScreeningResult `json:"literacy_screening" validate:"required,oneof=no_support_need support_need not_taken"`
	MathsScreening       ScreeningResult `json:"maths_screening" validate:"required,oneof=no_support_need support_need not_taken"`
	InitialInterviewDate Date            `json:"initial_interview_date"`
	HOKSDraftingStarted  Date            `json:"hoks_drafting_started"`
}

// VALOSpec returns the definition of VALO workshop coaching: a six-month
// period of recruitment (month 1), induction (month 2), skill acquisition
// (months 2–4), competence demonstration and onward guidance (months 4–6).
// Side exits: declined at recruitment, discontinued with a reason from any
// working phase, redirected to a better-suited field (a positive exit), and
// a pause (sick leave etc.) that stops the phase's deadline clock.
//
// Change the returned spec (e.g. [ModelSpec.AddRules]) and build it with
// [BuildModel] to adapt the model; [VALO] builds it unchanged.
func VALOSpec() ModelSpec {
	working := []string{ValoInduction, ValoSkillAcquisition, ValoDemonstration, ValoOnwardGuidance}
	coach := []Role{RoleCoach}
	overdue := []Role{RoleCoach}
	return ModelSpec{
		Name:  ModelVALO,
		Title: "VALO workshop coaching",
		Description: "Six-month work-based coaching in a workshop toward qualification units, " +
			"demonstrated in a qualification event, ending in an onward path to studies or work.",
		Initial: ValoRecruitment,
		Openers: []Role{RoleCoach, RoleStudyCounsellor},
		States: []StateSpec{
			{Name: ValoRecruitment, Title: "Recruitment", Kind: Active, Deadline: Months(1), NotifyOverdue: overdue},
			{Name: ValoInduction, Title: "Induction", Kind: Active, Deadline: Months(1), NotifyOverdue: overdue},
			{Name: ValoSkillAcquisition, Title: "Skill acquisition", Kind: Active, Deadline: Months(2), NotifyOverdue: overdue},
			{Name: ValoDemonstration, Title: "Competence demonstration", Kind: Active, Deadline: Months(1), NotifyOverdue: overdue},
			{Name: ValoOnwardGuidance, Title: "Onward guidance", Kind: Active, Deadline: Months(1), NotifyOverdue: overdue},
			{Name: ValoPaused, Title: "Paused", Kind: Hold},
			{Name: ValoClosed, Title: "Closed", Kind: Terminal, Exit: ExitCompleted},
			{Name: ValoDeclined, Title: "Declined", Kind: Terminal, Exit: ExitNotAdmitted},
			{Name: ValoDiscontinued, Title: "Discontinued", Kind: Terminal, Exit: ExitDiscontinued},
			{Name: ValoRedirected, Title: "Redirected to a better-suited field", Kind: Terminal, Exit: ExitPositive},
		},
		Events: []EventSpec{
			{Name: ValoAdmit, Title: "Admit after the entry assessment", From: []string{ValoRecruitment}, To: ValoInduction,
				Roles: coach, Payload: EntryAssessment{}, Record: RecordEntryAssessment, RequirePayload: true,
				Rules: []Rule{EntryCriteriaMet()}},
			{Name: ValoDecline, Title: "Decline: entry criteria not met", From: []string{ValoRecruitment}, To: ValoDeclined,
				Roles: coach, Payload: EntryAssessment{}, Record: RecordEntryAssessment, RequireReason: true},
			{Name: ValoStartAcquisition, Title: "Induction done: start skill acquisition", From: []string{ValoInduction}, To: ValoSkillAcquisition,
				Roles: coach, Payload: InductionFindings{}, Record: RecordInduction, RequirePayload: true},
			{Name: ValoStartDemonstration, Title: "Ready to demonstrate", From: []string{ValoSkillAcquisition}, To: ValoDemonstration, Roles: coach},
			{Name: ValoReturnToAcquisition, Title: "More practice needed", From: []string{ValoDemonstration}, To: ValoSkillAcquisition,
				Roles: coach, RequireReason: true},
			{Name: ValoStartOnwardGuidance, Title: "Demonstrated: plan the onward path", From: []string{ValoDemonstration}, To: ValoOnwardGuidance, Roles: coach},
			{Name: ValoClose, Title: "Close the period", From: []string{ValoOnwardGuidance}, To: ValoClosed, Roles: coach},
			{Name: ValoDiscontinue, Title: "Discontinue", From: append([]string{ValoRecruitment}, append(working, ValoPaused)...), To: ValoDiscontinued,
				Roles: coach, RequireReason: true},
			{Name: ValoRedirect, Title: "Redirect to a better-suited field", From: working, To: ValoRedirected, Roles: coach, RequireReason: true},
			{Name: ValoPause, Title: "Pause (sick leave etc.)", From: working, To: ValoPaused, Roles: coach, RequireReason: true},
			{Name: ValoResumeInduction, Title: "Resume induction", From: []string{ValoPaused}, To: ValoInduction, Roles: coach},
			{Name: ValoResumeAcquisition, Title: "Resume skill acquisition", From: []string{ValoPaused}, To: ValoSkillAcquisition, Roles: coach},
			{Name: ValoResumeDemonstration, Title: "Resume demonstration", From: []string{ValoPaused}, To: ValoDemonstration, Roles: coach},
			{Name: ValoResumeOnwardGuidance, Title: "Resume onward guidance", From: []string{ValoPaused}, To: ValoOnwardGuidance, Roles: coach},
		},
	}
}

// States and events of the first-year pilot model.
const (
	PilotStartOfStudies = "start_of_studies"
	PilotCoaching       = "coaching"
	PilotYearEnd        = "end_of_first_year"
	PilotContinuing     = "continuing"
	PilotRedirected     = "redirected"
	PilotDiscontinued   = "discontinued"

	PilotMapInitialSituation = "map_initial_situation"
	PilotEndFirstYear        = "end_first_year"
	PilotContinueStudies     = "continue_studies"
	PilotRedirect            = "redirect"
	PilotDiscontinue         = "discontinue"
)

// PilotSpec returns the definition of the #Valmennus-pilotti first-year
// coaching: at the start of studies the personal tutor maps the initial
// situation (support needs, literacy and maths screening, initial interview,
// HOKS drafting started); then individual and group coaching through the
// year; at the end of the first year the student continues, or has left
// for a better-suited field (a success) or discontinued.
func PilotSpec() ModelSpec {
	active := []string{PilotStartOfStudies, PilotCoaching, PilotYearEnd}
	team := []Role{RolePersonalTutor, RoleStudyCounsellor}
	return ModelSpec{
		Name:        ModelPilot,
		Title:       "First-year pilot coaching",
		Description: "Multi-professional coaching of first-year vocational students with a support team that includes guardians.",
		Initial:     PilotStartOfStudies,
		Openers:     []Role{RolePersonalTutor, RoleStudyCounsellor},
		States: []StateSpec{
			{Name: PilotStartOfStudies, Title: "Start of studies", Kind: Active, Deadline: Months(1), NotifyOverdue: []Role{RolePersonalTutor}},
			{Name: PilotCoaching, Title: "Individual and group coaching", Kind: Active, Deadline: Months(10), NotifyOverdue: []Role{RolePersonalTutor}},
			{Name: PilotYearEnd, Title: "End of the first year", Kind: Active, Deadline: Months(1), NotifyOverdue: []Role{RolePersonalTutor}},
			{Name: PilotContinuing, Title: "Continuing studies", Kind: Terminal, Exit: ExitCompleted},
			{Name: PilotRedirected, Title: "Redirected to a better-suited field", Kind: Terminal, Exit: ExitPositive},
			{Name: PilotDiscontinued, Title: "Discontinued", Kind: Terminal, Exit: ExitDiscontinued},
		},
		Events: []EventSpec{
			{Name: PilotMapInitialSituation, Title: "Initial situation mapped", From: []string{PilotStartOfStudies}, To: PilotCoaching,
				Roles: []Role{RolePersonalTutor}, Payload: InitialSituation{}, Record: RecordInitialSituation, RequirePayload: true,
				Rules: []Rule{InitialSituationComplete()}, Notify: []Role{RoleCoach, RoleSpecialNeedsTeacher}},
			{Name: PilotEndFirstYear, Title: "First year ends", From: []string{PilotCoaching}, To: PilotYearEnd, Roles: team},
			{Name: PilotContinueStudies, Title: "Continues to the second year", From: []string{PilotYearEnd}, To: PilotContinuing, Roles: team},
			{Name: PilotRedirect, Title: "Redirected to a better-suited field", From: active, To: PilotRedirected, Roles: team, RequireReason: true,
				Notify: []Role{RolePersonalTutor, RoleStudyCounsellor}},
			{Name: PilotDiscontinue, Title: "Discontinued", From: active, To: PilotDiscontinued, Roles: team, RequireReason: true,
				Notify: []Role{RolePersonalTutor, RoleStudyCounsellor, RoleCurator}},
		},
	}
}

// VALO returns the built-in VALO workshop coaching model.
func VALO() *Model { return mustBuiltin(VALOSpec()) }

// Pilot returns the built-in first-year pilot model.
func Pilot() *Model { return mustBuiltin(PilotSpec()) }

func mustBuiltin(s ModelSpec) *Model {
	m, err := BuildModel(s)
	if err != nil {
		// The built-in specs are fixed and covered by tests.
		panic(err)
	}
	return m
}

// EntryCriteriaMet is the VALO admission rule: every entry criterion of the
// EntryAssessment payload is met. Each unmet criterion is its own failure.
func EntryCriteriaMet() Rule {
	return NewRule("entry_criteria_met", func(_ context.Context, t *Transition) error {
		a := PayloadAs[EntryAssessment](t)
		if a == nil {
			return errors.New("the entry assessment is missing")
		}
		var unmet []string
		for _, c := range []struct {
			name string
			v    CriterionResult
		}{
			{"own motivation", a.Motivation},
			{"working-life skills", a.WorkingLifeSkills},
			{"commitment to attendance", a.AttendanceCommitment},
			{"commitment to work", a.WorkCommitment},
			{"commitment to a goal-oriented period", a.GoalCommitment},
		} {
			if c.v != CriterionMet {
				unmet = append(unmet, c.name)
			}
		}
		if len(unmet) > 0 {
			return fmt.Errorf("entry criteria not met: %s", strings.Join(unmet, ", "))
		}
		return nil
	})
}

// InitialSituationComplete is the pilot's mapping rule: the initial
// interview was held and HOKS drafting has started, both not in the future.
func InitialSituationComplete() Rule {
	return NewRule("initial_situation_complete", func(_ context.Context, t *Transition) error {
		s := PayloadAs[InitialSituation](t)
		if s == nil {
			return errors.New("the initial situation mapping is missing")
		}
		today := t.Today()
		var missing []string
		switch {
		case s.InitialInterviewDate.IsZero():
			missing = append(missing, "the initial interview has not been held")
		case s.InitialInterviewDate.After(today):
			missing = append(missing, "the initial interview date is in the future")
		}
		switch {
		case s.HOKSDraftingStarted.IsZero():
			missing = append(missing, "HOKS drafting has not started")
		case s.HOKSDraftingStarted.After(today):
			missing = append(missing, "the HOKS drafting start date is in the future")
		}
		if len(missing) > 0 {
			return errors.New(strings.Join(missing, "; "))
		}
		return nil
	})
}
