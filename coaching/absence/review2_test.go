package absence_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/erasure"
)

// guardianAbsenceNotices are the absence digests and corrections made for
// the guardian, whatever their status.
func (f *fixture) guardianAbsenceNotices(t *testing.T) []coaching.Notice {
	t.Helper()
	var out []coaching.Notice
	for _, k := range []string{coaching.NoticeKindAbsence, coaching.NoticeKindAbsenceCorrection} {
		for _, n := range f.notices(t, k) {
			if n.Recipient.ID == guardian.ID {
				out = append(out, n)
			}
		}
	}
	return out
}

// A guardian's report or explanation of Monday's absences waits for a
// decision (Monday's digest cancelled); the student turns 18 on Thursday
// without consenting to their guardians being told; the request lapses —
// at a decision or in the nightly sweep — and Monday's absences count as
// unexplained again, but no new digest goes to the guardian of the adult.
func TestLapseAtEighteenReportAndExplanation(t *testing.T) {
	mon := coaching.DateOf(monday)
	thursday := coaching.NewDate(2026, 9, 10)
	friday := coaching.NewDate(2026, 9, 11).At(9, 0)
	for _, kind := range []absence.Kind{absence.Report, absence.Explanation} {
		for _, how := range []string{"decision", "sweep"} {
			t.Run(string(kind)+" "+how, func(t *testing.T) {
				f := newFixture(t, monday, nil)
				ctx := context.Background()
				c := f.minor(t, thursday)
				in := absence.Input{Kind: kind, From: mon, Reason: absence.ReasonFamily, Text: "perhe"}
				if kind == absence.Report {
					// Reported before the lessons are marked: they are
					// recorded unexplained while it waits, and kept out
					// of the digest.
					_, err := f.abs.Submit(ctx, guardian, c.ID, in)
					require.NoError(t, err)
				}
				f.record(t, lesson(c.ID, mon, 1, attendance.Unexplained), lesson(c.ID, mon, 2, attendance.Unexplained))
				r := absence.Request{}
				if kind == absence.Explanation {
					var err error
					r, err = f.abs.Submit(ctx, guardian, c.ID, in)
					require.NoError(t, err)
				} else {
					open, err := f.abs.List(ctx, ct.Tutor, c.ID, absence.ListQuery{OpenOnly: true})
					require.NoError(t, err)
					require.Len(t, open, 1)
					r = open[0]
				}
				require.Equal(t, absence.Submitted, r.Status)
				require.Empty(t, f.pendingNotices(t, coaching.NoticeKindAbsence), "the family told the school: no digest waits")
				before := len(f.guardianAbsenceNotices(t))

				f.env.Clock.Set(friday)
				switch how {
				case "decision":
					got, err := f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
					require.ErrorIs(t, err, absence.ErrLapsed)
					assert.Equal(t, absence.Lapsed, got.Status)
				case "sweep":
					lapsed, err := f.abs.Lapse(ctx, f.key)
					require.NoError(t, err)
					assert.Equal(t, []absence.LapsedRequest{{CaseID: c.ID, RequestID: r.ID}}, lapsed)
				}
				got, err := f.abs.Get(ctx, ct.Tutor, c.ID, r.ID)
				require.NoError(t, err)
				assert.Equal(t, absence.Lapsed, got.Status)
				assert.Len(t, f.guardianAbsenceNotices(t), before, "nothing new goes to the guardian of an adult without consent")
				assert.Empty(t, f.pendingNotices(t, coaching.NoticeKindAbsence))
				marks, err := f.env.Attendance.Marks(ctx, ct.Tutor, c.ID, mon, mon)
				require.NoError(t, err)
				for _, m := range marks {
					assert.Equal(t, attendance.Unexplained, m.Status, "a lapsed request excuses nothing")
				}
			})
		}
	}
}

// Deciders at once on one absence report and on one explanation: exactly
// one decision wins, the others get a conflict, and the marks are
// corrected once (or not at all).
func TestConcurrentDecisionsReportAndExplanation(t *testing.T) {
	for _, kind := range []absence.Kind{absence.Report, absence.Explanation} {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixture(t, monday, nil)
			ctx := context.Background()
			c := f.minor(t, coaching.NewDate(2027, 5, 1))
			mon := coaching.DateOf(monday)
			f.record(t, lesson(c.ID, mon, 1, attendance.Unexplained))
			r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: kind, From: mon, Reason: absence.ReasonIllness, Text: sickText})
			require.NoError(t, err)
			require.Equal(t, absence.Submitted, r.Status)
			deciders := []coaching.Actor{ct.Tutor, head, ct.Tutor, head, ct.Tutor, head}
			errs := make([]error, len(deciders))
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, a := range deciders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = f.abs.Decide(ctx, a, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: i%2 == 0, Reason: "ei"})
				}()
			}
			close(start)
			wg.Wait()
			won := -1
			for i, err := range errs {
				if err == nil {
					assert.Equal(t, -1, won, "a second decision won")
					won = i
					continue
				}
				var ce *coaching.ConflictError
				assert.ErrorAs(t, err, &ce)
			}
			require.GreaterOrEqual(t, won, 0, "one decision wins")
			got, err := f.abs.Get(ctx, ct.Tutor, c.ID, r.ID)
			require.NoError(t, err)
			assert.Equal(t, r.Version+1, got.Version)
			assert.Len(t, f.notices(t, absence.NoticeKindDecided), 1, "one decision told")
			hist, err := f.env.Attendance.MarkHistory(ctx, ct.Tutor, c.ID, attendance.MarkKey{Date: mon, Lesson: "1"})
			require.NoError(t, err)
			if won%2 == 0 {
				assert.Equal(t, absence.Accepted, got.Status)
				require.Len(t, hist, 2, "corrected once")
				assert.Equal(t, attendance.Sick, hist[1].Status)
				assert.Equal(t, deciders[won].ID, hist[1].By)
			} else {
				assert.Equal(t, absence.Rejected, got.Status)
				assert.Len(t, hist, 1, "a rejection corrects nothing")
			}
		})
	}
}

// Student-welfare staff on the team do not submit a family's requests:
// their text would be read by the family and the deciders.
func TestWelfareStaffDoNotSubmit(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	for _, role := range []coaching.Role{coaching.RoleCurator, coaching.RolePsychologist, coaching.RoleNurse} {
		w := coaching.Actor{ID: "welfare-" + string(role), Roles: []coaching.Role{role}}
		c := f.env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)),
			ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(w, role), ct.TeamMember(teacher, coaching.RoleTeacher))
		_, err := f.abs.Submit(ctx, w, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonOther, Text: "tapaamiset"})
		assert.Equal(t, coaching.RuleWelfareChannel, ct.RequireForbidden(t, err).Rule, role)
		open, err := f.abs.List(ctx, ct.Tutor, c.ID, absence.ListQuery{})
		require.NoError(t, err)
		assert.Empty(t, open, "nothing saved")
		_, err = f.abs.Submit(ctx, teacher, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonOther})
		assert.NoError(t, err, "the teacher on the same team submits on the family's behalf")
	}
	// A curator who is also on the team as a teacher submits as the teacher.
	both := coaching.Actor{ID: "curator-teacher", Roles: []coaching.Role{coaching.RoleCurator, coaching.RoleTeacher}}
	c := f.env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)),
		ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(both, coaching.RoleCurator), ct.TeamMember(both, coaching.RoleTeacher))
	_, err := f.abs.Submit(ctx, both, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonOther})
	assert.NoError(t, err)
}

// A team without a personal tutor has its coach decide what the personal
// tutor would: the coach is told and decides; the teacher does not.
func TestCoachDecidesWithoutTutor(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)),
		ct.TeamMember(ct.Coach, coaching.RoleCoach), ct.TeamMember(teacher, coaching.RoleTeacher))
	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonFamily, Text: "x"})
	require.NoError(t, err)
	assert.Equal(t, absence.DeciderTutor, r.Decider)
	told := f.notices(t, absence.NoticeKindSubmitted)
	require.Len(t, told, 1, "the coach is told")
	assert.Equal(t, ct.Coach.ID, told[0].Recipient.ID)
	seen, err := f.abs.Get(ctx, ct.Coach, c.ID, r.ID)
	require.NoError(t, err)
	assert.Equal(t, "x", seen.Text, "the coach decides: the family's words are theirs to read")
	_, err = f.abs.Decide(ctx, teacher, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	assert.Equal(t, coaching.RuleDeciders, ct.RequireForbidden(t, err).Rule)
	got, err := f.abs.Decide(ctx, ct.Coach, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	require.NoError(t, err)
	assert.Equal(t, absence.Accepted, got.Status)
	assert.Equal(t, ct.Coach.ID, got.DecidedBy)

	// With a personal tutor on the team, the coach does not decide.
	both := f.env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)),
		ct.TeamMember(ct.Coach, coaching.RoleCoach), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	r2, err := f.abs.Submit(ctx, guardian, both.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonFamily})
	require.NoError(t, err)
	_, err = f.abs.Decide(ctx, ct.Coach, both.ID, r2.ID, absence.Decision{Version: r2.Version, Accept: true})
	assert.Equal(t, absence.RuleDecider, ct.RequireForbidden(t, err).Rule)
	// A long leave is the head of studies': the coach cannot grant it.
	long, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 9, 14), To: coaching.NewDate(2026, 9, 25), Text: "matka"})
	require.NoError(t, err)
	_, err = f.abs.Decide(ctx, ct.Coach, c.ID, long.ID, absence.Decision{Version: long.Version, Accept: true})
	assert.Equal(t, absence.RuleDecider, ct.RequireForbidden(t, err).Rule)
}

// An illness accepted when the guardian reports it corrects the marks in
// the organisation's rule's name: after the student's data are erased,
// the marks that stay keep no family member's id beside the sick status.
func TestErasureLeavesNoGuardianOnMarks(t *testing.T) {
	f := newFixture(t, monday, &absence.Options{Rules: absence.Rules{AutoAcceptIllnessDays: 3}})
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	today := coaching.DateOf(monday)
	f.record(t, lesson(c.ID, today, 1, attendance.Unexplained))
	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: today, To: today.AddDays(1), Reason: absence.ReasonIllness, Text: "kuumetta"})
	require.NoError(t, err)
	require.Equal(t, absence.Accepted, r.Status)
	f.env.Clock.Set(today.AddDays(1).At(10, 0))
	f.record(t, lesson(c.ID, today.AddDays(1), 1, attendance.Unexplained))

	er, err := erasure.New(f.env.Engine)
	require.NoError(t, err)
	_, err = er.Erase(ctx, head, c.ParticipantID, nil)
	require.NoError(t, err)
	require.NoError(t, f.env.Store.View(ctx, func(tx coaching.ReadTx) error {
		n := 0
		for _, d := range []coaching.Date{today, today.AddDays(1)} {
			for _, k := range []attendance.MarkKey{{Date: d, Lesson: "1"}} {
				hist, err := tx.(attendance.Reader).MarkHistory(ctx, c.ID, k)
				if err != nil {
					return err
				}
				for _, m := range hist {
					n++
					assert.NotEqual(t, guardian.ID, m.By, "mark %s %s revision %d", m.Date, m.Lesson, m.Revision)
				}
				if assert.NotEmpty(t, hist) {
					assert.Equal(t, attendance.Sick, hist[len(hist)-1].Status)
				}
			}
		}
		assert.Equal(t, 3, n, "the corrected mark's two revisions and the excused one")
		return nil
	}))
}
