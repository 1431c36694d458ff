package webui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/examples/webui/webuidemo"
	"github.com/valmennus/valmennus/internal/browsertest"
)

// TestBrowserTutorCasePage: the personal tutor opens the flagged
// student's case from the caseload and finds the guidance work on it —
// the coaching sessions, the planned items to come and recently held or
// cancelled, the attendance of the last weeks by day (a lesson's link
// leads to its revisions), the HOKS summary and versions — then compares
// the plan's versions with the form's defaults and sees what the update
// changed. axe checks every page; the case page is the README's
// "tutor-case" screenshot.
func TestBrowserTutorCasePage(t *testing.T) {
	b := browsertest.Start(t)
	demo, srv := demoServer(t)
	s := b.NewSession(t, &browsertest.Options{ScreenshotDir: screenshotDir(t)})
	require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyTutor, "en"))
	caseURL := srv.URL + "/cases/" + string(demo.Flagged)
	require.Equal(t, http.StatusOK, s.Submit(`table.caseload a[href="/cases/`+string(demo.Flagged)+`"]`), "opening the case")
	require.Equal(t, caseURL, s.URL())
	assert.Equal(t, demo.FlaggedName, s.Text("h1"))

	assert.Equal(t, 1, s.Count(`ol.timeline li[aria-current="step"]`), "the current phase is marked")
	assert.Contains(t, s.Text(`ol.timeline li[aria-current="step"]`), "Phase deadline", "with its deadline")
	assert.Equal(t, 4, s.Count("table.sessions tbody tr"), "the sessions")
	assert.Contains(t, s.Text("table.sessions tbody tr:first-child"), "Tiina Omaohjaaja (personal tutor)", "newest first, with the staff")
	assert.Equal(t, 2, s.Count("table.planned-upcoming tbody tr"), "the items to come")
	assert.Equal(t, 2, s.Count("table.planned-recent tbody tr"), "held and cancelled")
	assert.Contains(t, s.Text("table.planned-recent"), "cancelled: ")
	assert.GreaterOrEqual(t, s.Count("table.contacts tbody tr"), 3, "the contacts")
	assert.GreaterOrEqual(t, s.Count("table.case-attendance tbody tr"), 4, "attendance by day")
	assert.GreaterOrEqual(t, s.Count("table.case-attendance tbody tr.flagged"), 1, "a day with unexplained absences")
	assert.Contains(t, s.Text("dl.hoks-summary"), "approved", "the HOKS summary")
	assert.Equal(t, 4, s.Count("table.hoks-versions tbody tr"), "the plan's versions")
	s.RequireNoViolations()
	s.Screenshot("tutor-case")

	require.Equal(t, http.StatusOK, s.Submit("form.compare button[type=submit]"), "comparing the versions")
	assert.True(t, strings.HasPrefix(s.URL(), caseURL+"/hoks/diff?from=2&to=4"), "the form's defaults: at %s", s.URL())
	changes := s.Text("table.hoks-diff tbody")
	assert.Contains(t, changes, "Unit added")
	assert.Contains(t, changes, "Opiskelu- ja työelämätaidot", "the unit added, by name")
	assert.Contains(t, changes, "Period moved")
	assert.Contains(t, changes, "Instructor changed")
	s.RequireNoViolations()

	require.Equal(t, http.StatusOK, s.Submit("p.back a"), "back to the case")
	require.Equal(t, caseURL, s.URL())
	require.Equal(t, http.StatusOK, s.Submit("table.case-attendance tbody tr.flagged ul.lessons a"), "a lesson's revisions")
	assert.True(t, strings.HasPrefix(s.URL(), srv.URL+"/attendance/history?case="), "at %s", s.URL())
	assert.Equal(t, 1, s.Count("table.history tbody tr"), "one revision")
	s.RequireNoViolations()
}
