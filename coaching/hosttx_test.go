package coaching_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/session"
)

// Every state-changing call has a twin that runs inside a transaction the
// host owns: all of them commit or roll back together, and rules fired
// inside see the transaction's own writes.
func TestHostOwnedTransaction(t *testing.T) {
	spec := coaching.VALOSpec()
	require.NoError(t, spec.AddRules(coaching.ValoAdmit, coaching.NewRule("reads_in_tx", func(ctx context.Context, tr *coaching.Transition) error {
		p, err := tr.Participant(ctx)
		if err != nil {
			return err
		}
		docs, err := tr.Documents(ctx, "plan")
		if err != nil {
			return err
		}
		if p.GivenNames == "" || len(docs) != 1 {
			return errors.New("the rule did not see the transaction's writes")
		}
		return nil
	})))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{m}, Start: monday})
	ctx := context.Background()
	eng := env.Engine
	d := coaching.DateOf(monday)

	everything := func(tx coaching.Tx) (coaching.CaseID, error) {
		c, err := eng.In(tx).Enrol(ctx, ct.Coach, coaching.EnrolParams{Model: coaching.ModelVALO, CaseID: "host-1",
			Participant: ct.Participant(), Team: []coaching.TeamMember{ct.TeamMember(ct.Coach, coaching.RoleCoach)}})
		if err != nil {
			return "", err
		}
		if _, err := saveDocument(ctx, eng.In(tx), ct.Coach, c.ID, coaching.DocumentChange{Kind: "plan", Data: json.RawMessage(`{"v":1}`)}); err != nil {
			return "", err
		}
		if _, err := eng.In(tx).Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()}); err != nil {
			return "", err
		}
		if _, err := attendanceOf(t, eng.In(tx)).Record(ctx, teacher, []attendance.MarkInput{lesson(c.ID, d, 1, attendance.Present)}); err != nil {
			return "", err
		}
		if _, err := addRecord(ctx, eng.In(tx), ct.Coach, c.ID, "note", map[string]string{"x": "y"}, 0); err != nil {
			return "", err
		}
		nurse := coaching.TeamMember{ActorID: "nurse-1", Role: coaching.RoleNurse, Name: "Terveydenhoitaja"}
		if _, err := changeTeam(ctx, eng.In(tx), ct.Coach, c.ID, coaching.TeamChange{Add: &nurse}); err != nil {
			return "", err
		}
		_, err = sessionsOf(t, eng.In(tx)).Record(ctx, ct.Coach, session.Session{ID: "s-1", Kind: session.Individual, Date: d,
			Hours: decimal.NewFromInt(1), Staff: []session.Staff{{ActorID: ct.Coach.ID, Role: coaching.RoleCoach}}, Cases: []coaching.CaseID{c.ID}})
		return c.ID, err
	}

	hostFailure := errors.New("the host's own write failed")
	err = env.Store.Update(ctx, func(tx coaching.Tx) error {
		if _, err := everything(tx); err != nil {
			return err
		}
		return hostFailure
	})
	require.ErrorIs(t, err, hostFailure)
	_, err = eng.Case(ctx, ct.Staff, "host-1")
	assert.ErrorIs(t, err, coaching.ErrNotFound, "rolled back with the host")
	sessions, err := sessionsOf(t, eng).List(ctx, ct.Staff, session.Query{})
	require.NoError(t, err)
	assert.Empty(t, sessions)

	var id coaching.CaseID
	require.NoError(t, env.Store.Update(ctx, func(tx coaching.Tx) error {
		var err error
		id, err = everything(tx)
		return err
	}))
	c := ct.RequireState(t, eng, id, coaching.ValoInduction)
	assert.Len(t, c.Members(coaching.RoleNurse), 1)
	trail := ct.RequireAuditTrail(t, eng, id)
	assert.Len(t, trail, 5, "opened, document, admit, record, team (attendance writes no audit entry without a flag)")
	marks, err := env.Attendance.Marks(ctx, ct.Staff, id, d, d)
	require.NoError(t, err)
	assert.Len(t, marks, 1)
	_, err = eng.In(nil).Fire(ctx, ct.Coach, id, coaching.ValoPause, nil)
	assert.Error(t, err)
}

// sessionsOf returns the sessions feature over eng.
func sessionsOf(t testing.TB, eng *coaching.Engine) *session.Service {
	t.Helper()
	s, err := session.New(eng)
	require.NoError(t, err)
	return s
}
