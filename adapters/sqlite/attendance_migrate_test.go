package sqlite_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/storetest"
)

// A database at schema version 6 (running totals per case and per day,
// no window of latest days) migrates: the cases' state rows get no window
// (NULL), RecentDays reads attendance_days for them, and each case's next
// PutMarks builds its window from there — the windows and totals stay a
// recount of the marks throughout (storetest.CheckMigratedAttendanceWindow).
func TestMigrateAttendanceWindowFromVersion6(t *testing.T) {
	ctx := t.Context()
	marks, flags := storetest.AttendanceWindowFixture()
	rows := []string{
		`INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data) VALUES
			('c-1', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{}'),
			('c-2', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{}'),
			('c-3', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{}')`,
	}
	for _, m := range marks {
		rows = append(rows, fmt.Sprintf(`INSERT INTO mark_revisions (case_id, day, lesson, revision, title, minutes, status, reason, at, by_actor)
			VALUES ('%s', %d, '%s', %d, '%s', %d, '%s', '%s', %d, '%s')`,
			m.CaseID, m.Date.Year*10000+int(m.Date.Month)*100+m.Date.Day, m.Lesson, m.Revision, m.Title, m.Minutes, m.Status, m.Reason, m.At.UnixMicro(), m.By))
	}
	// The totals as migration 0004 counts them, and PutMarks kept them
	// until 0007.
	current := `(SELECT case_id, day, lesson, MAX(revision), minutes, status FROM mark_revisions GROUP BY case_id, day, lesson)`
	counts := `count(*), sum(minutes),
		sum(status IN ('absent_unexplained', 'absent_explained', 'sick')),
		sum(CASE WHEN status IN ('absent_unexplained', 'absent_explained', 'sick') THEN minutes ELSE 0 END),
		sum(status = 'absent_unexplained')`
	rows = append(rows,
		`INSERT INTO attendance_days (case_id, day, marks, minutes, absent_marks, absent_minutes, unexplained)
			SELECT case_id, day, `+counts+` FROM `+current+` GROUP BY case_id, day`,
		`INSERT INTO attendance_state (case_id, marks, minutes, absent_marks, absent_minutes, unexplained)
			SELECT case_id, `+counts+` FROM `+current+` GROUP BY case_id`)
	b, err := json.Marshal(flags)
	require.NoError(t, err)
	rows = append(rows, `INSERT INTO attendance_state (case_id, flags) VALUES ('c-3', '`+string(b)+`')`)
	store, db := openAt(t, 6, rows...)

	requireLatest(t, store)
	var windows int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM attendance_state WHERE recent IS NOT NULL`).Scan(&windows))
	assert.Zero(t, windows, "no window before the cases' next marks")

	storetest.CheckMigratedAttendanceWindow(t, store)
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM attendance_state WHERE recent IS NOT NULL`).Scan(&windows))
	assert.Equal(t, 3, windows, "every case with new marks has its window")
}
