package message_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/contactchange"
	"github.com/valmennus/valmennus/coaching/message"
)

// A guardian's reply to a decision notice that names its decider reaches
// the decider on the team (the study counsellor who declined a contact
// change), not the personal tutor; a decider not on the team (the head of
// studies) leaves the reply to the responsible staff.
func TestReplyToADecisionReachesTheDecider(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, &ct.Options{Start: monday, Engine: coaching.Options{Documents: append(message.Documents(), contactchange.Documents()...)}})
	msgs, err := message.New(env.Engine, nil)
	require.NoError(t, err)
	changes, err := contactchange.New(env.Engine, nil)
	require.NoError(t, err)
	counsellor := coaching.Actor{ID: "counsellor-1", Roles: []coaching.Role{coaching.RoleStudyCounsellor}}
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	c := env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1)),
		ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(counsellor, coaching.RoleStudyCounsellor))

	decided := func(decider coaching.Actor) coaching.Notice {
		t.Helper()
		pro, err := changes.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "uusi@example.fi"})
		require.NoError(t, err)
		_, err = changes.Decide(ctx, decider, c.ID, pro.ID, contactchange.Decision{Reason: "ei käy", Version: pro.Version})
		require.NoError(t, err)
		for _, n := range noticesTo(t, env, c.ID, guardian.ID) {
			if n.Kind == contactchange.NoticeKindDecided && n.Data[contactchange.DataProposal] == pro.ID {
				return n
			}
		}
		t.Fatal("no decision notice")
		return coaching.Notice{}
	}
	r, err := msgs.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: decided(counsellor).ID, Text: "Miksi?"})
	require.NoError(t, err)
	require.Len(t, r.To, 1)
	assert.Equal(t, counsellor.ID, r.To[0].ID, "the decider is answered")

	r, err = msgs.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: decided(head).ID, Text: "Miksi?"})
	require.NoError(t, err)
	require.Len(t, r.To, 1)
	assert.Equal(t, ct.Tutor.ID, r.To[0].ID, "a decider not on the team: the personal tutor")
}
