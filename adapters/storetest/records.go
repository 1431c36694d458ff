package storetest

import (
	"errors"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// The kernel's records: append-only rows beside the case row
// (coaching.Case.Records, Tx.AppendRecords, ReadTx.Records,
// Tx.ReplaceRecords).
func recordCases() []testCase {
	return []testCase{
		{
			name: "AppendAndRead",
			rule: "Tx.AppendRecords appends a case's records in the order given, after every record it has; ReadTx.Records returns them oldest first, field for field, Data as the same JSON value",
			run:  testRecordsAppendAndRead,
		},
		{
			name: "Query",
			rule: "ReadTx.Records returns what RecordQuery selects (Names, AfterSeq, Latest: the latest of each name), in the order appended, as RecordQuery.Select picks it",
			run:  testRecordsQuery,
		},
		{
			name: "NotInTheRow",
			rule: "the case row holds no records: ReadTx.Case and Store.Cases return none, Tx.InsertCase and Tx.UpdateCase refuse a case with Records (*ValidationError, nothing written) and UpdateCase leaves the stored records as they are",
			run:  testRecordsNotInTheRow,
		},
		{
			name: "UnknownCase",
			rule: "Tx.AppendRecords and Tx.ReplaceRecords of an unknown case return a *NotFoundError and write nothing; ReadTx.Records of an unknown case is empty",
			run:  testRecordsUnknownCase,
		},
		{
			name: "Replace",
			rule: "Tx.ReplaceRecords replaces every record of the case (only that case's) with the given ones, in order; records appended afterwards come after them",
			run:  testRecordsReplace,
		},
		{
			name: "Streamed",
			rule: "CaseStreamer.CasesWithParticipants yields each case with its records, oldest first (a case without records has none)",
			run:  testRecordsStreamed,
		},
	}
}

func rec(name string, seq int64, data string) coaching.Record {
	r := coaching.Record{Name: name, At: at(time.Duration(seq) * hour), By: "a-coach", Seq: seq}
	if data != "" {
		r.Data = []byte(data)
	}
	return r
}

func testRecordsAppendAndRead(e *env) {
	e.seed("c-1", "c-2")
	first := fullRecords()
	e.appendRecords("c-1", first...)
	e.appendRecords("c-2", rec("other", 1, `{"x":1}`))
	later := []coaching.Record{rec("entry_assessment", 4, `{"score":5}`), rec("no_data", 4, "")}
	e.appendRecords("c-1", later...)

	want := normalizeAll(append(fullRecords(), later...), NormalizeRecord)
	got := e.records("c-1", coaching.RecordQuery{})
	assert.Equal(e, want, normalizeAll(got, NormalizeRecord), "every record of the case, oldest first")
	require.Len(e, got, 4)
	assert.JSONEq(e, string(first[0].Data), string(got[0].Data), "Record.Data is kept as the same JSON value")
	assert.Nil(e, got[3].Data, "a record without data reads back without data")
	c := coaching.Case{Records: got}
	var decoded struct {
		Score int    `json:"score"`
		Notes string `json:"notes"`
	}
	require.NoError(e, c.DecodeRecord("entry_assessment", &decoded), "Record.Data must still be valid JSON")
	assert.Equal(e, 5, decoded.Score, "the latest entry_assessment")
	assert.Equal(e, []coaching.Record{NormalizeRecord(rec("other", 1, `{"x":1}`))}, normalizeAll(e.records("c-2", coaching.RecordQuery{}), NormalizeRecord),
		"another case's records are its own")
}

func testRecordsQuery(e *env) {
	e.seed("c-1")
	all := []coaching.Record{
		rec("a", 1, `{"n":1}`), rec("b", 1, `{"n":2}`),
		rec("a", 2, `{"n":3}`),
		rec("c", 3, `{"n":4}`), rec("b", 3, `{"n":5}`),
		rec("a", 4, `{"n":6}`),
	}
	e.appendRecords("c-1", all[:2]...)
	e.appendRecords("c-1", all[2])
	e.appendRecords("c-1", all[3:5]...)
	e.appendRecords("c-1", all[5])
	for _, q := range []coaching.RecordQuery{
		{},
		{Names: []string{"a"}},
		{Names: []string{"b", "a"}},
		{Names: []string{"a", "a", "missing"}},
		{Names: []string{"missing"}},
		{AfterSeq: 2},
		{AfterSeq: 4},
		{Latest: true},
		{Names: []string{"b", "a"}, Latest: true},
		{Names: []string{"c"}, Latest: true},
		{Names: []string{"b"}, Latest: true, AfterSeq: 1},
		{Names: []string{"b"}, Latest: true, AfterSeq: 3},
		{Names: []string{"a", "b"}, AfterSeq: 1},
		{Latest: true, AfterSeq: 3},
	} {
		want := normalizeAll(q.Select(all), NormalizeRecord)
		got := normalizeAll(e.records("c-1", q), NormalizeRecord)
		assert.Equal(e, want, got, "Records(%+v)", q)
	}
	// A spot check of Select itself: the latest of each name, oldest first.
	latest := coaching.RecordQuery{Latest: true}.Select(all)
	require.Len(e, latest, 3)
	assert.Equal(e, []string{"c", "b", "a"}, []string{latest[0].Name, latest[1].Name, latest[2].Name})
	assert.JSONEq(e, `{"n":6}`, string(latest[2].Data))
}

func testRecordsNotInTheRow(e *env) {
	c := fullCase("c-1")
	e.insertCase(c)
	e.appendRecords("c-1", fullRecords()...)
	assert.Empty(e, e.mustCase("c-1").Records, "ReadTx.Case returns the row, without records")
	for _, got := range e.cases(coaching.CaseQuery{}) {
		assert.Empty(e, got.Records, "Store.Cases streams rows, without records")
	}

	withRecords := fullCase("c-2")
	withRecords.Records = fullRecords()
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := tx.InsertParticipant(e.ctx, minimalParticipant(withRecords.ParticipantID)); err != nil {
			return err
		}
		return tx.InsertCase(e.ctx, withRecords)
	})
	var ve *coaching.ValidationError
	require.ErrorAs(e, err, &ve, "InsertCase of a case with Records")
	_, err = e.getCase("c-2")
	requireNotFound(e, err, "case", "c-2", "the refused case")

	next := nextVersion(c, "skills", at(5*day))
	next.Records = fullRecords()
	err = e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, next, 1) })
	require.ErrorAs(e, err, &ve, "UpdateCase of a case with Records")
	assert.Equal(e, NormalizeCase(c), NormalizeCase(e.mustCase("c-1")), "the refused update changed the case")

	next.Records = nil
	e.update(func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, next, 1) })
	assert.Equal(e, normalizeAll(fullRecords(), NormalizeRecord), normalizeAll(e.records("c-1", coaching.RecordQuery{}), NormalizeRecord),
		"UpdateCase leaves the records as they are")
}

func testRecordsUnknownCase(e *env) {
	e.seed("c-1")
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		return tx.AppendRecords(e.ctx, "c-nope", []coaching.Record{rec("a", 1, `{}`)})
	})
	requireNotFound(e, err, "case", "c-nope", "AppendRecords of an unknown case")
	err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
		return tx.ReplaceRecords(e.ctx, "c-nope", []coaching.Record{rec("a", 1, `{}`)})
	})
	requireNotFound(e, err, "case", "c-nope", "ReplaceRecords of an unknown case")
	assert.Empty(e, e.records("c-nope", coaching.RecordQuery{}), "nothing was written for the unknown case")
	assert.Empty(e, e.records("c-1", coaching.RecordQuery{}), "nor for another")

	// A failed transaction appends nothing.
	err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := tx.AppendRecords(e.ctx, "c-1", fullRecords()); err != nil {
			return err
		}
		return errSentinel
	})
	require.True(e, errors.Is(err, errSentinel), "Update returns fn's error")
	assert.Empty(e, e.records("c-1", coaching.RecordQuery{}), "a rolled-back AppendRecords leaves nothing")
}

func testRecordsReplace(e *env) {
	e.seed("c-1", "c-2")
	e.appendRecords("c-1", fullRecords()...)
	e.appendRecords("c-2", rec("other", 1, `{"x":1}`))
	kept := []coaching.Record{rec("destination", 5, `{"destination":"work"}`), fullRecords()[0]}
	e.update(func(tx coaching.Tx) error { return tx.ReplaceRecords(e.ctx, "c-1", kept) })
	e.appendRecords("c-1", rec("after", 6, `[]`))

	want := normalizeAll(append(append([]coaching.Record{}, kept...), rec("after", 6, `[]`)), NormalizeRecord)
	assert.Equal(e, want, normalizeAll(e.records("c-1", coaching.RecordQuery{}), NormalizeRecord), "the replacements, then what was appended")
	latest := e.records("c-1", coaching.RecordQuery{Names: []string{"entry_assessment"}, Latest: true})
	if assert.Len(e, latest, 1) {
		assert.Equal(e, NormalizeRecord(fullRecords()[0]), NormalizeRecord(latest[0]), "the latest of a name after a replace")
	}
	assert.Len(e, e.records("c-2", coaching.RecordQuery{}), 1, "another case's records stay")

	e.update(func(tx coaching.Tx) error { return tx.ReplaceRecords(e.ctx, "c-2", nil) })
	assert.Empty(e, e.records("c-2", coaching.RecordQuery{}), "replacing with none removes them all")
}

func testRecordsStreamed(e *env) {
	e.seed("c-1", "c-2", "c-3")
	e.appendRecords("c-1", fullRecords()...)
	e.appendRecords("c-3", rec("x", 2, `{"y":2}`))
	e.appendRecords("c-1", rec("z", 4, `1`))
	streamer, ok := e.store.(coaching.CaseStreamer)
	if !ok {
		e.Skip("the store does not implement coaching.CaseStreamer")
	}
	want := map[coaching.CaseID][]coaching.Record{
		"c-1": normalizeAll(append(fullRecords(), rec("z", 4, `1`)), NormalizeRecord),
		"c-3": {NormalizeRecord(rec("x", 2, `{"y":2}`))},
	}
	n := 0
	for row, err := range streamer.CasesWithParticipants(e.ctx, coaching.CaseQuery{}) {
		require.NoError(e, err)
		n++
		assert.Equal(e, want[row.Case.ID], normalizeAll(row.Case.Records, NormalizeRecord), "the records of case %s", row.Case.ID)
	}
	assert.Equal(e, 3, n)
	// A stream that starts after the first case.
	for row, err := range streamer.CasesWithParticipants(e.ctx, coaching.CaseQuery{AfterID: "c-1"}) {
		require.NoError(e, err)
		assert.Equal(e, want[row.Case.ID], normalizeAll(row.Case.Records, NormalizeRecord), "the records of case %s after c-1", row.Case.ID)
	}
}
