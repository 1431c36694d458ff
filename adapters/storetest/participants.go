package storetest

import (
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

func participantCases() []testCase {
	return append([]testCase{
		{
			name: "InsertGetRoundTrip",
			rule: "Tx.InsertParticipant stores a participant that ReadTx.Participant returns field for field (guardians, background pointers, external ids, identity code)",
			run:  testParticipantRoundTrip,
		},
		{
			name: "InsertDuplicate",
			rule: "Tx.InsertParticipant returns a *DuplicateError (matching ErrDuplicate) when the id exists, and keeps the stored participant",
			run:  testParticipantDuplicate,
		},
		{
			name: "GetUnknown",
			rule: "ReadTx.Participant returns a *NotFoundError (matching ErrNotFound) when the id is unknown",
			run:  testParticipantUnknown,
		},
		{
			name: "UpdateExisting",
			rule: "Tx.UpdateParticipant replaces the stored participant as a whole",
			run:  testParticipantUpdate,
		},
		{
			name: "UpdateUnknown",
			rule: "Tx.UpdateParticipant returns a *NotFoundError (matching ErrNotFound) when the id is unknown, and creates nothing",
			run:  testParticipantUpdateUnknown,
		},
	}, participantKeyCases()...)
}

func testParticipantRoundTrip(e *env) {
	full := fullParticipant("p-full")
	minimal := minimalParticipant("p-minimal")
	e.insertParticipant(full, minimal)

	got := e.mustParticipant(fullOrg, "p-full")
	assert.Equal(e, NormalizeParticipant(full), NormalizeParticipant(got), "full participant")
	// Deep equality already covers the code; check it explicitly too,
	// because its printed forms are masked and a diff would not show it.
	assert.True(e, got.IdentityCode.Equal(full.IdentityCode), "identity code differs after the round trip")
	assert.Equal(e, identityCode, got.IdentityCode.Reveal(), "identity code differs after the round trip")
	if assert.NotNil(e, got.Background.UnemployedMonths, "Background.UnemployedMonths = 0 came back nil") {
		assert.Equal(e, 0, *got.Background.UnemployedMonths)
	}
	if assert.NotNil(e, got.Background.Disability, "Background.Disability = false came back nil") {
		assert.False(e, *got.Background.Disability)
	}
	if assert.NotNil(e, got.Background.ThirdCountryNational, "Background.ThirdCountryNational = false came back nil") {
		assert.False(e, *got.Background.ThirdCountryNational)
	}

	got = e.mustParticipant("", "p-minimal")
	assert.Equal(e, NormalizeParticipant(minimal), NormalizeParticipant(got), "minimal participant")
	assert.True(e, got.IdentityCode.IsZero(), "no identity code was stored, but one came back")
	assert.Nil(e, got.Background.UnemployedMonths, "unknown (nil) background facts must stay unknown")
	assert.Nil(e, got.Background.ForeignBackground, "unknown (nil) background facts must stay unknown")
	assert.Nil(e, got.Background.Disability, "unknown (nil) background facts must stay unknown")
	assert.Nil(e, got.Background.ThirdCountryNational, "unknown (nil) background facts must stay unknown")
	assert.Nil(e, got.Background.Minority, "unknown (nil) background facts must stay unknown")

	// The same values are visible inside a write transaction.
	e.update(func(tx coaching.Tx) error {
		p, err := tx.Participant(e.ctx, fullOrg, "p-full")
		if err != nil {
			return err
		}
		assert.Equal(e, NormalizeParticipant(full), NormalizeParticipant(p), "participant read inside Update")
		return nil
	})
}

func testParticipantDuplicate(e *env) {
	first := fullParticipant("p-1")
	e.insertParticipant(first)

	second := minimalParticipant("p-1")
	second.Organisation = first.Organisation
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(e.ctx, second) })
	de := requireDuplicate(e, err, "inserting participant p-1 twice")
	assert.Equal(e, "p-1", de.ID, "DuplicateError.ID names the existing record")

	assert.Equal(e, NormalizeParticipant(first), NormalizeParticipant(e.mustParticipant(fullOrg, "p-1")), "the first participant must be kept")
}

func testParticipantUnknown(e *env) {
	_, err := e.getParticipant("", "p-nobody")
	requireNotFound(e, err, "participant", "p-nobody", "reading an unknown participant")

	// Inside a write transaction too.
	err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
		_, err := tx.Participant(e.ctx, "", "p-nobody")
		return err
	})
	requireNotFound(e, err, "participant", "p-nobody", "reading an unknown participant inside Update")
}

func testParticipantUpdate(e *env) {
	e.insertParticipant(fullParticipant("p-1"))

	changed := minimalParticipant("p-1")
	changed.GivenNames = "Matti"
	changed.Organisation = fullOrg
	changed.ExternalIDs = map[string]string{"sis": "S9999"}
	// Guardians, identity code and background facts are dropped: update
	// replaces, it does not merge.
	e.update(func(tx coaching.Tx) error { return tx.UpdateParticipant(e.ctx, changed) })

	got := e.mustParticipant(fullOrg, "p-1")
	assert.Equal(e, NormalizeParticipant(changed), NormalizeParticipant(got), "the participant after UpdateParticipant")
	assert.True(e, got.IdentityCode.IsZero(), "the identity code was removed by the update but is still stored")
	assert.Empty(e, got.Guardians, "the guardians were removed by the update but are still stored")
	assert.Nil(e, got.Background.Disability, "Background.Disability was reset to unknown by the update")

	// And back again, with every field.
	full := fullParticipant("p-1")
	e.update(func(tx coaching.Tx) error { return tx.UpdateParticipant(e.ctx, full) })
	got = e.mustParticipant(fullOrg, "p-1")
	assert.Equal(e, NormalizeParticipant(full), NormalizeParticipant(got), "the participant after the second UpdateParticipant")
	assert.Equal(e, identityCode, got.IdentityCode.Reveal())
}

func testParticipantUpdateUnknown(e *env) {
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		return tx.UpdateParticipant(e.ctx, minimalParticipant("p-ghost"))
	})
	requireNotFound(e, err, "participant", "p-ghost", "updating an unknown participant")

	_, err = e.getParticipant("", "p-ghost")
	require.ErrorIs(e, err, coaching.ErrNotFound, "UpdateParticipant of an unknown id must not create it")
}
