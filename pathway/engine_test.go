package pathway_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/pathway"
)

func allMet() coaching.EntryAssessment {
	m := coaching.CriterionMet
	return coaching.EntryAssessment{Motivation: m, WorkingLifeSkills: m, AttendanceCommitment: m, WorkCommitment: m, GoalCommitment: m}
}

// A closing event records the destination; the follow-up checkpoints come
// due as notices through the engine; the status found is recorded.
func TestClosingRecordsDestinationAndFollowUps(t *testing.T) {
	spec := coaching.VALOSpec()
	require.NoError(t, pathway.Attach(&spec, nil, coaching.ValoClose, coaching.ValoDiscontinue, coaching.ValoRedirect))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{m}, Engine: coaching.Options{TimerHandlers: pathway.TimerHandlers(nil)}})
	eng := env.Engine
	ctx := context.Background()

	coach := ct.TeamMember(ct.Coach, coaching.RoleCoach)
	coach.Language = coaching.English
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), coach)
	c = env.Drive(t, c.ID, ct.FireWith(coaching.ValoAdmit, allMet()))

	// Without a destination the exit is refused.
	_, err = eng.Fire(ctx, ct.Coach, c.ID, coaching.ValoDiscontinue, &coaching.FireOptions{Reason: "moved"})
	ct.RequireInvalid(t, err, "payload")
	today := coaching.DateOf(env.Clock.Now())
	c = env.Drive(t, c.ID, ct.Step{Event: coaching.ValoDiscontinue, Options: &coaching.FireOptions{Reason: "moved",
		Payload: pathway.Destination{Kind: pathway.WorkSubsidised, Date: today}}})
	var d pathway.Destination
	require.NoError(t, c.DecodeRecord(pathway.RecordDestination, &d))
	assert.Equal(t, pathway.WorkSubsidised, d.Kind)

	env.Clock.AdvanceDays(27)
	assert.Equal(t, 0, env.Tick(t).Handled)
	env.Clock.AdvanceDays(1)
	rep := env.Tick(t)
	assert.Equal(t, 1, rep.Handled)
	n := ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: pathway.NoticeKindFollowUp, RecipientID: ct.Coach.ID})
	assert.Contains(t, n.Subject, "upon leaving (28 days)")

	s, err := pathway.NewSchedule(coaching.DateOf(c.ClosedAt))
	require.NoError(t, err)
	res := pathway.Evaluate(s, []pathway.Observation{{Date: today.AddDays(20), Status: pathway.WorkSubsidised}})
	_, err = pathway.RecordCheckpoint(ctx, eng, ct.Coach, c.ID, res[0])
	require.NoError(t, err)
	bad := res[1]
	bad.Found, bad.Status, bad.ObservedOn = true, pathway.WorkOpen, today
	_, err = pathway.RecordCheckpoint(ctx, eng, ct.Coach, c.ID, bad)
	ct.RequireInvalid(t, err, "payload.observed_on")
	// The same result given to the engine directly, as JSON, is refused by
	// the same rule: the checkpoint records are declared on the model.
	raw, err := json.Marshal(bad)
	require.NoError(t, err)
	record := func(payload json.RawMessage) error {
		_, err := eng.ChangeCase(ctx, ct.Coach, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
			return ch.Record(pathway.RecordSixMonths, payload, "")
		})
		return err
	}
	ct.RequireInvalid(t, record(raw), "payload.observed_on")
	ct.RequireInvalid(t, record(json.RawMessage(`{"found":true,"status":"bogus"}`)), "payload.status")

	// Six months on, the second checkpoint comes due.
	env.Clock.Set(s.Checkpoints[1].Due.At(10, 0))
	assert.Equal(t, 1, env.Tick(t).Handled)
	ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: pathway.NoticeKindFollowUp, SubjectContains: "six months"})
	trail := ct.RequireAuditTrail(t, eng, c.ID)
	var events []string
	for _, e := range trail {
		events = append(events, e.Event)
	}
	assert.Contains(t, events, "follow_up_due:upon_leaving")
	assert.Contains(t, events, "record:"+pathway.RecordUponLeaving)
	assert.Contains(t, events, "follow_up_due:six_months")
}
