package storetest

import (
	"context"
	"errors"
	"strings"
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
// for the student themself (a minor, and an adult on their own case),
// another student, the guardian of a minor, another student's guardian,
// the guardian of an adult who has not consented and of one who has, a
// teacher not on the team, a teacher on the team, the personal tutor, the
// study counsellor, the head of studies, and a workplace instructor and a
// peer coach on the team; every refusal names its rule, leaves exactly one
// access-log entry and writes nothing. For each row the read column also
// checks every other door to the proposals: the summary's titles, the
// generic document read (refused to all: the families are private), the
// notices and the audit trail — a workplace instructor or peer coach
// learns nothing of them — and that the staff's note on a decided
// proposal reaches exactly those who may decide. Then concurrent
// decisions on real goroutines (exactly one wins, every other gets a
// *coaching.ConflictError, and what the store keeps is the winner's
// alone) and concurrent proposals and comments (all stored, numbered
// apart).
// Proposals are case documents, so the suite checks the kernel's ports as
// a feature uses them. Adapters call it beside [Run]:
//
//	func TestProposals(t *testing.T) { storetest.RunProposals(t, newStore) }
func RunProposals(t *testing.T, newStore Harness) {
	t.Helper()
	t.Run("AccessMatrix", func(t *testing.T) { proposalMatrix(t, newStore(t)) })
	t.Run("ConcurrentDecisions", func(t *testing.T) { proposalRace(t, newStore(t)) })
	t.Run("ConcurrentProposals", func(t *testing.T) { proposalsAtOnce(t, newStore(t)) })
}

// proposalWorld is an engine over the store with three pilot cases, each
// with an approved plan: a minor's (a guardian recorded), an adult's (a
// guardian recorded, no consent) and a consenting adult's, the same
// personal tutor, teacher, study counsellor, workplace instructor and peer
// coach on every team. Each case has a proposal the tutor declined with a
// staff note and one that stays open.
type proposalWorld struct {
	ctx                   context.Context
	store                 coaching.Store
	eng                   *coaching.Engine
	plans                 *hoks.Service
	minor, adult, consent coaching.CaseID
	// students by case.
	student map[coaching.CaseID]coaching.Actor
	// kept is the proposal of each case that stays open.
	kept map[coaching.CaseID]int64
}

const proposalOrg coaching.OrganisationID = "org-proposals"

// proposalNote is the staff's note on each case's declined proposal, and
// proposalKept the title of the proposal that stays open.
const (
	proposalNote = "Sisäinen: keskusteltu työpaikan kanssa."
	proposalKept = "Pysyvä ehdotus"
)

var (
	proposalTutor      = coaching.Actor{ID: "tutor-1", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	proposalTeacher    = coaching.Actor{ID: "teacher-1", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleTeacher}}
	proposalCounsellor = coaching.Actor{ID: "counsellor-1", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleStudyCounsellor}}
	proposalHead       = coaching.Actor{ID: "head-1", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	proposalInstructor = coaching.Actor{ID: "instructor-1", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleWorkplaceInstructor}}
	proposalPeer       = coaching.Actor{ID: "peer-1", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RolePeerCoach}}
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
		Clock: coaching.ClockFunc(func() time.Time { return now }), Documents: hoks.Documents()})
	require.NoError(t, err)
	plans, err := hoks.NewService(eng)
	require.NoError(t, err)
	w := &proposalWorld{ctx: ctx, store: store, eng: eng, plans: plans, student: map[coaching.CaseID]coaching.Actor{}, kept: map[coaching.CaseID]int64{}}
	team := []coaching.TeamMember{
		{ActorID: proposalTutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor", Contact: coaching.Contact{Email: "tutor@example.fi"}, Language: coaching.Finnish},
		{ActorID: proposalTeacher.ID, Role: coaching.RoleTeacher, Name: "Olli Opettaja"},
		{ActorID: proposalCounsellor.ID, Role: coaching.RoleStudyCounsellor, Name: "Oona Opo"},
		{ActorID: proposalInstructor.ID, Role: coaching.RoleWorkplaceInstructor, Name: "Tapio Työpaikka", Contact: coaching.Contact{Email: "tapio@example.fi"}},
		{ActorID: proposalPeer.ID, Role: coaching.RolePeerCoach, Name: "Veera Vertainen", Contact: coaching.Contact{Email: "veera@example.fi"}},
	}
	consent := coaching.ConsentRecord{GivenOn: coaching.NewDate(2026, 9, 8), GivenVia: coaching.ConsentBySelf}
	for _, p := range []coaching.Participant{
		{ID: "p-minor", Organisation: proposalOrg, GivenNames: "Aino", FamilyName: "Alaikäinen", BirthDate: coaching.NewDate(2010, 5, 1),
			Language: coaching.Swedish, Contact: coaching.Contact{Email: "aino@example.fi"},
			Guardians: []coaching.Guardian{{ID: "guardian-minor", Name: "Anne Alaikäinen", Contact: coaching.Contact{Email: "anne@example.fi"}}}},
		{ID: "p-adult", Organisation: proposalOrg, GivenNames: "Eetu", FamilyName: "Aikuinen", BirthDate: coaching.NewDate(2006, 3, 3),
			Language: coaching.Finnish, Contact: coaching.Contact{Email: "eetu@example.fi"},
			Guardians: []coaching.Guardian{{ID: "guardian-adult", Name: "Jari Aikuinen", Contact: coaching.Contact{Email: "jari@example.fi"}}}},
		{ID: "p-consent", Organisation: proposalOrg, GivenNames: "Sara", FamilyName: "Suostunut", BirthDate: coaching.NewDate(2007, 1, 9),
			Language: coaching.Finnish, Contact: coaching.Contact{Email: "sara@example.fi"}, GuardianConsent: consent,
			Guardians: []coaching.Guardian{{ID: "guardian-consent", Name: "Sami Suostunut", Contact: coaching.Contact{Email: "sami@example.fi"}}}},
	} {
		c, err := eng.Enrol(ctx, proposalTutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p, CaseID: coaching.OrganisationCaseID(p.Organisation, "c-"+string(p.ID)), Team: team})
		require.NoError(t, err)
		v, err := plans.SaveDraft(ctx, proposalTutor, c.ID, 0, proposalPlan())
		require.NoError(t, err)
		_, err = plans.Approve(ctx, proposalTutor, c.ID, v.Number, coaching.DateOf(now))
		require.NoError(t, err)
		w.student[c.ID] = coaching.Actor{ID: "student-" + string(p.ID), Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleStudent},
			Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: p.ID}}}
		declined := w.open(t, c.ID)
		_, err = plans.DeclineProposal(ctx, proposalTutor, c.ID, declined.Number, hoks.DeclineInput{BasedOn: declined.Version, Reason: "Ei nyt.", Note: proposalNote})
		require.NoError(t, err)
		kept, err := plans.Propose(ctx, w.student[c.ID], c.ID, hoks.ProposalInput{Title: proposalKept, Description: "Toivon muutosta."})
		require.NoError(t, err)
		w.kept[c.ID] = kept.Number
	}
	w.minor = coaching.OrganisationCaseID(proposalOrg, "c-p-minor")
	w.adult = coaching.OrganisationCaseID(proposalOrg, "c-p-adult")
	w.consent = coaching.OrganisationCaseID(proposalOrg, "c-p-consent")
	return w
}

// open has the case's student propose a change in words and returns it.
func (w *proposalWorld) open(t *testing.T, id coaching.CaseID) hoks.Proposal {
	t.Helper()
	p, err := w.plans.Propose(w.ctx, w.student[id], id, hoks.ProposalInput{Title: "Lisää ohjausta", Description: "Toivon lisää ohjausta."})
	require.NoError(t, err)
	return p
}

// tidy withdraws the case's open proposals but the kept one, as its
// student, so that the next row has room to propose.
func (w *proposalWorld) tidy(t *testing.T, id coaching.CaseID) {
	t.Helper()
	ps, err := w.plans.Proposals(w.ctx, proposalTutor, id)
	require.NoError(t, err)
	for _, p := range ps {
		if p.Status.Open() && p.Number != w.kept[id] {
			_, err := w.plans.WithdrawProposal(w.ctx, w.student[id], id, p.Number, hoks.WithdrawInput{BasedOn: p.Version})
			require.NoError(t, err)
		}
	}
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
		Approve: true, Note: "Sovittu."})
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

// proposalTraces is what an actor learns of a case's proposals besides
// the feature's own reads.
type proposalTraces struct {
	summaryErr    error
	titles        []string
	documentErrs  []error // the generic read of a proposal, a comment, a staff note
	notices       int     // notices about proposals
	auditEntries  int     // audit entries of proposals, comments and notes
	noteInNotices bool
}

func (w *proposalWorld) traces(t *testing.T, a coaching.Actor, id coaching.CaseID) proposalTraces {
	t.Helper()
	var tr proposalTraces
	sum, err := w.plans.Summary(w.ctx, a, id)
	tr.summaryErr, tr.titles = err, sum.OpenProposalTitles
	for _, op := range []coaching.Operation{coaching.OpReadCase, coaching.OpReadNotices} {
		err := w.eng.ReadCase(w.ctx, a, op, id, func(v *coaching.CaseView) error {
			if op == coaching.OpReadCase {
				for _, kind := range []string{"hoks_proposal_1", "hoks_comment_1", "hoks_staffnote_1"} {
					_, err := v.Document(kind, 0)
					tr.documentErrs = append(tr.documentErrs, err)
				}
				trail, err := v.AuditTrail()
				for _, e := range trail {
					if strings.HasPrefix(e.Event, "hoks_proposal_") || strings.HasPrefix(e.Event, "hoks_comment_") || strings.HasPrefix(e.Event, "hoks_staffnote_") {
						tr.auditEntries++
					}
				}
				return err
			}
			ns, err := v.Notices()
			for _, n := range ns {
				if strings.HasPrefix(n.Kind, "hoks_proposal_") {
					tr.notices++
				}
				tr.noteInNotices = tr.noteInNotices || strings.Contains(n.Body, proposalNote)
			}
			return err
		})
		var fe *coaching.ForbiddenError
		if err != nil && !errors.As(err, &fe) {
			require.NoError(t, err)
		}
	}
	return tr
}

func proposalMatrix(t *testing.T, store coaching.Store) {
	w := newProposalWorld(t, store)
	const (
		A    = "allow"
		seen = "titles" // the summary shows the open proposals' titles
		none = "none"   // the summary shows none
	)
	gs, ga, gr := coaching.RuleGuardianScope, coaching.RuleGuardianAge, coaching.RuleGuardianRelation
	so, st, voice, self := coaching.RuleStudentOther, coaching.RuleSupportTeam, hoks.RuleStudentVoice, coaching.RuleStudentSelf
	// A teacher on the team is refused deciding by the default policy
	// (deciders), and so never reads the staff's notes (guarded by
	// decide_request); hoks.RuleProposalDecider narrows it further under a
	// host's policy.
	deciders, np := coaching.RuleDeciders, coaching.RuleNotPermitted
	guardianOf := func(id string) coaching.Actor {
		return coaching.Actor{ID: id, Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleGuardian}}
	}
	ops := []string{"propose", "comment", "withdraw", "accept", "decline", "read"}
	rows := []struct {
		who   string
		actor coaching.Actor
		ward  coaching.CaseID
		want  []string // per ops: allow or the denying rule
		// summary: seen, none, or the rule refusing the summary; note:
		// the reader sees the staff's note; traces: the reader sees
		// notices and audit entries of the proposals.
		summary      string
		note, traces bool
	}{
		{"student themself (a minor)", w.student[w.minor], w.minor, []string{A, A, A, self, self, A}, seen, false, true},
		{"adult student on their own case", w.student[w.adult], w.adult, []string{A, A, A, self, self, A}, seen, false, true},
		{"another student", w.student[w.adult], w.minor, []string{so, so, so, so, so, so}, so, false, false},
		{"guardian of a minor", guardianOf("guardian-minor"), w.minor, []string{voice, voice, voice, gs, gs, gs}, seen, false, false},
		{"another student's guardian", guardianOf("guardian-minor"), w.consent, []string{gr, gr, gr, gr, gr, gr}, gr, false, false},
		{"guardian of an adult without consent", guardianOf("guardian-adult"), w.adult, []string{ga, ga, ga, gs, gs, ga}, ga, false, false},
		{"guardian of an adult with consent", guardianOf("guardian-consent"), w.consent, []string{voice, voice, voice, gs, gs, gs}, seen, false, false},
		{"teacher not on the team", coaching.Actor{ID: "teacher-2", Organisation: proposalOrg, Roles: []coaching.Role{coaching.RoleTeacher}},
			w.minor, []string{st, st, st, st, st, st}, st, false, false},
		{"teacher on the team", proposalTeacher, w.minor, []string{st, st, st, deciders, deciders, A}, seen, false, true},
		{"personal tutor", proposalTutor, w.minor, []string{st, st, st, A, A, A}, seen, true, true},
		{"study counsellor", proposalCounsellor, w.adult, []string{st, st, st, A, A, A}, seen, true, true},
		{"head of studies", proposalHead, w.minor, []string{st, st, st, A, A, A}, seen, true, true},
		{"workplace instructor on the team", proposalInstructor, w.minor, []string{st, st, st, st, st, st}, none, false, false},
		{"peer coach on the team", proposalPeer, w.adult, []string{np, np, np, st, st, st}, none, false, false},
	}
	for _, r := range rows {
		for i, op := range ops {
			t.Run(r.who+"/"+op, func(t *testing.T) {
				defer w.tidy(t, r.ward)
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
					_, err = w.plans.WithdrawProposal(w.ctx, r.actor, r.ward, p.Number, hoks.WithdrawInput{BasedOn: p.Version})
				case "accept":
					err = w.accept(r.actor, r.ward, p)
				case "decline":
					_, err = w.plans.DeclineProposal(w.ctx, r.actor, r.ward, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "Ei nyt.", Note: "Sisäinen."})
				case "read":
					var list []hoks.Proposal
					list, err = w.plans.Proposals(w.ctx, r.actor, r.ward)
					if err == nil {
						// The case's first proposal was declined with a
						// staff note: exactly those who may decide read it.
						require.NotEmpty(t, list, "the ward's proposals")
						require.Equal(t, hoks.ProposalDeclined, list[0].Status)
						if r.note {
							assert.Equal(t, proposalNote, list[0].StaffNote, "staff who may decide read the note")
						} else {
							assert.Empty(t, list[0].StaffNote, "only staff who may decide read the staff's note")
						}
						for _, got := range list[1:] {
							if !r.note {
								assert.Empty(t, got.StaffNote)
							}
						}
					}
					w.checkTraces(t, r.actor, r.ward, r.summary, r.traces)
				}
				if r.want[i] == A {
					require.NoError(t, err)
					return
				}
				var fe *coaching.ForbiddenError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, r.want[i], fe.Rule, "%s: %v", r.who, err)
				if op == "read" {
					return // the traces' reads log their own refusals
				}
				after := accessEntries(t, store)
				require.Len(t, after, len(before)+1, "one access-log entry per denial")
				assert.Equal(t, r.want[i], after[len(after)-1].Rule)
				assert.False(t, after[len(after)-1].Allowed)
				assert.Equal(t, version, w.caseVersion(t, r.ward), "a refusal writes nothing")
			})
		}
	}
}

// checkTraces checks what actor learns of the ward's proposals through
// the summary, the generic document read, the notices and the audit trail.
func (w *proposalWorld) checkTraces(t *testing.T, actor coaching.Actor, ward coaching.CaseID, summary string, traces bool) {
	t.Helper()
	tr := w.traces(t, actor, ward)
	switch summary {
	case "titles":
		require.NoError(t, tr.summaryErr)
		assert.Contains(t, tr.titles, proposalKept, "the summary shows the open proposal's title")
	case "none":
		require.NoError(t, tr.summaryErr)
		assert.Empty(t, tr.titles, "the summary shows no titles")
	default:
		var fe *coaching.ForbiddenError
		require.ErrorAs(t, tr.summaryErr, &fe)
		assert.Equal(t, summary, fe.Rule)
	}
	for _, err := range tr.documentErrs {
		var fe *coaching.ForbiddenError
		require.ErrorAs(t, err, &fe, "the generic read refuses the private families")
		assert.Equal(t, coaching.RuleFeatureDocument, fe.Rule)
	}
	if traces {
		assert.NotZero(t, tr.auditEntries+tr.notices, "the proposals' audit entries or notices")
	} else {
		assert.Zero(t, tr.auditEntries, "no audit entries of the proposals")
		assert.Zero(t, tr.notices, "no notices of the proposals")
	}
	assert.False(t, tr.noteInNotices, "the staff's note is in no notice")
}

// proposalsAtOnce has the student propose and comment from many
// goroutines at once: every proposal and comment is stored, numbered
// apart.
func proposalsAtOnce(t *testing.T, store coaching.Store) {
	w := newProposalWorld(t, store)
	w.tidy(t, w.adult)
	proposals := hoks.MaxOpenProposals - 1 // the kept one is open
	const comments = 24
	n := proposals + comments
	errs := make([]error, n)
	nums := make([]int64, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			if i < proposals {
				p, err := w.plans.Propose(w.ctx, w.student[w.adult], w.adult, hoks.ProposalInput{Title: "Ehdotus", Description: "Kuvaus."})
				errs[i], nums[i] = err, p.Number
				return
			}
			c, err := w.plans.Comment(w.ctx, w.student[w.adult], w.adult, hoks.CommentInput{Text: "Kommentti."})
			errs[i], nums[i] = err, -c.Number
		})
	}
	close(start)
	wg.Wait()
	numbers := map[int64]bool{}
	for i := range n {
		require.NoError(t, errs[i], "write %d", i)
		numbers[nums[i]] = true
	}
	assert.Len(t, numbers, n, "numbered apart: %v", nums)
	list, err := w.plans.Proposals(w.ctx, proposalTutor, w.adult)
	require.NoError(t, err)
	assert.Len(t, list, proposals+2)
	all, err := w.plans.Comments(w.ctx, proposalTutor, w.adult)
	require.NoError(t, err)
	assert.Len(t, all, comments)
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
					_, errs[i] = w.plans.WithdrawProposal(w.ctx, w.student[w.minor], w.minor, p.Number, hoks.WithdrawInput{BasedOn: p.Version})
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
