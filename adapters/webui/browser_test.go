package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/examples/webui/webuidemo"
	"github.com/valmennus/valmennus/internal/browsertest"
)

// The browser tests drive headless Chromium (internal/browsertest) through
// the demo that `go run ./examples/webui` serves. Locally they skip
// without chromium or VALMENNUS_AXE; under CI=true they fail instead.
// Every page they visit is checked with axe-core's WCAG 2.1 A/AA rules.

// envUpdateScreenshots=1 writes the screenshots of the roles' main pages
// to docs/screenshots (the README shows them) instead of a temporary
// directory.
const envUpdateScreenshots = "VALMENNUS_UPDATE_SCREENSHOTS"

func TestMain(m *testing.M) { browsertest.Main(m) }

// demoServer serves the demo on a local port until the test ends.
func demoServer(t *testing.T) (*webuidemo.Demo, *httptest.Server) {
	t.Helper()
	demo, err := webuidemo.New(context.Background(), nil)
	require.NoError(t, err)
	srv := httptest.NewServer(demo.Handler)
	t.Cleanup(srv.Close)
	return demo, srv
}

// screenshotDir is where the screenshots of the roles' main pages go.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if os.Getenv(envUpdateScreenshots) != "1" {
		return filepath.Join(t.TempDir(), "screenshots")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "docs", "screenshots"))
	require.NoError(t, err)
	return dir
}

// signIn opens the interface, which sends someone not signed in to the
// sign-in page, and signs in there as the development identity key, in
// lang ("" leaves the form's default, Finnish). Both pages are checked
// with axe. It returns the caseload's status.
func signIn(t *testing.T, s *browsertest.Session, base, key, lang string) int {
	t.Helper()
	require.Equal(t, http.StatusOK, s.Navigate(base+"/"), "the sign-in page")
	require.True(t, strings.HasPrefix(s.URL(), base+"/login?"), "sent to sign in, at %s", s.URL())
	s.RequireNoViolations()
	if lang != "" {
		s.Do("choosing the language", chromedp.SetValue(chromedp.CSS("#login-lang"), lang))
	}
	return s.Submit(`button[name="identity"][value="` + key + `"]`)
}

// TestBrowserTutorFindsTheFlaggedStudent: a personal tutor signs in
// through the development sign-in form, sees the student whose
// unexplained absences raised a flag at the top of the caseload, opens
// the case from there and records the initial situation through the
// event's form, first with the required answers missing (the errors
// beside the fields) and then valid — with the page's JavaScript on and off
// (every action is a link or a plain form). axe finds nothing on any page.
func TestBrowserTutorFindsTheFlaggedStudent(t *testing.T) {
	b := browsertest.Start(t)
	for _, tc := range []struct {
		name string
		opts browsertest.Options
		lang string
	}{
		{name: "javascript", lang: "en"},
		{name: "no-javascript", opts: browsertest.Options{NoJavaScript: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			demo, srv := demoServer(t)
			opts := tc.opts
			if !opts.NoJavaScript {
				opts.ScreenshotDir = screenshotDir(t)
			}
			s := b.NewSession(t, &opts)
			if !opts.NoJavaScript {
				require.Equal(t, http.StatusOK, s.Navigate(srv.URL+"/login"))
				s.Screenshot("sign-in")
			}
			require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyTutor, tc.lang))
			assert.Equal(t, srv.URL+"/", s.URL())
			if tc.lang == "en" {
				assert.Equal(t, "My caseload", s.Text("h1"))
			}
			assert.Equal(t, 12, s.Count("table.caseload tbody tr"), "the tutor's twelve students")
			top := "table.caseload tbody tr:first-child"
			class, _ := s.Attribute(top, "class")
			assert.Equal(t, "flagged", class, "the top row is flagged")
			assert.Equal(t, 1, s.Count("table.caseload tbody tr.flagged"), "one student is flagged")
			href, _ := s.Attribute(top+" th a", "href")
			assert.Equal(t, "/cases/"+string(demo.Flagged), href, "the flagged student is at the top")
			assert.NotEmpty(t, s.Text(top+" ul.flags li"), "the flag is named")
			s.RequireNoViolations()
			if !opts.NoJavaScript {
				s.Screenshot("tutor-caseload")
			}

			require.Equal(t, http.StatusOK, s.Submit(top+" th a"), "opening the case")
			assert.Equal(t, srv.URL+"/cases/"+string(demo.Flagged), s.URL())
			assert.Equal(t, demo.FlaggedName, s.Text("h1"))
			assert.Equal(t, 1, s.Count(`ol.timeline li[aria-current="step"]`), "the current phase is marked")
			s.RequireNoViolations() // the case page's screenshot is TestBrowserTutorCasePage's

			fireInitialSituation(t, s, srv.URL, demo, !opts.NoJavaScript)

			// Back to the caseload by the header's link, and sign out
			// with the header's form.
			require.Equal(t, http.StatusOK, s.Submit("header.site .brand a"))
			assert.Equal(t, srv.URL+"/", s.URL())
			require.Equal(t, http.StatusOK, s.Submit("form.signout button"), "signing out lands on the sign-in page")
			assert.True(t, strings.HasPrefix(s.URL(), srv.URL+"/login"), "at %s", s.URL())
			require.Equal(t, http.StatusOK, s.Navigate(srv.URL+"/cases/"+string(demo.Flagged)))
			assert.True(t, strings.HasPrefix(s.URL(), srv.URL+"/login?"), "signed out, the case sends to sign in: at %s", s.URL())
		})
	}
}

// TestBrowserRolesMainPages signs in as each demo role and checks its
// main page, the caseload, with axe; its screenshot is the one the README
// shows.
func TestBrowserRolesMainPages(t *testing.T) {
	b := browsertest.Start(t)
	_, srv := demoServer(t)
	dir := screenshotDir(t)
	for _, tc := range []struct {
		key  string
		rows int // the rows of the caseload; -1: no table
	}{
		{webuidemo.KeyCoach, 8},    // every other student of the group
		{webuidemo.KeyTeacher, 16}, // the group
		{webuidemo.KeyHead, 21},    // the organisation's caseload: the group and the workshop's five open cases
		{webuidemo.KeyGuardian, -1},
	} {
		t.Run(tc.key, func(t *testing.T) {
			s := b.NewSession(t, &browsertest.Options{ScreenshotDir: dir})
			require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, tc.key, "en"))
			assert.Equal(t, srv.URL+"/", s.URL())
			if tc.rows >= 0 {
				assert.Equal(t, tc.rows, s.Count("table.caseload tbody tr"))
			}
			s.RequireNoViolations()
			s.Screenshot(tc.key + "-caseload")
		})
	}
}

// TestBrowserOtherOrganisation: a personal tutor of another organisation
// who opens the flagged student's case address gets the 404 page, with
// the 404 status, exactly as for a case that does not exist; the page
// passes axe.
func TestBrowserOtherOrganisation(t *testing.T) {
	b := browsertest.Start(t)
	demo, srv := demoServer(t)
	s := b.NewSession(t, nil)
	require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyOtherTutor, "en"))
	assert.Equal(t, 0, s.Count("table.caseload a[href='/cases/"+string(demo.Flagged)+"']"), "not in their caseload")
	require.Equal(t, http.StatusNotFound, s.Navigate(srv.URL+"/cases/"+string(demo.Flagged)))
	notFound := s.Text("main")
	s.RequireNoViolations()
	require.Equal(t, http.StatusNotFound, s.Navigate(srv.URL+"/cases/no-such-case"))
	assert.Equal(t, notFound, s.Text("main"), "the same page as a case that does not exist")
}

// TestBrowserGuardianOfAnotherStudent: the flagged student's guardian,
// who opens another student's case of the same organisation, gets the
// 403 page with the 403 status (not the 404 of another organisation's
// case: the case exists where the guardian is); the page passes axe.
func TestBrowserGuardianOfAnotherStudent(t *testing.T) {
	b := browsertest.Start(t)
	demo, srv := demoServer(t)
	s := b.NewSession(t, nil)
	require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyGuardian, "en"))
	other := demo.Cases[0]
	require.NotEqual(t, demo.Flagged, other)
	require.Equal(t, http.StatusForbidden, s.Navigate(srv.URL+"/cases/"+string(other)))
	assert.Equal(t, "Access denied", s.Text("h1"))
	assert.NotContains(t, s.Text("main"), "Esimerkki", "the page names no student")
	s.RequireNoViolations()
}

// fireInitialSituation is on the flagged student's case page: it opens
// the form of map_initial_situation from the page's list of events, sends
// it without the required answers (422, an error summary linking to
// each field and the error beside it), then fills it in and sends it
// again: the case page says the event was recorded, and the case is in
// the next phase. axe checks each page.
func fireInitialSituation(t *testing.T, s *browsertest.Session, base string, demo *webuidemo.Demo, screenshots bool) {
	t.Helper()
	caseURL := base + "/cases/" + string(demo.Flagged)
	link := `ul.events a[href="/cases/` + string(demo.Flagged) + `/events/map_initial_situation"]`
	require.Equal(t, http.StatusOK, s.Submit(link), "opening the event's form")
	s.RequireNoViolations()

	require.Equal(t, http.StatusUnprocessableEntity, s.Submit("form.event button[type=submit]"), "the form without its answers")
	assert.Equal(t, caseURL+"/events/map_initial_situation", s.URL())
	assert.GreaterOrEqual(t, s.Count(".error-summary li a"), 2, "the summary links to each field in error")
	assert.NotEmpty(t, s.Text("#e-literacy_screening"), "the error beside the field")
	assert.NotEmpty(t, s.Text("#e-maths_screening"))
	invalid, _ := s.Attribute("#f-literacy_screening", "aria-invalid")
	assert.Equal(t, "true", invalid)
	s.RequireNoViolations()
	if screenshots {
		s.Screenshot("tutor-event-errors")
	}

	today := coaching.DateOf(time.Now()).String()
	s.Do("answering the form",
		chromedp.SetValue(chromedp.CSS("#f-literacy_screening"), "support_need"),
		chromedp.SetValue(chromedp.CSS("#f-maths_screening"), "not_taken"),
		chromedp.SetValue(chromedp.CSS("#f-initial_interview_date"), today),
		chromedp.SetValue(chromedp.CSS("#f-hoks_drafting_started"), today))
	s.Fill("#f-support_needs", "reading support")
	require.Equal(t, http.StatusOK, s.Submit("form.event button[type=submit]"), "the answered form, then the case page")
	assert.Equal(t, caseURL+"?fired=map_initial_situation", s.URL())
	assert.Equal(t, 0, s.Count(".error-summary"))
	got, err := demo.Engine.Case(context.Background(), demo.Identities[0].Actor, demo.Flagged)
	require.NoError(t, err)
	assert.Equal(t, coaching.PilotCoaching, got.State, "the event fired")
	assert.Equal(t, 1, s.Count(`ul.events a[href$="/events/end_first_year"]`), "the next phase's events are offered")
	s.RequireNoViolations()
}

// TestBrowserTeacherMarksALesson: a teacher opens the attendance grid
// from the menu, chooses the group and a lesson, marks the group's
// sixteen students with the radios (one of them absent) and saves: the
// result lists sixteen new marks. axe checks each page; the grid is the teacher's
// screenshot.
func TestBrowserTeacherMarksALesson(t *testing.T) {
	b := browsertest.Start(t)
	demo, srv := demoServer(t)
	s := b.NewSession(t, &browsertest.Options{ScreenshotDir: screenshotDir(t)})
	require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyTeacher, "en"))
	require.Equal(t, http.StatusOK, s.Submit(`header a[href="/attendance"]`), "the menu's attendance grid")
	s.RequireNoViolations()

	s.Fill("#a-group", webuidemo.Group)
	s.Fill("#a-lesson", "6")
	if v, _ := s.Attribute("#a-minutes", "value"); v == "" {
		s.Fill("#a-minutes", "45")
	}
	require.Equal(t, http.StatusOK, s.Submit("form.filters button[type=submit]"), "showing the group")
	require.Equal(t, len(demo.Cases), s.Count("table.attendance tbody tr"), "the group's students")
	s.RequireNoViolations()
	for i := range demo.Cases {
		status := "present"
		if i == 2 {
			status = "absent_unexplained"
		}
		s.Click(fmt.Sprintf("#s-%d-%s", i, status))
	}
	s.Screenshot("teacher-attendance")
	require.Equal(t, http.StatusOK, s.Submit("form.grid button[type=submit]"), "saving the marks")
	assert.Equal(t, len(demo.Cases), s.Count("table.changes tbody tr"), "a new mark for each student")
	assert.Equal(t, 0, s.Count("tr.invalid"))
	s.RequireNoViolations()
}
