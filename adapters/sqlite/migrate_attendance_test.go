package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/storetest"
)

// A database at schema version 2 (flags in the case JSON, no attendance
// state) migrates with its data: the flags move out of the case rows into
// attendance_state, the running totals are counted from the marks already
// stored (the latest revision of each), and recording goes on from them.
func TestMigrateAttendanceStateFromVersion2(t *testing.T) {
	ctx := t.Context()
	store, db := openAt(t, 2)
	for _, q := range []string{
		`INSERT INTO participants (id, identity_code, data) VALUES ('p-1', NULL, '{"given_names":"Liisa","family_name":"Esimerkki"}')`,
		// c-1 has a flag and marks (one corrected), c-2 marks only, c-3
		// an empty flag list, c-4 nothing.
		`INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data) VALUES
			('c-1', 'p-1', 'pilot', 'start', 'org-a', 0, 3, '{"team":[{"actor_id":"t-1","role":"personal_tutor","name":"T"}],"flags":[{"rule":"unexplained_3_in_10","reason":"3 unexplained absences within the last 2 school days","since":"2026-09-08T06:00:00Z","seq":3}]}'),
			('c-2', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{}'),
			('c-3', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{"flags":[]}'),
			('c-4', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{"team":[]}')`,
		`INSERT INTO mark_revisions (case_id, day, lesson, revision, title, minutes, status, reason, at, by_actor) VALUES
			('c-1', 20260907, '1', 1, 'Tunti 1', 45, 'absent_unexplained', '', 0, 't'),
			('c-1', 20260907, '1', 2, 'Tunti 1', 45, 'absent_explained', 'appointment', 1, 't'),
			('c-1', 20260907, '2', 1, 'Tunti 2', 45, 'absent_unexplained', '', 0, 't'),
			('c-1', 20260908, '1', 1, 'Tunti 1', 90, 'present', '', 0, 't'),
			('c-1', 20260908, '2', 1, 'Tunti 2', 30, 'sick', '', 0, 't'),
			('c-2', 20260907, '', 1, '', 300, 'late', '', 0, 't')`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, "building a version 2 database")
	}

	requireLatest(t, store)
	var left int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE json_type(data, '$.flags') IS NOT NULL`).Scan(&left))
	assert.Zero(t, left, "no case row keeps flags")

	storetest.CheckMigratedAttendance(t, store)
}
