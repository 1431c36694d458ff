package storetest

import (
	"reflect"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
)

// RunSessions runs the conformance cases of the sessions' store port
// (coaching/session: session.Store on write transactions, with the
// erasure of a case's sessions, and session.Reader on read transactions),
// as a subtest group "Sessions" of t. A store that
// keeps coaching sessions runs it beside [Run]:
//
//	func TestSessions(t *testing.T) { storetest.RunSessions(t, newStore) }
func RunSessions(t *testing.T, newStore Harness) {
	t.Helper()
	runGroups(t, newStore, []group{{"Sessions", sessionCases()}})
}

// port returns tx as a feature's store port P (session.Store on a write
// transaction, session.Reader on a read one, …), failing the case when
// the store's transaction does not implement it.
func port[P any](e *env, tx any) P {
	p, ok := tx.(P)
	require.True(e, ok, "the store's transactions implement %v (%T)", reflect.TypeFor[P](), tx)
	return p
}

func sessionStore(e *env, tx coaching.Tx) session.Store { return port[session.Store](e, tx) }

func sessionReader(e *env, tx coaching.ReadTx) session.Reader { return port[session.Reader](e, tx) }

func sampleSession(id string, day int, cases ...coaching.CaseID) session.Session {
	return session.Session{ID: id, Kind: session.Group, Date: coaching.NewDate(2025, 3, day), Hours: decimal.RequireFromString("1.25"),
		Staff: []session.Staff{{ActorID: "a-coach", Role: coaching.RoleCoach}}, Cases: cases,
		Elements: []session.ApproachElement{session.ElementTrust}, PeerSupport: "vertaistuki", Topic: "ryhmävalmennus",
		Organisation: "1.2.246.562.10.00000000001", At: at(hour), By: "a-coach"}
}

func sessionCases() []testCase {
	return []testCase{
		{
			name: "Sessions",
			rule: "session.Store's PutSession stores a session (a duplicate id is a *DuplicateError, a failed transaction stores nothing); session.Reader's Sessions filters by date range, actor, case and kind, ordered by date then id; every field (Organisation included) round-trips",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				s2, s3 := sampleSession("s-2", 5, "c-1"), sampleSession("s-3", 9, "c-2")
				s2.Organisation, s3.Organisation = "", "org-b"
				e.update(func(tx coaching.Tx) error {
					for _, s := range []session.Session{s2, sampleSession("s-1", 4, "c-1", "c-2"), s3} {
						if err := sessionStore(e, tx).PutSession(e.ctx, s); err != nil {
							return err
						}
					}
					return nil
				})
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return sessionStore(e, tx).PutSession(e.ctx, sampleSession("s-1", 4)) })
				requireDuplicate(e, err, "PutSession with a taken id")
				err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := sessionStore(e, tx).PutSession(e.ctx, sampleSession("s-4", 4)); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				e.view(func(tx coaching.ReadTx) error {
					all, err := sessionReader(e, tx).Sessions(e.ctx, session.Query{})
					require.NoError(e, err)
					var ids []string
					for _, s := range all {
						ids = append(ids, s.ID)
					}
					assert.Equal(e, []string{"s-1", "s-2", "s-3"}, ids)
					got := all[0]
					got.At = NormalizeTime(got.At)
					want := sampleSession("s-1", 4, "c-1", "c-2")
					want.At = NormalizeTime(want.At)
					assert.True(e, want.Hours.Equal(got.Hours))
					got.Hours, want.Hours = decimal.Zero, decimal.Zero
					assert.Equal(e, want, got, "field for field")
					assert.Equal(e, []coaching.OrganisationID{"1.2.246.562.10.00000000001", "", "org-b"},
						[]coaching.OrganisationID{all[0].Organisation, all[1].Organisation, all[2].Organisation}, "Session.Organisation, empty or not")
					byCase, err := sessionReader(e, tx).Sessions(e.ctx, session.Query{CaseID: "c-2", From: coaching.NewDate(2025, 3, 5)})
					require.NoError(e, err)
					require.Len(e, byCase, 1)
					assert.Equal(e, "s-3", byCase[0].ID)
					none, err := sessionReader(e, tx).Sessions(e.ctx, session.Query{ActorID: "nobody"})
					require.NoError(e, err)
					assert.Empty(e, none)
					return nil
				})
			},
		},
		{
			name: "SessionsErased",
			rule: "session.Store's EraseFeatureData (coaching.FeatureEraser) clears the topic and peer-support text of every session listing the case and nothing else — other sessions, and the hours, staff, dates and cases it keeps, stay — and a rolled-back erasure changes nothing",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				e.update(func(tx coaching.Tx) error {
					for _, s := range []session.Session{sampleSession("s-1", 4, "c-1", "c-2"), sampleSession("s-2", 5, "c-2"), sampleSession("s-3", 6, "c-1")} {
						if err := sessionStore(e, tx).PutSession(e.ctx, s); err != nil {
							return err
						}
					}
					return nil
				})
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := sessionStore(e, tx).EraseFeatureData(e.ctx, "c-1"); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				read := func() []session.Session {
					var all []session.Session
					e.view(func(tx coaching.ReadTx) error {
						var err error
						all, err = sessionReader(e, tx).Sessions(e.ctx, session.Query{})
						return err
					})
					require.Len(e, all, 3)
					return all
				}
				for _, s := range read() {
					assert.Equal(e, "ryhmävalmennus", s.Topic, "a rolled-back erasure keeps %s", s.ID)
				}
				e.update(func(tx coaching.Tx) error {
					if err := sessionStore(e, tx).EraseFeatureData(e.ctx, "c-1"); err != nil {
						return err
					}
					return sessionStore(e, tx).EraseFeatureData(e.ctx, "c-unknown") // no sessions: no error
				})
				for _, s := range read() {
					want := sampleSession(s.ID, s.Date.Day, s.Cases...)
					if s.ID != "s-2" {
						want.Topic, want.PeerSupport = "", ""
					}
					s.At, want.At = NormalizeTime(s.At), NormalizeTime(want.At)
					assert.True(e, want.Hours.Equal(s.Hours))
					s.Hours, want.Hours = decimal.Zero, decimal.Zero
					assert.Equal(e, want, s, "session %s", s.ID)
				}
			},
		},
	}
}
