package session_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
)

// keyFixture is a coach and a tutor on one case, and the sessions over a
// memory store.
type keyFixture struct {
	eng          *coaching.Engine
	sessions     *session.Service
	coach, tutor coaching.Actor
	caseID       coaching.CaseID
	today        coaching.Date
}

func newKeyFixture(t *testing.T) keyFixture {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 15, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	require.NoError(t, err)
	sessions, err := session.New(eng)
	require.NoError(t, err)
	f := keyFixture{eng: eng, sessions: sessions, today: coaching.DateOf(now),
		coach: coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}},
		tutor: coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}}
	c, err := eng.Enrol(ctx, f.tutor, coaching.EnrolParams{Model: coaching.ModelPilot,
		Team: []coaching.TeamMember{{ActorID: f.coach.ID, Role: coaching.RoleCoach, Name: "Coach"}, {ActorID: f.tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor"}},
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2009, 3, 1),
			Language: coaching.Finnish, Contact: coaching.Contact{Email: "a@example.fi"}}})
	require.NoError(t, err)
	f.caseID = c.ID
	return f
}

func (f keyFixture) session(by coaching.Actor) session.Session {
	return session.Session{Kind: session.Individual, Date: f.today, Hours: decimal.RequireFromString("1.5"),
		Staff: []session.Staff{{ActorID: by.ID, Role: by.Roles[0]}}, Cases: []coaching.CaseID{f.caseID},
		Elements: []session.ApproachElement{session.ElementTrust}, Topic: "study plan"}
}

func (f keyFixture) count(t *testing.T) int {
	t.Helper()
	list, err := f.sessions.List(context.Background(), f.tutor, session.Query{CaseID: f.caseID})
	require.NoError(t, err)
	return len(list)
}

// RecordKeyed: a repeat (a double click, a resent form) records
// nothing and returns the first session; the key with other details, or
// on another date, is refused naming key; another actor's same key is
// theirs; without a key every call records.
func TestRecordKeyRecordsOnce(t *testing.T) {
	ctx := context.Background()
	f := newKeyFixture(t)
	first, err := f.sessions.RecordKeyed(ctx, f.coach, "form-1", f.session(f.coach))
	require.NoError(t, err)
	assert.Equal(t, session.KeyID(f.coach.ID, "form-1"), first.ID)
	again, err := f.sessions.RecordKeyed(ctx, f.coach, "form-1", f.session(f.coach))
	require.NoError(t, err)
	assert.Equal(t, first.ID, again.ID)
	assert.True(t, first.At.Equal(again.At), "the repeat answers with the stored session")
	assert.Equal(t, 1, f.count(t), "a repeat records nothing")

	other := f.session(f.coach)
	other.Hours = decimal.RequireFromString("2")
	_, err = f.sessions.RecordKeyed(ctx, f.coach, "form-1", other)
	assertKeyProblem(t, err)
	earlier := f.session(f.coach)
	earlier.Date = f.today.AddDays(-1)
	_, err = f.sessions.RecordKeyed(ctx, f.coach, "form-1", earlier)
	assertKeyProblem(t, err)
	withID := f.session(f.coach)
	withID.ID = "s-1"
	_, err = f.sessions.RecordKeyed(ctx, f.coach, "form-2", withID)
	assertProblem(t, err, "id")
	_, err = f.sessions.RecordKeyed(ctx, f.coach, " ", f.session(f.coach))
	assertKeyProblem(t, err)
	assert.Equal(t, 1, f.count(t))

	theirs, err := f.sessions.RecordKeyed(ctx, f.tutor, "form-1", f.session(f.tutor))
	require.NoError(t, err, "another actor's key is their own")
	assert.NotEqual(t, first.ID, theirs.ID)
	for range 2 {
		_, err := f.sessions.Record(ctx, f.coach, f.session(f.coach))
		require.NoError(t, err)
	}
	assert.Equal(t, 4, f.count(t), "without a key every call records")
}

// Two Records at once with one key record one session, and both answer
// with it.
func TestRecordKeyConcurrent(t *testing.T) {
	ctx := context.Background()
	f := newKeyFixture(t)
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			se, err := f.sessions.RecordKeyed(ctx, f.coach, "form-1", f.session(f.coach))
			ids[i], errs[i] = se.ID, err
		})
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, session.KeyID(f.coach.ID, "form-1"), ids[i])
	}
	assert.Equal(t, 1, f.count(t))
}

func assertKeyProblem(t *testing.T, err error) {
	t.Helper()
	assertProblem(t, err, "key")
}

func assertProblem(t *testing.T, err error, field string) {
	t.Helper()
	var ve *coaching.ValidationError
	require.ErrorAs(t, err, &ve)
	require.NotEmpty(t, ve.Problems)
	assert.Equal(t, field, ve.Problems[0].Field, "%v", err)
}
