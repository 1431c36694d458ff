package hoks_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// draftPlan is the valid test plan without its first approval date.
func draftPlan(t *testing.T) *hoks.Plan {
	t.Helper()
	b, err := os.ReadFile("testdata/valid_plan.json")
	require.NoError(t, err)
	p, err := hoks.Decode(b, nil)
	require.NoError(t, err)
	p.FirstApproved = coaching.Date{}
	return p
}

type hoksEnv struct {
	*ct.Env
	svc *hoks.Service
	id  coaching.CaseID
}

func newHoksEnv(t *testing.T, models ...*coaching.Model) hoksEnv {
	t.Helper()
	// 2024-04-02: after the test plan's periods, inside the financing
	// period that began on 1 July 2023.
	env := ct.New(t, &ct.Options{Models: models, Start: time.Date(2024, 4, 2, 10, 0, 0, 0, coaching.Helsinki),
		Engine: coaching.Options{Documents: hoks.Documents()}})
	svc, err := hoks.NewService(env.Engine)
	require.NoError(t, err)
	model := coaching.ModelPilot
	if len(models) > 0 {
		model = models[0].Name()
	}
	c := env.Enrol(t, model, ct.Participant(), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(ct.Coach, coaching.RoleCoach))
	return hoksEnv{Env: env, svc: svc, id: c.ID}
}

func TestLifecycle(t *testing.T) {
	e := newHoksEnv(t)
	ctx := context.Background()
	today := coaching.DateOf(e.Clock.Now())

	v1, err := e.svc.SaveDraft(ctx, ct.Tutor, e.id, 0, draftPlan(t))
	require.NoError(t, err, "a draft needs no first approval date")
	assert.Equal(t, hoks.StatusDraft, v1.Status)
	v2, err := e.svc.SaveDraft(ctx, ct.Tutor, e.id, 1, draftPlan(t))
	require.NoError(t, err)
	assert.Equal(t, int64(2), v2.Number)

	// An update based on an old version is a conflict: nobody overwrites
	// another's work.
	_, err = e.svc.SaveDraft(ctx, ct.Tutor, e.id, 1, draftPlan(t))
	assert.ErrorIs(t, err, coaching.ErrConflict)

	_, err = e.svc.Start(ctx, ct.Tutor, e.id, 2)
	ct.RequireNotAllowed(t, err, hoks.ActionApprove, hoks.ActionArchive)

	v3, err := e.svc.Approve(ctx, ct.Tutor, e.id, 2, today)
	require.NoError(t, err)
	assert.Equal(t, hoks.StatusApproved, v3.Status)
	assert.Equal(t, today, v3.Plan.FirstApproved)
	assert.False(t, v3.Plan.Approved.IsZero())
	require.Len(t, v3.Surveys, 1)
	assert.Equal(t, hoks.StartSurvey, v3.Surveys[0].Survey)
	require.NotNil(t, v3.Surveys[0].Notice, v3.Surveys[0].Excluded)
	sent := e.Deliver(t)
	n := ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: hoks.NoticeKindSurvey})
	assert.Equal(t, "testi.osallistuja@example.fi", n.Recipient.Contact.Email)
	assert.Equal(t, string(hoks.StartSurvey), n.Data["survey"])

	v4, err := e.svc.Start(ctx, ct.Tutor, e.id, 3)
	require.NoError(t, err)
	assert.Equal(t, hoks.StatusInProgress, v4.Status)

	// Updating an approved plan needs re-approval; the approved one stays in force.
	changed := v4.Plan
	changed.Phone = hoks.Ref("+358 40 765 4321")
	v5, err := e.svc.SaveDraft(ctx, ct.Tutor, e.id, 4, changed)
	require.NoError(t, err)
	assert.Equal(t, hoks.StatusUpdated, v5.Status)
	inForce, err := e.svc.InForce(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	assert.Equal(t, int64(4), inForce.Number)
	assert.Nil(t, inForce.Plan.Phone)

	e.Clock.AdvanceDays(1)
	v6, err := e.svc.Approve(ctx, ct.Tutor, e.id, 5, coaching.DateOf(e.Clock.Now()))
	require.NoError(t, err)
	assert.Equal(t, today, v6.Plan.FirstApproved, "re-approval keeps the first approval date")
	assert.Empty(t, v6.Surveys, "only the first approval triggers the start survey")
	assert.Equal(t, "+358 40 765 4321", *v6.Plan.Phone)

	v7, err := e.svc.ReachCompetence(ctx, ct.Tutor, e.id, 6, coaching.DateOf(e.Clock.Now()))
	require.NoError(t, err)
	require.Len(t, v7.Surveys, 1)
	assert.Equal(t, hoks.EndSurvey, v7.Surveys[0].Survey)
	assert.NotNil(t, v7.Surveys[0].Notice)
	_, err = e.svc.Complete(ctx, ct.Tutor, e.id, 7)
	require.NoError(t, err)
	_, err = e.svc.Archive(ctx, ct.Tutor, e.id, 8)
	require.NoError(t, err)
	_, err = e.svc.SaveDraft(ctx, ct.Tutor, e.id, 9, changed)
	ct.RequireNotAllowed(t, err)

	// Every version is kept as it was; the approvals among them are immutable.
	history, err := e.svc.History(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	require.Len(t, history, 9)
	statuses := make([]string, len(history))
	for i, v := range history {
		statuses[i] = string(v.Status)
	}
	assert.Equal(t, "draft draft approved in_progress updated approved competence_reached completed archived", strings.Join(statuses, " "))
	assert.Nil(t, history[2].Plan.Phone, "version 3 still holds the plan as first approved")
	_, err = e.svc.InForce(ctx, ct.Tutor, e.id)
	assert.ErrorIs(t, err, coaching.ErrNotFound, "an archived plan is not in force")

	trail := ct.RequireAuditTrail(t, e.Engine, e.id)
	var events []string
	for _, a := range trail {
		if a.Kind == coaching.AuditDocument {
			events = append(events, a.Event)
		}
	}
	assert.Equal(t, []string{"hoks_saved", "hoks_saved", "hoks_approved", "hoks_started", "hoks_saved", "hoks_approved",
		"hoks_competence_reached", "hoks_completed", "hoks_archived"}, events)
}

func TestInvalidPlansAreNotStored(t *testing.T) {
	e := newHoksEnv(t)
	ctx := context.Background()
	p := draftPlan(t)
	p.LearnerOID = hoks.Ref("1.2.246.562.24.42016337195") // wrong check digit
	_, err := e.svc.SaveDraft(ctx, ct.Tutor, e.id, 0, p)
	ct.RequireInvalid(t, err, "oppija-oid")
	_, err = e.svc.Current(ctx, ct.Tutor, e.id)
	assert.ErrorIs(t, err, coaching.ErrNotFound)

	_, err = e.svc.SaveDraft(ctx, ct.Tutor, e.id, 0, draftPlan(t))
	require.NoError(t, err)
	_, err = e.svc.Approve(ctx, ct.Tutor, e.id, 1, coaching.DateOf(e.Clock.Now()).AddDays(3))
	ct.RequireInvalid(t, err, "on")
	_, err = e.svc.SaveDraft(ctx, coaching.Actor{ID: "stranger", Roles: []coaching.Role{coaching.RoleTeacher}}, e.id, 1, draftPlan(t))
	ct.RequireForbidden(t, err)
}

func TestSurveyExclusions(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		edit   func(*hoks.Plan)
		on     func(today coaching.Date) coaching.Date
		reason string
	}{
		{"no need to acquire competence", func(p *hoks.Plan) { p.NeedsCompetence = hoks.Ref(false) }, nil, "no need to acquire competence"},
		{"before the financing period", nil, func(coaching.Date) coaching.Date { return coaching.NewDate(2023, 6, 30) }, "before the current financing period"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newHoksEnv(t)
			p := draftPlan(t)
			if tc.edit != nil {
				tc.edit(p)
			}
			_, err := e.svc.SaveDraft(ctx, ct.Tutor, e.id, 0, p)
			require.NoError(t, err)
			on := coaching.DateOf(e.Clock.Now())
			if tc.on != nil {
				on = tc.on(on)
			}
			v, err := e.svc.Approve(ctx, ct.Tutor, e.id, 1, on)
			require.NoError(t, err)
			require.Len(t, v.Surveys, 1)
			assert.Nil(t, v.Surveys[0].Notice)
			assert.Contains(t, v.Surveys[0].Excluded, tc.reason)
			ct.RequireNoNotice(t, e.Deliver(t), ct.NoticeMatch{Kind: hoks.NoticeKindSurvey})
		})
	}
}

func TestLifecycleDiagram(t *testing.T) {
	d := hoks.LifecycleDiagram()
	assert.True(t, strings.HasPrefix(d, "stateDiagram-v2\n    [*] --> draft"))
	assert.Contains(t, d, "updated --> approved: approve")
	assert.Contains(t, d, "in_progress --> updated: revise")
}

// The HOKS rules on the VALO model: skill acquisition needs an approved
// plan with units, a demonstration needs a planned one, and a passed
// demonstration adds the unit's competence points to the progress.
func TestCoachingRulesAndProgress(t *testing.T) {
	ctx := context.Background()
	spec := coaching.VALOSpec()
	require.NoError(t, hoks.AttachRules(&spec, coaching.ValoStartAcquisition, coaching.ValoStartDemonstration))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	e := newHoksEnv(t, m)

	met := coaching.CriterionMet
	e.Drive(t, e.id, ct.FireWith(coaching.ValoAdmit, coaching.EntryAssessment{Motivation: met, WorkingLifeSkills: met,
		AttendanceCommitment: met, WorkCommitment: met, GoalCommitment: met}))
	findings := coaching.InductionFindings{FieldSuitability: "good", WorkingLifeSkills: "good", CurrentCompetence: "some"}
	_, err = e.Engine.Fire(ctx, ct.Coach, e.id, coaching.ValoStartAcquisition, &coaching.FireOptions{Payload: findings})
	ct.RequireRejected(t, err, "the HOKS has not been approved")

	p := draftPlan(t)
	_, err = e.svc.SaveDraft(ctx, ct.Tutor, e.id, 0, p)
	require.NoError(t, err)
	_, err = e.Engine.Fire(ctx, ct.Coach, e.id, coaching.ValoStartAcquisition, &coaching.FireOptions{Payload: findings})
	ct.RequireRejected(t, err, "the HOKS has not been approved") // a draft is not in force
	_, err = e.svc.Approve(ctx, ct.Tutor, e.id, 1, coaching.DateOf(e.Clock.Now()))
	require.NoError(t, err)
	e.Drive(t, e.id, ct.FireWith(coaching.ValoStartAcquisition, findings))

	v, err := e.svc.Current(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	require.NotEmpty(t, v.Plan.VocationalUnits[0].Demonstrations, "the test plan plans a demonstration")

	// Without a planned demonstration the demonstration phase is refused:
	// revise the plan to drop it and re-approve.
	noDemo := v.Plan
	for i := range noDemo.VocationalUnits {
		noDemo.VocationalUnits[i].Demonstrations = nil
	}
	e.Clock.AdvanceDays(1)
	_, err = e.svc.SaveDraft(ctx, ct.Tutor, e.id, v.Number, noDemo)
	require.NoError(t, err)
	_, err = e.svc.Approve(ctx, ct.Tutor, e.id, v.Number+1, coaching.DateOf(e.Clock.Now()))
	require.NoError(t, err)
	_, err = e.Engine.Fire(ctx, ct.Coach, e.id, coaching.ValoStartDemonstration, nil)
	ct.RequireRejected(t, err, "plans no competence demonstration")

	// Planned again: allowed.
	withDemo, err := e.svc.Version(ctx, ct.Tutor, e.id, v.Number)
	require.NoError(t, err)
	_, err = e.svc.SaveDraft(ctx, ct.Tutor, e.id, v.Number+2, withDemo.Plan)
	require.NoError(t, err)
	v, err = e.svc.Approve(ctx, ct.Tutor, e.id, v.Number+3, coaching.DateOf(e.Clock.Now()))
	require.NoError(t, err)
	e.Drive(t, e.id, ct.Fire(coaching.ValoStartDemonstration))

	unit := *v.Plan.VocationalUnits[0].UnitCodeURI
	today := coaching.DateOf(e.Clock.Now())
	prog, err := e.svc.RecordResult(ctx, ct.Coach, e.id, hoks.DemonstrationResult{Unit: unit, Grade: "4", Date: today, CompetencePoints: 30})
	require.NoError(t, err)
	assert.Equal(t, 1, prog.UnitsAcquired)
	assert.Equal(t, 30, prog.PointsAchieved)
	_, err = e.svc.RecordResult(ctx, ct.Coach, e.id, hoks.DemonstrationResult{Unit: "tutkinnonosat_999999", Grade: "3", Date: today})
	ct.RequireInvalid(t, err, "unit")
	_, err = e.svc.RecordResult(ctx, ct.Coach, e.id, hoks.DemonstrationResult{Unit: unit, Grade: "6", Date: today})
	ct.RequireInvalid(t, err, "grade")
	// A failed re-demonstration is the latest result: the unit is not acquired.
	prog, err = e.svc.RecordResult(ctx, ct.Coach, e.id, hoks.DemonstrationResult{Unit: unit, Grade: hoks.GradeFail, Date: today})
	require.NoError(t, err)
	assert.Equal(t, 0, prog.UnitsAcquired)
}
