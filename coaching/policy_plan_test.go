package coaching_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// The default policy's rows for the school's own tasks on a case:
// recording attendance is the teaching and guidance staff's (any student
// of their organisation) and the head of studies'; the HOKS is written by
// the school's staff on the team (welfare staff included) and approved by
// its teaching and guidance staff or the head of studies. Peer coaches and
// workplace instructors on a team read the case and the plan and change
// the case, but do none of these; welfare staff neither mark attendance
// nor approve the plan.
func TestSchoolTasksPolicy(t *testing.T) {
	today := coaching.NewDate(2026, 9, 14)
	ward := coaching.Participant{ID: "p-adult", Organisation: schoolA, BirthDate: coaching.NewDate(2000, 1, 1)}
	c := &coaching.Case{ID: "c-1", ParticipantID: ward.ID, Organisation: schoolA}
	ops := []coaching.Operation{coaching.OpRecordAttendance, coaching.OpChangeHOKS, coaching.OpApproveHOKS,
		coaching.OpReadHOKS, coaching.OpChangeCase}
	const A = "allow"
	st, ts, ha := coaching.RuleSupportTeam, coaching.RuleTeachingStaff, coaching.RuleHOKSApprovers
	rows := []struct {
		who    string
		roles  []coaching.Role
		onTeam bool
		want   []string // per ops: allow or the denying rule
	}{
		{"personal tutor on the team", []coaching.Role{coaching.RolePersonalTutor}, true, []string{A, A, A, A, A}},
		{"coach on the team", []coaching.Role{coaching.RoleCoach}, true, []string{A, A, A, A, A}},
		{"teacher on the team", []coaching.Role{coaching.RoleTeacher}, true, []string{A, A, A, A, A}},
		{"special needs teacher on the team", []coaching.Role{coaching.RoleSpecialNeedsTeacher}, true, []string{A, A, A, A, A}},
		{"study counsellor on the team", []coaching.Role{coaching.RoleStudyCounsellor}, true, []string{A, A, A, A, A}},
		{"teacher not on the team", []coaching.Role{coaching.RoleTeacher}, false, []string{A, st, st, st, st}},
		{"curator on the team", []coaching.Role{coaching.RoleCurator}, true, []string{ts, A, ha, A, A}},
		{"psychologist on the team", []coaching.Role{coaching.RolePsychologist}, true, []string{ts, A, ha, A, A}},
		{"nurse on the team", []coaching.Role{coaching.RoleNurse}, true, []string{ts, A, ha, A, A}},
		{"curator who also teaches, on the team as curator", []coaching.Role{coaching.RoleCurator, coaching.RoleTeacher}, true, []string{A, A, ha, A, A}},
		{"psychologist not on the team", []coaching.Role{coaching.RolePsychologist}, false, []string{st, st, st, st, st}},
		{"workplace instructor on the team", []coaching.Role{coaching.RoleWorkplaceInstructor}, true, []string{ts, st, st, A, A}},
		{"peer coach on the team", []coaching.Role{coaching.RolePeerCoach}, true, []string{ts, st, st, A, A}},
		{"workplace instructor not on the team", []coaching.Role{coaching.RoleWorkplaceInstructor}, false, []string{st, st, st, st, st}},
		{"peer coach not on the team", []coaching.Role{coaching.RolePeerCoach}, false, repeat(coaching.RuleNotPermitted, 5)},
		{"head of studies", []coaching.Role{coaching.RoleHeadOfStudies}, false, []string{A, A, A, A, A}},
		{"funder", []coaching.Role{coaching.RoleFunder}, false, repeat(coaching.RuleFunderAggregate, 5)},
	}
	pol := coaching.DefaultPolicy()
	for _, r := range rows {
		require.Len(t, r.want, len(ops), r.who)
		for i, op := range ops {
			a := coaching.Actor{ID: "actor-1", Organisation: schoolA, Roles: r.roles}
			var rels []coaching.Relation
			if r.onTeam {
				rels = []coaching.Relation{{Kind: coaching.RelationTeamMember, Case: c.ID, Role: r.roles[0]}}
			}
			p := ward
			d := pol.Decide(context.Background(), &coaching.Request{Actor: a, Operation: op, Organisation: schoolA, Case: c,
				Participant: &p, Relations: rels, Today: today})
			got := A
			if !d.Allowed {
				got = d.Rule
				assert.NotEmpty(t, d.Reason, "%s: %s: a denial says why", r.who, op)
			}
			assert.Equal(t, r.want[i], got, "%s: %s (%s)", r.who, op, d.Reason)
		}
	}
	// Another organisation's case: never.
	head := coaching.Actor{ID: "head-b", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleHeadOfStudies, coaching.RoleTeacher}}
	for _, op := range ops {
		d := pol.Decide(context.Background(), &coaching.Request{Actor: head, Operation: op, Organisation: schoolA, Case: c, Today: today})
		assert.Equal(t, coaching.RuleOrganisation, d.Rule, op)
	}
}

// Attendance through the attendance service: a peer coach, a workplace
// instructor and a curator on the student's team are refused
// (teaching_staff), with nothing stored and one access-log entry each; a
// teacher who is not on the team records it.
func TestAttendanceIsTheTeachingStaffs(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	att := attendanceOf(t, env.Engine)
	peer := coaching.Actor{ID: "peer-1", Roles: []coaching.Role{coaching.RolePeerCoach}}
	wi := coaching.Actor{ID: "wi-1", Roles: []coaching.Role{coaching.RoleWorkplaceInstructor}}
	curator := coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}}
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach),
		ct.TeamMember(peer, coaching.RolePeerCoach), ct.TeamMember(wi, coaching.RoleWorkplaceInstructor), ct.TeamMember(curator, coaching.RoleCurator))
	today := coaching.DateOf(env.Clock.Now())
	mark := func(lesson string) []attendance.MarkInput {
		return []attendance.MarkInput{{CaseID: c.ID, Date: today, Lesson: lesson, Minutes: 45, Status: attendance.Present}}
	}
	for _, a := range []coaching.Actor{peer, wi, curator} {
		_, err := att.Record(ctx, a, mark(a.ID))
		assert.Equal(t, coaching.RuleTeachingStaff, ct.RequireForbidden(t, err).Rule, a.ID)
		log, err := ct.ReadAccessLog(ctx, env.Engine, ct.Staff, coaching.AccessQuery{})
		require.NoError(t, err)
		require.NotEmpty(t, log)
		last := log[len(log)-1]
		assert.Equal(t, a.ID, last.ActorID)
		assert.Equal(t, coaching.OpRecordAttendance, last.Operation)
		assert.False(t, last.Allowed)
	}
	ms, err := att.Marks(ctx, ct.Coach, c.ID, coaching.Date{}, coaching.Date{})
	require.NoError(t, err)
	assert.Empty(t, ms, "no refused mark is stored")
	_, err = att.Record(ctx, teacher, mark("1"))
	require.NoError(t, err, "a teacher marks any student of the organisation")
	_, err = att.Marks(ctx, peer, c.ID, coaching.Date{}, coaching.Date{})
	require.NoError(t, err, "the peer coach still reads the attendance of the case they are on")
}
