package storetest

import (
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

func auditCases() []testCase {
	return []testCase{
		{
			name: "AppendAndReadInOrder",
			rule: "ReadTx.AuditTrail returns the case's entries with Seq > afterSeq in ascending Seq order, field for field",
			run:  testAuditOrder,
		},
		{
			name: "GapConflicts",
			rule: "Tx.AppendAudit returns a *ConflictError unless Seq is exactly one more than the case's last entry (the first entry is 1)",
			run:  testAuditGap,
		},
		{
			name: "RepeatConflicts",
			rule: "Tx.AppendAudit returns a *ConflictError for a Seq the case already has",
			run:  testAuditRepeat,
		},
		{
			name: "EmptyTrail",
			rule: "ReadTx.AuditTrail of a case without entries (or an unknown case) is empty, not an error",
			run:  testAuditEmpty,
		},
		{
			name: "TrailsArePerCase",
			rule: "audit entries are numbered per case: each case's trail holds its own 1, 2, 3, ...",
			run:  testAuditPerCase,
		},
	}
}

func testAuditOrder(e *env) {
	e.seed("c-1")
	want := []coaching.AuditEntry{auditEntry("c-1", 1), auditEntry("c-1", 2), auditEntry("c-1", 3)}
	want[0].Kind, want[0].Event, want[0].From = coaching.AuditOpened, "", ""
	want[1].Payload, want[1].Roles = nil, nil // optional fields may be empty
	e.appendAudit(want[0])
	e.appendAudit(want[1], want[2]) // two in one transaction

	got := e.trail("c-1", 0)
	assert.Equal(e, normalizeAll(want, NormalizeAuditEntry), normalizeAll(got, NormalizeAuditEntry), "AuditTrail(c-1, 0)")
	if assert.Len(e, got, 3) {
		assert.JSONEq(e, string(want[2].Payload), string(got[2].Payload), "AuditEntry.Payload is kept as the same JSON value")
		assert.Empty(e, got[1].Payload, "an entry without a payload must come back without one")
	}

	got = e.trail("c-1", 2)
	assert.Equal(e, normalizeAll(want[2:], NormalizeAuditEntry), normalizeAll(got, NormalizeAuditEntry), "AuditTrail(c-1, 2) returns only Seq 3")
	assert.Equal(e, []int64{2, 3}, seqs(e.trail("c-1", 1)), "AuditTrail(c-1, 1)")
	assert.Empty(e, e.trail("c-1", 3), "AuditTrail(c-1, 3): nothing after the last entry")
	assert.Empty(e, e.trail("c-1", 100), "AuditTrail(c-1, 100): nothing after the last entry")
}

func testAuditGap(e *env) {
	e.seed("c-1", "c-2")
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.AppendAudit(e.ctx, auditEntry("c-2", 2)) })
	requireConflict(e, err, "the first entry of a case with Seq 2")
	assert.Empty(e, e.trail("c-2", 0), "a rejected entry must not be stored")

	e.appendAudit(auditEntry("c-1", 1), auditEntry("c-1", 2), auditEntry("c-1", 3))
	err = e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.AppendAudit(e.ctx, auditEntry("c-1", 5)) })
	requireConflict(e, err, "appending Seq 5 after 3")
	assert.Equal(e, []int64{1, 2, 3}, seqs(e.trail("c-1", 0)), "a rejected entry must not be stored")

	// Seq 4 is still what comes next.
	e.appendAudit(auditEntry("c-1", 4))
	assert.Equal(e, []int64{1, 2, 3, 4}, seqs(e.trail("c-1", 0)))
}

func testAuditRepeat(e *env) {
	e.seed("c-1")
	e.appendAudit(auditEntry("c-1", 1), auditEntry("c-1", 2), auditEntry("c-1", 3))
	for _, seq := range []int64{3, 1, 0} {
		other := auditEntry("c-1", seq)
		other.Reason = "a different entry"
		err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.AppendAudit(e.ctx, other) })
		requireConflict(e, err, "appending an existing or past Seq")
	}
	got := e.trail("c-1", 0)
	require.Len(e, got, 3)
	assert.Equal(e, NormalizeAuditEntry(auditEntry("c-1", 3)), NormalizeAuditEntry(got[2]), "the original entry 3 must be kept")
}

func testAuditEmpty(e *env) {
	e.seed("c-1")
	got := e.trail("c-1", 0)
	assert.Empty(e, got, "a case without entries")
	// The port does not say what AuditTrail of an unknown case returns; the
	// engine checks the case exists before it reads the trail. The suite
	// takes the reading every SELECT ... WHERE case_id = ? satisfies: empty,
	// no error.
	got = e.trail("c-unknown", 0)
	assert.Empty(e, got, "an unknown case")
}

func testAuditPerCase(e *env) {
	e.seed("c-1", "c-2")
	e.appendAudit(auditEntry("c-1", 1), auditEntry("c-2", 1), auditEntry("c-2", 2), auditEntry("c-1", 2))
	e.appendAudit(auditEntry("c-2", 3))

	got1 := e.trail("c-1", 0)
	got2 := e.trail("c-2", 0)
	assert.Equal(e, []int64{1, 2}, seqs(got1))
	assert.Equal(e, []int64{1, 2, 3}, seqs(got2))
	for _, a := range got1 {
		assert.Equal(e, coaching.CaseID("c-1"), a.CaseID)
	}
	for _, a := range got2 {
		assert.Equal(e, coaching.CaseID("c-2"), a.CaseID)
	}
}
