package main

import (
	"context"
	"fmt"
	"io"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// The student's voice in the plan: the personal tutor draws up and
// approves one student's HOKS early in the term, with a workplace period in
// November; in October the student proposes moving the period to January
// (the workplace has no room before Christmas), the tutor is told by
// e-mail, the guardians' summary shows the open proposal's title, and the
// next school day the tutor accepts it into a new version of the plan and
// approves it.
// idxVoice is the student whose plan it is: pilot-03.
const idxVoice = 2

var (
	VoicePlanDay    = coaching.NewDate(2026, 9, 7)
	VoiceProposeDay = coaching.NewDate(2026, 10, 5)
	VoiceDecideDay  = nextSchoolDay(VoiceProposeDay)
)

// voiceTitle is the student's heading for the proposal.
const voiceTitle = "Työpaikalla oppimisen jakso tammikuuhun"

var (
	voicePeriod = hoks.Span{Start: coaching.NewDate(2026, 11, 2), End: coaching.NewDate(2026, 12, 18)}
	voiceMoved  = hoks.Span{Start: coaching.NewDate(2027, 1, 11), End: coaching.NewDate(2027, 3, 5)}
)

// voiceFlow follows the proposal.
type voiceFlow struct {
	plans    *hoks.Service
	approved int64 // the first approved version
	proposal hoks.Proposal
	// open proposals in the guardian's summary before and after the
	// decision.
	openBefore, openAfter int
	version               hoks.Version // the version that approved the change
}

// voicePlan is the student's plan: one vocational unit of the surface
// treatment qualification, at school in the autumn and then at a
// workplace under a training agreement.
func voicePlan() *hoks.Plan {
	return &hoks.Plan{
		LearnerOID:        hoks.Ref("1.2.246.562.24.42016337194"),
		StudyRightOID:     hoks.Ref("1.2.246.562.15.76811932086"),
		NeedsCompetence:   hoks.Ref(true),
		CareerPlanCodeURI: hoks.Ref("urasuunnitelma_0002"),
		VocationalUnits: []hoks.VocationalUnit{{
			UnitCodeURI: hoks.Ref("tutkinnonosat_106233"), UnitCodeVersion: hoks.Ref(2),
			Methods: []hoks.AcquisitionMethod{
				{MethodCodeURI: hoks.Ref(hoks.MethodSchool), MethodCodeVersion: hoks.Ref(1),
					Start: coaching.NewDate(2026, 8, 10), End: coaching.NewDate(2026, 10, 30)},
				{MethodCodeURI: hoks.Ref(hoks.MethodTrainingAgreement), MethodCodeVersion: hoks.Ref(1), PeriodID: hoks.Ref("jakso-1"),
					Start: voicePeriod.Start, End: voicePeriod.End, PartTimePercent: hoks.Ref(100),
					Workplace: &hoks.WorkplaceTraining{WorkplaceName: hoks.Ref("Maalausliike Oy"), BusinessID: hoks.Ref("3213687-7"),
						Instructor: &hoks.WorkplaceInstructor{Name: hoks.Ref("Työpaikkaohjaaja")}, KeyTasks: []string{"Rakennusmaalaus"}}},
			},
		}},
	}
}

// voiceStep runs the day's part of the story, after the day's lessons.
func (s *simulation) voiceStep(ctx context.Context) error {
	if s.voice == nil {
		plans, err := hoks.NewService(s.eng)
		if err != nil {
			return err
		}
		s.voice = &voiceFlow{plans: plans}
	}
	v, st := s.voice, s.class[idxVoice]
	student := coaching.Actor{ID: string(st.Participant.ID), Organisation: st.Participant.Organisation, Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: st.Participant.ID}}}
	guardian := coaching.Actor{ID: st.Participant.Guardians[0].ID, Organisation: st.Participant.Organisation, Roles: []coaching.Role{coaching.RoleGuardian}}
	switch s.today {
	case VoicePlanDay:
		draft, err := v.plans.SaveDraft(ctx, tutor.actor(), st.CaseID, 0, voicePlan())
		if err != nil {
			return fmt.Errorf("draw up the HOKS: %w", err)
		}
		approved, err := v.plans.Approve(ctx, tutor.actor(), st.CaseID, draft.Number, s.today)
		if err != nil {
			return fmt.Errorf("approve the HOKS: %w", err)
		}
		v.approved = approved.Number
	case VoiceProposeDay:
		p, err := v.plans.Propose(ctx, student, st.CaseID, hoks.ProposalInput{Title: voiceTitle,
			Description: "Työpaikalla ei ole tilaa ennen joulua; tammikuusta alkaen on.",
			Change:      &hoks.PlanChange{Kind: hoks.ChangeSchedule, Unit: "tutkinnonosat_106233", From: voicePeriod, To: voiceMoved}})
		if err != nil {
			return fmt.Errorf("the student's proposal: %w", err)
		}
		v.proposal = p
		sum, err := v.plans.Summary(ctx, guardian, st.CaseID)
		if err != nil {
			return fmt.Errorf("the guardian's summary: %w", err)
		}
		v.openBefore = sum.OpenProposals
	case VoiceDecideDay:
		p, ver, err := v.plans.AcceptProposal(ctx, tutor.actor(), st.CaseID, v.proposal.Number, hoks.AcceptInput{BasedOn: v.proposal.Version,
			Approve: true, Note: "Työpaikan kanssa sovittu puhelimessa."})
		if err != nil {
			return fmt.Errorf("accept the proposal: %w", err)
		}
		v.proposal, v.version = p, ver
		sum, err := v.plans.Summary(ctx, guardian, st.CaseID)
		if err != nil {
			return fmt.Errorf("the guardian's summary: %w", err)
		}
		v.openAfter = sum.OpenProposals
	}
	return nil
}

// reportVoice writes the story's two lines.
func (s *simulation) reportVoice(w io.Writer) error {
	v := s.voice
	if v == nil || v.proposal.Status != hoks.ProposalAccepted {
		return fmt.Errorf("the student's HOKS proposal was not accepted")
	}
	st := s.class[idxVoice]
	m := v.version.Plan.VocationalUnits[0].Methods[1]
	_, err := fmt.Fprintf(w, "\nHOKS of %s (version %d approved %s): the student's proposal %d %q (%s) accepted %s by %s\n"+
		"  into version %d, approved as version %d: workplace period %s → %s; open proposals in the guardians' summary %d → %d\n",
		st.CaseID, v.approved, VoicePlanDay, v.proposal.Number, v.proposal.Title, coaching.DateOf(v.proposal.ProposedAt),
		coaching.DateOf(v.proposal.DecidedAt), v.proposal.DecidedBy, v.proposal.AcceptedAs, v.proposal.ApprovedAs,
		voicePeriod, hoks.Span{Start: m.Start, End: m.End}, v.openBefore, v.openAfter)
	return err
}
