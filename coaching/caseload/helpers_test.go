package caseload_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

const orgA, orgB coaching.OrganisationID = "org-a", "org-b"

func actor(id string, org coaching.OrganisationID, roles ...coaching.Role) coaching.Actor {
	return coaching.Actor{ID: id, Name: id, Organisation: org, Roles: roles}
}

var (
	headA    = actor("head-a", orgA, append(slices.Clone(coaching.TeamRoles), coaching.RoleHeadOfStudies)...)
	headB    = actor("head-b", orgB, append(slices.Clone(coaching.TeamRoles), coaching.RoleHeadOfStudies)...)
	coachA   = actor("coach-a", orgA, coaching.RoleCoach)
	tutorA   = actor("tutor-a", orgA, coaching.RolePersonalTutor)
	teacherA = actor("teacher-a", orgA, coaching.RoleTeacher)
	curatorA = actor("curator-a", orgA, coaching.RoleCurator)
)

type fixture struct {
	env *ct.Env
	svc *caseload.Service
	key *coaching.SystemKey
}

func newFixture(t *testing.T, opts *ct.Options) *fixture {
	t.Helper()
	key := coaching.NewSystemKey()
	if opts == nil {
		opts = &ct.Options{}
	}
	opts.Engine.SystemKey = key
	env := ct.New(t, opts)
	svc, err := caseload.New(env.Engine, nil)
	require.NoError(t, err)
	return &fixture{env: env, svc: svc, key: key}
}

func member(a coaching.Actor, r coaching.Role) coaching.TeamMember { return ct.TeamMember(a, r) }

// enrol opens a VALO case in the head's organisation for a participant
// named given family, with team.
func (f *fixture) enrol(t *testing.T, head coaching.Actor, given, family string, team ...coaching.TeamMember) coaching.Case {
	t.Helper()
	p := ct.Participant(func(p *coaching.Participant) {
		p.GivenNames, p.FamilyName, p.Organisation = given, family, head.Organisation
	})
	c, err := f.env.Engine.Enrol(context.Background(), head, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: p, Team: team})
	require.NoError(t, err)
	return c
}

func ids(rows []caseload.Row) []coaching.CaseID {
	out := make([]coaching.CaseID, len(rows))
	for i, r := range rows {
		out[i] = r.CaseID
	}
	return out
}

// admitted is the payload of VALO's admit event.
func admitted() *coaching.FireOptions {
	m := coaching.CriterionMet
	return &coaching.FireOptions{Payload: coaching.EntryAssessment{Motivation: m, WorkingLifeSkills: m, AttendanceCommitment: m, WorkCommitment: m, GoalCommitment: m}}
}

// markDay records three lessons of today for case id as the coach, all
// with status st.
func (f *fixture) markDay(t *testing.T, id coaching.CaseID, st attendance.Status) {
	t.Helper()
	today := coaching.DateOf(f.env.Clock.Now())
	var in []attendance.MarkInput
	for i := 1; i <= 3; i++ {
		in = append(in, attendance.MarkInput{CaseID: id, Date: today, Lesson: fmt.Sprint(i), Minutes: 45, Status: st})
	}
	_, err := f.env.Attendance.Record(context.Background(), coachA, in)
	require.NoError(t, err)
}
