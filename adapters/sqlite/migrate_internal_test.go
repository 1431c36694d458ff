package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A migration is applied when its number is not recorded, whatever later
// numbers are: a database migrated by a build that had 0001, 0002 and
// 0004 gets 0003 (and its step) from a build that has all four, and 0004
// is not run again.
func TestMigrateFillsAGap(t *testing.T) {
	ctx := t.Context()
	store, err := Open(ctx, filepath.Join(t.TempDir(), "gap.db"), nil)
	require.NoError(t, err)
	defer store.Close()
	stepRan := 0
	m := func(v int, name string) migration {
		return migration{version: v, name: name, sql: "CREATE TABLE t" + name + " (x INTEGER)"}
	}
	three := m(3, "three")
	three.step = func(ctx context.Context, conn *sql.Conn) error {
		stepRan++
		_, err := conn.ExecContext(ctx, `INSERT INTO tthree (x) VALUES (3)`)
		return err
	}
	require.NoError(t, store.apply(ctx, []migration{m(1, "one"), m(2, "two"), m(4, "four")}))
	v, err := store.DatabaseVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, 4, v)

	// CREATE TABLE of a table that exists fails: a migration run twice
	// would fail the whole call.
	require.NoError(t, store.apply(ctx, []migration{m(1, "one"), m(2, "two"), three, m(4, "four")}))
	assert.Equal(t, 1, stepRan, "the step of 0003 ran once, after its script")
	var x int
	require.NoError(t, store.DB().QueryRowContext(ctx, `SELECT x FROM tthree`).Scan(&x))
	assert.Equal(t, 3, x)
	var versions []int
	rows, err := store.DB().QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	assert.Equal(t, []int{1, 2, 3, 4}, versions)

	require.NoError(t, store.apply(ctx, []migration{m(1, "one"), m(2, "two"), three, m(4, "four")}), "nothing left to do")
	assert.Equal(t, 1, stepRan)
}
