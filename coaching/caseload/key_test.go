package caseload_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

func TestNameKeyFollowsTheFinnishAlphabet(t *testing.T) {
	names := [][2]string{{"Öhman", "Olli"}, {"Aho", "Anna"}, {"Ahonen", "Aino"}, {"Åberg", "Eva"}, {"Ärölä", "Pia"},
		{"Zetterberg", "Ilkka"}, {"de Vries", "Jan"}, {"Müller", "Karl"}, {"Aho", "Aapo"}, {"Virtanen", "Élise"}}
	slices.SortFunc(names, func(a, b [2]string) int {
		ka, kb := caseload.NameKey(a[0], a[1]), caseload.NameKey(b[0], b[1])
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	var got []string
	for _, n := range names {
		got = append(got, n[0]+" "+n[1])
	}
	require.Equal(t, []string{"Aho Aapo", "Aho Anna", "Ahonen Aino", "de Vries Jan", "Müller Karl", "Virtanen Élise",
		"Zetterberg Ilkka", "Åberg Eva", "Ärölä Pia", "Öhman Olli"}, got)
	require.Equal(t, caseload.NameKey("AHO", "anna"), caseload.NameKey("aho", "ANNA"), "case is folded")
}

func TestKeyOrders(t *testing.T) {
	now := time.Date(2026, 10, 1, 9, 0, 0, 0, coaching.Helsinki)
	overdue := caseload.Summary{CaseID: "c-3", Phase: coaching.PhaseClock{DueAt: now.Add(-time.Hour)}, LastContact: coaching.NewDate(2026, 9, 30)}
	paused := caseload.Summary{CaseID: "c-2", Phase: coaching.PhaseClock{DueAt: now.Add(-time.Hour), PausedAt: now.Add(-2 * time.Hour)}}
	flagged := caseload.Summary{CaseID: "c-1", Flags: []caseload.Flag{{Rule: "attendance_90", Seq: 4}}, LastContact: coaching.NewDate(2026, 9, 1)}
	never := caseload.Summary{CaseID: "c-4"}
	recent := caseload.Summary{CaseID: "c-0", LastContact: coaching.NewDate(2026, 9, 29)}
	rows := []caseload.Summary{recent, never, flagged, paused, overdue}
	slices.SortFunc(rows, func(a, b caseload.Summary) int {
		if caseload.KeyOf(a, caseload.SortUrgency, now).Less(caseload.KeyOf(b, caseload.SortUrgency, now), caseload.SortUrgency) {
			return -1
		}
		return 1
	})
	var ids []coaching.CaseID
	for _, r := range rows {
		ids = append(ids, r.CaseID)
	}
	// Overdue first; then flagged; then the rest by oldest contact, never
	// contacted first (the paused case is not overdue); ties by id.
	require.Equal(t, []coaching.CaseID{"c-3", "c-1", "c-2", "c-4", "c-0"}, ids)

	a := caseload.Key{Opened: now, CaseID: "a"}
	b := caseload.Key{Opened: now.Add(time.Hour), CaseID: "b"}
	require.True(t, b.Less(a, caseload.SortOpened), "newest first")
	require.True(t, caseload.Key{Opened: now, CaseID: "a"}.Less(caseload.Key{Opened: now, CaseID: "b"}, caseload.SortOpened), "ties by id")
}

// A welfare alert must not raise the urgency rank: a reader who may not
// see welfare alerts would learn of one from the case's place in the order
// or from a page's cursor key.
func TestKeyRankIgnoresWelfareAlerts(t *testing.T) {
	now := time.Date(2026, 10, 1, 9, 0, 0, 0, coaching.Helsinki)
	for _, tc := range []struct {
		what string
		s    caseload.Summary
		want int
	}{
		{"a welfare alert only", caseload.Summary{CaseID: "c-1", ActiveWelfareAlerts: 2}, caseload.RankOther},
		{"a non-welfare alert", caseload.Summary{CaseID: "c-2", ActiveAlerts: 1}, caseload.RankFlagged},
		{"both", caseload.Summary{CaseID: "c-3", ActiveAlerts: 1, ActiveWelfareAlerts: 1}, caseload.RankFlagged},
		{"a flag and a welfare alert", caseload.Summary{CaseID: "c-4", Flags: []caseload.Flag{{Rule: "absence", Seq: 3}}, ActiveWelfareAlerts: 1}, caseload.RankFlagged},
		{"overdue with a welfare alert", caseload.Summary{CaseID: "c-5", Phase: coaching.PhaseClock{DueAt: now.Add(-time.Hour)}, ActiveWelfareAlerts: 1}, caseload.RankOverdue},
	} {
		require.Equal(t, tc.want, caseload.KeyOf(tc.s, caseload.SortUrgency, now).Rank, tc.what)
	}
}
