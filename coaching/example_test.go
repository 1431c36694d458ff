package coaching_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// exampleEngine returns an engine on the memory store whose clock the
// caller moves.
func exampleEngine(now *time.Time) *coaching.Engine {
	eng, err := coaching.New(memory.New(), &coaching.Options{
		Models: []*coaching.Model{coaching.VALO(), coaching.Pilot()},
		Clock:  coaching.ClockFunc(func() time.Time { return *now }),
	})
	if err != nil {
		panic(err)
	}
	return eng
}

var exampleCoach = coaching.Actor{ID: "coach-maija", Roles: []coaching.Role{coaching.RoleCoach}}

func exampleParticipant() coaching.Participant {
	return coaching.Participant{
		GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(1991, 4, 12),
		Language: coaching.Finnish, Contact: coaching.Contact{Email: "aino@example.fi"},
	}
}

// Enrol a participant in VALO coaching and fire the admission with the
// coach's entry assessment.
func ExampleEngine_Fire() {
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng := exampleEngine(&now)

	c, err := eng.Enrol(ctx, exampleCoach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: exampleParticipant(), Team: exampleTeam()})
	if err != nil {
		fmt.Println(err)
		return
	}
	met := coaching.CriterionMet
	res, err := eng.Fire(ctx, exampleCoach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{
		Payload: coaching.EntryAssessment{Motivation: met, WorkingLifeSkills: met, AttendanceCommitment: met,
			WorkCommitment: met, GoalCommitment: met},
		IdempotencyKey: "admit-2026-09-01",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Entry.From, "→", res.Entry.To, "version", res.Case.Version)
	fmt.Println("induction due", coaching.DateOf(res.Case.Phase.DueAt))
	// Output:
	// recruitment → induction version 2
	// induction due 2026-10-01
}

// A failed admission reports every unmet criterion, and nothing changes.
func ExampleRulesRejectedError() {
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng := exampleEngine(&now)
	c, _ := eng.Enrol(ctx, exampleCoach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: exampleParticipant(), Team: exampleTeam()})

	met, notMet := coaching.CriterionMet, coaching.CriterionNotMet
	_, err := eng.Fire(ctx, exampleCoach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{
		Payload: coaching.EntryAssessment{Motivation: notMet, WorkingLifeSkills: met, AttendanceCommitment: notMet,
			WorkCommitment: met, GoalCommitment: met},
	})
	var rej *coaching.RulesRejectedError
	if errors.As(err, &rej) {
		for _, f := range rej.Failures {
			fmt.Printf("%s: %s\n", f.Rule, f.Reason)
		}
	}
	c, _ = eng.Case(ctx, exampleCoach, c.ID)
	fmt.Println("still in", c.State)
	// Output:
	// entry_criteria_met: entry criteria not met: own motivation, commitment to attendance
	// still in recruitment
}

// An event that is not allowed from the current state lists the ones that are.
func ExampleTransitionError() {
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng := exampleEngine(&now)
	c, _ := eng.Enrol(ctx, exampleCoach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: exampleParticipant(), Team: exampleTeam()})

	_, err := eng.Fire(ctx, exampleCoach, c.ID, coaching.ValoClose, nil)
	var te *coaching.TransitionError
	if errors.As(err, &te) {
		fmt.Println("allowed from", te.State+":", strings.Join(te.Allowed, ", "))
	}
	// Output:
	// allowed from recruitment: admit, decline, discontinue
}

// Tick notices a passed phase deadline once, records it on the case and
// tells the team roles the phase names.
func ExampleEngine_Tick() {
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng := exampleEngine(&now)
	c, _ := eng.Enrol(ctx, exampleCoach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: exampleParticipant(), Team: exampleTeam()})

	fmt.Println("recruitment due", coaching.DateOf(c.Phase.DueAt))
	now = now.AddDate(0, 0, 40)
	rep, _ := eng.Tick(ctx, now)
	fmt.Println("overdue:", rep.Overdue, "notices:", rep.Notices)
	again, _ := eng.Tick(ctx, now)
	fmt.Println("second tick overdue:", again.Overdue)
	_ = eng.ReadCase(ctx, exampleCoach, coaching.OpReadNotices, c.ID, func(v *coaching.CaseView) error {
		notices, err := v.Notices()
		if err != nil {
			return err
		}
		fmt.Println(notices[0].Subject[:strings.Index(notices[0].Subject, " (")])
		return nil
	})
	// Output:
	// recruitment due 2026-10-01
	// overdue: 1 notices: 1
	// second tick overdue: 0
	// Deadline passed: Recruitment
}

// A personal identity code never appears in printed or logged output.
func ExampleIdentityCode() {
	code, err := coaching.ParseIdentityCode("131052-308T")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(code, code.BirthDate())
	_, err = coaching.ParseIdentityCode("131052-308A")
	fmt.Println(err)
	// Output:
	// *********** 1952-10-13
	// identity code: the check character does not match
}

// Build a model of your own; every problem in it is reported at once.
func ExampleBuildModel() {
	_, err := coaching.BuildModel(coaching.ModelSpec{
		Name:    "mentoring",
		Initial: "start",
		Openers: []coaching.Role{coaching.RoleCoach},
		States: []coaching.StateSpec{
			{Name: "start", Kind: coaching.Active},
			{Name: "orphan", Kind: coaching.Active},
			{Name: "done", Kind: coaching.Terminal},
		},
		Events: []coaching.EventSpec{
			{Name: "finish", From: []string{"start"}, To: "done", Roles: []coaching.Role{coaching.RoleCoach}},
			{Name: "restart", From: []string{"done"}, To: "start", Roles: []coaching.Role{coaching.RoleCoach}},
		},
	})
	var ve *coaching.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p.Field+":", p.Message)
		}
	}
	// Output:
	// events[1].from[0]: no event may leave terminal state "done"
	// states[1]: state "orphan" is unreachable from the initial state "start"
}

// Render a model as a Mermaid state diagram.
func ExampleModel_Mermaid() {
	m := coaching.Pilot()
	lines := strings.Split(m.Mermaid(), "\n")
	for _, l := range lines[:4] {
		fmt.Println(l)
	}
	// Output:
	// stateDiagram-v2
	//     [*] --> start_of_studies
	//     coaching --> discontinued: discontinue
	//     coaching --> end_of_first_year: end_first_year
}

// exampleTeam puts the example's coach on the support team: under the
// access policy only the team (and the head of studies) act on a case.
func exampleTeam() []coaching.TeamMember {
	return []coaching.TeamMember{{ActorID: exampleCoach.ID, Role: coaching.RoleCoach, Name: "Maija Kares",
		Contact: coaching.Contact{Email: "maija@example.fi"}, Language: coaching.English}}
}

// A host words a notice its own way, per kind and language; the rest keep
// the built-in texts.
func ExampleTexts_Set() {
	texts := coaching.DefaultTexts()
	err := texts.Set(coaching.NoticeKindRiskAlert, coaching.English, coaching.Text{
		Subject: "Check in with case {{.case}}",
		Body:    "The early-warning rules noticed: {{.reason}}. Please contact the student this week.",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	subject, body, _ := texts.Render(coaching.NoticeKindRiskAlert, coaching.English, map[string]string{"case": "c-7", "reason": "3 unexplained absences in 10 days"})
	fmt.Println(subject)
	fmt.Println(body)
	subject, _, _ = texts.Render(coaching.NoticeKindRiskAlert, coaching.Finnish, map[string]string{"case": "c-7", "reason": "x"})
	fmt.Println(subject)
	fmt.Println(texts.Set(coaching.NoticeKindRiskAlert, coaching.Swedish, coaching.Text{Subject: "Varning", Body: "{{.student}}"}) != nil)
	// Output:
	// Check in with case c-7
	// The early-warning rules noticed: 3 unexplained absences in 10 days. Please contact the student this week.
	// Varhainen varoitus: asia c-7
	// true
}

// A package built on the engine adds its own command: a policy-scoped
// change writes the package's record and its audit entry with a new case
// version, and reads go through a policy-scoped view.
func ExampleEngine_ChangeCase() {
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng := exampleEngine(&now)
	c, err := eng.Enrol(ctx, exampleCoach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: exampleParticipant(), Team: exampleTeam()})
	if err != nil {
		fmt.Println(err)
		return
	}
	type workTrial struct {
		Employer string `json:"employer" validate:"required"`
	}
	c, err = eng.ChangeCase(ctx, exampleCoach, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
		if err := ch.AddRecord("work_trial", workTrial{Employer: "Kone Oy"}); err != nil {
			return err
		}
		ch.Audit(coaching.AuditRecord, "work_trial_agreed", "two weeks in the warehouse", nil)
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("version", c.Version)
	_ = eng.ReadCase(ctx, exampleCoach, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		trail, err := v.AuditTrail()
		if err != nil {
			return err
		}
		fmt.Println(trail[len(trail)-1].Event, "by", trail[len(trail)-1].ActorID)
		return nil
	})
	_, err = eng.ChangeCase(ctx, coaching.Actor{ID: "coach-9", Roles: []coaching.Role{coaching.RoleCoach}}, coaching.OpChangeCase, c.ID,
		func(*coaching.CaseChange) error { return nil })
	var fe *coaching.ForbiddenError
	if errors.As(err, &fe) {
		fmt.Println("someone off the team:", fe.Rule)
	}
	// Output:
	// version 2
	// work_trial_agreed by coach-maija
	// someone off the team: support_team
}
