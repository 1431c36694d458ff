package coaching_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/session"
)

var curator = coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}}

func TestSessionsAndTeamHours(t *testing.T) {
	env := ct.New(t, &ct.Options{Start: monday})
	ctx := context.Background()
	a := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	b := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	d := coaching.DateOf(monday)
	group, err := sessionsOf(t, env.Engine).Record(ctx, ct.Tutor, session.Session{Kind: session.Group, Date: d, Hours: decimal.RequireFromString("1.5"),
		Staff:    []session.Staff{{ActorID: ct.Tutor.ID, Role: coaching.RolePersonalTutor}, {ActorID: "coach-1", Role: coaching.RoleCoach}},
		Cases:    []coaching.CaseID{a.ID, b.ID},
		Elements: []session.ApproachElement{session.ElementTrust, session.ElementInteraction}, PeerSupport: "pairs plan the week together",
		Topic: "group coaching: planning the week"})
	require.NoError(t, err)
	assert.NotEmpty(t, group.ID)
	_, err = sessionsOf(t, env.Engine).Record(ctx, ct.Tutor, session.Session{Kind: session.Individual, Date: d, Hours: decimal.RequireFromString("0.75"),
		Staff: []session.Staff{{ActorID: ct.Tutor.ID, Role: coaching.RolePersonalTutor}}, Cases: []coaching.CaseID{a.ID},
		Elements: []session.ApproachElement{session.ElementPresence}})
	require.NoError(t, err)
	_, err = sessionsOf(t, env.Engine).Record(ctx, curator, session.Session{Kind: session.Outreach, Date: d, Hours: decimal.NewFromInt(2),
		Staff: []session.Staff{{ActorID: curator.ID, Role: coaching.RoleCurator}}, Contacts: 14, Topic: "lunch break in the workshop hall"})
	require.NoError(t, err)

	hours, err := sessionsOf(t, env.Engine).TeamHours(ctx, ct.Staff, d, d)
	require.NoError(t, err)
	got := map[string]string{}
	for _, h := range hours {
		got[h.ActorID] = h.Hours.String()
	}
	assert.Equal(t, map[string]string{"tutor-1": "2.25", "coach-1": "1.5", "curator-1": "2"}, got)
	for _, h := range hours {
		if h.ActorID == curator.ID {
			assert.Equal(t, 14, h.Contacts)
		}
	}
	list, err := sessionsOf(t, env.Engine).List(ctx, ct.Staff, session.Query{CaseID: b.ID})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, session.Group, list[0].Kind)

	_, err = sessionsOf(t, env.Engine).Record(ctx, ct.Tutor, session.Session{Kind: session.Individual, Date: d.AddDays(2), Hours: decimal.RequireFromString("0.333"),
		Staff: []session.Staff{{ActorID: "x", Role: coaching.RoleGuardian}}, Cases: []coaching.CaseID{a.ID, b.ID}, Elements: []session.ApproachElement{"magic"}})
	ct.RequireInvalid(t, err, "date", "hours", "staff[0].role", "cases", "elements[0]")
	_, err = sessionsOf(t, env.Engine).Record(ctx, ct.Tutor, session.Session{Kind: session.Outreach, Date: d, Hours: decimal.NewFromInt(1),
		Staff: []session.Staff{{ActorID: ct.Tutor.ID, Role: coaching.RolePersonalTutor}}})
	ct.RequireInvalid(t, err, "staff[0].role")
	_, err = sessionsOf(t, env.Engine).Record(ctx, ct.Tutor, session.Session{Kind: session.Individual, Date: d, Hours: decimal.NewFromInt(1),
		Staff: []session.Staff{{ActorID: ct.Tutor.ID, Role: coaching.RolePersonalTutor}}, Cases: []coaching.CaseID{"ghost"}})
	ct.RequireInvalid(t, err, "cases[0]")
}
