package webui_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// eventPath is the path of a case's event form.
func eventPath(id coaching.CaseID, event string) string {
	return "/cases/" + url.PathEscape(string(id)) + "/events/" + event
}

// A tutor opens the case page and sees the events they may fire now,
// opens one, posts a payload the engine refuses (422: each problem beside
// its control and in the summary, the values kept and escaped), then a
// valid one (303 to the case page, which confirms it; the case moved on
// and the audit trail shows the transition).
func TestFireEventThroughItsForm(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "tutor-a", "en")
	aho := f.cases["Aho"]

	rec := c.get("/cases/" + string(aho.ID))
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Record an event")
	for _, ev := range []string{"map_initial_situation", "redirect", "discontinue"} {
		assert.Contains(t, rec.Body.String(), `href="`+eventPath(aho.ID, ev)+`"`, ev)
	}
	assert.NotContains(t, rec.Body.String(), eventPath(aho.ID, "end_first_year"), "not from this state")
	assert.Contains(t, text, "Initial situation mapped")

	form := eventPath(aho.ID, "map_initial_situation")
	rec = c.get(form)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text = checkPage(t, rec)
	body := rec.Body.String()
	assert.Contains(t, text, "Literacy screening result")
	assert.Contains(t, body, `<select id="f-literacy_screening" name="payload.literacy_screening" required aria-required="true">`)
	assert.Contains(t, body, `<option value="support_need">Support need</option>`)
	assert.Contains(t, body, `<input type="date" id="f-initial_interview_date" name="payload.initial_interview_date" value="">`)
	assert.Contains(t, body, `<textarea id="f-support_needs" name="payload.support_needs"`)
	assert.Contains(t, body, `aria-describedby="h-support_needs"`, "the list's hint")
	assert.Contains(t, body, `<input type="hidden" name="version" value="`+strconv.FormatInt(aho.Version, 10)+`">`)
	assert.Contains(t, body, `<textarea id="f-reason" name="reason"`)
	assert.Regexp(t, `<input type="hidden" name="key" value="[A-Z2-7]{26}">`, body, "an idempotency key")

	hostile := `<script>alert("x")</script>`
	rec = c.post(form, url.Values{"version": {strconv.FormatInt(aho.Version, 10)},
		"payload.literacy_screening": {"bogus"}, "payload.support_needs": {hostile + "\nreading"},
		"payload.initial_interview_date": {"2026-01-02"}, "reason": {hostile}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	text = checkPage(t, rec)
	body = rec.Body.String()
	assert.Contains(t, text, "Please correct the following")
	assert.Contains(t, body, `<a href="#f-literacy_screening">Literacy screening result: Choose one of the options.</a>`)
	assert.Contains(t, body, `<a href="#f-maths_screening">Maths screening result: This is required.</a>`)
	assert.Contains(t, body, `<p class="field-error" id="e-maths_screening">This is required.</p>`)
	assert.Contains(t, body, `<select id="f-maths_screening" name="payload.maths_screening" required aria-required="true" aria-invalid="true" aria-describedby="e-maths_screening">`)
	assert.Contains(t, body, `name="payload.initial_interview_date" value="2026-01-02">`, "the date is kept")
	assert.Contains(t, body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;\nreading</textarea>", "the list is kept, escaped")
	assert.NotContains(t, body, hostile)
	got, err := f.env.Engine.Case(context.Background(), tutorA, aho.ID)
	require.NoError(t, err)
	assert.Equal(t, coaching.PilotStartOfStudies, got.State, "nothing fired")

	// A value not of its type is found before the engine is asked, with
	// the rest of the form checked all the same.
	rec = c.post(form, url.Values{"version": {strconv.FormatInt(aho.Version, 10)}, "payload.initial_interview_date": {"6.12.2026"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	assert.Contains(t, rec.Body.String(), `<p class="field-error" id="e-initial_interview_date">Enter a date as YYYY-MM-DD.</p>`)
	assert.Contains(t, rec.Body.String(), `<p class="field-error" id="e-literacy_screening">This is required.</p>`)
	assert.Contains(t, rec.Body.String(), `value="6.12.2026"`)

	// The rules: a date in the future is refused by the model's rule.
	today := coaching.DateOf(f.env.Clock.Now())
	valid := url.Values{"version": {strconv.FormatInt(aho.Version, 10)},
		"payload.literacy_screening": {"support_need"}, "payload.maths_screening": {"not_taken"},
		"payload.support_needs": {"reading support\n\n"}, "payload.initial_interview_date": {today.String()},
		"payload.hoks_drafting_started": {today.AddDays(3).String()}}
	rec = c.post(form, valid)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "The event could not be recorded")
	assert.Contains(t, text, "cannot be in the future")

	valid.Set("payload.hoks_drafting_started", today.String())
	valid.Set("key", "form-key-1")
	rec = c.post(form, valid)
	checkHeaders(t, rec)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	loc := rec.Header().Get("Location")
	// Sent twice (a double click): the first result, one transition.
	rec = c.post(form, valid)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, loc, rec.Header().Get("Location"))
	// Back, edited and sent again: the case is not as the form was shown.
	valid.Set("payload.maths_screening", "support_need")
	rec = c.post(form, valid)
	require.Equal(t, http.StatusConflict, rec.Code, rec.Body.String())
	checkPage(t, rec)
	assert.NotContains(t, rec.Body.String(), `value="form-key-1"`, "a new key")
	assert.Equal(t, "/cases/"+string(aho.ID)+"?fired=map_initial_situation", loc)
	rec = c.get(loc)
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Recorded: Initial situation mapped.")
	assert.Contains(t, rec.Body.String(), `href="`+eventPath(aho.ID, "end_first_year")+`"`, "the next phase's events")

	got, err = f.env.Engine.Case(context.Background(), tutorA, aho.ID)
	require.NoError(t, err)
	assert.Equal(t, coaching.PilotCoaching, got.State)
	assert.Equal(t, aho.Version+1, got.Version, "one transition")
	var trail []coaching.AuditEntry
	require.NoError(t, f.env.Engine.ReadCase(context.Background(), tutorA, coaching.OpReadCase, aho.ID, func(v *coaching.CaseView) error {
		var err error
		trail, err = v.AuditTrail()
		return err
	}))
	require.NotEmpty(t, trail)
	last := trail[len(trail)-1]
	assert.Equal(t, "map_initial_situation", last.Event)
	assert.Equal(t, coaching.PilotStartOfStudies, last.From)
	assert.Equal(t, coaching.PilotCoaching, last.To)
	assert.Equal(t, tutorA.ID, last.ActorID)
	assert.JSONEq(t, `{"support_needs":["reading support"],"literacy_screening":"support_need","maths_screening":"not_taken",`+
		`"initial_interview_date":"`+today.String()+`","hoks_drafting_started":"`+today.String()+`"}`, string(last.Payload))
}

// A form sent with the version it was shown with, after someone else
// changed the case, is the fresh form (409) with the values kept and the
// case's new version; sent again, it fires. A reason the model asks for is
// required.
func TestFireEventConflict(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	böök := f.cases["Böök"]
	today := coaching.DateOf(f.env.Clock.Now())
	_, err := f.env.Engine.Fire(ctx, tutorA, böök.ID, coaching.PilotMapInitialSituation, &coaching.FireOptions{Payload: coaching.InitialSituation{
		LiteracyScreening: coaching.ScreeningNoNeed, MathsScreening: coaching.ScreeningNoNeed, InitialInterviewDate: today, HOKSDraftingStarted: today}})
	require.NoError(t, err)
	c := f.client(t)
	c.signIn("", "tutor-a", "fi")
	form := eventPath(böök.ID, "redirect")
	rec := c.get(form)
	require.Equal(t, http.StatusOK, rec.Code)
	checkPage(t, rec)
	before, err := f.env.Engine.Case(ctx, tutorA, böök.ID)
	require.NoError(t, err)
	assert.Contains(t, rec.Body.String(), `name="version" value="`+strconv.FormatInt(before.Version, 10)+`"`)

	rec = c.post(form, url.Values{"version": {strconv.FormatInt(before.Version, 10)}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	assert.Contains(t, rec.Body.String(), `<a href="#f-reason">Perustelu: Pakollinen tieto puuttuu.</a>`)
	assert.Contains(t, rec.Body.String(), `aria-invalid="true" aria-describedby="e-reason"`)

	res, err := f.env.Engine.Fire(ctx, tutorA, böök.ID, coaching.PilotEndFirstYear, nil)
	require.NoError(t, err)
	rec = c.post(form, url.Values{"version": {strconv.FormatInt(before.Version, 10)}, "reason": {"Ala vaihtuu <b>"}})
	require.Equal(t, http.StatusConflict, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Joku muu muutti tapausta")
	assert.Contains(t, rec.Body.String(), `name="version" value="`+strconv.FormatInt(res.Case.Version, 10)+`"`)
	assert.Contains(t, rec.Body.String(), "Ala vaihtuu &lt;b&gt;</textarea>")

	rec = c.post(form, url.Values{"version": {strconv.FormatInt(res.Case.Version, 10)}, "reason": {"Ala vaihtuu"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	got, err := f.env.Engine.Case(ctx, tutorA, böök.ID)
	require.NoError(t, err)
	assert.Equal(t, coaching.PilotRedirected, got.State)

	// The case has ended: its form is no longer there to fill.
	rec = c.get(form)
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.Contains(t, rec.Body.String(), "<title>Tieto on muuttunut", "a conflict's title, not a bad request's")
}

// Whoever may not fire an event gets the 403 page (a tutor of the
// organisation not on the case's team, the form of an event of another
// role), another organisation's case the 404 page; a post without a
// version is a bad request and a cross-origin post is refused; none of
// them fires anything.
func TestFireEventRefused(t *testing.T) {
	f := newFixture(t, "")
	aho := f.cases["Aho"]
	form := eventPath(aho.ID, "map_initial_situation")
	valid := url.Values{"version": {strconv.FormatInt(aho.Version, 10)}, "payload.literacy_screening": {"support_need"}}

	other := f.client(t)
	other.signIn("", "other-a", "en")
	rec := other.get(form)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	checkPage(t, rec)
	rec = other.post(form, valid)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	checkPage(t, rec)

	head := f.client(t)
	head.signIn("", "head-a", "en")
	rec = head.get("/cases/" + string(aho.ID))
	require.Equal(t, http.StatusOK, rec.Code)
	checkPage(t, rec)

	b := f.client(t)
	b.signIn("", "tutor-b", "en")
	rec = b.get(form)
	assert.Equal(t, http.StatusNotFound, rec.Code)
	checkPage(t, rec)

	tutor := f.client(t)
	tutor.signIn("", "tutor-a", "en")
	rec = tutor.get(eventPath(aho.ID, "no_such_event"))
	assert.Equal(t, http.StatusNotFound, rec.Code)
	checkPage(t, rec)
	rec = tutor.post(form, url.Values{"payload.literacy_screening": {"support_need"}})
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	checkPage(t, rec)
	req := httptest.NewRequest(http.MethodPost, form, strings.NewReader(valid.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec = tutor.do(req)
	assert.Equal(t, http.StatusForbidden, rec.Code)

	got, err := f.env.Engine.Case(context.Background(), tutorA, aho.ID)
	require.NoError(t, err)
	assert.Equal(t, aho.Version, got.Version, "nothing fired")
}
