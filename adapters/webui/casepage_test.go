package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/hoks"
)

// The case page's tests use the helpers' tutorA, tutorB and headA and the
// attendance tests' teacherA and curatorA, on the case's team.

// Words only the welfare worker's own records hold: they must never reach
// anyone but a welfare role on the team.
const (
	welfareTopic   = "Curator-only topic"
	welfarePlanned = "Curator meeting"
	welfareAlert   = "Welfare concern"
)

// teacherScopePolicy is a host's policy that, unlike the default, shows a
// teacher on the team the case but not its attendance, coaching schedule
// or HOKS: the case page leaves those sections out.
func teacherScopePolicy(ctx context.Context, r *coaching.Request) coaching.Decision {
	if r.Actor.HasRole(coaching.RoleTeacher) && !r.Actor.HasRole(coaching.RoleHeadOfStudies) {
		switch r.Operation {
		case coaching.OpReadAttendance, coaching.OpReadSchedule, coaching.OpReadHOKS, coaching.OpReadHOKSSummary:
			return coaching.Deny("host_teacher_scope", "this host shows teachers the case, not its attendance, schedule or plan")
		}
	}
	return coaching.DefaultPolicy().Decide(ctx, r)
}

// caseFixture is a case of organisation A with a tutor, a teacher and a
// curator on its team and something in every section of its page; and a
// case of organisation B.
type caseFixture struct {
	env        *ct.Env
	h          http.Handler
	one, other coaching.Case
}

func newCaseFixture(t *testing.T) *caseFixture {
	t.Helper()
	ctx := context.Background()
	env := ct.New(t, &ct.Options{Engine: coaching.Options{Documents: hoks.Documents(), Policy: coaching.PolicyFunc(teacherScopePolicy)}})
	f := &caseFixture{env: env}
	enrol := func(head coaching.Actor, family string, team ...coaching.TeamMember) coaching.Case {
		p := ct.Participant(func(p *coaching.Participant) {
			p.GivenNames, p.FamilyName, p.Organisation = "Testi", family, head.Organisation
		})
		c, err := env.Engine.Enrol(ctx, head, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p, Team: team})
		require.NoError(t, err)
		return c
	}
	f.one = enrol(headA, "Virtanen", ct.TeamMember(tutorA, coaching.RolePersonalTutor), ct.TeamMember(teacherA, coaching.RoleTeacher),
		ct.TeamMember(curatorA, coaching.RoleCurator))
	f.other = enrol(headB, "Berg", ct.TeamMember(tutorB, coaching.RolePersonalTutor))
	today := coaching.DateOf(env.Clock.Now())
	one := []coaching.CaseID{f.one.ID}

	sessions, err := session.New(env.Engine)
	require.NoError(t, err)
	for _, r := range []struct {
		by coaching.Actor
		s  session.Session
	}{
		{tutorA, session.Session{Kind: session.Individual, Date: today.AddDays(-3), Hours: decimal.RequireFromString("1.5"), Cases: one,
			Staff: []session.Staff{{ActorID: tutorA.ID, Role: coaching.RolePersonalTutor}}, Elements: []session.ApproachElement{session.ElementTrust},
			Topic: "Study plan talk"}},
		{curatorA, session.Session{Kind: session.Individual, Date: today.AddDays(-2), Hours: decimal.RequireFromString("1"), Cases: one,
			Staff: []session.Staff{{ActorID: curatorA.ID, Role: coaching.RoleCurator}}, Topic: welfareTopic}},
	} {
		_, err := sessions.Record(ctx, r.by, r.s)
		require.NoError(t, err)
	}
	cl, err := caseload.New(env.Engine, nil)
	require.NoError(t, err)
	_, err = cl.Plan(ctx, tutorA, caseload.Planned{Kind: caseload.PlanIndividualSession, Title: "Follow-up meeting", Cases: one, On: today.AddDays(2)})
	require.NoError(t, err)
	_, err = cl.Plan(ctx, curatorA, caseload.Planned{Kind: caseload.PlanIndividualSession, Title: welfarePlanned, Cases: one, On: today.AddDays(1)})
	require.NoError(t, err)
	cancelled, err := cl.Plan(ctx, tutorA, caseload.Planned{Kind: caseload.PlanGuardianMeeting, Title: "Guardian meeting", Cases: one, On: today})
	require.NoError(t, err)
	_, err = cl.Cancel(ctx, tutorA, cancelled.ID, cancelled.Version, "The guardian is away")
	require.NoError(t, err)
	_, err = cl.LogContact(ctx, tutorA, caseload.Contact{CaseID: f.one.ID, Kind: caseload.ContactPhone, WithGuardian: true, Note: "Called the guardian"})
	require.NoError(t, err)
	_, _, err = cl.Raise(ctx, tutorA, f.one.ID, caseload.AlertInput{Title: "Check the workplace"})
	require.NoError(t, err)
	_, _, err = cl.Raise(ctx, curatorA, f.one.ID, caseload.AlertInput{Title: welfareAlert, Welfare: true})
	require.NoError(t, err)
	_, err = env.Attendance.Record(ctx, tutorA, []attendance.MarkInput{
		{CaseID: f.one.ID, Date: today, Lesson: "1", Title: "Maths", Minutes: 45, Status: attendance.Unexplained},
		{CaseID: f.one.ID, Date: today, Lesson: "2", Title: "Welding", Minutes: 45, Status: attendance.Present},
		{CaseID: f.one.ID, Date: today.AddDays(-3), Lesson: "1", Title: "Maths", Minutes: 45, Status: attendance.Sick},
	})
	require.NoError(t, err)
	addPlan(t, env, tutorA, f.one.ID)

	l, err := webui.NewDevLogin([]webui.DevIdentity{
		{Key: "tutor-a", Label: "Tiina Tutor", Actor: tutorA},
		{Key: "teacher-a", Label: "Terhi Teacher", Actor: teacherA},
		{Key: "curator-a", Label: "Kaisa Curator", Actor: curatorA},
		{Key: "head-a", Label: "Helena Head", Actor: headA},
		{Key: "tutor-b", Label: "Tuomas Tutor", Actor: tutorB},
	})
	require.NoError(t, err)
	f.h, err = webui.New(env.Engine, &webui.Options{SessionKey: sessionKey, Login: l})
	require.NoError(t, err)
	return f
}

// addPlan gives case id a HOKS of four versions: a draft, its approval, an
// update (a local unit added, the workplace period moved a week) and its
// approval.
func addPlan(t *testing.T, env *ct.Env, by coaching.Actor, id coaching.CaseID) {
	t.Helper()
	ctx := context.Background()
	plans, err := hoks.NewService(env.Engine)
	require.NoError(t, err)
	today := coaching.DateOf(env.Clock.Now())
	p := &hoks.Plan{
		LearnerOID:      hoks.Ref("1.2.246.562.24.42016337194"),
		StudyRightOID:   hoks.Ref("1.2.246.562.15.76811932086"),
		NeedsCompetence: hoks.Ref(true),
		VocationalUnits: []hoks.VocationalUnit{{
			UnitCodeURI: hoks.Ref("tutkinnonosat_106233"), UnitCodeVersion: hoks.Ref(2),
			Methods: []hoks.AcquisitionMethod{{
				PeriodID: hoks.Ref("jakso-1"), MethodCodeURI: hoks.Ref(hoks.MethodTrainingAgreement), MethodCodeVersion: hoks.Ref(1),
				Start: today.AddDays(14), End: today.AddDays(70), PartTimePercent: hoks.Ref(100),
				Workplace: &hoks.WorkplaceTraining{WorkplaceName: hoks.Ref("Testin Huolto Oy"), BusinessID: hoks.Ref("3213687-7"),
					Instructor: &hoks.WorkplaceInstructor{Name: hoks.Ref("Ohjaaja, Olli")}, KeyTasks: []string{"Huolto"}},
			}},
		}},
	}
	draft, err := plans.SaveDraft(ctx, by, id, 0, p)
	require.NoError(t, err)
	approved, err := plans.Approve(ctx, by, id, draft.Number, today)
	require.NoError(t, err)
	up := approved.Plan
	up.LocalUnits = append(up.LocalUnits, hoks.LocalUnit{Name: hoks.Ref("Study skills unit"), CompetencePoints: hoks.Ref(5)})
	m := &up.VocationalUnits[0].Methods[0]
	m.Start, m.End = m.Start.AddDays(7), m.End.AddDays(7)
	updated, err := plans.SaveDraft(ctx, by, id, approved.Number, up)
	require.NoError(t, err)
	_, err = plans.Approve(ctx, by, id, updated.Number, today)
	require.NoError(t, err)
}

func (f *caseFixture) client(t *testing.T, key, lang string) *client {
	t.Helper()
	c := &client{t: t, h: f.h}
	c.signIn("", key, lang)
	return c
}

// sections are the ids of the headings of the case page's optional
// sections.
var sections = []string{"h-alerts", "h-planned", "h-sessions", "h-contacts", "h-attendance", "h-hoks"}

// shownSections returns which optional sections body has.
func shownSections(body string) []string {
	var out []string
	for _, s := range sections {
		if strings.Contains(body, `id="`+s+`"`) {
			out = append(out, s)
		}
	}
	return out
}

// TestCasePageSectionsByPolicy: each section is shown exactly when the
// policy lets the reader see it — the tutor on the team sees all, the
// teacher whom this host's policy shows no attendance, schedule or plan
// sees the case without those sections (a 200, not a 403), the head of
// studies sees all — and the welfare worker's session, planned item and
// alert reach the curator only.
func TestCasePageSectionsByPolicy(t *testing.T) {
	f := newCaseFixture(t)
	path := "/cases/" + string(f.one.ID)
	today := coaching.DateOf(f.env.Clock.Now())
	for _, tc := range []struct {
		key     string
		want    []string
		welfare bool
	}{
		{"tutor-a", sections, false},
		{"teacher-a", []string{"h-alerts", "h-planned", "h-contacts"}, false},
		{"head-a", sections, false},
		{"curator-a", sections, true},
	} {
		t.Run(tc.key, func(t *testing.T) {
			c := f.client(t, tc.key, "en")
			rec := c.get(path)
			require.Equal(t, http.StatusOK, rec.Code)
			text := checkPage(t, rec)
			body := rec.Body.String()
			assert.Equal(t, tc.want, shownSections(body))
			for _, w := range []string{welfareTopic, welfarePlanned, welfareAlert} {
				assert.Equal(t, tc.welfare, strings.Contains(text, w), "%q shown: %v", w, !tc.welfare)
			}
			assert.Contains(t, text, "Testi Virtanen")
			assert.Contains(t, text, "Follow-up meeting", "the planned item to come")
			assert.Contains(t, text, "Guardian meeting cancelled: The guardian is away", "the cancelled item with its reason")
			assert.Contains(t, text, "Called the guardian")
			assert.Contains(t, text, "Check the workplace", "the manual alert")
			if !slices.Contains(tc.want, "h-sessions") {
				assert.NotContains(t, text, "Study plan talk")
				assert.NotContains(t, body, "/attendance/history?")
				assert.NotContains(t, body, "/hoks/diff")
				return
			}
			assert.Contains(t, text, "Study plan talk", "the tutor's session")
			assert.Contains(t, text, "Individual coaching 1.5 Tiina Tutor (personal tutor) trust Study plan talk")
			// Attendance by day, each lesson linking to its revisions; the
			// illness counted as explained.
			hist := "/attendance/history?" + url.Values{"case": {string(f.one.ID)}, "date": {today.String()}, "lesson": {"1"}}.Encode()
			assert.Contains(t, body, `href="`+strings.ReplaceAll(hist, "&", "&amp;")+`"`)
			assert.Contains(t, text, "1 Maths: Unexplained absence")
			assert.Contains(t, text, "Total 1 0 1 1", "present, late, unexplained, explained")
			// The HOKS: its summary, four versions, the compare form on the
			// version in force and the approved one before it.
			assert.Contains(t, text, "Version 4 (2026-08-10) Status approved")
			assert.Equal(t, 4, strings.Count(body, `<option value="`)/2, "every version in both selects")
			assert.Contains(t, body, `<option value="2" selected>`)
			assert.Contains(t, body, `<option value="4" selected>`)
			assert.Contains(t, text, "4 in force approved")
		})
	}
}

// TestCasePageLeavesNoDenialInTheAccessLog: the sections the policy does
// not show the teacher are left out without asking for them, so the page
// adds no denial to the access log (the plan diff they do ask for adds
// one).
func TestCasePageLeavesNoDenialInTheAccessLog(t *testing.T) {
	f := newCaseFixture(t)
	before := accessDenials(t, f)
	c := f.client(t, "teacher-a", "en")
	require.Equal(t, http.StatusOK, c.get("/cases/"+string(f.one.ID)).Code)
	assert.Equal(t, before, accessDenials(t, f))
	// What the teacher asks for and is refused is logged: the count sees it.
	require.Equal(t, http.StatusForbidden, c.get("/cases/"+string(f.one.ID)+"/hoks/diff").Code)
	assert.Greater(t, accessDenials(t, f), before)
}

// accessDenials counts the denials in organisation A's access log.
func accessDenials(t *testing.T, f *caseFixture) int {
	t.Helper()
	var entries []coaching.AccessEntry
	err := f.env.Engine.Read(context.Background(), headA, func(sc *coaching.Scope) error {
		var err error
		entries, err = sc.AccessLog(coaching.AccessQuery{Organisation: orgA})
		return err
	})
	require.NoError(t, err)
	n := 0
	for _, e := range entries {
		if !e.Allowed {
			n++
		}
	}
	return n
}

// TestHOKSDiffPage: the plan diff in words (the default compares the
// version in force with the approved one before it), in Finnish with
// Finnish dates; a bad version number is 400, a version the case lacks
// 404, another organisation's case 404, a reader the policy refuses the
// plan 403.
func TestHOKSDiffPage(t *testing.T) {
	f := newCaseFixture(t)
	path := "/cases/" + string(f.one.ID) + "/hoks/diff"
	c := f.client(t, "tutor-a", "en")
	rec := c.get(path)
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Changes to the HOKS: Testi Virtanen")
	assert.Contains(t, text, "Versions 2 → 4")
	assert.Contains(t, text, "Unit added Local unit to acquire 1 (Study skills unit)")
	assert.Contains(t, text, "Period moved Vocational unit to acquire 1 › Way of acquiring competence 1 (Testin Huolto Oy)")
	assert.Equal(t, text, checkPage(t, c.get(path+"?from=2&to=4")), "the default is 2 → 4")

	rec = c.get(path + "?from=1&to=2")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, checkPage(t, rec), "First approval date set")

	fi := f.client(t, "tutor-a", "fi")
	rec = fi.get(path)
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Tutkinnon osa lisätty Hankittava paikallinen tutkinnon osa 1 (Study skills unit)")
	start := coaching.DateOf(f.env.Clock.Now()).AddDays(21)
	assert.Contains(t, text, "Jakson ajankohta muuttui")
	assert.Contains(t, text, formatFinnish(start)+"–", "the moved period's dates as Finns write them")

	for q, status := range map[string]int{
		"?from=x&to=4":  http.StatusBadRequest,
		"?from=0&to=4":  http.StatusBadRequest,
		"?from=-1&to=4": http.StatusBadRequest,
		"?from=2":       http.StatusBadRequest,
		"?to=2":         http.StatusBadRequest,
		"?from=9&to=4":  http.StatusNotFound,
		"?from=2&to=99": http.StatusNotFound,
	} {
		rec := c.get(path + q)
		assert.Equal(t, status, rec.Code, q)
		checkPage(t, rec)
	}
	rec = c.get("/cases/" + string(f.other.ID) + "/hoks/diff?from=1&to=2")
	assert.Equal(t, http.StatusNotFound, rec.Code, "another organisation's case")
	assert.NotContains(t, checkPage(t, rec), "Berg")
	missing := c.get("/cases/no-such-case/hoks/diff")
	assert.Equal(t, http.StatusNotFound, missing.Code)
	assert.Equal(t, checkPage(t, missing), checkPage(t, c.get("/cases/"+string(f.other.ID)+"/hoks/diff")))

	teacher := f.client(t, "teacher-a", "en")
	rec = teacher.get(path)
	assert.Equal(t, http.StatusForbidden, rec.Code, "this host shows teachers no plan")
	assert.NotContains(t, checkPage(t, rec), "Study skills unit")
}

// formatFinnish writes a date as Finns do: 6.12.2026.
func formatFinnish(d coaching.Date) string {
	return fmt.Sprintf("%d.%d.%d", d.Day, int(d.Month), d.Year)
}

// TestCasePageWithoutHOKS: an engine without the HOKS documents has no
// HOKS section and no diff page (Options.HOKS is nil).
func TestCasePageWithoutHOKS(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "tutor-a", "en")
	id := f.cases["Virtanen"].ID
	rec := c.get("/cases/" + string(id))
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	checkPage(t, rec)
	assert.NotContains(t, body, `id="h-hoks"`)
	assert.Contains(t, body, `id="h-attendance"`, "the other sections are there")
	rec = c.get("/cases/" + string(id) + "/hoks/diff?from=1&to=2")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	checkPage(t, rec)
}
