package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

var (
	// coachA is the coach on Kivi's team beside tutorA.
	coachA = coaching.Actor{ID: "coach-a", Name: "Kaisa Coach", Organisation: orgA, Roles: []coaching.Role{coaching.RoleCoach}}
	// guardianA is a guardian of organisation A.
	guardianA = coaching.Actor{ID: "guardian-a", Name: "Greta Guardian", Organisation: orgA, Roles: []coaching.Role{coaching.RoleGuardian}}
)

// workFixture is newFixture's engine (its clock on Monday 2026-08-10)
// with a fourth student of tutorA's, Kivi, whose team also has coachA,
// and the interface signing in every actor of the tests; teacherA
// (attendance_test.go) is on no team here.
type workFixture struct {
	*fixture
	cl *caseload.Service
}

func newWorkFixture(t *testing.T) *workFixture {
	t.Helper()
	f := newFixture(t, "")
	p := ct.Participant(func(p *coaching.Participant) { p.GivenNames, p.FamilyName, p.Organisation = "Testi", "Kivi", orgA })
	c, err := f.env.Engine.Enrol(context.Background(), headA, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
		Team: []coaching.TeamMember{ct.TeamMember(tutorA, coaching.RolePersonalTutor), ct.TeamMember(coachA, coaching.RoleCoach)}})
	require.NoError(t, err)
	f.cases["Kivi"] = c
	cl, err := caseload.New(f.env.Engine, nil)
	require.NoError(t, err)
	var ids []webui.DevIdentity
	for _, a := range []coaching.Actor{tutorA, tutorB, otherA, headA, teacherA, coachA, guardianA} {
		ids = append(ids, webui.DevIdentity{Key: a.ID, Label: a.Name, Actor: a})
	}
	login, err := webui.NewDevLogin(ids)
	require.NoError(t, err)
	f.h, err = webui.New(f.env.Engine, &webui.Options{SessionKey: sessionKey, Login: login, Caseload: cl})
	require.NoError(t, err)
	return &workFixture{fixture: f, cl: cl}
}

// raise raises a manual alert on the family's case for owner.
func (f *workFixture) raise(t *testing.T, by coaching.Actor, family, title string, owner coaching.Actor, role coaching.Role) caseload.Alert {
	t.Helper()
	a, added, err := f.cl.Raise(context.Background(), by, f.cases[family].ID, caseload.AlertInput{Title: title,
		Owner: caseload.Owner{ActorID: owner.ID, Role: role}})
	require.NoError(t, err)
	require.True(t, added)
	return a
}

func (f *workFixture) signedIn(t *testing.T, a coaching.Actor, lang string) *client {
	t.Helper()
	c := f.client(t)
	c.signIn("", a.ID, lang)
	return c
}

// fieldError returns the text beside the control id (its "-e"
// paragraph), or "".
func fieldError(body, id string) string {
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(id) + `-e">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestAlertsPage: the tutor's alerts (MyAlerts) with the case, cause,
// due date, status and owner; acknowledge, dismiss, resolve and reassign
// as form POSTs carrying the version, with a missing reason or action
// beside its field (422), a stale version the fresh page (409) and the
// closed alerts behind the status filter.
func TestAlertsPage(t *testing.T) {
	f := newWorkFixture(t)
	call := f.raise(t, headA, "Aho", "Call home", tutorA, coaching.RolePersonalTutor)
	books := f.raise(t, headA, "Böök", "Books missing", tutorA, coaching.RolePersonalTutor)
	plan := f.raise(t, coachA, "Kivi", "Plan the spring", tutorA, coaching.RolePersonalTutor)
	f.raise(t, headA, "Kivi", "Not the tutor's", coachA, coaching.RoleCoach)

	c := f.signedIn(t, tutorA, "en")
	rec := c.get("/alerts")
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	body := rec.Body.String()
	for _, s := range []string{"Call home", "Books missing", "Plan the spring", "Testi Aho", "Testi Böök", "Alert raised by hand",
		"Tiina Tutor (Personal tutor)", "open", "2026-08-17", "2026-08-10, Kaisa Coach (Coach)"} {
		assert.Contains(t, text, s)
	}
	assert.NotContains(t, text, "Not the tutor's", "another's alert is not in my alerts")
	assert.Contains(t, body, `href="/cases/`+string(f.cases["Aho"].ID)+`"`)
	assert.Contains(t, body, `href="/alerts"`, "the menu links to the alerts")
	assert.Contains(t, body, `href="/week"`, "and to the week's plan")
	assert.NotContains(t, body, `id="f-scope"`, "a tutor is offered no organisation scope")

	// Acknowledge, then the same form again: the alert moved on (409).
	ack := url.Values{"version": {"1"}, "scope": {"mine"}}
	rec = c.post("/alerts/"+call.ID+"/acknowledge", ack)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, "/alerts?done=acknowledge&scope=mine&status=active", rec.Header().Get("Location"))
	rec = c.get(rec.Header().Get("Location"))
	text = checkPage(t, rec)
	assert.Contains(t, text, "The alert is acknowledged.")
	assert.Contains(t, text, "acknowledged")
	rec = c.post("/alerts/"+call.ID+"/acknowledge", ack)
	require.Equal(t, http.StatusConflict, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Someone else changed this meanwhile")

	// Dismissing needs a reason: the page again, the error beside it.
	rec = c.post("/alerts/"+call.ID+"/dismiss", url.Values{"version": {"2"}, "reason": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	body = rec.Body.String()
	n := regexp.MustCompile(`id="(a\d+)-reason"[^>]*aria-invalid="true"`).FindStringSubmatch(body)
	require.NotNil(t, n, "the reason field marked invalid")
	assert.Equal(t, "This is required.", fieldError(body, n[1]+"-reason"))
	assert.Contains(t, body, `href="#`+n[1]+`-reason"`, "the summary links to the field")
	rec = c.post("/alerts/"+call.ID+"/dismiss", url.Values{"version": {"2"}, "reason": {"Reached the family by phone"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())

	// Resolving needs what was done.
	rec = c.post("/alerts/"+books.ID+"/resolve", url.Values{"version": {"1"}, "action_note": {"lent from the library"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	body = rec.Body.String()
	n = regexp.MustCompile(`id="(a\d+)-action-kind"[^>]*aria-invalid="true"`).FindStringSubmatch(body)
	require.NotNil(t, n)
	assert.NotEmpty(t, fieldError(body, n[1]+"-action-kind"))
	assert.Contains(t, body, `value="lent from the library"`, "the note is kept")
	rec = c.post("/alerts/"+books.ID+"/resolve", url.Values{"version": {"1"}, "action_kind": {"note"}, "action_note": {"lent from the library"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())

	// Reassigning to the coach on Kivi's team; nobody else is offered.
	rec = c.get("/alerts")
	body = rec.Body.String()
	assert.Equal(t, 1, strings.Count(body, `name="owner"`), "only Kivi's team has someone to reassign to")
	assert.Contains(t, body, `value="coach:coach-a"`)
	rec = c.post("/alerts/"+plan.ID+"/reassign", url.Values{"version": {"1"}, "owner": {"coach:nobody"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	rec = c.post("/alerts/"+plan.ID+"/reassign", url.Values{"version": {"1"}, "owner": {"coach:coach-a"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	rec = c.get("/alerts")
	text = checkPage(t, rec)
	assert.Contains(t, text, "No alerts match this filter.", "none of the tutor's is active any more")
	cc := f.signedIn(t, coachA, "en")
	assert.Contains(t, checkPage(t, cc.get("/alerts")), "Plan the spring", "the coach owns it now")

	// The closed ones, with the reason and the action taken.
	rec = c.get("/alerts?status=closed")
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Reached the family by phone")
	assert.Contains(t, text, "Other, see the note: lent from the library")
	assert.Contains(t, text, "dismissed")

	rec = c.get("/alerts?status=everything")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	checkPage(t, rec)
}

// TestAlertsPolicy: only staff who may change the alert's case act on it,
// as the caseload service decides. A teacher or a tutor on none of its
// teams gets the 403 page, a guardian the 403 page for the alerts at all,
// another organisation's alert (or none) is the 404 page; a version that
// is not one is the 400 page.
func TestAlertsPolicy(t *testing.T) {
	f := newWorkFixture(t)
	a := f.raise(t, headA, "Aho", "Call home", tutorA, coaching.RolePersonalTutor)
	b := f.raise(t, headB, "Berg", "Other college", tutorB, coaching.RolePersonalTutor)
	ack := url.Values{"version": {"1"}}
	for _, tc := range []struct {
		who    coaching.Actor
		alert  string
		status int
	}{
		{teacherA, a.ID, http.StatusForbidden},
		{otherA, a.ID, http.StatusForbidden},
		{guardianA, a.ID, http.StatusForbidden},
		{tutorB, a.ID, http.StatusNotFound},
		{tutorA, b.ID, http.StatusNotFound},
		{tutorA, "no-such-alert", http.StatusNotFound},
	} {
		c := f.signedIn(t, tc.who, "en")
		rec := c.post("/alerts/"+tc.alert+"/acknowledge", ack)
		assert.Equal(t, tc.status, rec.Code, "%s on %s", tc.who.ID, tc.alert)
		checkPage(t, rec)
	}
	got, err := f.cl.Alert(context.Background(), tutorA, a.ID)
	require.NoError(t, err)
	assert.Equal(t, caseload.AlertOpen, got.Status, "nobody acted on it")

	g := f.signedIn(t, guardianA, "en")
	rec := g.get("/alerts")
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.NotContains(t, checkPage(t, rec), "Call home")
	assert.NotContains(t, g.get("/").Body.String(), `href="/alerts"`, "no menu link for a family")

	c := f.signedIn(t, teacherA, "en")
	assert.Contains(t, checkPage(t, c.get("/alerts")), "No alerts match this filter.")
	tc := f.signedIn(t, tutorA, "en")
	assert.Equal(t, http.StatusBadRequest, tc.post("/alerts/"+a.ID+"/acknowledge", url.Values{"version": {"x"}}).Code)
	assert.Equal(t, http.StatusNotFound, tc.post("/alerts/"+a.ID+"/explode", ack).Code)
}

// TestAlertsOrganisation: a head of studies sees the organisation's active
// alerts by default (Alerts, not only the ones they own) and can switch to
// their own; another organisation's never.
func TestAlertsOrganisation(t *testing.T) {
	f := newWorkFixture(t)
	f.raise(t, tutorA, "Aho", "Call home", tutorA, coaching.RolePersonalTutor)
	f.raise(t, headB, "Berg", "Other college", tutorB, coaching.RolePersonalTutor)
	c := f.signedIn(t, headA, "fi")
	rec := c.get("/alerts")
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Call home")
	assert.Contains(t, text, "Koko organisaation hälytykset")
	assert.NotContains(t, text, "Other college")
	assert.Contains(t, rec.Body.String(), `<option value="org" selected>`)
	rec = c.get("/alerts?scope=mine")
	assert.Contains(t, checkPage(t, rec), "Ei hälytyksiä tällä rajauksella.")
	assert.Equal(t, http.StatusBadRequest, c.get("/alerts?scope=everyone").Code)
}

// plan plans an item of tutorA's dated days after the fixture's Monday.
func (f *workFixture) plan(t *testing.T, kind caseload.PlannedKind, title string, days, hour int, families ...string) caseload.Planned {
	t.Helper()
	it := caseload.Planned{Kind: kind, Title: title, On: coaching.DateOf(f.env.Clock.Now()).AddDays(days)}
	if hour > 0 {
		it.Start = it.On.At(hour, 30)
	}
	for _, fam := range families {
		it.Cases = append(it.Cases, f.cases[fam].ID)
	}
	p, err := f.cl.Plan(context.Background(), tutorA, it)
	require.NoError(t, err)
	return p
}

// TestWeekPage: the tutor's week from Monday to Sunday with each day's
// items (time, kind, title, the students' links) and links to the weeks
// around it; marking held (a session needs its hours), moving and
// cancelling (a reason required) as form POSTs, a stale version the fresh
// page (409).
func TestWeekPage(t *testing.T) {
	f := newWorkFixture(t)
	session := f.plan(t, caseload.PlanIndividualSession, "Absences talk", 0, 14, "Aho")
	task := f.plan(t, caseload.PlanTask, "Check the plan", 2, 0, "Böök")
	group := f.plan(t, caseload.PlanGroupSession, "Job skills", 4, 10, "Aho", "Böök", "Kivi")
	f.plan(t, caseload.PlanTask, "Next week's", 7, 0, "Aho")

	c := f.signedIn(t, tutorA, "fi")
	rec := c.get("/week")
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	for _, s := range []string{"Viikkosuunnitelma 10.8.2026–16.8.2026", "Maanantai 10.8.2026", "Sunnuntai 16.8.2026",
		"14.30 Absences talk", "Yksilövalmennus", "Check the plan", "Tehtävä", "10.30 Job skills", "Testi Kivi"} {
		assert.Contains(t, text, s)
	}
	assert.NotContains(t, text, "Next week's")
	body := rec.Body.String()
	assert.Contains(t, body, `href="/week?date=2026-08-03"`, "the previous week")
	assert.Contains(t, body, `href="/week?date=2026-08-17"`, "the next week")
	assert.Contains(t, body, `href="/cases/`+string(f.cases["Kivi"].ID)+`"`)
	assert.Equal(t, 2, strings.Count(body, `name="hours"`), "the hours are asked of the two sessions only")

	rec = c.get("/week?date=2026-08-19")
	text = checkPage(t, rec)
	assert.Contains(t, text, "Next week's")
	assert.Contains(t, text, "Kuluva viikko", "a link back to this week")
	rec = c.get("/week?date=19.8.2026")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Päivämäärä ei kelpaa")

	// Held: a session without its hours is refused beside the field.
	path := "/week/items/" + session.ID + "/"
	rec = c.post(path+"held", url.Values{"version": {"1"}, "week": {"2026-08-10"}, "on": {"2026-08-10"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	body = rec.Body.String()
	assert.Equal(t, "Anna nollaa suurempi luku.", fieldError(body, "p0-hours"), body)
	assert.Contains(t, body, `<details class="actions" open>`, "the item's actions are open")
	rec = c.post(path+"held", url.Values{"version": {"1"}, "week": {"2026-08-10"}, "on": {"2026-08-10"}, "hours": {"1,5"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, "/week?date=2026-08-10&done=held", rec.Header().Get("Location"))
	rec = c.get(rec.Header().Get("Location"))
	text = checkPage(t, rec)
	assert.Contains(t, text, "Merkitty pidetyksi.")
	assert.NotContains(t, text, "Absences talk", "a held item leaves the plan")
	contacts, err := f.cl.Contacts(context.Background(), tutorA, f.cases["Aho"].ID, 0)
	require.NoError(t, err)
	require.Len(t, contacts, 1, "holding it logged the contact")
	assert.Equal(t, caseload.ContactSession, contacts[0].Kind)
	rec = c.post(path+"held", url.Values{"version": {"1"}, "hours": {"1"}})
	assert.Equal(t, http.StatusConflict, rec.Code, "held already")
	assert.Contains(t, checkPage(t, rec), "Joku muu ehti muuttaa tätä")

	// Move: not into the past; then to next week.
	path = "/week/items/" + task.ID + "/"
	rec = c.post(path+"move", url.Values{"version": {"1"}, "week": {"2026-08-10"}, "move_on": {"2026-08-01"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	n := regexp.MustCompile(`id="(p\d+)-move_on"[^>]*aria-invalid="true"`).FindStringSubmatch(rec.Body.String())
	require.NotNil(t, n)
	assert.Equal(t, "Päivä on jo mennyt.", fieldError(rec.Body.String(), n[1]+"-move_on"))
	rec = c.post(path+"move", url.Values{"version": {"1"}, "week": {"2026-08-10"}, "move_on": {"2026-08-18"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.NotContains(t, checkPage(t, c.get("/week")), "Check the plan")
	assert.Contains(t, checkPage(t, c.get("/week?date=2026-08-18")), "Check the plan")

	// Cancel: the reason is required; a stale version is a conflict.
	path = "/week/items/" + group.ID + "/"
	rec = c.post(path+"cancel", url.Values{"version": {"1"}, "week": {"2026-08-10"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	n = regexp.MustCompile(`id="(p\d+)-reason"[^>]*aria-invalid="true"`).FindStringSubmatch(rec.Body.String())
	require.NotNil(t, n)
	assert.Equal(t, "Pakollinen tieto puuttuu.", fieldError(rec.Body.String(), n[1]+"-reason"))
	rec = c.post(path+"cancel", url.Values{"version": {"7"}, "week": {"2026-08-10"}, "reason": {"Trip"}})
	assert.Equal(t, http.StatusConflict, rec.Code)
	rec = c.post(path+"cancel", url.Values{"version": {"1"}, "week": {"2026-08-10"}, "reason": {"Trip"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Contains(t, checkPage(t, c.get("/week")), "Tälle viikolle ei ole suunniteltu mitään.")
}

// TestWeekPolicy: another's planned item cannot be acted on: the 403 page
// for staff of the organisation on none of its cases' teams, the 404 page
// for another organisation's staff; a family gets no week plan.
func TestWeekPolicy(t *testing.T) {
	f := newWorkFixture(t)
	p := f.plan(t, caseload.PlanTask, "Check the plan", 1, 0, "Aho")
	form := url.Values{"version": {"1"}, "reason": {"Not mine"}}
	for _, tc := range []struct {
		who    coaching.Actor
		status int
	}{{teacherA, http.StatusForbidden}, {otherA, http.StatusForbidden}, {guardianA, http.StatusForbidden}, {tutorB, http.StatusNotFound}} {
		c := f.signedIn(t, tc.who, "en")
		rec := c.post("/week/items/"+p.ID+"/cancel", form)
		assert.Equal(t, tc.status, rec.Code, tc.who.ID)
		checkPage(t, rec)
	}
	c := f.signedIn(t, tutorA, "en")
	assert.Equal(t, http.StatusNotFound, c.post("/week/items/no-such-item/cancel", form).Code)
	assert.Contains(t, checkPage(t, c.get("/week")), "Check the plan", "still planned")
	assert.Equal(t, http.StatusForbidden, f.signedIn(t, guardianA, "en").get("/week").Code)
	assert.NotContains(t, checkPage(t, f.signedIn(t, otherA, "en").get("/week")), "Check the plan", "only one's own plan")
}

// TestCaseloadOrganisation: a head of studies' start page is the
// organisation's caseload (List: the cases the policy lets them read,
// never another organisation's) with the count of open cases past their
// phase deadline linking to them; a tutor's scope=org lists only what the
// policy lets them read.
func TestCaseloadOrganisation(t *testing.T) {
	f := newWorkFixture(t)
	h := f.signedIn(t, headA, "en")
	rec := h.get("/")
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "The organisation's cases")
	assert.Equal(t, 4, strings.Count(rec.Body.String(), `<th scope="row">`), "organisation A's four cases")
	assert.NotContains(t, text, "Berg")
	assert.Contains(t, text, "No open case is past its phase deadline.")

	f.env.Clock.AdvanceDays(40) // the start of studies' month has passed
	h = f.signedIn(t, headA, "en")
	rec = h.get("/")
	text = checkPage(t, rec)
	assert.Contains(t, text, "Phase deadline passed: 4 cases")
	assert.Contains(t, rec.Body.String(), `href="/?overdue=1&amp;scope=org"`)
	rec = h.get("/?overdue=1&scope=org")
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Equal(t, 4, strings.Count(rec.Body.String(), `<tr class="overdue">`))
	assert.NotContains(t, text, "Phase deadline passed", "no count on the list of them")

	rec = h.get("/?scope=mine")
	text = checkPage(t, rec)
	assert.Contains(t, text, "My caseload")
	assert.Contains(t, text, "No open case is past its phase deadline.", "the head's own teams have none")
	assert.Equal(t, http.StatusBadRequest, h.get("/?scope=all").Code)

	c := f.signedIn(t, tutorA, "en")
	rec = c.get("/")
	text = checkPage(t, rec)
	assert.Contains(t, text, "Phase deadline passed: 4 cases", "a tutor's own overdue cases")
	assert.NotContains(t, rec.Body.String(), `id="f-scope"`)
	o := f.signedIn(t, otherA, "en")
	rec = o.get("/?scope=org")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, checkPage(t, rec), "No cases match this filter.", "no case the policy lets them read")
}

// TestAlertsWelfare: a welfare alert is on the alerts page of those the
// policy lets read the case's welfare information only (the curator on
// the team), never in the head of studies' organisation view; to anyone
// else it is as if it did not exist (404).
func TestAlertsWelfare(t *testing.T) {
	f := newWorkFixture(t)
	p := ct.Participant(func(p *coaching.Participant) { p.GivenNames, p.FamilyName, p.Organisation = "Testi", "Lind", orgA })
	c, err := f.env.Engine.Enrol(context.Background(), headA, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
		Team: []coaching.TeamMember{ct.TeamMember(tutorA, coaching.RolePersonalTutor), ct.TeamMember(curatorA, coaching.RoleCurator)}})
	require.NoError(t, err)
	w, _, err := f.cl.Raise(context.Background(), curatorA, c.ID, caseload.AlertInput{Title: "Welfare follow-up", Welfare: true,
		Owner: caseload.Owner{ActorID: curatorA.ID, Role: coaching.RoleCurator}})
	require.NoError(t, err)
	f.raise(t, headA, "Aho", "Call home", tutorA, coaching.RolePersonalTutor)

	var ids []webui.DevIdentity
	for _, a := range []coaching.Actor{tutorA, headA, curatorA} {
		ids = append(ids, webui.DevIdentity{Key: a.ID, Label: a.Name, Actor: a})
	}
	login, err := webui.NewDevLogin(ids)
	require.NoError(t, err)
	f.h, err = webui.New(f.env.Engine, &webui.Options{SessionKey: sessionKey, Login: login, Caseload: f.cl})
	require.NoError(t, err)

	cur := f.signedIn(t, curatorA, "en")
	assert.Contains(t, checkPage(t, cur.get("/alerts")), "Welfare follow-up")
	head := f.signedIn(t, headA, "en")
	text := checkPage(t, head.get("/alerts?scope=org"))
	assert.Contains(t, text, "Call home")
	assert.NotContains(t, text, "Welfare follow-up")
	tutor := f.signedIn(t, tutorA, "en")
	assert.Equal(t, http.StatusNotFound, tutor.post("/alerts/"+w.ID+"/acknowledge", url.Values{"version": {"1"}}).Code)
	assert.Equal(t, http.StatusNotFound, head.post("/alerts/"+w.ID+"/acknowledge", url.Values{"version": {"1"}}).Code)
}

// TestCaseloadHidesWelfarePlannedItem: the curator's planned item is
// welfare information (the case page's items hide it): the caseload row's
// next planned item is never it for the tutor or the head of studies, and
// is for the curator, whose own it is.
func TestCaseloadHidesWelfarePlannedItem(t *testing.T) {
	f := newCaseFixture(t)
	for _, who := range []string{"tutor-a", "teacher-a", "head-a"} {
		rec := f.client(t, who, "en").get("/?scope=mine")
		require.Equal(t, http.StatusOK, rec.Code)
		text := checkPage(t, rec)
		assert.NotContains(t, text, welfarePlanned, "%s sees the curator's planned item on the caseload", who)
	}
	rec := f.client(t, "tutor-a", "en").get("/?scope=mine")
	assert.Contains(t, checkPage(t, rec), "Follow-up meeting", "the tutor's next item is the next they may see")
	rec = f.client(t, "curator-a", "en").get("/?scope=mine")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, checkPage(t, rec), welfarePlanned, "the curator's own next item")
}

// TestHeldWelfareItemNotInContacts: once the curator has held their
// appointment, the teacher's contact log on the case page does not show
// it (who met the student, when, the note); the curator's does.
func TestHeldWelfareItemNotInContacts(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	cl, err := caseload.New(f.env.Engine, nil)
	require.NoError(t, err)
	today := coaching.DateOf(f.env.Clock.Now())
	p, err := cl.Plan(ctx, curatorA, caseload.Planned{Kind: caseload.PlanIndividualSession, Title: "Welfare talk", Cases: []coaching.CaseID{f.one.ID}, On: today})
	require.NoError(t, err)
	_, err = cl.Held(ctx, curatorA, p.ID, p.Version, caseload.HeldSession{Hours: decimal.RequireFromString("1"), Note: "Welfare note"})
	require.NoError(t, err)
	contacts := func(who string) string {
		rec := f.client(t, who, "en").get("/cases/" + string(f.one.ID))
		require.Equal(t, http.StatusOK, rec.Code)
		text := checkPage(t, rec)
		i := strings.Index(text, "Contacts")
		require.GreaterOrEqual(t, i, 0, "%s's page has the contacts", who)
		j := strings.Index(text[i:], "The case's team")
		require.Greater(t, j, 0, "the team follows the contacts")
		return text[i : i+j]
	}
	for _, who := range []string{"teacher-a", "tutor-a"} {
		log := contacts(who)
		assert.Contains(t, log, "Called the guardian", "%s sees the tutor's contact", who)
		assert.NotContains(t, log, "Kaisa", "%s sees the curator's held appointment", who)
		assert.NotContains(t, log, "Welfare note")
	}
	assert.Contains(t, contacts("curator-a"), "Welfare note", "the curator sees it")
}

// TestWeekWelfareItemNotActedOnByTutor: the curator's planned item is not
// the tutor's to cancel, move or mark held: the 404 page, as for an item
// that does not exist, and the item stays planned.
func TestWeekWelfareItemNotActedOnByTutor(t *testing.T) {
	f := newCaseFixture(t)
	cl, err := caseload.New(f.env.Engine, nil)
	require.NoError(t, err)
	items, err := cl.CaseItems(context.Background(), curatorA, f.one.ID, caseload.CaseItemsQuery{})
	require.NoError(t, err)
	i := slices.IndexFunc(items, func(p caseload.Planned) bool { return p.Title == welfarePlanned })
	require.GreaterOrEqual(t, i, 0)
	item := items[i]
	version := strconv.FormatInt(item.Version, 10)
	c := f.client(t, "tutor-a", "en")
	for action, form := range map[string]url.Values{
		"cancel": {"version": {version}, "reason": {"x"}},
		"move":   {"version": {version}, "move_on": {item.On.AddDays(1).String()}},
		"held":   {"version": {version}, "hours": {"1"}},
	} {
		rec := c.post("/week/items/"+item.ID+"/"+action, form)
		assert.Equal(t, http.StatusNotFound, rec.Code, action)
		assert.NotContains(t, checkPage(t, rec), welfarePlanned)
	}
	got, err := cl.PlannedItem(context.Background(), curatorA, item.ID)
	require.NoError(t, err)
	assert.Equal(t, caseload.PlannedOpen, got.Status)
	assert.Equal(t, item.Version, got.Version, "untouched")
	rec := f.client(t, "curator-a", "en").post("/week/items/"+item.ID+"/cancel", url.Values{"version": {version}, "reason": {"Moved to next term"}})
	assert.Equal(t, http.StatusSeeOther, rec.Code, "the curator cancels their own")
}

// TestWeekOutsideCalendar: a week reaching past the calendar's years
// 1–9999 (9999-12-31 is a Friday of a week ending in 10000) is a 400 with
// the error beside the date control and this week shown; the weeks at the
// calendar's ends have no link past them.
func TestWeekOutsideCalendar(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "tutor-a", "en")
	for _, d := range []string{"9999-12-31", "9999-12-27"} {
		rec := c.get("/week?date=" + d)
		require.Equal(t, http.StatusBadRequest, rec.Code, d)
		text := checkPage(t, rec)
		body := rec.Body.String()
		assert.Equal(t, "That week falls outside the calendar (years 1–9999); this week is shown.", fieldError(body, "w-date"), d)
		assert.Contains(t, body, `value="`+d+`"`, "the date as sent stays in its control")
		assert.Contains(t, text, "Week plan 2026-08-10–2026-08-16", "this week is shown")
	}
	rec := c.get("/week?date=9999-12-20")
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	checkPage(t, rec)
	assert.NotContains(t, body, `rel="next"`, "no next week past the calendar")
	assert.Contains(t, body, `href="/week?date=9999-12-13"`)
	rec = c.get("/week?date=0001-01-01") // a Monday
	require.Equal(t, http.StatusOK, rec.Code)
	checkPage(t, rec)
	assert.NotContains(t, rec.Body.String(), `rel="prev"`, "no week before the calendar's first")
	assert.Contains(t, rec.Body.String(), `href="/week?date=0001-01-08"`)
	rec = c.get("/week?date=2026-02-30")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "The date is not valid; this week is shown.", fieldError(rec.Body.String(), "w-date"))
}

// TestOddInputNever500: odd input across the pages is answered, never
// with a 500.
func TestOddInputNever500(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "head-a", "fi")
	v := string(f.cases["Virtanen"].ID)
	gets := []string{
		"/figures?from=0001-01-01&to=9999-12-31", "/figures?from=9999-12-31&to=9999-12-31", "/figures.csv?from=0001-01-01&to=0001-01-02",
		"/week?date=9999-12-27", "/week?date=0001-01-01", "/week?date=2026-02-30",
		"/?no_contact=99999999999999999999", "/?cursor=%00%ff", "/?group=%F0%9F%98%80", "/?scope=org&sort=zzz",
		"/alerts?after=%00&scope=org", "/alerts?status=closed&after=zzzz",
		"/attendance?group=A&date=0001-01-01", "/attendance?group=A&minutes=1e3",
		"/attendance/history?case=" + v + "&date=0001-01-01&lesson=%00",
		"/cases/" + v + "/hoks/diff?from=9223372036854775807&to=1",
		"/cases/%00", "/cases/" + v + "?fired=%00", "/family/" + v + "?explain=9999-12-31",
	}
	for _, p := range gets {
		rec := c.get(p)
		assert.Less(t, rec.Code, 500, "GET %s: %d", p, rec.Code)
	}
	posts := map[string]url.Values{
		"/attendance":                            {"group": {"A"}, "date": {"9999-12-31"}, "status:" + v: {"present"}},
		"/week/items/zz/held":                    {"version": {"1"}, "on": {"0001-01-01"}, "hours": {"1e9999"}},
		"/alerts/zz/resolve":                     {"version": {"99999999999999999999"}},
		"/cases/" + v + "/events/start_coaching": {"version": {"1"}, "payload.x": {"\x00"}},
	}
	for p, form := range posts {
		rec := c.post(p, form)
		assert.Less(t, rec.Code, 500, "POST %s: %d", p, rec.Code)
	}
}
