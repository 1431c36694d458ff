// Package consent records an adult student's consent to their guardians
// being informed — absence notices, the plan summary — after the 18th
// birthday, and its withdrawal. The consent itself is a fact of the
// participant the kernel reads ([coaching.Participant.GuardianConsent],
// [coaching.Participant.GuardiansInformedOn]: the policy's guardian rules
// and the guardian notices depend on it); this package is the command
// that changes it. It is a feature built on the coaching kernel's
// extension points: each change runs in a policy-scoped change of the
// participant ([coaching.Engine.ChangeParticipant]) that leaves one audit
// entry on each of the participant's cases, in one transaction. It keeps
// no data of its own.
package consent

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/valmennus/valmennus/coaching"
)

// Kind is the audit kind of a consent change, on each of the
// participant's cases.
const Kind coaching.AuditKind = "consent"

// The audit events of a consent change.
const (
	EventGiven     = "guardian_consent_given"
	EventWithdrawn = "guardian_consent_withdrawn"
)

// Change is the argument of [Service.Record] and [Service.Withdraw].
type Change struct {
	// On is the civil date the student gave or withdrew consent; defaults
	// to today in Helsinki. It may not be in the future.
	On coaching.Date `json:"on,omitzero"`
	// Reason is recorded in the audit entries (e.g. "consent form signed
	// at the start-of-year meeting").
	Reason string `json:"reason,omitempty"`
}

// Service records and withdraws consents over an engine.
type Service struct {
	eng *coaching.Engine
}

// New returns the consent commands of eng.
func New(eng *coaching.Engine) (*Service, error) {
	if eng == nil {
		return nil, errors.New("consent: New: engine is nil")
	}
	return &Service{eng: eng}, nil
}

// Record records an adult student's consent to their guardians being
// informed after the 18th birthday. Either the student records it
// themself (signed in: the self relation and the student role; GivenVia
// "self"), or staff record the student's written consent (the support team
// of one of the student's cases or the head of studies; GivenVia
// "written"). The policy's record_consent rule decides; guardians never
// may. The change is written with who recorded it and when, and leaves one
// audit entry on each of the participant's cases, in one transaction. It
// returns the participant after the change, the identity code withheld.
func (s *Service) Record(ctx context.Context, actor coaching.Actor, id coaching.ParticipantID, ch Change) (coaching.Participant, error) {
	return s.change(ctx, actor, id, ch, true)
}

// Withdraw records that the student withdrew the consent from ch.On on
// (see [Service.Record] for who may). From that date the guardians of the
// adult student are no longer informed.
func (s *Service) Withdraw(ctx context.Context, actor coaching.Actor, id coaching.ParticipantID, ch Change) (coaching.Participant, error) {
	return s.change(ctx, actor, id, ch, false)
}

// change checks the input once the policy allowed the change (so a refused
// actor learns nothing from it), then writes the consent and the audit
// entries.
func (s *Service) change(ctx context.Context, actor coaching.Actor, id coaching.ParticipantID, in Change, give bool) (coaching.Participant, error) {
	return s.eng.ChangeParticipant(ctx, actor, coaching.OpRecordConsent, id, func(ch *coaching.ParticipantChange) error {
		now := ch.Now()
		today := coaching.DateOf(now)
		p := ch.Participant()
		on := in.On
		if on.IsZero() {
			on = today
		}
		var pr []coaching.FieldProblem
		add := func(field, msg string) { pr = append(pr, coaching.FieldProblem{Field: field, Message: msg}) }
		switch {
		case !on.Valid():
			add("on", "not a calendar date")
		case on.After(today):
			add("on", on.String()+" is in the future")
		}
		pr = append(pr, coaching.TextProblems("reason", in.Reason, 4000, true)...)
		if !p.ErasedOn.IsZero() {
			add("participant_id", "the participant's personal data was erased")
		}
		cur := p.GuardianConsent
		if len(pr) == 0 {
			switch {
			case give && p.MinorOn(on):
				add("on", "the student is under 18 on "+on.String()+": only the adult student can consent (until the 18th birthday the guardians are informed anyway)")
			case !give && (cur.GivenOn.IsZero() || !cur.WithdrawnOn.IsZero()):
				add("on", "the student has no consent in force to withdraw")
			case !give && on.Before(cur.GivenOn):
				add("on", on.String()+" is before the consent was given ("+cur.GivenOn.String()+")")
			}
		}
		if len(pr) > 0 {
			return &coaching.ValidationError{Subject: "consent", Problems: pr}
		}
		next := coaching.ConsentRecord{GivenOn: cur.GivenOn, WithdrawnOn: on, GivenVia: cur.GivenVia, RecordedBy: actor.ID, RecordedAt: now}
		event := EventWithdrawn
		if give {
			via := coaching.ConsentInWriting
			if ch.Rule() == coaching.RuleStudentSelf {
				via = coaching.ConsentBySelf
			}
			next = coaching.ConsentRecord{GivenOn: on, GivenVia: via, RecordedBy: actor.ID, RecordedAt: now}
			event = EventGiven
		}
		p.GuardianConsent = next
		if err := ch.Update(p); err != nil {
			return err
		}
		// The entries carry the consent's dates and how it was given,
		// never who recorded it (the entry's actor says that).
		payload, err := json.Marshal(struct {
			GivenOn     coaching.Date       `json:"given_on,omitzero"`
			WithdrawnOn coaching.Date       `json:"withdrawn_on,omitzero"`
			GivenVia    coaching.ConsentVia `json:"given_via,omitempty"`
		}{next.GivenOn, next.WithdrawnOn, next.GivenVia})
		if err != nil {
			return err
		}
		return ch.EachCase(func(cc *coaching.CaseChange) error {
			cc.Audit(Kind, event, in.Reason, payload)
			return nil
		})
	})
}
