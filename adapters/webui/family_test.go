package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// Words that must never reach a family's page: a welfare record's and its
// notice's, and the family's own words about an illness (for the decider).
const (
	welfareSecret  = "Kuraattorin muistio: perhetilanne"
	sicknessDetail = "kuume 39 astetta"
)

// familyFixture is a minor (Virtanen, whose guardian is guardianV) with
// three lessons of today marked unexplained and a welfare record, another
// minor (Aho, guardianA's), and an adult student (Berg) who signs in as
// herself; all of organisation A with tutorA as personal tutor.
type familyFixture struct {
	env   *ct.Env
	h     http.Handler
	abs   *absence.Service
	cases map[string]coaching.Case
}

func newFamilyFixture(t *testing.T) *familyFixture {
	t.Helper()
	docs := append(absence.Documents(), hoks.Documents()...)
	env := ct.New(t, &ct.Options{Engine: coaching.Options{Documents: docs}, Attendance: &attendance.Options{Excuses: absence.Excuses()}})
	ctx := context.Background()
	f := &familyFixture{env: env, cases: map[string]coaching.Case{}}
	curator := coaching.Actor{ID: "curator-a", Name: "Kaisa Kuraattori", Organisation: orgA, Roles: []coaching.Role{coaching.RoleCurator}}
	enrol := func(family, guardian, signOn string, minor bool) {
		var p coaching.Participant
		if minor {
			p = ct.Minor(coaching.NewDate(2028, 5, 1), func(p *coaching.Participant) {
				p.Guardians = []coaching.Guardian{{ID: guardian, Name: "Huoltaja " + family, Language: coaching.Finnish,
					Contact: coaching.Contact{Email: guardian + "@example.fi"}}}
			})
		} else {
			p = ct.Participant()
		}
		p.GivenNames, p.FamilyName, p.Organisation, p.SignOn = "Testi", family, orgA, signOn
		c, err := env.Engine.Enrol(ctx, headA, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
			Team: []coaching.TeamMember{ct.TeamMember(tutorA, coaching.RolePersonalTutor), ct.TeamMember(curator, coaching.RoleCurator)}})
		require.NoError(t, err)
		f.cases[family] = c
	}
	enrol("Virtanen", "guardian-v", "", true)
	enrol("Aho", "guardian-a", "", true)
	enrol("Berg", "", "student-berg", false)
	today := coaching.DateOf(env.Clock.Now())
	var marks []attendance.MarkInput
	for i := 1; i <= 3; i++ {
		marks = append(marks, attendance.MarkInput{CaseID: f.cases["Virtanen"].ID, Date: today, Lesson: fmt.Sprint(i),
			Title: fmt.Sprintf("Matematiikka %d", i), Minutes: 45, Status: attendance.Unexplained})
	}
	_, err := env.Attendance.Record(ctx, tutorA, marks)
	require.NoError(t, err)
	// A welfare record with a notice to the guardian: neither is theirs
	// to see.
	_, err = env.Engine.ChangeCase(ctx, curator, coaching.OpChangeCase, f.cases["Virtanen"].ID, func(ch *coaching.CaseChange) error {
		data, _ := json.Marshal(map[string]string{"note": welfareSecret})
		_, err := ch.SaveDocument(coaching.DocumentChange{Kind: "welfare_note", Data: data, Notices: []coaching.Notice{{
			ID: "welfare-note-guardian", Kind: "welfare_note", Subject: welfareSecret, Body: welfareSecret,
			Recipient: coaching.Recipient{ID: "guardian-v", Role: coaching.RoleGuardian, Contact: coaching.Contact{Email: "guardian-v@example.fi"}},
		}}})
		return err
	})
	require.NoError(t, err)
	f.abs, err = absence.New(env.Engine, env.Attendance, nil)
	require.NoError(t, err)
	guardian := func(id string, family string) coaching.Actor {
		return coaching.Actor{ID: id, Name: "Huoltaja " + family, Organisation: orgA, Roles: []coaching.Role{coaching.RoleGuardian},
			Relations: []coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: f.cases[family].ParticipantID}}}
	}
	login, err := webui.NewDevLogin([]webui.DevIdentity{
		{Key: "guardian-v", Label: "Huoltaja Virtanen", Actor: guardian("guardian-v", "Virtanen")},
		{Key: "guardian-a", Label: "Huoltaja Aho", Actor: guardian("guardian-a", "Aho")},
		{Key: "student-berg", Label: "Testi Berg", Actor: coaching.Actor{ID: "student-berg", Name: "Testi Berg", Organisation: orgA,
			Roles: []coaching.Role{coaching.RoleStudent}}},
		{Key: "tutor-a", Label: "Tiina Tutor", Actor: tutorA},
	})
	require.NoError(t, err)
	f.h, err = webui.New(env.Engine, &webui.Options{SessionKey: sessionKey, Login: login, Attendance: env.Attendance, Absence: f.abs})
	require.NoError(t, err)
	return f
}

func (f *familyFixture) client(t *testing.T, key string) *client {
	c := &client{t: t, h: f.h}
	c.signIn("", key, "fi")
	return c
}

// A guardian lands on their own page: their child's case with the notice
// of today's absences, the unexplained lessons of the day and a link to
// explain them; the page of the case has the form, prefilled.
func TestFamilyGuardianSeesChild(t *testing.T) {
	f := newFamilyFixture(t)
	// The guardians' digest of the day is due in the afternoon.
	f.env.Clock.Advance(8 * time.Hour)
	// A draft HOKS: its summary (status, progress) is the guardian's to see.
	b, err := os.ReadFile("../../hoks/testdata/valid_plan.json")
	require.NoError(t, err)
	plan, err := hoks.Decode(b, nil)
	require.NoError(t, err)
	plan.FirstApproved = coaching.Date{}
	svc, err := hoks.NewService(f.env.Engine)
	require.NoError(t, err)
	_, err = svc.SaveDraft(context.Background(), tutorA, f.cases["Virtanen"].ID, 0, plan)
	require.NoError(t, err)
	c := f.client(t, "guardian-v")
	rec := c.get("/")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text := checkPage(t, rec)
	assert.Contains(t, text, "Oma sivu")
	assert.Contains(t, text, "HOKS-yhteenveto Tila luonnos")
	assert.Contains(t, text, "Viestit sinulle")
	assert.Contains(t, text, "oli selvittämättä poissa", "the guardians' absence digest")
	assert.Contains(t, text, "Matematiikka 1")
	assert.Contains(t, text, "Selvitä poissaolo")
	assert.NotContains(t, text, "Oma työlista", "a family has no caseload")
	assert.NotContains(t, rec.Body.String(), string(f.cases["Aho"].ID), "another child's case is not listed")
	assertNothingSecret(t, rec.Body.String())

	virtanen := string(f.cases["Virtanen"].ID)
	today := coaching.DateOf(f.env.Clock.Now())
	assert.Contains(t, rec.Body.String(), `href="/family/`+virtanen+`?explain=`+today.String()+`#absence"`)
	rec = c.get("/family/" + virtanen + "?explain=" + today.String())
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Selvitä tai ilmoita poissaolo")
	assert.Contains(t, rec.Body.String(), `<option value="explanation" selected>`)
	assert.Contains(t, rec.Body.String(), `name="from" value="`+today.String()+`"`)
	assertNothingSecret(t, rec.Body.String())
}

// The guardian explains today's absences: the request is created and,
// once the personal tutor accepts it, the marks are explained; the page
// lists the request by kind, days and status, never the family's words.
func TestFamilyGuardianExplainsAbsence(t *testing.T) {
	f := newFamilyFixture(t)
	ctx := context.Background()
	c := f.client(t, "guardian-v")
	id := f.cases["Virtanen"].ID
	today := coaching.DateOf(f.env.Clock.Now())

	// Invalid first: no reason, a date that is not one.
	rec := c.post("/family/"+string(id)+"/absences", url.Values{"kind": {"explanation"}, "from": {"eilen"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Anna päivämäärä")
	assert.Contains(t, rec.Body.String(), `id="e-from"`)
	rec = c.post("/family/"+string(id)+"/absences", url.Values{"kind": {"explanation"}, "from": {today.String()}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Valitse syy")
	assert.Contains(t, rec.Body.String(), `id="e-reason"`)
	assert.Contains(t, rec.Body.String(), `aria-invalid="true"`)

	rec = c.post("/family/"+string(id)+"/absences", url.Values{"kind": {"explanation"}, "from": {today.String()},
		"reason": {"illness"}, "text": {sicknessDetail}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, "/family/"+string(id)+"?sent=explanation#requests", rec.Header().Get("Location"))
	reqs, err := f.abs.List(ctx, tutorA, id, absence.ListQuery{})
	require.NoError(t, err)
	require.Len(t, reqs, 1)
	assert.Equal(t, absence.Explanation, reqs[0].Kind)
	assert.Equal(t, "guardian-v", reqs[0].SubmittedBy)

	rec = c.get("/family/" + string(id) + "?sent=explanation")
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Poissaolon selvitys lähetettiin.")
	assert.Contains(t, text, "Poissaolon selvitys "+fmt.Sprintf("%d.%d.%d", today.Day, int(today.Month), today.Year)+": odottaa päätöstä")
	assertNothingSecret(t, rec.Body.String())

	_, err = f.abs.Decide(ctx, tutorA, id, reqs[0].ID, absence.Decision{Version: reqs[0].Version, Accept: true})
	require.NoError(t, err)
	marks, err := f.env.Attendance.Marks(ctx, tutorA, id, today, today)
	require.NoError(t, err)
	for _, m := range marks {
		assert.Equal(t, attendance.Sick, m.Status, "the explanation excused lesson %s", m.Lesson)
	}
	rec = c.get("/family/" + string(id))
	text = checkPage(t, rec)
	assert.Contains(t, text, "hyväksytty")
	assert.NotContains(t, text, "Selvitä poissaolo", "nothing is left to explain")
	day := fmt.Sprintf("%d.%d.%d", today.Day, int(today.Month), today.Year)
	assert.Contains(t, text, day+" 0 3", "three lessons explained, none unexplained: explained, not sick")
	assertNothingSecret(t, rec.Body.String())
}

// The guardian reports an absence to come and applies for leave.
func TestFamilyGuardianReportsAbsence(t *testing.T) {
	f := newFamilyFixture(t)
	c := f.client(t, "guardian-v")
	id := f.cases["Virtanen"].ID
	next := coaching.DateOf(f.env.Clock.Now()).AddDays(7) // a Monday
	rec := c.post("/family/"+string(id)+"/absences", url.Values{"kind": {"report"}, "from": {next.String()}, "reason": {"family"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	rec = c.post("/family/"+string(id)+"/absences", url.Values{"kind": {"leave"}, "from": {next.AddDays(14).String()},
		"to": {next.AddDays(15).String()}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, "a leave needs a reason in words")
	assert.Contains(t, checkPage(t, rec), "Kerro, miksi lomaa tarvitaan.")
	rec = c.post("/family/"+string(id)+"/absences", url.Values{"kind": {"leave"}, "from": {next.AddDays(14).String()},
		"to": {next.AddDays(15).String()}, "text": {"perheen matka"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	reqs, err := f.abs.List(context.Background(), tutorA, id, absence.ListQuery{})
	require.NoError(t, err)
	require.Len(t, reqs, 2)
	assert.Equal(t, absence.Leave, reqs[0].Kind)
	assert.Equal(t, absence.Report, reqs[1].Kind)
	rec = c.get("/family/" + string(id))
	text := checkPage(t, rec)
	assert.Contains(t, text, "Poissaoloilmoitus")
	assert.Contains(t, text, "Lomahakemus")
	assert.NotContains(t, text, "perheen matka", "the family's words are for the decider")
}

// A guardian of another student gets the 403 page for the first child's
// page and cannot submit a request for them; a cross-origin POST is
// refused before anything is read.
func TestFamilyOtherGuardianRefused(t *testing.T) {
	f := newFamilyFixture(t)
	c := f.client(t, "guardian-a")
	id := string(f.cases["Virtanen"].ID)
	rec := c.get("/family/" + id)
	require.Equal(t, http.StatusForbidden, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Ei käyttöoikeutta")
	assert.NotContains(t, text, "Matematiikka")
	today := coaching.DateOf(f.env.Clock.Now())
	rec = c.post("/family/"+id+"/absences", url.Values{"kind": {"explanation"}, "from": {today.String()}, "reason": {"other"}})
	require.Equal(t, http.StatusForbidden, rec.Code)
	checkPage(t, rec)

	v := f.client(t, "guardian-v")
	req, _ := http.NewRequest(http.MethodPost, "/family/"+id+"/absences",
		strings.NewReader(url.Values{"kind": {"explanation"}, "from": {today.String()}, "reason": {"other"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec = v.do(req)
	require.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, checkPage(t, rec), "toiselta sivustolta")
	reqs, err := f.abs.List(context.Background(), tutorA, f.cases["Virtanen"].ID, absence.ListQuery{})
	require.NoError(t, err)
	assert.Empty(t, reqs, "no request was created")
}

// A student signing in (the sign-on id on her participant record) sees
// her own page, in Swedish, with her name; she may explain or report
// absences herself (an adult).
func TestFamilyStudentSeesOwnPage(t *testing.T) {
	f := newFamilyFixture(t)
	c := &client{t: t, h: f.h}
	c.signIn("", "student-berg", "sv")
	rec := c.get("/")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text := checkPage(t, rec)
	assert.Contains(t, text, "Min sida")
	assert.Contains(t, text, "Testi Berg")
	assert.NotContains(t, rec.Body.String(), string(f.cases["Virtanen"].ID))
	rec = c.get("/family/" + string(f.cases["Berg"].ID))
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Förklara eller anmäl frånvaro")
	assert.Contains(t, text, "Ingen frånvaro")
	rec = c.get("/family/" + string(f.cases["Virtanen"].ID))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	checkPage(t, rec)
}

// Staff still land on their caseload.
func TestFamilyStaffKeepCaseload(t *testing.T) {
	f := newFamilyFixture(t)
	c := f.client(t, "tutor-a")
	rec := c.get("/")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Oma työlista")
}

func assertNothingSecret(t *testing.T, body string) {
	t.Helper()
	assert.NotContains(t, body, welfareSecret)
	assert.NotContains(t, body, sicknessDetail)
	assert.NotContains(t, body, "Kuraattori")
}

// A form resent with its key but edited (a retry after a timeout with the
// text changed) is refused by the service naming key; the page shown
// again says the form was sent already and offers a fresh key, with
// which the corrected form goes through.
func TestFamilyAbsenceResentEditedGetsFreshKey(t *testing.T) {
	f := newFamilyFixture(t)
	c := f.client(t, "guardian-v")
	id := string(f.cases["Virtanen"].ID)
	today := coaching.DateOf(f.env.Clock.Now())
	const spent = "KEYKEYKEYKEYKEYKEYKEYKEYKE"
	form := url.Values{"kind": {"explanation"}, "from": {today.String()}, "reason": {"family"}, "key": {spent}}
	rec := c.post("/family/"+id+"/absences", form)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	form.Set("text", "edited after the first send")
	rec = c.post("/family/"+id+"/absences", form)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.NotContains(t, rec.Body.String(), `value="`+spent+`"`, "the refused form keeps its spent key: every resend fails the same way")
	assert.Contains(t, checkPage(t, rec), "Tämä lomake oli jo lähetetty")
	assert.Contains(t, rec.Body.String(), "edited after the first send")
	form.Set("key", actionKey(t, rec.Body.String(), "/family/"+id+"/absences"))
	form.Set("from", today.AddDays(1).String())
	form.Set("kind", "report")
	rec = c.post("/family/"+id+"/absences", form)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
}

// The language switch on a page shown for a refused POST returns to the
// form's page, not to the POST's path (which has no GET); so does the
// sign-in of someone whose session expired while they were writing.
func TestReturnPathOfARefusedPost(t *testing.T) {
	f := newFamilyFixture(t)
	c := f.client(t, "guardian-v")
	id := string(f.cases["Virtanen"].ID)
	rec := c.post("/family/"+id+"/absences", url.Values{"kind": {"explanation"}, "from": {"eilen"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, rec.Body.String(), `name="return" value="/family/`+id+`"`)
	rec = c.post("/language", url.Values{"lang": {"sv"}, "return": {"/family/" + id}})
	require.Equal(t, http.StatusSeeOther, rec.Code)
	loc := rec.Header().Get("Location")
	assert.Equal(t, http.StatusOK, c.get(loc).Code, "GET %s after the language switch", loc)

	anon := &client{t: t, h: f.h}
	rec = anon.post("/family/"+id+"/absences", url.Values{"kind": {"explanation"}})
	require.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/login?return="+url.QueryEscape("/family/"+id), rec.Header().Get("Location"))
}
