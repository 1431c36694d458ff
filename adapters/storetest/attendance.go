package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// RunAttendance runs the conformance cases of attendance's store port
// (coaching/attendance: attendance.Store on write transactions,
// attendance.Reader on read transactions) — marks and their revisions,
// the early-warning window (RecentMarks), the running totals and the
// flags — as a subtest group "Attendance" of t. A store that keeps
// attendance runs it beside [Run]:
//
//	func TestAttendance(t *testing.T) { storetest.RunAttendance(t, newStore) }
func RunAttendance(t *testing.T, newStore Harness) {
	t.Helper()
	runGroups(t, newStore, []group{{"Attendance", attendanceCases()}})
}

func attStore(e *env, tx coaching.Tx) attendance.Store { return port[attendance.Store](e, tx) }

func attReader(e *env, tx coaching.ReadTx) attendance.Reader { return port[attendance.Reader](e, tx) }

// putMarks writes marks in a transaction of their own.
func (e *env) putMarks(marks ...attendance.Mark) {
	e.Helper()
	e.update(func(tx coaching.Tx) error { return attStore(e, tx).PutMarks(e.ctx, marks) })
}

// attState reads a case's attendance state.
func (e *env) attState(id coaching.CaseID) attendance.State {
	e.Helper()
	return viewed(e, func(tx coaching.ReadTx) (attendance.State, error) { return attReader(e, tx).State(e.ctx, id) })
}

// NormalizeState normalises an attendance state for comparison (no flags
// and empty flags are the same).
func NormalizeState(s attendance.State) attendance.State {
	if len(s.Flags) == 0 {
		s.Flags = nil
	}
	for i := range s.Flags {
		s.Flags[i].Since = NormalizeTime(s.Flags[i].Since)
	}
	return s
}

// NormalizeMark normalises a mark for comparison.
func NormalizeMark(m attendance.Mark) attendance.Mark {
	m.At = NormalizeTime(m.At)
	return m
}

// putRecentMarks seeds c-1 and c-2 with the marks the window cases
// (RecentMarks, RecentDays) read: c-1 has marks on 3, 4, 6, 7 and 10 March
// 2025 (day 10's with status day10), two lessons on day 6, one of them
// corrected; c-2 has one mark on day 6.
func putRecentMarks(e *env, day10 attendance.Status) {
	e.seed("c-1", "c-2")
	e.putMarks(mark("c-1", 3, "1", attendance.Present, 1), mark("c-1", 4, "1", attendance.Sick, 1),
		mark("c-1", 6, "2", attendance.Present, 1), mark("c-1", 6, "1", attendance.Unexplained, 1),
		mark("c-1", 7, "", attendance.Late, 1), mark("c-1", 10, "1", day10, 1),
		mark("c-2", 6, "1", attendance.Present, 1))
	e.putMarks(mark("c-1", 6, "1", attendance.Explained, 2))
}

func mark(id coaching.CaseID, day int, lesson string, status attendance.Status, rev int) attendance.Mark {
	m := attendance.Mark{CaseID: id, Date: coaching.NewDate(2025, 3, day), Lesson: lesson, Title: "Matematiikka " + lesson,
		Minutes: 90, Status: status, Revision: rev, At: at(hour * 3), By: "a-teacher"}
	if status == attendance.Explained {
		m.Reason = attendance.ReasonAppointment
	}
	return m
}

func attendanceCases() []testCase {
	return []testCase{
		{
			name: "PutAndRange",
			rule: "attendance.Store.PutMarks stores marks; Reader.Marks returns the current marks of a case dated from..to inclusive (zero ends open), ordered by date then lesson",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				marks := []attendance.Mark{
					mark("c-1", 5, "2", attendance.Present, 1), mark("c-1", 3, "1", attendance.Unexplained, 1),
					mark("c-1", 4, "", attendance.Sick, 1), mark("c-1", 5, "1", attendance.Late, 1),
					mark("c-2", 4, "1", attendance.Present, 1),
				}
				e.putMarks(marks...)
				e.view(func(tx coaching.ReadTx) error {
					all, err := attReader(e, tx).Marks(e.ctx, "c-1", coaching.Date{}, coaching.Date{})
					require.NoError(e, err)
					var keys []string
					for _, m := range all {
						keys = append(keys, m.Date.String()+"/"+m.Lesson)
					}
					assert.Equal(e, []string{"2025-03-03/1", "2025-03-04/", "2025-03-05/1", "2025-03-05/2"}, keys)
					assert.Equal(e, NormalizeMark(marks[1]), NormalizeMark(all[0]), "field for field")
					some, err := attReader(e, tx).Marks(e.ctx, "c-1", coaching.NewDate(2025, 3, 4), coaching.NewDate(2025, 3, 4))
					require.NoError(e, err)
					require.Len(e, some, 1)
					assert.Equal(e, attendance.Sick, some[0].Status)
					from, err := attReader(e, tx).Marks(e.ctx, "c-1", coaching.NewDate(2025, 3, 5), coaching.Date{})
					require.NoError(e, err)
					assert.Len(e, from, 2)
					none, err := attReader(e, tx).Marks(e.ctx, "nope", coaching.Date{}, coaching.Date{})
					require.NoError(e, err)
					assert.Empty(e, none)
					return nil
				})
			},
		},
		{
			name: "CorrectionsKeepHistory",
			rule: "attendance.Store.PutMarks: a correction is the next revision; Reader.Marks returns the latest, Reader.MarkHistory every revision oldest first; a gap or a repeat is a *ConflictError",
			run: func(e *env) {
				e.seed("c-1")
				e.update(func(tx coaching.Tx) error {
					return attStore(e, tx).PutMarks(e.ctx, []attendance.Mark{mark("c-1", 3, "1", attendance.Unexplained, 1)})
				})
				e.update(func(tx coaching.Tx) error {
					return attStore(e, tx).PutMarks(e.ctx, []attendance.Mark{mark("c-1", 3, "1", attendance.Explained, 2)})
				})
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					return attStore(e, tx).PutMarks(e.ctx, []attendance.Mark{mark("c-1", 3, "1", attendance.Present, 2)})
				})
				requireConflict(e, err, "PutMarks repeating revision 2")
				err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
					return attStore(e, tx).PutMarks(e.ctx, []attendance.Mark{mark("c-1", 3, "2", attendance.Present, 2)})
				})
				requireConflict(e, err, "PutMarks of revision 2 of a new mark")
				e.view(func(tx coaching.ReadTx) error {
					cur, err := attReader(e, tx).Marks(e.ctx, "c-1", coaching.Date{}, coaching.Date{})
					require.NoError(e, err)
					require.Len(e, cur, 1)
					assert.Equal(e, attendance.Explained, cur[0].Status)
					h, err := attReader(e, tx).MarkHistory(e.ctx, "c-1", attendance.MarkKey{Date: coaching.NewDate(2025, 3, 3), Lesson: "1"})
					require.NoError(e, err)
					require.Len(e, h, 2)
					assert.Equal(e, attendance.Unexplained, h[0].Status)
					assert.Equal(e, 2, h[1].Revision)
					return nil
				})
			},
		},
		{
			name: "MarksRolledBack",
			rule: "Store.Update: marks written by a failed transaction are not stored, corrections included",
			run: func(e *env) {
				e.seed("c-1")
				e.update(func(tx coaching.Tx) error {
					return attStore(e, tx).PutMarks(e.ctx, []attendance.Mark{mark("c-1", 3, "1", attendance.Unexplained, 1)})
				})
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := attStore(e, tx).PutMarks(e.ctx, []attendance.Mark{mark("c-1", 3, "1", attendance.Explained, 2),
						mark("c-1", 4, "1", attendance.Present, 1)}); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				e.view(func(tx coaching.ReadTx) error {
					cur, err := attReader(e, tx).Marks(e.ctx, "c-1", coaching.Date{}, coaching.Date{})
					require.NoError(e, err)
					require.Len(e, cur, 1)
					assert.Equal(e, attendance.Unexplained, cur[0].Status)
					h, err := attReader(e, tx).MarkHistory(e.ctx, "c-1", attendance.MarkKey{Date: coaching.NewDate(2025, 3, 3), Lesson: "1"})
					require.NoError(e, err)
					assert.Len(e, h, 1)
					return nil
				})
			},
		},
		{
			name: "RecentMarks",
			rule: "attendance.Reader.RecentMarks returns the current marks of the last n distinct dates with marks on or before to, ordered by date then lesson (empty for n <= 0 or a case without marks)",
			run: func(e *env) {
				putRecentMarks(e, attendance.Present)
				keys := func(ms []attendance.Mark) []string {
					out := []string{}
					for _, m := range ms {
						out = append(out, fmt.Sprintf("%d/%s/%d", m.Date.Day, m.Lesson, m.Revision))
					}
					return out
				}
				e.view(func(tx coaching.ReadTx) error {
					rd := attReader(e, tx)
					for _, tc := range []struct {
						to   int
						n    int
						want []string
					}{
						{10, 1, []string{"10/1/1"}},
						{9, 2, []string{"6/1/2", "6/2/1", "7//1"}},
						{7, 3, []string{"4/1/1", "6/1/2", "6/2/1", "7//1"}},
						{31, 99, []string{"3/1/1", "4/1/1", "6/1/2", "6/2/1", "7//1", "10/1/1"}},
						{2, 5, []string{}},
						{10, 0, []string{}},
					} {
						got, err := rd.RecentMarks(e.ctx, "c-1", coaching.NewDate(2025, 3, tc.to), tc.n)
						require.NoError(e, err)
						assert.Equal(e, tc.want, keys(got), "RecentMarks(to 2025-03-%02d, %d days)", tc.to, tc.n)
					}
					got, err := rd.RecentMarks(e.ctx, "c-1", coaching.NewDate(2025, 3, 7), 1)
					require.NoError(e, err)
					if assert.Len(e, got, 1) {
						assert.Equal(e, NormalizeMark(mark("c-1", 7, "", attendance.Late, 1)), NormalizeMark(got[0]), "field for field")
					}
					none, err := rd.RecentMarks(e.ctx, "nope", coaching.NewDate(2025, 3, 31), 5)
					require.NoError(e, err)
					assert.Empty(e, none)
					return nil
				})
			},
		},
		{
			name: "RecentDays",
			rule: "attendance.Reader.RecentDays returns the totals of the current marks on each of the last n distinct dates with marks on or before to, oldest first (empty for n <= 0 or a case without marks)",
			run: func(e *env) {
				putRecentMarks(e, attendance.Unexplained)
				day := func(d int, t attendance.Totals) attendance.Day {
					return attendance.Day{Date: coaching.NewDate(2025, 3, d), Totals: t}
				}
				e.view(func(tx coaching.ReadTx) error {
					rd := attReader(e, tx)
					got, err := rd.RecentDays(e.ctx, "c-1", coaching.NewDate(2025, 3, 9), 2)
					require.NoError(e, err)
					assert.Equal(e, []attendance.Day{
						day(6, attendance.Totals{Marks: 2, Minutes: 180, AbsentMarks: 1, AbsentMinutes: 90}),
						day(7, attendance.Totals{Marks: 1, Minutes: 90}),
					}, got, "a correction counts as its latest revision")
					got, err = rd.RecentDays(e.ctx, "c-1", coaching.NewDate(2025, 3, 10), 1)
					require.NoError(e, err)
					assert.Equal(e, []attendance.Day{day(10, attendance.Totals{Marks: 1, Minutes: 90, AbsentMarks: 1, AbsentMinutes: 90, Unexplained: 1})}, got)
					all, err := rd.RecentDays(e.ctx, "c-1", coaching.NewDate(2025, 3, 31), 99)
					require.NoError(e, err)
					assert.Len(e, all, 5)
					for _, tc := range []struct {
						to coaching.Date
						n  int
					}{{coaching.NewDate(2025, 3, 2), 5}, {coaching.NewDate(2025, 3, 31), 0}} {
						none, err := rd.RecentDays(e.ctx, "c-1", tc.to, tc.n)
						require.NoError(e, err)
						assert.Empty(e, none, "RecentDays(to %s, %d days)", tc.to, tc.n)
					}
					none, err := rd.RecentDays(e.ctx, "nope", coaching.NewDate(2025, 3, 31), 5)
					require.NoError(e, err)
					assert.Empty(e, none)
					return nil
				})
			},
		},
		{
			name: "RecentDaysLongHistory",
			rule: "attendance.Reader.RecentDays over a case with more days than a store may keep at hand (100 dates, written in random order: new days after, between and before the others, corrections of old and recent ones) returns the last n days on or before to of a recount of the current marks, for windows short and long, ending at the latest date or earlier",
			run: func(e *env) {
				e.seed("c-1")
				rng := rand.New(rand.NewPCG(13, 40))
				start := coaching.NewDate(2025, 1, 1)
				var dates []coaching.Date
				for _, i := range rng.Perm(200)[:100] {
					dates = append(dates, start.AddDays(i))
				}
				statuses := []attendance.Status{attendance.Present, attendance.Present, attendance.Late, attendance.Unexplained, attendance.Explained, attendance.Sick}
				revs := map[attendance.MarkKey]int{}
				written := 0
				check := func(round int) {
					e.Helper()
					e.view(func(tx coaching.ReadTx) error {
						rd := attReader(e, tx)
						cur, err := rd.Marks(e.ctx, "c-1", coaching.Date{}, coaching.Date{})
						require.NoError(e, err)
						days := attendance.DaysOf(cur)
						latest := days[len(days)-1].Date
						type query struct {
							to coaching.Date
							n  int
						}
						qs := []query{{latest, 1}, {latest, 21}, {latest, 40}, {latest, 41}, {latest, 99}, {latest, 150}, {start.AddDays(-1), 5}}
						for range 4 {
							qs = append(qs, query{days[rng.IntN(len(days))].Date.AddDays(rng.IntN(3) - 1), 1 + rng.IntN(60)})
						}
						for _, q := range qs {
							var want []attendance.Day
							for _, d := range days {
								if !d.Date.After(q.to) {
									want = append(want, d)
								}
							}
							want = want[max(0, len(want)-q.n):]
							if want == nil {
								want = []attendance.Day{}
							}
							got, err := rd.RecentDays(e.ctx, "c-1", q.to, q.n)
							require.NoError(e, err)
							require.Equal(e, want, got, "round %d: RecentDays(to %s, %d days) of %d days", round, q.to, q.n, len(days))
						}
						return nil
					})
				}
				for round := 0; written < len(dates) || round < 40; round++ {
					var batch []attendance.Mark
					seen := map[attendance.MarkKey]bool{}
					for range 6 {
						var d coaching.Date
						if written < len(dates) && (written == 0 || rng.IntN(3) > 0) {
							d = dates[written]
							written++
						} else {
							d = dates[rng.IntN(written)]
						}
						k := attendance.MarkKey{Date: d, Lesson: fmt.Sprint(1 + rng.IntN(3))}
						if seen[k] {
							continue
						}
						seen[k] = true
						revs[k]++
						s := statuses[rng.IntN(len(statuses))]
						m := attendance.Mark{CaseID: "c-1", Date: d, Lesson: k.Lesson, Minutes: 15 * rng.IntN(7), Status: s,
							Revision: revs[k], At: at(hour), By: "a-teacher"}
						if s == attendance.Explained {
							m.Reason = attendance.ReasonFamily
						}
						batch = append(batch, m)
					}
					e.putMarks(batch...)
					if round%4 == 3 {
						check(round)
					}
				}
				check(-1)
			},
		},
		{
			name: "TotalsFollowCorrections",
			rule: "attendance.Store.PutMarks keeps State.Totals and the day totals (Reader.RecentDays) equal to a recount of the current marks (attendance.Recount): a new mark adds itself, a correction the difference from the revision it replaces; a case without marks has zero totals",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				assert.Equal(e, attendance.State{}, NormalizeState(e.attState("c-1")), "nothing yet")
				statuses := []attendance.Status{attendance.Present, attendance.Late, attendance.Unexplained, attendance.Explained, attendance.Sick}
				rng := rand.New(rand.NewPCG(13, 4))
				revs := map[string]int{}
				for round := 0; round < 12; round++ {
					var batch []attendance.Mark
					seen := map[string]bool{}
					for range 6 {
						id := coaching.CaseID(fmt.Sprintf("c-%d", 1+rng.IntN(2)))
						day, lesson := 1+rng.IntN(5), fmt.Sprint(rng.IntN(3))
						k := string(id) + "/" + fmt.Sprint(day) + "/" + lesson
						if seen[k] {
							continue
						}
						seen[k] = true
						revs[k]++
						m := mark(id, day, lesson, statuses[rng.IntN(len(statuses))], revs[k])
						m.Minutes = 15 * rng.IntN(7)
						batch = append(batch, m)
					}
					e.putMarks(batch...)
				}
				for _, id := range []coaching.CaseID{"c-1", "c-2"} {
					var cur []attendance.Mark
					e.view(func(tx coaching.ReadTx) error {
						var err error
						cur, err = attReader(e, tx).Marks(e.ctx, id, coaching.Date{}, coaching.Date{})
						return err
					})
					want := attendance.Recount(cur)
					require.NotZero(e, want.Marks)
					assert.Equal(e, want, e.attState(id).Totals, "the totals of %s after corrections equal a recount", id)
					e.view(func(tx coaching.ReadTx) error {
						days, err := attReader(e, tx).RecentDays(e.ctx, id, coaching.NewDate(2025, 3, 31), 99)
						require.NoError(e, err)
						assert.Equal(e, attendance.DaysOf(cur), days, "the day totals of %s after corrections equal a recount", id)
						return nil
					})
				}
			},
		},
		{
			name: "Flags",
			rule: "attendance.Store.PutFlags replaces a case's flags (the totals stay) and State returns them field for field, in order; a failed transaction's flags and totals are not stored",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				e.putMarks(mark("c-1", 3, "1", attendance.Unexplained, 1))
				flags := []attendance.RiskFlag{{Rule: "unexplained_3_in_10", Reason: "3 unexplained absences", Since: at(hour), Seq: 4},
					{Rule: "absence_25h", Reason: "25.5 hours of absence (threshold 25 h)", Since: at(2 * hour), Seq: 7}}
				e.update(func(tx coaching.Tx) error { return attStore(e, tx).PutFlags(e.ctx, "c-1", flags) })
				st := NormalizeState(e.attState("c-1"))
				assert.Equal(e, NormalizeState(attendance.State{Flags: flags, Totals: attendance.Totals{Marks: 1, Minutes: 90, AbsentMarks: 1, AbsentMinutes: 90, Unexplained: 1}}), st)
				assert.Equal(e, attendance.State{}, NormalizeState(e.attState("c-2")), "another case's state is its own")
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := attStore(e, tx).PutFlags(e.ctx, "c-1", nil); err != nil {
						return err
					}
					if err := attStore(e, tx).PutMarks(e.ctx, []attendance.Mark{mark("c-1", 4, "1", attendance.Sick, 1)}); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				assert.Equal(e, st, NormalizeState(e.attState("c-1")), "the rolled-back flags and totals are not stored")
				e.update(func(tx coaching.Tx) error { return attStore(e, tx).PutFlags(e.ctx, "c-1", flags[1:]) })
				got := e.attState("c-1")
				require.Len(e, got.Flags, 1)
				assert.Equal(e, "absence_25h", got.Flags[0].Rule)
				assert.Equal(e, 1, got.Totals.Marks, "the totals stay")
				e.update(func(tx coaching.Tx) error { return attStore(e, tx).PutFlags(e.ctx, "c-1", nil) })
				assert.Empty(e, e.attState("c-1").Flags, "cleared")
			},
		},
	}
}

// CheckMigratedAttendance checks a store migrated from a schema that kept
// the flags in the case JSON and no running totals (the SQLite and
// PostgreSQL stores before their migration 0004), holding this fixture:
// case c-1 with the flag {"rule":"unexplained_3_in_10","reason":"3
// unexplained absences within the last 2 school days","since":
// "2026-09-08T06:00:00Z","seq":3}, a team of one, and the marks (date,
// lesson, revision, minutes, status) 2026-09-07/1/1/45/absent_unexplained,
// 2026-09-07/1/2/45/absent_explained, 2026-09-07/2/1/45/absent_unexplained,
// 2026-09-08/1/1/90/present and 2026-09-08/2/1/30/sick; c-2 with the mark
// 2026-09-07//1/300/late; c-3 with an empty flag list; c-4 with nothing.
// The flags must have moved to the attendance state, the case and day
// totals must be a recount of the current marks, and recording must go on
// from them.
func CheckMigratedAttendance(t *testing.T, store coaching.Store) {
	t.Helper()
	ctx := t.Context()
	when := time.Date(2026, 9, 8, 14, 0, 0, 0, time.UTC)
	// state reads a case's state and marks, and checks its day totals are
	// a recount too.
	state := func(id coaching.CaseID) (attendance.State, []attendance.Mark) {
		var st attendance.State
		var marks []attendance.Mark
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			rd := tx.(attendance.Reader)
			var err error
			if st, err = rd.State(ctx, id); err != nil {
				return err
			}
			if marks, err = rd.Marks(ctx, id, coaching.Date{}, coaching.Date{}); err != nil {
				return err
			}
			days, err := rd.RecentDays(ctx, id, coaching.NewDate(2026, 12, 31), 1000)
			if err != nil {
				return err
			}
			want := attendance.DaysOf(marks)
			if want == nil {
				want = []attendance.Day{}
			}
			assert.Equal(t, want, days, "the day totals of %s are a recount", id)
			return nil
		}))
		return st, marks
	}
	st, marks := state("c-1")
	require.Len(t, st.Flags, 1, "the flag moved")
	assert.Equal(t, "unexplained_3_in_10", st.Flags[0].Rule)
	assert.Equal(t, int64(3), st.Flags[0].Seq)
	assert.True(t, st.Flags[0].Since.Equal(coaching.NewDate(2026, 9, 8).At(9, 0)))
	assert.Equal(t, attendance.Totals{Marks: 4, Minutes: 210, AbsentMarks: 3, AbsentMinutes: 120, Unexplained: 1}, st.Totals)
	assert.Equal(t, attendance.Recount(marks), st.Totals, "the totals are a recount of the current marks")
	st, marks = state("c-2")
	assert.Empty(t, st.Flags)
	assert.Equal(t, attendance.Recount(marks), st.Totals)
	for _, id := range []coaching.CaseID{"c-3", "c-4"} {
		st, _ = state(id)
		assert.Equal(t, attendance.State{}, st, id)
	}
	var c coaching.Case
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		var err error
		c, err = tx.Case(ctx, "c-1")
		return err
	}))
	assert.Len(t, c.Team, 1, "the rest of the case row stays")

	// Recording goes on from the migrated totals.
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		return tx.(attendance.Store).PutMarks(ctx, []attendance.Mark{
			{CaseID: "c-1", Date: coaching.NewDate(2026, 9, 8), Lesson: "2", Minutes: 30, Status: attendance.Present, Revision: 2, At: when},
			{CaseID: "c-4", Date: coaching.NewDate(2026, 9, 8), Lesson: "1", Minutes: 45, Status: attendance.Unexplained, Revision: 1, At: when}})
	}))
	for _, id := range []coaching.CaseID{"c-1", "c-4"} {
		st, marks = state(id)
		assert.Equal(t, attendance.Recount(marks), st.Totals, id)
	}
	st, _ = state("c-1")
	assert.Len(t, st.Flags, 1, "the flags stay")
}

// AttendanceWindowFixture is the attendance CheckMigratedAttendanceWindow
// expects, for a test to write into a store before its migration 0007, as
// that store kept it then (the marks, the day and case totals, the
// flags): case c-1 has two lessons a day on 45 school days from 10 August
// 2026 (more days than a store keeps at hand), some marks corrected; c-2
// has marks on 3 days; c-3 has flags (those of Flags) and no marks. The
// marks are returned in the order written, revisions in order.
func AttendanceWindowFixture() (marks []attendance.Mark, flags []attendance.RiskFlag) {
	statuses := []attendance.Status{attendance.Present, attendance.Present, attendance.Present, attendance.Late, attendance.Unexplained, attendance.Sick}
	at := time.Date(2026, 8, 10, 13, 0, 0, 0, time.UTC)
	add := func(id coaching.CaseID, d coaching.Date, lesson string, s attendance.Status, rev int) {
		m := attendance.Mark{CaseID: id, Date: d, Lesson: lesson, Title: "Tunti " + lesson, Minutes: 45, Status: s, Revision: rev, At: at, By: "t-1"}
		if s == attendance.Explained {
			m.Reason = attendance.ReasonAppointment
		}
		marks = append(marks, m)
	}
	d := coaching.NewDate(2026, 8, 10)
	for i := range 45 {
		for _, lesson := range []string{"1", "2"} {
			add("c-1", d, lesson, statuses[(i+len(lesson)*int(lesson[0]))%len(statuses)], 1)
		}
		if i%7 == 3 {
			add("c-1", d, "1", attendance.Explained, 2)
		}
		if i < 3 {
			add("c-2", d, "", statuses[i], 1)
		}
		d = nextSchoolDay(d)
	}
	flags = []attendance.RiskFlag{{Rule: "absence_25h", Reason: "25.5 hours of absence (threshold 25 h)", Since: at, Seq: 2}}
	return marks, flags
}

// CheckMigratedAttendanceWindow checks a store migrated by its 0007 from
// a database holding AttendanceWindowFixture: the early-warning windows
// (Reader.RecentDays, short and long, up to the latest day or earlier)
// and the totals are a recount of the current marks, the flags stay, and
// so they remain after new marks, a correction of the oldest day and one
// of a recent day, and a first mark of the case that had none.
func CheckMigratedAttendanceWindow(t *testing.T, store coaching.Store) {
	t.Helper()
	ctx := t.Context()
	ids := []coaching.CaseID{"c-1", "c-2", "c-3"}
	check := func(when string) {
		t.Helper()
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			rd := tx.(attendance.Reader)
			for _, id := range ids {
				marks, err := rd.Marks(ctx, id, coaching.Date{}, coaching.Date{})
				require.NoError(t, err)
				st, err := rd.State(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, attendance.Recount(marks), st.Totals, "%s: the totals of %s are a recount", when, id)
				days := attendance.DaysOf(marks)
				tos := []coaching.Date{coaching.NewDate(2026, 12, 31)}
				if len(days) > 0 {
					tos = append(tos, days[len(days)-1].Date, days[len(days)/2].Date)
				}
				for _, to := range tos {
					for _, n := range []int{1, 5, 21, 40, 41, 100} {
						want := []attendance.Day{}
						for _, d := range days {
							if !d.Date.After(to) {
								want = append(want, d)
							}
						}
						want = want[max(0, len(want)-n):]
						got, err := rd.RecentDays(ctx, id, to, n)
						require.NoError(t, err)
						assert.Equal(t, want, got, "%s: RecentDays(%s, to %s, %d days) is a recount", when, id, to, n)
					}
				}
			}
			st, err := rd.State(ctx, "c-3")
			require.NoError(t, err)
			assert.Len(t, st.Flags, 1, "%s: the flags stay", when)
			return nil
		}))
	}
	check("migrated")
	when := time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	mk := func(id coaching.CaseID, d coaching.Date, lesson string, s attendance.Status, rev int) attendance.Mark {
		m := attendance.Mark{CaseID: id, Date: d, Lesson: lesson, Minutes: 90, Status: s, Revision: rev, At: when, By: "t-1"}
		if s == attendance.Explained {
			m.Reason = attendance.ReasonFamily
		}
		return m
	}
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		return tx.(attendance.Store).PutMarks(ctx, []attendance.Mark{
			mk("c-1", coaching.NewDate(2026, 10, 20), "1", attendance.Unexplained, 1),
			mk("c-1", coaching.NewDate(2026, 8, 10), "2", attendance.Sick, 2),
			mk("c-2", coaching.NewDate(2026, 8, 11), "", attendance.Present, 2),
			mk("c-3", coaching.NewDate(2026, 10, 19), "1", attendance.Late, 1)})
	}))
	check("after new marks")
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		return tx.(attendance.Store).PutMarks(ctx, []attendance.Mark{
			mk("c-1", coaching.NewDate(2026, 10, 20), "1", attendance.Explained, 2),
			mk("c-1", coaching.NewDate(2026, 10, 14), "1", attendance.Present, 1)})
	}))
	check("after a correction and a day between")
}
