package workplace_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/hoks/workplace"
)

var (
	planDay    = time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki)
	jaksoStart = coaching.NewDate(2026, 10, 19)
	jaksoEnd   = coaching.NewDate(2026, 12, 11)
	instructor = coaching.TeamMember{ActorID: "tpo-1", Name: "Olli Ohjaaja", Contact: coaching.Contact{Email: "olli@maalaus.example"}, Language: coaching.Finnish}
)

const jakso = "jakso-1"

// env is a kit environment with the HOKS and workplace periods registered
// as a host registers them, and one pilot student whose approved HOKS has a
// training-agreement period jakso-1, 19.10.–11.12.2026.
type env struct {
	*ct.Env
	plans   *hoks.Service
	periods *workplace.Service
	c       coaching.Case
}

func newEnv(t *testing.T, edit func(m *hoks.AcquisitionMethod)) *env {
	t.Helper()
	handlers, err := workplace.TimerHandlers(nil)
	require.NoError(t, err)
	e := &env{Env: ct.New(t, &ct.Options{Start: planDay, Engine: coaching.Options{
		Documents: append(hoks.Documents(), workplace.Documents()...), TimerHandlers: handlers}})}
	e.plans, err = hoks.NewService(e.Engine)
	require.NoError(t, err)
	e.periods, err = workplace.New(e.Engine, nil)
	require.NoError(t, err)
	e.c = e.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	p := plan()
	if edit != nil {
		edit(&p.VocationalUnits[0].Methods[1])
	}
	ctx := context.Background()
	v, err := e.plans.SaveDraft(ctx, ct.Tutor, e.c.ID, 0, p)
	require.NoError(t, err)
	_, err = e.plans.Approve(ctx, ct.Tutor, e.c.ID, v.Number, coaching.DateOf(planDay))
	require.NoError(t, err)
	return e
}

// plan is a HOKS with a period at school and the workplace period jakso-1.
func plan() *hoks.Plan {
	return &hoks.Plan{
		LearnerOID: hoks.Ref("1.2.246.562.24.42016337194"), StudyRightOID: hoks.Ref("1.2.246.562.15.76811932086"),
		NeedsCompetence: hoks.Ref(true),
		VocationalUnits: []hoks.VocationalUnit{{
			UnitCodeURI: hoks.Ref("tutkinnonosat_106233"), UnitCodeVersion: hoks.Ref(2),
			Methods: []hoks.AcquisitionMethod{
				{MethodCodeURI: hoks.Ref(hoks.MethodSchool), MethodCodeVersion: hoks.Ref(1), PeriodID: hoks.Ref("koulu-1"),
					Start: coaching.NewDate(2026, 8, 10), End: coaching.NewDate(2026, 10, 16)},
				{MethodCodeURI: hoks.Ref(hoks.MethodTrainingAgreement), MethodCodeVersion: hoks.Ref(1), PeriodID: hoks.Ref(jakso),
					Start: jaksoStart, End: jaksoEnd, PartTimePercent: hoks.Ref(100),
					Workplace: &hoks.WorkplaceTraining{WorkplaceName: hoks.Ref("Maalausliike Oy"), BusinessID: hoks.Ref("3213687-7"),
						Instructor: &hoks.WorkplaceInstructor{Name: hoks.Ref("Olli Ohjaaja"), Email: hoks.Ref("olli@maalaus.example")},
						KeyTasks:   []string{"Rakennusmaalaus"}}},
			},
		}},
	}
}

// deliver runs the dispatcher and returns the workplace notices it sent
// (the plan's own, the start-of-studies survey among them, are left out).
func (e *env) deliver(t *testing.T) []coaching.Notice {
	t.Helper()
	var out []coaching.Notice
	for _, n := range e.Deliver(t) {
		switch n.Kind {
		case workplace.NoticeKindStarting, workplace.NoticeKindEnding, workplace.NoticeKindTEP:
			out = append(out, n)
		}
	}
	return out
}

func (e *env) at(d coaching.Date) { e.Clock.Set(d.At(9, 0)) }

// outbox returns the outbox's notices of kind.
func (e *env) outbox(t *testing.T, kind string) []coaching.Notice {
	t.Helper()
	var out []coaching.Notice
	require.NoError(t, e.Store.View(context.Background(), func(tx coaching.ReadTx) error {
		ns, err := tx.Notices(context.Background(), coaching.NoticeQuery{CaseID: e.c.ID})
		for _, n := range ns {
			if n.Kind == kind {
				out = append(out, n)
			}
		}
		return err
	}))
	return out
}

// signed drafts and signs jakso-1 on 5.10.2026.
func (e *env) signed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	e.at(coaching.NewDate(2026, 10, 5))
	_, err := e.periods.Draft(ctx, ct.Tutor, e.c.ID, jakso)
	require.NoError(t, err)
	_, err = e.periods.Sign(ctx, ct.Tutor, e.c.ID, jakso, workplace.SignInput{On: coaching.NewDate(2026, 10, 5), Instructor: instructor})
	require.NoError(t, err)
}

// One period from the agreement to the TEP survey: the instructor joins
// the team when the agreement is signed, the notices before the start and
// the end reach the instructor and the tutor once each, and the survey is
// queued when the period ends, due when its answer window opens.
func TestPeriodFromAgreementToTEPSurvey(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.at(coaching.NewDate(2026, 10, 5))
	p, err := e.periods.Draft(ctx, ct.Tutor, e.c.ID, jakso)
	require.NoError(t, err)
	assert.Equal(t, workplace.Drafted, p.Status)
	assert.Equal(t, "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1]", p.Plan.Path)
	assert.Equal(t, "Maalausliike Oy", p.Plan.WorkplaceName)

	p, err = e.periods.Sign(ctx, ct.Tutor, e.c.ID, jakso, workplace.SignInput{On: coaching.NewDate(2026, 10, 5), Instructor: instructor})
	require.NoError(t, err)
	assert.Equal(t, workplace.Signed, p.Status)
	c, err := e.Engine.Case(ctx, ct.Tutor, e.c.ID)
	require.NoError(t, err)
	assert.Contains(t, c.Team, coaching.TeamMember{ActorID: "tpo-1", Role: coaching.RoleWorkplaceInstructor, Name: "Olli Ohjaaja",
		Contact: coaching.Contact{Email: "olli@maalaus.example"}, Language: coaching.Finnish})
	var events []string
	for _, a := range ct.RequireAuditTrail(t, e.Engine, e.c.ID) {
		events = append(events, a.Event)
	}
	assert.Subset(t, events, []string{"workplace_drafted", "team_add:workplace_instructor", "workplace_signed"})

	// Seven days before the start, at 09:00: the instructor and the tutor
	// who signed are told, once.
	e.at(coaching.NewDate(2026, 10, 11))
	e.Tick(t)
	assert.Empty(t, e.deliver(t))
	e.at(coaching.NewDate(2026, 10, 12))
	e.Tick(t)
	sent := e.deliver(t)
	require.Len(t, sent, 2)
	ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: workplace.NoticeKindStarting, RecipientID: "tpo-1", SubjectContains: "19.10.2026"})
	ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: workplace.NoticeKindStarting, RecipientID: ct.Tutor.ID, BodyContains: "Maalausliike Oy"})
	e.Tick(t)
	assert.Empty(t, e.deliver(t), "a notice goes once")

	e.at(jaksoStart)
	p, err = e.periods.Start(ctx, ct.Tutor, e.c.ID, jakso, jaksoStart)
	require.NoError(t, err)
	assert.Equal(t, workplace.Running, p.Status)

	e.at(coaching.NewDate(2026, 12, 4))
	e.Tick(t)
	sent = e.deliver(t)
	require.Len(t, sent, 2)
	ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: workplace.NoticeKindEnding, RecipientID: "tpo-1", SubjectContains: "11.12.2026"})

	e.at(jaksoEnd)
	p, err = e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, jaksoEnd)
	require.NoError(t, err)
	assert.Equal(t, workplace.Ended, p.Status)
	require.NotNil(t, p.TEP)
	assert.Empty(t, p.TEP.Excluded)
	assert.Equal(t, coaching.NewDate(2027, 1, 1), p.TEP.Opens)
	assert.Equal(t, coaching.NewDate(2027, 1, 30), p.TEP.Closes)
	tep := e.outbox(t, workplace.NoticeKindTEP)
	require.Len(t, tep, 1)
	n := tep[0]
	assert.Equal(t, p.TEP.NoticeID, n.ID)
	assert.Equal(t, coaching.NewDate(2027, 1, 1).At(9, 0), n.NotBefore)
	assert.Equal(t, "tpo-1", n.Recipient.ID)
	assert.Equal(t, map[string]string{"kyselytyyppi": "tyopaikkajakson_suorittaneet", "yksiloiva_tunniste": jakso, "heratepvm": "2026-12-11",
		"vastaamisaika_alkaa": "2027-01-01", "vastaamisaika_loppuu": "2027-01-30", "tyopaikan_nimi": "Maalausliike Oy",
		"tyopaikan_y_tunnus": "3213687-7", "case_id": string(e.c.ID), coaching.NoticeDataDocument: n.Data[coaching.NoticeDataDocument]}, n.Data)
	assert.Empty(t, e.deliver(t), "the survey waits for its answer window")
	e.at(coaching.NewDate(2027, 1, 1))
	ct.RequireNotice(t, e.deliver(t), ct.NoticeMatch{Kind: workplace.NoticeKindTEP, RecipientID: "tpo-1", BodyContains: "1.1.2027–30.1.2027"})

	got, err := e.periods.Get(ctx, coaching.Actor{ID: "tpo-1", Roles: []coaching.Role{coaching.RoleWorkplaceInstructor}}, e.c.ID, jakso)
	require.NoError(t, err, "the instructor on the team reads the period")
	assert.Equal(t, workplace.Ended, got.Status)
	assert.Len(t, got.History, 4)
}

// Each transition checks its state and its day.
func TestTransitionsAreValidated(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.at(coaching.NewDate(2026, 10, 5))
	_, err := e.periods.Draft(ctx, ct.Tutor, e.c.ID, "koulu-1")
	ct.RequireInvalid(t, err, "period_id")
	_, err = e.periods.Draft(ctx, ct.Tutor, e.c.ID, "no-such")
	var nf *coaching.NotFoundError
	require.ErrorAs(t, err, &nf)
	_, err = e.periods.Start(ctx, ct.Tutor, e.c.ID, jakso, jaksoStart)
	require.ErrorAs(t, err, &nf, "a period not drafted is not found")

	_, err = e.periods.Draft(ctx, ct.Tutor, e.c.ID, jakso)
	require.NoError(t, err)
	_, err = e.periods.Draft(ctx, ct.Tutor, e.c.ID, jakso)
	ct.RequireInvalid(t, err, "period_id")
	_, err = e.periods.Start(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 10, 5))
	ct.RequireNotAllowed(t, err, workplace.EventSign, workplace.EventCancel)

	sign := func(on coaching.Date, m coaching.TeamMember) error {
		_, err := e.periods.Sign(ctx, ct.Tutor, e.c.ID, jakso, workplace.SignInput{On: on, Instructor: m})
		return err
	}
	ct.RequireInvalid(t, sign(coaching.NewDate(2026, 10, 6), instructor), "on") // tomorrow
	ct.RequireInvalid(t, sign(coaching.Date{}, instructor), "on")               // missing
	ct.RequireInvalid(t, sign(coaching.NewDate(2026, 10, 5), coaching.TeamMember{}), "instructor.actor_id")
	e.at(coaching.NewDate(2026, 10, 20))
	ct.RequireInvalid(t, sign(coaching.NewDate(2026, 10, 20), instructor), "on") // after the first day
	require.NoError(t, sign(coaching.NewDate(2026, 10, 16), instructor))
	p, err := e.periods.Get(ctx, ct.Tutor, e.c.ID, jakso)
	require.NoError(t, err)
	assert.Equal(t, "olli@maalaus.example", p.Instructor.Contact.Email, "the instructor's address defaults to the plan's")

	_, err = e.periods.Start(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 10, 18))
	ct.RequireInvalid(t, err, "on") // before the period
	_, err = e.periods.Start(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 10, 21))
	ct.RequireInvalid(t, err, "on") // in the future
	_, err = e.periods.Start(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 10, 20))
	require.NoError(t, err)
	_, err = e.periods.Resume(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 10, 20))
	ct.RequireNotAllowed(t, err, workplace.EventInterrupt, workplace.EventEnd, workplace.EventCancel)
	e.at(coaching.NewDate(2026, 12, 20))
	_, err = e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 12, 12))
	ct.RequireInvalid(t, err, "on") // after the plan's end date
	_, err = e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 10, 19))
	ct.RequireInvalid(t, err, "on") // before it started
	_, err = e.periods.Cancel(ctx, ct.Tutor, e.c.ID, jakso)
	require.NoError(t, err)
	_, err = e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, jaksoEnd)
	ct.RequireNotAllowed(t, err)
	assert.Empty(t, e.outbox(t, workplace.NoticeKindTEP), "a cancelled period gets no survey")
}

// started drafts and signs jakso-1 and starts it on its first day.
func (e *env) started(t *testing.T) {
	t.Helper()
	e.signed(t)
	e.at(jaksoStart)
	_, err := e.periods.Start(context.Background(), ct.Tutor, e.c.ID, jakso, jaksoStart)
	require.NoError(t, err)
}

// revise changes the plan and approves the change.
func (e *env) revise(t *testing.T, edit func(p *hoks.Plan)) int64 {
	t.Helper()
	ctx := context.Background()
	cur, err := e.plans.Current(ctx, ct.Tutor, e.c.ID)
	require.NoError(t, err)
	edit(cur.Plan)
	v, err := e.plans.SaveDraft(ctx, ct.Tutor, e.c.ID, cur.Number, cur.Plan)
	require.NoError(t, err)
	a, err := e.plans.Approve(ctx, ct.Tutor, e.c.ID, v.Number, jaksoStart)
	require.NoError(t, err)
	return a.Number
}

// A cancelled agreement's notices before the start are not sent.
func TestCancelledPeriodSendsNoNotices(t *testing.T) {
	e := newEnv(t, nil)
	e.signed(t)
	_, err := e.periods.Cancel(context.Background(), ct.Tutor, e.c.ID, jakso)
	require.NoError(t, err)
	e.at(coaching.NewDate(2026, 10, 12))
	e.Tick(t)
	assert.Empty(t, e.deliver(t))
}

// A period that ends before its ending notice is due gets none; a period
// the plan in force extended ends on its new last day.
func TestEndingNoticeAndExtendedPeriod(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.started(t)
	e.at(coaching.NewDate(2026, 12, 1))
	_, err := e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 12, 1))
	require.NoError(t, err, "a period may end early")
	e.at(coaching.NewDate(2026, 12, 4))
	e.Tick(t)
	assert.Empty(t, e.deliver(t), "no ending notice for an ended period")

	e = newEnv(t, nil)
	e.started(t)
	e.revise(t, func(p *hoks.Plan) { p.VocationalUnits[0].Methods[1].End = coaching.NewDate(2026, 12, 18) })
	e.at(coaching.NewDate(2026, 12, 18))
	p, err := e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 12, 18))
	require.NoError(t, err)
	assert.Equal(t, coaching.NewDate(2026, 12, 18), p.TEP.TriggerDate)
	assert.Equal(t, coaching.NewDate(2026, 12, 18), p.Plan.End)
}

// Interruptions are recorded and offered for the plan, never written into
// it; a period that ends while interrupted gets no survey.
func TestInterruptions(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.started(t)
	e.at(coaching.NewDate(2026, 11, 2))
	_, err := e.periods.Interrupt(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 10, 18))
	ct.RequireInvalid(t, err, "on") // before the start
	p, err := e.periods.Interrupt(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 11, 2))
	require.NoError(t, err)
	assert.Equal(t, workplace.Interrupted, p.Status)
	e.at(coaching.NewDate(2026, 11, 9))
	_, err = e.periods.Resume(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 11, 2))
	ct.RequireInvalid(t, err, "on") // the day it began
	p, err = e.periods.Resume(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 11, 9))
	require.NoError(t, err)
	assert.Equal(t, workplace.Running, p.Status)
	assert.Equal(t, []hoks.Interruption{{Start: coaching.NewDate(2026, 11, 2), End: coaching.NewDate(2026, 11, 8)}}, p.PlanProposals())
	cur, err := e.plans.Current(ctx, ct.Tutor, e.c.ID)
	require.NoError(t, err)
	assert.Empty(t, cur.Plan.VocationalUnits[0].Methods[1].Interruptions, "the plan is not written")

	e.at(coaching.NewDate(2026, 12, 3))
	_, err = e.periods.Interrupt(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2026, 12, 3))
	require.NoError(t, err)
	e.at(coaching.NewDate(2026, 12, 4)) // the ending notice goes while interrupted too
	e.Tick(t)
	e.at(jaksoEnd)
	p, err = e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, jaksoEnd)
	require.NoError(t, err)
	assert.Equal(t, "an interruption covers the period's last day", p.TEP.Excluded)
	assert.Empty(t, e.outbox(t, workplace.NoticeKindTEP))
	assert.Len(t, e.outbox(t, workplace.NoticeKindEnding), 2)
	trail := ct.RequireAuditTrail(t, e.Engine, e.c.ID)
	assert.Contains(t, trail[len(trail)-1].Reason, "TEP survey not queued: an interruption covers")
	assert.Len(t, p.PlanProposals(), 2)
}

// A guardian or the workplace instructor may not move a period; another
// organisation's staff are answered "not found".
func TestPolicy(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.at(coaching.NewDate(2026, 10, 5))
	guardian := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	_, err := e.periods.Draft(ctx, guardian, e.c.ID, jakso)
	ct.RequireForbidden(t, err)
	e.signed(t)
	_, err = e.periods.Sign(ctx, guardian, e.c.ID, jakso, workplace.SignInput{On: coaching.NewDate(2026, 10, 5), Instructor: instructor})
	ct.RequireForbidden(t, err)
	_, err = e.periods.Get(ctx, guardian, e.c.ID, jakso)
	ct.RequireForbidden(t, err)
	tpo := coaching.Actor{ID: "tpo-1", Roles: []coaching.Role{coaching.RoleWorkplaceInstructor}}
	e.at(jaksoStart)
	_, err = e.periods.Start(ctx, tpo, e.c.ID, jakso, jaksoStart)
	ct.RequireForbidden(t, err)
	other := coaching.Actor{ID: "tutor-9", Organisation: "other", Roles: []coaching.Role{coaching.RolePersonalTutor, coaching.RoleHeadOfStudies}}
	_, err = e.periods.Start(ctx, other, e.c.ID, jakso, jaksoStart)
	fe := ct.RequireForbidden(t, err)
	assert.NotNil(t, fe.NotFound(), "another organisation's case is answered as not found")
	_, err = e.periods.Get(ctx, other, e.c.ID, jakso)
	fe = ct.RequireForbidden(t, err)
	assert.NotNil(t, fe.NotFound())
	p, err := e.periods.Start(ctx, ct.Tutor, e.c.ID, jakso, jaksoStart)
	require.NoError(t, err, "the refusals changed nothing")
	assert.Len(t, p.History, 3)
}

// The survey follows eHOKS's rules from the plan in force when the period
// ends: an interruption the plan gained after the agreement was signed
// excludes it.
func TestTEPRulesAtTheEnd(t *testing.T) {
	for name, tc := range map[string]struct {
		edit     func(m *hoks.AcquisitionMethod)
		excluded string
	}{
		"interrupted at the end": {func(m *hoks.AcquisitionMethod) {
			m.Interruptions = []hoks.Interruption{{Start: coaching.NewDate(2026, 12, 1)}}
		}, "an interruption covers the period's last day"},
		"interrupted before the end": {func(m *hoks.AcquisitionMethod) {
			m.Interruptions = []hoks.Interruption{{Start: coaching.NewDate(2026, 11, 1), End: coaching.NewDate(2026, 11, 6)}}
		}, ""},
		"unchanged": {nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := context.Background()
			e.started(t)
			if tc.edit != nil { // the plan changes (approved) before the end
				n := e.revise(t, func(p *hoks.Plan) { tc.edit(&p.VocationalUnits[0].Methods[1]) })
				// A draft of the next update does not hide the plan in force.
				cur, err := e.plans.Current(ctx, ct.Tutor, e.c.ID)
				require.NoError(t, err)
				_, err = e.plans.SaveDraft(ctx, ct.Tutor, e.c.ID, n, cur.Plan)
				require.NoError(t, err)
			}
			e.at(jaksoEnd)
			p, err := e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, jaksoEnd)
			require.NoError(t, err)
			if tc.excluded == "" {
				assert.Empty(t, p.TEP.Excluded)
				assert.Len(t, e.outbox(t, workplace.NoticeKindTEP), 1)
				return
			}
			assert.Equal(t, tc.excluded, p.TEP.Excluded)
			assert.Empty(t, p.TEP.NoticeID)
			assert.Empty(t, e.outbox(t, workplace.NoticeKindTEP))
		})
	}
}

// A period removed from the plan in force gets no survey.
func TestPeriodRemovedFromPlanGetsNoSurvey(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.started(t)
	e.revise(t, func(p *hoks.Plan) { p.VocationalUnits[0].Methods = p.VocationalUnits[0].Methods[:1] })
	e.at(jaksoEnd)
	p, err := e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, jaksoEnd)
	require.NoError(t, err)
	assert.Equal(t, "the period is no longer in the HOKS in force", p.TEP.Excluded)
}

// An approved HOKS update moves the period's last day seven weeks later
// before the ending notice is due: the timer set at signing goes off on
// the old date without a notice and sets itself again, and the notice
// goes a week before the new last day, naming it.
func TestEndingNoticeFollowsThePlanInForce(t *testing.T) {
	e := newEnv(t, nil)
	e.started(t)
	newEnd := coaching.NewDate(2027, 1, 29)
	e.revise(t, func(p *hoks.Plan) { p.VocationalUnits[0].Methods[1].End = newEnd })
	e.at(coaching.NewDate(2026, 12, 4))
	e.Tick(t)
	assert.Empty(t, e.outbox(t, workplace.NoticeKindEnding), "no notice a week before the superseded last day")
	e.at(coaching.NewDate(2027, 1, 21))
	e.Tick(t)
	assert.Empty(t, e.outbox(t, workplace.NoticeKindEnding), "not before it is due for the new last day")
	e.at(coaching.NewDate(2027, 1, 22))
	e.Tick(t)
	sent := e.outbox(t, workplace.NoticeKindEnding)
	require.Len(t, sent, 2, "to the instructor and the tutor")
	for _, n := range sent {
		assert.Equal(t, newEnd.String(), n.Data["date"])
		assert.Contains(t, n.Subject+n.Body, "29.1.2027")
	}
	e.at(coaching.NewDate(2027, 1, 23))
	e.Tick(t)
	assert.Len(t, e.outbox(t, workplace.NoticeKindEnding), 2, "the notice goes once")
}

// The period is extended after its ending notice went: the next command
// finds the new last day and sets the ending timer again, and a notice
// naming the new day follows.
func TestExtensionAfterTheEndingNoticeGetsANewNotice(t *testing.T) {
	e := newEnv(t, nil)
	e.started(t)
	e.at(coaching.NewDate(2026, 12, 4))
	e.Tick(t)
	require.Len(t, e.outbox(t, workplace.NoticeKindEnding), 2)
	newEnd := coaching.NewDate(2027, 1, 29)
	e.revise(t, func(p *hoks.Plan) { p.VocationalUnits[0].Methods[1].End = newEnd })
	p := e.interruptedAndResumed(t, coaching.NewDate(2026, 12, 7), coaching.NewDate(2026, 12, 14))
	assert.Equal(t, newEnd, p.Plan.End, "the period carries the plan in force")
	e.at(coaching.NewDate(2027, 1, 22))
	e.Tick(t)
	var dates []string
	for _, n := range e.outbox(t, workplace.NoticeKindEnding) {
		dates = append(dates, n.Data["date"])
	}
	assert.ElementsMatch(t, []string{"2026-12-11", "2026-12-11", "2027-01-29", "2027-01-29"}, dates)
}

// interruptedAndResumed interrupts jakso-1 on day from and resumes it on
// day on, each recorded on its day.
func (e *env) interruptedAndResumed(t *testing.T, from, on coaching.Date) workplace.Period {
	t.Helper()
	e.at(from)
	_, err := e.periods.Interrupt(context.Background(), ct.Tutor, e.c.ID, jakso, from)
	require.NoError(t, err)
	e.at(on)
	p, err := e.periods.Resume(context.Background(), ct.Tutor, e.c.ID, jakso, on)
	require.NoError(t, err)
	return p
}

// After the plan in force extended the period, an interruption and a
// resumption after the old last day are within the period.
func TestInterruptAndResumeAfterExtension(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.started(t)
	e.revise(t, func(p *hoks.Plan) { p.VocationalUnits[0].Methods[1].End = coaching.NewDate(2027, 1, 29) })
	p := e.interruptedAndResumed(t, coaching.NewDate(2026, 12, 21), coaching.NewDate(2027, 1, 4))
	assert.Equal(t, []workplace.Interruption{{Start: coaching.NewDate(2026, 12, 21), End: coaching.NewDate(2027, 1, 3)}}, p.Interruptions)
	e.at(coaching.NewDate(2027, 2, 1))
	_, err := e.periods.Interrupt(ctx, ct.Tutor, e.c.ID, jakso, coaching.NewDate(2027, 1, 30))
	ct.RequireInvalid(t, err, "on") // after the new last day
}

// A period whose end is recorded after its survey's answer window closed
// gets no survey, and the decision says why.
func TestTEPNotQueuedAfterItsAnswerWindowClosed(t *testing.T) {
	e := newEnv(t, nil)
	e.started(t)
	e.at(coaching.NewDate(2027, 3, 1))
	p, err := e.periods.End(context.Background(), ct.Tutor, e.c.ID, jakso, jaksoEnd)
	require.NoError(t, err)
	assert.Equal(t, "the end was recorded after the survey's answer window closed on 2027-01-30", p.TEP.Excluded)
	assert.Empty(t, p.TEP.NoticeID)
	assert.Empty(t, e.outbox(t, workplace.NoticeKindTEP))

	e = newEnv(t, nil) // on the window's last day it is still queued
	e.started(t)
	e.at(coaching.NewDate(2027, 1, 30))
	p, err = e.periods.End(context.Background(), ct.Tutor, e.c.ID, jakso, jaksoEnd)
	require.NoError(t, err)
	assert.Empty(t, p.TEP.Excluded)
	require.Len(t, e.outbox(t, workplace.NoticeKindTEP), 1)
}

// A period that ends before the plan's last day proposes the recorded end
// for the HOKS (eHOKS dates its survey from the plan's loppu), in the
// period and in the end's audit entry; one that ends on it proposes none.
func TestEarlyEndProposesThePlansEnd(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.started(t)
	early := coaching.NewDate(2026, 12, 4)
	e.at(early)
	p, err := e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, early)
	require.NoError(t, err)
	end, ok := p.PlanEndProposal()
	assert.True(t, ok)
	assert.Equal(t, early, end)
	assert.Equal(t, early, p.TEP.TriggerDate)
	trail := ct.RequireAuditTrail(t, e.Engine, e.c.ID)
	assert.Contains(t, trail[len(trail)-1].Reason, "ended 2026-12-04, not on the HOKS's last day 2026-12-11: the HOKS should be updated")

	e = newEnv(t, nil)
	e.started(t)
	e.at(jaksoEnd)
	p, err = e.periods.End(ctx, ct.Tutor, e.c.ID, jakso, jaksoEnd)
	require.NoError(t, err)
	_, ok = p.PlanEndProposal()
	assert.False(t, ok)
	_, ok = workplace.Period{}.PlanEndProposal()
	assert.False(t, ok, "a period not ended proposes nothing")
}
