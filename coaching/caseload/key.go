package caseload

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/valmennus/valmennus/coaching"
)

// Urgency ranks of SortUrgency.
const (
	// RankOverdue: the phase deadline has passed and the case is not paused.
	RankOverdue = 0
	// RankFlagged: an early-warning flag is raised or a non-welfare alert
	// is active. Welfare alerts never count: a reader who may not see them
	// must not learn of one from a case's place in the order (or from a
	// page's cursor key).
	RankFlagged = 1
	// RankOther: the rest.
	RankOther = 2
)

// Key is a row's place in a list's order. Every store orders rows by
// Key.Less and compares them with a page's After key the same way: the
// one definition of the three orders.
type Key struct {
	// Rank (SortUrgency) is RankOverdue, RankFlagged or RankOther.
	Rank int `json:"r,omitempty"`
	// Contact (SortUrgency) is the last contact date; zero (never) sorts
	// first, as the oldest.
	Contact coaching.Date `json:"c,omitzero"`
	// Name (SortName) is NameKey(family, given).
	Name string `json:"n,omitempty"`
	// Opened (SortOpened) sorts newest first.
	Opened time.Time `json:"o,omitzero"`
	// CaseID breaks every tie.
	CaseID coaching.CaseID `json:"id"`
}

// Overdue reports whether the summary's phase deadline has passed at now
// and the case is neither paused nor closed.
func (s Summary) Overdue(now time.Time) bool {
	return s.ClosedAt.IsZero() && s.Phase.PausedAt.IsZero() && !s.Phase.DueAt.IsZero() && s.Phase.DueAt.Before(now)
}

// KeyOf returns s's key in order by at now.
func KeyOf(s Summary, by Sort, now time.Time) Key {
	k := Key{CaseID: s.CaseID}
	switch by {
	case SortName:
		k.Name = NameKey(s.FamilyName, s.GivenNames)
	case SortOpened:
		k.Opened = s.OpenedAt
	default:
		switch {
		case s.Overdue(now):
			k.Rank = RankOverdue
		case len(s.Flags) > 0 || s.ActiveAlerts > 0: // never ActiveWelfareAlerts: see RankFlagged
			k.Rank = RankFlagged
		default:
			k.Rank = RankOther
		}
		k.Contact = s.LastContact
	}
	return k
}

// SortSummaries sorts ss in order by at now, as Key.Less orders them: the
// order a store's Summaries returns.
func SortSummaries(ss []Summary, by Sort, now time.Time) {
	slices.SortFunc(ss, func(a, b Summary) int {
		ka, kb := KeyOf(a, by, now), KeyOf(b, by, now)
		switch {
		case ka.Less(kb, by):
			return -1
		case kb.Less(ka, by):
			return 1
		}
		return 0
	})
}

// Less reports whether k comes before o in order by.
func (k Key) Less(o Key, by Sort) bool {
	switch by {
	case SortName:
		if k.Name != o.Name {
			return k.Name < o.Name
		}
	case SortOpened:
		if !k.Opened.Equal(o.Opened) {
			return k.Opened.After(o.Opened)
		}
	default:
		if k.Rank != o.Rank {
			return k.Rank < o.Rank
		}
		if k.Contact != o.Contact {
			return k.Contact.Before(o.Contact)
		}
	}
	return k.CaseID < o.CaseID
}

// NameKey is the sort key of a participant's name in Finnish alphabetical
// order, as a byte string that stores compare bytewise (SQL: COLLATE "C"
// or BINARY): family name, then given names, case folded, letters
// outside a–z mapped to where the Finnish alphabet puts them (å, ä, ö after
// z in that order; ü with y; other accented letters with their base
// letter), every other character dropped except a space between words.
// Stores keep it beside the participant (written whenever the participant
// is), so that a list by name can be read in key order.
func NameKey(family, given string) string {
	var b strings.Builder
	b.Grow(len(family) + len(given) + 2)
	fold(&b, family)
	b.WriteByte(0x01) // before every letter: "Aho" sorts before "Ahonen"
	fold(&b, given)
	return b.String()
}

func fold(b *strings.Builder, s string) {
	space := false
	for _, r := range s {
		r = unicode.ToLower(r)
		var out string
		switch {
		case r >= 'a' && r <= 'z':
			out = string(r)
		case r >= '0' && r <= '9':
			out = string(r)
		case r == 'å':
			out = "z\x7fa"
		case r == 'ä' || r == 'æ':
			out = "z\x7fb"
		case r == 'ö' || r == 'ø':
			out = "z\x7fc"
		case r == 'ü':
			out = "y"
		default:
			if base, ok := latinBase[r]; ok {
				out = base
			} else if unicode.IsSpace(r) || r == '-' {
				space = b.Len() > 0
				continue
			} else {
				continue
			}
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(out)
	}
}

// latinBase maps accented Latin letters that Finnish sorts with their base
// letter.
var latinBase = map[rune]string{
	'á': "a", 'à': "a", 'â': "a", 'ã': "a", 'ç': "c", 'č': "c", 'é': "e", 'è': "e", 'ê': "e", 'ë': "e",
	'í': "i", 'ì': "i", 'î': "i", 'ï': "i", 'ñ': "n", 'ó': "o", 'ò': "o", 'ô': "o", 'õ': "o",
	'š': "s", 'ß': "ss", 'ú': "u", 'ù': "u", 'û': "u", 'ý': "y", 'ÿ': "y", 'ž': "z", 'đ': "d", 'ł': "l",
}
