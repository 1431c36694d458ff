package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
)

// Cases and CasesWithParticipants page through the table in batches and
// hold no connection while the loop body runs: with a pool of ONE
// connection, the body can still write.
func TestStreamingHoldsNoConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t, 1)
	schema := schemaName()
	dropSchema(t, sharedPool(t), schema)
	store, err := postgres.New(pool, &postgres.Options{Schema: schema, CaseBatch: 3})
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx))

	code, err := coaching.ParseIdentityCode("131052-308T")
	require.NoError(t, err)
	const n = 10
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		for i := range n {
			id := coaching.CaseID(fmt.Sprintf("c-%02d", i))
			c := coaching.Case{ID: id, ParticipantID: coaching.ParticipantID("p-" + id), Model: "valo", State: "s", Version: 1, OpenedAt: testTime}
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
			if i%3 == 0 {
				continue // a case whose participant is not stored
			}
			p := coaching.Participant{ID: c.ParticipantID, GivenNames: "Matti", FamilyName: fmt.Sprint(i), BirthDate: coaching.NewDate(1952, 10, 13), IdentityCode: code}
			if err := tx.InsertParticipant(ctx, p); err != nil {
				return err
			}
		}
		return nil
	}))

	done := make(chan struct{})
	go func() { // assert, not require: this is not the test's goroutine
		defer close(done)
		i := 0
		for c, err := range store.Cases(ctx, coaching.CaseQuery{}) {
			if !assert.NoError(t, err) {
				return
			}
			assert.Equal(t, coaching.CaseID(fmt.Sprintf("c-%02d", i)), c.ID)
			// A write while the stream is open: needs the pool's only connection.
			next := c
			next.Version, next.State = 2, "t"
			if !assert.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.UpdateCase(ctx, next, 1) })) {
				return
			}
			i++
		}
		assert.Equal(t, n, i)

		i = 0
		for row, err := range store.CasesWithParticipants(ctx, coaching.CaseQuery{State: "t"}) {
			if !assert.NoError(t, err) {
				return
			}
			assert.Equal(t, coaching.CaseID(fmt.Sprintf("c-%02d", i)), row.Case.ID)
			if i%3 == 0 {
				assert.False(t, row.HasParticipant)
				assert.Nil(t, row.Participant)
			} else if assert.True(t, row.HasParticipant) {
				assert.Equal(t, fmt.Sprint(i), row.Participant.FamilyName)
				assert.True(t, row.Participant.IdentityCode.Equal(code), "the identity code comes back from its own column")
			}
			assert.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error { _, err := tx.Case(ctx, row.Case.ID); return err }))
			i++
		}
		assert.Equal(t, n, i)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the stream held the pool's only connection while the loop body ran")
	}
}

// The identity code is stored in its own column, never in the JSON.
func TestIdentityCodeNotInJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newStore(t)
	code, err := coaching.ParseIdentityCode("131052-308T")
	require.NoError(t, err)
	p := coaching.Participant{ID: "p-1", GivenNames: "Matti", FamilyName: "M", BirthDate: coaching.NewDate(1952, 10, 13), IdentityCode: code}
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(ctx, p) }))
	var data, col string
	require.NoError(t, sharedPool(t).QueryRow(ctx, `SELECT data::text, identity_code FROM `+store.Schema()+`.participants WHERE id = 'p-1'`).Scan(&data, &col))
	assert.NotContains(t, data, "131052")
	assert.NotContains(t, data, "***", "not even the mask is stored")
	assert.Equal(t, "131052-308T", col)
}
