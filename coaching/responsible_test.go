package coaching_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/coaching"
)

func TestCaseResponsible(t *testing.T) {
	tutor := coaching.TeamMember{ActorID: "t-1", Role: coaching.RolePersonalTutor}
	coach := coaching.TeamMember{ActorID: "c-1", Role: coaching.RoleCoach}
	teacher := coaching.TeamMember{ActorID: "x-1", Role: coaching.RoleTeacher}
	assert.Equal(t, []coaching.TeamMember{tutor}, coaching.Case{Team: []coaching.TeamMember{coach, tutor, teacher}}.Responsible())
	assert.Equal(t, []coaching.TeamMember{coach}, coaching.Case{Team: []coaching.TeamMember{teacher, coach}}.Responsible(), "no tutor: the coach")
	assert.Empty(t, coaching.Case{Team: []coaching.TeamMember{teacher}}.Responsible())
}
