package message_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/message"
	"github.com/valmennus/valmennus/coaching/referral"
)

var (
	monday   = time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki)
	guardian = coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
)

func newEnv(t *testing.T) (*ct.Env, *message.Service) {
	t.Helper()
	env := ct.New(t, &ct.Options{Start: monday, Engine: coaching.Options{
		Documents: append(message.Documents(), referral.Documents()...), TimerHandlers: referral.TimerHandlers(nil)}})
	s, err := message.New(env.Engine, nil)
	require.NoError(t, err)
	return env, s
}

func noticesTo(t *testing.T, env *ct.Env, id coaching.CaseID, recipient string) []coaching.Notice {
	t.Helper()
	var out []coaching.Notice
	require.NoError(t, env.Store.View(context.Background(), func(tx coaching.ReadTx) error {
		all, err := tx.Notices(context.Background(), coaching.NoticeQuery{CaseID: id})
		for _, n := range all {
			if n.Recipient.ID == recipient {
				out = append(out, n)
			}
		}
		return err
	}))
	return out
}

func enqueue(t *testing.T, env *ct.Env, n coaching.Notice) {
	t.Helper()
	require.NoError(t, env.Store.Update(context.Background(), func(tx coaching.Tx) error {
		_, err := tx.Enqueue(context.Background(), n)
		return err
	}))
}

// Staff write to the guardians, a guardian replies to the tutor who wrote,
// the tutor answers the guardian: one thread, each message a notice to its
// recipient in their language; the audit trail never carries the text.
func TestConversation(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.Guardians[0].Language = coaching.English
		p.Guardians = append(p.Guardians, coaching.Guardian{ID: "guardian-2", Name: "Toinen Huoltaja", Language: coaching.Swedish,
			Contact: coaching.Contact{Phone: "+358 40 555 6666"}}, coaching.Guardian{ID: "guardian-3", Name: "Ei Yhteystietoja"})
	})
	const secret = "Aino has been tired; can we talk on Thursday?"
	sent, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToGuardians, Subject: "Thursday", Text: secret})
	require.NoError(t, err)
	require.Len(t, sent.To, 2, "every guardian who can be reached")
	g1 := noticesTo(t, env, c.ID, "guardian-1")
	require.Len(t, g1, 1)
	assert.Equal(t, "Message: Thursday", g1[0].Subject)
	assert.Contains(t, g1[0].Body, secret, "the text reaches the recipient")
	g2 := noticesTo(t, env, c.ID, "guardian-2")
	require.Len(t, g2, 1)
	assert.Equal(t, "Meddelande: Thursday", g2[0].Subject)
	assert.Empty(t, noticesTo(t, env, c.ID, "guardian-3"))

	reply, err := s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: g1[0].ID, Text: "Thursday at two is fine."})
	require.NoError(t, err)
	assert.Equal(t, sent.Thread, reply.Thread)
	assert.Equal(t, int64(2), reply.Seq)
	tutorNotices := noticesTo(t, env, c.ID, ct.Tutor.ID)
	require.Len(t, tutorNotices, 1, "the reply reaches the tutor who wrote")
	assert.Equal(t, message.NoticeKindReply, tutorNotices[0].Kind)
	assert.Equal(t, sent.Thread, tutorNotices[0].Data[message.DataThread])
	assert.Equal(t, g1[0].ID, tutorNotices[0].Data[message.DataReplyTo])

	answer, err := s.Reply(ctx, ct.Tutor, c.ID, message.ReplyParams{NoticeID: tutorNotices[0].ID, Text: "See you then."})
	require.NoError(t, err)
	require.Len(t, answer.To, 1)
	assert.Equal(t, "guardian-1", answer.To[0].ID, "staff's reply reaches the guardian who wrote")

	for _, a := range []coaching.Actor{ct.Tutor, guardian} {
		thread, err := s.Thread(ctx, a, c.ID, sent.Thread)
		require.NoError(t, err, a.ID)
		require.Len(t, thread, 3)
		assert.Equal(t, []string{secret, "Thursday at two is fine.", "See you then."}, []string{thread[0].Text, thread[1].Text, thread[2].Text})
	}
	// A guardian who was not written to in the thread does not read it.
	_, err = s.Thread(ctx, coaching.Actor{ID: "guardian-3", Roles: []coaching.Role{coaching.RoleGuardian}}, c.ID, sent.Thread)
	assert.Equal(t, message.RuleThreadParty, ct.RequireForbidden(t, err).Rule)
	_, err = s.Thread(ctx, ct.Tutor, c.ID, "nosuchthread")
	assert.ErrorIs(t, err, coaching.ErrNotFound)

	err = env.Engine.ReadCase(ctx, ct.Tutor, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		trail, err := v.AuditTrail()
		require.NoError(t, err)
		for _, e := range trail {
			for _, text := range []string{secret, "Thursday at two", "See you"} {
				assert.NotContains(t, e.Reason+string(e.Payload), text, "no message text in the audit trail")
			}
		}
		assert.Equal(t, "message_reply", trail[len(trail)-1].Event)
		return nil
	})
	require.NoError(t, err)
}

// A guardian's reply to a notice that is not a message (an absence notice)
// reaches the personal tutors, or the coaches when the team has none; a
// reply to someone else's notice is not found.
func TestReplyToANotice(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	n := coaching.Notice{ID: "absence:" + string(c.ID) + ":2026-09-07:guardian-1", CaseID: c.ID, Kind: coaching.NoticeKindAbsence,
		Recipient: coaching.Recipient{ID: "guardian-1", Role: coaching.RoleGuardian}, Subject: "Poissaolo 7.9.2026: Testi",
		Body: "…", CreatedAt: monday, NotBefore: monday, Status: coaching.NoticeSent}
	enqueue(t, env, n)
	r, err := s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: n.ID, Text: "He was ill, sorry."})
	require.NoError(t, err)
	require.Len(t, r.To, 1)
	assert.Equal(t, ct.Tutor.ID, r.To[0].ID, "the personal tutor")
	assert.Equal(t, "Poissaolo 7.9.2026: Testi", r.Subject)
	again, err := s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: n.ID, Text: "And tomorrow too."})
	require.NoError(t, err)
	assert.NotEqual(t, r.Thread, again.Thread, "a reply to a notice that is not a message starts a thread")

	// Coaches when there is no personal tutor.
	coached := env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)), ct.TeamMember(ct.Coach, coaching.RoleCoach))
	n2 := n
	n2.ID, n2.CaseID = "absence:"+string(coached.ID), coached.ID
	enqueue(t, env, n2)
	r, err = s.Reply(ctx, guardian, coached.ID, message.ReplyParams{NoticeID: n2.ID, Text: "Ill."})
	require.NoError(t, err)
	assert.Equal(t, ct.Coach.ID, r.To[0].ID)

	// Not addressed to the actor, not the case's, unknown: not found.
	other := coaching.Actor{ID: "guardian-x", Roles: []coaching.Role{coaching.RoleGuardian},
		Relations: []coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: c.ParticipantID}}}
	_, err = s.Reply(ctx, other, c.ID, message.ReplyParams{NoticeID: n.ID, Text: "x"})
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	_, err = s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: n2.ID, Text: "x"})
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	_, err = s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: "nosuch", Text: "x"})
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	// Staff reply only to a family member's message.
	_, err = s.Reply(ctx, ct.Tutor, c.ID, message.ReplyParams{NoticeID: noticesTo(t, env, c.ID, ct.Tutor.ID)[0].ID, Text: "ok"})
	require.NoError(t, err, "the tutor answers the guardian's reply")
	tn := coaching.Notice{ID: "transition:" + string(c.ID), CaseID: c.ID, Kind: coaching.NoticeKindTransition,
		Recipient: coaching.Recipient{ID: ct.Tutor.ID}, Subject: "x", Body: "x", CreatedAt: monday, NotBefore: monday, Status: coaching.NoticeSent}
	enqueue(t, env, tn)
	_, err = s.Reply(ctx, ct.Tutor, c.ID, message.ReplyParams{NoticeID: tn.ID, Text: "ok"})
	ct.RequireInvalid(t, err, "notice_id")
}

// A notice about a welfare record or a referral is never replied to.
func TestNoReplyToWelfare(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	for i, n := range []coaching.Notice{
		{Kind: "welfare_note", Data: map[string]string{coaching.NoticeDataDocument: "welfare_note_1"}},
		{Kind: referral.NoticeKindFollowUp, Data: map[string]string{coaching.NoticeDataDocument: "referral_abc"}},
		{Kind: referral.NoticeKindFollowUp},
	} {
		n.ID, n.CaseID = fmt.Sprintf("welfare-%d", i), c.ID
		n.Recipient, n.Subject, n.Body = coaching.Recipient{ID: "guardian-1"}, "x", "x"
		n.CreatedAt, n.NotBefore, n.Status = monday, monday, coaching.NoticeSent
		enqueue(t, env, n)
		_, err := s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: n.ID, Text: "about that"})
		assert.Equal(t, message.RuleWelfare, ct.RequireForbidden(t, err).Rule, n.Kind)
	}
	assert.Empty(t, noticesTo(t, env, c.ID, ct.Tutor.ID), "nothing was sent")
}

// Bad input names every bad field; guardians of an adult who has not
// consented are not written to; a family member does not start a message.
func TestSendInput(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2026, 9, 1)) // an adult since last week
	_, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: "everyone", Subject: "a\nb", Text: " "})
	ct.RequireInvalid(t, err, "to", "subject", "text")
	_, err = s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToGuardians, Subject: "Hi", Text: "Hello"})
	ct.RequireInvalid(t, err, "to")
	fam, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToFamily, Subject: "Hi", Text: "Hello"})
	require.NoError(t, err, "the family of an adult without consent is the student")
	require.Len(t, fam.To, 1)
	assert.Equal(t, message.Student, fam.To[0].Kind)
	assert.Empty(t, noticesTo(t, env, c.ID, "guardian-1"), "nothing half-saved, nothing to the guardians")
	m, err := s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToStudent, Subject: "Hi", Text: "Hello"})
	require.NoError(t, err)
	require.Len(t, m.To, 1)
	assert.Equal(t, string(c.ParticipantID), m.To[0].ID)
	_, err = s.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: "x", Text: strings.Repeat("x", message.MaxTextBytes+1)})
	ct.RequireInvalid(t, err, "text")

	// The adult student replies to the message addressed to them.
	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	toStudent := noticesTo(t, env, c.ID, string(c.ParticipantID))
	require.Len(t, toStudent, 2, "the family's message and the student's")
	i := slices.IndexFunc(toStudent, func(n coaching.Notice) bool { return n.Data[message.DataThread] == m.Thread })
	require.GreaterOrEqual(t, i, 0)
	r, err := s.Reply(ctx, student, c.ID, message.ReplyParams{NoticeID: toStudent[i].ID, Text: "Thanks"})
	require.NoError(t, err)
	assert.Equal(t, ct.Tutor.ID, r.To[0].ID)
	thread, err := s.Thread(ctx, student, c.ID, m.Thread)
	require.NoError(t, err)
	assert.Len(t, thread, 2)
	_, err = s.Send(ctx, student, c.ID, message.SendParams{To: message.ToStudent, Subject: "Hi", Text: "Hello"})
	assert.Equal(t, message.RuleStaffOnly, ct.RequireForbidden(t, err).Rule)
}

// Messages written at once on one case all land, each its own version.
func TestConcurrentMessages(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Send(ctx, ct.Tutor, c.ID, message.SendParams{To: message.ToStudent, Subject: fmt.Sprint("m", i), Text: "x"})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, noticesTo(t, env, c.ID, string(c.ParticipantID)), len(errs))
}
