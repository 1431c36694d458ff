package outcomes

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// table is the shared renderer of reports.
type table struct {
	title   string
	meta    string
	columns []string
	align   []bool // right-align column i
	rows    [][]string
	notes   []string // a list under the table
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func (t table) markdown() string {
	var b strings.Builder
	if t.title != "" {
		fmt.Fprintf(&b, "**%s**\n\n", mdEscape(t.title))
	}
	if t.meta != "" {
		fmt.Fprintf(&b, "%s\n\n", mdEscape(t.meta))
	}
	b.WriteString("|")
	for _, c := range t.columns {
		b.WriteString(" " + mdEscape(c) + " |")
	}
	b.WriteString("\n|")
	for i := range t.columns {
		if i < len(t.align) && t.align[i] {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("|")
		for _, c := range r {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n")
	}
	if len(t.notes) > 0 {
		b.WriteString("\n")
		for _, n := range t.notes {
			fmt.Fprintf(&b, "- %s\n", mdEscape(n))
		}
	}
	return b.String()
}

func writeCSV(header []string, rows [][]string) string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header) // a bytes.Buffer does not fail
	for _, r := range rows {
		_ = w.Write(csvSafe(r))
	}
	w.Flush()
	return buf.String()
}

// csvSafe defuses spreadsheet formula injection in free-text cells
// ([DefuseCSVCell] on each).
func csvSafe(r []string) []string {
	out := make([]string, len(r))
	for i, c := range r {
		out[i] = DefuseCSVCell(c)
	}
	return out
}

// DefuseCSVCell returns c as a CSV cell a spreadsheet will not read as a
// formula: a cell starting with = + - @, a tab or a carriage return gets
// a leading apostrophe unless the whole cell is a plain number ("-1.5",
// or "-1,5" with a decimal comma). A cell that merely starts with one
// ("-1+cmd|' /C calc'!A0") is a formula, and so is a number only a
// parser reads ("-Inf", "-0x1p3").
func DefuseCSVCell(c string) string {
	if c == "" || !strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return c
	}
	_, err := strconv.ParseFloat(strings.Replace(c, ",", ".", 1), 64)
	if err != nil || strings.ContainsFunc(c, func(r rune) bool { return !strings.ContainsRune("0123456789+-.,eE", r) }) {
		return "'" + c
	}
	return c
}

func rowsCSV(rows []Row) string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		pct := r.PercentString()
		if r.Suppressed {
			pct = SuppressedMark
		}
		out[i] = []string{r.Key, r.Breakdown, r.Label, r.Kind, countCell(r),
			fmt.Sprint(r.Denominator), pct, string(r.Rounding), strings.Join(r.Includes, " ")}
	}
	return writeCSV([]string{"key", "breakdown", "label", "kind", "count", "denominator", "percent", "rounding", "includes"}, out)
}
