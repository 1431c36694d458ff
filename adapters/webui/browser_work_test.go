package webui_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/examples/webui/webuidemo"
	"github.com/valmennus/valmennus/internal/browsertest"
	"github.com/valmennus/valmennus/pathway"
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
// a month after the group started) and those cases at the top, and the
// workshop's open cases among the group's; the figures page for the year
// up to today shows the workshop's figures (the retention of this year's
// cohort against the two years before, the staff's hours against the
// allocation; its screenshot is "head-figures"); from the figures page
// they click the CSV link and the browser saves the file: its
// byte-order mark, header row and data rows are there, the onward path
// to work counting the workshop's participants who went on to work. axe
// checks each page.
func TestBrowserHeadOfStudiesDownloadsTheCSV(t *testing.T) {
	b := browsertest.Start(t)
	demo, srv := demoServer(t)
	s := b.NewSession(t, &browsertest.Options{ScreenshotDir: screenshotDir(t)})
	require.Equal(t, http.StatusOK, signIn(t, s, srv.URL, webuidemo.KeyHead, "en"))
	assert.Equal(t, "The organisation's cases", s.Text("h1"))
	assert.Equal(t, len(demo.Cases)+len(demo.WorkshopOpen), s.Count("table.caseload tbody tr"),
		"the organisation's students and open workshop cases, not the other college's")
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

	// The year up to today: this year's cohort against the same period
	// of the two years before, and the staff's hours of the year.
	year := url.Values{"from": {demo.Today.AddDays(-364).String()}, "to": {demo.Today.String()}, "model": {coaching.ModelVALO}}
	require.Equal(t, http.StatusOK, s.Navigate(srv.URL+"/figures?"+year.Encode()))
	assert.Equal(t, 3, s.Count("table.retention tbody tr.cohort"), "this year's cohort and the two before")
	assert.Equal(t, 4, s.Count("table.hours tbody tr.member"), "the two workshop coaches and the pilot's tutor and coach")
	assert.Equal(t, fmt.Sprint(demo.WorkshopOnward(pathway.GroupWork, 0)), s.Text(`table.valo tr[data-key="destination.work"] td`))
	s.RequireNoViolations()
	s.Screenshot("head-figures")

	d := s.Download(`a[href^="/figures.csv"]`)
	assert.Equal(t, "valo-figures.csv", d.Name)
	assert.Contains(t, d.URL, "model=valo")
	require.True(t, bytes.HasPrefix(d.Content, []byte("\uFEFF")), "a byte-order mark for the spreadsheet")
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(d.Content, []byte("\uFEFF")))).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(rows), 1)
	assert.Equal(t, []string{"key", "breakdown", "label", "kind", "count", "denominator", "percent", "rounding", "includes"}, rows[0])
	// The year's figures: the onward path to work counts this year's
	// participants who went on to work, of the year's admitted.
	var work []string
	for _, row := range rows[1:] {
		require.Len(t, row, len(rows[0]))
		if row[0] == "destination.work" {
			work = row
		}
	}
	require.NotNil(t, work, "the row of the onward path to work")
	assert.NotEmpty(t, work[2], "its label")
	assert.Equal(t, "3", work[4], "its count")
	assert.Equal(t, fmt.Sprint(demo.WorkshopOnward(pathway.GroupWork, 0)), work[4], "as the demo built it")
	assert.Equal(t, "12", work[5], "its denominator: the year's admitted participants")
}
