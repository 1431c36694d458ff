package sqlite_test

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// scanFiles reports every secret found in the database file at path and in
// its -wal and -journal files (when they exist), as "file: secret".
func scanFiles(t *testing.T, path string, secrets []string) []string {
	t.Helper()
	var found []string
	for _, name := range []string{path, path + "-wal", path + "-journal"} {
		raw, err := os.ReadFile(name)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		for _, s := range secrets {
			if bytes.Contains(raw, []byte(s)) {
				found = append(found, filepath.Base(name)+": "+s)
			}
		}
	}
	return found
}

// requireAllFound checks that a scan found every secret (in some file or
// relation), before the erasure: the scan sees them.
func requireAllFound(t *testing.T, found, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		hit := false
		for _, f := range found {
			hit = hit || strings.HasSuffix(f, ": "+s)
		}
		require.True(t, hit, "before the erasure the scan finds %q (else finding nothing after it proves nothing); found %q", s, found)
	}
}

// After an erasure the erased values are in no byte of the database
// file or its WAL: not in live rows, not in the free space of a page, not
// on a free page, not in an old page image in the WAL. Checked while the
// store is open (right after Erase returns) and after Close, for a store
// made by Open and one made by New on the host's own pool with DSN.
func TestErasureOverwrites(t *testing.T) {
	tests := []struct {
		name string
		open func(t *testing.T, path string) (*sqlite.Store, func())
	}{
		{"Open", func(t *testing.T, path string) (*sqlite.Store, func()) {
			s, err := sqlite.Open(t.Context(), path, &sqlite.Options{Migrate: true})
			require.NoError(t, err)
			return s, func() { require.NoError(t, s.Close()) }
		}},
		{"New", func(t *testing.T, path string) (*sqlite.Store, func()) {
			db, err := sql.Open(sqlite.DriverName, sqlite.DSN(path, nil))
			require.NoError(t, err)
			db.SetMaxOpenConns(1)
			s, err := sqlite.New(t.Context(), db, &sqlite.Options{Migrate: true})
			require.NoError(t, err)
			return s, func() { require.NoError(t, errors.Join(s.Close(), db.Close())) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "erase.db")
			store, closeStore := tt.open(t, path)
			erased := storetest.EraseParticipant(t, store, func(e storetest.Erased) {
				requireAllFound(t, scanFiles(t, path, e.Secrets), e.Secrets)
			})
			assert.Empty(t, scanFiles(t, path, erased.Secrets), "right after Erase, with the store open")

			require.NoError(t, store.Checkpoint(t.Context()))
			assert.Empty(t, scanFiles(t, path, erased.Secrets), "after Checkpoint")
			closeStore()
			assert.Empty(t, scanFiles(t, path, erased.Secrets), "after Close")
		})
	}
}

// A reader on an old snapshot keeps the checkpoint after an erasure from
// completing: Erase still succeeds (it has committed), Checkpoint reports
// the failure, later writes try again without waiting for the reader, and
// the first write after the reader is done completes it: the erased bytes
// are gone from the WAL.
func TestCheckpointAfterReader(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "reader.db")
	const busy = 300 * time.Millisecond
	store, err := sqlite.Open(ctx, path, &sqlite.Options{Migrate: true, BusyTimeout: busy})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	write := func(id coaching.ParticipantID) time.Duration {
		start := time.Now()
		require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(ctx, participant(id)) }))
		return time.Since(start)
	}

	reading, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- store.View(ctx, func(tx coaching.ReadTx) error {
			if _, err := tx.Participant(ctx, "", "nobody"); !errors.Is(err, coaching.ErrNotFound) {
				return err
			}
			close(reading)
			<-release
			return nil
		})
	}()
	<-reading
	erased := storetest.EraseParticipant(t, store, nil)
	err = store.Checkpoint(ctx)
	require.Error(t, err, "the reader holds an old snapshot")
	assert.Contains(t, err.Error(), "kept it from completing")
	assert.NotEmpty(t, scanFiles(t, path, erased.Secrets), "the WAL still holds the old pages")
	assert.Less(t, write("p-during"), busy, "a later write tries again without waiting for the reader")
	assert.NotEmpty(t, scanFiles(t, path, erased.Secrets), "the reader is still there")

	close(release)
	require.NoError(t, <-done)
	write("p-after")
	assert.Empty(t, scanFiles(t, path, erased.Secrets), "the next write completed the checkpoint")
	require.NoError(t, store.Checkpoint(ctx))
}

// secure_delete must be on from the start: turned on only for the
// erasure's transaction it overwrites the rows the erasure deletes, but not
// the copies earlier updates and page splits left in the free space (a
// large document's, here). So New refuses a pool without it, as it refuses
// one without foreign keys.
func TestSecureDeleteFromTheStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "late.db")
	hostDSN := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate"
	db, err := sql.Open(sqlite.DriverName, hostDSN)
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	_, err = sqlite.New(t.Context(), db, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "secure_delete is off")

	// Why: a store on such a pool (made here behind New's back, by
	// turning secure_delete on for New's check only) leaves copies behind.
	conn, err := db.Conn(t.Context())
	require.NoError(t, err)
	_, err = conn.ExecContext(t.Context(), "PRAGMA secure_delete = ON")
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	store, err := sqlite.New(t.Context(), db, &sqlite.Options{Migrate: true})
	require.NoError(t, err)
	_, err = db.ExecContext(t.Context(), "PRAGMA secure_delete = OFF")
	require.NoError(t, err)
	erased := storetest.EraseParticipant(t, store, nil)
	require.NoError(t, store.Checkpoint(t.Context()))
	t.Logf("with secure_delete on only in the erasure's transaction, the file still holds: %q", scanFiles(t, path, erased.Secrets))

	// The remedy for a file written so: VACUUM rebuilds it, then a
	// checkpoint empties the WAL.
	_, err = db.ExecContext(t.Context(), "PRAGMA secure_delete = ON")
	require.NoError(t, err)
	_, err = db.ExecContext(t.Context(), "VACUUM")
	require.NoError(t, err)
	require.NoError(t, store.Checkpoint(t.Context()))
	assert.Empty(t, scanFiles(t, path, erased.Secrets), "after VACUUM and Checkpoint")
	require.NoError(t, store.Close())
}
