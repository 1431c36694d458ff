package storetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// MigrationFile is one of an SQL store's migration files, as an upgrade
// test applies it to build a database the store left at an older version.
type MigrationFile struct {
	Version int    // the file's number
	Name    string // the rest of the file's name: what Migrate records
	SQL     string
}

// MigrationFiles reads the migrations in dir (files named
// NNNN_name.sql) numbered up to version, in number order.
func MigrationFiles(t *testing.T, dir string, version int) []MigrationFile {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []MigrationFile
	for _, e := range es { // in name order: by number
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		require.True(t, ok, "migration file %s", e.Name())
		n, err := strconv.Atoi(num)
		require.NoError(t, err, "migration file %s", e.Name())
		if n > version {
			break
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out = append(out, MigrationFile{Version: n, Name: name, SQL: string(b)})
	}
	return out
}

// MigrationRecordCases returns the cases an SQL store's upgrade test
// writes in the store's format before migration 0003 (records in the case
// JSON), then migrates and checks with [CheckMigratedRecords]: c-full with
// four records (one without data, a name recorded twice, times in
// nanoseconds where the stores keep microseconds, one in another zone),
// c-none with none, and n more with one to three notes each (n larger
// than the migration's batch proves it reads on past one). Each case's
// Records are the records the store should hold after migrating, in
// order.
func MigrationRecordCases(n int) []coaching.Case {
	at := time.Date(2025, 3, 4, 10, 11, 12, 123456789, coaching.Helsinki)
	base := func(id string) coaching.Case {
		return coaching.Case{ID: coaching.CaseID(id), ParticipantID: coaching.ParticipantID("p-" + id), Organisation: "org-a", Model: "valo",
			State: "coaching", Version: 3, OpenedAt: at, Phase: coaching.PhaseClock{State: "coaching", EnteredAt: at, EntrySeq: 2},
			History: []coaching.PhaseEntry{{State: "intake", At: at, Seq: 1}, {State: "coaching", At: at, Seq: 2}},
			Team:    []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: `Coach "records" Ö`}}}
	}
	full := base("c-full")
	full.Records = []coaching.Record{
		{Name: "entry_assessment", At: at, By: "coach-1", Seq: 2, Data: json.RawMessage(`{"score":3,"notes":"hyvä \"alku\" <b>","nested":{"b":2,"a":[1,2]}}`)},
		{Name: "no_data", At: at.Add(time.Hour), By: "coach-1", Seq: 2},
		{Name: "destination", At: at.Add(2 * time.Hour), By: "coach-1", Seq: 3, Data: json.RawMessage(`{"destination":"work_open","date":"2025-09-01"}`)},
		{Name: "entry_assessment", At: at.Add(3 * time.Hour).In(time.FixedZone("", -7*3600)), By: "head-1", Seq: 3, Data: json.RawMessage(`{"score":4}`)},
	}
	cases := []coaching.Case{full, base("c-none")}
	for i := range n {
		c := base(fmt.Sprintf("c-%04d", i))
		for j := range 1 + i%3 {
			c.Records = append(c.Records, coaching.Record{Name: "note", At: at, By: "coach-1", Seq: int64(j + 1), Data: json.RawMessage(fmt.Sprintf(`{"i":%d,"j":%d}`, i, j))})
		}
		cases = append(cases, c)
	}
	return cases
}

// CheckMigratedRecords checks a store migrated past 0003 from cases
// written as [MigrationRecordCases] returned them: every record moved in
// its order, to the microsecond, its data the same JSON value (a record
// without data still without); the case rows keep everything else; the
// latest of a name is the last one the JSON held; and a record appended
// after the migration comes after the migrated ones.
func CheckMigratedRecords(t *testing.T, store coaching.Store, cases []coaching.Case) {
	t.Helper()
	ctx := t.Context()
	norm := func(r coaching.Record) coaching.Record {
		r = NormalizeRecord(r)
		r.At = r.At.Truncate(time.Microsecond)
		return r
	}
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		for _, c := range cases {
			got, err := tx.Records(ctx, c.ID, coaching.RecordQuery{})
			require.NoError(t, err)
			require.Len(t, got, len(c.Records), "records of %s", c.ID)
			for i := range c.Records {
				assert.Equal(t, norm(c.Records[i]), norm(got[i]), "record %d of %s", i, c.ID)
				if c.Records[i].Data == nil {
					assert.Nil(t, got[i].Data, "a record without data")
				}
			}
			row, err := tx.Case(ctx, c.ID)
			require.NoError(t, err)
			wantRow := c
			wantRow.Records = nil
			assert.Equal(t, NormalizeCase(wantRow), NormalizeCase(row), "the rest of case %s", c.ID)
		}
		latest, err := tx.Records(ctx, "c-full", coaching.RecordQuery{Names: []string{"entry_assessment"}, Latest: true})
		require.NoError(t, err)
		require.Len(t, latest, 1)
		assert.JSONEq(t, `{"score":4}`, string(latest[0].Data), "the latest of a name is the last one the JSON held")
		return nil
	}))

	var full coaching.Case
	for _, c := range cases {
		if c.ID == "c-full" {
			full = c
		}
	}
	require.Len(t, full.Records, 4, "the cases are MigrationRecordCases'")
	next := coaching.Record{Name: "entry_assessment", At: full.Records[0].At.Add(4 * time.Hour), By: "coach-1", Seq: 4, Data: json.RawMessage(`{"score":5}`)}
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.AppendRecords(ctx, "c-full", []coaching.Record{next}) }))
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		all, err := tx.Records(ctx, "c-full", coaching.RecordQuery{})
		require.NoError(t, err)
		require.Len(t, all, 5)
		assert.Equal(t, norm(next), norm(all[4]), "new records come after the migrated ones")
		return nil
	}))
}
