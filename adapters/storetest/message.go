package storetest

import (
	"context"
	"errors"
	"fmt"
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
// store, whose case documents, notices and participants keep them:
//
//   - the access matrix of every operation — send, reply, read a thread,
//     propose, decide, withdraw, read a proposal, and the kernel's generic
//     read of a thread's and a proposal's document (CaseView.Document,
//     refused under feature_document: both families are private) — for a
//     guardian of a minor, a guardian of an adult who has not consented,
//     an adult student, another student's guardian, a teacher not on the
//     team, a peer coach and a workplace instructor on the team, a curator
//     on the team, the personal tutor and the head of studies; each
//     refusal is one access-log entry naming its rule and writes nothing
//     (the case's version and notices are unchanged);
//   - who reads which messages of a thread: staff all, each guardian and
//     the student only those they wrote or were written to;
//   - messages and replies written at once on one case, all landing
//     (conflicts retried), and two concurrent decisions of a proposal of
//     which exactly one wins while the other gets a
//     *coaching.ConflictError.
//
// Adapters call it beside [Run]:
//
//	func TestMessages(t *testing.T) { storetest.RunMessages(t, newStore) }
func RunMessages(t *testing.T, newStore Harness) {
	t.Helper()
	if newStore == nil {
		t.Fatal("storetest: the harness is nil")
	}
	t.Run("AccessMatrix", func(t *testing.T) { messageMatrix(t, newStore(t)) })
	t.Run("ThreadParties", func(t *testing.T) { threadParties(t, newStore(t)) })
	t.Run("ConcurrentMessages", func(t *testing.T) { concurrentMessages(t, newStore(t)) })
	t.Run("ConcurrentDecisions", func(t *testing.T) { concurrentDecisions(t, newStore(t)) })
}

const messageOrg coaching.OrganisationID = "org-messages"

// messageWorld is an engine over the store with a minor's and an adult's
// case, the same personal tutor on both; the minor's team also has a peer
// coach, a workplace instructor and a curator, and the minor two
// guardians.
type messageWorld struct {
	ctx          context.Context
	store        coaching.Store
	eng          *coaching.Engine
	msgs         *message.Service
	changes      *contactchange.Service
	minor, adult coaching.Case
	minorStudent coaching.Actor
}

var (
	mTutor      = coaching.Actor{ID: "m-tutor", Name: "Tiina Tutor", Organisation: messageOrg, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	mHead       = coaching.Actor{ID: "m-head", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	mTeacher    = coaching.Actor{ID: "m-teacher", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleTeacher}}
	mPeer       = coaching.Actor{ID: "m-peer", Organisation: messageOrg, Roles: []coaching.Role{coaching.RolePeerCoach}}
	mInstructor = coaching.Actor{ID: "m-instructor", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleWorkplaceInstructor}}
	mCurator    = coaching.Actor{ID: "m-curator", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleCurator}}
	mGMinor     = coaching.Actor{ID: "m-guardian-minor", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	mGMinor2    = coaching.Actor{ID: "m-guardian-minor-2", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	mGAdult     = coaching.Actor{ID: "m-guardian-adult", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	mGOther     = coaching.Actor{ID: "m-guardian-other", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
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
	member := func(a coaching.Actor, r coaching.Role) coaching.TeamMember {
		return coaching.TeamMember{ActorID: a.ID, Role: r, Name: a.ID, Contact: coaching.Contact{Email: a.ID + "@example.fi"}, Language: coaching.Finnish}
	}
	tutor := member(mTutor, coaching.RolePersonalTutor)
	tutor.Name = mTutor.Name
	enrol := func(id coaching.ParticipantID, born coaching.Date, team []coaching.TeamMember, gs ...coaching.Actor) coaching.Case {
		p := coaching.Participant{ID: id, GivenNames: "Testi", FamilyName: "Opiskelija", BirthDate: born, Organisation: messageOrg,
			Language: coaching.Finnish, Contact: coaching.Contact{Email: string(id) + "@example.fi"}}
		for _, g := range gs {
			p.Guardians = append(p.Guardians, coaching.Guardian{ID: g.ID, Name: "Huoltaja " + g.ID, Contact: coaching.Contact{Email: g.ID + "@example.fi"},
				Language: coaching.Swedish})
		}
		c, err := eng.Enrol(w.ctx, mTutor, coaching.EnrolParams{Model: coaching.ModelPilot, Team: team, Participant: p})
		require.NoError(t, err)
		return c
	}
	w.minor = enrol("m-minor", coaching.NewDate(2010, 5, 1), []coaching.TeamMember{tutor, member(mPeer, coaching.RolePeerCoach),
		member(mInstructor, coaching.RoleWorkplaceInstructor), member(mCurator, coaching.RoleCurator)}, mGMinor, mGMinor2)
	w.adult = enrol("m-adult", coaching.NewDate(2008, 3, 1), []coaching.TeamMember{tutor}, mGAdult) // 18 since March, no consent
	w.minorStudent = coaching.Actor{ID: "m-student-minor", Organisation: messageOrg, Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: w.minor.ParticipantID}}}
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

// state is what a refusal must leave as it was: the case's version and
// its notices.
func (w *messageWorld) state(t *testing.T, id coaching.CaseID) (int64, int) {
	t.Helper()
	var version int64
	var notices int
	require.NoError(t, w.store.View(w.ctx, func(tx coaching.ReadTx) error {
		c, err := tx.Case(w.ctx, id)
		if err != nil {
			return err
		}
		version = c.Version
		ns, err := tx.Notices(w.ctx, coaching.NoticeQuery{CaseID: id})
		notices = len(ns)
		return err
	}))
	return version, notices
}

// noticesTo returns the case's notices to recipient, oldest first.
func (w *messageWorld) noticesTo(t *testing.T, id coaching.CaseID, recipient string) []coaching.Notice {
	t.Helper()
	var out []coaching.Notice
	require.NoError(t, w.store.View(w.ctx, func(tx coaching.ReadTx) error {
		all, err := tx.Notices(w.ctx, coaching.NoticeQuery{CaseID: id})
		for _, n := range all {
			if n.Recipient.ID == recipient {
				out = append(out, n)
			}
		}
		return err
	}))
	return out
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
	assert.Len(t, got[0].To, 3, "the student and both guardians")

	// Proposals to decide, withdraw and read.
	n := 0
	propose := func(a coaching.Actor, c coaching.Case) contactchange.Proposal {
		n++
		p, err := w.changes.Propose(ctx, a, c.ID, coaching.Contact{Email: fmt.Sprintf("uusi-%d@example.fi", n)})
		require.NoError(t, err)
		return p
	}
	byGuardian := propose(mGMinor, w.minor)
	byStudent := propose(adultStudent, w.adult)

	type row struct {
		who   string
		actor coaching.Actor
		c     coaching.Case
		// the proposal the row reads (and decides, when refused)
		proposal contactchange.Proposal
		thread   string
		want     map[string]string // operation → "allow" or the denying rule
	}
	const A = "allow"
	gs, ga, gr, st := coaching.RuleGuardianScope, coaching.RuleGuardianAge, coaching.RuleGuardianRelation, coaching.RuleSupportTeam
	fd, np, wc := coaching.RuleFeatureDocument, coaching.RuleNotPermitted, coaching.RuleWelfareChannel
	onTeam := func(a coaching.Actor) bool {
		return a.HasRole(coaching.RolePersonalTutor) || a.HasRole(coaching.RoleCurator)
	}
	rows := []row{
		{"guardian of a minor", mGMinor, w.minor, byGuardian, minorThread.Thread, map[string]string{
			"send": message.RuleStaffOnly, "reply": A, "thread": A, "propose": A, "decide": gs, "withdraw": A, "get": A, "thread doc": fd, "proposal doc": fd}},
		{"guardian of an adult without consent", mGAdult, w.adult, byStudent, adultThread.Thread, map[string]string{
			"send": ga, "reply": ga, "thread": ga, "propose": ga, "decide": gs, "withdraw": ga, "get": ga, "thread doc": ga, "proposal doc": ga}},
		{"adult student", adultStudent, w.adult, byStudent, adultThread.Thread, map[string]string{
			"send": message.RuleStaffOnly, "reply": A, "thread": A, "propose": A, "decide": coaching.RuleStudentSelf, "withdraw": A, "get": A,
			"thread doc": fd, "proposal doc": fd}},
		{"the minor's other guardian, the proposal not theirs", mGMinor2, w.minor, byGuardian, minorThread.Thread, map[string]string{
			"send": message.RuleStaffOnly, "reply": A, "thread": A, "propose": A, "decide": gs, "withdraw": A,
			"get": contactchange.RuleOwnProposal, "thread doc": fd, "proposal doc": fd}},
		{"another student's guardian", mGOther, w.minor, byGuardian, minorThread.Thread, map[string]string{
			"send": gr, "reply": gr, "thread": gr, "propose": gr, "decide": gr, "withdraw": gr, "get": gr, "thread doc": gr, "proposal doc": gr}},
		{"teacher not on the team", mTeacher, w.minor, byGuardian, minorThread.Thread, map[string]string{
			"send": st, "reply": st, "thread": st, "propose": st, "decide": st, "withdraw": st, "get": st, "thread doc": st, "proposal doc": st}},
		{"peer coach on the team", mPeer, w.minor, byGuardian, minorThread.Thread, map[string]string{
			"send": st, "reply": st, "thread": st, "propose": np, "decide": st, "withdraw": np, "get": st, "thread doc": st, "proposal doc": st}},
		{"workplace instructor on the team", mInstructor, w.minor, byGuardian, minorThread.Thread, map[string]string{
			"send": st, "reply": st, "thread": st, "propose": st, "decide": st, "withdraw": st, "get": st, "thread doc": st, "proposal doc": st}},
		{"curator on the team", mCurator, w.minor, byGuardian, minorThread.Thread, map[string]string{
			"send": wc, "reply": wc, "thread": A, "propose": st, "decide": wc, "withdraw": st, "get": A,
			"thread doc": fd, "proposal doc": fd}},
		{"personal tutor", mTutor, w.minor, byGuardian, minorThread.Thread, map[string]string{
			"send": A, "reply": A, "thread": A, "propose": st, "decide": A, "withdraw": st, "get": A, "thread doc": fd, "proposal doc": fd}},
		{"head of studies", mHead, w.minor, byGuardian, minorThread.Thread, map[string]string{
			"send": A, "reply": A, "thread": A, "propose": st, "decide": A, "withdraw": st, "get": A, "thread doc": fd, "proposal doc": fd}},
	}
	lastApproved := ""
	for i, r := range rows {
		// A notice addressed to the row's actor to reply to: for staff a
		// guardian's reply to them, for families an absence notice.
		noticeID := "m-notice-" + r.actor.ID
		nt := coaching.Notice{ID: noticeID, CaseID: r.c.ID, Kind: coaching.NoticeKindAbsence, Recipient: coaching.Recipient{ID: r.actor.ID}}
		if onTeam(r.actor) || r.actor.HasRole(coaching.RoleHeadOfStudies) {
			nt.Kind, nt.Data = message.NoticeKindReply, map[string]string{message.DataThread: "mstaff" + string(rune('a'+i)),
				message.DataFrom: mGMinor.ID, message.DataFromKind: string(message.Guardian)}
		}
		w.enqueue(t, nt)
		generic := func(kind string) error {
			return w.eng.ReadCase(ctx, r.actor, coaching.OpReadRequests, r.c.ID, func(v *coaching.CaseView) error {
				_, err := v.Document(kind, 0)
				return err
			})
		}
		ops := []struct {
			name string
			do   func(want string) error
		}{
			{"send", func(string) error {
				_, err := w.msgs.Send(ctx, r.actor, r.c.ID, message.SendParams{To: message.ToStudent, Subject: "Aihe", Text: "Teksti"})
				return err
			}},
			{"reply", func(string) error {
				_, err := w.msgs.Reply(ctx, r.actor, r.c.ID, message.ReplyParams{NoticeID: noticeID, Text: "Vastaus"})
				return err
			}},
			{"thread", func(string) error { _, err := w.msgs.Thread(ctx, r.actor, r.c.ID, r.thread); return err }},
			{"thread doc", func(string) error { return generic("message_" + r.thread) }},
			{"propose", func(string) error {
				_, err := w.changes.Propose(ctx, r.actor, r.c.ID, coaching.Contact{Email: "uusi-" + r.actor.ID + "@example.fi"})
				return err
			}},
			{"decide", func(want string) error {
				pro := r.proposal
				if want == A {
					pro = propose(mGMinor, w.minor) // against the details recorded now
				}
				got, err := w.changes.Decide(ctx, r.actor, r.c.ID, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
				if err == nil {
					lastApproved = got.Contact.Email
				}
				return err
			}},
			{"get", func(string) error { _, err := w.changes.Get(ctx, r.actor, r.c.ID, r.proposal.ID); return err }},
			{"proposal doc", func(string) error { return generic("contactchange_" + r.proposal.ID) }},
			{"withdraw", func(want string) error {
				id := r.proposal.ID
				if want == A {
					id = propose(r.actor, r.c).ID
				}
				_, err := w.changes.Withdraw(ctx, r.actor, r.c.ID, id)
				return err
			}},
		}
		for _, op := range ops {
			t.Run(r.who+"/"+op.name, func(t *testing.T) {
				want, ok := r.want[op.name]
				require.True(t, ok, "the row names every operation")
				before := accessEntries(t, store)
				version, notices := w.state(t, r.c.ID)
				err := op.do(want)
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
				v, n := w.state(t, r.c.ID)
				assert.Equal(t, version, v, "a refusal writes nothing to the case")
				assert.Equal(t, notices, n, "a refusal sends no notice")
			})
		}
	}
	// The last approval reached the participant.
	require.NotEmpty(t, lastApproved)
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		p, err := tx.Participant(ctx, w.minor.Organisation, w.minor.ParticipantID)
		if err != nil {
			return err
		}
		assert.Equal(t, lastApproved, p.Guardians[0].Contact.Email, "the head of studies' approval, the last")
		return nil
	}))
}

// threadParties: the tutor writes to the whole family; one guardian's
// reply and the tutor's answer are that guardian's alone, the student's
// reply the student's alone; staff read everything.
func threadParties(t *testing.T, store coaching.Store) {
	w := newMessageWorld(t, store)
	ctx := w.ctx
	sent, err := w.msgs.Send(ctx, mTutor, w.minor.ID, message.SendParams{To: message.ToFamily, Subject: "Tervetuloa", Text: "to all"})
	require.NoError(t, err)
	reply := func(a coaching.Actor, recipient, text string) {
		t.Helper()
		ns := w.noticesTo(t, w.minor.ID, recipient)
		require.NotEmpty(t, ns, recipient)
		_, err := w.msgs.Reply(ctx, a, w.minor.ID, message.ReplyParams{NoticeID: ns[len(ns)-1].ID, Text: text})
		require.NoError(t, err, a.ID)
	}
	reply(mGMinor, mGMinor.ID, "guardian 1 only")
	reply(mTutor, mTutor.ID, "to guardian 1")
	reply(w.minorStudent, string(w.minor.ParticipantID), "student only")
	reply(mTutor, mTutor.ID, "to the student")
	texts := func(a coaching.Actor) []string {
		t.Helper()
		ms, err := w.msgs.Thread(ctx, a, w.minor.ID, sent.Thread)
		require.NoError(t, err, a.ID)
		var out []string
		for _, m := range ms {
			out = append(out, m.Text)
		}
		return out
	}
	assert.Equal(t, []string{"to all", "guardian 1 only", "to guardian 1"}, texts(mGMinor))
	assert.Equal(t, []string{"to all"}, texts(mGMinor2))
	assert.Equal(t, []string{"to all", "student only", "to the student"}, texts(w.minorStudent))
	assert.Len(t, texts(mTutor), 5)
	assert.Len(t, texts(mHead), 5)
}

// concurrentMessages: messages and replies to one thread written at once
// on one case all land, each its own version.
func concurrentMessages(t *testing.T, store coaching.Store) {
	w := newMessageWorld(t, store)
	ctx := w.ctx
	sent, err := w.msgs.Send(ctx, mTutor, w.minor.ID, message.SendParams{To: message.ToGuardians, Subject: "Kysely", Text: "?"})
	require.NoError(t, err)
	toGuardian := w.noticesTo(t, w.minor.ID, mGMinor.ID)
	require.Len(t, toGuardian, 1)
	const sends, replies = 6, 4
	errs := make([]error, sends+replies)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i < sends {
				_, errs[i] = w.msgs.Send(ctx, mTutor, w.minor.ID, message.SendParams{To: message.ToStudent, Subject: fmt.Sprint("m", i), Text: "x"})
				return
			}
			_, errs[i] = w.msgs.Reply(ctx, mGMinor, w.minor.ID, message.ReplyParams{NoticeID: toGuardian[0].ID, Text: fmt.Sprint("r", i)})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "write %d", i)
	}
	assert.Len(t, w.noticesTo(t, w.minor.ID, string(w.minor.ParticipantID)), sends, "every message reached the student")
	thread, err := w.msgs.Thread(ctx, mTutor, w.minor.ID, sent.Thread)
	require.NoError(t, err)
	require.Len(t, thread, 1+replies, "every reply joined the thread")
	for i, m := range thread {
		assert.Equal(t, int64(i+1), m.Seq)
	}
}

func concurrentDecisions(t *testing.T, store coaching.Store) {
	w := newMessageWorld(t, store)
	ctx := w.ctx
	pro, err := w.changes.Propose(ctx, mGMinor, w.minor.ID, coaching.Contact{Email: "kilpa@example.fi"})
	require.NoError(t, err)
	deciders := []struct {
		a coaching.Actor
		d contactchange.Decision
	}{{mTutor, contactchange.Decision{Approve: true, Version: pro.Version}}, {mHead, contactchange.Decision{Reason: "not confirmed", Version: pro.Version}}}
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
