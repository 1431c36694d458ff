package coaching

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// ConsentChange is the argument of [Engine.RecordGuardianConsent] and
// [Engine.WithdrawGuardianConsent].
type ConsentChange struct {
	// On is the civil date the student gave or withdrew consent; defaults
	// to today in Helsinki. It may not be in the future.
	On Date `json:"on,omitzero"`
	// Reason is recorded in the audit entries (e.g. "consent form signed
	// at the start-of-year meeting").
	Reason string `json:"reason,omitempty"`
}

// RecordGuardianConsent records an adult student's consent to their
// guardians being informed (absence notices, the plan summary) after the
// 18th birthday ([Participant.GuardiansInformedOn]). Either the student
// records it themself (signed in: the self relation and the student role;
// GivenVia "self"), or staff record the student's written consent (the
// support team of one of the student's cases or the head of studies;
// GivenVia "written"). The policy's record_consent rule decides; guardians
// never may. The change is written with who recorded it and when, and
// leaves one audit entry on each of the participant's cases, in one
// transaction.
func (e *Engine) RecordGuardianConsent(ctx context.Context, actor Actor, id ParticipantID, ch ConsentChange) (Participant, error) {
	return e.changeConsent(ctx, actor, id, ch, true)
}

// WithdrawGuardianConsent records that the student withdrew the consent
// from ch.On on (see [Engine.RecordGuardianConsent] for who may). From that
// date the guardians of the adult student are no longer informed.
func (e *Engine) WithdrawGuardianConsent(ctx context.Context, actor Actor, id ParticipantID, ch ConsentChange) (Participant, error) {
	return e.changeConsent(ctx, actor, id, ch, false)
}

func (e *Engine) changeConsent(ctx context.Context, actor Actor, id ParticipantID, ch ConsentChange, give bool) (Participant, error) {
	run := e.run(ctx)
	if err := e.screen(run, actor, OpRecordConsent); err != nil {
		return Participant{}, err
	}
	now := e.clock.Now()
	today := DateOf(now)
	pr := problems{subject: "consent"}
	if id == "" {
		pr.add("participant_id", "required")
	}
	if ch.On.IsZero() {
		ch.On = today
	}
	switch {
	case !ch.On.Valid():
		pr.add("on", "not a calendar date")
	case ch.On.After(today):
		pr.add("on", "%s is in the future", ch.On)
	}
	checkMultiline(&pr, "reason", ch.Reason, 4000)
	if err := pr.err(); err != nil {
		return Participant{}, err
	}
	// The participant's cases are listed before the transaction (stores
	// stream cases outside transactions) and read again inside it.
	ids, err := e.caseIDsOf(ctx, id)
	if err != nil {
		return Participant{}, err
	}
	var out Participant
	err = run(func(tx Tx) error {
		cases := make([]Case, 0, len(ids))
		for _, cid := range ids {
			c, err := tx.Case(ctx, cid)
			if err != nil {
				return err
			}
			cases = append(cases, c)
		}
		d, err := e.authorizeConsent(ctx, tx, actor, id, cases)
		if err != nil {
			return err
		}
		p, err := tx.Participant(ctx, id)
		if err != nil {
			return err
		}
		if !p.ErasedOn.IsZero() {
			return &ValidationError{Subject: "consent", Problems: []FieldProblem{{Field: "participant_id", Message: "the participant's personal data was erased"}}}
		}
		cur := p.GuardianConsent
		pr := problems{subject: "consent"}
		switch {
		case give && p.MinorOn(ch.On):
			pr.add("on", "the student is under 18 on %s: only the adult student can consent (until the 18th birthday the guardians are informed anyway)", ch.On)
		case !give && (cur.GivenOn.IsZero() || !cur.WithdrawnOn.IsZero()):
			pr.add("on", "the student has no consent in force to withdraw")
		case !give && ch.On.Before(cur.GivenOn):
			pr.add("on", "%s is before the consent was given (%s)", ch.On, cur.GivenOn)
		}
		if err := pr.err(); err != nil {
			return err
		}
		next := ConsentRecord{GivenOn: cur.GivenOn, WithdrawnOn: ch.On, GivenVia: cur.GivenVia, RecordedBy: actor.ID, RecordedAt: now}
		event := "guardian_consent_withdrawn"
		if give {
			via := ConsentInWriting
			if d.Rule == RuleStudentSelf {
				via = ConsentBySelf
			}
			next = ConsentRecord{GivenOn: ch.On, GivenVia: via, RecordedBy: actor.ID, RecordedAt: now}
			event = "guardian_consent_given"
		}
		p.GuardianConsent = next
		if err := tx.UpdateParticipant(ctx, p); err != nil {
			return err
		}
		payload, err := json.Marshal(struct {
			GivenOn     Date       `json:"given_on,omitzero"`
			WithdrawnOn Date       `json:"withdrawn_on,omitzero"`
			GivenVia    ConsentVia `json:"given_via,omitempty"`
		}{next.GivenOn, next.WithdrawnOn, next.GivenVia})
		if err != nil {
			return err
		}
		for _, c := range cases {
			nc := c
			nc.Version++
			entry := AuditEntry{CaseID: c.ID, Seq: nc.Version, At: now, Kind: AuditConsent, ActorID: actor.ID, Roles: slices.Clone(actor.Roles),
				Event: event, From: c.State, To: c.State, Reason: ch.Reason, Payload: payload}
			if err := tx.UpdateCase(ctx, nc, c.Version); err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, entry); err != nil {
				return err
			}
		}
		out = p.clone()
		out.IdentityCode = out.IdentityCode.withheld()
		return nil
	})
	if err != nil {
		return Participant{}, err
	}
	return out, nil
}

// authorizeConsent allows the change when the policy allows record_consent
// on one of the participant's cases (school staff on that case's team) or,
// with no case allowing it, on the participant (the student themself, the
// head of studies). It returns the deciding policy decision; a denial is
// the participant-level one, carrying its access-log entry.
func (e *Engine) authorizeConsent(ctx context.Context, tx ReadTx, actor Actor, id ParticipantID, cases []Case) (Decision, error) {
	for i := range cases {
		_, d, err := e.authorize(ctx, tx, actor, OpRecordConsent, &cases[i], "", "", nil)
		if err == nil {
			return d, nil
		}
		if _, denied := err.(*ForbiddenError); !denied {
			return Decision{}, err
		}
	}
	_, d, err := e.authorize(ctx, tx, actor, OpRecordConsent, nil, id, "", nil)
	if isNotFound(err) {
		return Decision{}, &NotFoundError{Kind: "participant", ID: string(id)}
	}
	return d, err
}

// ConsentRecord is an adult student's consent to let their guardians keep
// seeing their studies after they turn 18 (given and possibly withdrawn,
// both as civil dates).
type ConsentRecord struct {
	GivenOn     Date `json:"given_on,omitzero"`
	WithdrawnOn Date `json:"withdrawn_on,omitzero"`
	// GivenVia says how the consent was given: by the student signed in
	// (ConsentBySelf) or in writing, recorded by staff (ConsentInWriting).
	GivenVia ConsentVia `json:"given_via,omitempty"`
	// RecordedBy is the actor who recorded the consent's latest change, at
	// RecordedAt ([Engine.RecordGuardianConsent],
	// [Engine.WithdrawGuardianConsent]).
	RecordedBy string    `json:"recorded_by,omitempty"`
	RecordedAt time.Time `json:"recorded_at,omitzero"`
}

// ConsentVia is how a consent was given.
type ConsentVia string

// Ways of giving consent.
const (
	// ConsentBySelf: the student recorded it themself, signed in.
	ConsentBySelf ConsentVia = "self"
	// ConsentInWriting: staff recorded the student's written consent.
	ConsentInWriting ConsentVia = "written"
)

// ActiveOn reports whether the consent holds on d: given on or before d and
// not withdrawn on or before d.
func (c ConsentRecord) ActiveOn(d Date) bool {
	return !c.GivenOn.IsZero() && !c.GivenOn.After(d) && (c.WithdrawnOn.IsZero() || c.WithdrawnOn.After(d))
}

// GuardiansInformedOn reports whether the participant's guardians may be
// told about the participant on civil date d: while the participant is
// under 18, and afterwards only with the adult's consent in force.
func (p Participant) GuardiansInformedOn(d Date) bool {
	return p.MinorOn(d) || p.GuardianConsent.ActiveOn(d)
}
