package attendance_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

var teacher = coaching.Actor{ID: "teacher-1", Name: "Opettaja", Roles: []coaching.Role{coaching.RoleTeacher}}

// minorOnMonday starts a test as most here start: an engine whose clock
// is at monday, a minor's pilot case (eighteen on 1 May 2027), and
// monday's date.
func minorOnMonday(t *testing.T) (*ct.Env, coaching.Case, coaching.Date) {
	t.Helper()
	env := ct.New(t, &ct.Options{Start: monday})
	return env, env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1)), coaching.DateOf(monday)
}

func lesson(id coaching.CaseID, d coaching.Date, n int, s attendance.Status) attendance.MarkInput {
	in := attendance.MarkInput{CaseID: id, Date: d, Lesson: fmt.Sprint(n), Title: fmt.Sprintf("Tunti %d", n), Minutes: 45, Status: s}
	if s == attendance.Explained {
		in.Reason = attendance.ReasonAppointment
	}
	return in
}

func record(t *testing.T, env *ct.Env, marks ...attendance.MarkInput) *attendance.Result {
	t.Helper()
	res, err := env.Attendance.Record(context.Background(), teacher, marks)
	require.NoError(t, err)
	return res
}

func flags(t *testing.T, env *ct.Env, id coaching.CaseID) []attendance.RiskFlag {
	t.Helper()
	fl, err := env.Attendance.Flags(context.Background(), ct.Staff, id)
	require.NoError(t, err)
	return fl
}

// Monday 2026-09-07, 09:00 in Helsinki.
var monday = time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki)

func TestOneDigestPerDayAt15(t *testing.T) {
	env, c, d := minorOnMonday(t)

	res := record(t, env, lesson(c.ID, d, 1, attendance.Unexplained), lesson(c.ID, d, 2, attendance.Present))
	require.Len(t, res.Notices, 1)
	n := res.Notices[0]
	assert.Equal(t, coaching.NoticeKindAbsence, n.Kind)
	assert.True(t, n.NotBefore.Equal(d.At(15, 0)), "the digest goes at 15:00 Helsinki, got %s", n.NotBefore)
	assert.Equal(t, coaching.RoleGuardian, n.Recipient.Role)

	env.Clock.Set(d.At(11, 0))
	res = record(t, env, lesson(c.ID, d, 3, attendance.Unexplained), lesson(c.ID, d, 4, attendance.Sick))
	assert.Empty(t, res.Notices, "still one digest for the day")
	assert.Len(t, res.Revised, 1)
	assert.Empty(t, env.Deliver(t), "nothing before 15:00")

	env.Clock.Set(d.At(15, 0))
	sent := env.Deliver(t)
	got := ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: coaching.NoticeKindAbsence, CaseID: c.ID})
	assert.Contains(t, got.Body, "Tunti 1, Tunti 3")
	assert.NotContains(t, got.Body, "Tunti 4", "sickness is health information: never in a guardian notice")
	assert.NotContains(t, got.Body, "Tunti 2")
	assert.Contains(t, got.Body, "Tiina Tutor", "who to contact")
	assert.Contains(t, got.Subject, "7.9.2026")
	assert.Equal(t, coaching.DateOf(env.Clock.Now()), d, "same civil day")
}

func TestCorrectionBeforeTheDigest(t *testing.T) {
	env, c, d := minorOnMonday(t)
	record(t, env, lesson(c.ID, d, 1, attendance.Unexplained), lesson(c.ID, d, 2, attendance.Unexplained))

	env.Clock.Set(d.At(12, 0))
	record(t, env, lesson(c.ID, d, 1, attendance.Explained))
	env.Clock.Set(d.At(15, 1))
	n := ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: coaching.NoticeKindAbsence})
	assert.Contains(t, n.Body, "Tunti 2")
	assert.NotContains(t, n.Body, "Tunti 1", "the explained lesson was removed")

	// The next day: every absence explained before 15:00 cancels the digest.
	env.Clock.Set(d.AddDays(1).At(9, 0))
	d2 := d.AddDays(1)
	record(t, env, lesson(c.ID, d2, 1, attendance.Unexplained))
	env.Clock.Set(d2.At(14, 0))
	res := record(t, env, lesson(c.ID, d2, 1, attendance.Explained))
	assert.Len(t, res.Revised, 1)
	env.Clock.Set(d2.At(16, 0))
	ct.RequireNoNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: coaching.NoticeKindAbsence})
	cancelled, err := env.Store.Notices(context.Background(), coaching.NoticeQuery{Status: coaching.NoticeCancelled})
	require.NoError(t, err)
	assert.Len(t, cancelled, 1)
}

func TestMarksAfterTheDigestGoWithinMinutes(t *testing.T) {
	env, c, d := minorOnMonday(t)
	record(t, env, lesson(c.ID, d, 1, attendance.Unexplained))
	env.Clock.Set(d.At(15, 0))
	require.Len(t, env.Deliver(t), 1)

	env.Clock.Set(d.At(16, 10))
	res := record(t, env, lesson(c.ID, d, 5, attendance.Unexplained), lesson(c.ID, d, 1, attendance.Unexplained))
	require.Len(t, res.Notices, 1, "a follow-up for the new lesson only")
	assert.True(t, res.Notices[0].NotBefore.Equal(d.At(16, 15)), "within minutes")
	env.Clock.Set(d.At(16, 15))
	n := ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: coaching.NoticeKindAbsence})
	assert.Contains(t, n.Body, "Tunti 5")
	assert.NotContains(t, n.Body, "Tunti 1", "a lesson already told is not told again")
	assert.Equal(t, d, coaching.DateOf(env.Clock.Now()), "still that day")
}

func TestCorrectionAfterTheNoticeWasSent(t *testing.T) {
	env, c, d := minorOnMonday(t)
	record(t, env, lesson(c.ID, d, 1, attendance.Unexplained), lesson(c.ID, d, 2, attendance.Unexplained))
	env.Clock.Set(d.At(15, 0))
	require.Len(t, env.Deliver(t), 1)

	env.Clock.Set(d.At(17, 0))
	res := record(t, env, lesson(c.ID, d, 2, attendance.Explained))
	require.Len(t, res.Notices, 1)
	env.Clock.Advance(10 * time.Minute)
	sent := env.Deliver(t)
	ct.RequireNoNotice(t, sent, ct.NoticeMatch{Kind: coaching.NoticeKindAbsence})
	corr := ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: coaching.NoticeKindAbsenceCorrection})
	assert.Contains(t, corr.Body, "Tunti 2")
	assert.NotContains(t, corr.Body, "appointment", "the reason is internal to the school")

	// The same correction recorded again tells nobody again.
	record(t, env, lesson(c.ID, d, 2, attendance.Present))
	env.Clock.Advance(10 * time.Minute)
	assert.Empty(t, env.Deliver(t))
}

func TestEighteenthBirthdayAndConsent(t *testing.T) {
	d := coaching.DateOf(monday)
	cases := []struct {
		name       string
		eighteenth coaching.Date
		consent    coaching.ConsentRecord
		want       int
	}{
		{"day before the birthday: a minor", d.AddDays(1), coaching.ConsentRecord{}, 1},
		{"the 18th birthday itself: an adult", d, coaching.ConsentRecord{}, 0},
		{"adult with consent", d.AddDays(-30), coaching.ConsentRecord{GivenOn: d.AddDays(-10)}, 1},
		{"adult whose consent was withdrawn", d.AddDays(-30), coaching.ConsentRecord{GivenOn: d.AddDays(-10), WithdrawnOn: d}, 0},
		{"consent given later", d.AddDays(-30), coaching.ConsentRecord{GivenOn: d.AddDays(1)}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := ct.New(t, &ct.Options{Start: monday})
			c := env.EnrolPilotMinor(t, tc.eighteenth, func(p *coaching.Participant) { p.GuardianConsent = tc.consent })
			res := record(t, env, lesson(c.ID, d, 1, attendance.Unexplained))
			n := 0
			for _, x := range res.Notices {
				if x.Kind == coaching.NoticeKindAbsence {
					n++
				}
			}
			assert.Equal(t, tc.want, n)
		})
	}
}

// Once the student is an adult who has not consented, nothing more goes
// to the guardians about the days they were a minor: no correction of a
// digest already sent, no late digest, and one still pending is
// cancelled.
func TestNothingToGuardiansOfAnAdult(t *testing.T) {
	d := coaching.DateOf(monday)
	t.Run("correction", func(t *testing.T) {
		env := ct.New(t, &ct.Options{Start: monday})
		c := env.EnrolPilotMinor(t, d.AddDays(2))
		record(t, env, lesson(c.ID, d, 1, attendance.Unexplained))
		env.Clock.Set(d.At(15, 0))
		ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: coaching.NoticeKindAbsence, CaseID: c.ID})
		env.Clock.Set(d.AddDays(2).At(9, 0)) // the 18th birthday
		res := record(t, env, lesson(c.ID, d, 1, attendance.Explained), lesson(c.ID, d, 2, attendance.Unexplained))
		assert.Empty(t, res.Notices, "neither a correction nor a digest of the lesson marked late")
	})
	t.Run("pending digest", func(t *testing.T) {
		env := ct.New(t, &ct.Options{Start: d.At(23, 58)})
		c := env.EnrolPilotMinor(t, d.AddDays(1))
		res := record(t, env, lesson(c.ID, d, 1, attendance.Unexplained))
		require.Len(t, res.Notices, 1, "a late digest, due a few minutes after midnight")
		pending := res.Notices[0]
		env.Clock.Set(d.AddDays(1).At(0, 1)) // the 18th birthday
		res = record(t, env, lesson(c.ID, d, 2, attendance.Unexplained))
		assert.Empty(t, res.Notices)
		assert.Equal(t, []string{pending.ID}, res.Revised, "the pending digest is cancelled")
		env.Clock.Set(d.AddDays(1).At(9, 0))
		assert.Empty(t, env.Deliver(t), "nothing reaches the guardian of the adult")
	})
}

func TestGuardianWithoutContact(t *testing.T) {
	env := ct.New(t, &ct.Options{Start: monday})
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.Guardians = append(p.Guardians, coaching.Guardian{ID: "guardian-2", Name: "Toinen Huoltaja"})
	})
	d := coaching.DateOf(monday)
	res := record(t, env, lesson(c.ID, d, 1, attendance.Unexplained))
	require.Len(t, res.Unreachable, 1)
	assert.Equal(t, "guardian-2", res.Unreachable[0].GuardianID)
	ct.RequireNotice(t, res.Notices, ct.NoticeMatch{Kind: coaching.NoticeKindAbsence, RecipientID: "guardian-1"})
	ct.RequireNotice(t, res.Notices, ct.NoticeMatch{Kind: coaching.NoticeKindGuardianUnreachable, RecipientID: ct.Tutor.ID})
	// Told once, not on every mark.
	res = record(t, env, lesson(c.ID, d, 2, attendance.Unexplained))
	ct.RequireNoNotice(t, res.Notices, ct.NoticeMatch{Kind: coaching.NoticeKindGuardianUnreachable})
}

// Days around the daylight-saving changes: the digest is at 15:00 Helsinki
// on the 23-hour and 25-hour Sundays and the Mondays after, and a mark made
// at 01:30 on a Monday (still Sunday in UTC) belongs to Monday.
func TestDaylightSavingDays(t *testing.T) {
	for _, day := range []coaching.Date{
		coaching.NewDate(2026, 3, 29), coaching.NewDate(2026, 3, 30), // spring forward (last Sunday of March) and the Monday
		coaching.NewDate(2026, 10, 25), coaching.NewDate(2026, 10, 26), // fall back and the Monday
	} {
		t.Run(day.String(), func(t *testing.T) {
			start := day.At(1, 30)
			env := ct.New(t, &ct.Options{Start: start})
			c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
			if day.Weekday() == time.Monday {
				assert.Equal(t, day.AddDays(-1).Day, start.UTC().Day(), "UTC still says Sunday")
			}
			res := record(t, env, lesson(c.ID, day, 1, attendance.Unexplained))
			require.Len(t, res.Notices, 1, "a mark at 01:30 belongs to that day, not to the future")
			nb := res.Notices[0].NotBefore.In(coaching.Helsinki)
			assert.Equal(t, 15, nb.Hour())
			assert.Equal(t, day, coaching.DateOf(nb))
			env.Clock.Set(day.At(14, 59))
			assert.Empty(t, env.Deliver(t))
			env.Clock.Set(day.At(15, 0))
			assert.Len(t, env.Deliver(t), 1)
		})
	}
}

func TestBulkMarkingOfAGroupAndHistory(t *testing.T) {
	env := ct.New(t, &ct.Options{Start: monday})
	var ids []coaching.CaseID
	for i := 0; i < 30; i++ {
		ids = append(ids, env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1)).ID)
	}
	d := coaching.DateOf(monday)
	var group []attendance.MarkInput
	for i, id := range ids {
		s := attendance.Present
		if i%10 == 0 {
			s = attendance.Unexplained
		}
		group = append(group, lesson(id, d, 1, s))
	}
	res := record(t, env, group...)
	assert.Len(t, res.Written, 30)
	assert.Len(t, res.Notices, 3, "one digest per absent minor")
	res = record(t, env, group...)
	assert.Empty(t, res.Written, "the same marks again change nothing")
	assert.Equal(t, 30, res.Unchanged)

	// A correction keeps the history: who changed what.
	corrector := coaching.Actor{ID: "tutor-9", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	fix := lesson(ids[0], d, 1, attendance.Explained)
	_, err := env.Attendance.Record(context.Background(), corrector, []attendance.MarkInput{fix})
	require.NoError(t, err)
	hist, err := env.Attendance.MarkHistory(context.Background(), ct.Staff, ids[0], attendance.MarkKey{Date: d, Lesson: "1"})
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, teacher.ID, hist[0].By)
	assert.Equal(t, attendance.Unexplained, hist[0].Status)
	assert.Equal(t, corrector.ID, hist[1].By)
	assert.Equal(t, attendance.ReasonAppointment, hist[1].Reason)
}

func TestInvalidMarksStoreNothing(t *testing.T) {
	env, c, d := minorOnMonday(t)
	_, err := env.Attendance.Record(context.Background(), teacher, []attendance.MarkInput{
		lesson(c.ID, d, 1, attendance.Unexplained),
		{CaseID: c.ID, Date: d.AddDays(3), Lesson: "2", Status: "gone"},
		{CaseID: c.ID, Date: d, Lesson: "3", Status: attendance.Explained},
		lesson(c.ID, d, 1, attendance.Present),
	})
	ct.RequireInvalid(t, err, "marks[1].date", "marks[1].status", "marks[2].reason", "marks[3]")
	_, err = env.Attendance.Record(context.Background(), teacher, []attendance.MarkInput{
		lesson(c.ID, d, 1, attendance.Unexplained), lesson("no-such-case", d, 1, attendance.Present)})
	ct.RequireInvalid(t, err, "marks[1].case_id")
	marks, err := env.Attendance.Marks(context.Background(), ct.Staff, c.ID, coaching.Date{}, coaching.Date{})
	require.NoError(t, err)
	assert.Empty(t, marks, "nothing is half-saved")
	notices, err := env.Store.Notices(context.Background(), coaching.NoticeQuery{CaseID: c.ID})
	require.NoError(t, err)
	assert.Empty(t, notices)
	_, err = env.Attendance.Record(context.Background(), coaching.Actor{ID: "g", Roles: []coaching.Role{coaching.RoleGuardian}},
		[]attendance.MarkInput{lesson(c.ID, d, 1, attendance.Present)})
	ct.RequireForbidden(t, err)
}

func TestEarlyWarningRaisesOnceAndClears(t *testing.T) {
	env, c, d := minorOnMonday(t)
	// Two unexplained absences: no warning yet.
	record(t, env, lesson(c.ID, d, 1, attendance.Unexplained), lesson(c.ID, d, 2, attendance.Unexplained))
	ct.RequireState(t, env.Engine, c.ID, coaching.PilotStartOfStudies)
	assert.Empty(t, flags(t, env, c.ID))

	env.Clock.Set(d.AddDays(1).At(9, 0))
	res := record(t, env, lesson(c.ID, d.AddDays(1), 1, attendance.Unexplained))
	require.Len(t, res.Raised, 1)
	assert.Equal(t, "unexplained_3_in_10", res.Raised[0].Flag.Rule)
	alert := ct.RequireNotice(t, res.Notices, ct.NoticeMatch{Kind: coaching.NoticeKindRiskAlert, RecipientID: ct.Tutor.ID})
	assert.Contains(t, alert.Body, "3 unexplained absences")
	ct.RequireNoNotice(t, res.Notices, ct.NoticeMatch{Kind: coaching.NoticeKindRiskAlert, RecipientID: "curator-1"})
	ct.RequireState(t, env.Engine, c.ID, coaching.PilotStartOfStudies)
	fl := flags(t, env, c.ID)
	require.Len(t, fl, 1)
	assert.Equal(t, "unexplained_3_in_10", fl[0].Rule)
	assert.Contains(t, fl[0].Reason, "3 unexplained")
	assert.Equal(t, res.Raised[0].Flag, fl[0])

	// A fourth absence: the flag stays, nobody is alerted again.
	res = record(t, env, lesson(c.ID, d.AddDays(1), 2, attendance.Unexplained))
	assert.Empty(t, res.Raised)
	ct.RequireNoNotice(t, res.Notices, ct.NoticeMatch{Kind: coaching.NoticeKindRiskAlert})

	// Explained: the condition no longer holds and the flag clears.
	res = record(t, env, lesson(c.ID, d, 1, attendance.Explained), lesson(c.ID, d, 2, attendance.Explained))
	require.Len(t, res.Cleared, 1)
	ct.RequireState(t, env.Engine, c.ID, coaching.PilotStartOfStudies)
	assert.Empty(t, flags(t, env, c.ID))
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	var risk []string
	for _, e := range trail {
		if e.Kind == attendance.AuditRisk {
			risk = append(risk, e.Reason)
		}
	}
	require.Len(t, risk, 2)
	assert.True(t, strings.HasPrefix(risk[0], "raised unexplained_3_in_10"))
	assert.Equal(t, "cleared unexplained_3_in_10", risk[1])
}

func TestAbsenceHourStepsWidenTheCircle(t *testing.T) {
	env := ct.New(t, &ct.Options{Start: monday})
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	head := coaching.TeamMember{ActorID: "head-1", Role: coaching.RoleHeadOfStudies, Name: "Rehtori", Contact: coaching.Contact{Email: "rehtori@example.fi"}}
	_, err := env.Engine.ChangeCase(context.Background(), ct.Tutor, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
		return ch.ChangeTeam(coaching.TeamChange{Add: &head})
	})
	require.NoError(t, err)
	d := coaching.DateOf(monday)
	// Sick days of 5 hours, a day at a time: the 25 h, 30 h and 50 h steps
	// are crossed on the 5th, 6th and 10th day.
	steps := map[int]struct {
		rule string
		to   []string
	}{
		5:  {"absence_25h", []string{ct.Tutor.ID}},
		6:  {"absence_30h", []string{ct.Tutor.ID, "curator-1"}},
		10: {"absence_50h", []string{ct.Tutor.ID, "curator-1", "head-1"}},
	}
	for n := 1; n <= 10; n++ {
		res := record(t, env, attendance.MarkInput{CaseID: c.ID, Date: d.AddDays(-40 + n), Lesson: "day", Title: "Koulupäivä",
			Minutes: 300, Status: attendance.Sick})
		var raised []string
		for _, r := range res.Raised {
			raised = append(raised, r.Flag.Rule)
		}
		step, isStep := steps[n]
		if !isStep {
			for _, r := range raised {
				assert.NotContains(t, r, "absence_", "day %d raised %s", n, r)
			}
			continue
		}
		assert.Contains(t, raised, step.rule, "day %d", n)
		var got []string
		for _, x := range res.Notices {
			if x.Kind == coaching.NoticeKindRiskAlert && x.Data["rule"] == step.rule {
				got = append(got, x.Recipient.ID)
			}
		}
		assert.ElementsMatch(t, step.to, got, "step %s", step.rule)
	}
}

func TestAttendanceRateRule(t *testing.T) {
	r := attendance.RateRule{RuleName: "rate", MinPercent: 90, SchoolDays: 20, MinDays: 5}
	d := coaching.NewDate(2026, 9, 30)
	today := d.AddDays(1) // the rule judges completed days only
	var marks []attendance.Mark
	for i := 0; i < 20; i++ {
		s := attendance.Present
		if i < 2 {
			s = attendance.Explained // 2 of 20 days: 90 % exactly
		}
		marks = append(marks, attendance.Mark{Date: d.AddDays(-19 + i), Minutes: 300, Status: s})
	}
	hist := func(ms []attendance.Mark) *attendance.History {
		return &attendance.History{Days: attendance.DaysOf(ms), Marks: ms, Totals: attendance.Recount(ms), Today: today}
	}
	hit, _ := r.Check(hist(marks))
	assert.False(t, hit, "90 % is not below 90 %")
	marks[5].Status = attendance.Unexplained
	hit, reason := r.Check(hist(marks))
	assert.True(t, hit)
	assert.Equal(t, "attendance 85.0 % over the last 20 school days (below 90 %)", reason)
	// Older absences outside the 20 school days do not count.
	older := append([]attendance.Mark{{Date: d.AddDays(-40), Minutes: 300, Status: attendance.Unexplained}}, marks...)
	hit, _ = r.Check(hist(older))
	assert.True(t, hit)
	// Too few days to judge.
	hit, _ = r.Check(hist(marks[:3]))
	assert.False(t, hit)
	// Today's half-marked day is not judged: an absence this morning does
	// not flag a student whose completed days are fine.
	fine := append([]attendance.Mark(nil), marks...)
	fine[5].Status = attendance.Present
	morning := append(fine, attendance.Mark{Date: today, Minutes: 300, Status: attendance.Unexplained})
	hit, _ = r.Check(hist(morning))
	assert.False(t, hit, "today is judged when it is over")
}

// The digests a feature enqueues reach the engine's observer as enqueued
// (once committed), carry the trace context of the call that recorded the
// marks, and their send is reported with that trace.
func TestDigestObservedAndTraced(t *testing.T) {
	obs := &ct.Observer{}
	env := ct.New(t, &ct.Options{Start: monday, Engine: coaching.Options{Observer: obs}, Dispatcher: &coaching.DispatcherOptions{Observer: obs, Channel: "email"}})
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	d := coaching.DateOf(monday)
	const trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	ctx := coaching.WithTrace(context.Background(), trace)
	res, err := env.Attendance.Record(ctx, teacher, []attendance.MarkInput{lesson(c.ID, d, 1, attendance.Unexplained)})
	require.NoError(t, err)
	require.Len(t, res.Notices, 1)
	assert.Equal(t, 1, obs.NoticeCount(coaching.NoticeKindAbsence, coaching.NoticeEnqueued))

	// A mark that changes nothing enqueues nothing and reports nothing.
	_, err = env.Attendance.Record(ctx, teacher, []attendance.MarkInput{lesson(c.ID, d, 1, attendance.Unexplained)})
	require.NoError(t, err)
	assert.Equal(t, 1, obs.NoticeCount(coaching.NoticeKindAbsence, coaching.NoticeEnqueued))

	stored, err := env.Store.Notice(context.Background(), res.Notices[0].ID)
	require.NoError(t, err)
	assert.Equal(t, trace, stored.Trace, "the digest carries the recording call's trace")

	env.Clock.Set(d.At(15, 0))
	ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: coaching.NoticeKindAbsence, CaseID: c.ID})
	var sends []coaching.Call
	for _, b := range obs.Begins() {
		if b.Name == coaching.CallSend {
			sends = append(sends, b)
		}
	}
	require.Len(t, sends, 1)
	assert.Equal(t, coaching.Call{Name: coaching.CallSend, Trace: trace, Kind: coaching.NoticeKindAbsence, Channel: "email"}, sends[0])
	assert.Equal(t, 1, obs.NoticeCount(coaching.NoticeKindAbsence, coaching.NoticeSentOK))
	assert.Empty(t, obs.Unended())
}
