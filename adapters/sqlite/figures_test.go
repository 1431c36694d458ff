package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes/figurestest"
)

func openFiguresStore(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), path, &sqlite.Options{Migrate: true})
	require.NoError(tb, err)
	return st
}

// The figures through the port (one narrow SELECT) equal the figures from
// whole cases and participants, on a varied cohort, for every query.
func TestFiguresPortEqualsWholeCases(t *testing.T) {
	st := openFiguresStore(t, filepath.Join(t.TempDir(), "figures.db"))
	defer st.Close()
	figurestest.Check(t, st, 600)
}

// figuresGroupBy is the baseline: the VALO categories counted by SQLite
// itself, with a hand-written GROUP BY over the same tables and columns
// the port reads (migration 0005's narrow columns: the participant's
// birth_date and background members read with ->>, the latest destination
// record of each case from latest_records).
// The entry date is the UTC date of the stored opened_at, which is the
// Helsinki date for the benchmark's cohort (opened at 09:00 Helsinki time).
var figuresGroupBy = fmt.Sprintf(`SELECT coalesce(g, ''), coalesce(edu, ''), coalesce(dest, ''),
	CASE WHEN b IS NULL OR b = '' THEN 2
		WHEN CAST(substr(e, 1, 4) AS INTEGER) - CAST(substr(b, 1, 4) AS INTEGER) - (substr(e, 6, 5) < substr(b, 6, 5)) < 30 THEN 0
		ELSE 1 END,
	CASE WHEN ls IN ('%s', '%s', '%s') THEN 0 WHEN m IS NULL OR m < 0 THEN 2 WHEN m > 12 THEN 1 ELSE 0 END,
	count(*)
FROM (SELECT p.background ->> '$.gender' AS g, p.background ->> '$.education_level' AS edu,
		p.birth_date ->> '$' AS b, date(c.opened_at / 1000000, 'unixepoch') AS e,
		p.background ->> '$.labour_status' AS ls, p.background ->> '$.unemployed_months' AS m,
		d.data ->> '$.destination' AS dest
	FROM cases c LEFT JOIN participants p ON p.id = c.participant_id
		LEFT JOIN latest_records d ON d.case_id = c.id AND d.name = 'destination')
GROUP BY 1, 2, 3, 4, 5`, coaching.LabourEmployed, coaching.LabourInactive, coaching.LabourInEducation)

func groupBy(tb testing.TB, st *sqlite.Store) []figurestest.Group {
	rows, err := st.DB().QueryContext(context.Background(), figuresGroupBy)
	require.NoError(tb, err)
	defer rows.Close()
	return figurestest.ScanGroups(tb, rows)
}

var figuresBench struct {
	sync.Mutex
	stores map[int]*sqlite.Store
}

// figuresBenchStore returns a store holding figurestest.Synthetic(0..n-1).
// The database is kept in the temporary directory
// (valmennus-figures-<n>.db) and reused by later runs; delete it to load
// it again.
func figuresBenchStore(b *testing.B, n int) *sqlite.Store {
	figuresBench.Lock()
	defer figuresBench.Unlock()
	if st := figuresBench.stores[n]; st != nil {
		return st
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("valmennus-figures-%d.db", n))
	st := openFiguresStore(b, path)
	var have int
	require.NoError(b, st.DB().QueryRow("SELECT count(*) FROM cases").Scan(&have))
	if have != n {
		require.NoError(b, st.Close())
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
		st = openFiguresStore(b, path)
		entries := make([]figurestest.Entry, 0, 10_000)
		for lo := 0; lo < n; lo += 10_000 {
			entries = entries[:0]
			for i := lo; i < min(n, lo+10_000); i++ {
				p, c := figurestest.Synthetic(i)
				entries = append(entries, figurestest.Entry{Participant: &p, Case: c})
			}
			figurestest.Load(b, st, entries)
		}
	}
	// After a load, or a migration of a database a build before it
	// loaded: the report reads the database file, not a long WAL.
	require.NoError(b, st.Checkpoint(context.Background()))
	if figuresBench.stores == nil {
		figuresBench.stores = map[int]*sqlite.Store{}
	}
	figuresBench.stores[n] = st
	return st
}

// BenchmarkFiguresSQLite: the VALO report over n cases (10 000 at
// -benchtime 1x, else 1 000 000; see figurestest.BenchCases) through the
// figures port, against a hand-written GROUP BY over the same tables in
// the same run (figurestest.Bench).
func BenchmarkFiguresSQLite(b *testing.B) {
	n := figurestest.BenchCases()
	st := figuresBenchStore(b, n)
	figurestest.Bench(b, st, n, func(tb testing.TB) []figurestest.Group { return groupBy(tb, st) })
}
