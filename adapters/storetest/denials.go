package storetest

import (
	"context"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// RunDenials runs the engine's refusals over a store, end to end: every
// kind of denial — a forged system actor, an actor id that is not text
// (invalid UTF-8, a NUL byte), a role the event does not allow, a role
// that may not open a case, another organisation — is refused and leaves
// exactly one access-log entry, its untrusted text stored safely, and
// nothing else — also inside a host's transaction (Engine.In) that the
// host rolls back: the store keeps the entry (coaching.DenialKeeper). A store whose column types reject such text (PostgreSQL
// rejects invalid UTF-8 and NUL) must still keep the entry. Adapters call
// it beside [Run]:
//
//	func TestDenials(t *testing.T) { storetest.RunDenials(t, newStore) }
func RunDenials(t *testing.T, newStore Harness) {
	t.Helper()
	ctx := t.Context()
	store := newStore(t)
	require.NotNil(t, store, "the harness returned a nil store")
	now := time.Date(2026, 9, 14, 10, 0, 0, 0, coaching.Helsinki)
	model, err := coaching.BuildModel(coaching.ModelSpec{Name: "denials", Initial: "open", Openers: []coaching.Role{coaching.RoleHeadOfStudies},
		States: []coaching.StateSpec{{Name: "open", Kind: coaching.Active}, {Name: "done", Kind: coaching.Terminal, Exit: coaching.ExitCompleted}},
		Events: []coaching.EventSpec{{Name: "finish", From: []string{"open"}, To: "done", Roles: []coaching.Role{coaching.RoleCoach}}}})
	require.NoError(t, err)
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{model}, Clock: coaching.ClockFunc(func() time.Time { return now })})
	require.NoError(t, err)
	const org coaching.OrganisationID = "org-denials"
	head := coaching.Actor{ID: "head", Organisation: org, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	teacher := coaching.Actor{ID: "teacher", Organisation: org, Roles: []coaching.Role{coaching.RoleTeacher}}
	c, err := eng.Enrol(ctx, head, coaching.EnrolParams{Model: "denials", Participant: coaching.Participant{
		GivenNames: "Testi", FamilyName: "Henkilö", BirthDate: coaching.NewDate(2000, 1, 1), Organisation: org, Language: coaching.Finnish,
		Contact: coaching.Contact{Email: "testi@example.fi"}},
		Team: []coaching.TeamMember{{ActorID: teacher.ID, Role: coaching.RoleTeacher, Name: "Opettaja"}}})
	require.NoError(t, err)

	cases := []struct {
		name, rule string
		actor      coaching.Actor
		do         func(a coaching.Actor) error
	}{
		{"forged system role", coaching.RuleReservedSystem, coaching.Actor{ID: "intruder", Organisation: "other", Roles: []coaching.Role{coaching.RoleSystem}},
			func(a coaching.Actor) error { _, err := eng.Case(ctx, a, c.ID); return err }},
		{"actor id with invalid UTF-8", coaching.RuleActorIdentity, coaching.Actor{ID: "head\xff\xfe", Organisation: org, Roles: []coaching.Role{coaching.RoleHeadOfStudies}},
			func(a coaching.Actor) error { _, err := eng.Case(ctx, a, c.ID); return err }},
		{"actor id with a NUL byte", coaching.RuleActorIdentity, coaching.Actor{ID: "head\x00", Organisation: org, Roles: []coaching.Role{coaching.RoleHeadOfStudies}},
			func(a coaching.Actor) error { _, err := eng.Fire(ctx, a, c.ID, "finish", nil); return err }},
		{"wrong role for the event", coaching.RuleEventRoles, teacher,
			func(a coaching.Actor) error { _, err := eng.Fire(ctx, a, c.ID, "finish", nil); return err }},
		{"not an opener of the model", coaching.RuleModelOpeners, coaching.Actor{ID: "tutor", Organisation: org, Roles: []coaching.Role{coaching.RolePersonalTutor}},
			func(a coaching.Actor) error {
				_, err := eng.Enrol(ctx, a, coaching.EnrolParams{Model: "denials", ExistingParticipant: c.ParticipantID})
				return err
			}},
		{"another organisation, invalid UTF-8 in the purpose", coaching.RuleOrganisation,
			coaching.Actor{ID: "head-b", Organisation: "org-b", Roles: []coaching.Role{coaching.RoleHeadOfStudies}, Purpose: "audit\xff\x00"},
			func(a coaching.Actor) error {
				return eng.ReadCase(ctx, a, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error { _, err := v.AuditTrail(); return err })
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := accessEntries(t, store)
			err := tc.do(tc.actor)
			var fe *coaching.ForbiddenError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.rule, fe.Rule)
			assert.True(t, utf8.ValidString(fe.Error()), "the error is text")
			after := accessEntries(t, store)
			require.Len(t, after, len(before)+1, "one access-log entry per denial, never none")
			last := after[len(after)-1]
			assert.False(t, last.Allowed)
			assert.Equal(t, tc.rule, last.Rule)
			assert.Equal(t, coaching.SafeText(tc.actor.ID, coaching.MaxAccessTextBytes), last.ActorID)
			assert.Equal(t, coaching.SafeText(tc.actor.Purpose, coaching.MaxAccessTextBytes), last.Purpose)
			for _, s := range []string{last.ActorID, last.Purpose, last.Subject, last.Rule} {
				assert.True(t, utf8.ValidString(s), "stored text is UTF-8: %q", s)
			}
		})
	}
	// Inside a host's transaction (Engine.In): the denial's entry survives
	// the host's rollback, and is written once whether the host commits,
	// rolls back, or runs it in a policy-scoped transaction (Engine.Write).
	intruder := coaching.Actor{ID: "teacher", Organisation: org, Roles: []coaching.Role{coaching.RoleTeacher}}
	hostTx := []struct {
		name string
		run  func(fn func(tx coaching.Tx) error) error
	}{
		{"host rolls back", func(fn func(tx coaching.Tx) error) error { return store.Update(ctx, fn) }},
		{"host commits", func(fn func(tx coaching.Tx) error) error {
			return store.Update(ctx, func(tx coaching.Tx) error { _ = fn(tx); return nil })
		}},
		{"through Engine.Write", func(fn func(tx coaching.Tx) error) error {
			return eng.Write(ctx, intruder, func(s *coaching.Scope) error { return fn(s.Tx()) })
		}},
	}
	for _, h := range hostTx {
		t.Run("in a host transaction: "+h.name, func(t *testing.T) {
			before := accessEntries(t, store)
			var fireErr error
			_ = h.run(func(tx coaching.Tx) error {
				_, fireErr = eng.In(tx).Fire(ctx, intruder, c.ID, "finish", nil)
				return fireErr
			})
			var fe *coaching.ForbiddenError
			require.ErrorAs(t, fireErr, &fe)
			after := accessEntries(t, store)
			require.Len(t, after, len(before)+1, "exactly one entry, whatever the host did")
			assert.Equal(t, coaching.RuleEventRoles, after[len(after)-1].Rule)
		})
	}

	var got coaching.Case
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		var err error
		got, err = tx.Case(ctx, c.ID)
		return err
	}))
	assert.Equal(t, int64(1), got.Version, "no denial changed the case")
}

func accessEntries(t *testing.T, s coaching.Store) []coaching.AccessEntry {
	t.Helper()
	var out []coaching.AccessEntry
	require.NoError(t, s.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		out, err = tx.AccessLog(context.Background(), coaching.AccessQuery{})
		return err
	}))
	return out
}
