package absence_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// The family's reason and words are the submitter's, the family's and
// the deciders' to see: the generic document read refuses the requests
// and their ledger to everyone (they are a private family), and a
// teacher on the team reading the request sees neither the reason
// category, the text nor why it was rejected.
func TestRequestDetailsPrivate(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonIllness, Text: sickText})
	require.NoError(t, err)

	for _, k := range []string{"absence_request_" + r.ID, "absence_ledger"} {
		for _, who := range []coaching.Actor{teacher, ct.Tutor} {
			err := f.env.Engine.ReadCase(ctx, who, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
				_, err := v.Document(k, 0)
				return err
			})
			assert.Equal(t, coaching.RuleFeatureDocument, ct.RequireForbidden(t, err).Rule, "%s reads %s through the case", who.ID, k)
		}
	}

	seen, err := f.abs.Get(ctx, teacher, c.ID, r.ID)
	require.NoError(t, err)
	assert.Empty(t, seen.Reason, "the teacher does not see the reason category")
	assert.Empty(t, seen.Text)
	rej, err := f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Reason: "lääkärintodistus puuttuu"})
	require.NoError(t, err)
	seen, err = f.abs.Get(ctx, teacher, c.ID, rej.ID)
	require.NoError(t, err)
	assert.Empty(t, seen.DecisionReason, "nor why it was rejected")
	assert.Equal(t, absence.Rejected, seen.Status, "the teacher sees what was decided")
	list, err := f.abs.List(ctx, teacher, c.ID, absence.ListQuery{})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Empty(t, string(list[0].Reason)+list[0].Text+list[0].DecisionReason)

	for _, who := range []coaching.Actor{guardian, ct.Tutor, head} {
		seen, err := f.abs.Get(ctx, who, c.ID, r.ID)
		require.NoError(t, err)
		assert.Equal(t, absence.ReasonIllness, seen.Reason, who.ID)
		assert.Equal(t, sickText, seen.Text, who.ID)
		assert.Equal(t, "lääkärintodistus puuttuu", seen.DecisionReason, who.ID)
	}

	// A JSON client gets the version a decision needs.
	raw, err := json.Marshal(seen)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"version":2`)
}

// An engine without the requests' family would keep the family's words
// as ordinary, unguarded case documents: every command refuses it.
func TestUnregisteredFamilyRefused(t *testing.T) {
	env := ct.New(t, &ct.Options{Start: monday, Attendance: &attendance.Options{Excuses: absence.Excuses()}})
	abs, err := absence.New(env.Engine, env.Attendance, nil)
	require.NoError(t, err)
	ctx := context.Background()
	c := env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	_, err = abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonIllness, Text: sickText})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "absence.Documents()")
	_, err = abs.List(ctx, ct.Tutor, c.ID, absence.ListQuery{})
	assert.Contains(t, err.Error(), "absence.Documents()")
	err = env.Engine.ReadCase(ctx, ct.Tutor, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		_, err := v.Document("absence_request_1", 0)
		return err
	})
	require.ErrorIs(t, err, coaching.ErrNotFound, "nothing was stored")
}

// Nobody decides their own request: the tutor their own leave, the head
// of studies their own long one, a tutor who is the student's guardian
// their child's.
func TestOwnRequestNotDecided(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	r, err := f.abs.Submit(ctx, ct.Tutor, c.ID, absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 9, 9), Text: "x"})
	require.NoError(t, err)
	_, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	assert.Equal(t, absence.RuleOwnDecision, ct.RequireForbidden(t, err).Rule)
	got, err := f.abs.Decide(ctx, head, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	require.NoError(t, err, "the head of studies decides the tutor's")
	assert.Equal(t, absence.Granted, got.Status)

	long, err := f.abs.Submit(ctx, head, c.ID, absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 10, 5), To: coaching.NewDate(2026, 10, 30), Text: "x"})
	require.NoError(t, err)
	_, err = f.abs.Decide(ctx, head, c.ID, long.ID, absence.Decision{Version: long.Version, Accept: true})
	assert.Equal(t, absence.RuleOwnDecision, ct.RequireForbidden(t, err).Rule)

	g, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 10), Reason: absence.ReasonFamily})
	require.NoError(t, err)
	parentTutor := ct.Tutor
	parentTutor.Relations = []coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: c.ParticipantID}}
	_, err = f.abs.Decide(ctx, parentTutor, c.ID, g.ID, absence.Decision{Version: g.Version, Accept: true})
	assert.Equal(t, absence.RuleOwnDecision, ct.RequireForbidden(t, err).Rule)
	// A non-decider with a stale version is refused, not told of a conflict.
	_, err = f.abs.Decide(ctx, teacher, c.ID, g.ID, absence.Decision{Version: g.Version + 5, Accept: true})
	assert.Equal(t, coaching.RuleDeciders, ct.RequireForbidden(t, err).Rule)
}

// A report the tutor decides keeps the lessons it covers out of the
// guardian's digest while it waits — marked before or after it — and a
// rejection puts them back.
func TestPendingReportKeepsLessonsOutOfDigest(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	today := coaching.DateOf(monday)
	f.env.Clock.Set(today.At(8, 30))
	f.record(t, lesson(c.ID, today, 1, attendance.Unexplained))
	require.Len(t, f.pendingNotices(t, coaching.NoticeKindAbsence), 1, "the digest of lesson 1")

	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: today, Reason: absence.ReasonIllness, Text: sickText})
	require.NoError(t, err)
	require.Equal(t, absence.Submitted, r.Status)
	assert.Empty(t, f.pendingNotices(t, coaching.NoticeKindAbsence), "the guardian reported the day: the digest is cancelled")

	f.env.Clock.Set(today.At(10, 0))
	res := f.record(t, lesson(c.ID, today, 2, attendance.Unexplained))
	assert.Equal(t, attendance.Unexplained, res.Written[0].Status, "pending: the mark stays as marked")
	assert.Empty(t, f.pendingNotices(t, coaching.NoticeKindAbsence), "nor is lesson 2 told")

	_, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Reason: "ei todistusta"})
	require.NoError(t, err)
	ns := f.pendingNotices(t, coaching.NoticeKindAbsence)
	require.Len(t, ns, 1, "rejected: the guardian is told of the day's unexplained absences")
	assert.Equal(t, "1\x1f2", ns[0].Data["lessons"])
}

// What a case keeps stays bounded: no request far ahead, at most MaxOpen
// waiting, and those nobody decided lapse a month after their days.
func TestLedgerBounded(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	_, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2099, 1, 5), Reason: absence.ReasonIllness})
	assert.Equal(t, "from", requireValidation(t, err).Problems[0].Field)

	d := coaching.DateOf(monday)
	var first absence.Request
	for i := range absence.MaxOpen {
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDays(1)
		}
		r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: d, Reason: absence.ReasonFamily})
		require.NoError(t, err)
		if i == 0 {
			first = r
		}
		d = d.AddDays(1)
	}
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDays(1)
	}
	_, err = f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: d, Reason: absence.ReasonFamily})
	assert.Equal(t, "case", requireValidation(t, err).Problems[0].Field, "at most MaxOpen waiting")
	size := ledgerSize(t, f, c.ID)

	f.env.Clock.Set(d.AddDays(attendance.ExcuseKeep+1).At(9, 0))
	next := coaching.DateOf(f.env.Clock.Now()).AddDays(1)
	for next.Weekday() == time.Saturday || next.Weekday() == time.Sunday {
		next = next.AddDays(1)
	}
	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: next, Reason: absence.ReasonFamily})
	require.NoError(t, err)
	open, err := f.abs.List(ctx, guardian, c.ID, absence.ListQuery{OpenOnly: true})
	require.NoError(t, err)
	require.Len(t, open, 1, "the requests nobody decided lapsed")
	assert.Equal(t, r.ID, open[0].ID)
	old, err := f.abs.Get(ctx, guardian, c.ID, first.ID)
	require.NoError(t, err)
	assert.Equal(t, absence.Lapsed, old.Status)
	assert.Less(t, ledgerSize(t, f, c.ID), size/5, "the ledger shrank with them")
}

func ledgerSize(t *testing.T, f *fixture, id coaching.CaseID) int {
	t.Helper()
	var n int
	require.NoError(t, f.env.Store.View(context.Background(), func(tx coaching.ReadTx) error {
		d, err := tx.Document(context.Background(), id, "absence_ledger", 0)
		n = len(d.Data)
		return err
	}))
	return n
}

// An accepted report is not final: the guardian withdraws it when the
// child recovers (the days from today on are no longer covered, the days
// before still are), a teacher's explicit override stands, and a long
// illness reported in short pieces is not accepted piece by piece.
func TestAcceptedNotFinal(t *testing.T) {
	f := newFixture(t, monday, &absence.Options{Rules: absence.Rules{AutoAcceptIllnessDays: 3}})
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	mon := coaching.DateOf(monday)
	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: mon, To: mon.AddDays(2), Reason: absence.ReasonIllness})
	require.NoError(t, err)
	require.Equal(t, absence.Accepted, r.Status)

	f.env.Clock.Set(mon.At(11, 0))
	res, err := f.env.Attendance.Record(ctx, teacher, []attendance.MarkInput{
		lesson(c.ID, mon, 1, attendance.Unexplained),
		withOverride(lesson(c.ID, mon, 2, attendance.Unexplained))})
	require.NoError(t, err)
	assert.Equal(t, attendance.Sick, res.Written[0].Status)
	assert.Equal(t, attendance.Unexplained, res.Written[1].Status, "the teacher's override stands")

	_, err = f.abs.Withdraw(ctx, teacher, c.ID, r.ID)
	assert.Equal(t, absence.RuleOwnRequest, ct.RequireForbidden(t, err).Rule)
	f.env.Clock.Set(mon.AddDays(1).At(8, 0))
	w, err := f.abs.Withdraw(ctx, guardian, c.ID, r.ID)
	require.NoError(t, err, "the child recovered")
	assert.Equal(t, absence.Withdrawn, w.Status)
	f.env.Clock.Set(mon.AddDays(1).At(10, 0))
	res = f.record(t, lesson(c.ID, mon.AddDays(1), 1, attendance.Unexplained), lesson(c.ID, mon, 3, attendance.Unexplained))
	assert.Equal(t, attendance.Unexplained, res.Written[0].Status, "today is no longer covered")
	assert.Equal(t, attendance.Sick, res.Written[1].Status, "Monday still is")

	// Six days of illness in two reports: the second goes to the tutor.
	a, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: mon.AddDays(7), To: mon.AddDays(9), Reason: absence.ReasonIllness})
	require.NoError(t, err)
	assert.Equal(t, absence.Accepted, a.Status)
	b, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: mon.AddDays(10), To: mon.AddDays(14), Reason: absence.ReasonIllness})
	require.NoError(t, err)
	assert.Equal(t, absence.Submitted, b.Status, "adjoining the accepted three days: six in all")
	assert.Equal(t, absence.DeciderTutor, b.Decider)
	// The accepted one withdrawn by its decider (the tutor).
	_, err = f.abs.Withdraw(ctx, ct.Tutor, c.ID, a.ID)
	require.NoError(t, err)
}

func withOverride(in attendance.MarkInput) attendance.MarkInput {
	in.Override = true
	return in
}

// Decisions and withdrawals on a closed case are refused, as recording
// is: the marks stay as they were.
func TestClosedCaseRefused(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	mon := coaching.DateOf(monday)
	f.record(t, lesson(c.ID, mon, 1, attendance.Unexplained))
	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Explanation, From: mon, Reason: absence.ReasonFamily})
	require.NoError(t, err)
	_, err = f.env.Engine.Fire(ctx, ct.Tutor, c.ID, coaching.PilotDiscontinue, &coaching.FireOptions{Reason: "moved away"})
	require.NoError(t, err)
	_, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	requireValidation(t, err)
	_, err = f.abs.Withdraw(ctx, guardian, c.ID, r.ID)
	requireValidation(t, err)
	ms, err := f.env.Attendance.Marks(ctx, ct.Tutor, c.ID, mon, mon)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Equal(t, attendance.Unexplained, ms[0].Status)
	assert.Equal(t, 1, ms[0].Revision)
}

// Whether a request still excuses a mark recorded late depends on the
// mark's date and today only, not on whether some other request settled
// meanwhile.
func TestExcuseWindowByDate(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	mon := coaching.DateOf(monday)
	var cases []coaching.Case
	for i := range 2 {
		c := f.minor(t, coaching.NewDate(2027, 5, 1))
		cases = append(cases, c)
		f.env.Clock.Set(monday)
		f.record(t, lesson(c.ID, mon, 1, attendance.Unexplained))
		r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Explanation, From: mon, Reason: absence.ReasonFamily})
		require.NoError(t, err)
		_, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
		require.NoError(t, err)
		if i == 1 {
			// An unrelated request settles on the second case later.
			f.env.Clock.Set(coaching.NewDate(2026, 10, 20).At(9, 0))
			_, err = f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 10, 21), Reason: absence.ReasonOther})
			require.NoError(t, err)
		}
	}
	f.env.Clock.Set(coaching.NewDate(2026, 10, 20).At(10, 0))
	var got []attendance.Status
	for _, c := range cases {
		res := f.record(t, lesson(c.ID, mon, 1, attendance.Unexplained))
		require.Len(t, res.Written, 1)
		got = append(got, res.Written[0].Status)
	}
	assert.Equal(t, got[0], got[1], "the same re-recording, the same result")
	assert.Equal(t, attendance.Unexplained, got[0], "past the window, as recorded")
}

// An explanation corrects exactly the lessons it names, and leaves the
// rest of the day's digest.
func TestExplanationCorrectsNamedLessons(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	mon := coaching.DateOf(monday)
	f.record(t, lesson(c.ID, mon, 1, attendance.Unexplained), lesson(c.ID, mon, 2, attendance.Unexplained), lesson(c.ID, mon, 3, attendance.Late))
	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Explanation, From: mon, Lessons: []string{"1", "3"}, Reason: absence.ReasonFamily})
	require.NoError(t, err)
	_, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	require.NoError(t, err)
	ms, err := f.env.Attendance.Marks(ctx, ct.Tutor, c.ID, mon, mon)
	require.NoError(t, err)
	status := map[string]attendance.Status{}
	for _, m := range ms {
		status[m.Lesson] = m.Status
	}
	assert.Equal(t, map[string]attendance.Status{"1": attendance.Explained, "2": attendance.Unexplained, "3": attendance.Late}, status)
	ns := f.pendingNotices(t, coaching.NoticeKindAbsence)
	require.Len(t, ns, 1)
	assert.Equal(t, "2", ns[0].Data["lessons"])
}

// Validation is bounded: fifty thousand lessons, all the same, are one
// problem, not fifty thousand.
func TestValidationBounded(t *testing.T) {
	f := newFixture(t, monday, nil)
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	ls := make([]string, 50000)
	for i := range ls {
		ls[i] = "1"
	}
	_, err := f.abs.Submit(context.Background(), guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonOther, Lessons: ls})
	ve := requireValidation(t, err)
	assert.Len(t, ve.Problems, 1)
	assert.Less(t, len(err.Error()), 500)
	_, err = f.abs.Submit(context.Background(), guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonOther, Lessons: []string{"1", "2", "1"}})
	assert.Equal(t, "lessons[2]", requireValidation(t, err).Problems[0].Field)
}

// The English notice to the decider reads right.
func TestEnglishSubmittedNotice(t *testing.T) {
	f := newFixture(t, monday, nil)
	tutor := ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor)
	tutor.Language = coaching.English
	c := f.env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)), tutor)
	_, err := f.abs.Submit(context.Background(), guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonOther})
	require.NoError(t, err)
	ns := f.notices(t, absence.NoticeKindSubmitted)
	require.Len(t, ns, 1)
	assert.True(t, strings.HasPrefix(ns[0].Subject, "An absence report awaits"), ns[0].Subject)
}

// Someone who is a guardian of one student and staff on another's team
// submits for the latter as staff.
func TestMixedRolesByRelation(t *testing.T) {
	f := newFixture(t, monday, nil)
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	both := teacher
	both.Roles = []coaching.Role{coaching.RoleGuardian, coaching.RoleTeacher}
	r, err := f.abs.Submit(context.Background(), both, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonOther})
	if err != nil {
		var fe *coaching.ForbiddenError
		require.True(t, errors.As(err, &fe), "%v", err)
		t.Skipf("the policy refuses an actor with both roles: %v", err)
	}
	assert.Equal(t, coaching.RoleTeacher, r.SubmittedAs)
}

func requireValidation(t *testing.T, err error) *coaching.ValidationError {
	t.Helper()
	var ve *coaching.ValidationError
	require.ErrorAs(t, err, &ve)
	return ve
}

// The deciders' notice goes to someone who may decide: not to the tutor
// who submitted the request (they may not decide it), but to the head of
// studies on the team.
func TestDeciderNoticeNotToSubmitter(t *testing.T) {
	f := newFixture(t, monday, nil)
	c := f.env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)),
		ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(head, coaching.RoleHeadOfStudies))
	_, err := f.abs.Submit(context.Background(), ct.Tutor, c.ID, absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 9, 9), Text: "x"})
	require.NoError(t, err)
	ns := f.notices(t, absence.NoticeKindSubmitted)
	require.Len(t, ns, 1)
	assert.Equal(t, head.ID, ns[0].Recipient.ID)
}

// A guardian's request lapses when the guardian is no longer recorded as
// the student's by the time it is decided.
func TestRemovedGuardianRequestLapses(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.Guardians = append(p.Guardians, coaching.Guardian{ID: "guardian-2", Name: "Toinen", Contact: coaching.Contact{Email: "g2@example.fi"}})
	})
	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonFamily})
	require.NoError(t, err)
	require.NoError(t, f.env.Store.Update(ctx, func(tx coaching.Tx) error {
		p, err := tx.Participant(ctx, c.Organisation, c.ParticipantID)
		if err != nil {
			return err
		}
		p.Guardians = p.Guardians[1:]
		return tx.UpdateParticipant(ctx, p)
	}))
	got, err := f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	require.ErrorIs(t, err, absence.ErrLapsed)
	assert.Equal(t, absence.Lapsed, got.Status)
}
