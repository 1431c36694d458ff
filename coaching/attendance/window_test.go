package attendance_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// allMarksRule is how the default rules judged before windows and running
// totals: over every mark the student ever had (the code they replaced,
// kept here as the reference the windowed rules must agree with).
func allMarksRule(r attendance.WarningRule, marks []attendance.Mark, today coaching.Date) (bool, string) {
	// schoolDays and since as they were, over all marks up to end.
	schoolDays := func(end coaching.Date, limit int) (n int, oldest coaching.Date) {
		var last coaching.Date
		for i := len(marks) - 1; i >= 0; i-- {
			d := marks[i].Date
			if d.After(end) || d == last {
				continue
			}
			if n == limit {
				break
			}
			n++
			last = d
		}
		return n, last
	}
	since := func(from, end coaching.Date) []attendance.Mark {
		var out []attendance.Mark
		for _, m := range marks {
			if !m.Date.Before(from) && !m.Date.After(end) {
				out = append(out, m)
			}
		}
		return out
	}
	switch r := r.(type) {
	case attendance.RateRule:
		end := today.AddDays(-1)
		days, oldest := schoolDays(end, r.SchoolDays)
		if days < max(r.MinDays, 1) {
			return false, ""
		}
		var attended, scheduled, attendedMarks, n int
		for _, m := range since(oldest, end) {
			n++
			scheduled += m.Minutes
			if !m.Status.Absent() {
				attendedMarks++
				attended += m.Minutes
			}
		}
		if scheduled == 0 {
			attended, scheduled = attendedMarks, n
		}
		if attended*100 >= r.MinPercent*scheduled {
			return false, ""
		}
		tenths := (2*1000*attended + scheduled) / (2 * scheduled)
		return true, fmt.Sprintf("attendance %d.%d %% over the last %d school days (below %d %%)", tenths/10, tenths%10, days, r.MinPercent)
	case attendance.UnexplainedRule:
		days, oldest := schoolDays(today, r.SchoolDays)
		if days == 0 {
			return false, ""
		}
		n := 0
		for _, m := range since(oldest, today) {
			if m.Status == attendance.Unexplained {
				n++
			}
		}
		if n < r.Count {
			return false, ""
		}
		return true, fmt.Sprintf("%d unexplained absences within the last %d school days", n, days)
	case attendance.AbsenceHoursRule:
		minutes := 0
		for _, m := range marks {
			if m.Status.Absent() && !m.Date.After(today) {
				minutes += m.Minutes
			}
		}
		if minutes < r.Hours*60 {
			return false, ""
		}
		return true, fmt.Sprintf("%d.%d hours of absence (threshold %d h)", minutes/60, (minutes%60)*10/60, r.Hours)
	}
	panic(fmt.Sprintf("no reference for %T", r))
}

// The windowed rules — the last days of a student's marks as the store
// returns them (RecentDays) and the running totals — judge every history
// exactly as the rules over all marks did: the same hits, the same words.
func TestWindowedRulesAgreeWithAllMarks(t *testing.T) {
	statuses := []attendance.Status{attendance.Present, attendance.Present, attendance.Present, attendance.Present,
		attendance.Late, attendance.Unexplained, attendance.Explained, attendance.Sick}
	rules := append(attendance.DefaultWarningRules(),
		attendance.RateRule{RuleName: "rate_75_in_5", MinPercent: 75, SchoolDays: 5, MinDays: 2},
		attendance.RateRule{RuleName: "rate_by_marks", MinPercent: 95, SchoolDays: 3, MinDays: 1},
		attendance.UnexplainedRule{RuleName: "unexplained_1_in_1", Count: 1, SchoolDays: 1})
	window := 0
	for _, r := range rules {
		window = max(window, r.Window().SchoolDays)
	}
	rng := rand.New(rand.NewPCG(7, 13))
	hits := 0
	for student := range 400 {
		// Up to 60 school days with gaps, 0–5 lessons a day; some days
		// record no minutes (the rate then counts marks).
		var marks []attendance.Mark
		d := coaching.NewDate(2026, 8, 10)
		noMinutes := student%7 == 0
		for range rng.IntN(60) {
			d = d.AddDays(1 + rng.IntN(3))
			for l := range rng.IntN(6) {
				m := attendance.Mark{Date: d, Lesson: fmt.Sprint(l), Status: statuses[rng.IntN(len(statuses))], Minutes: 45 * (1 + rng.IntN(3))}
				if noMinutes {
					m.Minutes = 0
				}
				marks = append(marks, m)
			}
		}
		for _, today := range []coaching.Date{d, d.AddDays(1), d.AddDays(-3)} {
			upTo := slices.DeleteFunc(slices.Clone(marks), func(m attendance.Mark) bool { return m.Date.After(today) })
			days := attendance.DaysOf(upTo)
			days = days[max(0, len(days)-window):]
			h := &attendance.History{Days: days, Totals: attendance.Recount(upTo), Today: today}
			for _, r := range rules {
				wantHit, wantReason := allMarksRule(r, upTo, today)
				hit, reason := r.Check(h)
				require.Equal(t, wantHit, hit, "student %d, rule %s, today %s", student, r.Name(), today)
				require.Equal(t, wantReason, reason, "student %d, rule %s, today %s", student, r.Name(), today)
				if hit {
					hits++
				}
			}
		}
	}
	require.Greater(t, hits, 100, "the histories raise warnings: the comparison proves something")
}

// Running totals kept through recording and corrections are a recount of
// the current marks, the case's and each day's.
func TestTotalsAfterCorrectionsEqualARecount(t *testing.T) {
	env, c, d := minorOnMonday(t)
	ctx := context.Background()
	statuses := []attendance.Status{attendance.Present, attendance.Late, attendance.Unexplained, attendance.Explained, attendance.Sick}
	rng := rand.New(rand.NewPCG(1, 2))
	for day := range 8 {
		env.Clock.Set(d.AddDays(day).At(9, 0))
		for range 3 {
			var ms []attendance.MarkInput
			for l := range 4 {
				// Each call re-marks some lessons of today and of the days
				// before: new marks, corrections and unchanged marks.
				on := d.AddDays(max(0, day-rng.IntN(3)))
				in := lesson(c.ID, on, l, statuses[rng.IntN(len(statuses))])
				in.Minutes = 15 * (1 + rng.IntN(6))
				if slices.ContainsFunc(ms, func(x attendance.MarkInput) bool { return x.Date == in.Date && x.Lesson == in.Lesson }) {
					continue
				}
				ms = append(ms, in)
			}
			record(t, env, ms...)
		}
	}
	var marks []attendance.Mark
	var st attendance.State
	var days []attendance.Day
	corrected := 0
	require.NoError(t, env.Store.View(ctx, func(tx coaching.ReadTx) error {
		rd := tx.(attendance.Reader)
		var err error
		if marks, err = rd.Marks(ctx, c.ID, coaching.Date{}, coaching.Date{}); err != nil {
			return err
		}
		for _, m := range marks {
			if m.Revision > 1 {
				corrected++
			}
		}
		if days, err = rd.RecentDays(ctx, c.ID, d.AddDays(30), 100); err != nil {
			return err
		}
		st, err = rd.State(ctx, c.ID)
		return err
	}))
	require.Positive(t, corrected, "some marks were corrected")
	assert.Equal(t, attendance.Recount(marks), st.Totals)
	assert.Equal(t, attendance.DaysOf(marks), days)
}

// The nightly review runs as the engine's own actor, with the host's key:
// a condition that
// comes to hold without new marks (the day is over, so the attendance rate
// judges it) raises its flag, with one audit entry by the engine and the
// alerts; run again, it changes nothing.
func TestReviewRisksRaisesWhatTheDayMade(t *testing.T) {
	key := coaching.NewSystemKey()
	env := ct.New(t, &ct.Options{Start: monday, Engine: coaching.Options{SystemKey: key}, Attendance: &attendance.Options{WarningRules: []attendance.WarningRule{
		attendance.RateRule{RuleName: "rate", MinPercent: 90, SchoolDays: 5, MinDays: 1, NotifyRoles: []coaching.Role{coaching.RolePersonalTutor}}}}})
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	d := coaching.DateOf(monday)
	res := record(t, env, lesson(c.ID, d, 1, attendance.Unexplained), lesson(c.ID, d, 2, attendance.Present))
	assert.Empty(t, res.Raised, "today is not judged before it is over")
	ctx := context.Background()
	raised, cleared, err := env.Attendance.ReviewRisks(ctx, key)
	require.NoError(t, err)
	assert.Empty(t, raised)
	assert.Empty(t, cleared)

	env.Clock.Set(d.AddDays(1).At(2, 0))
	raised, cleared, err = env.Attendance.ReviewRisks(ctx, key)
	require.NoError(t, err)
	require.Len(t, raised, 1)
	assert.Empty(t, cleared)
	assert.Equal(t, c.ID, raised[0].CaseID)
	assert.Equal(t, "attendance 50.0 % over the last 1 school days (below 90 %)", raised[0].Flag.Reason)
	fl := flags(t, env, c.ID)
	require.Len(t, fl, 1)
	assert.Equal(t, raised[0].Flag, fl[0])
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	last := trail[len(trail)-1]
	assert.Equal(t, attendance.AuditRisk, last.Kind)
	assert.Equal(t, fl[0].Seq, last.Seq, "the flag names its audit entry")
	assert.Equal(t, []coaching.Role{coaching.RoleSystem}, last.Roles, "raised by the engine's own actor")
	env.Clock.Advance(time.Minute)
	ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: coaching.NoticeKindRiskAlert, RecipientID: ct.Tutor.ID})

	raised, cleared, err = env.Attendance.ReviewRisks(ctx, key)
	require.NoError(t, err)
	assert.Empty(t, raised)
	assert.Empty(t, cleared)
	assert.Len(t, ct.RequireAuditTrail(t, env.Engine, c.ID), len(trail), "nothing changed, nothing written")
	_, _, err = env.Attendance.In(nil).ReviewRisks(ctx, key)
	assert.Error(t, err, "the review runs its own transactions")
}

// The review reads the open cases a page at a time and reaches the last
// one: with more open cases than a page, the case with the greatest id is
// reviewed too.
func TestReviewRisksPagesThroughEveryOpenCase(t *testing.T) {
	key := coaching.NewSystemKey()
	env := ct.New(t, &ct.Options{Start: monday, Engine: coaching.Options{SystemKey: key}, Attendance: &attendance.Options{WarningRules: []attendance.WarningRule{
		attendance.RateRule{RuleName: "rate", MinPercent: 90, SchoolDays: 5, MinDays: 1}}}})
	var ids []coaching.CaseID
	for range 1201 {
		ids = append(ids, env.Enrol(t, coaching.ModelPilot, ct.Participant()).ID)
	}
	slices.Sort(ids)
	d := coaching.DateOf(monday)
	record(t, env, lesson(ids[0], d, 1, attendance.Unexplained), lesson(ids[len(ids)-1], d, 1, attendance.Unexplained))
	env.Clock.Set(d.AddDays(1).At(2, 0))
	raised, _, err := env.Attendance.ReviewRisks(context.Background(), key)
	require.NoError(t, err)
	var got []coaching.CaseID
	for _, f := range raised {
		got = append(got, f.CaseID)
	}
	assert.Equal(t, []coaching.CaseID{ids[0], ids[len(ids)-1]}, got, "the first and the last of 1201 open cases, in id order")
}
