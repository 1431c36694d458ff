package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
)

// ForbiddenError.NotFound promises "the *NotFoundError the
// same call gives for an id that does not exist". session.Record answers
// a missing case with a *ValidationError naming cases[i]; another
// organisation's case with a *ForbiddenError whose NotFound is a plain
// case-not-found — a host following the contract still answers the two
// differently. Both are now the same field problem; the denial's
// access-log entry is still written. (Review 16b.)
func TestRecordForeignCaseAnsweredAsMissing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 15, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	require.NoError(t, err)
	sessions, err := session.New(eng)
	require.NoError(t, err)
	tutor2 := coaching.Actor{ID: "tutor-2", Organisation: "school-2", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	c, err := eng.Enrol(ctx, tutor2, coaching.EnrolParams{Model: coaching.ModelPilot,
		Team: []coaching.TeamMember{{ActorID: tutor2.ID, Role: coaching.RolePersonalTutor, Name: "Tutor"}},
		Participant: coaching.Participant{Organisation: "school-2", GivenNames: "Aino", FamilyName: "Virtanen",
			BirthDate: coaching.NewDate(2009, 3, 1), Language: coaching.Finnish, Contact: coaching.Contact{Email: "a@example.fi"}}})
	require.NoError(t, err)

	curator := coaching.Actor{ID: "curator-1", Organisation: "school-1", Roles: []coaching.Role{coaching.RoleCurator}}
	rec := func(id coaching.CaseID) error {
		_, err := sessions.Record(ctx, curator, session.Session{Kind: session.Individual, Date: coaching.DateOf(now),
			Hours: decimal.RequireFromString("1"), Staff: []session.Staff{{ActorID: curator.ID, Role: coaching.RoleCurator}},
			Cases: []coaching.CaseID{id}})
		return err
	}
	answer := func(err error) string { // what a host following ForbiddenError's contract shows
		var fe *coaching.ForbiddenError
		if errors.As(err, &fe) && fe.NotFound() != nil {
			return fe.NotFound().Error()
		}
		return err.Error()
	}
	missing := strings.ReplaceAll(answer(rec("school-2:nope")), "school-2:nope", "ID")
	foreign := strings.ReplaceAll(answer(rec(c.ID)), string(c.ID), "ID")
	assert.Equal(t, missing, foreign, "a missing case and another organisation's are answered alike")
	err = rec(c.ID)
	var fe *coaching.ForbiddenError
	assert.False(t, errors.As(err, &fe), "the denial is not in the caller's chain: %v", err)
	assert.ErrorIs(t, err, coaching.ErrInvalid)

	// The denials are in the access log (read by school-2's head of studies).
	head := coaching.Actor{ID: "head-2", Organisation: "school-2", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	var log []coaching.AccessEntry
	require.NoError(t, eng.Read(ctx, head, func(s *coaching.Scope) error {
		var err error
		log, err = s.AccessLog(coaching.AccessQuery{ActorID: curator.ID, CaseID: c.ID})
		return err
	}))
	require.Len(t, log, 2, "both refused recordings are logged")
	assert.False(t, log[0].Allowed)
}
