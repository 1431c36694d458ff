package sqlite_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// oldCaseJSON is the cases.data column as the store wrote it before
// migration 0003: the whole case as JSON, records included, without the
// fields that have columns of their own and without the history.
func oldCaseJSON(t *testing.T, c coaching.Case) []byte {
	c.ID, c.ParticipantID, c.Model, c.State, c.Organisation, c.Version = "", "", "", "", "", 0
	c.History = nil
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return b
}

// normRecord is storetest.NormalizeRecord to the microsecond the store
// keeps.
func normRecord(r coaching.Record) coaching.Record {
	r = storetest.NormalizeRecord(r)
	r.At = r.At.Truncate(time.Microsecond)
	return r
}

// A database at schema version 2 whose cases carry their records in their
// JSON (as the store wrote them before 0003) migrates: every record moves
// to the records table in its order, to the microsecond, its data the same
// JSON; the case JSON keeps everything else; and the store reads the same
// records back, and appends after them.
func TestMigrateRecordsFromVersion2(t *testing.T) {
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
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}

	at := time.Date(2025, 3, 4, 10, 11, 12, 123456789, coaching.Helsinki) // nanoseconds: the store keeps microseconds
	base := func(id string) coaching.Case {
		return coaching.Case{ID: coaching.CaseID(id), ParticipantID: coaching.ParticipantID("p-" + id), Organisation: "org-a", Model: "valo",
			State: "coaching", Version: 3, OpenedAt: at, Phase: coaching.PhaseClock{State: "coaching", EnteredAt: at, EntrySeq: 2},
			History: []coaching.PhaseEntry{{State: "intake", At: at, Seq: 1}, {State: "coaching", At: at, Seq: 2}},
			Team:    []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: `Coach "records" Ö`}}}
	}
	want := map[coaching.CaseID][]coaching.Record{}
	var cases []coaching.Case
	full := base("c-full")
	full.Records = []coaching.Record{
		{Name: "entry_assessment", At: at, By: "coach-1", Seq: 2, Data: json.RawMessage(`{"score":3,"notes":"hyvä \"alku\" <b>","nested":{"b":2,"a":[1,2]}}`)},
		{Name: "no_data", At: at.Add(time.Hour), By: "coach-1", Seq: 2},
		{Name: "destination", At: at.Add(2 * time.Hour), By: "coach-1", Seq: 3, Data: json.RawMessage(`{"destination":"work_open","date":"2025-09-01"}`)},
		{Name: "entry_assessment", At: at.Add(3 * time.Hour), By: "head-1", Seq: 3, Data: json.RawMessage(`{"score":4}`)},
	}
	cases = append(cases, full, base("c-none"))
	// More cases than the migration reads in one batch.
	for i := range 1205 {
		c := base(fmt.Sprintf("c-%04d", i))
		c.Records = []coaching.Record{{Name: "note", At: at, By: "coach-1", Seq: 1, Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}}
		cases = append(cases, c)
	}
	for _, c := range cases {
		want[c.ID] = c.Records
		_, err := db.ExecContext(ctx, `INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data) VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
			string(c.ID), string(c.ParticipantID), c.Model, c.State, string(c.Organisation), c.Version, oldCaseJSON(t, c))
		require.NoError(t, err)
	}

	require.NoError(t, store.Migrate(ctx))
	v, err := store.DatabaseVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, sqlite.SchemaVersion(), v)

	var left int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE json_type(data, '$.records') IS NOT NULL`).Scan(&left))
	assert.Zero(t, left, "no case JSON keeps its records")
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		for _, c := range cases {
			got, err := tx.Records(ctx, c.ID, coaching.RecordQuery{})
			require.NoError(t, err)
			wantRecs := want[c.ID]
			require.Len(t, got, len(wantRecs), "records of %s", c.ID)
			for i := range wantRecs {
				assert.Equal(t, normRecord(wantRecs[i]), normRecord(got[i]), "record %d of %s", i, c.ID)
				if wantRecs[i].Data == nil {
					assert.Nil(t, got[i].Data, "a record without data")
				}
			}
			row, err := tx.Case(ctx, c.ID)
			require.NoError(t, err)
			wantRow := c
			wantRow.Records = nil
			assert.Equal(t, storetest.NormalizeCase(wantRow), storetest.NormalizeCase(row), "the rest of case %s", c.ID)
		}
		latest, err := tx.Records(ctx, "c-full", coaching.RecordQuery{Names: []string{"entry_assessment"}, Latest: true})
		require.NoError(t, err)
		require.Len(t, latest, 1)
		assert.JSONEq(t, `{"score":4}`, string(latest[0].Data), "the latest of a name is the last one the JSON held")
		return nil
	}))

	// New records come after the migrated ones.
	next := coaching.Record{Name: "entry_assessment", At: at.Add(4 * time.Hour), By: "coach-1", Seq: 4, Data: json.RawMessage(`{"score":5}`)}
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.AppendRecords(ctx, "c-full", []coaching.Record{next}) }))
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		all, err := tx.Records(ctx, "c-full", coaching.RecordQuery{})
		require.NoError(t, err)
		require.Len(t, all, 5)
		assert.Equal(t, normRecord(next), normRecord(all[4]))
		return nil
	}))
}
