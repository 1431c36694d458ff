package webui

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
)

// The CSV's cells never start a formula: a cell beginning with = + - @
// or a tab or carriage return gets a leading apostrophe unless the whole
// cell is a number — "-1+1" begins like one but is a formula.
func TestCSVCellsDefuseFormulas(t *testing.T) {
	for _, c := range []string{"-1+1", "+1+1", "-2-cmd|' /C calc'!A0", "=1", "@SUM(A1)", "\t=1", "-Inf", "-0x1p3", "-1,5,0"} {
		assert.Equal(t, "'"+c, csvCells(c)[0], "%q", c)
	}
	for _, c := range []string{"-1", "+2", "-1.5", "-1,5", "12,5", "0", "Valmentaja", "", "1e3"} {
		assert.Equal(t, c, csvCells(c)[0], "%q is no formula", c)
	}
}

// Every text outcomes writes in English that the figures page shows — the
// ESF indicators' titles, the VALO table's notes, the retention note —
// has its entry in the catalogue, whose English is outcomes' word for
// word: a page in Finnish or Swedish shows none of them in English.
func TestFiguresOutcomesTextsInTheCatalogue(t *testing.T) {
	table, err := outcomes.NewVALO(nil).Table(outcomes.SeedOptions())
	require.NoError(t, err)
	require.NotEmpty(t, table.Notes)
	for _, lang := range []coaching.Language{coaching.Finnish, coaching.Swedish} {
		for _, in := range outcomes.NewESF().Report().Indicators {
			lt := outcomesText("fig.esf."+in.Code, in.Title, lang)
			assert.Empty(t, lt.Lang, "%s: %q is not in the catalogue as outcomes writes it", in.Code, in.Title)
			assert.NotEqual(t, in.Title, lt.Text)
		}
		for i, n := range table.Notes {
			assert.Empty(t, outcomesText("fig.note.valo."+strconv.Itoa(i+1), n, lang).Lang, "VALO note %d: %q", i+1, n)
		}
		assert.Empty(t, outcomesText("fig.note.retention", outcomes.RetentionNote(), lang).Lang, outcomes.RetentionNote())
	}
	// A text outcomes has changed since is shown as it is, in English.
	assert.Equal(t, localText{Text: "changed", Lang: "en"}, outcomesText("fig.note.retention", "changed", coaching.Finnish))
}

// A bar's value written after the longest bar ends inside the chart: the
// chart widens for it, and keeps its width when every value fits.
func TestBarChartFitsItsValues(t *testing.T) {
	c := barChart{Width: chartWidth, Bars: []bar{{Value: "1,5 h", ValueX: chartBarX + 10}}}
	c.fit()
	assert.Equal(t, chartWidth, c.Width, "short values fit the default width")
	long := "111 h, above the allocation"
	c.Bars = append(c.Bars, bar{Value: long, ValueX: chartBarX + chartBarMax + 6})
	c.fit()
	assert.GreaterOrEqual(t, c.Width, chartBarX+chartBarMax+6+len(long)*chartGlyph, "the longest bar's value inside the chart")
}
