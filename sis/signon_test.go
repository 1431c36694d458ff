package sis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/sis"
)

// The sign-on columns link the signed-in student and guardian to the
// record: the student reads their own case and the guardian their ward's
// notices by the ids the host's authentication gives them, with no
// relation asserted; a re-import changes the link; an id shaped like an
// identity code is refused without being echoed.
func TestSignOnColumnsLinkTheSignedIn(t *testing.T) {
	ctx := context.Background()
	clock := ct.NewClock(ct.DefaultStart)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: clock})
	require.NoError(t, err)
	opts := sis.Options{Model: coaching.ModelPilot, Organisation: org,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}}
	const header = "external_id;given_names;family_name;birth_date;guardian1_name;sign_on;guardian1_sign_on\n"
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(header+"S1;Aino;Virtanen;2010-03-14;Pekka Virtanen;idp|aino;broker|pekka\n"), opts)
	require.NoError(t, err)
	require.Len(t, rep.Enrolled, 1, rep.Problems)
	c := rep.Enrolled[0].Case

	student := coaching.Actor{ID: "idp|aino", Organisation: org, Roles: []coaching.Role{coaching.RoleStudent}}
	guardian := coaching.Actor{ID: "broker|pekka", Organisation: org, Roles: []coaching.Role{coaching.RoleGuardian}}
	_, err = eng.Case(ctx, student, c)
	require.NoError(t, err, "the student by the sign-on id linked at import")
	require.NoError(t, eng.ReadCase(ctx, guardian, coaching.OpReadNotices, c, func(*coaching.CaseView) error { return nil }),
		"the guardian by the sign-on id linked at import")

	// The SIS links the student to a new account: the old id is no
	// longer the student.
	opts.Update = true
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(header+"S1;Aino;Virtanen;2010-03-14;Pekka Virtanen;idp|aino-2;broker|pekka\n"), opts)
	require.NoError(t, err)
	require.Len(t, rep.Updated, 1, rep.Problems)
	assert.Contains(t, rep.Updated[0].Columns, "sign_on")
	_, err = eng.Case(ctx, student, c)
	assert.Equal(t, coaching.RuleStudentOther, ct.RequireForbidden(t, err).Rule)
	student.ID = "idp|aino-2"
	_, err = eng.Case(ctx, student, c)
	assert.NoError(t, err)

	code := "150310A123B" // shaped like an identity code
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(header+"S2;Eino;Virtanen;2010-05-14;Pekka Virtanen;"+code+";broker|pekka\n"), sis.Options{
		Model: coaching.ModelPilot, Organisation: org})
	require.NoError(t, err)
	assert.Empty(t, rep.Enrolled)
	require.Len(t, rep.Problems, 1)
	assert.Equal(t, "sign_on", rep.Problems[0].Column)
	assert.NotContains(t, rep.Problems[0].Message, code)

	// One sign-on id on two students' rows: neither is enrolled.
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(header+
		"S3;Eila;Aho;2010-05-14;Pekka Aho;idp|same;broker|aho\n"+
		"S4;Eero;Aho;2011-06-15;Pekka Aho;idp|same;broker|aho\n"), sis.Options{Model: coaching.ModelPilot, Organisation: org})
	require.NoError(t, err)
	assert.Empty(t, rep.Enrolled)
	require.Len(t, rep.Problems, 2)
	for _, p := range rep.Problems {
		assert.Equal(t, "sign_on", p.Column)
		assert.Contains(t, p.Message, "the same sign-on id is on line")
	}
}
