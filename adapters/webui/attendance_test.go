package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/sis"
)

var (
	teacherA = coaching.Actor{ID: "teacher-a", Name: "Terhi Teacher", Organisation: orgA, Roles: []coaching.Role{coaching.RoleTeacher}}
	teacherB = coaching.Actor{ID: "teacher-b", Name: "Teppo Teacher", Organisation: orgB, Roles: []coaching.Role{coaching.RoleTeacher}}
	// substituteA teaches in organisation A but is on no student's team.
	substituteA = coaching.Actor{ID: "substitute-a", Name: "Sanna Substitute", Organisation: orgA, Roles: []coaching.Role{coaching.RoleTeacher}}
	// curatorA is welfare staff: the policy does not let them record
	// attendance.
	curatorA = coaching.Actor{ID: "curator-a", Name: "Kaisa Curator", Organisation: orgA, Roles: []coaching.Role{coaching.RoleCurator}}
)

// gridFixture is a group TVO25A of 30 minors in organisation A (teacherA
// on each team as their teacher, tutorA as personal tutor), a student of
// TVO25B in A, and a student of B in a group of the same name.
type gridFixture struct {
	env    *ct.Env
	h      http.Handler
	group  []coaching.Case // TVO25A of A, in name order
	otherG coaching.Case   // TVO25B of A
	otherO coaching.Case   // TVO25A of B
	today  coaching.Date
}

func newGridFixture(t *testing.T) *gridFixture {
	t.Helper()
	env := ct.New(t, nil)
	f := &gridFixture{env: env, today: coaching.DateOf(env.Clock.Now())}
	enrol := func(head coaching.Actor, family, group string, team ...coaching.TeamMember) coaching.Case {
		p := ct.Minor(f.today.AddDays(700), func(p *coaching.Participant) {
			p.GivenNames, p.FamilyName, p.Organisation = "Oppilas", family, head.Organisation
		})
		c, err := env.Engine.Enrol(context.Background(), head, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
			Team:    team,
			Records: []coaching.RecordInput{{Name: sis.RecordName, Payload: sis.EnrolmentRecord{Group: group}}}})
		require.NoError(t, err)
		return c
	}
	teacher := ct.TeamMember(teacherA, coaching.RoleTeacher)
	teacher.Name = teacherA.Name
	for i := range 30 {
		f.group = append(f.group, enrol(headA, fmt.Sprintf("Ryhmäläinen%02d", i), "TVO25A",
			ct.TeamMember(tutorA, coaching.RolePersonalTutor), teacher))
	}
	f.otherG = enrol(headA, "Toisenryhmän", "TVO25B", ct.TeamMember(tutorA, coaching.RolePersonalTutor))
	f.otherO = enrol(headB, "Muuorganisaatio", "TVO25A", ct.TeamMember(tutorB, coaching.RolePersonalTutor))
	login, err := webui.NewDevLogin([]webui.DevIdentity{
		{Key: "teacher-a", Label: "Terhi Teacher (A)", Actor: teacherA},
		{Key: "teacher-b", Label: "Teppo Teacher (B)", Actor: teacherB},
		{Key: "curator-a", Label: "Kaisa Curator (A)", Actor: curatorA},
		{Key: "substitute-a", Label: "Sanna Substitute (A)", Actor: substituteA},
	})
	require.NoError(t, err)
	f.h, err = webui.New(env.Engine, &webui.Options{SessionKey: sessionKey, Login: login, Attendance: env.Attendance})
	require.NoError(t, err)
	return f
}

func (f *gridFixture) signIn(t *testing.T, key string) *client {
	t.Helper()
	c := &client{t: t, h: f.h}
	c.signIn("", key, "en")
	return c
}

// lessonForm is the grid's lesson fields for lesson 1 today.
func (f *gridFixture) lessonForm() url.Values {
	return url.Values{"group": {"TVO25A"}, "date": {f.today.String()}, "lesson": {"1"}, "minutes": {"45"}}
}

// marks returns case id's marks of today as tutorA (on every team) reads
// them.
func (f *gridFixture) marks(t *testing.T, actor coaching.Actor, id coaching.CaseID) []attendance.Mark {
	t.Helper()
	ms, err := f.env.Attendance.Marks(context.Background(), actor, id, f.today, f.today)
	require.NoError(t, err)
	return ms
}

// statusOf is what the grid's status radio of case i should be: one
// unexplained absence, one explained, one sick, one late, the rest
// present.
func statusOf(i int) (attendance.Status, attendance.AbsenceReason) {
	switch i {
	case 0:
		return attendance.Unexplained, ""
	case 1:
		return attendance.Explained, attendance.ReasonFamily
	case 2:
		return attendance.Sick, ""
	case 3:
		return attendance.Late, ""
	}
	return attendance.Present, ""
}

// A teacher opens the group's grid for a lesson (30 rows, a fieldset with
// the student's name as its legend and a labelled radio per status),
// marks all 30 in one POST: the marks are stored, a digest is queued for
// the guardians of the minor absent unexplained; the same form again
// changes nothing.
func TestAttendanceGridMarksAGroup(t *testing.T) {
	f := newGridFixture(t)
	c := f.signIn(t, "teacher-a")

	rec := c.get("/attendance?" + url.Values{"group": {"TVO25A"}, "lesson": {"1"}}.Encode())
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text := checkPage(t, rec)
	body := rec.Body.String()
	assert.Contains(t, body, `<a href="/attendance">`, "the menu offers a teacher the grid")
	for i := range 30 {
		assert.Contains(t, text, fmt.Sprintf("Oppilas Ryhmäläinen%02d", i))
		assert.Contains(t, body, fmt.Sprintf(`<legend class="visually-hidden">Oppilas Ryhmäläinen%02d</legend>`, i))
	}
	assert.NotContains(t, text, "Toisenryhmän", "another group's student")
	assert.NotContains(t, text, "Muuorganisaatio", "another organisation's student")
	assert.Equal(t, 30*5, strings.Count(body, `type="radio"`))
	assert.Equal(t, 30, strings.Count(body, "<fieldset class=\"marks\""))
	assert.Contains(t, body, `value="`+f.today.String()+`"`, "the date defaults to today")
	assert.Contains(t, text, "Absent through illness")

	form := f.lessonForm()
	for i, cs := range f.group {
		st, rs := statusOf(i)
		form.Set("status:"+string(cs.ID), string(st))
		form.Set("reason:"+string(cs.ID), string(rs))
		form.Set("was:"+string(cs.ID), "|")
	}
	form.Set("status:"+string(f.otherO.ID), "present") // not in the grid: never recorded
	rec = c.post("/attendance", form)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text = checkPage(t, rec)
	assert.Equal(t, 30, strings.Count(text, "New mark"), text)
	assert.Contains(t, text, "Absence digests queued for guardians: 1")
	assert.Contains(t, text, "Unchanged: 0")

	for i, cs := range f.group {
		ms := f.marks(t, teacherA, cs.ID)
		require.Len(t, ms, 1, "case %d", i)
		st, rs := statusOf(i)
		assert.Equal(t, st, ms[0].Status)
		assert.Equal(t, rs, ms[0].Reason)
		assert.Equal(t, "1", ms[0].Lesson)
		assert.Equal(t, 45, ms[0].Minutes)
		assert.Equal(t, teacherA.ID, ms[0].By)
	}
	assert.Empty(t, f.marks(t, headB, f.otherO.ID), "another organisation's student is not recorded")

	// The digest is the guardians' of the student absent unexplained.
	var digests []coaching.Notice
	for _, cs := range f.group {
		err := f.env.Engine.ReadCase(context.Background(), headA, coaching.OpReadNotices, cs.ID, func(v *coaching.CaseView) error {
			ns, err := v.Notices()
			for _, n := range ns {
				if n.Kind == coaching.NoticeKindAbsence {
					digests = append(digests, n)
				}
			}
			return err
		})
		require.NoError(t, err)
	}
	require.Len(t, digests, 1)
	assert.Equal(t, f.group[0].ID, digests[0].CaseID)
	assert.Equal(t, coaching.RoleGuardian, digests[0].Recipient.Role)

	// The same form again: nothing changes, nothing more is queued.
	rec = c.post("/attendance", form)
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "No mark changed.")
	assert.Contains(t, text, "Unchanged: 30")
	assert.Contains(t, text, "Absence digests queued for guardians: 0")
}

// The grid shows the current marks checked; changing one is a correction
// (a second revision), recorded alone while the unchanged rows are not;
// the pending digest is revised, and the mark's history shows who
// changed what, from what to what.
func TestAttendanceGridCorrection(t *testing.T) {
	f := newGridFixture(t)
	c := f.signIn(t, "teacher-a")
	var marks []attendance.MarkInput
	for i, cs := range f.group {
		st, rs := statusOf(i)
		marks = append(marks, attendance.MarkInput{CaseID: cs.ID, Date: f.today, Lesson: "1", Minutes: 45, Status: st, Reason: rs})
	}
	_, err := f.env.Attendance.Record(context.Background(), tutorA, marks)
	require.NoError(t, err)

	rec := c.get("/attendance?" + f.lessonForm().Encode())
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	body := rec.Body.String()
	first := string(f.group[0].ID)
	assert.Contains(t, body, `name="status:`+first+`" value="absent_unexplained" checked`)
	assert.Contains(t, body, `name="was:`+first+`" value="absent_unexplained|"`)
	assert.Contains(t, body, `<option value="family" selected>`)
	assert.Equal(t, 30, strings.Count(text, "History"), "a history link on every marked row")

	// Every row posted as rendered, the first changed.
	form := f.lessonForm()
	for i, cs := range f.group {
		st, rs := statusOf(i)
		form.Set("status:"+string(cs.ID), string(st))
		form.Set("reason:"+string(cs.ID), string(rs))
		form.Set("was:"+string(cs.ID), string(st)+"|"+string(rs))
	}
	form.Set("status:"+first, "absent_explained")
	form.Set("reason:"+first, "appointment")
	rec = c.post("/attendance", form)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text = checkPage(t, rec)
	assert.Contains(t, text, "Oppilas Ryhmäläinen00 Unexplained absence Explained absence (A doctor's or other appointment) Correction")
	assert.NotContains(t, text, "New mark")
	assert.Contains(t, text, "Unchanged: 29")
	assert.Contains(t, text, "Pending digests revised or cancelled: 1")

	ms := f.marks(t, teacherA, f.group[0].ID)
	require.Len(t, ms, 1)
	assert.Equal(t, attendance.Explained, ms[0].Status)
	assert.Equal(t, 2, ms[0].Revision)

	rec = c.get("/attendance/history?" + url.Values{"case": {first}, "date": {f.today.String()}, "lesson": {"1"}}.Encode())
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text = checkPage(t, rec)
	assert.Contains(t, text, "History of a mark: Oppilas Ryhmäläinen00")
	assert.Contains(t, text, "Tiina Tutor", "who recorded the first revision (the team's name for them)")
	assert.Contains(t, text, "2 "+f.today.String())
	assert.Contains(t, text, "Terhi Teacher Unexplained absence Explained absence (A doctor's or other appointment)")
	assert.Contains(t, text, "No mark Unexplained absence", "the first revision has nothing before it")
}

// Someone the policy does not let record attendance (welfare staff) gets
// the 403 page for the grid, with or without a group, and for a POST.
func TestAttendanceGridForbidden(t *testing.T) {
	f := newGridFixture(t)
	c := f.signIn(t, "curator-a")
	for _, path := range []string{"/attendance", "/attendance?group=TVO25A"} {
		rec := c.get(path)
		assert.Equal(t, http.StatusForbidden, rec.Code, path)
		checkPage(t, rec)
	}
	assert.NotContains(t, c.get("/").Body.String(), `href="/attendance"`, "the menu offers a curator no grid")
	form := f.lessonForm()
	form.Set("status:"+string(f.group[0].ID), "present")
	rec := c.post("/attendance", form)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	checkPage(t, rec)
	assert.Empty(t, f.marks(t, tutorA, f.group[0].ID))
}

// A teacher of another organisation sees only their own organisation's
// student of a group of the same name, and cannot record for, or read the
// history of, organisation A's.
func TestAttendanceGridOtherOrganisation(t *testing.T) {
	f := newGridFixture(t)
	c := f.signIn(t, "teacher-b")
	rec := c.get("/attendance?group=TVO25A")
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Oppilas Muuorganisaatio")
	assert.NotContains(t, text, "Ryhmäläinen")

	form := f.lessonForm()
	form.Set("status:"+string(f.group[0].ID), "absent_unexplained")
	form.Set("status:"+string(f.otherO.ID), "present")
	rec = c.post("/attendance", form)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text = checkPage(t, rec)
	assert.NotContains(t, text, "Ryhmäläinen")
	assert.Empty(t, f.marks(t, tutorA, f.group[0].ID))
	require.Len(t, f.marks(t, headB, f.otherO.ID), 1)

	rec = c.get("/attendance/history?" + url.Values{"case": {string(f.group[0].ID)}, "date": {f.today.String()}}.Encode())
	assert.Equal(t, http.StatusNotFound, rec.Code, "another organisation's case is a missing one")
	checkPage(t, rec)
}

// Invalid input is a 422 with the problem beside its control, and nothing
// is recorded: a date that is not one, an unknown status, an explained
// absence without a reason.
func TestAttendanceGridInvalid(t *testing.T) {
	f := newGridFixture(t)
	c := f.signIn(t, "teacher-a")

	rec := c.get("/attendance?group=TVO25A&date=2026-02-30")
	assert.Equal(t, http.StatusBadRequest, rec.Code, "a bad query is a bad request")
	text := checkPage(t, rec)
	assert.Contains(t, text, "Not a date: write it as YYYY-MM-DD.")
	assert.Contains(t, rec.Body.String(), `id="a-date" name="date" value="2026-02-30" aria-invalid="true" aria-describedby="e-date"`)
	assert.Contains(t, rec.Body.String(), `<strong class="error" id="e-date">`)

	form := f.lessonForm()
	form.Set("date", "yesterday")
	form.Set("status:"+string(f.group[0].ID), "present")
	rec = c.post("/attendance", form)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Not a date")

	form = f.lessonForm()
	form.Set("status:"+string(f.group[0].ID), "present")
	form.Set("status:"+string(f.group[1].ID), "truant")
	form.Set("status:"+string(f.group[2].ID), "absent_explained")
	rec = c.post("/attendance", form)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	text = checkPage(t, rec)
	body := rec.Body.String()
	assert.Contains(t, text, "Oppilas Ryhmäläinen01 No mark Oppilas Ryhmäläinen01 Present Late Unexplained absence Explained absence Absent through illness Reason explained")
	assert.Contains(t, body, `<strong class="error" id="e-row-1">Unknown mark: choose one of the options.</strong>`)
	assert.Contains(t, body, `<strong class="error" id="e-row-2">An explained absence needs a reason.</strong>`)
	assert.Contains(t, body, `<fieldset class="marks" aria-describedby="e-row-1">`)
	assert.Contains(t, body, `name="status:`+string(f.group[2].ID)+`" value="absent_explained" checked`, "the choice posted is kept")
	for _, cs := range f.group[:3] {
		assert.Empty(t, f.marks(t, tutorA, cs.ID), "nothing is recorded")
	}
}

// A teacher on none of the students' teams still marks the group (the
// policy lets teaching staff record for any student of their
// organisation): the grid lists the students by name, but their current
// marks and history, which the policy does not let this teacher read, are
// not shown; a changed row is recorded as a correction all the same.
func TestAttendanceGridTeacherOffTheTeam(t *testing.T) {
	f := newGridFixture(t)
	_, err := f.env.Attendance.Record(context.Background(), tutorA, []attendance.MarkInput{{CaseID: f.group[0].ID, Date: f.today,
		Lesson: "1", Minutes: 45, Status: attendance.Unexplained}})
	require.NoError(t, err)
	c := f.signIn(t, "substitute-a")
	rec := c.get("/attendance?" + f.lessonForm().Encode())
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text := checkPage(t, rec)
	assert.Contains(t, text, "Oppilas Ryhmäläinen00 Not shown to you")
	assert.Equal(t, 30, strings.Count(text, "Not shown to you"))
	assert.NotContains(t, rec.Body.String(), " checked")
	assert.NotContains(t, rec.Body.String(), "/attendance/history")

	form := f.lessonForm()
	form.Set("status:"+string(f.group[0].ID), "present")
	form.Set("was:"+string(f.group[0].ID), "|")
	rec = c.post("/attendance", form)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text = checkPage(t, rec)
	assert.Contains(t, text, "Oppilas Ryhmäläinen00 Not shown to you Present Correction")
	ms := f.marks(t, tutorA, f.group[0].ID)
	require.Len(t, ms, 1)
	assert.Equal(t, attendance.Present, ms[0].Status)
	assert.Equal(t, substituteA.ID, ms[0].By)

	rec = c.get("/attendance/history?" + url.Values{"case": {string(f.group[0].ID)}, "date": {f.today.String()}, "lesson": {"1"}}.Encode())
	assert.Equal(t, http.StatusForbidden, rec.Code)
	checkPage(t, rec)
}

// Not signed in, the grid sends the person to sign in and back; a POST
// from another site is refused before anything is recorded.
func TestAttendanceGridSignInAndCrossOrigin(t *testing.T) {
	f := newGridFixture(t)
	c := &client{t: t, h: f.h}
	rec := c.get("/attendance?group=TVO25A")
	require.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/login?return="+url.QueryEscape("/attendance?group=TVO25A"), rec.Header().Get("Location"))

	c = f.signIn(t, "teacher-a")
	form := f.lessonForm()
	form.Set("status:"+string(f.group[0].ID), "absent_unexplained")
	req := httptest.NewRequest(http.MethodPost, "/attendance", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec = c.do(req)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	checkPage(t, rec)
	assert.Empty(t, f.marks(t, tutorA, f.group[0].ID))
}

// The history of a mark is a staff tool: a guardian or a student gets the
// 403 page (it shows sickness, which the family page counts as
// explained). Staff see who marked by the team's name and role, or as
// another staff member: never an actor id.
func TestAttendanceHistoryStaffOnlyAndNoIDs(t *testing.T) {
	f := newFamilyFixture(t)
	ctx := context.Background()
	id := f.cases["Virtanen"].ID
	today := coaching.DateOf(f.env.Clock.Now())
	teacher := coaching.Actor{ID: "010203A123X", Name: "Opettaja", Organisation: orgA, Roles: []coaching.Role{coaching.RoleTeacher}}
	_, err := f.env.Attendance.Record(ctx, teacher, []attendance.MarkInput{{CaseID: id, Date: today, Lesson: "1", Minutes: 45, Status: attendance.Sick}})
	require.NoError(t, err)
	path := "/attendance/history?" + url.Values{"case": {string(id)}, "date": {today.String()}, "lesson": {"1"}}.Encode()
	for who, c := range map[string]string{"guardian-v": "Virtanen", "student-berg": "Berg"} {
		p := "/attendance/history?" + url.Values{"case": {string(f.cases[c].ID)}, "date": {today.String()}, "lesson": {"1"}}.Encode()
		rec := f.client(t, who).get(p)
		assert.Equal(t, http.StatusForbidden, rec.Code, who)
		assert.NotContains(t, rec.Body.String(), "010203A123X")
	}
	rec := f.client(t, "tutor-a").get(path)
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.NotContains(t, text, "010203A123X", "a staff member's actor id")
	assert.Contains(t, text, "Toinen henkilöstön jäsen")
	assert.Contains(t, text, "Tiina Tutor", "the viewer by their name")
}
