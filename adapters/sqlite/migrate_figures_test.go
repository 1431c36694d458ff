package sqlite_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes/figurestest"
)

// A database at schema version 4 holding figurestest's varied cohort,
// written as the store wrote it before 0005 (the JSON columns, the records
// in their table, no narrow columns), migrates: the figures through the
// port, which reads only the columns 0005 adds, equal the figures computed
// from whole cases and participants before the migration, for every query;
// and writes after it keep the columns (a record appended becomes the
// latest of its name, an erasure's ReplaceRecords and rewrite of the
// participant are followed).
func TestMigrateFiguresFromVersion4(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v4.db")
	store, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer store.Close()
	db := store.DB()
	for _, f := range []string{"0001_init.sql", "0002_access_log.sql", "0003_records.sql", "0004_attendance_state.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", f))
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, string(b))
		require.NoError(t, err, f)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'init', 0), (2, 'access_log', 0), (3, 'records', 0), (4, 'attendance_state', 0)`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	entries := figurestest.Cohort(600)
	for _, e := range entries {
		if p := e.Participant; p != nil {
			q := *p
			q.ID, q.IdentityCode = "", coaching.IdentityCode{}
			data, err := json.Marshal(q)
			require.NoError(t, err)
			_, err = db.ExecContext(ctx, `INSERT INTO participants (id, identity_code, data) VALUES (?, NULL, ?)`, string(p.ID), data)
			require.NoError(t, err)
		}
		c := e.Case
		row := c
		row.ID, row.ParticipantID, row.Model, row.State, row.Organisation, row.Version = "", "", "", "", "", 0
		row.History, row.Records = nil, nil
		data, err := json.Marshal(row)
		require.NoError(t, err)
		closed := 0
		if c.Closed() {
			closed = 1
		}
		_, err = db.ExecContext(ctx, `INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			string(c.ID), string(c.ParticipantID), c.Model, c.State, string(c.Organisation), closed, c.Version, data)
		require.NoError(t, err)
		for _, r := range c.Records {
			var rdata any
			if r.Data != nil {
				rdata = []byte(r.Data)
			}
			_, err = db.ExecContext(ctx, `INSERT INTO records (case_id, seq, name, at, by_actor, data) VALUES (?, ?, ?, ?, ?, ?)`,
				string(c.ID), r.Seq, r.Name, r.At.UnixMicro(), r.By, rdata)
			require.NoError(t, err)
		}
	}
	// The figures before the migration, from whole cases (which read
	// none of the columns 0005 adds).
	before := make([]figurestest.Report, len(figurestest.Queries))
	counts := make([]int64, len(figurestest.Queries))
	for i, q := range figurestest.Queries {
		before[i], counts[i] = figurestest.Figures(t, figurestest.WholeCases(store), q)
	}

	require.NoError(t, store.Migrate(ctx))
	v, err := store.DatabaseVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, sqlite.SchemaVersion(), v)
	var missing int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE opened_at IS NULL`).Scan(&missing))
	assert.Zero(t, missing, "every case has its opened_at")

	for i, q := range figurestest.Queries {
		got, n := figurestest.Figures(t, store, q)
		require.Equal(t, counts[i], n, "cases counted, query %+v", q)
		require.Equal(t, before[i], got, "figures, query %+v", q)
	}
	assert.EqualValues(t, len(entries), counts[0])

	// Writes after the migration keep the narrow columns: every case's
	// records replaced by their reverse (the latest of each name changes),
	// one more destination appended, and every participant rewritten
	// without its background.
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		for _, e := range entries {
			recs := e.Case.Records
			rev := make([]coaching.Record, len(recs))
			for j, r := range recs {
				rev[len(recs)-1-j] = r
			}
			if err := tx.ReplaceRecords(ctx, e.Case.ID, rev); err != nil {
				return err
			}
			if e.Participant != nil {
				p := *e.Participant
				p.Background = coaching.Background{}
				if err := tx.UpdateParticipant(ctx, p); err != nil {
					return err
				}
			}
		}
		return tx.AppendRecords(ctx, entries[0].Case.ID, []coaching.Record{{Name: "destination", At: entries[0].Case.OpenedAt, By: "coach-1", Seq: 99,
			Data: json.RawMessage(`{"destination":"work_open","date":"2025-09-01"}`)}})
	}))
	for _, q := range figurestest.Queries {
		viaPort, nPort := figurestest.Figures(t, store, q)
		whole, nWhole := figurestest.Figures(t, figurestest.WholeCases(store), q)
		require.Equal(t, nWhole, nPort, "cases counted after writes, query %+v", q)
		require.Equal(t, whole, viaPort, "figures after writes, query %+v", q)
	}
	var rows int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM latest_records l
		WHERE l.record_id <> (SELECT max(id) FROM records r WHERE r.case_id = l.case_id AND r.name = l.name)`).Scan(&rows))
	assert.Zero(t, rows, "latest_records holds the latest of each name")
	require.NoError(t, db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (SELECT DISTINCT case_id, name FROM records)) - (SELECT count(*) FROM latest_records)`).Scan(&rows))
	assert.Zero(t, rows, "latest_records has a row for every case and name")
}
