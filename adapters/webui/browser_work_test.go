package webui_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/examples/webui/webuidemo"
	"github.com/valmennus/valmennus/internal/browsertest"
)

// TestBrowserTutorWorksThroughAlertsAndWeek: the personal tutor opens the
// alerts from the menu (the two the coach and the teacher raised for
// them), takes the first on, tries to dismiss the other without a reason
// (the error beside the field), then opens the week's plan and marks
// today's goal discussion (a coaching session) held with its hours — with the page's
// JavaScript on and off (the actions are plain forms, the disclosures
// native details elements). axe finds nothing on any page.
func TestBrowserTutorWorksThroughAlertsAndWeek(t *testing.T) {
	b := browsertest.Start(t)
	for _, tc := range []struct {
		name string
		opts browsertest.Options
	}{
		{name: "javascript"},
		{name: "no-javascript", opts: browsertest.Options{NoJavaScript: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := demoServer(t)
			opts := tc.opts
			if !opts.NoJavaScript {
				opts.ScreenshotDir = screenshotDir(t)
			}
			s := b.NewSession(t, &opts)
			require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyTutor, "en"))

			require.Equal(t, http.StatusOK, s.Submit(`header a[href="/alerts"]`), "the menu's alerts")
			assert.Equal(t, "Alerts", s.Text("h1"))
			require.Equal(t, 2, s.Count("ul.work > li"), "the two alerts raised for the tutor")
			assert.Equal(t, 2, s.Count("ul.work form.inline"), "both open")
			s.RequireNoViolations()
			if !opts.NoJavaScript {
				s.Screenshot("tutor-alerts")
			}
			require.Equal(t, http.StatusOK, s.Submit("ul.work > li:first-child form.inline button"), "taking the first on")
			assert.Contains(t, s.URL(), "done=acknowledge")
			assert.Equal(t, "The alert is acknowledged.", s.Text(".success"))
			assert.Equal(t, 1, s.Count("ul.work form.inline"), "one left to take on")
			s.RequireNoViolations()

			second := "ul.work > li:nth-child(2)"
			s.Click(second + " details summary")
			require.Equal(t, http.StatusUnprocessableEntity, s.Submit(second+` form[action$="/dismiss"] button`), "dismissing without a reason")
			assert.Equal(t, 1, s.Count(`textarea[name="reason"][aria-invalid="true"]`))
			assert.Equal(t, "This is required.", s.Text(`form[action$="/dismiss"] .field-error`))
			assert.Equal(t, 1, s.Count("details[open]"), "the alert's actions open at the error")
			s.RequireNoViolations()

			require.Equal(t, http.StatusOK, s.Submit(`header a[href="/week"]`), "the menu's week plan")
			assert.True(t, strings.HasPrefix(s.Text("h1"), "Week plan"), s.Text("h1"))
			assert.Equal(t, 7, s.Count("section.day"), "Monday to Sunday")
			session := `section.day.today article.planned-item:has(input[name="hours"])`
			require.Equal(t, 1, s.Count(session), "today's coaching session asks for its hours")
			assert.Contains(t, s.Text(session+" h3"), "Tavoitekeskustelu")
			s.RequireNoViolations()
			if !opts.NoJavaScript {
				s.Screenshot("tutor-week")
			}
			s.Click(session + " details summary")
			s.Fill(session+` input[name="hours"]`, "1,5")
			s.Fill(session+` input[name="note"]`, "Sovittiin seuraava tapaaminen")
			require.Equal(t, http.StatusOK, s.Submit(session+" form.held button"), "marking it held")
			assert.Contains(t, s.URL(), "done=held")
			assert.Equal(t, "Marked held.", s.Text(".success"))
			assert.Equal(t, 0, s.Count(session), "a held session leaves the plan")
			s.RequireNoViolations()
		})
	}
}

// TestBrowserHeadOfStudiesDownloadsTheCSV: the head of studies' start
// page is the organisation's caseload with the count of overdue phases
// (the demo's two students whose initial situation is still not mapped
// a month after the group started) and those cases at the top; from the
// figures page they click the CSV link and the browser saves the
// file: its byte-order mark, header row and data rows are there. axe
// checks each page.
func TestBrowserHeadOfStudiesDownloadsTheCSV(t *testing.T) {
	b := browsertest.Start(t)
	demo, srv := demoServer(t)
	s := b.NewSession(t, nil)
	require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyHead, "en"))
	assert.Equal(t, "The organisation's cases", s.Text("h1"))
	assert.Equal(t, len(demo.Cases), s.Count("table.caseload tbody tr"), "the organisation's students, not the other college's")
	assert.Contains(t, s.Text("p.overdue-count"), "Phase deadline passed: 2 cases")
	require.Len(t, demo.Overdue, 2)
	assert.Equal(t, 2, s.Count("table.caseload tbody tr.overdue"), "the overdue rows")
	for i, id := range demo.Overdue {
		href, _ := s.Attribute(fmt.Sprintf("table.caseload tbody tr:nth-child(%d) th a", i+1), "href")
		assert.Contains(t, []string{"/cases/" + string(demo.Overdue[0]), "/cases/" + string(demo.Overdue[1])}, href, "an overdue case at the top, not %s", id)
	}
	assert.Equal(t, "org", func() string { v, _ := s.Attribute("#f-scope option[selected]", "value"); return v }())
	s.RequireNoViolations()

	require.Equal(t, http.StatusOK, s.Submit(`header a[href="/figures"]`), "the menu's figures")
	s.RequireNoViolations()

	d := s.Download(`a[href^="/figures.csv"]`)
	assert.Equal(t, "valo-figures.csv", d.Name)
	assert.Contains(t, d.URL, "model=valo")
	require.True(t, bytes.HasPrefix(d.Content, []byte("\uFEFF")), "a byte-order mark for the spreadsheet")
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(d.Content, []byte("\uFEFF")))).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(rows), 1)
	assert.Equal(t, []string{"key", "breakdown", "label", "kind", "count", "denominator", "percent", "rounding", "includes"}, rows[0])
	// The cohort is the pilot model's: the VALO table counts nobody, and
	// every row is there all the same, with its zero.
	require.Greater(t, len(rows), 2)
	row := rows[1]
	require.Len(t, row, len(rows[0]))
	assert.NotEmpty(t, row[0], "the row's key")
	assert.NotEmpty(t, row[2], "its label")
	assert.Equal(t, "0", row[4], "its count")
}
