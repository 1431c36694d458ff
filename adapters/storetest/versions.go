package storetest

import (
	"errors"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

func versionCases() []testCase {
	return []testCase{
		{
			name: "UpdateWithExpectedVersion",
			rule: "Tx.UpdateCase replaces the case when its stored version equals expected (c.Version = expected+1)",
			run:  testUpdateExpected,
		},
		{
			name: "StaleVersionConflicts",
			rule: "Tx.UpdateCase returns a *ConflictError (matching ErrConflict) when the stored version is not expected, and changes nothing",
			run:  testUpdateStale,
		},
		{
			name: "UpdateUnknownCase",
			rule: "Tx.UpdateCase of an unknown case fails with ErrNotFound or ErrConflict (the port does not say which) and creates nothing",
			run:  testUpdateUnknownCase,
		},
	}
}

func testUpdateExpected(e *env) {
	v1 := fullCase("c-1")
	e.insertCase(v1)

	e.appendRecords("c-1", fullRecords()...)
	v2 := nextVersion(v1, "skills", at(5*day))
	v2.Team = v2.Team[:1]
	e.update(func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, v2, 1) })
	assert.Equal(e, NormalizeCase(v2), NormalizeCase(e.mustCase("c-1")), "the case after the update to version 2")

	v3 := nextVersion(v2, "done", at(9*day))
	v3.ClosedAt = at(9 * day)
	v3.Team = nil
	e.update(func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, v3, 2) })
	got := e.mustCase("c-1")
	assert.Equal(e, NormalizeCase(v3), NormalizeCase(got), "the case after the update to version 3")
	assert.Equal(e, int64(3), got.Version)
	assert.True(e, got.Closed())
	assert.Empty(e, got.Team, "the team was emptied by the update: it replaces, it does not merge")
	assert.Equal(e, normalizeAll(fullRecords(), NormalizeRecord), normalizeAll(e.records("c-1", coaching.RecordQuery{}), NormalizeRecord),
		"the case's records are not the row's: an update leaves them as they are")
}

func testUpdateStale(e *env) {
	v1 := fullCase("c-1")
	e.insertCase(v1)
	v2 := nextVersion(v1, "skills", at(5*day))
	e.update(func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, v2, 1) })

	for _, expected := range []int64{1, 3, 0} {
		stale := nextVersion(v1, "stale", at(6*day))
		stale.Version = expected + 1
		err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, stale, expected) })
		ce := requireConflict(e, err, "UpdateCase with a stale expected version")
		assert.Equal(e, coaching.CaseID("c-1"), ce.CaseID, "ConflictError.CaseID")
		assert.Equal(e, expected, ce.Expected, "ConflictError.Expected is the expected version passed in")
		// "Current is the version found in the store (0 if unknown)": a SQL
		// store that checks the version in its WHERE clause may not know it.
		assert.Contains(e, []int64{0, 2}, ce.Current, "ConflictError.Current is the stored version (2) or 0 when the store does not know it")

		assert.Equal(e, NormalizeCase(v2), NormalizeCase(e.mustCase("c-1")), "a conflicting update must leave the stored case unchanged")
	}

	// After the conflict the right version still works.
	v3 := nextVersion(v2, "done", at(9*day))
	e.update(func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, v3, 2) })
	assert.Equal(e, int64(3), e.mustCase("c-1").Version)
}

func testUpdateUnknownCase(e *env) {
	// The port says UpdateCase returns a *ConflictError when the stored
	// version is not expected; for an unknown case there is no stored
	// version (ConflictError.Current "0 if unknown" suggests a conflict),
	// but a *NotFoundError is just as reasonable. Either is accepted.
	ghost := basicCase("c-ghost", "valo", "intake", "org-a", false)
	ghost.Version = 2
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, ghost, 1) })
	require.Error(e, err, "UpdateCase of an unknown case must fail")
	assert.True(e, errors.Is(err, coaching.ErrNotFound) || errors.Is(err, coaching.ErrConflict),
		"UpdateCase of an unknown case: want an error matching ErrNotFound or ErrConflict, got %v", err)

	_, err = e.getCase("c-ghost")
	assert.ErrorIs(e, err, coaching.ErrNotFound, "UpdateCase of an unknown case must not create it")
}
