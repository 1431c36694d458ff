package outcomes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// fillStore inserts the inputs' participants and cases, with the
// destination stored as the closing event's record.
func fillStore(tb testing.TB, ins []outcomes.Input) *memory.Store {
	tb.Helper()
	st := memory.New()
	ctx := context.Background()
	err := st.Update(ctx, func(tx coaching.Tx) error {
		for i := range ins {
			in := &ins[i]
			if err := tx.InsertParticipant(ctx, in.Participant); err != nil {
				return err
			}
			c := in.Case
			c.ParticipantID = in.Participant.ID
			c.Version = 1
			if in.Destination != nil {
				data, err := json.Marshal(in.Destination)
				if err != nil {
					return err
				}
				c.Records = []coaching.Record{{Name: pathway.RecordDestination, At: c.ClosedAt, Data: data}}
			}
			if err := insertCase(ctx, tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(tb, err)
	return st
}

func TestSeedTableFromMemoryStore(t *testing.T) {
	st := fillStore(t, seedCohort())
	valo, esf := outcomes.NewVALO(nil), outcomes.NewESF()
	n, err := outcomes.FromStore(context.Background(), st, coaching.CaseQuery{Model: coaching.ModelVALO}, valo, esf)
	require.NoError(t, err)
	assert.EqualValues(t, 77, n)
	tb, err := valo.Table(outcomes.SeedOptions())
	require.NoError(t, err)
	for _, s := range seedTable {
		r, _ := tb.Row(s.key)
		assert.Equal(t, s.count, r.Count, s.key)
		assert.Equal(t, s.pct, r.PercentString(), s.key)
	}
	rep := esf.Report()
	assert.EqualValues(t, 77, rep.Leavers)
	x, _ := rep.Indicator("EECR04")
	assert.EqualValues(t, 23, x.Total, "destinations dated at closing count upon leaving")
	x, _ = rep.Indicator("EECR01")
	assert.EqualValues(t, 41, x.Total, "unemployed + job seeking")
}

func TestStoreResolverEdgeCases(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	opened := time.Date(2025, 1, 7, 9, 0, 0, 0, coaching.Helsinki)
	closed := opened.AddDate(0, 6, 0)
	withNote, _ := json.Marshal(pathway.Destination{Kind: pathway.WorkApprenticeship, Date: coaching.DateOf(closed), Note: `talo "A", rakennus`})
	six, _ := json.Marshal(pathway.CheckpointResult{Found: true, Status: pathway.WorkOpen})
	require.NoError(t, st.Update(ctx, func(tx coaching.Tx) error {
		p := coaching.Participant{ID: "p1", GivenNames: "A", FamilyName: "B", Language: coaching.Finnish,
			BirthDate: coaching.NewDate(2000, 1, 1), Background: coaching.Background{Gender: coaching.GenderNonBinary}}
		if err := tx.InsertParticipant(ctx, p); err != nil {
			return err
		}
		cases := []coaching.Case{
			{ID: "c1", ParticipantID: "p1", Version: 1, OpenedAt: opened, ClosedAt: closed, Records: []coaching.Record{
				{Name: pathway.RecordDestination, Data: withNote}, {Name: pathway.RecordSixMonths, Data: six}}},
			{ID: "c2", ParticipantID: "missing", Version: 1, OpenedAt: opened, Records: []coaching.Record{
				{Name: pathway.RecordDestination, Data: []byte(`{"destination":"moon","date":"2025-01-01"}`)}}},
			{ID: "c3", ParticipantID: "p1", Version: 1, OpenedAt: opened, ClosedAt: closed, Records: []coaching.Record{
				{Name: pathway.RecordDestination, Data: []byte(`{ "date": "2025-09-30", "destination": "studies_other" }`)}}},
			{ID: "c4", ParticipantID: "p1", Version: 1, OpenedAt: opened, Records: []coaching.Record{
				{Name: pathway.RecordDestination, Data: []byte(`not json`)}}},
		}
		for _, c := range cases {
			if err := insertCase(ctx, tx, c); err != nil {
				return err
			}
		}
		return nil
	}))
	var got []outcomes.Input
	collect := sinkFunc(func(in *outcomes.Input) {
		cp := *in
		if in.Destination != nil {
			d := *in.Destination
			cp.Destination = &d
		}
		got = append(got, cp)
	})
	n, err := outcomes.FromStore(ctx, st, coaching.CaseQuery{}, collect)
	require.NoError(t, err)
	require.EqualValues(t, 4, n)
	require.NotNil(t, got[0].Destination)
	assert.Equal(t, `talo "A", rakennus`, got[0].Destination.Note)
	assert.Equal(t, pathway.WorkApprenticeship, got[0].UponLeaving)
	assert.Equal(t, pathway.WorkOpen, got[0].SixMonths)
	assert.Equal(t, coaching.GenderNonBinary, got[0].Participant.Background.Gender)
	assert.Nil(t, got[1].Destination, "invalid destination is unknown")
	assert.Empty(t, got[1].Participant.ID, "missing participant: facts unknown")
	require.NotNil(t, got[2].Destination, "non-canonical JSON decodes through encoding/json")
	assert.Equal(t, pathway.StudiesOther, got[2].Destination.Kind)
	assert.Equal(t, pathway.Unknown, got[2].UponLeaving, "dated more than 28 days after closing")
	assert.Nil(t, got[3].Destination)

	// A store that only streams case rows (no coaching.CaseStreamer): the
	// resolver reads each case's records with its participant, and the
	// facts are the same.
	viaStream := got
	got = nil
	n, err = outcomes.FromStore(ctx, rowsOnly{st}, coaching.CaseQuery{}, collect)
	require.NoError(t, err)
	require.EqualValues(t, 4, n)
	assert.Equal(t, viaStream, got, "the facts resolved from case rows and the store")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = outcomes.FromStore(cctx, st, coaching.CaseQuery{}, collect)
	assert.Error(t, err)
	_, err = outcomes.FromStore(ctx, nil, coaching.CaseQuery{})
	assert.Error(t, err)
	_, err = outcomes.Feed(ctx, nil, nil)
	assert.Error(t, err)
}

type sinkFunc func(*outcomes.Input)

func (f sinkFunc) Add(in *outcomes.Input) { f(in) }

func TestFeedInputs(t *testing.T) {
	ins := seedCohort()
	a := outcomes.NewVALO(nil)
	n, err := outcomes.FeedInputs(func(yield func(*outcomes.Input, error) bool) {
		for i := range ins {
			if !yield(&ins[i], nil) {
				return
			}
		}
	}, a)
	require.NoError(t, err)
	assert.EqualValues(t, 77, n)
	_, err = outcomes.FeedInputs(func(yield func(*outcomes.Input, error) bool) { yield(nil, fmt.Errorf("boom")) }, a)
	assert.Error(t, err)
}

// insertCase stores c's row and appends its records beside it, as the
// engine writes them (coaching.Case.Records).
func insertCase(ctx context.Context, tx coaching.Tx, c coaching.Case) error {
	records := c.Records
	c.Records = nil
	if err := tx.InsertCase(ctx, c); err != nil {
		return err
	}
	if len(records) == 0 {
		return nil
	}
	return tx.AppendRecords(ctx, c.ID, records)
}

// rowsOnly hides every capability of a store but coaching.Store.
type rowsOnly struct{ coaching.Store }
