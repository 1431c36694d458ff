package hoks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// seen is what one actor learns of the proposals through every door the
// kernel and the feature have: the summary's titles, the generic document
// read, the notices and the audit trail.
type seen struct {
	summaryTitles []string
	summaryOpen   int
	documents     map[string]error // kind → the generic read's error
	texts         []string         // data of documents read, notices' bodies
	auditEvents   []string         // hoks_proposal_*, hoks_comment_*, hoks_staffnote_*
}

func look(t *testing.T, e voiceEnv, a coaching.Actor, op coaching.Operation) seen {
	t.Helper()
	ctx := context.Background()
	var s seen
	if sum, err := e.svc.Summary(ctx, a, e.id); err == nil {
		s.summaryTitles, s.summaryOpen = sum.OpenProposalTitles, sum.OpenProposals
	}
	s.documents = map[string]error{}
	require.NoError(t, e.Engine.ReadCase(ctx, a, op, e.id, func(v *coaching.CaseView) error {
		for _, kind := range []string{"hoks_proposal_1", "hoks_comment_1", "hoks_staffnote_1"} {
			d, err := v.Document(kind, 0)
			s.documents[kind] = err
			if err == nil {
				s.texts = append(s.texts, string(d.Data))
			}
			ds, err := v.Documents(kind)
			if err == nil {
				for _, d := range ds {
					s.texts = append(s.texts, string(d.Data))
				}
			}
		}
		if ns, err := v.Notices(); err == nil {
			for _, n := range ns {
				s.texts = append(s.texts, n.Subject+" "+n.Body)
			}
		}
		if trail, err := v.AuditTrail(); err == nil {
			for _, en := range trail {
				if strings.HasPrefix(en.Event, "hoks_proposal_") || strings.HasPrefix(en.Event, "hoks_comment_") || strings.HasPrefix(en.Event, "hoks_staffnote_") {
					s.auditEvents = append(s.auditEvents, en.Event)
				}
			}
		}
		return nil
	}))
	return s
}

// A workplace instructor and a peer coach on the team — possibly the very
// person a student's proposal is about — learn nothing of the proposals,
// comments or staff notes through any door: the summary's titles, the
// generic document read, the notices or the audit trail. The student and
// the guardian read proposals only through the feature (the generic read
// refuses the private families), and never the staff's note.
func TestProposalsHiddenFromWorkplaceInstructorAndPeerCoach(t *testing.T) {
	ctx := context.Background()
	wi := coaching.Actor{ID: "wi-1", Roles: []coaching.Role{coaching.RoleWorkplaceInstructor}}
	peer := coaching.Actor{ID: "peer-1", Roles: []coaching.Role{coaching.RolePeerCoach}}
	e := newVoiceEnv(t)
	for _, a := range []struct {
		actor coaching.Actor
		role  coaching.Role
	}{{wi, coaching.RoleWorkplaceInstructor}, {peer, coaching.RolePeerCoach}} {
		m := ct.TeamMember(a.actor, a.role)
		_, err := e.Engine.ChangeCase(ctx, ct.Tutor, coaching.OpChangeCase, e.id, func(ch *coaching.CaseChange) error {
			return ch.ChangeTeam(coaching.TeamChange{Add: &m, Reason: "työpaikalla oppiminen"})
		})
		require.NoError(t, err)
	}
	const secret = "Työpaikkaohjaaja huutaa minulle joka päivä."
	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Vaihto pois tältä työpaikalta", Description: secret})
	require.NoError(t, err)
	_, err = e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: "Ohjaaja ei saa tietää tästä."})
	require.NoError(t, err)
	_, err = e.svc.DeclineProposal(ctx, ct.Tutor, e.id, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "Selvitetään ensin ohjaajan kanssa.", Note: "SISÄINEN"})
	require.NoError(t, err)
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Vaihto pois, toinen yritys", Description: "x"})
	require.NoError(t, err)

	for _, a := range []coaching.Actor{wi, peer} {
		t.Run(string(a.Roles[0]), func(t *testing.T) {
			_, err := e.svc.Proposals(ctx, a, e.id)
			assert.Equal(t, coaching.RuleSupportTeam, ct.RequireForbidden(t, err).Rule)
			_, err = e.svc.Comments(ctx, a, e.id)
			ct.RequireForbidden(t, err)
			s := look(t, e, a, coaching.OpReadCase)
			assert.Empty(t, s.summaryTitles, "no titles in the summary")
			assert.Zero(t, s.summaryOpen, "not even how many")
			for kind, err := range s.documents {
				assert.Error(t, err, "the generic read of %s", kind)
			}
			assert.Empty(t, s.auditEvents, "no audit entries of the proposals")
			for _, text := range s.texts {
				assert.NotContains(t, text, "Vaihto pois")
				assert.NotContains(t, text, "huutaa")
			}
		})
	}

	// The student reads their proposals through the feature, not the
	// generic read, and never the note; the tutor reads the note through
	// the feature only.
	st := look(t, e, e.student, coaching.OpReadCase)
	for kind, err := range st.documents {
		assert.Equal(t, coaching.RuleFeatureDocument, ct.RequireForbidden(t, err).Rule, kind)
	}
	assert.Contains(t, st.auditEvents, "hoks_proposal_declined")
	assert.NotContains(t, st.auditEvents, "hoks_staffnote_recorded")
	for _, text := range st.texts {
		assert.NotContains(t, text, "SISÄINEN")
	}
	tu := look(t, e, ct.Tutor, coaching.OpReadCase)
	assert.Equal(t, coaching.RuleFeatureDocument, ct.RequireForbidden(t, tu.documents["hoks_staffnote_1"]).Rule)
	assert.Contains(t, tu.auditEvents, "hoks_staffnote_recorded")
	assert.Equal(t, []string{"Vaihto pois, toinen yritys"}, tu.summaryTitles)
	got, err := e.svc.Proposal(ctx, ct.Tutor, e.id, p.Number)
	require.NoError(t, err)
	assert.Equal(t, "SISÄINEN", got.StaffNote)
	assert.Equal(t, secret, got.Description)

	g := look(t, e, guardian, coaching.OpReadHOKSSummary)
	assert.Equal(t, []string{"Vaihto pois, toinen yritys"}, g.summaryTitles, "the guardian of a minor sees the open titles")
	for kind, err := range g.documents {
		assert.Error(t, err, kind)
	}
	for _, text := range g.texts {
		assert.NotContains(t, text, "huutaa")
		assert.NotContains(t, text, "SISÄINEN")
	}
}

// Nobody decides their own proposal: an actor who is both a student and
// the head of studies proposes a change to their own plan, and accepting
// or declining it is refused by hoks_own_proposal, logged with the case.
func TestNobodyDecidesTheirOwnProposal(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	dual := e.student
	dual.Roles = []coaching.Role{coaching.RoleStudent, coaching.RoleHeadOfStudies}
	p, err := e.svc.Propose(ctx, dual, e.id, hoks.ProposalInput{Title: "Siirto", Change: moveJakso2()})
	require.NoError(t, err)
	_, _, err = e.svc.AcceptProposal(ctx, dual, e.id, p.Number, hoks.AcceptInput{BasedOn: p.Version, Approve: true, Note: "itse"})
	fe := ct.RequireForbidden(t, err)
	assert.Equal(t, hoks.RuleOwnProposal, fe.Rule)
	_, err = e.svc.DeclineProposal(ctx, dual, e.id, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "x"})
	assert.Equal(t, hoks.RuleOwnProposal, ct.RequireForbidden(t, err).Rule)
	// The same head of studies, signed in without the student's relation
	// but under the id that made the proposal, is refused too.
	head := coaching.Actor{ID: dual.ID, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	_, err = e.svc.DeclineProposal(ctx, head, e.id, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "x"})
	assert.Equal(t, hoks.RuleOwnProposal, ct.RequireForbidden(t, err).Rule)
	assert.Equal(t, 2, e.versions(t))
	var log []coaching.AccessEntry
	require.NoError(t, e.Store.View(ctx, func(tx coaching.ReadTx) error {
		log, err = tx.AccessLog(ctx, coaching.AccessQuery{})
		return err
	}))
	last := log[len(log)-1]
	assert.Equal(t, hoks.RuleOwnProposal, last.Rule)
	assert.Equal(t, e.id, last.CaseID, "the refusal names the case")
	got, err := e.svc.Proposal(ctx, ct.Tutor, e.id, p.Number)
	require.NoError(t, err)
	assert.Equal(t, hoks.ProposalSubmitted, got.Status)
}

// A period is identified as the student saw it — by its identifier, kind
// and workplace, not by its dates alone: the tutor replaces the
// apprenticeship period by a school period on the same dates, or moves it
// gives it to another period (a new identifier), or puts it at a workplace,
// and accepting the student's proposal is refused as
// stale instead of moving the other period.
func TestStaleWhenThePeriodIsNoLongerTheOneTheStudentSaw(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(ms []hoks.AcquisitionMethod)
		want string
	}{
		{"now a school period", func(ms []hoks.AcquisitionMethod) {
			m := &ms[1]
			m.MethodCodeURI = hoks.Ref(hoks.MethodSchool)
			m.Workplace, m.PeriodID, m.PartTimePercent, m.ApprenticeshipBasisCodeURI, m.ApprenticeshipBasisCodeVersion = nil, nil, nil, nil, nil
		}, "no period"},
		{"another period in its place", func(ms []hoks.AcquisitionMethod) {
			ms[1].PeriodID = hoks.Ref("jakso-3")
		}, "no period jakso-2"},
		{"now at a workplace", func(ms []hoks.AcquisitionMethod) {
			w := *ms[0].Workplace
			ms[1].Workplace = &w
		}, "now at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newVoiceEnv(t)
			p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Siirto", Change: moveJakso2()})
			require.NoError(t, err)
			require.NotNil(t, p.Change.Period)
			assert.Equal(t, "jakso-2", p.Change.Period.PeriodID, "what the student saw is kept")
			cur := mustVersion(t, e, 2)
			tc.edit(cur.Plan.VocationalUnits[0].Methods)
			_, err = e.svc.SaveDraft(ctx, ct.Tutor, e.id, 2, cur.Plan)
			require.NoError(t, err)
			_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p.Number, hoks.AcceptInput{BasedOn: p.Version})
			var stale *hoks.StaleProposalError
			require.ErrorAs(t, err, &stale)
			assert.Contains(t, stale.Problem.Message, tc.want)
			assert.Equal(t, 3, e.versions(t), "nothing written")
		})
	}
}

// Proposals are bounded: at most hoks.MaxOpenProposals open at once (the
// next is refused naming open_proposals, and no notice goes out for it);
// a withdrawal makes room again.
func TestOpenProposalsAreBounded(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	var ps []hoks.Proposal
	for i := range hoks.MaxOpenProposals {
		p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: fmt.Sprint("Ehdotus ", i), Description: "x"})
		require.NoError(t, err)
		ps = append(ps, p)
	}
	_, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Yksi liikaa", Description: "x"})
	ct.RequireInvalid(t, err, "open_proposals")
	assert.Len(t, e.Deliver(t), hoks.MaxOpenProposals, "one notice to the tutor per proposal stored")
	sum, err := e.svc.Summary(ctx, guardian, e.id)
	require.NoError(t, err)
	assert.Equal(t, hoks.MaxOpenProposals, sum.OpenProposals)
	assert.Len(t, sum.OpenProposalTitles, hoks.MaxOpenProposals)
	_, err = e.svc.WithdrawProposal(ctx, e.student, e.id, ps[0].Number, hoks.WithdrawInput{BasedOn: ps[0].Version})
	require.NoError(t, err)
	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Nyt mahtuu", Description: "x"})
	require.NoError(t, err)
	assert.Equal(t, int64(hoks.MaxOpenProposals+1), p.Number)
}

// Accepting with the plan as it is, or with the goal the plan already has,
// writes no version: the proposal records the latest version as the one
// it is in, and no applied changes.
func TestAcceptThatChangesNothingWritesNoVersion(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Lisää ohjausta", Description: "x"})
	require.NoError(t, err)
	cur := mustVersion(t, e, 2)
	acc, v, err := e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p.Number, hoks.AcceptInput{BasedOn: p.Version, Plan: cur.Plan, PlanBasedOn: 2})
	require.NoError(t, err)
	assert.Equal(t, int64(2), acc.AcceptedAs)
	assert.Equal(t, int64(2), v.Number)
	assert.Empty(t, acc.AppliedChanges)
	assert.Equal(t, 2, e.versions(t))

	p2, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "y", Description: "x"})
	require.NoError(t, err)
	acc, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p2.Number, hoks.AcceptInput{BasedOn: p2.Version,
		Change: &hoks.PlanChange{Kind: hoks.ChangeGoal, Goal: *cur.Plan.CareerPlanCodeURI}})
	require.NoError(t, err)
	assert.Equal(t, int64(2), acc.AcceptedAs)
	assert.Equal(t, 2, e.versions(t))

	// A real change records what it changed.
	p3, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "z", Description: "x"})
	require.NoError(t, err)
	cur.Plan.VocationalUnits[0].TeachingHours = hoks.Ref(350.0)
	acc, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p3.Number, hoks.AcceptInput{BasedOn: p3.Version, Plan: cur.Plan, PlanBasedOn: 2})
	require.NoError(t, err)
	assert.Equal(t, int64(3), acc.AcceptedAs)
	require.Len(t, acc.AppliedChanges, 1)
	assert.Contains(t, acc.AppliedChanges[0], "350")
}

// Approving at once does not approve someone else's unreviewed edits: a
// coach's pending update refuses Approve (naming approve, nothing
// written), and the acceptance without approval goes through.
func TestApproveRefusesOthersPendingEdits(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Siirto", Change: moveJakso2()})
	require.NoError(t, err)
	cur := mustVersion(t, e, 2)
	cur.Plan.VocationalUnits[0].TeachingHours = hoks.Ref(1.0)
	_, err = e.svc.SaveDraft(ctx, ct.Coach, e.id, 2, cur.Plan)
	require.NoError(t, err)
	_, _, err = e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p.Number, hoks.AcceptInput{BasedOn: p.Version, Approve: true})
	ct.RequireInvalid(t, err, "approve")
	assert.Equal(t, 3, e.versions(t), "nothing written")
	acc, v, err := e.svc.AcceptProposal(ctx, ct.Tutor, e.id, p.Number, hoks.AcceptInput{BasedOn: p.Version})
	require.NoError(t, err)
	assert.Zero(t, acc.ApprovedAs)
	assert.Equal(t, hoks.StatusUpdated, v.Status)

	// The tutor's own pending edits are theirs to approve.
	e2 := newVoiceEnv(t)
	p, err = e2.svc.Propose(ctx, e2.student, e2.id, hoks.ProposalInput{Title: "Siirto", Change: moveJakso2()})
	require.NoError(t, err)
	cur = mustVersion(t, e2, 2)
	cur.Plan.VocationalUnits[0].TeachingHours = hoks.Ref(1.0)
	_, err = e2.svc.SaveDraft(ctx, ct.Tutor, e2.id, 2, cur.Plan)
	require.NoError(t, err)
	acc, v, err = e2.svc.AcceptProposal(ctx, ct.Tutor, e2.id, p.Number, hoks.AcceptInput{BasedOn: p.Version, Approve: true})
	require.NoError(t, err)
	assert.Equal(t, int64(5), acc.ApprovedAs)
	assert.Equal(t, hoks.StatusApproved, v.Status)
	assert.Equal(t, e2.today, coaching.DateOf(v.Plan.Approved.Time), "approved today")
}

// A student moves a period to dates still ahead: a new start or end
// before today is refused; a period under way keeps its start.
func TestNoProposalIntoThePast(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	ch := moveJakso2()
	ch.To = hoks.Span{Start: coaching.NewDate(1999, 1, 1), End: coaching.NewDate(1999, 2, 1)}
	_, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Menneisyyteen", Change: ch})
	ct.RequireInvalid(t, err, "change.to.start", "change.to.end")
	// jakso-2 began on 2024-04-01, before today (2024-04-02): lengthening
	// it keeps its start.
	ch = moveJakso2()
	ch.To = hoks.Span{Start: ch.From.Start, End: coaching.NewDate(2024, 7, 31)}
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Pidemmäksi", Change: ch})
	require.NoError(t, err)
}
