package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// normRecord is storetest.NormalizeRecord to the microsecond the store
// keeps.
func normRecord(r coaching.Record) coaching.Record {
	r = storetest.NormalizeRecord(r)
	r.At = r.At.Truncate(time.Microsecond)
	return r
}

// A schema at version 2 whose cases carry their records in their JSON (as
// the store wrote them before 0003: the whole case but its history)
// migrates: every record moves to the records table in its order, to the
// microsecond, its data the same JSON value; the case JSON keeps
// everything else; and the store reads the same records back, and appends
// after them.
func TestMigrateRecordsFromVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := sharedPool(t)
	schema := schemaName()
	dropSchema(t, pool, schema)
	ident := pgx.Identifier{schema}.Sanitize()
	stmts := []string{`CREATE SCHEMA ` + ident}
	for _, f := range []string{"0001_init.sql", "0002_access_log.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", f))
		require.NoError(t, err)
		stmts = append(stmts, strings.ReplaceAll(string(b), "{{schema}}", ident))
	}
	stmts = append(stmts,
		`CREATE TABLE `+ident+`.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO `+ident+`.schema_migrations (version, name) VALUES (1, 'init'), (2, 'access_log')`)
	for _, q := range stmts {
		_, err := pool.Exec(ctx, q)
		require.NoError(t, err, "building a version 2 schema")
	}

	at := time.Date(2025, 3, 4, 10, 11, 12, 123456789, coaching.Helsinki) // nanoseconds: the store keeps microseconds
	base := func(id string) coaching.Case {
		return coaching.Case{ID: coaching.CaseID(id), ParticipantID: coaching.ParticipantID("p-" + id), Organisation: "org-a", Model: "valo",
			State: "coaching", Version: 3, OpenedAt: at, Phase: coaching.PhaseClock{State: "coaching", EnteredAt: at, EntrySeq: 2},
			Team: []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: `Coach "records" Ö`}}}
	}
	full := base("c-full")
	full.Records = []coaching.Record{
		{Name: "entry_assessment", At: at, By: "coach-1", Seq: 2, Data: json.RawMessage(`{"score":3,"notes":"hyvä \"alku\" <b>","nested":{"b":2,"a":[1,2]}}`)},
		{Name: "no_data", At: at.Add(time.Hour), By: "coach-1", Seq: 2},
		{Name: "destination", At: at.Add(2 * time.Hour), By: "coach-1", Seq: 3, Data: json.RawMessage(`{"destination":"work_open","date":"2025-09-01"}`)},
		{Name: "entry_assessment", At: at.Add(3 * time.Hour).In(time.FixedZone("", -7*3600)), By: "head-1", Seq: 3, Data: json.RawMessage(`{"score":4}`)},
	}
	cases := []coaching.Case{full, base("c-none")}
	for i := range 300 {
		c := base(fmt.Sprintf("c-%04d", i))
		for j := range 1 + i%3 {
			c.Records = append(c.Records, coaching.Record{Name: "note", At: at, By: "coach-1", Seq: int64(j + 1), Data: json.RawMessage(fmt.Sprintf(`{"i":%d,"j":%d}`, i, j))})
		}
		cases = append(cases, c)
	}
	for _, c := range cases {
		old := c
		old.History = nil
		data, err := json.Marshal(&old) // the store's encodeCase before 0003
		require.NoError(t, err)
		_, err = pool.Exec(ctx, `INSERT INTO `+ident+`.cases (id, participant_id, organisation, model, state, version, opened_at, closed_at, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)`, string(c.ID), string(c.ParticipantID), string(c.Organisation), c.Model, c.State, c.Version, c.OpenedAt, data)
		require.NoError(t, err)
	}

	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx))
	v, err := store.Version(ctx)
	require.NoError(t, err)
	assert.Equal(t, postgres.LatestVersion(), v)

	var left int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+ident+`.cases WHERE data ? 'records'`).Scan(&left))
	assert.Zero(t, left, "no case JSON keeps its records")
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		for _, c := range cases {
			got, err := tx.Records(ctx, c.ID, coaching.RecordQuery{})
			require.NoError(t, err)
			require.Len(t, got, len(c.Records), "records of %s", c.ID)
			for i := range c.Records {
				assert.Equal(t, normRecord(c.Records[i]), normRecord(got[i]), "record %d of %s", i, c.ID)
				if c.Records[i].Data == nil {
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

	next := coaching.Record{Name: "entry_assessment", At: at.Add(4 * time.Hour), By: "coach-1", Seq: 4, Data: json.RawMessage(`{"score":5}`)}
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.AppendRecords(ctx, "c-full", []coaching.Record{next}) }))
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		all, err := tx.Records(ctx, "c-full", coaching.RecordQuery{})
		require.NoError(t, err)
		require.Len(t, all, 5)
		assert.Equal(t, normRecord(next), normRecord(all[4]), "new records come after the migrated ones")
		return nil
	}))
}
