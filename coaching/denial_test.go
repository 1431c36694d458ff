package coaching_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/pathway"
)

// Every way the engine can refuse an actor — the screen, the policy, the
// event's roles, the model's openers, session staff — leaves exactly one
// access-log entry naming the rule, through a plain call and through a
// host's transaction alike.
func TestEveryDenialIsLogged(t *testing.T) {
	ctx := context.Background()
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	guardianActor := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	cases := []struct {
		name string
		rule string
		do   func(env *ct.Env, id coaching.CaseID) error
	}{
		{"a role the event does not allow", coaching.RuleEventRoles, func(env *ct.Env, id coaching.CaseID) error {
			_, err := env.Engine.Fire(ctx, teacher, id, coaching.ValoAdmit, nil)
			return err
		}},
		{"a role the event does not allow, in the host's transaction", coaching.RuleEventRoles, func(env *ct.Env, id coaching.CaseID) error {
			var ferr error
			require.NoError(t, env.Store.Update(ctx, func(tx coaching.Tx) error {
				_, ferr = env.Engine.In(tx).Fire(ctx, teacher, id, coaching.ValoAdmit, nil)
				return nil // the host commits on a denial, keeping its entry
			}))
			return ferr
		}},
		{"a role that may not open a case in the model", coaching.RuleModelOpeners, func(env *ct.Env, _ coaching.CaseID) error {
			_, err := env.Engine.Enrol(ctx, teacher, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: ct.Participant()})
			return err
		}},
		{"an importer who may not open cases", coaching.RuleModelOpeners, func(env *ct.Env, _ coaching.CaseID) error {
			return env.Engine.Read(ctx, teacher, func(s *coaching.Scope) error { return s.MayEnrol(coaching.ModelVALO, "") })
		}},
		{"a role that may not change the team", coaching.RuleModelOpeners, func(env *ct.Env, id coaching.CaseID) error {
			_, err := changeTeam(ctx, env.Engine, teacher, id, coaching.TeamChange{Add: &coaching.TeamMember{ActorID: "x", Role: coaching.RoleCoach, Name: "X"}})
			return err
		}},
		{"a guardian recording a session", session.RuleStaff, func(env *ct.Env, id coaching.CaseID) error {
			_, err := sessionsOf(t, env.Engine).Record(ctx, guardianActor, session.Session{Cases: []coaching.CaseID{id}})
			return err
		}},
		{"an actor without an id", coaching.RuleAuthenticated, func(env *ct.Env, id coaching.CaseID) error {
			_, err := addRecord(ctx, env.Engine, coaching.Actor{Roles: []coaching.Role{coaching.RoleCoach}}, id, "note", map[string]string{"a": "b"}, 0)
			return err
		}},
		{"a forged system actor", coaching.RuleReservedSystem, func(env *ct.Env, id coaching.CaseID) error {
			_, err := env.Engine.Fire(ctx, coaching.Actor{ID: "x", Roles: []coaching.Role{coaching.RoleSystem, coaching.RoleCoach}}, id, coaching.ValoAdmit, nil)
			return err
		}},
		{"a role that is not text", coaching.RuleActorIdentity, func(env *ct.Env, id coaching.CaseID) error {
			_, err := env.Engine.Case(ctx, coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach, "coach\x00"}}, id)
			return err
		}},
		{"an id that is not text", coaching.RuleActorIdentity, func(env *ct.Env, id coaching.CaseID) error {
			_, err := env.Engine.Case(ctx, coaching.Actor{ID: "coach-\xff\x00", Roles: []coaching.Role{coaching.RoleCoach}}, id)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := ct.New(t, nil)
			c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach), ct.TeamMember(teacher, coaching.RoleTeacher))
			before := accessLog(t, env.Store)
			fe := ct.RequireForbidden(t, tc.do(env, c.ID))
			assert.Equal(t, tc.rule, fe.Rule)
			after := accessLog(t, env.Store)
			require.Len(t, after, len(before)+1, "one access-log entry per denial")
			last := after[len(after)-1]
			assert.False(t, last.Allowed)
			assert.Equal(t, tc.rule, last.Rule)
			assert.Equal(t, ct.RequireState(t, env.Engine, c.ID, coaching.ValoRecruitment).Version, int64(1), "a denial changes nothing")
		})
	}
}

func accessLog(t *testing.T, s *memory.Store) []coaching.AccessEntry {
	t.Helper()
	var out []coaching.AccessEntry
	require.NoError(t, s.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		out, err = tx.AccessLog(context.Background(), coaching.AccessQuery{})
		return err
	}))
	return out
}

// No string makes an actor the engine's own: not the role, not the id,
// not an actor decoded from JSON.
func TestTheEngineActorCannotBeBuilt(t *testing.T) {
	var decoded coaching.Actor
	require.NoError(t, json.Unmarshal([]byte(`{"ID":"system","Roles":["system"],"engine":true}`), &decoded))
	for _, a := range []coaching.Actor{
		{ID: "system", Roles: []coaching.Role{coaching.RoleSystem}},
		{ID: " System ", Roles: []coaching.Role{coaching.RoleHeadOfStudies}},
		{ID: "someone", Roles: []coaching.Role{"SYSTEM"}},
		decoded,
	} {
		assert.False(t, a.IsEngine())
		d := coaching.DefaultPolicy().Decide(context.Background(), &coaching.Request{Actor: a, Operation: coaching.OpReadCase})
		assert.False(t, d.Allowed, "the default policy, asked directly, refuses a forged system actor")
		assert.Equal(t, coaching.RuleReservedSystem, d.Rule)
	}
}

// Access-log text is made safe to store and show.
func TestSafeText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"tutor-1", "tutor-1"},
		{"a\xffb", "a\uFFFDb"},
		{"a\x00b\nc", "a\uFFFDb\uFFFDc"},
		{"ääääää", "ääää…"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, coaching.SafeText(tc.in, 11), "%q", tc.in)
	}
	e := coaching.AccessEntry{ActorID: "x\xff", Purpose: string(make([]byte, 5000)), Roles: []coaching.Role{"r\x00"}}.Sanitized()
	assert.Equal(t, "x\uFFFD", e.ActorID)
	assert.LessOrEqual(t, len(e.Purpose), coaching.MaxAccessTextBytes)
	assert.Equal(t, coaching.Role("r\uFFFD"), e.Roles[0])
}

// A typed record is checked by its own rules on every write path: as a
// value, as JSON, and at enrolment.
func TestTypedRecordsAreValidatedOnEveryPath(t *testing.T) {
	ctx := context.Background()
	spec := coaching.VALOSpec()
	require.NoError(t, pathway.Attach(&spec, nil, coaching.ValoClose))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{m}})
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach))

	late := pathway.OutboundHandover{HandoverDate: coaching.NewDate(2026, 8, 1), Service: pathway.ServiceEducation, Receiver: "Omnia",
		ContactPerson: pathway.ContactPerson{Name: "Opo", Email: "opo@example.fi"}, ConsentDate: coaching.NewDate(2026, 8, 5),
		SupportNeeds: []pathway.SupportNeed{{Area: "reading"}}}
	raw, err := json.Marshal(late)
	require.NoError(t, err)
	inbound := pathway.InboundHandover{ConsentDate: coaching.NewDate(2026, 8, 9), HandoverDate: coaching.NewDate(2026, 8, 1),
		SendingSchool: "Kallion yläkoulu", ContactPerson: pathway.ContactPerson{Name: "Opo", Email: "opo@example.fi"}}

	writes := []struct {
		name string
		do   func() error
	}{
		{"value", func() error {
			_, err := addRecord(ctx, env.Engine, ct.Coach, c.ID, pathway.RecordOutboundHandover, late, 0)
			return err
		}},
		{"pointer", func() error {
			_, err := addRecord(ctx, env.Engine, ct.Coach, c.ID, pathway.RecordOutboundHandover, &late, 0)
			return err
		}},
		{"JSON under the declared name", func() error {
			_, err := addRecord(ctx, env.Engine, ct.Coach, c.ID, pathway.RecordOutboundHandover, json.RawMessage(raw), 0)
			return err
		}},
		{"a value under an undeclared name", func() error {
			_, err := addRecord(ctx, env.Engine, ct.Coach, c.ID, "handover_copy", late, 0)
			return err
		}},
		{"at enrolment", func() error {
			_, err := env.Engine.Enrol(ctx, ct.Coach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: ct.Participant(),
				Records: []coaching.RecordInput{{Name: pathway.RecordInboundHandover, Payload: inbound}}})
			return err
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			ve := ct.RequireInvalid(t, w.do())
			assert.Contains(t, ve.Error(), "consent must be given on or before the handover")
			assert.Equal(t, int64(1), ct.RequireState(t, env.Engine, c.ID, coaching.ValoRecruitment).Version, "nothing saved")
		})
	}
	t.Run("the wrong type under a declared name", func(t *testing.T) {
		_, err := addRecord(ctx, env.Engine, ct.Coach, c.ID, pathway.RecordOutboundHandover, inbound, 0)
		ct.RequireInvalid(t, err, "payload")
	})
	t.Run("an event's record is not written at enrolment", func(t *testing.T) {
		_, err := env.Engine.Enrol(ctx, ct.Coach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: ct.Participant(),
			Records: []coaching.RecordInput{{Name: pathway.RecordDestination, Payload: pathway.Destination{Kind: pathway.WorkOpen, Date: coaching.NewDate(2026, 8, 1)}}}})
		ve := ct.RequireInvalid(t, err, "records[0].name")
		assert.Contains(t, ve.Error(), "written by the event close")
	})
	t.Run("a valid record at enrolment is named in the opening entry", func(t *testing.T) {
		ok := inbound
		ok.ConsentDate = coaching.NewDate(2026, 7, 30)
		opened, err := env.Engine.Enrol(ctx, ct.Coach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: ct.Participant(),
			Team: []coaching.TeamMember{ct.TeamMember(ct.Coach, coaching.RoleCoach)}, Reason: "handover from basic education",
			Records: []coaching.RecordInput{{Name: pathway.RecordInboundHandover, Payload: ok}}})
		require.NoError(t, err)
		assert.Empty(t, opened.Records, "a command returns the case row: its records are beside it")
		opened, err = env.Engine.Case(ctx, ct.Coach, opened.ID)
		require.NoError(t, err)
		rec, found := opened.Record(pathway.RecordInboundHandover)
		require.True(t, found)
		assert.Equal(t, ct.Coach.ID, rec.By)
		trail := ct.RequireAuditTrail(t, env.Engine, opened.ID)
		assert.JSONEq(t, `{"records":["inbound_handover"]}`, string(trail[0].Payload))
		assert.Equal(t, "handover from basic education", trail[0].Reason)
	})
	t.Run("a valid handover is stored", func(t *testing.T) {
		ok := late
		ok.ConsentDate = coaching.NewDate(2026, 7, 30)
		_, err := addRecord(ctx, env.Engine, ct.Coach, c.ID, pathway.RecordOutboundHandover, ok, 0)
		require.NoError(t, err)
		got, err := env.Engine.Case(ctx, ct.Coach, c.ID)
		require.NoError(t, err)
		_, found := got.Record(pathway.RecordOutboundHandover)
		assert.True(t, found)
	})
}

// An individual meeting with a curator is welfare information: the case's
// schedule shows it to the curator, the welfare roles and the student, not
// to the teacher on the team or a guardian; the organisation's list keeps
// its hours but not whom it concerned.
func TestWelfareSessionsFollowTheWelfareRule(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	curator := coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}}
	nurse := coaching.Actor{ID: "nurse-1", Roles: []coaching.Role{coaching.RoleNurse}}
	p := ct.Minor(coaching.NewDate(2028, 1, 1), func(p *coaching.Participant) { p.ID = "p-1" })
	c := env.Enrol(t, coaching.ModelPilot, p, ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(teacher, coaching.RoleTeacher),
		ct.TeamMember(curator, coaching.RoleCurator), ct.TeamMember(nurse, coaching.RoleNurse))
	d := coaching.DateOf(env.Clock.Now())
	_, err := sessionsOf(t, env.Engine).Record(ctx, curator, session.Session{Kind: session.Individual, Date: d, Hours: decimal.NewFromInt(1),
		Staff: []session.Staff{{ActorID: curator.ID, Role: coaching.RoleCurator}}, Cases: []coaching.CaseID{c.ID}})
	require.NoError(t, err)
	_, err = sessionsOf(t, env.Engine).Record(ctx, ct.Tutor, session.Session{Kind: session.Individual, Date: d, Hours: decimal.NewFromInt(1),
		Staff: []session.Staff{{ActorID: ct.Tutor.ID, Role: coaching.RolePersonalTutor}}, Cases: []coaching.CaseID{c.ID},
		Elements: []session.ApproachElement{session.ElementPresence}})
	require.NoError(t, err)

	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: p.ID}}}
	guardianActor := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	for _, tc := range []struct {
		who  coaching.Actor
		want int
	}{{curator, 2}, {nurse, 2}, {student, 2}, {teacher, 1}, {ct.Tutor, 1}, {guardianActor, 1}} {
		list, err := sessionsOf(t, env.Engine).List(ctx, tc.who, session.Query{CaseID: c.ID})
		require.NoError(t, err, tc.who.ID)
		assert.Len(t, list, tc.want, tc.who.ID)
	}
	all, err := sessionsOf(t, env.Engine).List(ctx, ct.Staff, session.Query{})
	require.NoError(t, err)
	require.Len(t, all, 2, "the organisation's list has every session")
	for _, s := range all {
		if s.Staff[0].Role == coaching.RoleCurator {
			assert.Empty(t, s.Cases, "but not whom the curator met")
		} else {
			assert.Equal(t, []coaching.CaseID{c.ID}, s.Cases)
		}
	}
}
