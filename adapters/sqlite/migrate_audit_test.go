package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
)

// A database at version 5 with a case and its trail migrates through 0008
// (a no-op here, PostgreSQL's change: migrations/0008_fire_path.sql)
// and the later versions to the schema a new database has, and the trail
// goes on: the next entry is appended, one out of step is refused. (The
// schema_migrations table is left out: openAt writes it on one line.)
func TestMigrateFromVersion5(t *testing.T) {
	ctx := t.Context()
	store, db := openAt(t, 5,
		`INSERT INTO participants (id, data) VALUES ('p-1', '{"id":"p-1"}')`,
		`INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data)
			VALUES ('c-1', 'p-1', 'valo', 'intake', '', 0, 2, '{"id":"c-1","participant_id":"p-1","model":"valo","state":"intake","version":2}')`,
		`INSERT INTO audit (case_id, seq, at, kind, actor_id, event, from_state, to_state, reason, idempotency_key)
			VALUES ('c-1', 1, 0, 'opened', 'coach-1', '', '', 'intake', '', ''), ('c-1', 2, 0, 'transition', 'coach-1', 'x', 'intake', 'intake', '', '')`)

	requireLatest(t, store)

	fresh, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fresh.db"), &sqlite.Options{Migrate: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fresh.Close() })
	schema := func(s *sqlite.Store) []string {
		rows, err := s.DB().QueryContext(ctx, `SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master
			WHERE name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY type, name`)
		require.NoError(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			out = append(out, s)
		}
		require.NoError(t, rows.Err())
		return out
	}
	assert.Equal(t, schema(fresh), schema(store), "the migrated schema is a new database's")

	at := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	entry := func(seq int64) coaching.AuditEntry {
		return coaching.AuditEntry{CaseID: "c-1", Seq: seq, At: at, Kind: coaching.AuditTransition, ActorID: "coach-1",
			Event: "x", From: "intake", To: "intake"}
	}
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.AppendAudit(ctx, entry(3)) }))
	err = store.Update(ctx, func(tx coaching.Tx) error { return tx.AppendAudit(ctx, entry(5)) })
	var conflict *coaching.ConflictError
	require.ErrorAs(t, err, &conflict, "an entry that does not follow the last")
	assert.Equal(t, int64(3), conflict.Current)
	var n int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE case_id = 'c-1'`).Scan(&n))
	assert.Equal(t, 3, n)
}
