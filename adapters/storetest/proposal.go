package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// RunProposals drives the student's proposals to their plan (hoks: the
// student's voice in the HOKS) end to end over a store: the access matrix
// of every operation — propose, comment, withdraw, accept, decline, read —
// for the student themself, another student, the guardian of a minor, the
// guardian of an adult who has not consented, a teacher not on the team, a
// teacher on the team, the personal tutor and the head of studies; every
// refusal names its rule, leaves exactly one access-log entry and writes
// nothing. Then concurrent decisions on real goroutines: exactly one wins,
// every other gets a *coaching.ConflictError, and what the store keeps is
// the winner's alone. Proposals are case documents, so the suite checks
// the kernel's ports as a feature uses them. Adapters call it beside
// [Run]:
//
//	func TestProposals(t *testing.T) { storetest.RunProposals(t, newStore) }
func RunProposals(t *testing.T, newStore Harness) {
	t.Helper()
	t.Run("AccessMatrix", func(t *testing.T) { proposalMatrix(t, newStore(t)) })
	t.Run("ConcurrentDecisions", func(t *testing.T) { proposalRace(t, newStore(t)) })
}

// proposalWorld is an engine over the store with two pilot cases, each
// with an approved plan: a minor's (a guardian recorded) and an adult's (a
// guardian recorded, no consent), the same personal tutor and teacher on
// both teams.
type proposalWorld struct {
	ctx          context.Context
	store        coaching.Store
	eng          *coaching.Engine
	plans        *hoks.Service
	minor, adult coaching.CaseID
	// students by case.
	student map[coaching.CaseID]coaching.Actor
}

const proposalOrg coaching.OrganisationID = "org-proposals"

var (
	proposalTutor   = coaching.Actor{ID: "tutor-1", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	proposalTeacher = coaching.Actor{ID: "teacher-1", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleTeacher}}
	proposalHead    = coaching.Actor{ID: "head-1", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
)

// proposalPlan is a small valid plan: one vocational unit studied at
// school in the autumn.
func proposalPlan() *hoks.Plan {
	return &hoks.Plan{
		LearnerOID:        hoks.Ref("1.2.246.562.24.42016337194"),
		StudyRightOID:     hoks.Ref("1.2.246.562.15.76811932086"),
		NeedsCompetence:   hoks.Ref(true),
		CareerPlanCodeURI: hoks.Ref("urasuunnitelma_0002"),
		VocationalUnits: []hoks.VocationalUnit{{
			UnitCodeURI: hoks.Ref("tutkinnonosat_106233"), UnitCodeVersion: hoks.Ref(2),
			Methods: []hoks.AcquisitionMethod{{MethodCodeURI: hoks.Ref(hoks.MethodSchool), MethodCodeVersion: hoks.Ref(1),
				Start: coaching.NewDate(2026, 10, 1), End: coaching.NewDate(2026, 12, 18)}},
		}},
	}
}

func newProposalWorld(t *testing.T, store coaching.Store) *proposalWorld {
	t.Helper()
	require.NotNil(t, store, "the harness returned a nil store")
	ctx := t.Context()
	now := time.Date(2026, 9, 14, 10, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return now }), Documents: hoks.ProposalDocuments()})
	require.NoError(t, err)
	plans, err := hoks.NewService(eng)
	require.NoError(t, err)
	w := &proposalWorld{ctx: ctx, store: store, eng: eng, plans: plans, student: map[coaching.CaseID]coaching.Actor{}}
	team := []coaching.TeamMember{
		{ActorID: proposalTutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor", Contact: coaching.Contact{Email: "tutor@example.fi"}, Language: coaching.Finnish},
		{ActorID: proposalTeacher.ID, Role: coaching.RoleTeacher, Name: "Olli Opettaja"},
	}
	for _, p := range []coaching.Participant{
		{ID: "p-minor", Organisation: proposalOrg, GivenNames: "Aino", FamilyName: "Alaikäinen", BirthDate: coaching.NewDate(2010, 5, 1),
			Language: coaching.Swedish, Contact: coaching.Contact{Email: "aino@example.fi"},
			Guardians: []coaching.Guardian{{ID: "guardian-minor", Name: "Anne Alaikäinen", Contact: coaching.Contact{Email: "anne@example.fi"}}}},
		{ID: "p-adult", Organisation: proposalOrg, GivenNames: "Eetu", FamilyName: "Aikuinen", BirthDate: coaching.NewDate(2006, 3, 3),
			Language: coaching.Finnish, Contact: coaching.Contact{Email: "eetu@example.fi"},
			Guardians: []coaching.Guardian{{ID: "guardian-adult", Name: "Jari Aikuinen", Contact: coaching.Contact{Email: "jari@example.fi"}}}},
	} {
		c, err := eng.Enrol(ctx, proposalTutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p, CaseID: coaching.CaseID("c-" + p.ID), Team: team})
		require.NoError(t, err)
		v, err := plans.SaveDraft(ctx, proposalTutor, c.ID, 0, proposalPlan())
		require.NoError(t, err)
		_, err = plans.Approve(ctx, proposalTutor, c.ID, v.Number, coaching.DateOf(now))
		require.NoError(t, err)
		w.student[c.ID] = coaching.Actor{ID: "student-" + string(p.ID), Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleStudent},
			Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: p.ID}}}
	}
	w.minor, w.adult = "c-p-minor", "c-p-adult"
	return w
}

// open has the case's student propose a change in words and returns it.
func (w *proposalWorld) open(t *testing.T, id coaching.CaseID) hoks.Proposal {
	t.Helper()
	p, err := w.plans.Propose(w.ctx, w.student[id], id, hoks.ProposalInput{Title: "Lisää ohjausta", Description: "Toivon lisää ohjausta."})
	require.NoError(t, err)
	return p
}

// accept accepts proposal p as actor with the plan as it stands (read by
// the tutor), approving it at once.
func (w *proposalWorld) accept(actor coaching.Actor, id coaching.CaseID, p hoks.Proposal) error {
	cur, err := w.plans.Current(w.ctx, proposalTutor, id)
	if err != nil {
		return err
	}
	cur.Plan.VocationalUnits[0].TeachingHours = hoks.Ref(float64(100 + cur.Number))
	_, _, err = w.plans.AcceptProposal(w.ctx, actor, id, p.Number, hoks.AcceptInput{BasedOn: p.Version, Plan: cur.Plan, PlanBasedOn: cur.Number,
		ApproveOn: coaching.NewDate(2026, 9, 14), Note: "Sovittu."})
	return err
}

func (w *proposalWorld) caseVersion(t *testing.T, id coaching.CaseID) int64 {
	t.Helper()
	var c coaching.Case
	require.NoError(t, w.store.View(w.ctx, func(tx coaching.ReadTx) error {
		var err error
		c, err = tx.Case(w.ctx, id)
		return err
	}))
	return c.Version
}

func proposalMatrix(t *testing.T, store coaching.Store) {
	w := newProposalWorld(t, store)
	const A = "allow"
	gs, ga := coaching.RuleGuardianScope, coaching.RuleGuardianAge
	so, st, voice := coaching.RuleStudentOther, coaching.RuleSupportTeam, hoks.RuleStudentVoice
	guardianOf := func(id string) coaching.Actor {
		return coaching.Actor{ID: id, Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	}
	ops := []string{"propose", "comment", "withdraw", "accept", "decline", "read"}
	rows := []struct {
		who   string
		actor coaching.Actor
		ward  coaching.CaseID
		want  []string // per ops: allow or the denying rule
	}{
		{"student themself", w.student[w.minor], w.minor, []string{A, A, A, coaching.RuleStudentSelf, coaching.RuleStudentSelf, A}},
		{"another student", w.student[w.adult], w.minor, []string{so, so, so, so, so, so}},
		{"guardian of a minor", guardianOf("guardian-minor"), w.minor, []string{voice, voice, voice, gs, gs, gs}},
		{"guardian of an adult without consent", guardianOf("guardian-adult"), w.adult, []string{ga, ga, ga, gs, gs, ga}},
		{"teacher not on the team", coaching.Actor{ID: "teacher-2", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleTeacher}},
			w.minor, []string{st, st, st, st, st, st}},
		{"teacher on the team", proposalTeacher, w.minor, []string{st, st, st, hoks.RuleProposalDecider, hoks.RuleProposalDecider, A}},
		{"personal tutor", proposalTutor, w.minor, []string{st, st, st, A, A, A}},
		{"head of studies", proposalHead, w.minor, []string{st, st, st, A, A, A}},
	}
	for _, r := range rows {
		for i, op := range ops {
			t.Run(r.who+"/"+op, func(t *testing.T) {
				// withdraw and decide act on an open proposal the
				// student has just made.
				var p hoks.Proposal
				if op == "withdraw" || op == "accept" || op == "decline" {
					p = w.open(t, r.ward)
				}
				before := accessEntries(t, store)
				version := w.caseVersion(t, r.ward)
				var err error
				switch op {
				case "propose":
					_, err = w.plans.Propose(w.ctx, r.actor, r.ward, hoks.ProposalInput{Title: "Ehdotus", Description: "Kuvaus."})
				case "comment":
					_, err = w.plans.Comment(w.ctx, r.actor, r.ward, hoks.CommentInput{Text: "Kommentti."})
				case "withdraw":
					_, err = w.plans.WithdrawProposal(w.ctx, r.actor, r.ward, p.Number, p.Version)
				case "accept":
					err = w.accept(r.actor, r.ward, p)
				case "decline":
					_, err = w.plans.DeclineProposal(w.ctx, r.actor, r.ward, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "Ei nyt.", Note: "Sisäinen."})
				case "read":
					var list []hoks.Proposal
					list, err = w.plans.Proposals(w.ctx, r.actor, r.ward)
					if err == nil {
						assert.NotEmpty(t, list, "the ward's proposals")
						for _, got := range list {
							if !r.actor.HasRole(coaching.RoleHeadOfStudies) && r.actor.ID != proposalTutor.ID && r.actor.ID != proposalTeacher.ID {
								assert.Empty(t, got.StaffNote, "only staff read the staff's notes")
							}
						}
					}
				}
				if r.want[i] == A {
					require.NoError(t, err)
					return
				}
				var fe *coaching.ForbiddenError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, r.want[i], fe.Rule, "%s: %v", r.who, err)
				after := accessEntries(t, store)
				require.Len(t, after, len(before)+1, "one access-log entry per denial")
				assert.Equal(t, r.want[i], after[len(after)-1].Rule)
				assert.False(t, after[len(after)-1].Allowed)
				assert.Equal(t, version, w.caseVersion(t, r.ward), "a refusal writes nothing")
			})
		}
	}
	// The guardian of the minor sees the open proposals' titles in the
	// plan's summary, and nothing else of them.
	sum, err := w.plans.Summary(w.ctx, guardianOf("guardian-minor"), w.minor)
	require.NoError(t, err)
	assert.Equal(t, len(sum.OpenProposalTitles), sum.OpenProposals)
	assert.NotZero(t, sum.OpenProposals)
	_, err = w.plans.Summary(w.ctx, guardianOf("guardian-adult"), w.adult)
	var fe *coaching.ForbiddenError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, ga, fe.Rule)
}

// proposalRace decides one proposal from many goroutines at once: the
// tutor accepting, the head of studies declining, the student
// withdrawing.
func proposalRace(t *testing.T, store coaching.Store) {
	w := newProposalWorld(t, store)
	for round := range 3 {
		p := w.open(t, w.minor)
		versions, err := w.plans.History(w.ctx, proposalTutor, w.minor)
		require.NoError(t, err)
		const n = 6
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				switch i % 3 {
				case 0:
					errs[i] = w.accept(proposalTutor, w.minor, p)
				case 1:
					_, errs[i] = w.plans.DeclineProposal(w.ctx, proposalHead, w.minor, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "Ei nyt."})
				default:
					_, errs[i] = w.plans.WithdrawProposal(w.ctx, w.student[w.minor], w.minor, p.Number, p.Version)
				}
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "round %d: two decisions won (%d and %d)", round, winner, i)
				winner = i
				continue
			}
			var ce *coaching.ConflictError
			require.ErrorAs(t, err, &ce, "round %d: decision %d lost with a conflict", round, i)
		}
		require.NotEqual(t, -1, winner, "round %d: one decision wins", round)
		got, err := w.plans.Proposal(w.ctx, proposalTutor, w.minor, p.Number)
		require.NoError(t, err)
		assert.Equal(t, int64(2), got.Version, "one decision stored")
		want := []hoks.ProposalStatus{hoks.ProposalAccepted, hoks.ProposalDeclined, hoks.ProposalWithdrawn}[winner%3]
		assert.Equal(t, want, got.Status)
		after, err := w.plans.History(w.ctx, proposalTutor, w.minor)
		require.NoError(t, err)
		added := 0
		if want == hoks.ProposalAccepted {
			added = 2 // the update and its approval
			assert.Equal(t, int64(len(after)), got.ApprovedAs)
		}
		assert.Len(t, after, len(versions)+added, "the plan's versions are the winner's alone")
	}
}
