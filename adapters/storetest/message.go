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
	"github.com/valmennus/valmennus/coaching/contactchange"
	"github.com/valmennus/valmennus/coaching/message"
)

// RunMessages drives families' messages (coaching/message) and proposed
// changes of contact details (coaching/contactchange) end to end over a
// store, whose case documents, notices and participants keep them: the
// access matrix of every operation — send, reply, read a thread, propose,
// decide, withdraw, read a proposal — for a guardian of a minor, a
// guardian of an adult who has not consented, an adult student, another
// student's guardian, a teacher not on the team, the personal tutor and
// the head of studies (each refusal is one access-log entry naming its
// rule), a message thread read back as written, an approved change that
// reaches the participant, and two concurrent decisions of which exactly
// one wins while the other gets a *coaching.ConflictError. Adapters call
// it beside [Run]:
//
//	func TestMessages(t *testing.T) { storetest.RunMessages(t, newStore) }
func RunMessages(t *testing.T, newStore Harness) {
	t.Helper()
	if newStore == nil {
		t.Fatal("storetest: the harness is nil")
	}
	t.Run("AccessMatrix", func(t *testing.T) { messageMatrix(t, newStore(t)) })
	t.Run("ConcurrentDecisions", func(t *testing.T) { concurrentDecisions(t, newStore(t)) })
}

const messageOrg coaching.OrganisationID = "org-messages"

// messageWorld is an engine over the store with a minor's and an adult's
// case, the same personal tutor on both.
type messageWorld struct {
	ctx          context.Context
	store        coaching.Store
	eng          *coaching.Engine
	msgs         *message.Service
	changes      *contactchange.Service
	minor, adult coaching.Case
}

var (
	mTutor   = coaching.Actor{ID: "m-tutor", Name: "Tiina Tutor", Organisation: messageOrg, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	mHead    = coaching.Actor{ID: "m-head", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	mTeacher = coaching.Actor{ID: "m-teacher", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleTeacher}}
	mGMinor  = coaching.Actor{ID: "m-guardian-minor", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	mGAdult  = coaching.Actor{ID: "m-guardian-adult", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	mGOther  = coaching.Actor{ID: "m-guardian-other", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
)

func newMessageWorld(t *testing.T, store coaching.Store) *messageWorld {
	t.Helper()
	require.NotNil(t, store, "the harness returned a nil store")
	now := time.Date(2026, 9, 14, 10, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock:     coaching.ClockFunc(func() time.Time { return now }),
		Documents: append(message.Documents(), contactchange.Documents()...)})
	require.NoError(t, err)
	w := &messageWorld{ctx: t.Context(), store: store, eng: eng}
	w.msgs, err = message.New(eng, nil)
	require.NoError(t, err)
	w.changes, err = contactchange.New(eng, nil)
	require.NoError(t, err)
	team := []coaching.TeamMember{{ActorID: mTutor.ID, Role: coaching.RolePersonalTutor, Name: mTutor.Name,
		Contact: coaching.Contact{Email: "tutor@example.fi"}, Language: coaching.Finnish}}
	enrol := func(id coaching.ParticipantID, born coaching.Date, g coaching.Actor) coaching.Case {
		c, err := eng.Enrol(w.ctx, mTutor, coaching.EnrolParams{Model: coaching.ModelPilot, Team: team, Participant: coaching.Participant{
			ID: id, GivenNames: "Testi", FamilyName: "Opiskelija", BirthDate: born, Organisation: messageOrg, Language: coaching.Finnish,
			Contact:   coaching.Contact{Email: string(id) + "@example.fi"},
			Guardians: []coaching.Guardian{{ID: g.ID, Name: "Huoltaja", Contact: coaching.Contact{Email: g.ID + "@example.fi"}, Language: coaching.Swedish}}}})
		require.NoError(t, err)
		return c
	}
	w.minor = enrol("m-minor", coaching.NewDate(2010, 5, 1), mGMinor)
	w.adult = enrol("m-adult", coaching.NewDate(2008, 3, 1), mGAdult) // 18 since March, no consent
	return w
}

func (w *messageWorld) enqueue(t *testing.T, n coaching.Notice) {
	t.Helper()
	n.CreatedAt, n.NotBefore, n.Status = time.Date(2026, 9, 14, 8, 0, 0, 0, coaching.Helsinki), time.Date(2026, 9, 14, 8, 0, 0, 0, coaching.Helsinki), coaching.NoticeSent
	if n.Subject == "" {
		n.Subject, n.Body = "Ilmoitus", "…"
	}
	require.NoError(t, w.store.Update(w.ctx, func(tx coaching.Tx) error { _, err := tx.Enqueue(w.ctx, n); return err }))
}

func messageMatrix(t *testing.T, store coaching.Store) {
	w := newMessageWorld(t, store)
	ctx := w.ctx
	adultStudent := coaching.Actor{ID: "m-student-adult", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: w.adult.ParticipantID}}}

	// Threads to read: the tutor writes to the minor's family and to the
	// adult student.
	minorThread, err := w.msgs.Send(ctx, mTutor, w.minor.ID, message.SendParams{To: message.ToFamily, Subject: "Tervetuloa", Text: "Hei!"})
	require.NoError(t, err)
	adultThread, err := w.msgs.Send(ctx, mTutor, w.adult.ID, message.SendParams{To: message.ToStudent, Subject: "Tervetuloa", Text: "Hei!"})
	require.NoError(t, err)
	got, err := w.msgs.Thread(ctx, mGMinor, w.minor.ID, minorThread.Thread)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, minorThread.Text, got[0].Text, "the thread reads back as written")
	assert.Len(t, got[0].To, 2, "the student and the guardian")

	// Proposals to decide, withdraw and read.
	propose := func(a coaching.Actor, c coaching.Case, email string) string {
		p, err := w.changes.Propose(ctx, a, c.ID, coaching.Contact{Email: email})
		require.NoError(t, err)
		return p.ID
	}
	byGuardian := []string{propose(mGMinor, w.minor, "a@example.fi"), propose(mGMinor, w.minor, "b@example.fi"), propose(mGMinor, w.minor, "c@example.fi")}
	byStudent := []string{propose(adultStudent, w.adult, "d@example.fi"), propose(adultStudent, w.adult, "e@example.fi")}

	type row struct {
		who   string
		actor coaching.Actor
		c     coaching.Case
		// the proposal the row decides, withdraws and reads
		proposal string
		thread   string
		want     map[string]string // operation → "allow" or the denying rule
	}
	const A = "allow"
	gs, ga, gr, st := coaching.RuleGuardianScope, coaching.RuleGuardianAge, coaching.RuleGuardianRelation, coaching.RuleSupportTeam
	rows := []row{
		{"guardian of a minor", mGMinor, w.minor, byGuardian[0], minorThread.Thread, map[string]string{
			"send": message.RuleStaffOnly, "reply": A, "thread": A, "propose": A, "decide": gs, "withdraw": A, "get": A}},
		{"guardian of an adult without consent", mGAdult, w.adult, byStudent[0], adultThread.Thread, map[string]string{
			"send": ga, "reply": ga, "thread": ga, "propose": ga, "decide": gs, "withdraw": ga, "get": ga}},
		{"adult student", adultStudent, w.adult, byStudent[1], adultThread.Thread, map[string]string{
			"send": message.RuleStaffOnly, "reply": A, "thread": A, "propose": A, "decide": coaching.RuleStudentSelf, "withdraw": A, "get": A}},
		{"another student's guardian", mGOther, w.minor, byGuardian[0], minorThread.Thread, map[string]string{
			"send": gr, "reply": gr, "thread": gr, "propose": gr, "decide": gr, "withdraw": gr, "get": gr}},
		{"teacher not on the team", mTeacher, w.minor, byGuardian[0], minorThread.Thread, map[string]string{
			"send": st, "reply": st, "thread": st, "propose": st, "decide": st, "withdraw": st, "get": st}},
		{"personal tutor", mTutor, w.minor, byGuardian[1], minorThread.Thread, map[string]string{
			"send": A, "reply": A, "thread": A, "propose": st, "decide": A, "withdraw": st, "get": A}},
		{"head of studies", mHead, w.minor, byGuardian[2], minorThread.Thread, map[string]string{
			"send": A, "reply": A, "thread": A, "propose": st, "decide": A, "withdraw": st, "get": A}},
	}
	for i, r := range rows {
		// A notice addressed to the row's actor to reply to: for staff a
		// guardian's reply to them, for families an absence notice.
		noticeID := "m-notice-" + r.actor.ID
		n := coaching.Notice{ID: noticeID, CaseID: r.c.ID, Kind: coaching.NoticeKindAbsence, Recipient: coaching.Recipient{ID: r.actor.ID}}
		if r.actor.HasRole(coaching.RolePersonalTutor) || r.actor.HasRole(coaching.RoleHeadOfStudies) {
			n.Kind, n.Data = message.NoticeKindReply, map[string]string{message.DataThread: "mstaff" + string(rune('a'+i)),
				message.DataFrom: mGMinor.ID, message.DataFromKind: string(message.Guardian)}
		}
		w.enqueue(t, n)
		ops := []struct {
			name string
			do   func() error
		}{
			{"send", func() error {
				_, err := w.msgs.Send(ctx, r.actor, r.c.ID, message.SendParams{To: message.ToStudent, Subject: "Aihe", Text: "Teksti"})
				return err
			}},
			{"reply", func() error {
				_, err := w.msgs.Reply(ctx, r.actor, r.c.ID, message.ReplyParams{NoticeID: noticeID, Text: "Vastaus"})
				return err
			}},
			{"thread", func() error { _, err := w.msgs.Thread(ctx, r.actor, r.c.ID, r.thread); return err }},
			{"propose", func() error {
				_, err := w.changes.Propose(ctx, r.actor, r.c.ID, coaching.Contact{Email: "uusi-" + r.actor.ID + "@example.fi"})
				return err
			}},
			{"decide", func() error {
				_, err := w.changes.Decide(ctx, r.actor, r.c.ID, r.proposal, contactchange.Decision{Approve: true})
				return err
			}},
			{"get", func() error { _, err := w.changes.Get(ctx, r.actor, r.c.ID, r.proposal); return err }},
			{"withdraw", func() error {
				id := r.proposal
				if r.actor.ID == mGMinor.ID {
					id = propose(mGMinor, w.minor, "w@example.fi")
				}
				if r.actor.ID == adultStudent.ID {
					id = propose(adultStudent, w.adult, "w@example.fi")
				}
				_, err := w.changes.Withdraw(ctx, r.actor, r.c.ID, id)
				return err
			}},
		}
		for _, op := range ops {
			t.Run(r.who+"/"+op.name, func(t *testing.T) {
				want := r.want[op.name]
				before := accessEntries(t, store)
				err := op.do()
				if want == A {
					require.NoError(t, err)
					return
				}
				var fe *coaching.ForbiddenError
				require.ErrorAs(t, err, &fe, "refused")
				assert.Equal(t, want, fe.Rule, fe.Reason)
				after := accessEntries(t, store)
				require.Len(t, after, len(before)+1, "one access-log entry per refusal")
				assert.Equal(t, want, after[len(after)-1].Rule)
				assert.False(t, after[len(after)-1].Allowed)
			})
		}
	}
	// The tutor's approval reached the participant with its date.
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		p, err := tx.Participant(ctx, w.minor.ParticipantID)
		if err != nil {
			return err
		}
		assert.Equal(t, "c@example.fi", p.Guardians[0].Contact.Email, "the head of studies approved the third proposal, after the tutor the second")
		return nil
	}))
}

func concurrentDecisions(t *testing.T, store coaching.Store) {
	w := newMessageWorld(t, store)
	ctx := w.ctx
	pro, err := w.changes.Propose(ctx, mGMinor, w.minor.ID, coaching.Contact{Email: "kilpa@example.fi"})
	require.NoError(t, err)
	deciders := []struct {
		a coaching.Actor
		d contactchange.Decision
	}{{mTutor, contactchange.Decision{Approve: true}}, {mHead, contactchange.Decision{Reason: "not confirmed"}}}
	errs := make([]error, len(deciders))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, d := range deciders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = w.changes.Decide(ctx, d.a, w.minor.ID, pro.ID, d.d)
		}()
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, err := range errs {
		var ce *coaching.ConflictError
		switch {
		case err == nil:
			wins++
		case errors.As(err, &ce):
		default:
			t.Fatalf("a decision failed with neither success nor a conflict: %v", err)
		}
	}
	assert.Equal(t, 1, wins, "exactly one decision wins")
	final, err := w.changes.Get(ctx, mTutor, w.minor.ID, pro.ID)
	require.NoError(t, err)
	assert.Contains(t, []contactchange.Status{contactchange.Approved, contactchange.Declined}, final.Status)
}
