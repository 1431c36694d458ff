package sqlite_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
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
	store, db := openAt(t, 4)
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
	// The figures before the migration, from the same cohort in the
	// memory store (this build's queries read the participants' key of
	// 0012, which a version 4 database lacks).
	ref := memory.New()
	figurestest.Load(t, ref, entries)
	before := figurestest.Take(t, ref)
	requireLatest(t, store)
	var missing int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE opened_at IS NULL`).Scan(&missing))
	assert.Zero(t, missing, "every case has its opened_at")

	figurestest.CheckMigrated(t, store, entries, before)
	var rows int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM latest_records l
		WHERE l.record_id <> (SELECT max(id) FROM records r WHERE r.case_id = l.case_id AND r.name = l.name)`).Scan(&rows))
	assert.Zero(t, rows, "latest_records holds the latest of each name")
	require.NoError(t, db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (SELECT DISTINCT case_id, name FROM records)) - (SELECT count(*) FROM latest_records)`).Scan(&rows))
	assert.Zero(t, rows, "latest_records has a row for every case and name")
}
