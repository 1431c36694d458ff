package webui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/examples/webui/webuidemo"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/internal/browsertest"
)

// browserModes are the two ways every family test runs: with the page's
// JavaScript on (and the screenshots), and off — every action is a link
// or a plain form.
var browserModes = []struct {
	name string
	opts browsertest.Options
}{
	{name: "javascript"},
	{name: "no-javascript", opts: browsertest.Options{NoJavaScript: true}},
}

// TestBrowserGuardianExplainsAnAbsence: the flagged student's guardian
// signs in and lands on the family page (their child's studies, headed by
// the programme, with the absence messages sent to them), opens the case from there and explains the unexplained
// absences through the form the day's link prefills: first without a
// reason (422, the error beside the reason and in the summary), then with
// one — the page confirms it and lists the request. axe finds nothing on
// any page; the family page is the guardian's screenshot.
func TestBrowserGuardianExplainsAnAbsence(t *testing.T) {
	b := browsertest.Start(t)
	for _, mode := range browserModes {
		t.Run(mode.name, func(t *testing.T) {
			demo, srv := demoServer(t)
			opts := mode.opts
			if !opts.NoJavaScript {
				opts.ScreenshotDir = screenshotDir(t)
			}
			s := b.NewSession(t, &opts)
			require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyGuardian, "en"))
			assert.Equal(t, "My page", s.Text("h1"))
			require.Equal(t, 1, s.Count("section.family-case"), "the guardian's one child")
			assert.True(t, strings.HasPrefix(s.Text("section.family-case h2"), "Your child's studies: "), s.Text("section.family-case h2"))
			// The absence messages sent to the guardian name the child;
			// the rest of the page reads no participant record.
			require.GreaterOrEqual(t, s.Count("ul.notices li"), 1, "the absence messages of the last days")
			assert.NotContains(t, strings.Replace(s.Text("main"), s.Text("ul.notices"), "", 1), demo.FlaggedName, "a guardian reads no participant record")
			s.RequireNoViolations()
			if !opts.NoJavaScript {
				s.Screenshot("guardian-family")
			}

			caseURL := srv.URL + "/family/" + string(demo.Flagged)
			require.Equal(t, http.StatusOK, s.Submit("section.family-case h2 a"), "opening the child's page")
			assert.Equal(t, caseURL, s.URL())
			s.RequireNoViolations()
			require.GreaterOrEqual(t, s.Count("table.family-days a"), 1, "a day to explain")
			require.Equal(t, http.StatusOK, s.Submit("table.family-days a"), "the day's explain link")
			assert.True(t, strings.HasPrefix(s.URL(), caseURL+"?explain="), s.URL())
			_, selected := s.Attribute(`#a-kind option[value="explanation"]`, "selected")
			assert.True(t, selected, "an explanation is chosen")
			from, _ := s.Attribute("#a-from", "value")
			assert.NotEmpty(t, from, "the day is prefilled")
			s.RequireNoViolations()

			require.Equal(t, http.StatusUnprocessableEntity, s.Submit("form.absence button[type=submit]"), "no reason")
			assert.Equal(t, caseURL+"/absences", s.URL())
			assert.NotEmpty(t, s.Text("#e-reason"), "the error beside the reason")
			invalid, _ := s.Attribute("#a-reason", "aria-invalid")
			assert.Equal(t, "true", invalid)
			assert.GreaterOrEqual(t, s.Count(".error-summary li a"), 1)
			s.RequireNoViolations()

			s.Do("choosing the reason", chromedp.SetValue(chromedp.CSS("#a-reason"), "family"))
			s.Fill("#a-text", "Hammaslääkäri")
			require.Equal(t, http.StatusOK, s.Submit("form.absence button[type=submit]"), "the explanation, then the page")
			assert.True(t, strings.HasPrefix(s.URL(), caseURL+"?sent=explanation"), s.URL())
			assert.Equal(t, "The absence explanation was sent.", s.Text("section.family-case .notice p"))
			assert.Equal(t, 1, s.Count("ul.requests li"), "the request is listed")
			assert.Contains(t, s.Text("ul.requests li"), "Absence explanation")
			assert.NotContains(t, s.Text("main"), "Hammaslääkäri", "the family's words are for the decider")
			s.RequireNoViolations()
		})
	}
}

// TestBrowserStudentProposesAndTutorDecides: the flagged student signs in
// to her own page (her name as its heading), comments on her HOKS and
// proposes a new career goal — first without a title (422, the error
// beside it) — and sees both listed; the personal tutor opens the
// proposals page, tries to decline without a reason (422, the error
// beside it) and accepts the proposal: the plan's goal changes, and the
// student reads the decision on her page. axe checks every page; the
// student's page and the tutor's proposals page are screenshots.
func TestBrowserStudentProposesAndTutorDecides(t *testing.T) {
	b := browsertest.Start(t)
	for _, mode := range browserModes {
		t.Run(mode.name, func(t *testing.T) {
			demo, srv := demoServer(t)
			opts := mode.opts
			if !opts.NoJavaScript {
				opts.ScreenshotDir = screenshotDir(t)
			}
			shot := func(s *browsertest.Session, name string) {
				if !opts.NoJavaScript {
					s.Screenshot(name)
				}
			}
			st := b.NewSession(t, &opts)
			require.Equal(t, http.StatusOK, signIn(t, st, srv.URL, webuidemo.KeyStudent, "en"))
			require.Equal(t, 1, st.Count("section.family-case"))
			assert.Equal(t, demo.FlaggedName, st.Text("section.family-case h2"))
			st.RequireNoViolations()
			shot(st, "student-family")

			caseURL := srv.URL + "/family/" + string(demo.Flagged)
			require.Equal(t, http.StatusOK, st.Submit("section.family-case h2 a"))
			require.Equal(t, 1, st.Count("form.comment"), "the comment form")
			st.Fill("#c-text", "The workplace period suits me well.")
			require.Equal(t, http.StatusOK, st.Submit("form.comment button[type=submit]"), "the comment, then the page")
			assert.True(t, strings.HasPrefix(st.URL(), caseURL+"?done=comment"), st.URL())
			assert.Contains(t, st.Text("#voice + .notice"), "The comment was saved.")
			assert.Contains(t, st.Text("main"), "The workplace period suits me well.")
			st.RequireNoViolations()

			st.Fill("#p-description", "I want to apply to a university of applied sciences.")
			require.Equal(t, http.StatusUnprocessableEntity, st.Submit("form.propose button[type=submit]"), "no title")
			assert.NotEmpty(t, st.Text("#e-p-title"), "the error beside the title")
			invalid, _ := st.Attribute("#p-title", "aria-invalid")
			assert.Equal(t, "true", invalid)
			st.RequireNoViolations()
			st.Fill("#p-title", "Further studies as my goal")
			st.Do("choosing the goal", chromedp.SetValue(chromedp.CSS("#p-goal"), "urasuunnitelma_0001"))
			require.Equal(t, http.StatusOK, st.Submit("form.propose button[type=submit]"), "the proposal, then the page")
			assert.True(t, strings.HasPrefix(st.URL(), caseURL+"?done=proposal"), st.URL())
			require.Equal(t, 1, st.Count("ul.proposals > li"))
			assert.Contains(t, st.Text("ul.proposals > li"), "Further studies as my goal")
			assert.Contains(t, st.Text("ul.proposals > li"), "awaiting a decision")
			assert.Equal(t, 1, st.Count("form.withdraw"), "an open proposal can be withdrawn")
			st.RequireNoViolations()
			shot(st, "student-proposal")

			tu := b.NewSession(t, &opts)
			require.Equal(t, http.StatusOK, signIn(t, tu, srv.URL, webuidemo.KeyTutor, "en"))
			page := srv.URL + "/cases/" + string(demo.Flagged) + "/proposals"
			require.Equal(t, http.StatusOK, tu.Navigate(page))
			assert.Equal(t, "HOKS proposals: "+demo.FlaggedName, tu.Text("h1"))
			require.Equal(t, 1, tu.Count("article.proposal"))
			assert.Contains(t, tu.Text("article.proposal"), "Further studies")
			tu.RequireNoViolations()
			shot(tu, "tutor-proposals")

			require.Equal(t, http.StatusUnprocessableEntity, tu.Submit("form.decline button[type=submit]"), "a decline without a reason")
			assert.NotEmpty(t, tu.Text("#d-1-reason-e"), "the error beside the reason")
			tu.RequireNoViolations()
			tu.Fill("#d-1-anote", "Discussed with the study counsellor.")
			require.Equal(t, http.StatusOK, tu.Submit("form.accept button[type=submit]"), "the acceptance, then the page")
			assert.True(t, strings.HasPrefix(tu.URL(), page+"?decided=accepted"), tu.URL())
			assert.Contains(t, tu.Text("main"), "accepted")
			assert.Equal(t, 0, tu.Count("form.accept"), "nothing left to decide")
			tu.RequireNoViolations()

			plans, err := hoks.NewService(demo.Engine)
			require.NoError(t, err)
			cur, err := plans.Current(context.Background(), actorOf(t, demo, webuidemo.KeyTutor), demo.Flagged)
			require.NoError(t, err)
			require.NotNil(t, cur.Plan.CareerPlanCodeURI)
			assert.Equal(t, "urasuunnitelma_0001", *cur.Plan.CareerPlanCodeURI)

			require.Equal(t, http.StatusOK, st.Navigate(caseURL))
			assert.Contains(t, st.Text("ul.proposals > li"), "accepted")
			assert.NotContains(t, st.Text("main"), "Discussed with the study counsellor", "never the staff's note")
			st.RequireNoViolations()
		})
	}
}

// actorOf is the demo's identity key's actor.
func actorOf(t *testing.T, demo *webuidemo.Demo, key string) (a coaching.Actor) {
	t.Helper()
	for _, id := range demo.Identities {
		if id.Key == key {
			return id.Actor
		}
	}
	t.Fatalf("no identity %q", key)
	return a
}
