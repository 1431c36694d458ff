package referral_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/looplab/fsm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/referral"
)

var (
	monday  = time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki)
	curator = coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}}
	teacher = coaching.Actor{ID: "teacher-1", Name: "Opettaja", Roles: []coaching.Role{coaching.RoleTeacher}}
)

// newEnv is the kit with referrals registered as a host registers them.
func newEnv(t *testing.T, start time.Time) *ct.Env {
	t.Helper()
	return ct.New(t, &ct.Options{Start: start, Engine: coaching.Options{Documents: referral.Documents(), TimerHandlers: referral.TimerHandlers(nil)}})
}

func referrals(t *testing.T, eng *coaching.Engine) *referral.Service {
	t.Helper()
	s, err := referral.New(eng)
	require.NoError(t, err)
	return s
}

// pilotMinor enrols a pilot student who turns 18 on eighteenth, with the
// tutor and a curator on the team.
func pilotMinor(t *testing.T, env *ct.Env, eighteenth coaching.Date) coaching.Case {
	t.Helper()
	tutor := ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor)
	tutor.Name = "Tiina Tutor"
	cur := coaching.TeamMember{ActorID: curator.ID, Role: coaching.RoleCurator, Name: "Kuraattori", Contact: coaching.Contact{Email: "kuraattori@example.fi"}}
	return env.Enrol(t, coaching.ModelPilot, ct.Minor(eighteenth), tutor, cur)
}

func TestReferralLifecycleAndConfidentialReason(t *testing.T) {
	env := newEnv(t, monday)
	refs := referrals(t, env.Engine)
	c := pilotMinor(t, env, coaching.NewDate(2027, 5, 1))
	ctx := context.Background()
	const reason = "anxiety about the workplace period; talks of sleeping badly"

	r, err := refs.Propose(ctx, ct.Tutor, c.ID, referral.Input{Service: referral.ServiceCurator, Reason: reason, FollowUpDays: 7})
	require.NoError(t, err)
	assert.Equal(t, referral.Proposed, r.Status)
	assert.Empty(t, r.Reason, "the tutor who proposed it is not a welfare role: no reason back")

	seen, err := refs.Get(ctx, curator, c.ID, r.ID)
	require.NoError(t, err)
	assert.Equal(t, reason, seen.Reason, "the curator on the case's team sees the reason")
	other := coaching.Actor{ID: "curator-2", Roles: []coaching.Role{coaching.RoleCurator}}
	_, err = refs.Get(ctx, other, c.ID, r.ID)
	assert.Equal(t, coaching.RuleSupportTeam, ct.RequireForbidden(t, err).Rule, "a curator not on this student's case sees nothing")
	_, err = refs.Get(ctx, teacher, c.ID, r.ID)
	assert.Equal(t, coaching.RuleSupportTeam, ct.RequireForbidden(t, err).Rule)
	_, err = readDocument(ctx, env.Engine, ct.Tutor, coaching.OpReadWelfare, c.ID, "welfare_referral_"+r.ID)
	assert.Equal(t, coaching.RuleWelfareRecords, ct.RequireForbidden(t, err).Rule, "the proposer does not read the stored reason")
	_, err = readDocument(ctx, env.Engine, ct.Staff, coaching.OpReadWelfare, c.ID, "welfare_referral_"+r.ID)
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

	r, err = refs.Advance(ctx, ct.Tutor, c.ID, r.ID, referral.Make)
	require.NoError(t, err)
	assert.Equal(t, referral.Made, r.Status)
	_, err = refs.Advance(ctx, ct.Tutor, c.ID, r.ID, referral.Complete)
	ct.RequireNotAllowed(t, err, referral.Accept, referral.Decline, referral.Unreached)

	// Not accepted within the follow-up days: a notice to the proposer.
	env.Clock.AdvanceDays(8)
	rep := env.Tick(t)
	assert.Equal(t, 1, rep.Handled)
	sent := env.Deliver(t)
	n := ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: referral.NoticeKindFollowUp, RecipientID: ct.Tutor.ID})
	assert.Contains(t, n.Body, "curator")

	r, err = refs.Advance(ctx, curator, c.ID, r.ID, referral.Accept)
	require.NoError(t, err)
	assert.Equal(t, reason, r.Reason)
	r, err = refs.Advance(ctx, curator, c.ID, r.ID, referral.Complete)
	require.NoError(t, err)
	assert.Equal(t, referral.Completed, r.Status)
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
	doc, err := readDocument(ctx, env.Engine, curator, coaching.OpReadWelfare, c.ID, "referral_"+r.ID)
	require.NoError(t, err)
	assert.NotContains(t, string(doc.Data), "anxiety")

	_, err = refs.Propose(ctx, ct.Tutor, c.ID, referral.Input{Service: "astrologer"})
	ct.RequireInvalid(t, err, "service", "reason")
	_, err = refs.Get(ctx, curator, c.ID, "nope")
	assert.ErrorIs(t, err, coaching.ErrNotFound)
}

// readDocument reads the latest version of a case's document of kind
// through a view opened under op.
func readDocument(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, op coaching.Operation, id coaching.CaseID, kind string) (coaching.Document, error) {
	var d coaching.Document
	err := eng.ReadCase(ctx, actor, op, id, func(v *coaching.CaseView) error {
		var err error
		d, err = v.Document(kind, 0)
		return err
	})
	return d, err
}

// readAuditTrail reads a case's audit trail as actor may see it.
func readAuditTrail(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID) ([]coaching.AuditEntry, error) {
	return ct.ReadCase(ctx, eng, actor, coaching.OpReadCase, id, (*coaching.CaseView).AuditTrail)
}

// readNotices reads the notices about a case as actor may see them.
func readNotices(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID) ([]coaching.Notice, error) {
	return ct.ReadCase(ctx, eng, actor, coaching.OpReadNotices, id, (*coaching.CaseView).Notices)
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// The referral diagram is the one looplab drew before referrals moved onto
// Machine.
func TestDiagramUnchanged(t *testing.T) {
	old := fsm.Events{
		{Name: referral.Make, Src: []string{string(referral.Proposed)}, Dst: string(referral.Made)},
		{Name: referral.Accept, Src: []string{string(referral.Made)}, Dst: string(referral.Accepted)},
		{Name: referral.Complete, Src: []string{string(referral.Accepted)}, Dst: string(referral.Completed)},
		{Name: referral.Decline, Src: []string{string(referral.Proposed), string(referral.Made)}, Dst: string(referral.Declined)},
		{Name: referral.Unreached, Src: []string{string(referral.Made)}, Dst: string(referral.NotReached)},
	}
	want, err := fsm.VisualizeWithType(fsm.NewFSM(string(referral.Proposed), old, nil), fsm.MermaidStateDiagram)
	require.NoError(t, err)
	assert.Equal(t, want, referral.Diagram())
}

// Referrals run on a Machine and report a refused step as before: unknown
// events are marked, and the allowed events are listed sorted.
func TestAdvanceErrors(t *testing.T) {
	env := newEnv(t, monday)
	refs := referrals(t, env.Engine)
	c := pilotMinor(t, env, coaching.NewDate(2027, 5, 1))
	ctx := context.Background()
	tests := []struct {
		name   string
		before []string // events fired first, on a fresh referral
		event  string
		want   string // error message; empty when the step is allowed
		status referral.Status
	}{
		{name: "unknown event", event: "paint",
			want: `valmennus: unknown event "paint" (from state "proposed" the model allows: decline, make)`},
		{name: "not from proposed", event: referral.Complete,
			want: `valmennus: event "complete" is not allowed from state "proposed" (allowed: decline, make)`},
		{name: "from a final state", before: []string{referral.Decline}, event: referral.Make,
			want: `valmennus: event "make" is not allowed from state "declined" (allowed: none)`},
		{name: "allowed", before: []string{referral.Make}, event: referral.Unreached, status: referral.NotReached},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := refs.Propose(ctx, ct.Tutor, c.ID, referral.Input{Service: referral.ServiceCurator, Reason: "x", FollowUpDays: 7})
			require.NoError(t, err)
			for _, ev := range tt.before {
				_, err = refs.Advance(ctx, ct.Tutor, c.ID, r.ID, ev)
				require.NoError(t, err)
			}
			got, err := refs.Advance(ctx, ct.Tutor, c.ID, r.ID, tt.event)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.status, got.Status)
				return
			}
			require.ErrorIs(t, err, coaching.ErrTransitionNotAllowed)
			assert.EqualError(t, err, tt.want)
		})
	}
}

// A referral's follow-up — its audit entry and its notice — reaches only
// those who may know of the referral.
func TestFollowUpFollowsTheReferralRule(t *testing.T) {
	ctx := context.Background()
	env := newEnv(t, time.Time{})
	refs := referrals(t, env.Engine)
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), ct.TeamMember(tutor, coaching.RolePersonalTutor),
		ct.TeamMember(teacher, coaching.RoleTeacher), ct.TeamMember(curator, coaching.RoleCurator))
	r, err := refs.Propose(ctx, tutor, c.ID, referral.Input{Service: referral.ServicePsychologist, Reason: "panic attacks", FollowUpDays: 7})
	require.NoError(t, err)
	_, err = refs.Advance(ctx, tutor, c.ID, r.ID, referral.Make)
	require.NoError(t, err)
	env.Clock.AdvanceDays(8)
	env.Tick(t)

	for _, tc := range []struct {
		who  coaching.Actor
		sees bool
	}{{tutor, true}, {curator, true}, {teacher, false}, {ct.Staff, false}} {
		// ct.Staff holds every role but is not on this team: as head of
		// studies it reads the case, but may not know of the unshared
		// referral.
		trail, err := readAuditTrail(ctx, env.Engine, tc.who, c.ID)
		require.NoError(t, err)
		var events []string
		for _, e := range trail {
			events = append(events, e.Event)
		}
		notices, err := readNotices(ctx, env.Engine, tc.who, c.ID)
		require.NoError(t, err)
		followUps := 0
		for _, n := range notices {
			if n.Kind == referral.NoticeKindFollowUp {
				followUps++
			}
		}
		if tc.sees {
			assert.Contains(t, events, "referral_follow_up_due", tc.who.ID)
			assert.Contains(t, events, "referral_proposed", tc.who.ID)
			assert.Equal(t, 1, followUps, tc.who.ID)
		} else {
			assert.NotContains(t, events, "referral_follow_up_due", tc.who.ID)
			assert.NotContains(t, events, "referral_proposed", tc.who.ID)
			assert.NotContains(t, events, "referral_reason_recorded", tc.who.ID)
			assert.Zero(t, followUps, tc.who.ID)
		}
	}
}

// Without its document kinds the engine would show a referral's traces
// unguarded: the service refuses to run, and nothing is written.
func TestRefusesAnEngineWithoutItsDocuments(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, &ct.Options{Start: monday, Engine: coaching.Options{TimerHandlers: referral.TimerHandlers(nil)}})
	c := pilotMinor(t, env, coaching.NewDate(2027, 5, 1))
	before := ct.RequireAuditTrail(t, env.Engine, c.ID)
	_, err := referrals(t, env.Engine).Propose(ctx, ct.Tutor, c.ID, referral.Input{Service: referral.ServiceCurator, Reason: "worried"})
	require.ErrorContains(t, err, "Options.Documents")
	assert.Equal(t, before, ct.RequireAuditTrail(t, env.Engine, c.ID), "nothing half-saved")
	require.NoError(t, env.Store.View(ctx, func(tx coaching.ReadTx) error {
		got, err := tx.Case(ctx, c.ID)
		assert.Equal(t, c.Version, got.Version, "no document version stored")
		return err
	}))
}

// A host's wording of the follow-up replaces the built-in one.
func TestFollowUpTextsCanBeOverridden(t *testing.T) {
	ctx := context.Background()
	texts := coaching.DefaultTexts()
	require.NoError(t, texts.Set(referral.NoticeKindFollowUp, coaching.Finnish, coaching.Text{Subject: "Muistutus {{.case}}", Body: "Palvelu {{.service}}."}))
	env := ct.New(t, &ct.Options{Start: monday, Engine: coaching.Options{Documents: referral.Documents(),
		TimerHandlers: referral.TimerHandlers(&referral.FollowUpOptions{Texts: texts})}})
	refs := referrals(t, env.Engine)
	c := pilotMinor(t, env, coaching.NewDate(2027, 5, 1))
	r, err := refs.Propose(ctx, ct.Tutor, c.ID, referral.Input{Service: referral.ServiceNurse, Reason: "x", FollowUpDays: 3})
	require.NoError(t, err)
	_, err = refs.Advance(ctx, ct.Tutor, c.ID, r.ID, referral.Make)
	require.NoError(t, err)
	env.Clock.AdvanceDays(4)
	env.Tick(t)
	n := ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: referral.NoticeKindFollowUp, RecipientID: ct.Tutor.ID})
	assert.Equal(t, "Muistutus "+string(c.ID), n.Subject)
	assert.Equal(t, "Palvelu nurse.", n.Body)
}
