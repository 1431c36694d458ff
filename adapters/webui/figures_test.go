package webui_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// figuresFixture is a small VALO cohort stored as the engine keeps it:
// twelve participants of organisation A who entered in 2025 (varied
// destinations, genders and ages, one declined applicant), two of A who
// entered in 2024, and one of B.
type figuresFixture struct {
	h   http.Handler
	ins []outcomes.Input
}

var (
	hostileHead = coaching.Actor{ID: "head-x", Name: `<script>alert("x")</script>`, Organisation: orgA,
		Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	funder = coaching.Actor{ID: "funder-1", Name: "Fanni Funder", Organisation: orgA, Roles: []coaching.Role{coaching.RoleFunder}}
)

func newFiguresFixture(t *testing.T) *figuresFixture {
	t.Helper()
	env := ct.New(t, nil)
	f := &figuresFixture{}
	kinds := []pathway.Kind{pathway.StudiesQualification, pathway.WorkOpen, pathway.WorkSubsidised, pathway.Unemployed,
		pathway.JobSeeking, pathway.Redirected, pathway.Unemployed, pathway.WorkOpen, "", pathway.StudiesQualification,
		pathway.JobSeeking, pathway.Unemployed}
	add := func(i int, org coaching.OrganisationID, entry coaching.Date, state string, k pathway.Kind) {
		in := outcomes.Input{}
		in.Case = coaching.Case{ID: coaching.CaseID(fmt.Sprintf("valo-%02d", i)), Model: coaching.ModelVALO, State: state,
			Organisation: org, OpenedAt: entry.At(9, 0)}
		p := &in.Participant
		p.ID, p.Organisation, p.Language = coaching.ParticipantID(fmt.Sprintf("p-%02d", i)), org, coaching.Finnish
		p.GivenNames, p.FamilyName = "Osallistuja", fmt.Sprint(i)
		p.Background.Gender = []coaching.Gender{coaching.GenderFemale, coaching.GenderMale, coaching.GenderFemale}[i%3]
		p.BirthDate = coaching.NewDate(1990+i%8, time.May, 1)
		p.Background.LabourStatus = coaching.LabourUnemployed
		if k != "" {
			in.Case.State = coaching.ValoClosed
			in.Case.ClosedAt = entry.AddDays(180).At(15, 0)
			in.Destination = &pathway.Destination{Kind: k, Date: entry.AddDays(180)}
		}
		f.ins = append(f.ins, in)
	}
	entry := coaching.NewDate(2025, time.March, 3)
	for i, k := range kinds {
		add(i, orgA, entry.AddDays(i), coaching.ValoSkillAcquisition, k)
	}
	add(20, orgA, entry, coaching.ValoDeclined, "")
	add(21, orgA, coaching.NewDate(2024, time.March, 4), coaching.ValoSkillAcquisition, pathway.WorkOpen)
	add(22, orgA, coaching.NewDate(2024, time.April, 4), coaching.ValoSkillAcquisition, pathway.Unemployed)
	add(23, orgB, entry, coaching.ValoSkillAcquisition, pathway.StudiesQualification)
	ctx := context.Background()
	require.NoError(t, env.Store.Update(ctx, func(tx coaching.Tx) error {
		for _, in := range f.ins {
			if err := tx.InsertParticipant(ctx, in.Participant); err != nil {
				return err
			}
			c := in.Case
			c.ParticipantID, c.Version = in.Participant.ID, 1
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
			if in.Destination != nil {
				data, err := json.Marshal(in.Destination)
				if err != nil {
					return err
				}
				err = tx.AppendRecords(ctx, c.ID, []coaching.Record{{Name: pathway.RecordDestination, At: c.ClosedAt, Data: data}})
				if err != nil {
					return err
				}
			}
		}
		// Sessions: tutor-a 25.5 + 24.5 h and coach-a 10 h in 2025, and
		// sessions the 2025 figures leave out (2024's, B's).
		st, ok := tx.(session.Store)
		if !ok {
			return fmt.Errorf("the memory store keeps no sessions")
		}
		for i, x := range []struct {
			actor string
			role  coaching.Role
			org   coaching.OrganisationID
			date  coaching.Date
			hours string
		}{
			{"tutor-a", coaching.RolePersonalTutor, orgA, entry, "25.5"},
			{"tutor-a", coaching.RolePersonalTutor, orgA, entry.AddDays(30), "24.5"},
			{"coach-a", coaching.RoleCoach, orgA, entry.AddDays(2), "10"},
			{"coach-a", coaching.RoleCoach, orgA, coaching.NewDate(2024, time.May, 2), "80"},
			{"tutor-b", coaching.RolePersonalTutor, orgB, entry, "70"},
		} {
			err := st.PutSession(ctx, session.Session{ID: fmt.Sprintf("s-%d", i), Kind: session.Individual, Date: x.date,
				Hours: decimal.RequireFromString(x.hours), Staff: []session.Staff{{ActorID: x.actor, Role: x.role}},
				Organisation: x.org, At: x.date.At(12, 0), By: x.actor})
			if err != nil {
				return err
			}
		}
		return nil
	}))
	login, err := webui.NewDevLogin([]webui.DevIdentity{
		{Key: "tutor-a", Label: "Tutor", Actor: tutorA},
		{Key: "head-a", Label: "Head", Actor: hostileHead},
		{Key: "funder", Label: "Funder", Actor: funder},
	})
	require.NoError(t, err)
	f.h, err = webui.New(env.Engine, &webui.Options{SessionKey: sessionKey, Login: login})
	require.NoError(t, err)
	return f
}

// expected is outcomes' own table over the inputs keep selects, computed
// from the inputs directly rather than through the store or the page.
func (f *figuresFixture) expected(t *testing.T, keep func(*outcomes.Input) bool) outcomes.VALOTable {
	t.Helper()
	valo := outcomes.NewVALO(nil)
	seq := func(yield func(*outcomes.Input, error) bool) {
		for i := range f.ins {
			if keep(&f.ins[i]) && !yield(&f.ins[i], nil) {
				return
			}
		}
	}
	_, err := outcomes.FeedInputs(iter.Seq2[*outcomes.Input, error](seq), valo)
	require.NoError(t, err)
	tb, err := valo.Table(outcomes.SeedOptions())
	require.NoError(t, err)
	return tb
}

// pageRows reads the VALO table of a figures page: key → [count, percent].
func pageRows(t *testing.T, body string) map[string][2]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	out := map[string][2]string{}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" {
			for _, a := range n.Attr {
				if a.Key == "data-key" {
					var tds []string
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == html.ElementNode && c.Data == "td" {
							tds = append(tds, strings.TrimSpace(text(c)))
						}
					}
					require.Len(t, tds, 2, a.Val)
					out[a.Val] = [2]string{tds[0], tds[1]}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// cohortCells reads the retention table's data cells, one row a cohort.
func cohortCells(t *testing.T, body string) [][]string {
	t.Helper()
	return rowCells(t, body, "cohort")
}

// rowCells reads the cells of the rows of class class (the row header
// first, then the data cells).
func rowCells(t *testing.T, body, class string) [][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	var out [][]string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" && len(n.Attr) == 1 && n.Attr[0].Val == class {
			var tds []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && (c.Data == "td" || (c.Data == "th" && class != "cohort")) && c.FirstChild != nil {
					tds = append(tds, strings.TrimSpace(c.FirstChild.Data))
				}
			}
			out = append(out, tds)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err)
	return n
}

func pctCell(s string, comma bool) string {
	if s == "" {
		return "–"
	}
	if comma {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " %"
}

func TestFiguresPageEqualsOutcomes(t *testing.T) {
	f := newFiguresFixture(t)
	in2025 := func(in *outcomes.Input) bool {
		d := outcomes.EntryDateOf(in)
		return in.Case.Organisation == orgA && in.Case.State != coaching.ValoDeclined && d.Year == 2025
	}
	want := f.expected(t, in2025)
	require.EqualValues(t, 12, want.Denominator)
	for _, lang := range []string{"fi", "en"} {
		t.Run(lang, func(t *testing.T) {
			c := &client{t: t, h: f.h}
			c.signIn("", "head-a", lang)
			rec := c.get("/figures?from=2025-01-01&to=2025-12-31&model=valo")
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			checkPage(t, rec)
			body := rec.Body.String()
			got := pageRows(t, body)
			require.Len(t, got, len(want.Rows))
			for _, r := range want.Rows {
				assert.Equal(t, [2]string{fmt.Sprint(r.Count), pctCell(r.PercentString(), lang == "fi")}, got[r.Key], r.Key)
			}
			// The header shows the signed-in name escaped, never as markup.
			assert.NotContains(t, body, `<script>alert`)
			assert.Contains(t, body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`)
			assert.Contains(t, body, `href="/figures"`, "the menu offers the figures")
			if lang == "fi" {
				r, _ := want.Row("destination.unemployed")
				assert.Contains(t, body, strings.Replace(r.PercentString(), ".", ",", 1)+" %", "a decimal comma in Finnish")
			}

			// The chart: an image with a title and a description, one bar
			// per destination row.
			doc, err := html.Parse(strings.NewReader(body))
			require.NoError(t, err)
			var svgs, rects, titles int
			var bars []string
			var walk func(n *html.Node, inSVG bool)
			walk = func(n *html.Node, inSVG bool) {
				if n.Type == html.ElementNode {
					attrs := map[string]string{}
					for _, a := range n.Attr {
						attrs[a.Key] = a.Val
					}
					switch {
					case n.Data == "svg":
						svgs++
						inSVG = true
						assert.Equal(t, "img", attrs["role"])
						assert.Contains(t, []string{"dest-title dest-desc", "ret-title ret-desc", "hours-title hours-desc"}, attrs["aria-labelledby"])
						for id := range strings.FieldsSeq(attrs["aria-labelledby"]) {
							assert.Contains(t, body, `id="`+id+`"`)
						}
					case inSVG && n.Data == "title":
						titles++
						require.NotNil(t, n.FirstChild)
						assert.NotEmpty(t, strings.TrimSpace(n.FirstChild.Data))
					case inSVG && n.Data == "rect":
						rects++
						bars = append(bars, attrs["width"])
						assert.NotEmpty(t, attrs["fill"], "a presentation attribute, not a style")
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c, inSVG)
				}
			}
			walk(doc, false)
			var dest []outcomes.Row
			for _, r := range want.Rows {
				if r.Breakdown == "destination" {
					dest = append(dest, r)
				}
			}
			assert.Equal(t, 3, svgs, "onward paths, retention and team hours")
			assert.Equal(t, 3, titles)
			require.Equal(t, len(dest)+3+1+2, rects, "one bar per destination row, per cohort and per member, and the band")
			// The largest count has the longest bar; a zero row none.
			var most int64
			for _, r := range dest {
				most = max(most, r.Count)
			}
			for i, r := range dest {
				assert.Equal(t, fmt.Sprint(r.Count*250/most), bars[i], r.Key)
			}

			// Retention: the 2025 cohort against 2024's and 2023's, as
			// outcomes compares them.
			var cohorts [3]outcomes.RetentionCohort
			for i := range f.ins {
				in := &f.ins[i]
				if in.Case.Organisation == orgA && in.Case.State != coaching.ValoDeclined {
					if y := 2025 - outcomes.EntryDateOf(in).Year; y >= 0 && y < 3 {
						cohorts[y].Add(in.Case.ClosedAt.IsZero(), in.Destination)
					}
				}
			}
			rep, err := outcomes.CompareRetention(cohorts[0], cohorts[1:], outcomes.SeedOptions())
			require.NoError(t, err)
			require.True(t, rep.Current.Rate.Valid)
			require.True(t, rep.Earlier[0].DifferencePP.Valid)
			assert.False(t, rep.Earlier[1].Rate.Valid, "nobody entered in 2023")
			cells := cohortCells(t, body)
			require.Len(t, cells, 3)
			num := func(d decimal.NullDecimal) string {
				if !d.Valid {
					return "–"
				}
				s := d.Decimal.StringFixed(rep.Places)
				if lang == "fi" {
					s = strings.Replace(s, ".", ",", 1)
				}
				return s
			}
			for i, r := range append([]outcomes.RetentionRow{rep.Current}, rep.Earlier...) {
				rate := num(r.Rate)
				if r.Rate.Valid {
					rate += " %"
				}
				assert.Equal(t, []string{fmt.Sprint(r.Started), fmt.Sprint(r.Retained), fmt.Sprint(r.Unknown), rate, num(r.DifferencePP)},
					cells[i], "cohort %d", i)
			}
			// Team hours: 2025's sessions of A against 40–100 h (the
			// period is a whole year); per member, the coach below the
			// allocation, the tutor within it. Members are numbered, never
			// shown by their actor id.
			hours := rowCells(t, body, "member")
			comma := func(s string) string {
				if lang == "fi" {
					return strings.Replace(s, ".", ",", 1)
				}
				return s
			}
			status := map[string][2]string{"fi": {"alle resursoinnin", "resursoinnin rajoissa"}, "en": {"below the allocation", "within the allocation"}}[lang]
			assert.Equal(t, [][]string{
				{map[string]string{"fi": "Henkilö 1", "en": "Staff member 1"}[lang], map[string]string{"fi": "Valmentaja", "en": "Coach"}[lang], "10", status[0], comma("10.0") + " %"},
				{map[string]string{"fi": "Henkilö 2", "en": "Staff member 2"}[lang], map[string]string{"fi": "Omaohjaaja", "en": "Personal tutor"}[lang], "50", status[1], comma("50.0") + " %"},
			}, hours)
			assert.NotContains(t, body, "coach-a", "an actor id in the table or the chart")
			assert.NotContains(t, body, "tutor-a")
			assert.Contains(t, body, "40–100 h")
			assert.Equal(t, rep.Current.Rate.Decimal.Mul(decimal.NewFromInt(250)).Div(decimal.NewFromInt(100)).IntPart(),
				mustAtoi(t, bars[len(dest)]), "the current cohort's bar on the 0–100 % scale")
		})
	}
}

func TestFiguresCSVEqualsTable(t *testing.T) {
	f := newFiguresFixture(t)
	want := f.expected(t, func(in *outcomes.Input) bool {
		return in.Case.Organisation == orgA && in.Case.State != coaching.ValoDeclined
	})
	require.EqualValues(t, 14, want.Denominator, "no period: every year")
	for _, tc := range []struct {
		lang  string
		comma rune
	}{{"fi", ';'}, {"sv", ';'}, {"en", ','}} {
		t.Run(tc.lang, func(t *testing.T) {
			c := &client{t: t, h: f.h}
			c.signIn("", "head-a", tc.lang)
			rec := c.get("/figures.csv?from=&to=&model=valo")
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Equal(t, `attachment; filename="valo-figures.csv"`, rec.Header().Get("Content-Disposition"))
			body := rec.Body.Bytes()
			require.True(t, bytes.HasPrefix(body, []byte("\uFEFF")), "a byte-order mark for Excel")
			r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF"))))
			r.Comma = tc.comma
			recs, err := r.ReadAll()
			require.NoError(t, err)
			require.Len(t, recs, len(want.Rows)+1)
			assert.Equal(t, []string{"key", "breakdown", "label", "kind", "count", "denominator", "percent", "rounding", "includes"}, recs[0])
			for i, row := range want.Rows {
				got := recs[i+1]
				pct := row.PercentString()
				if tc.lang != "en" {
					pct = strings.Replace(pct, ".", ",", 1)
				}
				assert.Equal(t, []string{row.Key, row.Breakdown, fmt.Sprint(row.Count), fmt.Sprint(row.Denominator), pct,
					string(row.Rounding), strings.Join(row.Includes, " ")},
					[]string{got[0], got[1], got[4], got[5], got[6], got[7], got[8]}, row.Key)
				assert.NotEmpty(t, got[2], "a label")
			}
			// The page of the same query shows the same numbers.
			page := c.get("/figures?model=valo")
			require.Equal(t, http.StatusOK, page.Code)
			rows := pageRows(t, page.Body.String())
			for _, rec := range recs[1:] {
				pct := "–"
				if rec[6] != "" {
					pct = rec[6] + " %"
				}
				assert.Equal(t, [2]string{rec[4], pct}, rows[rec[0]], rec[0])
			}
		})
	}
}

func TestFiguresFunderSeesAggregate(t *testing.T) {
	f := newFiguresFixture(t)
	want := f.expected(t, func(in *outcomes.Input) bool { return in.Case.State != coaching.ValoDeclined })
	require.EqualValues(t, 15, want.Denominator, "both organisations")
	c := &client{t: t, h: f.h}
	c.signIn("", "funder", "en")
	rec := c.get("/figures")
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "every organisation in aggregate")
	yearly := c.get("/figures?from=2025-01-01&to=2025-12-31")
	require.Equal(t, http.StatusOK, yearly.Code)
	checkPage(t, yearly)
	assert.Contains(t, yearly.Body.String(), `id="h-ret"`, "retention is in aggregate")
	assert.NotContains(t, yearly.Body.String(), `id="h-hours"`, "no person's hours for a funder")
	assert.NotContains(t, yearly.Body.String(), "tutor-")
	// A funder's figures leave the organisation: small counts and their
	// complementary cells are suppressed (outcomes' own tests prove the
	// rule), the rest exact.
	sup, err := want.Suppress(outcomes.DefaultSuppressionThreshold)
	require.NoError(t, err)
	got := pageRows(t, rec.Body.String())
	suppressed := 0
	for _, r := range sup.Rows {
		if r.Suppressed {
			suppressed++
			assert.Equal(t, outcomes.SuppressedMark, got[r.Key][0], r.Key)
			continue
		}
		assert.Equal(t, fmt.Sprint(r.Count), got[r.Key][0], r.Key)
	}
	assert.Positive(t, suppressed, "15 participants have small cells")
	assert.Contains(t, text, "small-number protection")
}

func TestFiguresForbiddenAndBadInput(t *testing.T) {
	f := newFiguresFixture(t)
	tutor := &client{t: t, h: f.h}
	tutor.signIn("", "tutor-a", "fi")
	for _, path := range []string{"/figures", "/figures?from=2025-01-01", "/figures.csv"} {
		rec := tutor.get(path)
		assert.Equal(t, http.StatusForbidden, rec.Code, path)
		checkPage(t, rec)
	}
	start := tutor.get("/")
	assert.NotContains(t, start.Body.String(), `href="/figures"`, "no figures in a tutor's menu")

	head := &client{t: t, h: f.h}
	head.signIn("", "head-a", "en")
	rec := head.get("/figures?from=2025-13-01&to=2024-01-01&model=%3Cb%3E")
	assert.Equal(t, http.StatusBadRequest, rec.Code, "a bad query is a bad request")
	text := checkPage(t, rec)
	assert.Contains(t, text, "Not a date")
	assert.Contains(t, text, "No figures are computed for this model.")
	assert.NotContains(t, rec.Body.String(), "<b>")
	rec = head.get("/figures?from=2025-06-01&to=2025-01-01")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, checkPage(t, rec), "The end date is before the start date.")
	assert.Equal(t, http.StatusBadRequest, head.get("/figures.csv?from=nonsense").Code)
	// Someone not signed in goes to the sign-in page.
	anon := &client{t: t, h: f.h}
	assert.Equal(t, http.StatusSeeOther, anon.get("/figures").Code)
}
