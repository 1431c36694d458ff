package sis

import (
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// parseDate reads a date cell as Finnish exports write it — d.m.yyyy or
// dd.mm.yyyy ("17.5.2009", "07.05.2009") — or as ISO 8601, YYYY-MM-DD. A
// two-digit year ("17.5.09") is refused: 09 could be 1909 or 2009. The
// problem message never repeats the value; it is "" when the date is good.
func parseDate(s string) (coaching.Date, string) {
	if strings.Contains(s, "-") {
		d, err := coaching.ParseDate(s)
		if err == nil {
			return d, ""
		}
		shaped := len(s) == 10 && s[4] == '-' && s[7] == '-' && digits(s[:4]) && digits(s[5:7]) && digits(s[8:])
		if shaped {
			return coaching.Date{}, "not a calendar date"
		}
		return coaching.Date{}, dateShapes
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return coaching.Date{}, dateShapes
	}
	day, month, year := parts[0], parts[1], parts[2]
	if !digits(day) || !digits(month) || !digits(year) || len(day) > 2 || len(month) > 2 {
		return coaching.Date{}, dateShapes
	}
	if len(year) == 2 {
		return coaching.Date{}, "the year has two digits: write it in full (d.m.yyyy)"
	}
	if len(year) != 4 {
		return coaching.Date{}, dateShapes
	}
	d, _ := strconv.Atoi(day)
	m, _ := strconv.Atoi(month)
	y, _ := strconv.Atoi(year)
	out := coaching.NewDate(y, time.Month(m), d)
	if !out.Valid() {
		return coaching.Date{}, "not a calendar date"
	}
	return out, ""
}

// dateShapes is the message for a cell that is no date at all.
const dateShapes = "must be a date d.m.yyyy or YYYY-MM-DD"

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
