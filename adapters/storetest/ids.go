package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/erasure"
	"github.com/valmennus/valmennus/coaching/signon"
	"github.com/valmennus/valmennus/pathway"
	"github.com/valmennus/valmennus/sis"
)

// Participant ids and sign-on ids are scoped per organisation
// (coaching.ReadTx.Participant, coaching.SignOnTaken, package
// coaching/signon). These are the kernel suite's cases of the rule, the
// sign-on port's suite and an end-to-end run over the engine.

func participantKeyCases() []testCase {
	return []testCase{
		{
			name: "SameIDTwoOrganisations",
			rule: "participants are keyed by (organisation, id): the same id in two organisations is two participants, each read, updated and joined to its cases alone, and another organisation's is not found",
			run:  testSameIDTwoOrganisations,
		},
		{
			name: "UpdateOtherOrganisation",
			rule: "Tx.UpdateParticipant replaces the participant with the key (organisation, id): an id the organisation does not have is a *NotFoundError, whichever organisation has it",
			run:  testUpdateOtherOrganisation,
		},
		{
			name: "SignOnUniquePerOrganisation",
			rule: "a sign-on id taken by another participant of the organisation is refused by InsertParticipant and UpdateParticipant with a *ValidationError naming sign_on (coaching.SignOnTaken), nothing written; the same sign-on id in two organisations is allowed",
			run:  testSignOnUniquePerOrganisation,
		},
	}
}

// inOrg is minimalParticipant id of organisation org, named after it.
func inOrg(org coaching.OrganisationID, id coaching.ParticipantID, signOn string) coaching.Participant {
	p := minimalParticipant(id)
	p.Organisation, p.SignOn, p.GivenNames = org, signOn, "Liisa "+string(org)
	return p
}

func testSameIDTwoOrganisations(e *env) {
	a, b := inOrg("org-a", "p-1", ""), inOrg("org-b", "p-1", "")
	e.insertParticipant(a, b)
	assert.Equal(e, NormalizeParticipant(a), NormalizeParticipant(e.mustParticipant("org-a", "p-1")), "org-a's p-1")
	assert.Equal(e, NormalizeParticipant(b), NormalizeParticipant(e.mustParticipant("org-b", "p-1")), "org-b's p-1")
	_, err := e.getParticipant("org-c", "p-1")
	requireNotFound(e, err, "participant", "p-1", "p-1 read in an organisation without it")

	b.FamilyName = "Muutettu"
	e.update(func(tx coaching.Tx) error { return tx.UpdateParticipant(e.ctx, b) })
	assert.Equal(e, NormalizeParticipant(a), NormalizeParticipant(e.mustParticipant("org-a", "p-1")), "updating org-b's p-1 leaves org-a's as it was")
	assert.Equal(e, "Muutettu", e.mustParticipant("org-b", "p-1").FamilyName)

	// Each organisation's case is joined to its own participant.
	ca, cb := basicCase("c-a", "valo", "intake", "org-a", false), basicCase("c-b", "valo", "intake", "org-b", false)
	ca.ParticipantID, cb.ParticipantID = "p-1", "p-1"
	cc := basicCase("c-c", "valo", "intake", "org-c", false)
	cc.ParticipantID = "p-1"
	e.update(func(tx coaching.Tx) error {
		return errors.Join(tx.InsertCase(e.ctx, ca), tx.InsertCase(e.ctx, cb), tx.InsertCase(e.ctx, cc))
	})
	if streamer, ok := e.store.(coaching.CaseStreamer); ok {
		got := map[coaching.CaseID]string{}
		for row, err := range streamer.CasesWithParticipants(e.ctx, coaching.CaseQuery{Participant: "p-1"}) {
			require.NoError(e, err)
			if row.HasParticipant {
				got[row.Case.ID] = string(row.Participant.Organisation) + "/" + row.Participant.FamilyName
			} else {
				got[row.Case.ID] = "none"
			}
		}
		assert.Equal(e, map[coaching.CaseID]string{"c-a": "org-a/Esimerkki", "c-b": "org-b/Muutettu", "c-c": "none"}, got,
			"CasesWithParticipants joins a case to the participant of its own organisation")
	}
	assert.Equal(e, []coaching.CaseID{"c-b"}, caseIDs(e.cases(coaching.CaseQuery{Participant: "p-1", Organisation: "org-b"})),
		"Cases with Participant and Organisation lists one participant's cases")
}

func testUpdateOtherOrganisation(e *env) {
	a := inOrg("org-a", "p-1", "")
	e.insertParticipant(a)
	other := inOrg("org-b", "p-1", "")
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.UpdateParticipant(e.ctx, other) })
	requireNotFound(e, err, "participant", "p-1", "updating p-1 of an organisation without it")
	assert.Equal(e, NormalizeParticipant(a), NormalizeParticipant(e.mustParticipant("org-a", "p-1")), "the other organisation's participant is untouched")
	_, err = e.getParticipant("org-b", "p-1")
	requireNotFound(e, err, "participant", "p-1", "a refused update creates nothing")
}

// requireSignOnTaken checks err is coaching.SignOnTaken's error.
func requireSignOnTaken(e *env, err error, what string) {
	e.Helper()
	require.Error(e, err, "%s: want the sign-on id refused, got nil", what)
	require.ErrorIs(e, err, coaching.ErrInvalid, "%s: want a *coaching.ValidationError", what)
	var ve *coaching.ValidationError
	require.ErrorAs(e, err, &ve, "%s", what)
	require.Len(e, ve.Problems, 1, "%s: %v", what, err)
	assert.Equal(e, "sign_on", ve.Problems[0].Field, "%s: the problem names sign_on", what)
	assert.Equal(e, coaching.SignOnTaken().Error(), err.Error(), "%s: the error coaching.SignOnTaken returns", what)
}

func testSignOnUniquePerOrganisation(e *env) {
	e.insertParticipant(inOrg("org-a", "p-1", "sub-1"), inOrg("org-a", "p-plain", ""), inOrg("org-a", "p-plain-2", ""))
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(e.ctx, inOrg("org-a", "p-2", "sub-1")) })
	requireSignOnTaken(e, err, "a second participant of org-a with sub-1")
	_, err = e.getParticipant("org-a", "p-2")
	requireNotFound(e, err, "participant", "p-2", "the refused participant is not stored")

	// Another organisation may link the same sign-on id.
	e.insertParticipant(inOrg("org-b", "p-2", "sub-1"))
	assert.Equal(e, "sub-1", e.mustParticipant("org-b", "p-2").SignOn)

	// A participant keeps its own sign-on id through an update.
	p1 := inOrg("org-a", "p-1", "sub-1")
	p1.FamilyName = "Uusi"
	e.update(func(tx coaching.Tx) error { return tx.UpdateParticipant(e.ctx, p1) })

	// An update to a taken one is refused and leaves the participant.
	p3 := inOrg("org-a", "p-3", "sub-3")
	e.insertParticipant(p3)
	taking := p3
	taking.SignOn, taking.FamilyName = "sub-1", "Ei"
	err = e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.UpdateParticipant(e.ctx, taking) })
	requireSignOnTaken(e, err, "updating p-3 of org-a to sub-1")
	assert.Equal(e, NormalizeParticipant(p3), NormalizeParticipant(e.mustParticipant("org-a", "p-3")), "the refused update wrote nothing")

	// A sign-on id given up is free again, in the same transaction too.
	e.update(func(tx coaching.Tx) error {
		p1.SignOn = "sub-9"
		if err := tx.UpdateParticipant(e.ctx, p1); err != nil {
			return err
		}
		taking.FamilyName = "Otti"
		return tx.UpdateParticipant(e.ctx, taking)
	})
	assert.Equal(e, "sub-1", e.mustParticipant("org-a", "p-3").SignOn)
	assert.Equal(e, "sub-9", e.mustParticipant("org-a", "p-1").SignOn)

	// Participants without a sign-on id never conflict.
	plain := inOrg("org-a", "p-plain", "")
	plain.FamilyName = "Tyhjä"
	e.update(func(tx coaching.Tx) error { return tx.UpdateParticipant(e.ctx, plain) })
}

// RunSignOn runs the conformance suite of the sign-on lookup's store port
// (package coaching/signon) as subtests of t: a store whose read
// transactions implement signon.Reader calls it beside [Run]:
//
//	func TestSignOn(t *testing.T) { storetest.RunSignOn(t, newStore) }
func RunSignOn(t *testing.T, newStore Harness) {
	t.Helper()
	runGroups(t, newStore, []group{{"SignOn", []testCase{
		{
			name: "Lookup",
			rule: "signon.Reader.ParticipantBySignOn returns the id of the participant of the organisation holding the sign-on id, and a *coaching.NotFoundError (Kind \"sign-on id\") when none of that organisation does, whatever other organisations hold",
			run:  testSignOnLookup,
		},
		{
			name: "FollowsWrites",
			rule: "signon.Reader.ParticipantBySignOn sees the transaction's own writes, a sign-on id changed or removed by an update, and nothing of a rolled-back transaction",
			run:  testSignOnFollowsWrites,
		},
	}}})
}

func bySignOn(e *env, tx coaching.ReadTx, org coaching.OrganisationID, s string) (coaching.ParticipantID, error) {
	return port[signon.Reader](e, tx).ParticipantBySignOn(e.ctx, org, s)
}

func testSignOnLookup(e *env) {
	e.insertParticipant(inOrg("org-a", "p-1", "sub-1"), inOrg("org-b", "p-2", "sub-1"), inOrg("org-a", "p-3", ""), inOrg("org-a", "p-4", "sub-4"))
	e.view(func(tx coaching.ReadTx) error {
		for _, c := range []struct {
			org    coaching.OrganisationID
			signOn string
			want   coaching.ParticipantID
		}{{"org-a", "sub-1", "p-1"}, {"org-b", "sub-1", "p-2"}, {"org-a", "sub-4", "p-4"}, {"org-c", "sub-1", ""}, {"org-b", "sub-4", ""},
			{"org-a", "sub-x", ""}, {"org-a", "SUB-1", ""}, {"org-a", "sub-", ""}} {
			got, err := bySignOn(e, tx, c.org, c.signOn)
			what := fmt.Sprintf("sign-on id %q in %s", c.signOn, c.org)
			if c.want == "" {
				requireNotFound(e, err, "sign-on id", c.signOn, what)
				continue
			}
			require.NoError(e, err, what)
			assert.Equal(e, c.want, got, what)
		}
		return nil
	})
}

func testSignOnFollowsWrites(e *env) {
	p := inOrg("org-a", "p-1", "sub-1")
	e.update(func(tx coaching.Tx) error {
		if err := tx.InsertParticipant(e.ctx, p); err != nil {
			return err
		}
		got, err := bySignOn(e, tx, "org-a", "sub-1")
		require.NoError(e, err, "the transaction's own insert")
		assert.Equal(e, coaching.ParticipantID("p-1"), got)
		return nil
	})
	p.SignOn = "sub-2"
	e.update(func(tx coaching.Tx) error { return tx.UpdateParticipant(e.ctx, p) })
	e.view(func(tx coaching.ReadTx) error {
		_, err := bySignOn(e, tx, "org-a", "sub-1")
		requireNotFound(e, err, "sign-on id", "sub-1", "the sign-on id the update replaced")
		got, err := bySignOn(e, tx, "org-a", "sub-2")
		require.NoError(e, err, "the new sign-on id")
		assert.Equal(e, coaching.ParticipantID("p-1"), got)
		return nil
	})
	p.SignOn = ""
	e.update(func(tx coaching.Tx) error { return tx.UpdateParticipant(e.ctx, p) })
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := tx.InsertParticipant(e.ctx, inOrg("org-a", "p-2", "sub-2")); err != nil {
			return err
		}
		return errSentinel
	})
	require.ErrorIs(e, err, errSentinel)
	e.view(func(tx coaching.ReadTx) error {
		_, err := bySignOn(e, tx, "org-a", "sub-2")
		requireNotFound(e, err, "sign-on id", "sub-2", "an unlinked sign-on id, and one a rolled-back insert took")
		return nil
	})
	// Free to take again.
	e.insertParticipant(inOrg("org-a", "p-3", "sub-2"))
}

// RunIDs drives the engine end to end over a store and checks that no
// organisation can see, block or touch another's participants through an
// id: the same host-given id and the same SIS row enrol in two
// organisations as two participants; an ExistingParticipant, an erasure,
// a participant read or change of an id only another organisation has is
// answered exactly as one no organisation has (a *coaching.NotFoundError,
// no access-log entry, nothing changed); a sign-on id is unique within one
// organisation and found by package coaching/signon only there. The store
// must implement signon.Reader. Adapters call it beside [Run]:
//
//	func TestIDs(t *testing.T) { storetest.RunIDs(t, newStore) }
func RunIDs(t *testing.T, newStore Harness) {
	t.Helper()
	ctx := t.Context()
	store := newStore(t)
	require.NotNil(t, store, "the harness returned a nil store")
	now := time.Date(2026, 8, 20, 9, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	require.NoError(t, err)
	const orgA, orgB, orgC coaching.OrganisationID = "org-ids-a", "org-ids-b", "org-ids-c"
	head := func(org coaching.OrganisationID) coaching.Actor {
		return coaching.Actor{ID: "head-" + string(org), Organisation: org, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	}
	tutor := func(org coaching.OrganisationID) coaching.Actor {
		return coaching.Actor{ID: "tutor-" + string(org), Organisation: org, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	}
	student := func(org coaching.OrganisationID, sub string) coaching.Actor {
		return coaching.Actor{ID: sub, Organisation: org, Roles: []coaching.Role{coaching.RoleStudent}}
	}
	person := func(org coaching.OrganisationID, id coaching.ParticipantID, signOn, family string) coaching.Participant {
		return coaching.Participant{ID: id, Organisation: org, GivenNames: "Aino", FamilyName: family, BirthDate: coaching.NewDate(2009, 4, 1),
			Language: coaching.Finnish, SignOn: signOn}
	}
	enrol := func(a coaching.Actor, p coaching.EnrolParams) (coaching.Case, error) {
		p.Model = coaching.ModelPilot
		p.Team = []coaching.TeamMember{{ActorID: tutor(a.Organisation).ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}
		return eng.Enrol(ctx, a, p)
	}
	read := func(org coaching.OrganisationID, id coaching.ParticipantID) (coaching.Participant, error) {
		var p coaching.Participant
		err := store.View(ctx, func(tx coaching.ReadTx) error {
			var err error
			p, err = tx.Participant(ctx, org, id)
			return err
		})
		return p, err
	}
	accessLog := func() int {
		n := 0
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			es, err := tx.AccessLog(ctx, coaching.AccessQuery{})
			n = len(es)
			return err
		}))
		return n
	}

	t.Run("SameHostIDTwoOrganisations", func(t *testing.T) {
		ca, err := enrol(tutor(orgA), coaching.EnrolParams{Participant: person(orgA, "host-1", "", "Alanen")})
		require.NoError(t, err)
		cb, err := enrol(tutor(orgB), coaching.EnrolParams{Participant: person(orgB, "host-1", "", "Berg")})
		require.NoError(t, err, "another organisation's participant with the same id does not block the enrolment")
		assert.Equal(t, coaching.ParticipantID("host-1"), cb.ParticipantID, "the host's id is kept")
		pa, err := read(orgA, "host-1")
		require.NoError(t, err)
		pb, err := read(orgB, "host-1")
		require.NoError(t, err)
		assert.Equal(t, []string{"Alanen", "Berg"}, []string{pa.FamilyName, pb.FamilyName}, "two participants")
		assert.Equal(t, []coaching.OrganisationID{orgA, orgB}, []coaching.OrganisationID{ca.Organisation, cb.Organisation})
		_, err = enrol(tutor(orgA), coaching.EnrolParams{Participant: person(orgA, "host-1", "", "Toinen")})
		var de *coaching.DuplicateError
		require.ErrorAs(t, err, &de, "the same id twice in one organisation is still a duplicate")
	})

	t.Run("ImportNotBlockedByAnotherOrganisation", func(t *testing.T) {
		// org-a takes the id org-b's import gives its row S77.
		taken := sis.ParticipantID(orgB, "S77")
		_, err := enrol(tutor(orgA), coaching.EnrolParams{Participant: person(orgA, taken, "", "Varaaja")})
		require.NoError(t, err)
		csv := "external_id;given_names;family_name;birth_date\nS77;Aino;Koulu;2009-04-01\n"
		rep, err := sis.Import(ctx, eng, tutor(orgB), strings.NewReader(csv), sis.Options{Model: coaching.ModelPilot, Organisation: orgB})
		require.NoError(t, err)
		require.Empty(t, rep.Problems, "the row is enrolled")
		require.Len(t, rep.Enrolled, 1)
		assert.Equal(t, taken, rep.Enrolled[0].Participant)
		pa, err := read(orgA, taken)
		require.NoError(t, err)
		pb, err := read(orgB, taken)
		require.NoError(t, err)
		assert.Equal(t, []string{"Varaaja", "Koulu"}, []string{pa.FamilyName, pb.FamilyName}, "org-a's participant is untouched")
		// The same file in org-a enrols org-a's own row.
		rep, err = sis.Import(ctx, eng, tutor(orgA), strings.NewReader(csv), sis.Options{Model: coaching.ModelPilot, Organisation: orgA})
		require.NoError(t, err)
		require.Len(t, rep.Enrolled, 1, "%v", rep.Problems)
		assert.Equal(t, sis.ParticipantID(orgA, "S77"), rep.Enrolled[0].Participant)
	})

	t.Run("OtherOrganisationAnsweredAsMissing", func(t *testing.T) {
		_, err := enrol(tutor(orgA), coaching.EnrolParams{Participant: person(orgA, "only-a", "", "Aalto")})
		require.NoError(t, err)
		before := accessLog()
		// org-b asks for org-a's id; org-c asks for the same id, which it
		// does not have either; and org-b asks for an id no one has.
		elsewhere := map[string]error{}
		for name, a := range map[string]coaching.Actor{"org-b": tutor(orgB), "org-c": tutor(orgC)} {
			_, elsewhere[name] = enrol(a, coaching.EnrolParams{ExistingParticipant: "only-a"})
		}
		_, missing := enrol(tutor(orgB), coaching.EnrolParams{ExistingParticipant: "no-one"})
		for name, err := range elsewhere {
			var nf *coaching.NotFoundError
			require.ErrorAs(t, err, &nf, name)
			assert.Equal(t, (&coaching.NotFoundError{Kind: "participant", ID: "only-a"}).Error(), err.Error(), "%s: the error of a missing participant", name)
		}
		assert.Equal(t, (&coaching.NotFoundError{Kind: "participant", ID: "no-one"}).Error(), missing.Error())
		assert.Equal(t, before, accessLog(), "no access-log entry: nothing was read or refused")

		// The participant-level operations answer alike and touch nothing.
		er, err := erasure.New(eng)
		require.NoError(t, err)
		_, err = er.Erase(ctx, head(orgB), "only-a", pathway.ErasureOptions())
		require.ErrorIs(t, err, coaching.ErrNotFound, "erasing another organisation's participant")
		_, err = eng.ChangeParticipant(ctx, head(orgB), coaching.OpDecideRequest, "only-a", func(ch *coaching.ParticipantChange) error {
			p := ch.Participant()
			p.FamilyName = "Muutettu"
			return ch.Update(p)
		})
		require.ErrorIs(t, err, coaching.ErrNotFound, "changing another organisation's participant")
		err = eng.Read(ctx, head(orgB), func(sc *coaching.Scope) error {
			_, err := sc.Participant(coaching.OpReadParticipant, "only-a")
			return err
		})
		require.ErrorIs(t, err, coaching.ErrNotFound, "reading another organisation's participant")
		assert.Equal(t, before, accessLog(), "no access-log entry")
		pa, err := read(orgA, "only-a")
		require.NoError(t, err)
		assert.Equal(t, "Aalto", pa.FamilyName)
		assert.True(t, pa.ErasedOn.IsZero(), "not erased")

		// In its own organisation the id is found.
		c, err := enrol(tutor(orgA), coaching.EnrolParams{ExistingParticipant: "only-a"})
		require.NoError(t, err)
		assert.Equal(t, orgA, c.Organisation)
	})

	t.Run("SignOn", func(t *testing.T) {
		_, err := enrol(tutor(orgA), coaching.EnrolParams{Participant: person(orgA, "so-a", "sub-shared", "Aho")})
		require.NoError(t, err)
		_, err = enrol(tutor(orgB), coaching.EnrolParams{Participant: person(orgB, "so-b", "sub-shared", "Berg")})
		require.NoError(t, err, "the same sign-on id in another organisation")
		_, err = enrol(tutor(orgA), coaching.EnrolParams{Participant: person(orgA, "so-a2", "sub-shared", "Kopio")})
		var ve *coaching.ValidationError
		require.ErrorAs(t, err, &ve, "a second participant of org-a with the sign-on id")
		assert.Equal(t, "sign_on", ve.Problems[0].Field)
		_, err = read(orgA, "so-a2")
		require.ErrorIs(t, err, coaching.ErrNotFound, "the refused enrolment stored nothing")

		for org, want := range map[coaching.OrganisationID]string{orgA: "Aho", orgB: "Berg"} {
			p, err := signon.Self(ctx, eng, student(org, "sub-shared"))
			require.NoError(t, err, "the student of %s", org)
			assert.Equal(t, want, p.FamilyName, "each organisation's own student")
			assert.True(t, p.IdentityCode.IsZero() || p.IdentityCode.Withheld(), "the identity code is withheld")
			p, err = signon.Participant(ctx, eng, head(org), "sub-shared")
			require.NoError(t, err, "the head of studies of %s", org)
			assert.Equal(t, want, p.FamilyName)
		}
		before := accessLog()
		_, err = signon.Self(ctx, eng, student(orgC, "sub-shared"))
		require.ErrorIs(t, err, coaching.ErrNotFound, "no participant of org-c has it")
		_, err = signon.Participant(ctx, eng, head(orgC), "sub-shared")
		require.ErrorIs(t, err, coaching.ErrNotFound)
		assert.Equal(t, before, accessLog(), "a sign-on id not found leaves no entry")
		_, err = signon.Participant(ctx, eng, student(orgA, "sub-other"), "sub-shared")
		var fe *coaching.ForbiddenError
		require.ErrorAs(t, err, &fe, "another student")
		assert.Equal(t, before+1, accessLog(), "the refusal is logged")
		_, err = signon.Participant(ctx, eng, head(orgA), "")
		require.ErrorIs(t, err, coaching.ErrInvalid, "an empty sign-on id")
	})
}

// MigrationParticipants returns the participants an SQL store's upgrade
// test writes in the store's format before migration 0012 (participants
// keyed by id alone), each with a case of its own id ("c-"+id) in its
// organisation, then migrates and checks with
// [CheckMigratedParticipants]: ids unique across the store, as they had
// to be, in three organisations (one the empty one), with and without a
// sign-on id, the same sign-on id in two organisations.
func MigrationParticipants() []coaching.Participant {
	var out []coaching.Participant
	for i, org := range []coaching.OrganisationID{"org-a", "org-b", ""} {
		for j := range 3 {
			p := minimalParticipant(coaching.ParticipantID(fmt.Sprintf("p-%d-%d", i, j)))
			p.Organisation, p.FamilyName = org, fmt.Sprintf("Suku%d%d", i, j)
			if j > 0 {
				p.SignOn = fmt.Sprintf("sub-%d", j)
			}
			out = append(out, p)
		}
	}
	return out
}

// CheckMigratedParticipants requires that store, migrated since the
// participants ps (from [MigrationParticipants]) and their cases were
// written the old way, reads each under its organisation and id and by its
// sign-on id, joins each case to it, and keeps the new rules: the same id
// in another organisation is a new participant, a sign-on id taken in the
// organisation is refused.
func CheckMigratedParticipants(t *testing.T, store coaching.Store, ps []coaching.Participant) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		for _, p := range ps {
			got, err := tx.Participant(ctx, p.Organisation, p.ID)
			require.NoError(t, err, "participant %s of %q", p.ID, p.Organisation)
			assert.Equal(t, NormalizeParticipant(p), NormalizeParticipant(got))
			if p.SignOn != "" {
				id, err := tx.(signon.Reader).ParticipantBySignOn(ctx, p.Organisation, p.SignOn)
				require.NoError(t, err, "sign-on id of %s", p.ID)
				assert.Equal(t, p.ID, id)
			}
			_, err = tx.Participant(ctx, "org-elsewhere", p.ID)
			require.ErrorIs(t, err, coaching.ErrNotFound, "participant %s read in another organisation", p.ID)
		}
		return nil
	}))
	if streamer, ok := store.(coaching.CaseStreamer); ok {
		n := 0
		for row, err := range streamer.CasesWithParticipants(ctx, coaching.CaseQuery{}) {
			require.NoError(t, err)
			require.True(t, row.HasParticipant, "case %s is joined to its participant", row.Case.ID)
			assert.Equal(t, coaching.CaseID("c-"+string(row.Participant.ID)), row.Case.ID)
			assert.Equal(t, row.Case.Organisation, row.Participant.Organisation)
			n++
		}
		assert.Equal(t, len(ps), n)
	}
	first := ps[0]
	again := first
	again.Organisation, again.FamilyName = "org-new", "Uusi"
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(ctx, again) }),
		"the same id in another organisation is a new participant")
	var taker coaching.Participant
	for _, p := range ps {
		if p.SignOn != "" {
			taker = minimalParticipant("p-taker")
			taker.Organisation, taker.SignOn = p.Organisation, p.SignOn
			break
		}
	}
	err := store.Update(ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(ctx, taker) })
	require.ErrorIs(t, err, coaching.ErrInvalid, "a sign-on id taken before the migration is refused after it")
}
