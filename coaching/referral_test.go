package coaching_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/session"
)

var curator = coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}}

func TestReferralLifecycleAndConfidentialReason(t *testing.T) {
	env := ct.New(t, &ct.Options{Start: monday})
	c := pilotMinor(t, env, coaching.NewDate(2027, 5, 1))
	ctx := context.Background()
	const reason = "anxiety about the workplace period; talks of sleeping badly"

	r, err := env.Engine.ProposeReferral(ctx, ct.Tutor, c.ID, coaching.ReferralInput{Service: coaching.ServiceCurator, Reason: reason, FollowUpDays: 7})
	require.NoError(t, err)
	assert.Equal(t, coaching.ReferralProposed, r.Status)
	assert.Empty(t, r.Reason, "the tutor who proposed it is not a welfare role: no reason back")

	seen, err := env.Engine.Referral(ctx, curator, c.ID, r.ID)
	require.NoError(t, err)
	assert.Equal(t, reason, seen.Reason, "the curator on the case's team sees the reason")
	other := coaching.Actor{ID: "curator-2", Roles: []coaching.Role{coaching.RoleCurator}}
	_, err = env.Engine.Referral(ctx, other, c.ID, r.ID)
	assert.Equal(t, coaching.RuleSupportTeam, ct.RequireForbidden(t, err).Rule, "a curator not on this student's case sees nothing")
	_, err = env.Engine.Referral(ctx, teacher, c.ID, r.ID)
	assert.Equal(t, coaching.RuleSupportTeam, ct.RequireForbidden(t, err).Rule)
	_, err = readDocument(ctx, env.Engine, ct.Tutor, coaching.OpReadWelfare, c.ID, "welfare_referral_"+r.ID, 0)
	assert.Equal(t, coaching.RuleWelfareRecords, ct.RequireForbidden(t, err).Rule, "the proposer does not read the stored reason")
	_, err = readDocument(ctx, env.Engine, ct.Staff, coaching.OpReadWelfare, c.ID, "welfare_referral_"+r.ID, 0)
	assert.Equal(t, coaching.RuleWelfareRecords, ct.RequireForbidden(t, err).Rule, "nor does the head of studies, even with every role")

	// Every welfare read and every denial is in the access log.
	var log []coaching.AccessEntry
	require.NoError(t, env.Store.View(ctx, func(tx coaching.ReadTx) error {
		log, err = tx.AccessLog(ctx, coaching.AccessQuery{CaseID: c.ID})
		return err
	}))
	var got []string
	for _, e := range log {
		got = append(got, fmt.Sprintf("%s %s %t %s", e.ActorID, e.Operation, e.Allowed, e.Rule))
	}
	assert.Equal(t, []string{
		"curator-1 read_welfare true welfare_records",
		"curator-2 read_referral false support_team",
		"teacher-1 read_referral false support_team",
		"tutor-1 read_welfare false welfare_records",
		"staff-1 read_welfare false welfare_records",
	}, got)

	r, err = env.Engine.AdvanceReferral(ctx, ct.Tutor, c.ID, r.ID, coaching.ReferralMake)
	require.NoError(t, err)
	assert.Equal(t, coaching.ReferralMade, r.Status)
	_, err = env.Engine.AdvanceReferral(ctx, ct.Tutor, c.ID, r.ID, coaching.ReferralComplete)
	ct.RequireNotAllowed(t, err, coaching.ReferralAccept, coaching.ReferralDecline, coaching.ReferralUnreached)

	// Not accepted within the follow-up days: a notice to the proposer.
	env.Clock.AdvanceDays(8)
	rep := env.Tick(t)
	assert.Equal(t, 1, rep.Handled)
	sent := env.Deliver(t)
	n := ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: coaching.NoticeKindReferralFollowUp, RecipientID: ct.Tutor.ID})
	assert.Contains(t, n.Body, "curator")

	r, err = env.Engine.AdvanceReferral(ctx, curator, c.ID, r.ID, coaching.ReferralAccept)
	require.NoError(t, err)
	assert.Equal(t, reason, r.Reason)
	r, err = env.Engine.AdvanceReferral(ctx, curator, c.ID, r.ID, coaching.ReferralComplete)
	require.NoError(t, err)
	assert.Equal(t, coaching.ReferralCompleted, r.Status)
	assert.Len(t, r.History, 4)

	// The reason is nowhere else: not in the audit trail, notices, the case
	// or the referral's own document.
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	for _, e := range trail {
		assert.NotContains(t, e.Reason+string(e.Payload), "anxiety")
	}
	all, err := env.Store.Notices(ctx, coaching.NoticeQuery{})
	require.NoError(t, err)
	for _, n := range all {
		assert.NotContains(t, n.Subject+n.Body+strings.Join(mapValues(n.Data), " "), "anxiety")
	}
	doc, err := readDocument(ctx, env.Engine, curator, coaching.OpReadWelfare, c.ID, "referral_"+r.ID, 0)
	require.NoError(t, err)
	assert.NotContains(t, string(doc.Data), "anxiety")

	_, err = env.Engine.ProposeReferral(ctx, ct.Tutor, c.ID, coaching.ReferralInput{Service: "astrologer"})
	ct.RequireInvalid(t, err, "service", "reason")
	_, err = env.Engine.Referral(ctx, curator, c.ID, "nope")
	assert.ErrorIs(t, err, coaching.ErrNotFound)
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestSessionsAndTeamHours(t *testing.T) {
	env := ct.New(t, &ct.Options{Start: monday})
	ctx := context.Background()
	a := pilotMinor(t, env, coaching.NewDate(2027, 5, 1))
	b := pilotMinor(t, env, coaching.NewDate(2027, 5, 1))
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
