package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// A schema at version 2 (flags in the case JSON, no attendance state)
// migrates with its data: the flags move out of the case rows into
// attendance_state, the running totals are counted from the marks already
// stored (the latest revision of each), and recording goes on from them.
func TestMigrateAttendanceStateFromVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := sharedPool(t)
	schema, ident := schemaAt(t, pool, 2)
	flag := `{"rule":"unexplained_3_in_10","reason":"3 unexplained absences within the last 2 school days","since":"2026-09-08T06:00:00Z","seq":3}`
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	// The version 2 statements the store still runs write the old rows;
	// the flags go into the case JSON as version 2 kept them.
	at := time.Date(2026, 9, 7, 8, 0, 0, 0, time.UTC)
	for _, id := range []coaching.CaseID{"c-1", "c-2", "c-3", "c-4"} {
		require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
			return tx.InsertCase(ctx, coaching.Case{ID: id, ParticipantID: "p-1", Model: "pilot", State: "start", Version: 1, OpenedAt: at,
				Team: []coaching.TeamMember{{ActorID: "t-1", Role: coaching.RolePersonalTutor, Name: "T"}}})
		}))
	}
	for _, q := range []string{
		`UPDATE ` + ident + `.cases SET data = jsonb_set(data, '{flags}', '[` + flag + `]') WHERE id = 'c-1'`,
		`UPDATE ` + ident + `.cases SET data = jsonb_set(data, '{flags}', '[]') WHERE id = 'c-3'`,
		`INSERT INTO ` + ident + `.marks (case_id, date, lesson, revision, title, minutes, status, reason, at, by) VALUES
			('c-1', '2026-09-07', '1', 1, 'Tunti 1', 45, 'absent_unexplained', '', now(), 't'),
			('c-1', '2026-09-07', '1', 2, 'Tunti 1', 45, 'absent_explained', 'appointment', now(), 't'),
			('c-1', '2026-09-07', '2', 1, 'Tunti 2', 45, 'absent_unexplained', '', now(), 't'),
			('c-1', '2026-09-08', '1', 1, 'Tunti 1', 90, 'present', '', now(), 't'),
			('c-1', '2026-09-08', '2', 1, 'Tunti 2', 30, 'sick', '', now(), 't'),
			('c-2', '2026-09-07', '', 1, '', 300, 'late', '', now(), 't')`,
	} {
		_, err := pool.Exec(ctx, q)
		require.NoError(t, err, "writing version 2 data")
	}

	requireLatest(t, store)
	var left int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+ident+`.cases WHERE data ? 'flags'`).Scan(&left))
	assert.Zero(t, left, "no case row keeps flags")

	storetest.CheckMigratedAttendance(t, store)
}
