package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// migrationFiles counts the embedded migrations (their numbers need not be
// contiguous: SchemaVersion is the highest).
func migrationFiles(t testing.TB) int {
	t.Helper()
	es, err := os.ReadDir("migrations")
	require.NoError(t, err)
	return len(es)
}

// A database at schema version 2 (flags in the case JSON, no attendance
// state) migrates with its data: the flags move out of the case rows into
// attendance_state, the running totals are counted from the marks already
// stored (the latest revision of each), and recording goes on from them.
func TestMigrateAttendanceStateFromVersion2(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v2.db")
	store, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer store.Close()
	db := store.DB()
	for _, f := range []string{"0001_init.sql", "0002_access_log.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", f))
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, string(b))
		require.NoError(t, err, f)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'init', 0), (2, 'access_log', 0)`,
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

	require.NoError(t, store.Migrate(ctx))
	v, err := store.DatabaseVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, sqlite.SchemaVersion(), v)
	var left int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE json_type(data, '$.flags') IS NOT NULL`).Scan(&left))
	assert.Zero(t, left, "no case row keeps flags")

	// state reads a case's state and marks, and checks its day totals are
	// a recount too.
	state := func(id coaching.CaseID) (attendance.State, []attendance.Mark) {
		var st attendance.State
		var marks []attendance.Mark
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			rd := tx.(attendance.Reader)
			var err error
			if st, err = rd.State(ctx, id); err != nil {
				return err
			}
			if marks, err = rd.Marks(ctx, id, coaching.Date{}, coaching.Date{}); err != nil {
				return err
			}
			days, err := rd.RecentDays(ctx, id, coaching.NewDate(2026, 12, 31), 1000)
			if err != nil {
				return err
			}
			want := attendance.DaysOf(marks)
			if want == nil {
				want = []attendance.Day{}
			}
			assert.Equal(t, want, days, "the day totals of %s are a recount", id)
			return nil
		}))
		return st, marks
	}
	st, marks := state("c-1")
	require.Len(t, st.Flags, 1, "the flag moved")
	assert.Equal(t, "unexplained_3_in_10", st.Flags[0].Rule)
	assert.Equal(t, int64(3), st.Flags[0].Seq)
	assert.True(t, st.Flags[0].Since.Equal(coaching.NewDate(2026, 9, 8).At(9, 0)))
	assert.Equal(t, attendance.Totals{Marks: 4, Minutes: 210, AbsentMarks: 3, AbsentMinutes: 120, Unexplained: 1}, st.Totals)
	assert.Equal(t, attendance.Recount(marks), st.Totals, "the totals are a recount of the current marks")
	st, marks = state("c-2")
	assert.Empty(t, st.Flags)
	assert.Equal(t, attendance.Recount(marks), st.Totals)
	for _, id := range []coaching.CaseID{"c-3", "c-4"} {
		st, _ = state(id)
		assert.Equal(t, attendance.State{}, st, id)
	}
	var c coaching.Case
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		var err error
		c, err = tx.Case(ctx, "c-1")
		return err
	}))
	assert.Len(t, c.Team, 1, "the rest of the case row stays")

	// Recording goes on from the migrated totals.
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		return tx.(attendance.Store).PutMarks(ctx, []attendance.Mark{
			{CaseID: "c-1", Date: coaching.NewDate(2026, 9, 8), Lesson: "2", Minutes: 30, Status: attendance.Present, Revision: 2},
			{CaseID: "c-4", Date: coaching.NewDate(2026, 9, 8), Lesson: "1", Minutes: 45, Status: attendance.Unexplained, Revision: 1}})
	}))
	for _, id := range []coaching.CaseID{"c-1", "c-4"} {
		st, marks = state(id)
		assert.Equal(t, attendance.Recount(marks), st.Totals, id)
	}
	st, _ = state("c-1")
	assert.Len(t, st.Flags, 1, "the flags stay")
}
