package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	coachsession "github.com/valmennus/valmennus/coaching/session"
)

// formKey is the hidden idempotency key of the form on a work page.
var formKey = regexp.MustCompile(`name="key" value="([^"]+)"`)

func keyOf(t *testing.T, body string) string {
	t.Helper()
	m := formKey.FindStringSubmatch(body)
	require.NotNil(t, m, "the form's key")
	return m[1]
}

// caseworkClient signs key in (in English) on the family fixture: Virtanen
// and Aho with tutorA and a curator on their teams, a guardian of each
// and an adult student.
func caseworkClient(t *testing.T, f *familyFixture, key string) *client {
	t.Helper()
	c := &client{t: t, h: f.h}
	c.signIn("", key, "en")
	return c
}

func (f *familyFixture) sessions(t *testing.T, id coaching.CaseID) []coachsession.Session {
	t.Helper()
	svc, err := coachsession.New(f.env.Engine)
	require.NoError(t, err)
	list, err := svc.List(context.Background(), tutorA, coachsession.Query{CaseID: id})
	require.NoError(t, err)
	return list
}

// The personal tutor opens the session form from the case page, records
// a session with the curator present, an element and the hours with a
// decimal comma, and is back on the case page with a confirmation and the
// session listed. The same form sent again records nothing; sent again
// with other hours it is the form again (422) saying it was sent, with a
// new key; a decimal point is read as well.
func TestCaseworkRecordsASessionOnce(t *testing.T) {
	f := newFamilyFixture(t)
	id := f.cases["Virtanen"].ID
	c := caseworkClient(t, f, "tutor-a")
	casePath := "/cases/" + string(id)
	page := c.get(casePath)
	require.Equal(t, http.StatusOK, page.Code)
	formPath := casePath + "/sessions/new"
	assert.Contains(t, page.Body.String(), `href="`+formPath+`"`, "the sessions section links the form")
	assert.Contains(t, page.Body.String(), `href="`+casePath+`/planned/new"`)
	assert.Contains(t, page.Body.String(), `href="`+casePath+`/contacts/new"`)

	rec := c.get(formPath)
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Record a coaching session")
	assert.Contains(t, text, "You: Tiina Tutor (Personal tutor)", "the signed-in person is always present")
	assert.Contains(t, rec.Body.String(), `value="curator:curator-a"`, "the team's curator may be ticked present")
	assert.Contains(t, text, "emotional connection", "the approach elements by their catalogue labels")
	assert.Contains(t, text, "Student-welfare notes never go here.")
	assert.NotContains(t, rec.Body.String(), `value="outreach"`, "outreach is welfare staff's")
	key := keyOf(t, rec.Body.String())
	today := coaching.DateOf(f.env.Clock.Now()).String()

	form := url.Values{"key": {key}, "kind": {"individual"}, "date": {today}, "hours": {"1,5"},
		"staff": {"curator:curator-a"}, "elements": {"trust", "presence"}, "topic": {"Study skills"}, "peer_support": {"Two students\r\ncompared notes"}}
	rec = c.post(formPath, form)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, casePath+"?done=sessions", rec.Header().Get("Location"))
	rec = c.get(rec.Header().Get("Location"))
	text = checkPage(t, rec)
	assert.Contains(t, text, "The coaching session is recorded.")
	assert.Contains(t, text, "Study skills")
	list := f.sessions(t, id)
	require.Len(t, list, 1)
	assert.Equal(t, "1.5", list[0].Hours.String())
	assert.Equal(t, []coachsession.Staff{{ActorID: tutorA.ID, Role: coaching.RolePersonalTutor}, {ActorID: "curator-a", Role: coaching.RoleCurator}},
		list[0].Staff)
	assert.Equal(t, []coachsession.ApproachElement{coachsession.ElementTrust, coachsession.ElementPresence}, list[0].Elements)
	assert.Equal(t, "Two students\ncompared notes", list[0].PeerSupport, "a browser's CRLF is a line break")

	rec = c.post(formPath, form)
	require.Equal(t, http.StatusSeeOther, rec.Code, "the form sent again answers as the first")
	assert.Len(t, f.sessions(t, id), 1, "and records nothing")

	form.Set("hours", "2")
	rec = c.post(formPath, form)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "This form was sent before")
	assert.NotEqual(t, key, keyOf(t, rec.Body.String()), "a new key: sending it again records a new session")
	assert.Contains(t, rec.Body.String(), `value="2"`, "the values kept")
	assert.Len(t, f.sessions(t, id), 1)

	form.Set("key", keyOf(t, rec.Body.String()))
	form.Set("hours", "0.75")
	require.Equal(t, http.StatusSeeOther, c.post(formPath, form).Code, "a decimal point")
	assert.Len(t, f.sessions(t, id), 2)
}

// Two submissions of one form at once record one session.
func TestCaseworkDoubleSubmitAtOnce(t *testing.T) {
	f := newFamilyFixture(t)
	id := f.cases["Aho"].ID
	c := caseworkClient(t, f, "tutor-a")
	form := url.Values{"key": {"double-click"}, "kind": {"group"}, "date": {coaching.DateOf(f.env.Clock.Now()).String()},
		"hours": {"1"}, "topic": {"Planning the week"}}
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Go(func() {
			req := (&client{t: t, h: f.h, cookie: c.cookie})
			codes[i] = req.post("/cases/"+string(id)+"/sessions/new", form).Code
		})
	}
	wg.Wait()
	for _, code := range codes {
		assert.Equal(t, http.StatusSeeOther, code)
	}
	assert.Len(t, f.sessions(t, id), 1)
}

// A session form refused: each problem beside its control (aria-invalid,
// the message) and in the summary linking to it; nothing recorded.
func TestCaseworkSessionRefused(t *testing.T) {
	f := newFamilyFixture(t)
	id := f.cases["Virtanen"].ID
	c := caseworkClient(t, f, "tutor-a")
	path := "/cases/" + string(id) + "/sessions/new"
	today := coaching.DateOf(f.env.Clock.Now()).String()
	tomorrow := coaching.DateOf(f.env.Clock.Now()).AddDays(1).String()
	for _, tc := range []struct {
		name    string
		form    url.Values
		field   string
		message string
	}{
		{"no kind", url.Values{"date": {tomorrow}, "hours": {"1"}}, "kind", "This is required."},
		{"in the future", url.Values{"kind": {"individual"}, "date": {tomorrow}, "hours": {"1"}}, "date", "The day is in the future."},
		{"not a number", url.Values{"kind": {"individual"}, "date": {today}, "hours": {"1,5,5"}}, "hours", "Enter a number."},
		{"an exponent", url.Values{"kind": {"individual"}, "date": {today}, "hours": {"1e1"}}, "hours", "Enter a number."},
		{"three decimals", url.Values{"kind": {"individual"}, "date": {today}, "hours": {"1,125"}}, "hours", "at most two decimals"},
		{"no hours", url.Values{"kind": {"individual"}, "date": {today}, "hours": {"0"}}, "hours", "greater than zero"},
		{"too many", url.Values{"kind": {"individual"}, "date": {today}, "hours": {"25"}}, "hours", "at most 24"},
		{"not on the team", url.Values{"kind": {"individual"}, "date": {today}, "hours": {"1"}, "staff": {"coach:someone"}}, "staff", "Choose one of the options."},
		{"outreach by a tutor", url.Values{"kind": {"outreach"}, "date": {today}, "hours": {"1"}}, "staff", "welfare staff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("key", "k-"+tc.name)
			rec := c.post(path, tc.form)
			require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
			text := checkPage(t, rec)
			body := rec.Body.String()
			assert.Contains(t, text, "Please correct the following")
			assert.Contains(t, text, tc.message)
			if tc.field == "staff" {
				assert.Regexp(t, `<fieldset class="field checks field-invalid" id="g-staff"`, body)
			} else {
				assert.Regexp(t, `id="f-`+tc.field+`"[^>]*aria-invalid="true"`, body)
				assert.Contains(t, body, `href="#f-`+tc.field+`"`, "the summary links to the control")
			}
			assert.Equal(t, "k-"+tc.name, keyOf(t, body), "the key kept: nothing was recorded")
		})
	}
	assert.Empty(t, f.sessions(t, id))
}

// The tutor plans an item with a time and logs a contact with a guardian;
// each form sent twice saves once; the case page lists both with its
// confirmation, the note shown to staff.
func TestCaseworkPlansAndLogsOnce(t *testing.T) {
	f := newFamilyFixture(t)
	id := f.cases["Virtanen"].ID
	c := caseworkClient(t, f, "tutor-a")
	casePath := "/cases/" + string(id)
	today := coaching.DateOf(f.env.Clock.Now())

	rec := c.get(casePath + "/planned/new")
	require.Equal(t, http.StatusOK, rec.Code)
	checkPage(t, rec)
	plan := url.Values{"key": {keyOf(t, rec.Body.String())}, "kind": {"guardian_meeting"}, "title": {"Meeting on the study plan"},
		"on": {today.AddDays(2).String()}, "start": {"9.30"}}
	for range 2 {
		rec = c.post(casePath+"/planned/new", plan)
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
		assert.Equal(t, casePath+"?done=planned", rec.Header().Get("Location"))
	}
	cl, err := caseload.New(f.env.Engine, nil)
	require.NoError(t, err)
	items, err := cl.CaseItems(context.Background(), tutorA, id, caseload.CaseItemsQuery{})
	require.NoError(t, err)
	require.Len(t, items, 1, "planned once")
	assert.Equal(t, caseload.Owner{ActorID: tutorA.ID, Role: coaching.RolePersonalTutor}, items[0].Owner)
	assert.Equal(t, today.AddDays(2).At(9, 30), items[0].Start)
	text := checkPage(t, c.get(casePath+"?done=planned"))
	assert.Contains(t, text, "The item is planned.")
	assert.Contains(t, text, "Meeting on the study plan")

	plan.Set("title", "Another meeting")
	rec = c.post(casePath+"/planned/new", plan)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, "the same form with another title")
	assert.Contains(t, checkPage(t, rec), "This form was sent before")

	rec = c.get(casePath + "/contacts/new")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, checkPage(t, rec), "the student and guardians see the contact's date and kind, not the note")
	contact := url.Values{"key": {keyOf(t, rec.Body.String())}, "kind": {"phone"}, "on": {today.String()}, "with_guardian": {"1"},
		"note": {"Agreed on the next meeting"}}
	for range 2 {
		rec = c.post(casePath+"/contacts/new", contact)
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	}
	cs, err := cl.Contacts(context.Background(), tutorA, id, 0)
	require.NoError(t, err)
	require.Len(t, cs, 1, "logged once")
	assert.True(t, cs[0].WithGuardian)
	assert.Equal(t, "Agreed on the next meeting", cs[0].Note)
	text = checkPage(t, c.get(casePath+"?done=contacts"))
	assert.Contains(t, text, "The contact is logged.")
	assert.Contains(t, text, "Agreed on")

	rec = c.post(casePath+"/contacts/new", url.Values{"key": {"k2"}, "kind": {"phone"}, "on": {today.AddDays(1).String()}, "note": {strings.Repeat("x", 501)}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "The day is in the future.")
	assert.Contains(t, text, "The text is too long.")
}

// The forms are staff's: a guardian and a student get the 403 page (and
// no link); another organisation's staff the 404 page; a tutor of the
// organisation on no team of the case may not plan or log on it (403),
// nor the head of studies plan an item they would not be on the team to
// own — and the case page offers no link to what is refused.
func TestCaseworkRefusals(t *testing.T) {
	f := newFamilyFixture(t)
	id := f.cases["Virtanen"].ID
	for _, key := range []string{"guardian-v", "student-berg"} {
		c := caseworkClient(t, f, key)
		if rec := c.get("/cases/" + string(id)); rec.Code == http.StatusOK {
			assert.NotContains(t, rec.Body.String(), "/new\"", "%s: no work form offered on the case page", key)
		}
		for _, work := range []string{"sessions", "planned", "contacts"} {
			path := "/cases/" + string(id) + "/" + work + "/new"
			if key == "student-berg" {
				path = "/cases/" + string(f.cases["Berg"].ID) + "/" + work + "/new"
			}
			assert.Equal(t, http.StatusForbidden, c.get(path).Code, "%s %s", key, path)
			rec := c.post(path, url.Values{"key": {"k"}, "kind": {"phone"}, "hours": {"1"}})
			assert.Equal(t, http.StatusForbidden, rec.Code, "%s %s", key, path)
			checkPage(t, rec)
		}
	}
	assert.Empty(t, f.sessions(t, id))

	g := newFixture(t, "")
	b := g.client(t)
	b.signIn("", "tutor-b", "en")
	for _, work := range []string{"sessions", "planned", "contacts"} {
		path := "/cases/" + string(g.cases["Aho"].ID) + "/" + work + "/new"
		assert.Equal(t, http.StatusNotFound, b.get(path).Code, "another organisation's case")
		assert.Equal(t, http.StatusNotFound, b.post(path, url.Values{"key": {"k"}}).Code)
	}
	h := g.client(t)
	h.signIn("", "head-a", "en")
	rec := h.get("/cases/" + string(g.cases["Aho"].ID))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.NotContains(t, rec.Body.String(), "/planned/new", "the head of studies is on no team of the case: no item of theirs to plan")
	assert.Equal(t, http.StatusForbidden, h.get("/cases/"+string(g.cases["Aho"].ID)+"/planned/new").Code)
	o := g.client(t)
	o.signIn("", "other-a", "en")
	for _, work := range []string{"planned", "contacts"} {
		path := "/cases/" + string(g.cases["Aho"].ID) + "/" + work + "/new"
		assert.Equal(t, http.StatusForbidden, o.get(path).Code, "%s: not on the case's team", work)
	}

	// A cross-origin POST is refused before anything is read.
	c := caseworkClient(t, f, "tutor-a")
	req, err := http.NewRequest(http.MethodPost, "/cases/"+string(id)+"/contacts/new", strings.NewReader("kind=phone"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, c.do(req).Code)
}
