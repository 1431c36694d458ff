package webui

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
)

// The head of studies' and the funder's figures: GET /figures shows the
// VALO table and the ESF indicators over the cases of one model whose
// entry date falls in a period, with the onward paths as a bar chart
// rendered here as SVG; GET /figures.csv is the same VALO table as a
// spreadsheet. Both read through outcomes.FromEngine, so the policy's
// read_figures rule decides who sees them (by default the organisation's
// head of studies, and a funder in aggregate across organisations); anyone
// else gets the 403 page. The figures are computed as the JSON API's
// /figures/valo computes them: admitted participants only, under
// outcomes.SeedOptions.
//
// Retention against earlier cohorts is shown when the period has both
// ends: the cohort is the participants who entered in the period, the
// earlier cohorts those who entered in the same period one and two years
// before, and outcomes.CompareRetention compares them. A participant
// counts as retained (outcomes.RetentionCohort) while their case is open,
// or when they left for education or training or were redirected to a
// better-suited field.
//
// Team hours (session.Service.TeamHours, under the same read_figures
// rule) are shown against the 40–100 h yearly allocation
// (outcomes.DefaultAllocation, prorated to the period's days over 365)
// when the period has both ends, to anyone but a funder: they are hours
// per staff member, and a funder sees figures in aggregate only, never a
// person's. Members are shown by their role and a number (staff member
// 1, 2, … in the order of their ids), the viewer by their own name: an
// actor id is never shown, nor a name the sessions do not record.

// figureRoles are offered the figures in the menu; the page itself asks
// the policy, so a host's own policy still decides.
var figureRoles = []coaching.Role{coaching.RoleHeadOfStudies, coaching.RoleFunder}

// ReadsFigures reports whether the menu offers the figures.
func (u *userView) ReadsFigures() bool {
	return slices.ContainsFunc(u.Roles, func(r coaching.Role) bool { return slices.Contains(figureRoles, r) })
}

// Bar chart geometry, in the SVG's own units (it scales to its box).
const (
	chartWidth  = 760
	chartLabelX = 330 // labels end here (text-anchor end)
	chartBarX   = 340 // bars start here
	chartBarMax = 250 // the longest bar (room for its value after it)
	chartRow    = 28  // one bar's band
	chartBar    = 18  // one bar's height
	chartTop    = 8
	chartFill   = "#005a9c" // contrast 7.1:1 on white
)

// figuresView is the figures page's data.
type figuresView struct {
	// The period and model as the form gave them.
	From, To, Model string
	Models          []string
	// Problems are the form fields' problems by field name.
	Problems map[string]string
	// Shown: the form holds and the figures below are computed.
	Shown bool
	// Aggregate: a funder's figures across organisations.
	Aggregate bool
	Table     outcomes.VALOTable
	Rows      []figureRow
	// Notes are the VALO table's notes, and ESFTitles the ESF
	// indicators' titles, in the page's language (outcomes' own English
	// where the catalogue has no text of them).
	Notes     []localText
	ESF       outcomes.ESFReport
	ESFTitles []localText
	Chart     barChart
	CSV       string
	// Retention is set when the period has both ends.
	Retention *retentionView
	// Hours is set when the period has both ends, for anyone but a
	// funder.
	Hours *hoursView
}

// hoursView is the team hours against the allocation.
type hoursView struct {
	Min, Max, Total string
	Rows            []hoursRow
	Chart           hoursChart
}

type hoursRow struct {
	Member, Role, Hours, Status, OfMax string
}

// hoursChart is bars of hours over the allocation band.
type hoursChart struct {
	barChart
	BandX, BandWidth int
	BandFill         string
}

// retentionView is the retention comparison as the page shows it.
type retentionView struct {
	Rows  []retentionRow
	Chart barChart
	Note  localText
}

// localText is a text of outcomes (in English) as the page shows it: the
// catalogue's text in the page's language when the catalogue knows it,
// else outcomes' own with Lang "en" for the page's lang attribute.
type localText struct {
	Text, Lang string
}

// outcomesText says en, a text outcomes writes in English, in lang: the
// catalogue's text of key, when its English is en word for word (so that
// a text outcomes has changed since is shown as it is now, in English,
// rather than translated from what it was).
func outcomesText(key, en string, lang coaching.Language) localText {
	if tx, ok := catalogue[key]; ok && tx.en == en {
		return localText{Text: tx.in(lang)}
	}
	return localText{Text: en, Lang: "en"}
}

type retentionRow struct {
	Label                      string
	Started, Retained, Unknown int64
	Rate, Difference           string
}

// retentionPeriods are the cohorts compared: the period and the same
// period one and two years before.
const retentionPeriods = 3

// figureRow is one VALO row as the page and the CSV show it.
type figureRow struct {
	Key, Breakdown, Kind string
	Label                string
	// LabelLang is "en" when the label is outcomes' own (English) text.
	LabelLang          string
	Count, Denominator int64
	Percent            string
	// Suppressed: a funder's figure not published (small-number
	// protection, outcomes.VALOTable.Suppress); Count is 0.
	Suppressed bool
}

// barChart is a horizontal bar chart, every coordinate computed here.
type barChart struct {
	Width, Height      int
	LabelX, BarX, BarH int
	Fill               string
	Bars               []bar
}

type bar struct {
	Label                      string
	Value                      string
	Y, TextY, BarWidth, ValueX int
}

// chartGlyph is a generous width of one character of a chart's 13-unit
// text, in the SVG's units.
const chartGlyph = 8

// fit widens the chart so that every bar's value, written after the bar,
// ends inside it: a long bar with a long value ("111 h, above the
// allocation") would otherwise be cut at the edge.
func (c *barChart) fit() {
	for _, b := range c.Bars {
		c.Width = max(c.Width, b.ValueX+chartGlyph*utf8.RuneCountInString(b.Value)+chartGlyph)
	}
}

// figuresQuery is a parsed figures form.
type figuresQuery struct {
	from, to coaching.Date
	model    string
}

// parseFigures reads the form; an empty date leaves that end of the
// period open.
func (h *handler) parseFigures(v url.Values, lang coaching.Language, fv *figuresView) (figuresQuery, bool) {
	fv.From, fv.To, fv.Model = strings.TrimSpace(v.Get("from")), strings.TrimSpace(v.Get("to")), strings.TrimSpace(v.Get("model"))
	fv.Problems = map[string]string{}
	fv.Models = []string{coaching.ModelVALO}
	problem := func(field, key string) { fv.Problems[field] = catalogue[key].in(lang) }
	var q figuresQuery
	if fv.Model == "" {
		fv.Model = coaching.ModelVALO
	}
	if _, ok := h.eng.Model(fv.Model); !ok || !slices.Contains(fv.Models, fv.Model) {
		problem("model", "fig.err.model")
	}
	q.model = fv.Model
	for _, f := range []struct {
		name string
		raw  string
		d    *coaching.Date
	}{{"from", fv.From, &q.from}, {"to", fv.To, &q.to}} {
		if f.raw == "" {
			continue
		}
		d, err := coaching.ParseDate(f.raw)
		if err != nil {
			problem(f.name, "att.err.date")
			continue
		}
		*f.d = d
	}
	if !q.from.IsZero() && !q.to.IsZero() && q.to.Before(q.from) {
		problem("to", "fig.err.order")
	}
	return q, len(fv.Problems) == 0
}

// figureSink passes on the admitted participants (a declined applicant is
// not in the figures, as in the JSON API) whose entry date is in the
// period.
type figureSink struct {
	outcomes.Sink
	from, to coaching.Date
}

func (s figureSink) Add(in *outcomes.Input) {
	if in.Case.State == coaching.ValoDeclined {
		return
	}
	if !s.from.IsZero() || !s.to.IsZero() {
		d := outcomes.EntryDateOf(in)
		if d.IsZero() || (!s.from.IsZero() && d.Before(s.from)) || (!s.to.IsZero() && d.After(s.to)) {
			return
		}
	}
	s.Sink.Add(in)
}

// retentionSink counts the cohorts of periods[i] = [from, to] into
// cohorts[i].
type retentionSink struct {
	periods [retentionPeriods][2]coaching.Date
	cohorts *[retentionPeriods]outcomes.RetentionCohort
}

func (s retentionSink) Add(in *outcomes.Input) {
	d := outcomes.EntryDateOf(in)
	if d.IsZero() {
		return
	}
	for i, p := range s.periods {
		if !d.Before(p[0]) && !d.After(p[1]) {
			s.cohorts[i].Add(in.Case.ClosedAt.IsZero(), in.Destination)
			return
		}
	}
}

// daysBetween is the number of days from a to b.
func daysBetween(a, b coaching.Date) int64 {
	utc := func(d coaching.Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }
	return int64(utc(b).Sub(utc(a)) / (24 * time.Hour))
}

// yearsBefore is d n years earlier (29 February becomes 1 March).
func yearsBefore(d coaching.Date, n int) coaching.Date {
	return coaching.DateOf(d.At(12, 0).AddDate(-n, 0, 0))
}

// figures are what one read of the cases computes.
type figures struct {
	table     outcomes.VALOTable
	esf       outcomes.ESFReport
	retention *outcomes.RetentionReport
	periods   [retentionPeriods][2]coaching.Date
}

// computeFigures reads the VALO table, the ESF report and (with both ends
// of the period) the retention comparison for s's actor under the policy,
// in one pass over the cases.
func (h *handler) computeFigures(r *http.Request, s session, q figuresQuery) (figures, error) {
	var out figures
	valo, esf := outcomes.NewVALO(nil), outcomes.NewESF()
	sinks := []outcomes.Sink{figureSink{valo, q.from, q.to}, figureSink{esf, q.from, q.to}}
	var cohorts [retentionPeriods]outcomes.RetentionCohort
	withRetention := !q.from.IsZero() && !q.to.IsZero()
	if withRetention {
		rs := retentionSink{cohorts: &cohorts}
		for i := range retentionPeriods {
			rs.periods[i] = [2]coaching.Date{yearsBefore(q.from, i), yearsBefore(q.to, i)}
		}
		out.periods = rs.periods
		sinks = append(sinks, figureSink{Sink: rs})
	}
	if _, err := outcomes.FromEngine(r.Context(), h.eng, s.actor(), coaching.CaseQuery{Model: q.model}, sinks...); err != nil {
		return out, err
	}
	var err error
	if out.table, err = valo.Table(outcomes.SeedOptions()); err != nil {
		return out, err
	}
	out.esf = esf.Report()
	if s.actor().HasRole(coaching.RoleFunder) {
		// A funder's figures leave the organisation: small counts are
		// suppressed, with their complementary cells.
		if out.table, err = out.table.Suppress(outcomes.DefaultSuppressionThreshold); err != nil {
			return out, err
		}
		if out.esf, err = out.esf.Suppress(outcomes.DefaultSuppressionThreshold); err != nil {
			return out, err
		}
	}
	if withRetention {
		rep, err := outcomes.CompareRetention(cohorts[0], cohorts[1:], outcomes.SeedOptions())
		if err != nil {
			return out, err
		}
		out.retention = &rep
	}
	return out, nil
}

// teamHours compares the staff's session hours in the period with the
// prorated allocation.
func (h *handler) teamHours(r *http.Request, s session, q figuresQuery, lang coaching.Language) (*hoursView, error) {
	hours, err := h.sess.TeamHours(r.Context(), s.actor(), q.from, q.to)
	if err != nil {
		return nil, err
	}
	days := decimal.NewFromInt(daysBetween(q.from, q.to) + 1)
	share := days.Div(decimal.NewFromInt(365))
	def := outcomes.DefaultAllocation()
	alloc := outcomes.Allocation{Min: def.Min.Mul(share).Round(2), Max: def.Max.Mul(share).Round(2)}
	members := make([]outcomes.MemberHours, len(hours))
	named := map[string]string{} // actor id → shown as
	for i, x := range hours {
		shown, ok := named[x.ActorID]
		switch {
		case ok:
		case x.ActorID == s.ID && s.Name != "":
			shown = s.Name
		default:
			shown = fmt.Sprintf(catalogue["fig.hours.member"].in(lang), len(named)+1)
		}
		named[x.ActorID] = shown
		members[i] = outcomes.MemberHours{Member: shown, Role: string(x.Role), Hours: x.Hours, Allocation: alloc}
	}
	rep, err := outcomes.TeamHours(members, nil, outcomes.SeedOptions())
	if err != nil {
		return nil, err
	}
	hv := &hoursView{Min: decimalIn(alloc.Min.String(), lang), Max: decimalIn(alloc.Max.String(), lang),
		Total: decimalIn(rep.TotalHours.String(), lang)}
	// The scale: the larger of the longest bar and the band's end, with
	// room for the value after it.
	top := alloc.Max
	for _, x := range rep.Rows {
		top = decimal.Max(top, x.Hours)
	}
	px := func(d decimal.Decimal) int {
		if !top.IsPositive() {
			return 0
		}
		return int(d.Mul(decimal.NewFromInt(chartBarMax)).Div(top).IntPart())
	}
	c := hoursChart{barChart: barChart{Width: chartWidth, Height: 2*chartTop + chartRow*max(len(rep.Rows), 1), LabelX: chartLabelX,
		BarX: chartBarX, BarH: chartBar, Fill: chartFill}, BandFill: "#cfe3f3"}
	c.BandX, c.BandWidth = chartBarX+px(alloc.Min), px(alloc.Max)-px(alloc.Min)
	for i, x := range rep.Rows {
		row := hoursRow{Member: x.Member, Role: label("role.", x.Role, lang), Hours: decimalIn(x.Hours.String(), lang),
			Status: catalogue["fig.hours."+x.Status].in(lang)}
		if x.OfMax.Valid {
			row.OfMax = decimalIn(x.OfMax.Decimal.StringFixed(1), lang)
		}
		hv.Rows = append(hv.Rows, row)
		y := chartTop + i*chartRow
		w := px(x.Hours)
		c.Bars = append(c.Bars, bar{Label: x.Member + " (" + row.Role + ")", Value: row.Hours + " h, " + row.Status,
			Y: y, TextY: y + chartBar - 4, BarWidth: w, ValueX: chartBarX + w + 6})
	}
	c.fit()
	hv.Chart = c
	return hv, nil
}

// retentionView lays the comparison out in lang: the current cohort
// first, each cohort's rate as a bar on a 0–100 % scale.
func retentionOf(rep *outcomes.RetentionReport, periods [retentionPeriods][2]coaching.Date, lang coaching.Language) *retentionView {
	rv := &retentionView{Note: outcomesText("fig.note.retention", outcomes.RetentionNote(), lang)}
	rows := append([]outcomes.RetentionRow{rep.Current}, rep.Earlier...)
	rv.Chart = barChart{Width: chartWidth, Height: 2*chartTop + chartRow*len(rows), LabelX: chartLabelX, BarX: chartBarX,
		BarH: chartBar, Fill: chartFill}
	for i, r := range rows {
		label := formatDate(periods[i][0], lang) + "–" + formatDate(periods[i][1], lang)
		row := retentionRow{Label: label, Started: r.Started, Retained: r.Retained, Unknown: r.Unknown}
		w, value := 0, "–"
		if r.Rate.Valid {
			row.Rate = decimalIn(r.Rate.Decimal.StringFixed(rep.Places), lang)
			w = int(r.Rate.Decimal.Mul(decimal.NewFromInt(chartBarMax)).Div(decimal.NewFromInt(100)).IntPart())
			value = row.Rate + " %"
		}
		if r.DifferencePP.Valid {
			row.Difference = decimalIn(r.DifferencePP.Decimal.StringFixed(rep.Places), lang)
		}
		y := chartTop + i*chartRow
		rv.Chart.Bars = append(rv.Chart.Bars, bar{Label: label, Value: value, Y: y, TextY: y + chartBar - 4, BarWidth: w,
			ValueX: chartBarX + w + 6})
		rv.Rows = append(rv.Rows, row)
	}
	rv.Chart.fit()
	return rv
}

// decimalIn writes an exact decimal string ("29.8") as lang writes it:
// with a decimal comma in Finnish and Swedish.
func decimalIn(s string, lang coaching.Language) string {
	if lang == coaching.English {
		return s
	}
	return strings.Replace(s, ".", ",", 1)
}

// figureRows are t's rows in lang.
func figureRows(t outcomes.VALOTable, lang coaching.Language) []figureRow {
	out := make([]figureRow, len(t.Rows))
	for i, r := range t.Rows {
		fr := figureRow{Key: r.Key, Breakdown: r.Breakdown, Kind: r.Kind, Label: r.Label, LabelLang: "en",
			Count: r.Count, Denominator: r.Denominator, Percent: decimalIn(r.PercentString(), lang), Suppressed: r.Suppressed}
		if tx, ok := catalogue["fig.row."+r.Key]; ok {
			fr.Label, fr.LabelLang = tx.in(lang), ""
		}
		out[i] = fr
	}
	return out
}

// destinationChart is the onward paths (the destination breakdown, every
// row, zeros included) as bars scaled to the largest count.
func destinationChart(rows []figureRow) barChart {
	var dest []figureRow
	var most int64
	for _, r := range rows {
		if r.Breakdown == "destination" {
			dest = append(dest, r)
			most = max(most, r.Count)
		}
	}
	c := barChart{Width: chartWidth, Height: 2*chartTop + chartRow*len(dest), LabelX: chartLabelX, BarX: chartBarX,
		BarH: chartBar, Fill: chartFill}
	for i, r := range dest {
		w := 0
		if most > 0 {
			w = int(r.Count * chartBarMax / most)
		}
		y := chartTop + i*chartRow
		v := fmt.Sprint(r.Count)
		if r.Suppressed {
			v = outcomes.SuppressedMark
		} else if r.Percent != "" {
			v += " (" + r.Percent + " %)"
		}
		c.Bars = append(c.Bars, bar{Label: r.Label, Value: v, Y: y, TextY: y + chartBar - 4, BarWidth: w, ValueX: chartBarX + w + 6})
	}
	c.fit()
	return c
}

// figuresPage answers GET /figures.
func (h *handler) figuresPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	fv := &figuresView{}
	q, valid := h.parseFigures(r.URL.Query(), s.Lang, fv)
	status := http.StatusOK
	if !valid {
		// The form with its problems, once the policy lets the actor read
		// figures at all (the default period and model).
		// A bad query is a bad request (400); 422 is for refused forms.
		q, status = figuresQuery{model: coaching.ModelVALO}, http.StatusBadRequest
	}
	fg, err := h.computeFigures(r, s, q)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if valid {
		t := fg.table
		fv.Shown, fv.Table, fv.ESF = true, t, fg.esf
		if fg.retention != nil {
			fv.Retention = retentionOf(fg.retention, fg.periods, s.Lang)
			if !s.actor().HasRole(coaching.RoleFunder) {
				if fv.Hours, err = h.teamHours(r, s, q, s.Lang); err != nil {
					h.failed(w, r, err)
					return
				}
			}
		}
		fv.Rows = figureRows(t, s.Lang)
		for i, n := range t.Notes {
			fv.Notes = append(fv.Notes, outcomesText("fig.note.valo."+strconv.Itoa(i+1), n, s.Lang))
		}
		for _, in := range fg.esf.Indicators {
			fv.ESFTitles = append(fv.ESFTitles, outcomesText("fig.esf."+in.Code, in.Title, s.Lang))
		}
		fv.Chart = destinationChart(fv.Rows)
		fv.CSV = h.prefix + "/figures.csv?" + url.Values{"from": {fv.From}, "to": {fv.To}, "model": {fv.Model}}.Encode()
		fv.Aggregate = s.actor().HasRole(coaching.RoleFunder)
	}
	h.render(w, r, status, "figures.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: fv})
}

// figuresCSV answers GET /figures.csv: the VALO table, every row
// (complements and zero rows included), as a download.
//
// The format is what a spreadsheet opened by the reader's language reads
// without an import dialog: UTF-8 with a byte-order mark, and in Finnish
// and Swedish ';' between cells and a decimal comma (as Excel in a
// Finnish locale expects); in English ',' and a decimal point. Labels are
// in the session's language; the key, breakdown, kind and includes columns
// are outcomes' own codes, as the JSON API and outcomes' CSV write them.
// A cell that a spreadsheet would read as a formula is prefixed with '.
func (h *handler) figuresCSV(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	fv := &figuresView{}
	q, valid := h.parseFigures(r.URL.Query(), s.Lang, fv)
	if !valid {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	fg, err := h.computeFigures(r, s, q)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	t := fg.table
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	cw := csv.NewWriter(&buf)
	if s.Lang != coaching.English {
		cw.Comma = ';'
	}
	rows := figureRows(t, s.Lang)
	_ = cw.Write([]string{"key", "breakdown", "label", "kind", "count", "denominator", "percent", "rounding", "includes"})
	for i, fr := range rows {
		o := t.Rows[i]
		count, pct := fmt.Sprint(fr.Count), fr.Percent
		if fr.Suppressed {
			count, pct = outcomes.SuppressedMark, outcomes.SuppressedMark
		}
		_ = cw.Write(csvCells(fr.Key, fr.Breakdown, fr.Label, fr.Kind, count, fmt.Sprint(fr.Denominator),
			pct, string(o.Rounding), strings.Join(o.Includes, " ")))
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="valo-figures.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// csvCells defuses spreadsheet formula injection in every cell, by the
// rule the library's own CSV exports follow (outcomes.DefuseCSVCell).
func csvCells(cells ...string) []string {
	for i, c := range cells {
		cells[i] = outcomes.DefuseCSVCell(c)
	}
	return cells
}
