// Package figurestest checks a store's figures port
// (outcomes.FactsStreamer): the figures computed through it must equal the
// figures computed from whole cases and participants, over a cohort that
// holds every destination, missing and erased participants, missing facts
// and follow-up records of every kind. It also builds the synthetic cohort
// the adapters' figure benchmarks load.
package figurestest

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"iter"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/internal/benchkit"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// Entry is one case of a cohort and its participant; Participant is nil
// for a case whose participant is not stored.
type Entry struct {
	Participant *coaching.Participant
	Case        coaching.Case
}

// Cohort returns a varied cohort of n cases (n ≥ 200 covers every
// variation): every destination kind, destinations dated inside and
// outside the 28 days after closing, in the plain and in other JSON forms
// and invalid ones; upon-leaving and six-month results found and not
// found, observed before and after the destination; repeated records (the
// latest counts) and records without data; open cases with and without a
// destination; participants missing, erased (pseudonymous: no names, a
// coarse birth date) or without a birth date or background facts; every
// gender, education level and labour status; cases opened just after
// midnight Helsinki time (the day before in UTC); two organisations and
// two models, for the filters.
func Cohort(n int) []Entry {
	kinds := pathway.Kinds()
	genders := []coaching.Gender{coaching.GenderFemale, coaching.GenderMale, coaching.GenderNonBinary, coaching.GenderUnknown, ""}
	levels := []coaching.EducationLevel{coaching.EducationBelowBasic, coaching.EducationBasic, coaching.EducationVocational,
		coaching.EducationSpecialistVocational, coaching.EducationGeneralUpperSecondary, coaching.EducationHigher, coaching.EducationUnknown, ""}
	labour := []coaching.LabourStatus{coaching.LabourUnemployed, coaching.LabourEmployed, coaching.LabourInactive,
		coaching.LabourInEducation, coaching.LabourUnknown, ""}
	out := make([]Entry, n)
	for i := range out {
		e := &out[i]
		// Opened at 00:30 Helsinki on some days: the previous day in UTC.
		opened := time.Date(2023, time.Month(1+i%12), 1+i%27, 9, 0, 0, 0, coaching.Helsinki)
		if i%7 == 0 {
			opened = time.Date(2023, time.Month(1+i%12), 1+i%27, 0, 30, 0, 0, coaching.Helsinki)
		}
		if i%11 == 0 {
			opened = opened.UTC()
		}
		c := coaching.Case{ID: coaching.CaseID(fmt.Sprintf("fig-%05d", i)), ParticipantID: coaching.ParticipantID(fmt.Sprintf("figp-%05d", i)),
			Organisation: coaching.OrganisationID([]string{"org-a", "org-b"}[i%2]), Model: []string{coaching.ModelVALO, "other"}[i%5/4],
			State: "coaching", Version: 1, OpenedAt: opened,
			Phase:   coaching.PhaseClock{State: "coaching", EnteredAt: opened, EntrySeq: 1},
			History: []coaching.PhaseEntry{{State: "applied", At: opened, Seq: 1}},
			Team:    []coaching.TeamMember{{ActorID: "coach", Role: coaching.RoleCoach, Name: "Coach \"Q\" Ö"}}}
		closed := opened.AddDate(0, 6, i%9)
		if i%6 != 5 {
			c.ClosedAt, c.State = closed, coaching.ValoClosed
			c.History = append(c.History, coaching.PhaseEntry{State: coaching.ValoClosed, At: closed, Seq: 2})
		}
		if i%23 == 0 {
			c.State = coaching.ValoDeclined
		}
		k := kinds[i%len(kinds)]
		destDate := coaching.DateOf(closed).AddDays([]int{0, 10, 28, 29, -1, 40}[i%6])
		rec := func(name string, data []byte) {
			c.Records = append(c.Records, coaching.Record{Name: name, At: closed, By: "coach", Seq: int64(len(c.Records) + 3), Data: data})
		}
		switch i % 13 {
		case 0: // no records at all
		case 1: // a destination in another JSON form
			rec(pathway.RecordDestination, fmt.Appendf(nil, `{ "date" : "%s", "destination" : "%s" }`, destDate, k))
		case 2: // an invalid destination, then none
			rec(pathway.RecordDestination, []byte(`{"destination":"moon","date":"2024-01-01"}`))
		case 3: // a record without data, and one that is not JSON
			rec(pathway.RecordDestination, nil)
			rec(pathway.RecordSixMonths, []byte(`"not a result"`))
		case 4: // a destination replaced by a later one
			rec(pathway.RecordDestination, mustJSON(pathway.Destination{Kind: pathway.Unemployed, Date: destDate}))
			rec(pathway.RecordDestination, mustJSON(pathway.Destination{Kind: k, Date: destDate, Note: `talo "A", \ rakennus`}))
		default:
			if k != pathway.Unknown {
				rec(pathway.RecordDestination, mustJSON(pathway.Destination{Kind: k, Date: destDate, Note: []string{"", "ok"}[i%2]}))
			}
		}
		if i%3 == 0 {
			status := kinds[(i/3)%len(kinds)]
			res := pathway.CheckpointResult{Checkpoint: pathway.Checkpoint{Kind: pathway.UponLeaving, From: coaching.DateOf(closed),
				To: coaching.DateOf(closed).AddDays(pathway.UponLeavingDays)}, Found: status != pathway.Unknown, Status: status}
			if res.Found && i%2 == 0 {
				res.ObservedOn = coaching.DateOf(closed).AddDays(i % 20)
			}
			rec(pathway.RecordUponLeaving, mustJSON(res))
			rec("note", []byte(`{"anything":[1,2,{"name":"destination"}]}`))
		}
		if i%4 == 1 {
			status := kinds[(i/4)%len(kinds)]
			rec(pathway.RecordSixMonths, mustJSON(pathway.CheckpointResult{Checkpoint: pathway.Checkpoint{Kind: pathway.SixMonths},
				Found: status != pathway.Unknown, Status: status, ObservedOn: coaching.DateOf(closed).AddDays(183)}))
		}
		e.Case = c
		if i%17 == 3 {
			continue // the participant is not stored
		}
		p := &coaching.Participant{ID: c.ParticipantID, Organisation: c.Organisation, GivenNames: "Etu", FamilyName: fmt.Sprint("Suku", i),
			Language: coaching.Finnish, Contact: coaching.Contact{Email: fmt.Sprintf("p%d@example.org", i)},
			BirthDate: coaching.NewDate(1960+i%50, time.Month(1+i%12), 1+i%28)}
		if i%10 == 4 {
			p.BirthDate = coaching.NewDate(2000, time.February, 29)
		}
		bg := &p.Background
		bg.Gender, bg.EducationLevel, bg.LabourStatus = genders[i%len(genders)], levels[i%len(levels)], labour[i%len(labour)]
		if i%9 != 0 {
			m := i % 30
			bg.UnemployedMonths = &m
		}
		if i%5 != 0 {
			yes := i%2 == 0
			bg.ForeignBackground = &yes
		}
		if i%7 > 2 {
			yes := i%3 == 0
			bg.Disability = &yes
		}
		switch i % 19 {
		case 0: // erased: pseudonymous
			p.GivenNames, p.FamilyName, p.Contact = "", "", coaching.Contact{}
			p.BirthDate = coaching.NewDate(p.BirthDate.Year, time.January, 1)
			p.ErasedOn = coaching.NewDate(2025, time.March, 3)
		case 1: // no birth date
			p.BirthDate = coaching.Date{}
		case 2: // no background facts at all
			p.Background = coaching.Background{}
		}
		e.Participant = p
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Load stores the entries in store, in transactions of up to 10 000 cases:
// each case's row, and its records appended beside it.
func Load(tb testing.TB, store coaching.Store, entries []Entry) {
	tb.Helper()
	ctx := context.Background()
	for lo := 0; lo < len(entries); lo += 10_000 {
		err := store.Update(ctx, func(tx coaching.Tx) error {
			for _, e := range entries[lo:min(len(entries), lo+10_000)] {
				if e.Participant != nil {
					if err := tx.InsertParticipant(ctx, *e.Participant); err != nil {
						return err
					}
				}
				c := e.Case
				c.Records = nil // not the row's: appended beside it
				if err := tx.InsertCase(ctx, c); err != nil {
					return err
				}
				if len(e.Case.Records) > 0 {
					if err := tx.AppendRecords(ctx, c.ID, e.Case.Records); err != nil {
						return err
					}
				}
			}
			return nil
		})
		require.NoError(tb, err)
	}
}

// Queries are the case queries Check compares the figures of.
var Queries = []coaching.CaseQuery{
	{},
	{Model: coaching.ModelVALO},
	{Organisation: "org-b"},
	{OpenOnly: true},
	{State: coaching.ValoClosed, AfterID: "fig-00100"},
	{Participant: "figp-00042"},
}

// Check loads Cohort(n) into store (which must be empty and implement
// outcomes.FactsStreamer) and requires, for every query of Queries, that
// the VALO table and the ESF report computed through the figures port
// equal those computed from whole cases and participants.
func Check(t *testing.T, store coaching.Store, n int) {
	t.Helper()
	if _, ok := store.(outcomes.FactsStreamer); !ok {
		t.Fatalf("%T does not implement outcomes.FactsStreamer", store)
	}
	Load(t, store, Cohort(n))
	requirePortMatches(t, store, "", n)
}

// requirePortMatches requires, for every query of Queries, the same figures
// and count through store's figures port as from whole cases (n cases in
// all, unless n is negative); what names the moment in the messages.
func requirePortMatches(t *testing.T, store coaching.Store, what string, n int) {
	t.Helper()
	for _, q := range Queries {
		viaPort, nPort := Figures(t, store, q)
		whole, nWhole := Figures(t, WholeCases(store), q)
		require.Equal(t, nWhole, nPort, "cases counted%s, query %+v", what, q)
		require.Equal(t, whole, viaPort, "figures%s, query %+v", what, q)
		if q == (coaching.CaseQuery{}) && n >= 0 {
			require.EqualValues(t, n, nPort)
		}
	}
}

// Snapshot is the figures of every query of Queries at one moment, for a
// migration test to compare with after the migration.
type Snapshot struct {
	reports []Report
	counts  []int64
}

// Take computes the figures of every query of Queries from whole cases of
// store (reading none of the columns a figures migration adds).
func Take(t *testing.T, store coaching.Store) Snapshot {
	t.Helper()
	s := Snapshot{reports: make([]Report, len(Queries)), counts: make([]int64, len(Queries))}
	for i, q := range Queries {
		s.reports[i], s.counts[i] = Figures(t, WholeCases(store), q)
	}
	return s
}

// CheckMigrated requires that store, migrated since before was taken from
// entries (loaded with Load), gives the same figures through its port for
// every query; then writes what later writes must keep the port's narrow
// copies true for — every case's records replaced by their reverse (the
// latest of each name changes, as an erasure's ReplaceRecords may), every
// participant rewritten without its background, one destination appended,
// an open case closed, a case moved to another participant, and a missing
// participant stored after its case —
// and requires the port to match whole cases again.
func CheckMigrated(t *testing.T, store coaching.Store, entries []Entry, before Snapshot) {
	t.Helper()
	ctx := context.Background()
	for i, q := range Queries {
		got, n := Figures(t, store, q)
		require.Equal(t, before.counts[i], n, "cases counted, query %+v", q)
		require.Equal(t, before.reports[i], got, "figures, query %+v", q)
	}
	require.EqualValues(t, len(entries), before.counts[0])
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		for _, e := range entries {
			recs := e.Case.Records
			rev := make([]coaching.Record, len(recs))
			for j, r := range recs {
				rev[len(recs)-1-j] = r
			}
			if err := tx.ReplaceRecords(ctx, e.Case.ID, rev); err != nil {
				return err
			}
			if e.Participant != nil {
				p := *e.Participant
				p.Background = coaching.Background{}
				if err := tx.UpdateParticipant(ctx, p); err != nil {
					return err
				}
			}
		}
		if err := tx.AppendRecords(ctx, entries[0].Case.ID, []coaching.Record{{Name: "destination", At: entries[0].Case.OpenedAt, By: "coach-1", Seq: 99,
			Data: json.RawMessage(`{"destination":"work_open","date":"2025-09-01"}`)}}); err != nil {
			return err
		}
		return changeCases(ctx, tx, entries)
	}))
	requirePortMatches(t, store, " after writes", -1)
}

// changeCases makes the case writes CheckMigrated's port must follow: the
// first open case closes, the first case with a stored participant moves
// to the participant of the next such case, and the first missing
// participant is stored.
func changeCases(ctx context.Context, tx coaching.Tx, entries []Entry) error {
	var closed, moved, stored bool
	for i, e := range entries {
		c, err := tx.Case(ctx, e.Case.ID)
		if err != nil {
			return err
		}
		switch {
		case !closed && !c.Closed():
			c.ClosedAt, c.State = c.OpenedAt.AddDate(0, 3, 0), coaching.ValoClosed
			closed = true
		case !moved && e.Participant != nil && i+1 < len(entries) && entries[i+1].Participant != nil:
			c.ParticipantID = entries[i+1].Participant.ID
			moved = true
		case !stored && e.Participant == nil:
			stored = true
			if err := tx.InsertParticipant(ctx, coaching.Participant{ID: c.ParticipantID, Organisation: c.Organisation,
				BirthDate: coaching.NewDate(1990, time.May, 5), Background: coaching.Background{Gender: coaching.GenderFemale}}); err != nil {
				return err
			}
			continue
		default:
			continue
		}
		c.Version++
		if err := tx.UpdateCase(ctx, c, c.Version-1); err != nil {
			return err
		}
	}
	if !closed || !moved || !stored {
		return fmt.Errorf("figurestest: the cohort lacks an open case, two stored participants in a row or a missing participant")
	}
	return nil
}

// Report is the figures Check compares.
type Report struct {
	VALO outcomes.VALOTable
	ESF  outcomes.ESFReport
}

// Figures computes the VALO table and the ESF report of the cases q
// matches in store with outcomes.FromStore, and how many cases it read.
func Figures(tb testing.TB, store coaching.Store, q coaching.CaseQuery) (Report, int64) {
	tb.Helper()
	valo, esf := outcomes.NewVALO(nil), outcomes.NewESF()
	n, err := outcomes.FromStore(context.Background(), store, q, valo, esf)
	require.NoError(tb, err)
	table, err := valo.Table(outcomes.Options{})
	require.NoError(tb, err)
	return Report{VALO: table, ESF: esf.Report()}, n
}

// WholeCases hides a store's figures port: outcomes.FromStore then reads
// whole cases and participants (through coaching.CaseStreamer when the
// store has it), as it did before the port.
func WholeCases(store coaching.Store) coaching.Store {
	if s, ok := store.(coaching.CaseStreamer); ok {
		return wholeStreamer{wholeStore{store}, s}
	}
	return wholeStore{store}
}

type wholeStore struct{ coaching.Store }

type wholeStreamer struct {
	wholeStore
	s coaching.CaseStreamer
}

func (w wholeStreamer) CasesWithParticipants(ctx context.Context, q coaching.CaseQuery) iter.Seq2[*coaching.CaseRow, error] {
	return w.s.CasesWithParticipants(ctx, q)
}

// Synthetic returns the i-th participant and case of the benchmarks'
// cohort: closed VALO cases with a realistic row (six phase entries, a
// team member, a destination record for every kind but Unknown), half of
// them with an upon-leaving result, the participants with names, contacts
// and varied backgrounds (a birth date missing in 1 of 97, the months of
// unemployment in 1 of 13). Cases open at 09:00 Helsinki time on
// successive days.
func Synthetic(i int) (coaching.Participant, coaching.Case) {
	genders := []coaching.Gender{coaching.GenderFemale, coaching.GenderMale, coaching.GenderNonBinary, coaching.GenderUnknown, coaching.GenderFemale}
	levels := []coaching.EducationLevel{coaching.EducationBasic, coaching.EducationVocational, coaching.EducationBelowBasic,
		coaching.EducationHigher, coaching.EducationSpecialistVocational, coaching.EducationUnknown, coaching.EducationGeneralUpperSecondary}
	opened := time.Date(2020, 1, 1+i%2000, 9, 0, 0, 0, coaching.Helsinki)
	p := coaching.Participant{ID: coaching.ParticipantID(fmt.Sprintf("p%08d", i)), Organisation: "org", GivenNames: "Synth", FamilyName: "Etic",
		Language: coaching.Finnish, Contact: coaching.Contact{Email: "synth@example.org", Phone: "+358401234567"}}
	if i%97 != 0 {
		p.BirthDate = coaching.NewDate(1960+i%45, time.Month(1+i%12), 1+i%28)
	}
	p.Background.Gender = genders[i%len(genders)]
	p.Background.EducationLevel = levels[i%len(levels)]
	p.Background.LabourStatus = coaching.LabourUnemployed
	if i%13 != 0 {
		m := i % 40
		p.Background.UnemployedMonths = &m
	}
	closed := opened.AddDate(0, 6, 0)
	c := coaching.Case{ID: coaching.CaseID(fmt.Sprintf("c%08d", i)), ParticipantID: p.ID, Model: coaching.ModelVALO,
		State: coaching.ValoClosed, Version: 1, OpenedAt: opened, ClosedAt: closed, Organisation: "org",
		Phase: coaching.PhaseClock{State: coaching.ValoClosed, EnteredAt: closed, EntrySeq: 6},
		Team:  []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: "Coach One"}}}
	for s, st := range []string{"applied", "admitted", "coaching", "coaching", "closing", coaching.ValoClosed} {
		c.History = append(c.History, coaching.PhaseEntry{State: st, At: opened.AddDate(0, s, 0), Seq: int64(s + 1)})
	}
	kinds := pathway.Kinds()
	if k := kinds[i%len(kinds)]; k != pathway.Unknown {
		c.Records = append(c.Records, coaching.Record{Name: pathway.RecordDestination, At: closed, By: "coach-1", Seq: 6,
			Data: mustJSON(pathway.Destination{Kind: k, Date: coaching.DateOf(closed)})})
	}
	if i%2 == 0 {
		c.Records = append(c.Records, coaching.Record{Name: pathway.RecordUponLeaving, At: closed.AddDate(0, 0, 28), By: "system", Seq: 7,
			Data: mustJSON(pathway.CheckpointResult{Checkpoint: pathway.Checkpoint{Kind: pathway.UponLeaving}, Found: false, Status: pathway.Unknown})})
	}
	return p, c
}

// Group is one row of a hand-written GROUP BY over the tables, the
// baseline the figure benchmarks compare against: the VALO categories of
// a set of cases and how many there are.
type Group struct {
	Gender    string
	Education string
	// Destination is the kind of the latest destination record ("" when
	// there is none).
	Destination string
	// Age is 0 for under 30 at entry, 1 for 30 or over, 2 when unknown.
	Age int
	// Unemployment is 0 for not over 12 months, 1 for over, 2 when unknown.
	Unemployment int
	Count        int64
}

// VALOCounts maps groups to the counts of the VALO table's rows (by row
// key), through the rows' declared includes, so a benchmark can require
// that its GROUP BY baseline computed the same figures.
func VALOCounts(table outcomes.VALOTable, groups []Group) map[string]int64 {
	by := map[string]map[string]string{} // breakdown → included code → row key
	for _, r := range table.Rows {
		if by[r.Breakdown] == nil {
			by[r.Breakdown] = map[string]string{}
		}
		for _, code := range r.Includes {
			by[r.Breakdown][code] = r.Key
		}
	}
	out := map[string]int64{}
	for _, g := range groups {
		switch coaching.Gender(g.Gender) {
		case coaching.GenderFemale:
			out["gender.women"] += g.Count
		case coaching.GenderMale:
			out["gender.men"] += g.Count
		case coaching.GenderNonBinary:
			out["gender.non_binary"] += g.Count
		default:
			out["gender.unknown"] += g.Count
		}
		out[[]string{"age.under_30", "age.30_or_over", "age.unknown"}[g.Age]] += g.Count
		out[[]string{"unemployment.not_over_12_months", "unemployment.over_12_months", "unemployment.unknown"}[g.Unemployment]] += g.Count
		if key, ok := by["education"][g.Education]; ok {
			out[key] += g.Count
		} else {
			out["education.unknown"] += g.Count
		}
		dest := g.Destination
		if dest == "" {
			dest = "unknown"
		}
		out[by["destination"][dest]] += g.Count
		out[by["positive_path"][dest]] += g.Count
	}
	return out
}

// RequireSameVALO requires that groups count what table counts.
func RequireSameVALO(tb testing.TB, table outcomes.VALOTable, groups []Group) {
	tb.Helper()
	got := VALOCounts(table, groups)
	for _, r := range table.Rows {
		require.Equal(tb, r.Count, got[r.Key], "row %s: the GROUP BY baseline counts otherwise", r.Key)
	}
}

// BenchCases returns how many cases the figure benchmarks load: 10 000
// when the benchmarks run once each (-benchtime 1x, as CI runs them), else
// 1 000 000; VALMENNUS_FIGURES_CASES overrides both.
func BenchCases() int {
	if v, err := strconv.Atoi(os.Getenv("VALMENNUS_FIGURES_CASES")); err == nil && v > 0 {
		return v
	}
	if f := flag.Lookup("test.benchtime"); f != nil && f.Value.String() == "1x" {
		return 10_000
	}
	return 1_000_000
}

// checked records the stores whose figures Bench compared already, so
// that -count repeats the timing but not the (slow) comparison.
var checked sync.Map

// Bench runs a store's figure benchmarks over the n cases it holds: the
// VALO report through the figures port (port), against the baseline in
// the same run — a hand-written GROUP BY over the same tables counting the
// same categories (groupBy: groupby) — and, up to 100 000 cases, the path
// before the port, which decodes whole cases and participants (whole).
// Once per store and process, before timing, it requires that the three
// give the same figures. Each reports its time per case (ns/case) and the
// CPU time of this process per case (cpu-ns/case: for an in-process
// database, the work done, whatever else the machine runs).
func Bench(b *testing.B, store coaching.Store, n int, groupBy func(testing.TB) []Group) {
	ctx := context.Background()
	report := func(b *testing.B, st coaching.Store) outcomes.VALOTable {
		a := outcomes.NewVALO(nil)
		got, err := outcomes.FromStore(ctx, st, coaching.CaseQuery{}, a)
		require.NoError(b, err)
		require.EqualValues(b, n, got)
		table, err := a.Table(outcomes.Options{})
		require.NoError(b, err)
		return table
	}
	if _, done := checked.Load(store); !done {
		table := report(b, store)
		RequireSameVALO(b, table, groupBy(b))
		if n <= 100_000 {
			require.Equal(b, table, report(b, WholeCases(store)))
		}
		checked.Store(store, true)
	}
	run := func(name string, op func(b *testing.B)) {
		b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := benchkit.CPUTime()
			for b.Loop() {
				op(b)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/case")
			b.ReportMetric(float64((benchkit.CPUTime()-cpu0).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/case")
		})
	}
	run("port", func(b *testing.B) { report(b, store) })
	run("groupby", func(b *testing.B) { groupBy(b) })
	if n <= 100_000 {
		run("whole", func(b *testing.B) { report(b, WholeCases(store)) })
	}
}

// Rows is what ScanGroups reads: *sql.Rows and pgx.Rows are.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanGroups reads the rows of a GROUP BY baseline, whose columns are a
// Group's gender, education, destination, age, unemployment and count.
func ScanGroups(tb testing.TB, rows Rows) []Group {
	tb.Helper()
	var out []Group
	for rows.Next() {
		var g Group
		require.NoError(tb, rows.Scan(&g.Gender, &g.Education, &g.Destination, &g.Age, &g.Unemployment, &g.Count))
		out = append(out, g)
	}
	require.NoError(tb, rows.Err())
	return out
}
