package webui

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// The work pages name people by the case team's record of them, or by
// their role, never by their actor id, which may be an identity code.
func TestWorkPagesNameNoOneByID(t *testing.T) {
	const id = "010203A123B" // an id that is an identity code
	team := []coaching.TeamMember{{ActorID: "t-1", Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"},
		{ActorID: id, Role: coaching.RoleCoach}}
	en := coaching.English
	assert.Equal(t, "Tiina Tutor (Personal tutor)", ownerName(caseload.Owner{ActorID: "t-1", Role: coaching.RolePersonalTutor}, team, en))
	assert.Equal(t, "Coach", ownerName(caseload.Owner{ActorID: id, Role: coaching.RoleCoach}, team, en), "a member without a name: the role")
	assert.Equal(t, "Curator (not on the team)", ownerName(caseload.Owner{ActorID: id, Role: coaching.RoleCurator}, nil, en))
	assert.Equal(t, "Tiina Tutor (Personal tutor)", raiserName("t-1", team, en))
	assert.Equal(t, "someone not on the team", raiserName(id, nil, en))
	assert.Equal(t, "tiimiin kuulumaton henkilö", raiserName(id, nil, coaching.Finnish))
	assert.Equal(t, "the system (nightly review)", raiserName("system", nil, en))
	for _, s := range []string{ownerName(caseload.Owner{ActorID: id, Role: coaching.RoleCoach}, team, en), raiserName(id, team, en), raiserName(id, nil, en)} {
		assert.NotContains(t, s, id)
	}
}
