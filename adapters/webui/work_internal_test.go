package webui

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
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

// The count of overdue phases agrees with its number in every language:
// "1 case", never "1 cases".
func TestOverdueCountAgreesWithItsNumber(t *testing.T) {
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}})
	require.NoError(t, err)
	login, err := NewDevLogin([]DevIdentity{{Key: "head", Label: "Head", Actor: coaching.Actor{ID: "h", Organisation: "org",
		Roles: []coaching.Role{coaching.RoleHeadOfStudies}}}})
	require.NoError(t, err)
	hh, err := New(eng, &Options{SessionKey: make([]byte, MinSessionKey), Login: login})
	require.NoError(t, err)
	h := hh.(*handler)
	for _, tc := range []struct {
		lang        coaching.Language
		count, want string
	}{
		{coaching.English, "1", "Phase deadline passed: 1 case<"},
		{coaching.English, "100+", "Phase deadline passed: 100&#43; cases<"},
		{coaching.Finnish, "1", "Vaiheen määräaika ylittynyt: 1 tapaus<"},
		{coaching.Finnish, "2", "Vaiheen määräaika ylittynyt: 2 tapausta<"},
		{coaching.Swedish, "1", "Fasens tidsfrist överskriden: 1 ärende<"},
		{coaching.Swedish, "3", "Fasens tidsfrist överskriden: 3 ärenden<"},
	} {
		var buf bytes.Buffer
		v := &view{Lang: tc.lang, CSS: h.cssPath, Data: caseloadView{Scope: "org", OverdueCount: tc.count, OverdueHref: "/?overdue=1"}}
		require.NoError(t, h.pages[tc.lang]["caseload.html"].ExecuteTemplate(&buf, "layout", v))
		assert.Contains(t, buf.String(), tc.want)
	}
}
