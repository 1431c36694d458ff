// Package signon finds a participant by the sign-on id the host's
// authentication gives the student ([coaching.Participant.SignOn]) — what a
// host needs to show a signed-in student their own page ("my case")
// without a participant id in the request. It is a feature built on the
// kernel's extension points, like coaching/caseload: its reads run in
// policy-scoped transactions ([coaching.Engine.Read]) and the one lookup
// it needs from the store is a small port of its own ([Reader]) that the
// memory, SQLite and PostgreSQL stores implement and
// adapters/storetest.RunSignOn proves.
//
// Sign-on ids, like participant ids, are scoped per organisation: unique
// among the participants of one organisation (the stores refuse a second
// one with [coaching.SignOnTaken]) and free across organisations. A lookup
// is always within the actor's own organisation ([coaching.Actor]
// .Organisation), so a sign-on id of another organisation is not found —
// the same *coaching.NotFoundError as one that no participant has.
package signon

import (
	"context"
	"errors"

	"github.com/valmennus/valmennus/coaching"
)

// MaxBytes is the longest sign-on id a lookup takes, as
// [coaching.Participant.Validate] bounds the stored ones.
const MaxBytes = 255

// Reader is the sign-on lookup's store port: the read transactions of a
// store adapter that keeps participants' sign-on ids implement it (the
// memory, SQLite and PostgreSQL stores do; adapters/storetest.RunSignOn
// proves one).
type Reader interface {
	// ParticipantBySignOn returns the id of the participant of
	// organisation org whose sign-on id ([coaching.Participant.SignOn])
	// is signOn, as the transaction sees it, or a *coaching.NotFoundError
	// (Kind "sign-on id") when no participant of org has it — whatever
	// other organisations hold. signOn is not empty.
	ParticipantBySignOn(ctx context.Context, org coaching.OrganisationID, signOn string) (coaching.ParticipantID, error)
}

// errNoPort: the store's transactions do not implement Reader.
var errNoPort = errors.New("signon: the store does not look participants up by sign-on id (its transactions do not implement signon.Reader)")

// Participant returns the participant of actor's organisation whose sign-on
// id is signOn, the identity code withheld, if the policy's
// read_participant rule allows actor to read them (the default: the
// student themself and the organisation's head of studies; a support-team
// member reads a participant through their case, [coaching.CaseView]).
//
// An empty or malformed signOn is a *coaching.ValidationError naming
// sign_on. A sign-on id no participant of the actor's organisation has —
// another organisation's included — is a *coaching.NotFoundError, with no
// access-log entry (no participant was read or refused). A refused read
// is a *coaching.ForbiddenError carrying its access-log entry, as for a
// participant read by id ([coaching.Scope.Participant]): an actor of the
// organisation the policy refuses can thus tell that the sign-on id is
// linked there, as they can tell a participant id exists; nothing of
// another organisation is ever reached.
func Participant(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, signOn string) (coaching.Participant, error) {
	if eng == nil {
		return coaching.Participant{}, errors.New("signon: the engine is nil")
	}
	if err := check(signOn); err != nil {
		return coaching.Participant{}, err
	}
	var out coaching.Participant
	err := eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		rd, ok := sc.ReadTx().(Reader)
		if !ok {
			return errNoPort
		}
		id, err := rd.ParticipantBySignOn(sc.Context(), actor.Organisation, signOn)
		if err != nil {
			return err
		}
		out, err = sc.Participant(coaching.OpReadParticipant, id)
		return err
	})
	if err != nil {
		return coaching.Participant{}, err
	}
	return out, nil
}

// Self returns the participant the signed-in student actor is: the one of
// their organisation whose sign-on id is the actor's id (what the policy
// recognises as the student themself). It is [Participant] with actor.ID,
// and answers as it does.
func Self(ctx context.Context, eng *coaching.Engine, actor coaching.Actor) (coaching.Participant, error) {
	return Participant(ctx, eng, actor, actor.ID)
}

// check refuses a sign-on id no participant can hold.
func check(signOn string) error {
	var probs []coaching.FieldProblem
	if signOn == "" {
		probs = append(probs, coaching.FieldProblem{Field: "sign_on", Message: "required"})
	}
	probs = append(probs, coaching.TextProblems("sign_on", signOn, MaxBytes, false)...)
	if len(probs) > 0 {
		return &coaching.ValidationError{Subject: "sign-on lookup", Problems: probs}
	}
	return nil
}
