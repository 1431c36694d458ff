package contactchange_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/contactchange"
)

// The deciders are those of the other family requests: the personal tutor
// or study counsellor on the team, the coach when the team has no personal
// tutor, the head of studies — never a teacher or student-welfare staff,
// whom the policy lets act on the case; a refused decider writes nothing.
func TestDecidersAreTutorCounsellorCoachOrHead(t *testing.T) {
	ctx := context.Background()
	env, s := newEnv(t)
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	curator := coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}}
	counsellor := coaching.Actor{ID: "counsellor-1", Roles: []coaching.Role{coaching.RoleStudyCounsellor}}
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	eighteenth := coaching.NewDate(2027, 5, 1)
	propose := func(c coaching.Case, email string) contactchange.Proposal {
		t.Helper()
		pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: email})
		require.NoError(t, err)
		return pro
	}
	refused := func(a coaching.Actor, c coaching.Case, pro contactchange.Proposal) {
		t.Helper()
		_, err := s.Decide(ctx, a, c.ID, pro.ID, approve(pro.Version))
		// The default policy refuses a teacher (deciders) and welfare staff
		// (welfare_channel) before the feature's own rule is asked.
		assert.Contains(t, []string{contactchange.RuleDecider, coaching.RuleDeciders, coaching.RuleWelfareChannel},
			ct.RequireForbidden(t, err).Rule, a.ID)
		got, err := s.Get(ctx, ct.Tutor, c.ID, pro.ID)
		if err == nil {
			assert.Equal(t, contactchange.Submitted, got.Status, "nothing written")
		}
	}

	// A tutor's team: the curator, a teacher and the coach do not decide;
	// the study counsellor does.
	c := env.Enrol(t, coaching.ModelPilot, ct.Minor(eighteenth), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor),
		ct.TeamMember(curator, coaching.RoleCurator), ct.TeamMember(teacher, coaching.RoleTeacher),
		ct.TeamMember(ct.Coach, coaching.RoleCoach), ct.TeamMember(counsellor, coaching.RoleStudyCounsellor))
	pro := propose(c, "uusi1@example.fi")
	for _, a := range []coaching.Actor{curator, teacher, ct.Coach} {
		refused(a, c, pro)
	}
	got, err := s.Decide(ctx, counsellor, c.ID, pro.ID, approve(pro.Version))
	require.NoError(t, err)
	assert.Equal(t, contactchange.Approved, got.Status)

	// A team without a personal tutor: the coach decides, the teacher
	// still does not; the head of studies, on no team, decides too.
	c2 := env.Enrol(t, coaching.ModelPilot, ct.Minor(eighteenth), ct.TeamMember(ct.Coach, coaching.RoleCoach), ct.TeamMember(teacher, coaching.RoleTeacher))
	pro = propose(c2, "uusi2@example.fi")
	refused(teacher, c2, pro)
	got, err = s.Decide(ctx, ct.Coach, c2.ID, pro.ID, approve(pro.Version))
	require.NoError(t, err)
	assert.Equal(t, contactchange.Approved, got.Status)
	pro = propose(c2, "uusi3@example.fi")
	got, err = s.Decide(ctx, head, c2.ID, pro.ID, contactchange.Decision{Reason: "not this one", Version: pro.Version})
	require.NoError(t, err)
	assert.Equal(t, contactchange.Declined, got.Status)
}
