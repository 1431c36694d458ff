package webui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/examples/webui/webuidemo"
	"github.com/valmennus/valmennus/internal/browsertest"
)

// TestBrowserTutorRecordsASession: the personal tutor opens the flagged
// student's case, follows the sessions section's link to the session
// form, sends it empty (the errors beside the fields and in the summary),
// then fills it — the hours with a decimal comma, an element of the
// coaching approach ticked, a topic — and is back on the case page with
// the confirmation and the session listed; the forms to plan an item and
// to log a contact are reached from their sections too. With the page's
// JavaScript on and off (plain forms, no script needed); axe finds
// nothing on any page. The demo's data is found by the pages' own
// content, not by counts.
func TestBrowserTutorRecordsASession(t *testing.T) {
	b := browsertest.Start(t)
	for _, tc := range []struct {
		name  string
		opts  browsertest.Options
		topic string
	}{
		{name: "javascript", topic: "Opiskelutaidot ja viikon suunnitelma"},
		{name: "no-javascript", opts: browsertest.Options{NoJavaScript: true}, topic: "Työpaikalle valmistautuminen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			demo, srv := demoServer(t)
			opts := tc.opts
			s := b.NewSession(t, &opts)
			require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyTutor, "en"))
			caseURL := srv.URL + "/cases/" + string(demo.Flagged)
			require.Equal(t, http.StatusOK, s.Navigate(caseURL))
			assert.Equal(t, 0, s.Count(".success"), "no confirmation before anything is saved")

			for _, work := range []struct{ section, path, title string }{
				{"section.case-planned", "/planned/new", "Plan an item"},
				{"section.case-contacts", "/contacts/new", "Log a contact"},
			} {
				require.Equal(t, http.StatusOK, s.Submit(work.section+` a[href$="`+work.path+`"]`), work.title)
				assert.Equal(t, work.title, s.Text("h1"))
				s.RequireNoViolations()
				require.Equal(t, http.StatusOK, s.Submit("p.back a"), "back to the case")
				require.Equal(t, caseURL, s.URL())
			}

			require.Equal(t, http.StatusOK, s.Submit(`section.case-sessions a[href$="/sessions/new"]`), "the sessions section's link")
			assert.Equal(t, caseURL+"/sessions/new", s.URL())
			assert.Equal(t, "Record a coaching session", s.Text("h1"))
			assert.Contains(t, s.Text("#g-staff"), "You: ", "the signed-in person is present")
			s.RequireNoViolations()

			require.Equal(t, http.StatusUnprocessableEntity, s.Submit("form.casework button[type=submit]"), "sent empty")
			assert.Equal(t, "Please correct the following", s.Text(".error-summary #h-form-errors"))
			assert.Equal(t, "individual", func() string { v, _ := s.Attribute(`#f-kind option[selected]`, "value"); return v }(), "individual coaching by default")
			assert.Equal(t, 1, s.Count(`input[name="hours"][aria-invalid="true"]`))
			assert.Equal(t, "This is required.", s.Text(`#f-hours-e`))
			s.RequireNoViolations()

			s.Do("choosing the kind", chromedp.SetValue(chromedp.CSS("#f-kind"), "individual"))
			s.Fill("#f-hours", "1,5")
			s.Click(`input[name="elements"][value="trust"]`)
			s.Fill("#f-topic", tc.topic)
			require.Equal(t, http.StatusOK, s.Submit("form.casework button[type=submit]"), "recording the session")
			assert.Equal(t, caseURL+"?done=sessions", s.URL())
			assert.Equal(t, "The coaching session is recorded.", s.Text(".success"))
			var row string
			for _, r := range strings.Split(s.Text("table.sessions tbody"), "\n") {
				if strings.Contains(r, tc.topic) {
					row = r
				}
			}
			require.NotEmpty(t, row, "the session is listed: %s", s.Text("table.sessions tbody"))
			assert.Contains(t, row, "1.5", "its hours in English")
			assert.Contains(t, row, "trust")
			s.RequireNoViolations()
		})
	}
}
