package coaching_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// An actor whose purpose is longer than MaxPurposeBytes is refused with the
// same *ValidationError on every engine path before any case or
// participant is read: another organisation's case, a missing id and the
// actor's own case get the same answer, so the bound tells nobody which
// ids exist elsewhere. (Review 16b: the check ran after the case was
// loaded, and a foreign case gave 422 where a missing id gave 404.)
func TestLongPurposeRefusedBeforeAnyRead(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 15, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	require.NoError(t, err)
	enrol := func(org coaching.OrganisationID, tutorID string) coaching.Case {
		tutor := coaching.Actor{ID: tutorID, Organisation: org, Roles: []coaching.Role{coaching.RolePersonalTutor}}
		c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot,
			Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor"}},
			Participant: coaching.Participant{Organisation: org, GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2009, 3, 1),
				Language: coaching.Finnish, Contact: coaching.Contact{Email: "a@example.fi"}}})
		require.NoError(t, err)
		return c
	}
	foreign := enrol("school-2", "tutor-2")
	own := enrol("school-1", "tutor-1")
	actor := coaching.Actor{ID: "tutor-1", Organisation: "school-1", Roles: []coaching.Role{coaching.RolePersonalTutor},
		Purpose: strings.Repeat("p", coaching.MaxPurposeBytes+1)}

	paths := map[string]func(coaching.CaseID, coaching.ParticipantID) error{
		"Case": func(id coaching.CaseID, _ coaching.ParticipantID) error {
			_, err := eng.Case(ctx, actor, id)
			return err
		},
		"ReadCase": func(id coaching.CaseID, _ coaching.ParticipantID) error {
			return eng.ReadCase(ctx, actor, coaching.OpReadHOKS, id, func(*coaching.CaseView) error { return nil })
		},
		"Fire": func(id coaching.CaseID, _ coaching.ParticipantID) error {
			_, err := eng.Fire(ctx, actor, id, "no_such_event", nil)
			return err
		},
		"ChangeCase": func(id coaching.CaseID, _ coaching.ParticipantID) error {
			_, err := eng.ChangeCase(ctx, actor, coaching.OpChangeCase, id, func(*coaching.CaseChange) error { return nil })
			return err
		},
		"Scope.Case": func(id coaching.CaseID, _ coaching.ParticipantID) error {
			return eng.Read(ctx, actor, func(s *coaching.Scope) error { _, err := s.Case(coaching.OpReadCase, id); return err })
		},
		"Scope.Participant": func(_ coaching.CaseID, id coaching.ParticipantID) error {
			return eng.Read(ctx, actor, func(s *coaching.Scope) error { _, err := s.Participant(coaching.OpReadParticipant, id); return err })
		},
		"ChangeParticipant": func(_ coaching.CaseID, id coaching.ParticipantID) error {
			_, err := eng.ChangeParticipant(ctx, actor, coaching.OpChangeCase, id, func(*coaching.ParticipantChange) error { return nil })
			return err
		},
		"Figures": func(coaching.CaseID, coaching.ParticipantID) error {
			_, err := eng.Figures(ctx, actor, coaching.CaseQuery{})
			return err
		},
	}
	for name, do := range paths {
		for _, target := range []struct {
			what string
			id   coaching.CaseID
			pid  coaching.ParticipantID
		}{{"foreign", foreign.ID, foreign.ParticipantID}, {"missing", "school-2:nope", "nope"}, {"own", own.ID, own.ParticipantID}} {
			err := do(target.id, target.pid)
			var ve *coaching.ValidationError
			require.True(t, errors.As(err, &ve), "%s on the %s case: %v", name, target.what, err)
			require.Len(t, ve.Problems, 1)
			assert.Equal(t, "purpose", ve.Problems[0].Field, "%s on the %s case", name, target.what)
		}
	}
	// At the bound the purpose is accepted.
	actor.Purpose = strings.Repeat("p", coaching.MaxPurposeBytes)
	_, err = eng.Case(ctx, actor, own.ID)
	require.NoError(t, err)
}
