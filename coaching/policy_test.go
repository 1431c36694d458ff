package coaching_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/consent"
	"github.com/valmennus/valmennus/coaching/erasure"
	"github.com/valmennus/valmennus/coaching/referral"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// The access matrix: every role × relation × operation of issue 7, run
// through the real engine on the memory store with the default policy.

const schoolA, schoolB coaching.OrganisationID = "school-a", "school-b"

// policyToday is a Monday; the adult wards turned 18 last week.
var policyToday = time.Date(2026, 9, 14, 10, 0, 0, 0, coaching.Helsinki)

var (
	polTutor   = coaching.Actor{ID: "tutor-a", Organisation: schoolA, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	polTeacher = coaching.Actor{ID: "teacher-a", Organisation: schoolA, Roles: []coaching.Role{coaching.RoleTeacher}}
	polCurator = coaching.Actor{ID: "curator-a", Organisation: schoolA, Roles: []coaching.Role{coaching.RoleCurator}, Purpose: "welfare group 14.9."}
	polHead    = coaching.Actor{ID: "head-a", Organisation: schoolA, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
)

// policyModel lets every role fire its one event, so that a fire is
// allowed or denied by the policy alone, not by the model's event roles.
func policyModel(t *testing.T) *coaching.Model {
	t.Helper()
	all := []coaching.Role{coaching.RolePersonalTutor, coaching.RoleTeacher, coaching.RoleCurator, coaching.RoleCoach,
		coaching.RoleHeadOfStudies, coaching.RoleStudent, coaching.RoleGuardian, coaching.RoleFunder}
	m, err := coaching.BuildModel(coaching.ModelSpec{
		Name: "policy_matrix", Initial: "open", Openers: []coaching.Role{coaching.RoleHeadOfStudies},
		States: []coaching.StateSpec{{Name: "open", Kind: coaching.Active}, {Name: "done", Kind: coaching.Terminal, Exit: coaching.ExitCompleted}},
		Events: []coaching.EventSpec{{Name: "finish", From: []string{"open"}, To: "done", Roles: all}},
	})
	require.NoError(t, err)
	return m
}

type policyEnv struct {
	eng     *coaching.Engine
	key     *coaching.SystemKey
	att     *attendance.Service
	store   *memory.Store
	plans   *hoks.Service
	refs    *referral.Service
	consent *consent.Service
	erasure *erasure.Service
	cases   map[string]coaching.CaseID // by ward: minor, adult, consenting
	pids    map[string]coaching.ParticipantID
	refIDs  map[string]string // referral id by ward
}

func newPolicyEnv(t *testing.T) *policyEnv {
	t.Helper()
	ctx := context.Background()
	store := memory.New()
	now := policyToday
	key := coaching.NewSystemKey()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{policyModel(t)},
		Clock: coaching.ClockFunc(func() time.Time { return now }), Documents: append(referral.Documents(), hoks.Documents()...), SystemKey: key})
	require.NoError(t, err)
	plans, err := hoks.NewService(eng)
	require.NoError(t, err)
	refs, err := referral.New(eng)
	require.NoError(t, err)
	consents, err := consent.New(eng)
	require.NoError(t, err)
	erasures, err := erasure.New(eng)
	require.NoError(t, err)
	raw, err := os.ReadFile("../hoks/testdata/valid_plan.json")
	require.NoError(t, err)
	env := &policyEnv{eng: eng, key: key, att: attendanceOf(t, eng), store: store, plans: plans, refs: refs, consent: consents,
		erasure: erasures, cases: map[string]coaching.CaseID{}, pids: map[string]coaching.ParticipantID{}, refIDs: map[string]string{}}
	wards := []struct {
		name    string
		born    coaching.Date
		consent bool
	}{
		{"minor", coaching.NewDate(2010, 5, 2), false},
		{"adult", coaching.NewDate(2008, 9, 7), false},     // 18 since last Monday
		{"consenting", coaching.NewDate(2008, 9, 8), true}, // 18 since last Tuesday, consented
	}
	for _, w := range wards {
		p := ct.Participant(func(p *coaching.Participant) {
			p.ID = coaching.ParticipantID("p-" + w.name)
			p.Organisation = schoolA
			p.BirthDate = w.born
			p.Guardians = []coaching.Guardian{{ID: "guardian-of-" + w.name, Name: "Huoltaja", Contact: coaching.Contact{Email: "huoltaja@example.fi"}}}
			if w.consent {
				p.GuardianConsent = coaching.ConsentRecord{GivenOn: coaching.NewDate(2026, 9, 9)}
			}
		})
		team := []coaching.TeamMember{
			{ActorID: polTutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor"},
			{ActorID: polTeacher.ID, Role: coaching.RoleTeacher, Name: "Teacher"},
			{ActorID: polCurator.ID, Role: coaching.RoleCurator, Name: "Curator"},
		}
		c, err := eng.Enrol(ctx, polHead, coaching.EnrolParams{Model: "policy_matrix", Participant: p, Team: team})
		require.NoError(t, err)
		env.cases[w.name], env.pids[w.name] = c.ID, p.ID
		plan, err := hoks.Decode(raw, nil)
		require.NoError(t, err)
		plan.FirstApproved = coaching.Date{}
		v, err := plans.SaveDraft(ctx, polTutor, c.ID, 0, plan)
		require.NoError(t, err)
		_, err = plans.Approve(ctx, polTutor, c.ID, v.Number, coaching.DateOf(now))
		require.NoError(t, err)
		_, err = env.att.Record(ctx, polTeacher, []attendance.MarkInput{{CaseID: c.ID, Date: coaching.DateOf(now), Lesson: "1",
			Minutes: 45, Status: attendance.Present}})
		require.NoError(t, err)
		r, err := refs.Propose(ctx, polTutor, c.ID, referral.Input{Service: referral.ServiceCurator, Reason: "sleeps badly, worried"})
		require.NoError(t, err)
		env.refIDs[w.name] = r.ID
	}
	return env
}

// policyOp is one operation of the matrix, done by actor on a ward's case.
type policyOp struct {
	name string
	do   func(ctx context.Context, env *policyEnv, a coaching.Actor, ward string) error
}

var errReasonWithheld = errors.New("the referral was shown without its reason")

var policyOps = []policyOp{
	{"read case", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		_, err := env.eng.Case(ctx, a, env.cases[w])
		return err
	}},
	{"fire event", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		_, err := env.eng.Fire(ctx, a, env.cases[w], "finish", nil)
		return err
	}},
	{"read attendance", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		ms, err := env.att.Marks(ctx, a, env.cases[w], coaching.Date{}, coaching.Date{})
		if err == nil && len(ms) != 1 {
			return errors.New("attendance read but not returned")
		}
		return err
	}},
	{"read HOKS", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		_, err := env.plans.Current(ctx, a, env.cases[w])
		return err
	}},
	{"read HOKS summary", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		s, err := env.plans.Summary(ctx, a, env.cases[w])
		if err == nil && s.Status != hoks.StatusApproved {
			return errors.New("summary without the status")
		}
		return err
	}},
	{"read referral reason", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		r, err := env.refs.Get(ctx, a, env.cases[w], env.refIDs[w])
		if err == nil && r.Reason == "" {
			return errReasonWithheld
		}
		return err
	}},
	{"read identity code", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		_, err := readIdentityCode(ctx, env.eng, a, env.pids[w])
		return err
	}},
	{"read figures", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		valo := outcomes.NewVALO(nil)
		q := coaching.CaseQuery{}
		if !a.HasRole(coaching.RoleFunder) {
			q.Organisation = schoolA // the figures of the ward's school
		}
		n, err := outcomes.FromEngine(ctx, env.eng, a, q, valo)
		if err == nil && n != 3 {
			return errors.New("figures over the wrong cases")
		}
		return err
	}},
	{"erase", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		_, err := env.erasure.Erase(ctx, a, env.pids[w], pathway.ErasureOptions())
		return err
	}},
	{"read audit trail", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		trail, err := readAuditTrail(ctx, env.eng, a, env.cases[w])
		if err != nil {
			return err
		}
		for _, e := range trail {
			if strings.Contains(e.Event, "referral") || strings.Contains(e.Reason, "referral") || strings.Contains(string(e.Payload), "referral") {
				return errReferralInTrail
			}
		}
		return nil
	}},
	{"record consent", func(ctx context.Context, env *policyEnv, a coaching.Actor, w string) error {
		_, err := env.consent.Record(ctx, a, env.pids[w], consent.Change{Reason: "written consent form"})
		var ve *coaching.ValidationError
		if w == "minor" && errors.As(err, &ve) && len(ve.Problems) == 1 && ve.Problems[0].Field == "on" {
			// The policy allowed it; a minor's consent is then refused as
			// input (only the adult student can consent).
			return nil
		}
		return err
	}},
}

// errReferralInTrail: the audit trail shows the referral's entries.
var errReferralInTrail = errors.New("the audit trail shows the referral")

// forgedSystem is what a caller gets by sending "X-Actor-Roles: system"
// to a host that builds actors from headers: it must get nothing, not even
// in its own organisation's neighbour.
var forgedSystem = coaching.Actor{ID: "intruder", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleSystem}}

func repeat(rule string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = rule
	}
	return out
}

func student(ward string) coaching.Actor {
	return coaching.Actor{ID: "student-" + ward, Organisation: schoolA, Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: coaching.ParticipantID("p-" + ward)}}}
}

func guardian(ward string) coaching.Actor {
	// The guardian is recognised by the id recorded on the participant.
	return coaching.Actor{ID: "guardian-of-" + ward, Organisation: schoolA, Roles: []coaching.Role{coaching.RoleGuardian}}
}

// A = allowed; W = the referral is shown without its reason; R = the
// audit trail is read with the referral's entries in it; N = not found:
// a participant-level operation (identity code, erasure, consent) names
// a participant id, which is scoped per organisation, so another
// organisation's participant is answered exactly as one that does not
// exist — nothing read, changed or logged; anything else is the rule that
// must deny.
const (
	A = "allow"
	W = "withheld"
	R = "referral_in_trail"
	N = "not_found"
)

func TestAccessMatrix(t *testing.T) {
	// Each row: who, whose case, and per operation (in policyOps order:
	// case, fire, attendance, HOKS, HOKS summary, referral reason,
	// identity code, figures, erase, audit trail, record consent) the
	// expected outcome.
	asserted := guardian("consenting")
	asserted.ID = "guardian-from-sso" // a guardian link the sign-on vouches for
	asserted.Relations = []coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: "p-consenting"}}
	rows := []struct {
		who   string
		actor coaching.Actor
		ward  string
		want  []string
	}{
		{"guardian, ward under 18", guardian("minor"), "minor",
			[]string{coaching.RuleGuardianScope, coaching.RuleGuardianScope, A, coaching.RuleGuardianScope, A, coaching.RuleGuardianScope, coaching.RuleIdentityCode, coaching.RuleFigures, coaching.RuleErasure, coaching.RuleGuardianScope, coaching.RuleGuardianScope}},
		{"guardian, ward 18 without consent", guardian("adult"), "adult",
			[]string{coaching.RuleGuardianScope, coaching.RuleGuardianScope, coaching.RuleGuardianAge, coaching.RuleGuardianScope, coaching.RuleGuardianAge, coaching.RuleGuardianScope, coaching.RuleIdentityCode, coaching.RuleFigures, coaching.RuleErasure, coaching.RuleGuardianScope, coaching.RuleGuardianScope}},
		{"guardian, ward 18 with consent", asserted, "consenting",
			[]string{coaching.RuleGuardianScope, coaching.RuleGuardianScope, A, coaching.RuleGuardianScope, A, coaching.RuleGuardianScope, coaching.RuleIdentityCode, coaching.RuleFigures, coaching.RuleErasure, coaching.RuleGuardianScope, coaching.RuleGuardianScope}},
		{"guardian of another student", guardian("minor"), "adult",
			[]string{coaching.RuleGuardianRelation, coaching.RuleGuardianRelation, coaching.RuleGuardianRelation, coaching.RuleGuardianRelation, coaching.RuleGuardianRelation, coaching.RuleGuardianRelation, coaching.RuleIdentityCode, coaching.RuleFigures, coaching.RuleErasure, coaching.RuleGuardianRelation, coaching.RuleGuardianRelation}},
		{"student, own case", student("minor"), "minor",
			[]string{A, A, A, A, A, W, A, coaching.RuleFigures, coaching.RuleErasure, R, A}},
		{"student, another student", student("minor"), "adult",
			[]string{coaching.RuleStudentOther, coaching.RuleStudentOther, coaching.RuleStudentOther, coaching.RuleStudentOther, coaching.RuleStudentOther, coaching.RuleStudentOther, coaching.RuleIdentityCode, coaching.RuleFigures, coaching.RuleErasure, coaching.RuleStudentOther, coaching.RuleStudentOther}},
		{"head of studies, other organisation", coaching.Actor{ID: "head-b", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}, "minor",
			[]string{coaching.RuleOrganisation, coaching.RuleOrganisation, coaching.RuleOrganisation, coaching.RuleOrganisation, coaching.RuleOrganisation, coaching.RuleOrganisation, N, coaching.RuleOrganisation, N, coaching.RuleOrganisation, N}},
		{"welfare role on the case", polCurator, "minor",
			[]string{A, A, A, A, A, A, coaching.RuleIdentityCode, coaching.RuleFigures, coaching.RuleErasure, R, A}},
		{"welfare role not on the case", coaching.Actor{ID: "curator-other", Organisation: schoolA, Roles: []coaching.Role{coaching.RoleCurator}}, "minor",
			[]string{coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleIdentityCode, coaching.RuleFigures, coaching.RuleErasure, coaching.RuleSupportTeam, coaching.RuleSupportTeam}},
		{"teacher on the case", polTeacher, "minor",
			[]string{A, A, A, A, A, coaching.RuleNeedToKnow, coaching.RuleIdentityCode, coaching.RuleFigures, coaching.RuleErasure, A, A}},
		{"teacher not on the case", coaching.Actor{ID: "teacher-other", Organisation: schoolA, Roles: []coaching.Role{coaching.RoleTeacher}}, "minor",
			[]string{coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleSupportTeam, coaching.RuleIdentityCode, coaching.RuleFigures, coaching.RuleErasure, coaching.RuleSupportTeam, coaching.RuleSupportTeam}},
		{"head of studies", polHead, "minor",
			[]string{A, A, A, A, A, coaching.RuleNeedToKnow, A, A, A, A, A}},
		{"host-built actor claiming the system role", forgedSystem, "minor", repeat(coaching.RuleReservedSystem, len(policyOps))},
		{"host-built actor with the system's id", coaching.Actor{ID: "system", Organisation: schoolA, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}, "minor",
			repeat(coaching.RuleReservedSystem, len(policyOps))},
		{"actor id with invalid UTF-8", coaching.Actor{ID: "head-a\xff\x00", Organisation: schoolA, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}, "minor",
			repeat(coaching.RuleActorIdentity, len(policyOps))},
		{"funder", coaching.Actor{ID: "funder-1", Roles: []coaching.Role{coaching.RoleFunder}}, "minor",
			[]string{coaching.RuleFunderAggregate, coaching.RuleFunderAggregate, coaching.RuleFunderAggregate, coaching.RuleFunderAggregate, coaching.RuleFunderAggregate, coaching.RuleFunderAggregate, N, A, N, coaching.RuleFunderAggregate, N}},
	}
	ctx := context.Background()
	for _, row := range rows {
		require.Len(t, row.want, len(policyOps), row.who)
		for i, op := range policyOps {
			t.Run(row.who+"/"+op.name, func(t *testing.T) {
				env := newPolicyEnv(t)
				before := env.snapshot(t, row.ward)
				err := op.do(ctx, env, row.actor, row.ward)
				want := row.want[i]
				if want == A {
					require.NoError(t, err)
					return
				}
				if want == W {
					require.ErrorIs(t, err, errReasonWithheld)
					return
				}
				if want == R {
					require.ErrorIs(t, err, errReferralInTrail)
					return
				}
				if want == N {
					var nf *coaching.NotFoundError
					require.ErrorAs(t, err, &nf)
					assert.Equal(t, "participant", nf.Kind)
					after := env.snapshot(t, row.ward)
					assert.Equal(t, before, after, "an id another organisation has is not found: nothing changes, nothing is logged")
					return
				}
				if errors.Is(err, errReferralInTrail) {
					t.Fatalf("the audit trail shows the referral's entries to %s; want %s", row.who, want)
				}
				if errors.Is(err, errReasonWithheld) {
					t.Fatalf("the referral was shown (reason withheld); want a denial by %s", want)
				}
				fe := ct.RequireForbidden(t, err)
				assert.Equal(t, want, fe.Rule, "the denying rule")
				assert.Contains(t, fe.Error(), want)
				after := env.snapshot(t, row.ward)
				assert.Equal(t, before.version, after.version, "a denial changes nothing")
				assert.Equal(t, before.audit, after.audit, "a denial leaves no audit entry")
				assert.Equal(t, before.notices, after.notices, "a denial sends nothing")
				require.Len(t, after.access, len(before.access)+1, "a denial is one access-log entry")
				last := after.access[len(after.access)-1]
				assert.False(t, last.Allowed)
				assert.Equal(t, coaching.SafeText(row.actor.ID, coaching.MaxAccessTextBytes), last.ActorID)
				assert.True(t, utf8.ValidString(last.ActorID), "the log keeps text")
				assert.Equal(t, want, last.Rule)
			})
		}
	}
}

type policySnapshot struct {
	version, audit int64
	notices        int
	access         []coaching.AccessEntry
}

func (env *policyEnv) snapshot(t *testing.T, ward string) policySnapshot {
	t.Helper()
	ctx := context.Background()
	var s policySnapshot
	require.NoError(t, env.store.View(ctx, func(tx coaching.ReadTx) error {
		c, err := tx.Case(ctx, env.cases[ward])
		if err != nil {
			return err
		}
		trail, err := tx.AuditTrail(ctx, c.ID, 0)
		if err != nil {
			return err
		}
		s.version, s.audit = c.Version, int64(len(trail))
		s.access, err = tx.AccessLog(ctx, coaching.AccessQuery{})
		return err
	}))
	ns, err := env.store.Notices(ctx, coaching.NoticeQuery{})
	require.NoError(t, err)
	s.notices = len(ns)
	return s
}

// Welfare and identity-code reads are logged when allowed too, with who,
// when and why.
func TestAccessLogRecordsSensitiveReads(t *testing.T) {
	ctx := context.Background()
	env := newPolicyEnv(t)
	r, err := env.refs.Get(ctx, polCurator, env.cases["minor"], env.refIDs["minor"])
	require.NoError(t, err)
	assert.Equal(t, "sleeps badly, worried", r.Reason)
	head := polHead
	head.Purpose = "KOSKI correction"
	code, err := readIdentityCode(ctx, env.eng, head, env.pids["minor"])
	require.NoError(t, err)
	assert.True(t, code.IsZero(), "the test participant has no code; the read is logged all the same")

	entries, err := ct.ReadAccessLog(ctx, env.eng, polHead, coaching.AccessQuery{})
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, coaching.OpReadWelfare, entries[0].Operation)
	assert.Equal(t, "curator-a", entries[0].ActorID)
	assert.Equal(t, "welfare group 14.9.", entries[0].Purpose)
	assert.Equal(t, "referral "+env.refIDs["minor"], entries[0].Subject)
	assert.Equal(t, policyToday, entries[0].At)
	assert.Equal(t, coaching.OpReadIdentityCode, entries[1].Operation)
	assert.Equal(t, "KOSKI correction", entries[1].Purpose)
	assert.True(t, entries[1].Allowed)

	_, err = ct.ReadAccessLog(ctx, env.eng, polCurator, coaching.AccessQuery{})
	assert.Equal(t, coaching.RuleAccessLog, ct.RequireForbidden(t, err).Rule)
	other := coaching.Actor{ID: "head-b", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	entries, err = ct.ReadAccessLog(ctx, env.eng, other, coaching.AccessQuery{})
	require.NoError(t, err)
	assert.Empty(t, entries, "another organisation's head sees only their own organisation's log")
}

// A guardian's rights end on the ward's 18th birthday (Helsinki civil
// date) and come back with consent, until it is withdrawn.
func TestGuardianAccessFollowsAgeAndConsent(t *testing.T) {
	ctx := context.Background()
	env := newPolicyEnv(t)
	g := guardian("consenting")
	_, err := env.att.Marks(ctx, g, env.cases["consenting"], coaching.Date{}, coaching.Date{})
	require.NoError(t, err, "consent given")
	require.NoError(t, env.store.Update(ctx, func(tx coaching.Tx) error {
		p, err := tx.Participant(ctx, schoolA, env.pids["consenting"])
		if err != nil {
			return err
		}
		p.GuardianConsent.WithdrawnOn = coaching.DateOf(policyToday)
		return tx.UpdateParticipant(ctx, p)
	}))
	_, err = env.att.Marks(ctx, g, env.cases["consenting"], coaching.Date{}, coaching.Date{})
	assert.Equal(t, coaching.RuleGuardianAge, ct.RequireForbidden(t, err).Rule, "consent withdrawn today")
}

// Participant reads withhold the identity code; it cannot be stored back.
func TestParticipantReadWithholdsIdentityCode(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	code, err := coaching.ParseIdentityCode("010594Y9021")
	require.NoError(t, err)
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(func(p *coaching.Participant) {
		p.BirthDate = coaching.NewDate(1994, 5, 1)
		p.IdentityCode = code
	}))
	_, err = ct.ReadParticipant(ctx, env.Engine, ct.Coach, c.ParticipantID)
	assert.Equal(t, coaching.RuleSupportTeam, ct.RequireForbidden(t, err).Rule, "without the case in view, the team rule cannot apply")
	var p coaching.Participant
	require.NoError(t, env.Engine.ReadCase(ctx, ct.Coach, coaching.OpReadParticipant, c.ID, func(v *coaching.CaseView) error {
		p, err = v.Participant()
		return err
	}))
	assert.True(t, p.IdentityCode.Withheld())
	assert.False(t, p.IdentityCode.IsZero())
	assert.Empty(t, p.IdentityCode.Reveal())
	assert.ErrorIs(t, p.Validate(coaching.DateOf(env.Clock.Now())), coaching.ErrInvalid)
	_, err = readIdentityCode(ctx, env.Engine, ct.Coach, c.ParticipantID)
	assert.Equal(t, coaching.RuleIdentityCode, ct.RequireForbidden(t, err).Rule)
	got, err := readIdentityCode(ctx, env.Engine, ct.Staff, c.ParticipantID)
	require.NoError(t, err)
	assert.True(t, got.Equal(code))
}

// A host wraps the default policy to add a rule of its own.
func TestWrappedPolicy(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	def := coaching.DefaultPolicy()
	noFridays := coaching.PolicyFunc(func(ctx context.Context, r *coaching.Request) coaching.Decision {
		if r.Operation == coaching.OpFireEvent && r.Today.Weekday() == time.Friday {
			return coaching.Deny("no_changes_on_fridays", "the host freezes cases on Fridays")
		}
		return def.Decide(ctx, r)
	})
	friday := time.Date(2026, 9, 18, 10, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{policyModel(t)}, Policy: noFridays,
		Clock: coaching.ClockFunc(func() time.Time { return friday })})
	require.NoError(t, err)
	c, err := eng.Enrol(ctx, polHead, coaching.EnrolParams{Model: "policy_matrix", Participant: ct.Participant(func(p *coaching.Participant) { p.Organisation = schoolA })})
	require.NoError(t, err)
	_, err = eng.Fire(ctx, polHead, c.ID, "finish", nil)
	assert.Equal(t, "no_changes_on_fridays", ct.RequireForbidden(t, err).Rule)
	_, err = eng.Case(ctx, polHead, c.ID)
	require.NoError(t, err, "the default rules still apply to everything else")
}

// Bad requests get clear errors, never a panic, and nothing is written.
func TestPolicyBadInput(t *testing.T) {
	ctx := context.Background()
	env := newPolicyEnv(t)
	_, err := env.erasure.Erase(ctx, polHead, "", nil)
	ct.RequireInvalid(t, err, "participant_id")
	_, err = env.erasure.Erase(ctx, polHead, "nobody", nil)
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	_, err = readIdentityCode(ctx, env.eng, polHead, "")
	ct.RequireInvalid(t, err, "participant_id")
	_, err = ct.ReadParticipant(ctx, env.eng, polHead, "nobody")
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	_, err = env.eng.Case(ctx, coaching.Actor{}, env.cases["minor"])
	assert.Equal(t, coaching.RuleAuthenticated, ct.RequireForbidden(t, err).Rule)
	_, err = env.erasure.ApplyRetention(ctx, env.key, policyToday, erasure.RetentionRule{})
	ct.RequireInvalid(t, err, "after")
	_, err = saveDocument(ctx, env.eng, polTutor, env.cases["minor"], coaching.DocumentChange{Kind: "referral_forged", Data: []byte(`{}`)})
	ct.RequireInvalid(t, err, "kind")
	_, err = saveDocument(ctx, env.eng, polTutor, env.cases["minor"], coaching.DocumentChange{Kind: "welfare_note", Data: []byte(`{"note":"x"}`)})
	assert.Equal(t, coaching.RuleWelfareRecords, ct.RequireForbidden(t, err).Rule, "only welfare roles write welfare records")
	_, err = saveDocument(ctx, env.eng, polCurator, env.cases["minor"], coaching.DocumentChange{Kind: "welfare_note", Data: []byte(`{"note":"x"}`)})
	require.NoError(t, err)
}

// Guardians and students read only the notices addressed to them; staff
// on the team read all of the case's.
func TestNoticesByRecipient(t *testing.T) {
	ctx := context.Background()
	env := newPolicyEnv(t)
	_, err := env.att.Record(ctx, polTeacher, []attendance.MarkInput{{CaseID: env.cases["minor"], Date: coaching.DateOf(policyToday),
		Lesson: "2", Minutes: 45, Status: attendance.Unexplained}})
	require.NoError(t, err)
	all, err := readNotices(ctx, env.eng, polTutor, env.cases["minor"])
	require.NoError(t, err)
	mine, err := readNotices(ctx, env.eng, guardian("minor"), env.cases["minor"])
	require.NoError(t, err)
	require.NotEmpty(t, mine, "the guardian's absence notice")
	assert.Greater(t, len(all), len(mine), "the HOKS survey went to the student, not the guardian")
	for _, n := range mine {
		assert.Equal(t, "guardian-of-minor", n.Recipient.ID)
	}
	_, err = readNotices(ctx, env.eng, guardian("adult"), env.cases["adult"])
	assert.Equal(t, coaching.RuleGuardianAge, ct.RequireForbidden(t, err).Rule)
}

// A denial inside a host transaction that rolls back is still logged, once,
// when the host runs it in a policy-scoped transaction (Engine.Write).
func TestDenialInsideEngineWriteIsLogged(t *testing.T) {
	ctx := context.Background()
	env := newPolicyEnv(t)
	before := env.snapshot(t, "minor")
	stranger := coaching.Actor{ID: "teacher-other", Organisation: schoolA, Roles: []coaching.Role{coaching.RoleTeacher}}
	err := env.eng.Write(ctx, stranger, func(s *coaching.Scope) error {
		_, err := env.eng.In(s.Tx()).Fire(ctx, stranger, env.cases["minor"], "finish", nil)
		return err
	})
	assert.Equal(t, coaching.RuleSupportTeam, ct.RequireForbidden(t, err).Rule)
	after := env.snapshot(t, "minor")
	require.Len(t, after.access, len(before.access)+1)
	assert.Equal(t, "teacher-other", after.access[len(after.access)-1].ActorID)
	assert.Equal(t, before.version, after.version)
}

// A denied call inside a host's transaction writes nothing but its
// access-log entry, so a host that commits anyway saves no half-change.
func TestDeniedHostTransactionWritesOnlyTheLogEntry(t *testing.T) {
	ctx := context.Background()
	env := newPolicyEnv(t)
	headB := coaching.Actor{ID: "head-b", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	p := ct.Participant(func(p *coaching.Participant) { p.ID = "p-new"; p.Organisation = schoolA })
	other := coaching.Actor{ID: "teacher-b", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleTeacher}}
	before := env.snapshot(t, "minor")
	require.NoError(t, env.store.Update(ctx, func(tx coaching.Tx) error {
		_, err := env.eng.In(tx).Enrol(ctx, headB, coaching.EnrolParams{Model: "policy_matrix", Participant: p})
		assert.Equal(t, coaching.RuleOrganisation, ct.RequireForbidden(t, err).Rule)
		_, err = env.att.In(tx).Record(ctx, other, []attendance.MarkInput{
			{CaseID: env.cases["adult"], Date: coaching.DateOf(policyToday), Lesson: "9", Minutes: 45, Status: attendance.Present},
			{CaseID: env.cases["minor"], Date: coaching.DateOf(policyToday), Lesson: "9", Minutes: 45, Status: attendance.Present}})
		// Attendance answers another organisation's case as a missing
		// one (its own field problem); the denial is logged all the same.
		ct.RequireInvalid(t, err, "marks[0].case_id")
		return nil // the host commits regardless
	}))
	after := env.snapshot(t, "minor")
	assert.Len(t, after.access, len(before.access)+2, "two denials, two entries")
	_, err := ct.ReadParticipant(ctx, env.eng, polHead, "p-new")
	assert.ErrorIs(t, err, coaching.ErrNotFound, "no half-enrolled participant")
	marks, err := env.att.Marks(ctx, polHead, env.cases["adult"], coaching.Date{}, coaching.Date{})
	require.NoError(t, err)
	assert.Len(t, marks, 1, "no mark of the first case in the batch")
}

func TestOverlongPurposeIsInvalid(t *testing.T) {
	env := newPolicyEnv(t)
	a := polHead
	a.Purpose = strings.Repeat("x", 1001)
	_, err := env.eng.Case(context.Background(), a, env.cases["minor"])
	ct.RequireInvalid(t, err, "purpose")
}

// A denial of another organisation's case tells the host (a
// *ForbiddenError, its access-log entry written) but gives the host the
// answer for its caller: the *NotFoundError of a missing id
// (ForbiddenError.NotFound), and an Error text that names neither
// organisation. A denial in the actor's own organisation, and one of an
// organisation-level operation the caller names, hide nothing.
func TestAnotherOrganisationsCaseIsAnsweredAsMissing(t *testing.T) {
	ctx := context.Background()
	env := newPolicyEnv(t)
	id := env.cases["adult"]
	before := env.snapshot(t, "adult")
	for _, who := range []coaching.Actor{
		{ID: "teacher-b", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleTeacher}},
		{ID: "funder-1", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleFunder}},
	} {
		_, err := env.eng.Case(ctx, who, id)
		fe := ct.RequireForbidden(t, err)
		nf := fe.NotFound()
		require.NotNil(t, nf, who.ID)
		_, missing := env.eng.Case(ctx, who, "case-that-does-not-exist")
		var want *coaching.NotFoundError
		require.ErrorAs(t, missing, &want)
		assert.Equal(t, want.Kind, nf.Kind, who.ID)
		assert.Equal(t, string(id), nf.ID, who.ID)
		assert.NotContains(t, err.Error(), string(schoolA), who.ID)
		assert.NotContains(t, err.Error(), string(schoolB), who.ID)
	}
	after := env.snapshot(t, "adult")
	require.Len(t, after.access, len(before.access)+2, "both denials are logged")
	assert.Equal(t, coaching.RuleOrganisation, after.access[len(after.access)-2].Rule)
	assert.Equal(t, id, after.access[len(after.access)-2].CaseID)

	// Own organisation: a denial is a denial.
	_, err := env.eng.Case(ctx, coaching.Actor{ID: "student-x", Organisation: schoolA, Roles: []coaching.Role{coaching.RoleStudent}}, id)
	assert.Nil(t, ct.RequireForbidden(t, err).NotFound())
	// Enrolling in another organisation: the caller named it.
	_, err = env.eng.Enrol(ctx, coaching.Actor{ID: "head-b", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleHeadOfStudies}},
		coaching.EnrolParams{Model: "policy_matrix", Participant: ct.Participant(func(p *coaching.Participant) { p.Organisation = schoolA })})
	fe := ct.RequireForbidden(t, err)
	assert.Nil(t, fe.NotFound())
	assert.NotContains(t, fe.Reason, string(schoolB), "the reason names no organisation")
}
