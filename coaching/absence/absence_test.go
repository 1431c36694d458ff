package absence_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

var (
	// Monday 2026-09-07, 09:00 in Helsinki.
	monday   = time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki)
	guardian = coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	teacher  = coaching.Actor{ID: "teacher-1", Name: "Opettaja", Roles: []coaching.Role{coaching.RoleTeacher}}
	head     = coaching.Actor{ID: "head-1", Name: "Rehtori", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
)

const sickText = "kuumetta ja vatsatauti, lääkäri käynyt"

type fixture struct {
	env *ct.Env
	abs *absence.Service
	key *coaching.SystemKey
}

// newFixture is the kit with requests registered as a host registers
// them: the document family, attendance's port and the service.
func newFixture(t *testing.T, start time.Time, opts *absence.Options) *fixture {
	t.Helper()
	key := coaching.NewSystemKey()
	env := ct.New(t, &ct.Options{Start: start, Engine: coaching.Options{Documents: absence.Documents(), SystemKey: key},
		Attendance: &attendance.Options{Excuses: absence.Excuses()}})
	abs, err := absence.New(env.Engine, env.Attendance, opts)
	require.NoError(t, err)
	return &fixture{env: env, abs: abs, key: key}
}

// minor enrols a pilot minor who turns 18 on eighteenth, with the kit's
// tutor, a curator and a teacher on the team (and the edits applied).
func (f *fixture) minor(t *testing.T, eighteenth coaching.Date, edits ...func(*coaching.Participant)) coaching.Case {
	t.Helper()
	tutor := ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor)
	tutor.Name = "Tiina Tutor"
	return f.env.Enrol(t, coaching.ModelPilot, ct.Minor(eighteenth, edits...), tutor, ct.TeamMember(teacher, coaching.RoleTeacher))
}

func lesson(id coaching.CaseID, d coaching.Date, n int, s attendance.Status) attendance.MarkInput {
	return attendance.MarkInput{CaseID: id, Date: d, Lesson: fmt.Sprint(n), Title: fmt.Sprintf("Tunti %d", n), Minutes: 45, Status: s}
}

func (f *fixture) record(t *testing.T, marks ...attendance.MarkInput) *attendance.Result {
	t.Helper()
	res, err := f.env.Attendance.Record(context.Background(), teacher, marks)
	require.NoError(t, err)
	return res
}

func (f *fixture) pendingNotices(t *testing.T, kind string) []coaching.Notice {
	t.Helper()
	ns, err := f.env.Store.Notices(context.Background(), coaching.NoticeQuery{})
	require.NoError(t, err)
	var out []coaching.Notice
	for _, n := range ns {
		if n.Kind == kind && n.Status == coaching.NoticePending {
			out = append(out, n)
		}
	}
	return out
}

func (f *fixture) notices(t *testing.T, kind string) []coaching.Notice {
	t.Helper()
	ns, err := f.env.Store.Notices(context.Background(), coaching.NoticeQuery{})
	require.NoError(t, err)
	var out []coaching.Notice
	for _, n := range ns {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// noHealthDetails checks that nothing the kernel keeps outside the
// requests — the audit trail, the notices — carries the reason category
// or the family's text.
func (f *fixture) noHealthDetails(t *testing.T, id coaching.CaseID, words ...string) {
	t.Helper()
	trail := ct.RequireAuditTrail(t, f.env.Engine, id)
	ns, err := f.env.Store.Notices(context.Background(), coaching.NoticeQuery{CaseID: id})
	require.NoError(t, err)
	for _, w := range append(words, "illness", "sairaus", "sjukdom") {
		for _, e := range trail {
			assert.NotContains(t, e.Reason, w, "audit entry %d %s", e.Seq, e.Event)
			assert.NotContains(t, string(e.Payload), w, "audit entry %d %s", e.Seq, e.Event)
		}
		for _, n := range ns {
			assert.NotContains(t, n.Subject+n.Body, w, "notice %s", n.ID)
			for k, v := range n.Data {
				assert.NotContains(t, v, w, "notice %s data %s", n.ID, k)
			}
		}
	}
}

// An advance report of illness the personal tutor decides: the tutor is
// told, accepts it, the guardian is told in their language, and the
// absences the teacher marks on the day are recorded sick with no absence
// notice to the guardian.
func TestReportAcceptedByTutor(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) { p.Guardians[0].Language = coaching.Swedish })
	tue := coaching.NewDate(2026, 9, 8)

	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: tue, Reason: absence.ReasonIllness, Text: sickText})
	require.NoError(t, err)
	assert.Equal(t, absence.Submitted, r.Status)
	assert.Equal(t, absence.DeciderTutor, r.Decider)
	assert.Equal(t, coaching.RoleGuardian, r.SubmittedAs)
	assert.Equal(t, int64(1), r.Version)
	told := f.notices(t, absence.NoticeKindSubmitted)
	require.Len(t, told, 1, "the personal tutor is told, nobody else")
	assert.Equal(t, ct.Tutor.ID, told[0].Recipient.ID)
	assert.Contains(t, told[0].Body, "poissaoloilmoitus")
	assert.Contains(t, told[0].Body, "omaohjaaja")

	// The teacher on the team sees the request, not the family's words;
	// the tutor sees them.
	seen, err := f.abs.Get(ctx, teacher, c.ID, r.ID)
	require.NoError(t, err)
	assert.Empty(t, seen.Text)
	seen, err = f.abs.Get(ctx, ct.Tutor, c.ID, r.ID)
	require.NoError(t, err)
	assert.Equal(t, sickText, seen.Text)

	r, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	require.NoError(t, err)
	assert.Equal(t, absence.Accepted, r.Status)
	assert.Equal(t, ct.Tutor.ID, r.DecidedBy)
	decided := f.notices(t, absence.NoticeKindDecided)
	require.Len(t, decided, 1)
	assert.Equal(t, guardian.ID, decided[0].Recipient.ID)
	assert.Equal(t, coaching.Swedish, decided[0].Recipient.Language)
	assert.Contains(t, decided[0].Body, "godkänts")

	// Tuesday: the teacher marks the lessons absent.
	f.env.Clock.AdvanceDays(1)
	res := f.record(t, lesson(c.ID, tue, 1, attendance.Unexplained), lesson(c.ID, tue, 2, attendance.Unexplained))
	assert.Equal(t, 2, res.Excused)
	for _, m := range res.Written {
		assert.Equal(t, attendance.Sick, m.Status)
	}
	assert.Empty(t, f.notices(t, coaching.NoticeKindAbsence), "no absence notice for reported lessons")
	f.noHealthDetails(t, c.ID, sickText)

	// The same request cannot be decided twice.
	_, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: false, Reason: "again"})
	ct.RequireNotAllowed(t, err, absence.EventWithdraw)
}

// Illness up to the organisation's limit is accepted when reported, in the
// morning of the day itself: a lesson already marked is corrected (its
// pending digest cancelled), the lessons marked later are sick, and no
// absence notice goes out; a longer illness waits for the tutor. The
// rules are per organisation.
func TestIllnessAcceptedAtOnce(t *testing.T) {
	f := newFixture(t, monday, &absence.Options{Organisations: map[coaching.OrganisationID]absence.Rules{"": {AutoAcceptIllnessDays: 3}}})
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	today := coaching.DateOf(monday)

	f.record(t, lesson(c.ID, today, 1, attendance.Unexplained))
	require.Len(t, f.pendingNotices(t, coaching.NoticeKindAbsence), 1, "the day's digest waits for 15:00")

	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: today, To: today.AddDays(1), Reason: absence.ReasonIllness, Text: sickText})
	require.NoError(t, err)
	assert.Equal(t, absence.Accepted, r.Status)
	assert.Equal(t, absence.DeciderAutomatic, r.Decider)
	assert.Empty(t, r.DecidedBy)
	assert.Empty(t, f.notices(t, absence.NoticeKindSubmitted), "nobody needs to decide")
	assert.Empty(t, f.pendingNotices(t, coaching.NoticeKindAbsence), "the digest is withdrawn: nothing unexplained is left")

	hist, err := f.env.Attendance.MarkHistory(ctx, ct.Staff, c.ID, attendance.MarkKey{Date: today, Lesson: "1"})
	require.NoError(t, err)
	require.Len(t, hist, 2, "the unexplained mark stays in the history")
	assert.Equal(t, attendance.Unexplained, hist[0].Status)
	assert.Equal(t, attendance.Sick, hist[1].Status)
	assert.Equal(t, absence.MarkedByRule, hist[1].By, "the organisation's rule accepted it, not the guardian")

	res := f.record(t, lesson(c.ID, today, 2, attendance.Unexplained), lesson(c.ID, today, 3, attendance.Present))
	assert.Equal(t, 1, res.Excused)
	assert.Empty(t, f.pendingNotices(t, coaching.NoticeKindAbsence))
	// Re-recording the whole day as the teacher's app sends it changes
	// nothing.
	res = f.record(t, lesson(c.ID, today, 1, attendance.Unexplained), lesson(c.ID, today, 2, attendance.Unexplained))
	assert.Equal(t, 2, res.Unchanged)

	long, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 14), To: coaching.NewDate(2026, 9, 18),
		Reason: absence.ReasonIllness})
	require.NoError(t, err)
	assert.Equal(t, absence.Submitted, long.Status, "five days are more than the organisation accepts at once")
	family, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: today.AddDays(2), Reason: absence.ReasonFamily})
	require.NoError(t, err)
	assert.Equal(t, absence.Submitted, family.Status, "only illness is accepted at once")

	// Another organisation's rules: none accepted at once.
	g := newFixture(t, monday, &absence.Options{Organisations: map[coaching.OrganisationID]absence.Rules{"other": {AutoAcceptIllnessDays: 3}}})
	c2 := g.minor(t, coaching.NewDate(2027, 5, 1))
	r2, err := g.abs.Submit(ctx, guardian, c2.ID, absence.Input{Kind: absence.Report, From: today, Reason: absence.ReasonIllness})
	require.NoError(t, err)
	assert.Equal(t, absence.Submitted, r2.Status)
}

// An explanation of absences already told to the guardian: while it is
// pending the early-warning rule does not count them (the flag clears);
// the tutor accepts it, the marks become explained (history kept), a
// correction follows the sent digest and the flag stays clear. A rejected
// explanation counts again.
func TestExplanationAfterTheDigest(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	mon, tue := coaching.DateOf(monday), coaching.NewDate(2026, 9, 8)

	f.record(t, lesson(c.ID, mon, 1, attendance.Unexplained), lesson(c.ID, mon, 2, attendance.Unexplained))
	f.env.Clock.AdvanceDays(1)
	res := f.record(t, lesson(c.ID, tue, 1, attendance.Unexplained))
	require.Len(t, res.Raised, 1, "three unexplained absences within ten days")
	f.env.Clock.Set(tue.At(15, 30))
	require.NotEmpty(t, f.env.Deliver(t), "the digests went out at 15:00")

	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Explanation, From: mon, Reason: absence.ReasonFamily, Text: "isoäidin hautajaiset"})
	require.NoError(t, err)
	assert.Equal(t, absence.Submitted, r.Status)
	fl, err := f.env.Attendance.Flags(ctx, ct.Staff, c.ID)
	require.NoError(t, err)
	assert.Empty(t, fl, "the pending explanation's absences are not counted")

	// The tutor rejects it: the absences count again.
	_, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: false})
	ct.RequireInvalid(t, err, "reason")
	rej, err := f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: false, Reason: "väärä päivä"})
	require.NoError(t, err)
	assert.Equal(t, absence.Rejected, rej.Status)
	fl, err = f.env.Attendance.Flags(ctx, ct.Staff, c.ID)
	require.NoError(t, err)
	assert.Len(t, fl, 1)

	r, err = f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Explanation, From: mon, Reason: absence.ReasonFamily, Text: "hautajaiset"})
	require.NoError(t, err)
	r, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	require.NoError(t, err)
	assert.Equal(t, absence.Accepted, r.Status)
	marks, err := f.env.Attendance.Marks(ctx, ct.Staff, c.ID, mon, mon)
	require.NoError(t, err)
	for _, m := range marks {
		assert.Equal(t, attendance.Explained, m.Status)
		assert.Equal(t, attendance.ReasonFamily, m.Reason)
		assert.Equal(t, 2, m.Revision)
	}
	fl, err = f.env.Attendance.Flags(ctx, ct.Staff, c.ID)
	require.NoError(t, err)
	assert.Empty(t, fl, "the flag clears after the correction")
	require.Len(t, f.notices(t, coaching.NoticeKindAbsenceCorrection), 1, "the sent digest is corrected")

	// Nothing to explain: refused, nothing saved.
	before := len(ct.RequireAuditTrail(t, f.env.Engine, c.ID))
	_, err = f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Explanation, From: mon, Reason: absence.ReasonOther})
	ct.RequireInvalid(t, err, "from")
	assert.Len(t, ct.RequireAuditTrail(t, f.env.Engine, c.ID), before)
	f.noHealthDetails(t, c.ID, "hautajaiset")
}

// Leave: a short one the personal tutor grants, a long one only the head
// of studies; a granted leave excuses its days with the reason leave.
func TestLeave(t *testing.T) {
	f := newFixture(t, monday, &absence.Options{Rules: absence.Rules{LeaveTutorDays: 2}})
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	short, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 9, 10), To: coaching.NewDate(2026, 9, 11),
		Text: "perheen matka"})
	require.NoError(t, err)
	assert.Equal(t, absence.DeciderTutor, short.Decider)
	long, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 10, 5), To: coaching.NewDate(2026, 10, 9),
		Text: "ulkomaanmatka"})
	require.NoError(t, err)
	assert.Equal(t, absence.DeciderHead, long.Decider)
	assert.Equal(t, 5, long.SchoolDays)
	var headNotice coaching.Notice
	for _, n := range f.notices(t, absence.NoticeKindSubmitted) {
		if n.Data["request"] == long.ID {
			headNotice = n
		}
	}
	assert.Equal(t, ct.Tutor.ID, headNotice.Recipient.ID, "no head of studies on the team: the tutor is told")
	assert.Contains(t, headNotice.Body, "opintojen johtaja", "…who decides it")

	_, err = f.abs.Decide(ctx, ct.Tutor, c.ID, long.ID, absence.Decision{Version: long.Version, Accept: true})
	assert.Equal(t, absence.RuleDecider, ct.RequireForbidden(t, err).Rule, "the tutor does not decide a long leave")
	_, err = f.abs.Decide(ctx, teacher, c.ID, short.ID, absence.Decision{Version: short.Version, Accept: true})
	assert.Equal(t, coaching.RuleDeciders, ct.RequireForbidden(t, err).Rule, "a teacher on the team does not decide: the policy says so")

	granted, err := f.abs.Decide(ctx, head, c.ID, long.ID, absence.Decision{Version: long.Version, Accept: true})
	require.NoError(t, err)
	assert.Equal(t, absence.Granted, granted.Status)
	short, err = f.abs.Decide(ctx, ct.Tutor, c.ID, short.ID, absence.Decision{Version: short.Version, Accept: false, Reason: "näyttö sinä päivänä"})
	require.NoError(t, err)
	assert.Equal(t, absence.Refused, short.Status)
	var words []string
	for _, n := range f.notices(t, absence.NoticeKindDecided) {
		assert.Equal(t, guardian.ID, n.Recipient.ID)
		words = append(words, n.Body)
	}
	assert.Len(t, words, 2)
	assert.Contains(t, strings.Join(words, "\n"), "myönnetty")
	assert.Contains(t, strings.Join(words, "\n"), "hylätty")

	f.env.Clock.Set(coaching.NewDate(2026, 10, 6).At(12, 0))
	res := f.record(t, lesson(c.ID, coaching.NewDate(2026, 10, 6), 1, attendance.Unexplained))
	require.Len(t, res.Written, 1)
	assert.Equal(t, attendance.Explained, res.Written[0].Status)
	assert.Equal(t, attendance.ReasonLeave, res.Written[0].Reason)
	assert.Empty(t, f.notices(t, coaching.NoticeKindAbsence))

	listed, err := f.abs.List(ctx, guardian, c.ID, absence.ListQuery{})
	require.NoError(t, err)
	require.Len(t, listed, 2)
	assert.Equal(t, long.ID, listed[0].ID, "newest first")
	open, err := f.abs.List(ctx, ct.Tutor, c.ID, absence.ListQuery{OpenOnly: true})
	require.NoError(t, err)
	assert.Empty(t, open)
}

// Two deciders at once on one request: exactly one decision wins, the
// other is a conflict — on real goroutines against the engine.
func TestConcurrentDecisions(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	r, err := f.abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 9, 10), Text: "hammaslääkäri"})
	require.NoError(t, err)
	deciders := []coaching.Actor{ct.Tutor, head, ct.Tutor, head, ct.Tutor, head, ct.Tutor, head}
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
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		var ce *coaching.ConflictError
		assert.ErrorAs(t, err, &ce)
	}
	assert.Equal(t, 1, won)
	got, err := f.abs.Get(ctx, ct.Tutor, c.ID, r.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(2), got.Version)
	assert.Len(t, f.notices(t, absence.NoticeKindDecided), 1, "one decision told")
}

// A guardian's pending request for a student who turns 18 before it is
// decided lapses, unless the adult consented; the nightly sweep lapses
// the rest.
func TestLapseAtEighteen(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	thursday := coaching.NewDate(2026, 9, 10)
	c := f.minor(t, thursday)
	consenting := f.env.Enrol(t, coaching.ModelPilot, ct.Minor(thursday, func(p *coaching.Participant) {
		p.GuardianConsent = coaching.ConsentRecord{GivenOn: coaching.NewDate(2026, 9, 1), GivenVia: coaching.ConsentInWriting}
	}), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	swept := f.minor(t, thursday)
	in := absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 9, 21), Text: "mökkimatka"}
	r, err := f.abs.Submit(ctx, guardian, c.ID, in)
	require.NoError(t, err)
	rc, err := f.abs.Submit(ctx, guardian, consenting.ID, in)
	require.NoError(t, err)
	rs, err := f.abs.Submit(ctx, guardian, swept.ID, in)
	require.NoError(t, err)
	staffMade, err := f.abs.Submit(ctx, ct.Tutor, swept.ID, in)
	require.NoError(t, err)

	f.env.Clock.Set(coaching.NewDate(2026, 9, 11).At(9, 0))
	got, err := f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: r.Version, Accept: true})
	require.ErrorIs(t, err, absence.ErrLapsed)
	var le *absence.LapsedError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, r.ID, le.RequestID)
	assert.Equal(t, absence.Lapsed, got.Status)
	stored, err := f.abs.Get(ctx, ct.Tutor, c.ID, r.ID)
	require.NoError(t, err)
	assert.Equal(t, absence.Lapsed, stored.Status, "the lapse is saved")
	_, err = f.abs.Decide(ctx, ct.Tutor, c.ID, r.ID, absence.Decision{Version: stored.Version, Accept: true})
	ct.RequireNotAllowed(t, err)

	granted, err := f.abs.Decide(ctx, ct.Tutor, consenting.ID, rc.ID, absence.Decision{Version: rc.Version, Accept: true})
	require.NoError(t, err, "the adult consented: the guardian's request stands")
	assert.Equal(t, absence.Granted, granted.Status)

	lapsed, err := f.abs.Lapse(ctx, f.key)
	require.NoError(t, err)
	assert.Equal(t, []absence.LapsedRequest{{CaseID: swept.ID, RequestID: rs.ID}}, lapsed, "the guardian's, not staff's")
	kept, err := f.abs.Get(ctx, ct.Tutor, swept.ID, staffMade.ID)
	require.NoError(t, err)
	assert.Equal(t, absence.Submitted, kept.Status)
	_, err = f.abs.Lapse(ctx, coaching.NewSystemKey())
	require.Error(t, err, "another key does not run the sweep")

	// The guardian of the adult without consent may no longer withdraw.
	_, err = f.abs.Withdraw(ctx, guardian, swept.ID, staffMade.ID)
	assert.Equal(t, coaching.RuleGuardianAge, ct.RequireForbidden(t, err).Rule)
}

// Withdrawing: only by whoever submitted, only while pending.
func TestWithdraw(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	r, err := f.abs.Submit(ctx, ct.Tutor, c.ID, absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 9), Reason: absence.ReasonOther})
	require.NoError(t, err)
	assert.Equal(t, coaching.RolePersonalTutor, r.SubmittedAs, "staff record it on the family's behalf")
	_, err = f.abs.Withdraw(ctx, guardian, c.ID, r.ID)
	assert.Equal(t, absence.RuleOwnRequest, ct.RequireForbidden(t, err).Rule)
	w, err := f.abs.Withdraw(ctx, ct.Tutor, c.ID, r.ID)
	require.NoError(t, err)
	assert.Equal(t, absence.Withdrawn, w.Status)
	_, err = f.abs.Withdraw(ctx, ct.Tutor, c.ID, r.ID)
	ct.RequireNotAllowed(t, err)
	_, err = f.abs.Get(ctx, ct.Tutor, c.ID, "99")
	require.ErrorIs(t, err, coaching.ErrNotFound)
	_, err = f.abs.Get(ctx, ct.Tutor, c.ID, "../x")
	require.ErrorIs(t, err, coaching.ErrNotFound)
}

// Bad input names every bad field, and nothing is saved.
func TestValidation(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	before := len(ct.RequireAuditTrail(t, f.env.Engine, c.ID))
	cases := []struct {
		name   string
		in     absence.Input
		fields []string
	}{
		{"everything wrong", absence.Input{Kind: "holiday", Reason: "flu", Lessons: []string{"", "1", "1"}, Text: "x\x00"},
			[]string{"kind", "from", "reason", "lessons[0]", "lessons[2]", "text"}},
		{"a report in the past", absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 4), Reason: absence.ReasonFamily}, []string{"from"}},
		{"an explanation in the future", absence.Input{Kind: absence.Explanation, From: coaching.NewDate(2026, 9, 8), Reason: absence.ReasonFamily}, []string{"to"}},
		{"a leave without words, with a reason, lessons on many days", absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 9, 8),
			To: coaching.NewDate(2026, 9, 9), Lessons: []string{"1"}, Reason: absence.ReasonFamily}, []string{"lessons", "reason", "text"}},
		{"too long, backwards", absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 9, 8), To: coaching.NewDate(2026, 12, 9), Text: "x"}, []string{"to"}},
		{"a weekend only", absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 12), To: coaching.NewDate(2026, 9, 13), Reason: absence.ReasonOther}, []string{"from"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.abs.Submit(ctx, guardian, c.ID, tc.in)
			ve := ct.RequireInvalid(t, err, tc.fields...)
			assert.Len(t, ve.Problems, len(tc.fields), "%v", ve)
		})
	}
	_, err := f.abs.Decide(ctx, ct.Tutor, c.ID, "1", absence.Decision{Reason: "x\x00"})
	ct.RequireInvalid(t, err, "version", "reason")
	assert.Len(t, ct.RequireAuditTrail(t, f.env.Engine, c.ID), before, "nothing saved")
}

// Each kind's state machine: the events each state allows.
func TestStateMachines(t *testing.T) {
	assert.Contains(t, absence.Diagram(absence.Report), "submitted --> accepted: accept")
	assert.Contains(t, absence.Diagram(absence.Explanation), "submitted --> rejected: reject")
	assert.Contains(t, absence.Diagram(absence.Leave), "submitted --> granted: grant")
	assert.Contains(t, absence.Diagram(absence.Leave), "submitted --> lapsed: lapse")
	assert.NotContains(t, absence.Diagram(absence.Leave), "accept")
}
