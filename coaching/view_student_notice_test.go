package coaching_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// A student sees, through the generic notice read, the notices addressed
// to them under the case's participant id in the student role (as
// message and contactchange address the student), besides those to their
// actor id — and not a notice to the participant id in another role.
func TestStudentReadsNoticesToTheirParticipantID(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant())
	student := coaching.Actor{ID: "student-x", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	_, err := env.Engine.ChangeCase(ctx, ct.Coach, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
		for _, r := range []coaching.Recipient{
			{ID: string(c.ParticipantID), Role: coaching.RoleStudent},
			{ID: student.ID, Role: coaching.RoleStudent},
			{ID: string(c.ParticipantID), Role: coaching.RoleGuardian},
			{ID: ct.Tutor.ID, Role: coaching.RolePersonalTutor},
		} {
			ch.Notify(coaching.Notice{ID: "n:" + r.ID + ":" + string(r.Role), CaseID: c.ID, Kind: "host", Recipient: r,
				Subject: "s", Body: "b", Status: coaching.NoticePending, CreatedAt: ch.Now(), NotBefore: ch.Now()})
		}
		ch.Audit("host", "host_notices", "", nil)
		return nil
	})
	require.NoError(t, err)
	notices, err := readNotices(ctx, env.Engine, student, c.ID)
	require.NoError(t, err)
	var ids []string
	for _, n := range notices {
		ids = append(ids, n.ID)
	}
	assert.ElementsMatch(t, []string{"n:" + string(c.ParticipantID) + ":student", "n:student-x:student"}, ids)
}
