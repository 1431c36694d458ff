package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// RunAbsence runs families' requests (coaching/absence: absence reports,
// explanations and leave) end to end over a store that keeps attendance:
// the access matrix of every operation — submit, withdraw, decide, get and
// list — for a guardian of a minor, a guardian of an adult without and
// with the adult's consent, the adult student, another student's guardian,
// a teacher not on the team, a teacher on the team, a workplace instructor
// and a peer coach on the team, a curator on the team, the personal tutor
// and the head of studies (every denial a *coaching.ForbiddenError naming
// its rule, one access-log entry and no change to the case); an accepted
// illness report excusing the absences marked later; concurrent
// decisions on one leave, one absence report and one explanation, of
// which exactly one wins and the others get a *coaching.ConflictError
// (the marks corrected once at most); and a report accepted while a teacher's
// recording of the same day is open in another transaction (and the other
// way round), which must neither leave the absence unexplained nor the
// guardians' digest pending — on PostgreSQL, under READ COMMITTED, both
// conflict on the case's version. Requests are case documents, so the suite needs
// no store data beyond the kernel's and attendance's. Adapters call it
// beside [Run]:
//
//	func TestAbsence(t *testing.T) { storetest.RunAbsence(t, newStore) }
func RunAbsence(t *testing.T, newStore Harness) {
	t.Helper()
	t.Run("Absence", func(t *testing.T) {
		t.Run("AccessMatrix", func(t *testing.T) { absenceMatrix(t, newAbsenceEnv(t, newStore)) })
		t.Run("ReportExcusesMarks", func(t *testing.T) { absenceExcuses(t, newAbsenceEnv(t, newStore)) })
		for _, k := range []absence.Kind{absence.Leave, absence.Report, absence.Explanation} {
			t.Run("ConcurrentDecisions/"+string(k), func(t *testing.T) { absenceConcurrent(t, newAbsenceEnv(t, newStore), k) })
		}
		t.Run("ReportDuringRecording", func(t *testing.T) { absenceReportDuringRecording(t, newAbsenceEnv(t, newStore)) })
		t.Run("RecordingDuringReport", func(t *testing.T) { absenceRecordingDuringReport(t, newAbsenceEnv(t, newStore)) })
	})
}

const absenceOrg coaching.OrganisationID = "org-absence"

// absenceEnv is an engine with requests over a fresh store, a minor's
// case, an adult's without consent and an adult's with it, all with the
// same support team.
type absenceEnv struct {
	store                 coaching.Store
	att                   *attendance.Service
	abs                   *absence.Service
	now                   time.Time
	minor, adult, consent coaching.Case
	tutor, teacher, head  coaching.Actor
	// On the team without being the school's staff, and in student
	// welfare.
	instructor, peer, curator coaching.Actor
}

func newAbsenceEnv(t *testing.T, newStore Harness) *absenceEnv {
	t.Helper()
	ctx := t.Context()
	store := newStore(t)
	require.NotNil(t, store, "the harness returned a nil store")
	e := &absenceEnv{store: store, now: time.Date(2026, 9, 14, 8, 0, 0, 0, coaching.Helsinki), // a Monday
		tutor:      coaching.Actor{ID: "tutor-a", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RolePersonalTutor}},
		teacher:    coaching.Actor{ID: "teacher-a", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleTeacher}},
		head:       coaching.Actor{ID: "head-a", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleHeadOfStudies}},
		instructor: coaching.Actor{ID: "instructor-a", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleWorkplaceInstructor}},
		peer:       coaching.Actor{ID: "peer-a", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RolePeerCoach}},
		curator:    coaching.Actor{ID: "curator-a", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleCurator}}}
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Documents: absence.Documents(),
		Clock: coaching.ClockFunc(func() time.Time { return e.now })})
	require.NoError(t, err)
	e.att, err = attendance.New(eng, &attendance.Options{Excuses: absence.Excuses()})
	require.NoError(t, err)
	e.abs, err = absence.New(eng, e.att, &absence.Options{Rules: absence.Rules{AutoAcceptIllnessDays: 2}})
	require.NoError(t, err)
	team := []coaching.TeamMember{
		{ActorID: e.tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor", Contact: coaching.Contact{Email: "tutor@example.fi"}},
		{ActorID: e.teacher.ID, Role: coaching.RoleTeacher, Name: "Teacher"},
		{ActorID: e.instructor.ID, Role: coaching.RoleWorkplaceInstructor, Name: "Instructor", Contact: coaching.Contact{Email: "instructor@example.fi"}},
		{ActorID: e.peer.ID, Role: coaching.RolePeerCoach, Name: "Peer", Contact: coaching.Contact{Email: "peer@example.fi"}},
		{ActorID: e.curator.ID, Role: coaching.RoleCurator, Name: "Curator", Contact: coaching.Contact{Email: "curator@example.fi"}}}
	enrol := func(id coaching.ParticipantID, born coaching.Date, guardian string, consent bool) coaching.Case {
		p := coaching.Participant{ID: id, Organisation: absenceOrg, GivenNames: "Testi", FamilyName: "Opiskelija", BirthDate: born,
			Language: coaching.Finnish, Contact: coaching.Contact{Email: string(id) + "@example.fi"},
			Guardians: []coaching.Guardian{{ID: guardian, Name: "Huoltaja", Language: coaching.Swedish, Contact: coaching.Contact{Email: guardian + "@example.fi"}}}}
		if consent {
			p.GuardianConsent = coaching.ConsentRecord{GivenOn: coaching.NewDate(2026, 9, 8), GivenVia: coaching.ConsentBySelf}
		}
		c, err := eng.Enrol(ctx, e.tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p, Team: team})
		require.NoError(t, err)
		return c
	}
	e.minor = enrol("p-minor", coaching.NewDate(2010, 5, 1), "guardian-m", false)
	e.adult = enrol("p-adult", coaching.NewDate(2008, 9, 7), "guardian-a", false)
	e.consent = enrol("p-consent", coaching.NewDate(2008, 9, 7), "guardian-c", true)
	return e
}

// leave is a one-day leave on Wednesday: the personal tutor's to decide.
var absenceLeave = absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 9, 16), Text: "hammaslääkäri"}

func (e *absenceEnv) version(t *testing.T, id coaching.CaseID) int64 {
	t.Helper()
	var v int64
	require.NoError(t, e.store.View(t.Context(), func(tx coaching.ReadTx) error {
		c, err := tx.Case(t.Context(), id)
		v = c.Version
		return err
	}))
	return v
}

func absenceMatrix(t *testing.T, e *absenceEnv) {
	ctx := t.Context()
	guardianOf := func(id string, p coaching.ParticipantID) coaching.Actor {
		return coaching.Actor{ID: id, Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleGuardian},
			Relations: []coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: p}}}
	}
	student := coaching.Actor{ID: "student-adult", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: e.adult.ParticipantID}}}
	minorStudent := coaching.Actor{ID: "student-minor", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: e.minor.ParticipantID}}}
	// The personal tutor who is also the minor's guardian: a decider, but
	// not of their own child's request.
	tutorParent := e.tutor
	tutorParent.Relations = []coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: e.minor.ParticipantID}}
	outsider := coaching.Actor{ID: "teacher-b", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleTeacher}}
	const A = "allow"
	gs, ga, gr, st := coaching.RuleGuardianScope, coaching.RuleGuardianAge, coaching.RuleGuardianRelation, coaching.RuleSupportTeam
	ops := []string{"submit", "withdraw", "decide", "get", "list"}
	own := absence.RuleOwnDecision
	rows := []struct {
		who   string
		actor coaching.Actor
		c     coaching.Case
		want  []string // per ops: allow or the denying rule
		// decideOwn: the decision is on the request the row's actor
		// submitted themself.
		decideOwn bool
	}{
		{"guardian of a minor", guardianOf("guardian-m", e.minor.ParticipantID), e.minor, []string{A, A, gs, A, A}, false},
		{"guardian of an adult without consent", guardianOf("guardian-a", e.adult.ParticipantID), e.adult, []string{ga, ga, gs, ga, ga}, false},
		{"guardian of an adult with consent", guardianOf("guardian-c", e.consent.ParticipantID), e.consent, []string{A, A, gs, A, A}, false},
		{"adult student", student, e.adult, []string{A, A, coaching.RuleStudentSelf, A, A}, false},
		{"minor student", minorStudent, e.minor, []string{coaching.RuleStudentMinor, coaching.RuleStudentMinor, coaching.RuleStudentSelf, A, A}, false},
		{"another student's guardian", guardianOf("guardian-m", e.minor.ParticipantID), e.adult, []string{gr, gr, gr, gr, gr}, false},
		{"teacher not on the team", outsider, e.minor, []string{st, st, st, st, st}, false},
		{"teacher on the team", e.teacher, e.minor, []string{A, A, coaching.RuleDeciders, A, A}, false},
		{"workplace instructor on the team", e.instructor, e.minor, []string{st, st, st, st, st}, false},
		{"peer coach on the team", e.peer, e.minor, []string{st, st, st, st, st}, false},
		{"curator on the team", e.curator, e.minor, []string{coaching.RuleWelfareChannel, coaching.RuleWelfareChannel, coaching.RuleWelfareChannel, A, A}, false},
		{"personal tutor", e.tutor, e.minor, []string{A, A, A, A, A}, false},
		{"personal tutor, their own request", e.tutor, e.minor, []string{A, A, own, A, A}, true},
		{"personal tutor who is the student's guardian", tutorParent, e.minor, []string{A, A, own, A, A}, false},
		{"head of studies", e.head, e.minor, []string{A, A, A, A, A}, false},
		{"head of studies, their own request", e.head, e.minor, []string{A, A, own, A, A}, true},
	}
	for _, r := range rows {
		t.Run(r.who, func(t *testing.T) {
			// What the row's actor acts on: a request of their own when
			// they may submit one, else the tutor's; and one the teacher
			// on the team submitted (on the family's behalf), for the
			// decision — or the row's own.
			own, err := e.abs.Submit(ctx, e.tutor, r.c.ID, absenceLeave)
			require.NoError(t, err)
			toDecide, err := e.abs.Submit(ctx, e.teacher, r.c.ID, absenceLeave)
			require.NoError(t, err)
			for i, op := range ops {
				before, log := e.version(t, r.c.ID), len(accessEntries(t, e.store))
				var err error
				switch op {
				case "submit":
					var got absence.Request
					got, err = e.abs.Submit(ctx, r.actor, r.c.ID, absenceLeave)
					if err == nil {
						own = got
						assert.Equal(t, r.actor.ID, got.SubmittedBy)
					}
				case "withdraw":
					_, err = e.abs.Withdraw(ctx, r.actor, r.c.ID, own.ID)
				case "decide":
					if r.decideOwn {
						toDecide = own
					}
					_, err = e.abs.Decide(ctx, r.actor, r.c.ID, toDecide.ID, absence.Decision{Version: toDecide.Version, Accept: true})
				case "get":
					var got absence.Request
					got, err = e.abs.Get(ctx, r.actor, r.c.ID, toDecide.ID)
					if err == nil {
						assert.Equal(t, toDecide.ID, got.ID)
					}
				case "list":
					var got []absence.Request
					got, err = e.abs.List(ctx, r.actor, r.c.ID, absence.ListQuery{})
					if err == nil {
						assert.NotEmpty(t, got)
					}
				}
				if r.want[i] == A {
					assert.NoError(t, err, "%s: %s", r.who, op)
					continue
				}
				var fe *coaching.ForbiddenError
				if assert.ErrorAs(t, err, &fe, "%s: %s", r.who, op) {
					assert.Equal(t, r.want[i], fe.Rule, "%s: %s", r.who, op)
				}
				assert.Equal(t, before, e.version(t, r.c.ID), "%s: %s: a denial changes nothing", r.who, op)
				assert.Len(t, accessEntries(t, e.store), log+1, "%s: %s: one access-log entry", r.who, op)
			}
			// What the row left waiting is withdrawn by whoever
			// submitted it, so that the next rows stay under
			// absence.MaxOpen.
			open, err := e.abs.List(ctx, e.tutor, r.c.ID, absence.ListQuery{OpenOnly: true})
			require.NoError(t, err)
			by := map[string]coaching.Actor{e.tutor.ID: e.tutor, e.teacher.ID: e.teacher, r.actor.ID: r.actor}
			for _, q := range open {
				_, err := e.abs.Withdraw(ctx, by[q.SubmittedBy], r.c.ID, q.ID)
				require.NoError(t, err, "%s: withdrawing request %s", r.who, q.ID)
			}
		})
	}
}

// An illness reported in the morning and accepted at once: the lessons
// marked absent that day are recorded sick and no absence notice goes
// out; the request, its decision and the day's marks read back alike.
func absenceExcuses(t *testing.T, e *absenceEnv) {
	ctx := t.Context()
	g := coaching.Actor{ID: "guardian-m", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	today := coaching.DateOf(e.now)
	r, err := e.abs.Submit(ctx, g, e.minor.ID, absence.Input{Kind: absence.Report, From: today, Reason: absence.ReasonIllness, Text: "kuumetta"})
	require.NoError(t, err)
	assert.Equal(t, absence.Accepted, r.Status)
	e.now = e.now.Add(2 * time.Hour)
	res, err := e.att.Record(ctx, e.teacher, []attendance.MarkInput{
		{CaseID: e.minor.ID, Date: today, Lesson: "1", Minutes: 45, Status: attendance.Unexplained},
		{CaseID: e.minor.ID, Date: today, Lesson: "2", Minutes: 45, Status: attendance.Unexplained}})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Excused)
	assert.Empty(t, res.Notices, "no absence notice for reported lessons")
	marks, err := e.att.Marks(ctx, e.tutor, e.minor.ID, today, today)
	require.NoError(t, err)
	require.Len(t, marks, 2)
	for _, m := range marks {
		assert.Equal(t, attendance.Sick, m.Status)
	}
	got, err := e.abs.Get(ctx, g, e.minor.ID, r.ID)
	require.NoError(t, err)
	assert.Equal(t, absence.Accepted, got.Status)
	assert.Equal(t, "kuumetta", got.Text)
	assert.Equal(t, r.Version, got.Version)
	ns, err := e.store.Notices(ctx, coaching.NoticeQuery{CaseID: e.minor.ID})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	assert.Equal(t, absence.NoticeKindDecided, ns[0].Kind)
	assert.Equal(t, coaching.Swedish, ns[0].Recipient.Language)
}

// Decisions on real goroutines on one request of kind k (for a report or
// an explanation, of today's absence marked before): exactly one wins,
// the others conflict, and the absence is corrected once by the winner,
// or not at all.
func absenceConcurrent(t *testing.T, e *absenceEnv, k absence.Kind) {
	ctx := t.Context()
	today := coaching.DateOf(e.now)
	in := absenceLeave
	if k != absence.Leave {
		in = absence.Input{Kind: k, From: today, Reason: absence.ReasonFamily, Text: "perhe"}
		_, err := e.att.Record(ctx, e.teacher, []attendance.MarkInput{{CaseID: e.minor.ID, Date: today, Lesson: "1", Minutes: 45, Status: attendance.Unexplained}})
		require.NoError(t, err)
	}
	r, err := e.abs.Submit(ctx, e.teacher, e.minor.ID, in)
	require.NoError(t, err)
	require.Equal(t, absence.Submitted, r.Status)
	const n = 6
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	deciders := make([]coaching.Actor, n)
	for i := range n {
		deciders[i] = e.tutor
		if i%2 == 1 {
			deciders[i] = e.head
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = e.abs.Decide(context.WithoutCancel(ctx), deciders[i], e.minor.ID, r.ID, absence.Decision{Version: r.Version, Accept: i%3 != 0, Reason: "ei"})
		}()
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		if err == nil {
			assert.Equal(t, -1, won, "decision %d won as well as %d", i, won)
			won = i
			continue
		}
		var ce *coaching.ConflictError
		assert.True(t, errors.As(err, &ce), "decision %d: want a conflict, got %v", i, err)
	}
	require.GreaterOrEqual(t, won, 0, "exactly one decision wins")
	got, err := e.abs.Get(ctx, e.tutor, e.minor.ID, r.ID)
	require.NoError(t, err)
	assert.Equal(t, r.Version+1, got.Version)
	assert.False(t, got.Status.Open())
	if k == absence.Leave {
		return
	}
	hist, err := e.att.MarkHistory(ctx, e.tutor, e.minor.ID, attendance.MarkKey{Date: today, Lesson: "1"})
	require.NoError(t, err)
	if won%3 != 0 {
		assert.Equal(t, absence.Accepted, got.Status)
		require.Len(t, hist, 2, "the absence corrected once")
		assert.Equal(t, attendance.Explained, hist[1].Status)
		assert.Equal(t, deciders[won].ID, hist[1].By)
	} else {
		assert.Equal(t, absence.Rejected, got.Status)
		assert.Len(t, hist, 1, "a rejection corrects nothing")
	}
}

// absenceSickDay checks the end state of a day an accepted illness report
// covers and a teacher marked lesson 1 absent on: the mark is sick (or
// was never written), and no absence digest waits for the guardian.
func (e *absenceEnv) absenceSickDay(t *testing.T, day coaching.Date) {
	t.Helper()
	ctx := t.Context()
	marks, err := e.att.Marks(ctx, e.tutor, e.minor.ID, day, day)
	require.NoError(t, err)
	for _, m := range marks {
		assert.Equal(t, attendance.Sick, m.Status, "lesson %s on a day reported sick", m.Lesson)
	}
	ns, err := e.store.Notices(ctx, coaching.NoticeQuery{CaseID: e.minor.ID})
	require.NoError(t, err)
	for _, n := range ns {
		if n.Kind == coaching.NoticeKindAbsence {
			assert.NotEqual(t, coaching.NoticePending, n.Status, "no absence digest waits for a day reported sick: %s", n.ID)
		}
	}
}

// A guardian reports illness for today (accepted at once) while a
// teacher's recording of an absence that day is open in the host's
// transaction: the report waits for the recording or conflicts with it
// and is tried again, so the absence ends up sick and the digest
// cancelled.
func absenceReportDuringRecording(t *testing.T, e *absenceEnv) {
	ctx := t.Context()
	g := coaching.Actor{ID: "guardian-m", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	today := coaching.DateOf(e.now)
	done := make(chan error, 1)
	var r absence.Request
	err := e.store.Update(ctx, func(tx coaching.Tx) error {
		res, err := e.att.In(tx).Record(ctx, e.teacher, []attendance.MarkInput{{CaseID: e.minor.ID, Date: today, Lesson: "1", Minutes: 45, Status: attendance.Unexplained}})
		if err != nil {
			return err
		}
		require.Len(t, res.Notices, 1, "the digest of the unexplained absence")
		go func() {
			var err error
			r, err = e.abs.Submit(context.WithoutCancel(ctx), g, e.minor.ID, absence.Input{Kind: absence.Report, From: today, Reason: absence.ReasonIllness})
			done <- err
		}()
		select {
		case err := <-done:
			done <- err // it did not wait: the stores that run one writer at a time never get here
		case <-time.After(300 * time.Millisecond):
		}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, <-done, "the report goes through once the recording has committed")
	assert.Equal(t, absence.Accepted, r.Status)
	e.absenceSickDay(t, today)
}

// A teacher records an absence while a guardian's report of illness for
// the day is open in the host's transaction: the recording waits for it,
// or conflicts with it and runs again; either way the absence is
// recorded sick, not unexplained.
func absenceRecordingDuringReport(t *testing.T, e *absenceEnv) {
	ctx := t.Context()
	g := coaching.Actor{ID: "guardian-m", Organisation: absenceOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	today := coaching.DateOf(e.now)
	done := make(chan error, 1)
	err := e.store.Update(ctx, func(tx coaching.Tx) error {
		r, err := e.abs.In(tx).Submit(ctx, g, e.minor.ID, absence.Input{Kind: absence.Report, From: today, Reason: absence.ReasonIllness})
		if err != nil {
			return err
		}
		require.Equal(t, absence.Accepted, r.Status)
		go func() {
			_, err := e.att.Record(context.WithoutCancel(ctx), e.teacher, []attendance.MarkInput{{CaseID: e.minor.ID, Date: today, Lesson: "1", Minutes: 45, Status: attendance.Unexplained}})
			done <- err
		}()
		select {
		case err := <-done:
			done <- err
		case <-time.After(300 * time.Millisecond):
		}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, <-done, "the recording waits for the report, or conflicts with it and runs again")
	marks, err := e.att.Marks(ctx, e.tutor, e.minor.ID, today, today)
	require.NoError(t, err)
	require.Len(t, marks, 1, "the absence is recorded")
	e.absenceSickDay(t, today)
}
