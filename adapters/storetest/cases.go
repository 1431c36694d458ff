package storetest

import (
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/coaching"
)

func caseCases() []testCase {
	return []testCase{
		{
			name: "InsertGetRoundTrip",
			rule: "Tx.InsertCase stores a case (Version 1) that ReadTx.Case returns field for field: team, phase clock, flags (the row keeps no history and no records: Case.History, Case.Records)",
			run:  testCaseRoundTrip,
		},
		{
			name: "TimesKeepMicroseconds",
			rule: "times survive a round trip as the same instant to the microsecond; the monotonic reading and the location may be dropped",
			run:  testCaseTimes,
		},
		{
			name: "InsertDuplicate",
			rule: "Tx.InsertCase returns a *DuplicateError (matching ErrDuplicate) when the id exists, and keeps the stored case",
			run:  testCaseDuplicate,
		},
		{
			name: "GetUnknown",
			rule: "ReadTx.Case returns a *NotFoundError (matching ErrNotFound) when the id is unknown",
			run:  testCaseUnknown,
		},
	}
}

func testCaseRoundTrip(e *env) {
	full := fullCase("c-full")
	closed := basicCase("c-closed", "first_year", "done", "", true)
	e.insertCase(full, closed)

	got := e.mustCase("c-full")
	assert.Equal(e, int64(1), got.Version, "a newly inserted case has Version 1")
	assert.Equal(e, NormalizeCase(full), NormalizeCase(got), "full case")
	assert.Empty(e, got.History, "the row keeps no history")
	assert.Empty(e, got.Records, "the row keeps no records")
	assert.False(e, got.Closed(), "a case with a zero ClosedAt is open")
	assert.True(e, got.Paused(), "PausedAt must survive")

	got = e.mustCase("c-closed")
	assert.Equal(e, NormalizeCase(closed), NormalizeCase(got), "closed case")
	assert.True(e, got.Closed(), "ClosedAt must survive")
	assert.Empty(e, got.Team)
	assert.Empty(e, got.Records)
}

func testCaseTimes(e *env) {
	// A time with a monotonic reading and microsecond (not nanosecond)
	// precision: time.Now with its sub-microsecond part removed by Add,
	// which keeps the monotonic reading.
	now := time.Now()
	now = now.Add(-time.Duration(now.Nanosecond() % 1000))
	times := []time.Time{
		now,
		time.Date(2025, time.October, 26, 3, 59, 59, 999999000, coaching.Helsinki), // the hour before the DST change
		time.Date(2025, time.October, 26, 3, 0, 0, 1000, coaching.Helsinki),        // inside the repeated hour
		time.Date(1999, time.December, 31, 23, 59, 59, 1000, time.UTC),
		time.Date(2099, time.January, 1, 0, 0, 0, 0, time.FixedZone("", 5*3600+30*60)),
	}
	for i, tt := range times {
		id := coaching.CaseID("c-time-" + string(rune('a'+i)))
		c := basicCase(id, "valo", "intake", "org-a", false)
		c.OpenedAt = tt
		c.ClosedAt = tt.Add(time.Microsecond)
		c.Phase.EnteredAt = tt.Add(2 * time.Microsecond)
		c.Phase.DueAt = tt.Add(3 * time.Microsecond)
		c.History[0].At = tt.Add(4 * time.Microsecond)
		rec := coaching.Record{Name: "r", At: tt.Add(5 * time.Microsecond), Data: []byte(`{}`)}
		e.insertCase(c)
		e.appendRecords(id, rec)

		got := e.mustCase(id)
		check := func(field string, want, have time.Time) {
			e.Helper()
			assert.Truef(e, want.Equal(have), "%s: stored %s, read back %s (diff %s)", field, want.Format(time.RFC3339Nano), have.Format(time.RFC3339Nano), have.Sub(want))
		}
		check("OpenedAt", c.OpenedAt, got.OpenedAt)
		check("ClosedAt", c.ClosedAt, got.ClosedAt)
		check("Phase.EnteredAt", c.Phase.EnteredAt, got.Phase.EnteredAt)
		check("Phase.DueAt", c.Phase.DueAt, got.Phase.DueAt)
		assert.True(e, got.Phase.PausedAt.IsZero(), "a zero Phase.PausedAt must stay zero")
		assert.True(e, got.Phase.OverdueAt.IsZero(), "a zero Phase.OverdueAt must stay zero")
		assert.Empty(e, got.History, "the store keeps no phase history in the case row (the audit trail holds it)")
		if recs := e.records(id, coaching.RecordQuery{}); assert.Len(e, recs, 1) {
			check("Records[0].At", rec.At, recs[0].At)
		}
	}
}

func testCaseDuplicate(e *env) {
	first := fullCase("c-1")
	e.insertCase(first)

	second := basicCase("c-1", "other", "intake", "org-b", false)
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.InsertCase(e.ctx, second) })
	de := requireDuplicate(e, err, "inserting case c-1 twice")
	assert.Equal(e, "c-1", de.ID, "DuplicateError.ID names the existing record")

	assert.Equal(e, NormalizeCase(first), NormalizeCase(e.mustCase("c-1")), "the first case must be kept")
}

func testCaseUnknown(e *env) {
	_, err := e.getCase("c-nothing")
	requireNotFound(e, err, "case", "c-nothing", "reading an unknown case")

	err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
		_, err := tx.Case(e.ctx, "c-nothing")
		return err
	})
	requireNotFound(e, err, "case", "c-nothing", "reading an unknown case inside Update")
}
