package hoks

import (
	"context"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Survey names an AMIS student feedback survey (opiskelijapalaute).
type Survey string

// The AMIS surveys a HOKS triggers (hoks.md §4.1).
const (
	// StartSurvey (aloituskysely) is due on the first approval date.
	StartSurvey Survey = "aloituskysely"
	// EndSurvey (päättökysely) is due on the competence-reached date.
	EndSurvey Survey = "paattokysely"
)

// NoticeKindSurvey is the notice kind of a survey invitation.
const NoticeKindSurvey = "amis_survey"

// SurveyDecision says whether a survey invitation was enqueued and, if not,
// which of eHOKS's exclusion rules applied.
type SurveyDecision struct {
	Survey      Survey
	TriggerDate coaching.Date
	// Notice is the enqueued invitation, nil when excluded.
	Notice *coaching.Notice
	// Excluded is the reason for no invitation ("" when one was enqueued).
	Excluded string
}

// financingPeriodStart returns 1 July of the financing period (1.7.–30.6.)
// that contains d.
func financingPeriodStart(d coaching.Date) coaching.Date {
	y := d.Year
	if d.Month < time.July {
		y--
	}
	return coaching.NewDate(y, time.July, 1)
}

// survey decides the survey as eHOKS does (the decision order of hoks.md
// §4.1 as far as a HOKS alone can tell; the study-right checks need KOSKI
// and are the host's), and builds the invitation to the learner.
func (s *Service) survey(ctx context.Context, actor coaching.Actor, id coaching.CaseID, p *Plan, survey Survey, trigger coaching.Date) (SurveyDecision, error) {
	d := SurveyDecision{Survey: survey, TriggerDate: trigger}
	today := s.today()
	switch {
	case trigger.IsZero():
		d.Excluded = "no trigger date"
	case p.NeedsCompetence != nil && !*p.NeedsCompetence:
		d.Excluded = "no need to acquire competence (osaamisen-hankkimisen-tarve is false)"
	case trigger.Before(financingPeriodStart(today)):
		d.Excluded = "the trigger date is before the current financing period (1 July " + fmt.Sprint(financingPeriodStart(today).Year) + ")"
	case p.IsTUVA():
		d.Excluded = "a TUVA plan gets no AMIS survey"
	}
	if d.Excluded != "" {
		return d, nil
	}
	// The invitation goes to the learner: their address is read as the
	// acting staff member, under the policy's read_participant rule.
	var part coaching.Participant
	err := s.eng.ReadCase(ctx, actor, coaching.OpReadParticipant, id, func(v *coaching.CaseView) error {
		var err error
		part, err = v.Participant()
		return err
	})
	if err != nil {
		return d, err
	}
	email := part.Contact.Email
	if p.Email != nil && *p.Email != "" {
		email = *p.Email
	}
	if email == "" {
		d.Excluded = "the learner has no e-mail address"
		return d, nil
	}
	lang := part.Language
	if !lang.Valid() {
		lang = coaching.Finnish
	}
	at := trigger.At(9, 0)
	if now := s.eng.Clock().Now(); at.Before(now) {
		at = now
	}
	stage := "end"
	if survey == StartSurvey {
		stage = "start"
	}
	subject, body, err := s.eng.Texts().Render(NoticeKindSurvey, lang, map[string]string{"stage": stage})
	if err != nil {
		return d, fmt.Errorf("hoks: the %s invitation's text: %w", survey, err)
	}
	d.Notice = &coaching.Notice{
		ID:        "amis:" + string(survey) + ":" + string(id),
		CaseID:    id,
		Kind:      NoticeKindSurvey,
		Recipient: coaching.Recipient{ID: string(part.ID), Name: part.Name(), Role: coaching.RoleStudent, Contact: coaching.Contact{Email: email}, Language: lang},
		Subject:   subject,
		Body:      body,
		Data:      map[string]string{"survey": string(survey), "trigger_date": trigger.String()},
		CreatedAt: s.eng.Clock().Now(),
		NotBefore: at,
		Status:    coaching.NoticePending,
	}
	return d, nil
}
