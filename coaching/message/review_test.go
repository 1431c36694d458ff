package message_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/message"
)

var (
	guardian2 = coaching.Actor{ID: "guardian-2", Roles: []coaching.Role{coaching.RoleGuardian}}
	curator   = coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}}
)

func twoGuardians(p *coaching.Participant) {
	p.Contact = coaching.Contact{Email: "opiskelija@example.fi"}
	p.Guardians = append(p.Guardians, coaching.Guardian{ID: "guardian-2", Name: "Toinen Huoltaja", Contact: coaching.Contact{Email: "toinen@example.fi"}})
}

func texts(ms []message.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

// A family member reads only the messages they wrote or were written to:
// one guardian's reply, and staff's answer to it, are not shown to the
// other guardian or to the student, though they share the thread.
func TestThreadShowsAFamilyMemberOnlyTheirMessages(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1), twoGuardians)
	sent, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToFamily, Subject: "Welcome", Text: "Hello all"})
	require.NoError(t, err)
	g1 := noticesTo(t, env, c.ID, "guardian-1")
	require.Len(t, g1, 1)
	_, err = s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: g1[0].ID, Text: "PRIVATE about the other parent"})
	require.NoError(t, err)
	tn := noticesTo(t, env, c.ID, ct.Tutor.ID)
	require.Len(t, tn, 1)
	_, err = s.Reply(ctx, ct.Tutor, c.ID, message.ReplyParams{NoticeID: tn[0].ID, Text: "Understood, between us"})
	require.NoError(t, err)

	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	for _, a := range []coaching.Actor{guardian2, student} {
		got, err := s.Thread(ctx, a, c.ID, sent.Thread)
		require.NoError(t, err, a.ID)
		assert.Equal(t, []string{"Hello all"}, texts(got), a.ID)
	}
	got, err := s.Thread(ctx, guardian, c.ID, sent.Thread)
	require.NoError(t, err)
	assert.Equal(t, []string{"Hello all", "PRIVATE about the other parent", "Understood, between us"}, texts(got))
	got, err = s.Thread(ctx, ct.Tutor, c.ID, sent.Thread)
	require.NoError(t, err)
	assert.Len(t, got, 3, "staff read the whole thread")
}

// The generic case read (CaseView.Document) refuses a thread's document to
// everyone: a thread is read through Thread, which shows each family member
// their own messages only. A reply's thread id is not derived from the
// notice it answers.
func TestThreadsAreNotReadThroughTheGenericRead(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1), twoGuardians)
	n := coaching.Notice{ID: "absence:" + string(c.ID) + ":2026-09-07:guardian-1", CaseID: c.ID, Kind: coaching.NoticeKindAbsence,
		Recipient: coaching.Recipient{ID: "guardian-1", Role: coaching.RoleGuardian}, Subject: "Poissaolo", Body: "…",
		CreatedAt: monday, NotBefore: monday, Status: coaching.NoticeSent}
	enqueue(t, env, n)
	r, err := s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: n.ID, Text: "PRIVATE"})
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(n.ID))
	assert.NotEqual(t, "n"+hex.EncodeToString(sum[:12]), r.Thread, "the thread id is not derived from the notice id")
	again, err := s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: n.ID, Text: "more"})
	require.NoError(t, err)
	assert.NotEqual(t, r.Thread, again.Thread, "each reply to a notice that is not a message starts a thread of its own")

	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	for _, a := range []coaching.Actor{student, guardian2, ct.Tutor} {
		err := env.Engine.ReadCase(ctx, a, coaching.OpReadRequests, c.ID, func(v *coaching.CaseView) error {
			_, err := v.Document("message_"+r.Thread, 0)
			return err
		})
		assert.Equal(t, coaching.RuleFeatureDocument, ct.RequireForbidden(t, err).Rule, a.ID)
	}
	_, err = s.Thread(ctx, guardian2, c.ID, r.Thread)
	assert.Equal(t, message.RuleThreadParty, ct.RequireForbidden(t, err).Rule)
}

// Welfare staff do not write to families through messages: what they
// write would be read by every staff member on the team.
func TestWelfareStaffDoNotMessage(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	_, err := s.Send(ctx, curator, c.ID, message.SendParams{To: message.ToGuardians, Subject: "Tapaaminen", Text: "Voimmeko tavata?"})
	// The default policy refuses them (welfare_channel); the feature's own
	// rule (message.RuleWelfareStaff) holds under a host's policy too.
	assert.Equal(t, coaching.RuleWelfareChannel, ct.RequireForbidden(t, err).Rule)
	assert.Empty(t, noticesTo(t, env, c.ID, "guardian-1"), "nothing was sent")
}

// A teacher who is also the student's guardian writes as the guardian on
// their own child's case: they reply to staff's message like a guardian,
// and do not start messages to their own family as staff.
func TestTeacherParentWritesAsGuardian(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	parent := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleTeacher, coaching.RoleGuardian}}
	c := env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)),
		ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(parent, coaching.RoleTeacher))
	_, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToGuardians, Subject: "Hei", Text: "Tervetuloa"})
	require.NoError(t, err)
	g := noticesTo(t, env, c.ID, parent.ID)
	require.Len(t, g, 1)
	r, err := s.Reply(ctx, parent, c.ID, message.ReplyParams{NoticeID: g[0].ID, Text: "Kiitos"})
	require.NoError(t, err)
	assert.Equal(t, message.Guardian, r.From.Kind)
	assert.Equal(t, ct.Tutor.ID, r.To[0].ID)
	_, err = s.Send(ctx, parent, c.ID, message.SendParams{To: message.ToStudent, Subject: "Hei", Text: "x"})
	assert.Equal(t, message.RuleStaffOnly, ct.RequireForbidden(t, err).Rule)
}

// A reply keeps the thread's subject: no "Reply: Message: …" nesting.
func TestReplySubjectIsTheThreads(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	_, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToGuardians, Subject: "Welcome", Text: "Hello"})
	require.NoError(t, err)
	r, err := s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: noticesTo(t, env, c.ID, "guardian-1")[0].ID, Text: "Thanks"})
	require.NoError(t, err)
	assert.Equal(t, "Welcome", r.Subject)
	a, err := s.Reply(ctx, ct.Tutor, c.ID, message.ReplyParams{NoticeID: noticesTo(t, env, c.ID, ct.Tutor.ID)[0].ID, Text: "You're welcome"})
	require.NoError(t, err)
	assert.Equal(t, "Welcome", a.Subject)
	back := noticesTo(t, env, c.ID, "guardian-1")
	require.Len(t, back, 2)
	assert.Equal(t, "Vastaus: Welcome", back[1].Subject)
}

// A message to a student without contact details is refused, naming "to";
// nothing is written.
func TestSendToAStudentWithoutContact(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) { p.Contact = coaching.Contact{} })
	_, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToStudent, Subject: "Hei", Text: "x"})
	ct.RequireInvalid(t, err, "to")
	_, err = s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToFamily, Subject: "Hei", Text: "x"})
	ct.RequireInvalid(t, err, "to")
	assert.Empty(t, noticesTo(t, env, c.ID, "guardian-1"), "nothing half-saved")
	_, err = s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToGuardians, Subject: "Hei", Text: "x"})
	require.NoError(t, err)
}

// Threads lists what each reader may read: the other guardian does not
// learn of a reply that was not theirs, and a thread they are not party
// to is not listed.
func TestThreadsListsWhatTheReaderReads(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1), twoGuardians)
	family, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToFamily, Subject: "Welcome", Text: "Hello all"})
	require.NoError(t, err)
	_, err = s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: noticesTo(t, env, c.ID, "guardian-1")[0].ID, Text: "PRIVATE"})
	require.NoError(t, err)
	env.Clock.AdvanceDays(1)
	own, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToStudent, Subject: "Just you", Text: "Hi"})
	require.NoError(t, err)
	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	list := func(a coaching.Actor) map[string]int {
		t.Helper()
		sums, err := s.Threads(ctx, a, c.ID)
		require.NoError(t, err, a.ID)
		out := map[string]int{}
		for _, sm := range sums {
			out[sm.Thread] = sm.Messages
			if a.ID == guardian2.ID || a.ID == student.ID {
				assert.NotEqual(t, "PRIVATE", sm.Last.Text, a.ID)
			}
		}
		return out
	}
	assert.Equal(t, map[string]int{family.Thread: 1}, list(guardian2))
	assert.Equal(t, map[string]int{family.Thread: 2}, list(guardian))
	assert.Equal(t, map[string]int{family.Thread: 1, own.Thread: 1}, list(student))
	assert.Equal(t, map[string]int{family.Thread: 2, own.Thread: 1}, list(ct.Tutor))
	sums, err := s.Threads(ctx, student, c.ID)
	require.NoError(t, err)
	assert.Equal(t, own.Thread, sums[0].Thread, "the most recent first")
}

// A service over an engine bound to the host's transaction writes in it:
// the message is there once the host commits, and gone when it rolls back.
func TestSendOnABoundEngine(t *testing.T) {
	env, _ := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	for _, commit := range []bool{false, true} {
		err := env.Store.Update(ctx, func(tx coaching.Tx) error {
			s, err := message.New(env.Engine.In(tx), nil)
			if err != nil {
				return err
			}
			if _, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToGuardians, Subject: "Hei", Text: "x"}); err != nil {
				return err
			}
			if !commit {
				return errRollback
			}
			return nil
		})
		if commit {
			require.NoError(t, err)
			assert.Len(t, noticesTo(t, env, c.ID, "guardian-1"), 1)
		} else {
			require.ErrorIs(t, err, errRollback)
			assert.Empty(t, noticesTo(t, env, c.ID, "guardian-1"))
		}
	}
}

var errRollback = errors.New("the host rolls back")

// ToFamily for an adult who has not consented to their guardians being
// informed writes to the student alone instead of failing; it fails only
// when no one of the family can be written to.
func TestToFamilyAdultWithoutConsentWritesToTheStudent(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2026, 5, 1), func(p *coaching.Participant) { p.Contact.Email = "s@example.fi" })
	m, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToFamily, Subject: "Hei", Text: "tekstiä"})
	require.NoError(t, err)
	require.Len(t, m.To, 1)
	assert.Equal(t, message.Student, m.To[0].Kind)
	assert.Len(t, noticesTo(t, env, c.ID, string(c.ParticipantID)), 1)
	var all []coaching.Notice
	require.NoError(t, env.Store.View(ctx, func(tx coaching.ReadTx) error {
		all, err = tx.Notices(ctx, coaching.NoticeQuery{CaseID: c.ID})
		return err
	}))
	for _, n := range all {
		assert.NotEqual(t, coaching.RoleGuardian, n.Recipient.Role, "the guardians of an adult without consent are not written to")
	}

	c2 := env.EnrolPilotMinor(t, coaching.NewDate(2026, 5, 1), func(p *coaching.Participant) { p.Contact = coaching.Contact{} })
	_, err = s.Send(ctx, ct.Tutor, c2.ID, message.SendParams{To: message.ToFamily, Subject: "Hei", Text: "tekstiä"})
	ct.RequireInvalid(t, err, "to")
}

// A student reads the message written to them through the kernel's
// generic notice read (addressed to their participant id).
func TestStudentSeesOwnMessageNotice(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2026, 5, 1), func(p *coaching.Participant) { p.Contact.Email = "s@example.fi" })
	student := coaching.Actor{ID: "student-x", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	_, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToStudent, Subject: "Hei", Text: "tekstiä"})
	require.NoError(t, err)
	var ns []coaching.Notice
	require.NoError(t, env.Engine.ReadCase(ctx, student, coaching.OpReadNotices, c.ID, func(v *coaching.CaseView) error {
		ns, err = v.Notices()
		return err
	}))
	require.Len(t, ns, 1)
	assert.Equal(t, message.NoticeKindMessage, ns[0].Kind)
}
