package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
)

const migrateDBEnv = "VALMENNUS_SQLITE_MIGRATE_DB"

// TestHelperMigrate is the child process of TestMigrateFromProcesses; it
// does nothing in a normal test run.
func TestHelperMigrate(t *testing.T) {
	path := os.Getenv(migrateDBEnv)
	if path == "" {
		t.Skip("a migrating process of TestMigrateFromProcesses")
	}
	s, err := sqlite.Open(context.Background(), path, &sqlite.Options{Migrate: true})
	if err == nil {
		err = s.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

// Several processes opening a new database file with Options.Migrate at the
// same moment: all succeed, and each migration is applied once.
func TestMigrateFromProcesses(t *testing.T) {
	if os.Getenv(migrateDBEnv) != "" || os.Getenv(crashDBEnv) != "" {
		t.Skip("inside a helper process")
	}
	path := filepath.Join(t.TempDir(), "fresh.db")
	const procs = 4
	var wg sync.WaitGroup
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	for i := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMigrate$", "-test.count=1")
			cmd.Env = append(os.Environ(), migrateDBEnv+"="+path)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	for i := range procs {
		require.NoError(t, errs[i], "process %d: %s", i, outs[i])
	}
	s, err := sqlite.Open(t.Context(), path, nil)
	require.NoError(t, err)
	defer s.Close()
	v, err := s.DatabaseVersion(t.Context())
	require.NoError(t, err)
	assert.Equal(t, sqlite.SchemaVersion(), v)
	var rows int
	require.NoError(t, s.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&rows))
	assert.Equal(t, migrationFiles(t), rows, "each migration applied once")
}
