package hoks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// voiceEnv is a pilot case with an approved plan (version 2), a student
// who signs in as themself, the kit's tutor as personal tutor and a coach
// on the team, with the proposals' document families registered.
type voiceEnv struct {
	*ct.Env
	svc     *hoks.Service
	id      coaching.CaseID
	student coaching.Actor
	today   coaching.Date
}

func newVoiceEnv(t *testing.T, edits ...func(*coaching.Participant)) voiceEnv {
	t.Helper()
	env := ct.New(t, &ct.Options{Start: time.Date(2024, 4, 2, 10, 0, 0, 0, coaching.Helsinki),
		Engine: coaching.Options{Documents: hoks.Documents()}})
	svc, err := hoks.NewService(env.Engine)
	require.NoError(t, err)
	p := ct.Minor(coaching.NewDate(2025, 9, 1), edits...)
	c := env.Enrol(t, coaching.ModelPilot, p, ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(ct.Coach, coaching.RoleCoach))
	ctx := context.Background()
	today := coaching.DateOf(env.Clock.Now())
	v, err := svc.SaveDraft(ctx, ct.Tutor, c.ID, 0, draftPlan(t))
	require.NoError(t, err)
	_, err = svc.Approve(ctx, ct.Tutor, c.ID, v.Number, today)
	require.NoError(t, err)
	env.Deliver(t) // the start survey
	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	return voiceEnv{Env: env, svc: svc, id: c.ID, student: student, today: today}
}

// guardian is the minor's guardian ("guardian-1", recorded on the
// participant).
var guardian = coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}

// moveJakso2 proposes to move the apprenticeship period (jakso-2) of the
// test plan's vocational unit by a month.
func moveJakso2() *hoks.PlanChange {
	return &hoks.PlanChange{Kind: hoks.ChangeSchedule, Unit: "tutkinnonosat_106233",
		From: hoks.Span{Start: coaching.NewDate(2024, 4, 1), End: coaching.NewDate(2024, 6, 30)},
		To:   hoks.Span{Start: coaching.NewDate(2024, 5, 2), End: coaching.NewDate(2024, 7, 31)}}
}

func jakso2(p *hoks.Plan) hoks.Span {
	m := p.VocationalUnits[0].Methods[1]
	return hoks.Span{Start: m.Start, End: m.End}
}

func (e voiceEnv) versions(t *testing.T) int {
	t.Helper()
	h, err := e.svc.History(context.Background(), ct.Tutor, e.id)
	require.NoError(t, err)
	return len(h)
}

// The whole loop: the student proposes, the tutor is told, the summary
// shows the open proposal's title, the tutor accepts it into a new version
// and approves it at once, the student is told in their language, and the
// staff's note stays with the staff.
func TestProposalAcceptedIntoNewVersion(t *testing.T) {
	e := newVoiceEnv(t, func(p *coaching.Participant) { p.Language = coaching.Swedish })
	ctx := context.Background()

	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Oppisopimusjakso kuukautta myöhemmäksi",
		Description: "Kesätyö loppuu vasta huhtikuun lopussa.", Change: moveJakso2()})
	require.NoError(t, err)
	assert.Equal(t, int64(1), p.Number)
	assert.Equal(t, hoks.ProposalSubmitted, p.Status)
	assert.Equal(t, int64(2), p.PlanVersion, "made against the latest version")
	assert.Equal(t, int64(1), p.Version)

	sent := e.Deliver(t)
	n := ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: hoks.NoticeKindProposalSubmitted, RecipientID: ct.Tutor.ID})
	assert.Contains(t, n.Body, "Oppisopimusjakso kuukautta myöhemmäksi", "the tutor's text is Finnish, with the title")
	assert.Contains(t, n.Body, "Opiskelija ehdottaa")
	assert.NotContains(t, n.Body, "Kesätyö", "never the description")
	ct.RequireNoNotice(t, sent, ct.NoticeMatch{Kind: hoks.NoticeKindProposalSubmitted, RecipientID: ct.Coach.ID})

	sum, err := e.svc.Summary(ctx, guardian, e.id)
	require.NoError(t, err)
	assert.Equal(t, 1, sum.OpenProposals)
	assert.Equal(t, []string{"Oppisopimusjakso kuukautta myöhemmäksi"}, sum.OpenProposalTitles)

	acc, v, err := e.svc.AcceptProposal(ctx, ct.Tutor, e.id, 1, hoks.AcceptInput{BasedOn: p.Version, Approve: true,
		Note: "Sovittu työnantajan kanssa puhelimessa."})
	require.NoError(t, err)
	assert.Equal(t, hoks.ProposalAccepted, acc.Status)
	assert.Equal(t, int64(3), acc.AcceptedAs, "an update of the approved plan")
	assert.Equal(t, int64(4), acc.ApprovedAs, "approved at once")
	assert.Equal(t, "Sovittu työnantajan kanssa puhelimessa.", acc.StaffNote, "the tutor sees the note")
	assert.Equal(t, int64(4), v.Number)
	assert.Equal(t, hoks.StatusApproved, v.Status)
	assert.Equal(t, moveJakso2().To, jakso2(v.Plan))
	v3, err := e.svc.Version(ctx, ct.Tutor, e.id, 3)
	require.NoError(t, err)
	assert.Equal(t, hoks.StatusUpdated, v3.Status)
	diff := hoks.Diff(mustVersion(t, e, 2).Plan, v3.Plan)
	require.Len(t, diff, 1, "the change and nothing else: %v", diff)
	assert.Equal(t, hoks.PeriodMoved, diff[0].Kind)

	sent = e.Deliver(t)
	n = ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: hoks.NoticeKindProposalDecided, RecipientID: e.student.ID})
	assert.Equal(t, coaching.Swedish, n.Recipient.Language)
	assert.Contains(t, n.Subject, "godkändes")
	assert.Contains(t, n.Body, "version 4")
	assert.NotContains(t, n.Body, "Sovittu")

	own, err := e.svc.Proposal(ctx, e.student, e.id, 1)
	require.NoError(t, err)
	assert.Equal(t, hoks.ProposalAccepted, own.Status)
	assert.Empty(t, own.StaffNote, "the student never sees the staff's note")
	sum, err = e.svc.Summary(ctx, guardian, e.id)
	require.NoError(t, err)
	assert.Zero(t, sum.OpenProposals)
	assert.Empty(t, sum.OpenProposalTitles)

	// The staff's note and its audit entry are hidden from the student.
	studentTrail := auditEvents(t, e, e.student)
	assert.Contains(t, studentTrail, "hoks_proposal_accepted")
	assert.NotContains(t, studentTrail, "hoks_staffnote_recorded")
	assert.Contains(t, auditEvents(t, e, ct.Tutor), "hoks_staffnote_recorded")
}

func mustVersion(t *testing.T, e voiceEnv, n int64) hoks.Version {
	t.Helper()
	v, err := e.svc.Version(context.Background(), ct.Tutor, e.id, n)
	require.NoError(t, err)
	return v
}

func auditEvents(t *testing.T, e voiceEnv, a coaching.Actor) []string {
	t.Helper()
	var out []string
	require.NoError(t, e.Engine.ReadCase(context.Background(), a, coaching.OpReadCase, e.id, func(v *coaching.CaseView) error {
		trail, err := v.AuditTrail()
		for _, en := range trail {
			out = append(out, en.Event)
		}
		return err
	}))
	return out
}

// Submitted → accepted / declined / withdrawn; a decided proposal takes no
// further event (a *coaching.TransitionError, nothing written).
func TestProposalStateMachine(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		do   func(e voiceEnv, p hoks.Proposal) (hoks.Proposal, error)
		want hoks.ProposalStatus
	}{
		{"accept", func(e voiceEnv, p hoks.Proposal) (hoks.Proposal, error) {
			out, _, err := e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p.Number, hoks.AcceptInput{BasedOn: p.Version})
			return out, err
		}, hoks.ProposalAccepted},
		{"decline", func(e voiceEnv, p hoks.Proposal) (hoks.Proposal, error) {
			return e.svc.DeclineProposal(ctx, ct.Tutor, e.id, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "Työpaikka ei voi siirtää jaksoa."})
		}, hoks.ProposalDeclined},
		{"withdraw", func(e voiceEnv, p hoks.Proposal) (hoks.Proposal, error) {
			return e.svc.WithdrawProposal(ctx, e.student, e.id, p.Number, hoks.WithdrawInput{BasedOn: p.Version})
		}, hoks.ProposalWithdrawn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newVoiceEnv(t)
			p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Siirto", Change: moveJakso2()})
			require.NoError(t, err)
			out, err := tc.do(e, p)
			require.NoError(t, err)
			assert.Equal(t, tc.want, out.Status)
			assert.Equal(t, int64(2), out.Version)
			versions := e.versions(t)
			// Every further event is refused by the machine.
			_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p.Number, hoks.AcceptInput{BasedOn: out.Version})
			ct.RequireNotAllowed(t, err)
			_, err = e.svc.DeclineProposal(ctx, ct.Tutor, e.id, p.Number, hoks.DeclineInput{BasedOn: out.Version, Reason: "x"})
			ct.RequireNotAllowed(t, err)
			_, err = e.svc.WithdrawProposal(ctx, e.student, e.id, p.Number, hoks.WithdrawInput{BasedOn: out.Version})
			ct.RequireNotAllowed(t, err)
			got, err := e.svc.Proposal(ctx, ct.Tutor, e.id, p.Number)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Status)
			assert.Equal(t, versions, e.versions(t), "no refused event wrote a plan version")
			if tc.want == hoks.ProposalDeclined {
				assert.Equal(t, "Työpaikka ei voi siirtää jaksoa.", got.Reason)
				n := ct.RequireNotice(t, e.Deliver(t), ct.NoticeMatch{Kind: hoks.NoticeKindProposalDecided, RecipientID: e.student.ID})
				assert.Contains(t, n.Subject, "ei hyväksytty")
				assert.NotContains(t, n.Body, "Työpaikka", "the reason is read in the service, not mailed")
			}
		})
	}
	assert.Contains(t, hoks.ProposalDiagram(), "submitted")
}

// The plan moved on after the proposal: a change whose part of the plan is
// as the student saw it is applied to the latest version; one whose period
// the tutor has since moved is refused with a *hoks.StaleProposalError (a
// validation error, not a conflict a retry would loop on), writing
// nothing, and can be accepted with an adjusted change; an adjusted change
// that does not apply to the latest version is refused naming the tutor's
// change, not the proposal.
func TestStaleProposal(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Siirto", Change: moveJakso2()})
	require.NoError(t, err)

	// The tutor changes something else: the teaching hours.
	cur := mustVersion(t, e, 2)
	cur.Plan.VocationalUnits[0].TeachingHours = hoks.Ref(320.0)
	v3, err := e.svc.SaveDraft(ctx, ct.Tutor, e.id, 2, cur.Plan)
	require.NoError(t, err)
	acc, v, err := e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p.Number, hoks.AcceptInput{BasedOn: p.Version})
	require.NoError(t, err, "made against version 2, applied to version 3")
	assert.Equal(t, v3.Number+1, acc.AcceptedAs)
	assert.Equal(t, moveJakso2().To, jakso2(v.Plan))
	assert.Equal(t, 320.0, *v.Plan.VocationalUnits[0].TeachingHours, "the tutor's change is kept")
	assert.Equal(t, hoks.StatusUpdated, v.Status, "still awaiting re-approval")
	require.Len(t, acc.AppliedChanges, 1, "what the acceptance changed: %v", acc.AppliedChanges)
	assert.Contains(t, acc.AppliedChanges[0], "2024-05-02–2024-07-31")

	// A second proposal on the same period; the tutor moves the period
	// herself before deciding.
	change := moveJakso2()
	change.From = moveJakso2().To
	change.To = hoks.Span{Start: coaching.NewDate(2024, 6, 3), End: coaching.NewDate(2024, 8, 30)}
	p2, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Vielä myöhemmäksi", Change: change})
	require.NoError(t, err)
	assert.Equal(t, int64(2), p2.Number)
	latest := mustVersion(t, e, 4)
	latest.Plan.VocationalUnits[0].Methods[1].Start = coaching.NewDate(2024, 5, 13)
	_, err = e.svc.SaveDraft(ctx, ct.Tutor, e.id, 4, latest.Plan)
	require.NoError(t, err)
	before := e.versions(t)

	_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p2.Number, hoks.AcceptInput{BasedOn: p2.Version, Note: "x"})
	var stale *hoks.StaleProposalError
	require.ErrorAs(t, err, &stale)
	assert.ErrorIs(t, err, coaching.ErrInvalid)
	assert.NotErrorIs(t, err, coaching.ErrConflict, "a reload-and-retry would loop: the proposal's version is still p2.Version")
	assert.Equal(t, int64(4), stale.PlanVersion, "the version the proposal was made against")
	assert.Equal(t, int64(5), stale.Current)
	assert.Equal(t, "change.from", stale.Problem.Field)
	assert.Contains(t, err.Error(), "no period 2024-05-02–2024-07-31")
	assert.Equal(t, before, e.versions(t), "nothing written")
	still, err := e.svc.Proposal(ctx, ct.Tutor, e.id, p2.Number)
	require.NoError(t, err)
	assert.Equal(t, hoks.ProposalSubmitted, still.Status)
	assert.Empty(t, still.StaffNote, "not even the note")

	// The tutor's own change made against an old version names the
	// tutor's change, not a stale proposal.
	_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p2.Number, hoks.AcceptInput{BasedOn: still.Version, Change: change})
	require.NotErrorAs(t, err, &stale)
	ct.RequireInvalid(t, err, "change.from")
	assert.Contains(t, err.Error(), "the latest version, 5")

	adjusted := *change
	adjusted.From.Start = coaching.NewDate(2024, 5, 13)
	acc2, v6, err := e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p2.Number, hoks.AcceptInput{BasedOn: still.Version, Change: &adjusted})
	require.NoError(t, err)
	require.NotNil(t, acc2.Applied)
	assert.Equal(t, adjusted.To, acc2.Applied.To)
	assert.Equal(t, change.To, jakso2(v6.Plan))
}

// Accepting goes through the plan's lifecycle: a change that breaks
// eHOKS's rules is a *hoks.PlanError, a plan whose status allows no change
// a *coaching.TransitionError — and nothing is half-saved: no plan
// version, no decision, no note, no notice.
func TestAcceptKeepsThePlansRules(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	long := moveJakso2()
	long.To.End = coaching.NewDate(2030, 1, 1) // a workplace period of over five years
	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Pitkä jakso", Change: long})
	require.NoError(t, err, "the proposal itself is fine; the plan it makes is checked on acceptance")
	e.Deliver(t)
	_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p.Number, hoks.AcceptInput{BasedOn: p.Version, Note: "x"})
	var pe *hoks.PlanError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 2, e.versions(t))
	got, err := e.svc.Proposal(ctx, ct.Tutor, e.id, p.Number)
	require.NoError(t, err)
	assert.Equal(t, hoks.ProposalSubmitted, got.Status)
	assert.Empty(t, got.StaffNote)
	assert.Empty(t, e.Deliver(t), "no notice")

	p2, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Siirto", Change: moveJakso2()})
	require.NoError(t, err)
	_, err = e.svc.ReachCompetence(ctx, ct.Tutor, e.id, 2, e.today)
	require.NoError(t, err)
	_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p2.Number, hoks.AcceptInput{BasedOn: p2.Version})
	ct.RequireNotAllowed(t, err, hoks.ActionComplete, hoks.ActionArchive)
	assert.Equal(t, 3, e.versions(t))
	// Nor does the student propose to a plan that can no longer change.
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Lisää", Description: "x"})
	ct.RequireNotAllowed(t, err, hoks.ActionComplete, hoks.ActionArchive)
	list, err := e.svc.Proposals(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	assert.Len(t, list, 2, "nothing stored")
}

// A proposal in words is accepted with a concrete change or with the plan
// as the tutor edited it; without either it is refused, naming the field.
// A goal change sets the career-plan goal.
func TestProposalInWordsAndGoal(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	words, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Lisää ohjausta", Description: "Toivon lisää opetusta ja ohjausta."})
	require.NoError(t, err)
	_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, words.Number, hoks.AcceptInput{BasedOn: words.Version})
	ct.RequireInvalid(t, err, "change")
	edited := mustVersion(t, e, 2).Plan
	edited.VocationalUnits[0].TeachingHours = hoks.Ref(350.0)
	_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, words.Number, hoks.AcceptInput{BasedOn: words.Version, Plan: edited, PlanBasedOn: 1})
	assert.ErrorIs(t, err, coaching.ErrConflict, "a plan edited from an old version")
	acc, v, err := e.svc.AcceptProposal(ctx, ct.Tutor, e.id, words.Number, hoks.AcceptInput{BasedOn: words.Version, Plan: edited, PlanBasedOn: 2})
	require.NoError(t, err)
	assert.Equal(t, int64(3), acc.AcceptedAs)
	assert.Equal(t, 350.0, *v.Plan.VocationalUnits[0].TeachingHours)

	goal, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Jatko-opinnot",
		Change: &hoks.PlanChange{Kind: hoks.ChangeGoal, Goal: "urasuunnitelma_0001"}})
	require.NoError(t, err)
	assert.Equal(t, "urasuunnitelma_0002", goal.Change.GoalBefore, "what the student saw")
	_, v, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, goal.Number, hoks.AcceptInput{BasedOn: goal.Version, Approve: true})
	require.NoError(t, err)
	assert.Equal(t, "urasuunnitelma_0001", *v.Plan.CareerPlanCodeURI)
	assert.Equal(t, hoks.StatusApproved, v.Status)

	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Sama",
		Change: &hoks.PlanChange{Kind: hoks.ChangeGoal, Goal: "urasuunnitelma_0001"}})
	ct.RequireInvalid(t, err, "change.goal")
}

// Bad input is a *coaching.ValidationError naming every bad field, and
// nothing is stored.
func TestProposalValidation(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	_, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "two\nlines", PlanVersion: -1,
		Change: &hoks.PlanChange{Kind: hoks.ChangeSchedule, To: hoks.Span{Start: coaching.NewDate(2024, 5, 2), End: coaching.NewDate(2024, 5, 1)}}})
	ct.RequireInvalid(t, err, "title", "plan_version", "change.unit", "change.from.start", "change.from.end", "change.to.end")
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{})
	ct.RequireInvalid(t, err, "title", "description")
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "x", Change: &hoks.PlanChange{Kind: "delete_everything"}})
	ct.RequireInvalid(t, err, "change.kind")
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "x", Change: &hoks.PlanChange{Kind: hoks.ChangeGoal, Goal: "astronaut"}})
	ct.RequireInvalid(t, err, "change.goal")
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "x", PlanVersion: 9, Description: "y"})
	ct.RequireInvalid(t, err, "plan_version")
	wrong := moveJakso2()
	wrong.From.Start = coaching.NewDate(2024, 4, 2)
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "x", Change: wrong})
	ct.RequireInvalid(t, err, "change.from")
	other := moveJakso2()
	other.Unit = "tutkinnonosat_999999"
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "x", Change: other})
	ct.RequireInvalid(t, err, "change.from")

	list, err := e.svc.Proposals(ctx, e.student, e.id)
	require.NoError(t, err)
	assert.Empty(t, list, "nothing stored")

	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "x", Change: moveJakso2()})
	require.NoError(t, err)
	_, err = e.svc.DeclineProposal(ctx, ct.Tutor, e.id, p.Number, hoks.DeclineInput{Note: strings.Repeat("n", 4001)})
	ct.RequireInvalid(t, err, "based_on", "reason", "note")
	_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p.Number, hoks.AcceptInput{BasedOn: 1, Change: moveJakso2(), Plan: &hoks.Plan{}})
	ct.RequireInvalid(t, err, "plan", "plan_based_on")
	_, err = e.svc.WithdrawProposal(ctx, e.student, e.id, p.Number, hoks.WithdrawInput{BasedOn: 0})
	ct.RequireInvalid(t, err, "based_on")
	_, err = e.svc.Proposal(ctx, e.student, e.id, 7)
	assert.ErrorIs(t, err, coaching.ErrNotFound)

	// A case without a plan has nothing to propose to.
	c := e.Enrol(t, coaching.ModelPilot, ct.Participant(), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	st := coaching.Actor{ID: "student-2", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	_, err = e.svc.Propose(ctx, st, c.ID, hoks.ProposalInput{Title: "x", Description: "y"})
	assert.ErrorIs(t, err, coaching.ErrNotFound)
}

// The feature's own rules: a guardian may not propose plan changes (the
// policy lets them propose contact changes), a coach on the team may not
// decide, and every refusal is logged.
func TestProposalRules(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	_, err := e.svc.Propose(ctx, guardian, e.id, hoks.ProposalInput{Title: "x", Description: "y"})
	fe := ct.RequireForbidden(t, err)
	assert.Equal(t, hoks.RuleStudentVoice, fe.Rule)
	_, err = e.svc.Comment(ctx, guardian, e.id, hoks.CommentInput{Text: "x"})
	assert.Equal(t, hoks.RuleStudentVoice, ct.RequireForbidden(t, err).Rule)
	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "x", Change: moveJakso2()})
	require.NoError(t, err)
	_, err = e.svc.DeclineProposal(ctx, ct.Coach, e.id, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "x"})
	assert.Equal(t, hoks.RuleProposalDecider, ct.RequireForbidden(t, err).Rule)
	_, err = e.svc.Proposals(ctx, guardian, e.id)
	assert.Equal(t, coaching.RuleGuardianScope, ct.RequireForbidden(t, err).Rule, "a guardian sees the summary's titles, not the proposals")

	var log []coaching.AccessEntry
	require.NoError(t, e.Store.View(ctx, func(tx coaching.ReadTx) error {
		var err error
		log, err = tx.AccessLog(ctx, coaching.AccessQuery{})
		return err
	}))
	var rules []string
	for _, a := range log {
		if !a.Allowed {
			rules = append(rules, a.Rule)
		}
	}
	assert.Equal(t, []string{hoks.RuleStudentVoice, hoks.RuleStudentVoice, hoks.RuleProposalDecider, coaching.RuleGuardianScope}, rules)

	// Without the families registered there is no service to write with.
	bare := ct.New(t, &ct.Options{Start: time.Date(2024, 4, 2, 10, 0, 0, 0, coaching.Helsinki)})
	_, err = hoks.NewService(bare.Engine)
	require.ErrorContains(t, err, "Options.Documents", "the service writes no plan and no proposal unguarded")
}

// Comments: the student's, kept in order, audited and read by the team;
// a comment on a proposal names one that exists.
func TestComments(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	_, err := e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: "Näyttö kannattaisi pitää keväällä.", Proposal: 3})
	ct.RequireInvalid(t, err, "proposal")
	_, err = e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: " "})
	ct.RequireInvalid(t, err, "text")
	c1, err := e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: "Hyvä suunnitelma."})
	require.NoError(t, err)
	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "x", Change: moveJakso2()})
	require.NoError(t, err)
	c2, err := e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: "Työnantaja on samaa mieltä.", Proposal: p.Number})
	require.NoError(t, err)
	assert.Equal(t, []int64{1, 2}, []int64{c1.Number, c2.Number})
	got, err := e.svc.Comments(ctx, ct.Coach, e.id)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "Hyvä suunnitelma.", got[0].Text)
	assert.Equal(t, p.Number, got[1].Proposal)
	assert.Equal(t, int64(2), got[1].PlanVersion)
	assert.Contains(t, auditEvents(t, e, ct.Coach), "hoks_comment_added")
	_, err = e.svc.Comments(ctx, guardian, e.id)
	ct.RequireForbidden(t, err)
}

// A student recognised by the sign-on id linked on their record (no
// relation asserted by the host) has their voice in the plan, as the
// policy recognises them; another student's sign-on id does not.
func TestStudentBySignOnProposes(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t, func(p *coaching.Participant) { p.SignOn = "idp|student-1" })
	signedIn := coaching.Actor{ID: "idp|student-1", Roles: []coaching.Role{coaching.RoleStudent}}
	_, err := e.svc.Comment(ctx, signedIn, e.id, hoks.CommentInput{Text: "Hyvä suunnitelma."})
	require.NoError(t, err)
	_, err = e.svc.Propose(ctx, signedIn, e.id, hoks.ProposalInput{Title: "x", Change: moveJakso2()})
	require.NoError(t, err)
	other := coaching.Actor{ID: "idp|student-2", Roles: []coaching.Role{coaching.RoleStudent}}
	_, err = e.svc.Comment(ctx, other, e.id, hoks.CommentInput{Text: "x"})
	assert.Equal(t, coaching.RuleStudentOther, ct.RequireForbidden(t, err).Rule)
}
