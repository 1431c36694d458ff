package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// A schema at version 6 with attendance (the marks, their day and case
// totals, flags) migrates through 0007, which changes nothing in
// PostgreSQL (the SQLite store's 0007 adds its window of latest days): the
// windows and totals stay a recount of the marks, before and after new
// ones (storetest.CheckMigratedAttendanceWindow).
func TestMigrateAttendanceWindowFromVersion6(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := sharedPool(t)
	schema, _ := schemaAt(t, pool, 6)
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	postgres.LegacyWrites(store, true) // the rows as the store wrote them before 0011
	marks, flags := storetest.AttendanceWindowFixture()
	// Version 6's statements are the store's own: it writes the fixture.
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		for _, id := range []coaching.CaseID{"c-1", "c-2", "c-3"} {
			if err := tx.InsertCase(ctx, coaching.Case{ID: id, ParticipantID: "p-1", Model: "pilot", State: "start", Version: 1,
				OpenedAt: time.Date(2026, 8, 1, 8, 0, 0, 0, time.UTC)}); err != nil {
				return err
			}
		}
		if err := tx.(attendance.Store).PutMarks(ctx, marks); err != nil {
			return err
		}
		return tx.(attendance.Store).PutFlags(ctx, "c-3", flags)
	}))

	requireLatest(t, store)
	storetest.CheckMigratedAttendanceWindow(t, store)
}
