package webui_test

// Review probes (issue 18 review). Each test asserts the behaviour the
// review expects; a failing probe confirms a finding.

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// A curator's planned item is welfare information (CaseItems hides it);
// the caseload row's "next planned" cell must not show its title to the
// tutor or the teacher.
func TestProbeCaseloadHidesWelfarePlannedTitle(t *testing.T) {
	f := newCaseFixture(t)
	for _, who := range []string{"tutor-a", "head-a"} {
		c := f.client(t, who, "en")
		rec := c.get("/?scope=mine")
		require.Equal(t, http.StatusOK, rec.Code)
		assert.NotContains(t, rec.Body.String(), welfarePlanned, "%s sees the curator's planned item on the caseload", who)
	}
}

// A week far in the future is a clear 400, never a 500.
func TestProbeWeekOutOfRangeDate(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "tutor-a", "fi")
	for _, d := range []string{"9999-12-31", "0001-01-01"} {
		rec := c.get("/week?date=" + d)
		assert.Less(t, rec.Code, 500, "GET /week?date=%s: %d", d, rec.Code)
	}
}

// A form resent with its key but edited (a retry after a timeout with the
// text changed) is refused naming key; the page shown again must offer a
// fresh key, or the family can never send the corrected form.
func TestProbeAbsenceKeyReuseIsNotStuck(t *testing.T) {
	f := newFamilyFixture(t)
	c := f.client(t, "guardian-v")
	id := string(f.cases["Virtanen"].ID)
	today := coaching.DateOf(f.env.Clock.Now())
	form := url.Values{"kind": {"explanation"}, "from": {today.String()}, "reason": {"family"}, "key": {"KEYKEYKEYKEYKEYKEYKEYKEYKE"}}
	rec := c.post("/family/"+id+"/absences", form)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	form.Set("text", "edited after the first send")
	rec = c.post("/family/"+id+"/absences", form)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.NotContains(t, rec.Body.String(), `value="KEYKEYKEYKEYKEYKEYKEYKEYKE"`, "the refused form keeps its spent key: every resend fails the same way")
}

// A comment or proposal sent twice (a double click) is recorded once.
func TestProbeVoiceDoubleSubmit(t *testing.T) {
	f := newVoiceFixture(t)
	c := f.client(t, "student-berg")
	id := f.cases["Berg"].ID
	for range 2 {
		rec := c.post("/family/"+string(id)+"/comments", url.Values{"text": {"Sama kommentti"}})
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
		rec = c.post("/family/"+string(id)+"/proposals", url.Values{"title": {"Sama ehdotus"}, "description": {"x"}})
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	}
	cs, err := f.svc.Comments(context.Background(), tutorA, id)
	require.NoError(t, err)
	ps, err := f.svc.Proposals(context.Background(), tutorA, id)
	require.NoError(t, err)
	assert.Len(t, cs, 1, "comments after a double submit")
	assert.Len(t, ps, 1, "proposals after a double submit")
}

// A guardian reads the attendance history page of a staff tool: it shows
// the raw status (sickness), which the family page deliberately hides, and
// links back to the teacher's grid.
func TestProbeGuardianAttendanceHistory(t *testing.T) {
	f := newFamilyFixture(t)
	c := f.client(t, "guardian-v")
	id := string(f.cases["Virtanen"].ID)
	today := coaching.DateOf(f.env.Clock.Now())
	rec := c.get("/attendance/history?" + url.Values{"case": {id}, "date": {today.String()}, "lesson": {"1"}}.Encode())
	t.Logf("guardian GET /attendance/history: %d", rec.Code)
	assert.NotEqual(t, http.StatusOK, rec.Code, "a guardian reaches the staff's revision history (who marked, when, sickness)")
}
