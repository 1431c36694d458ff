package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/erasure"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// Erasing every participant of the cohort — half on request, half by the
// retention rule — leaves the VALO table and the ESF indicators exactly as
// they were, while the personal data is gone. On the memory and SQLite
// stores (the PostgreSQL store runs the same erasure scenario in its
// conformance tests, see storetest.RunErasure).
func TestErasureKeepsTheFigures(t *testing.T) {
	ctx := context.Background()
	stores := map[string]func(t *testing.T) coaching.Store{
		"memory": func(*testing.T) coaching.Store { return memory.New() },
		"sqlite": func(t *testing.T) coaching.Store {
			s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "valo.db"), &sqlite.Options{Migrate: true})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			key := coaching.NewSystemKey()
			sim, err := simulateWith(ctx, Seed, open(t), key)
			require.NoError(t, err)
			er, err := erasure.New(sim.eng)
			require.NoError(t, err)
			before := figuresOf(t, sim)

			// Half the cohort asks for erasure; the rest is past its
			// retention period when the rule runs years later.
			erased := map[coaching.ParticipantID]bool{}
			for i, c := range sim.cases {
				pid := c.member.Participant.ID
				if i%2 == 1 || erased[pid] {
					continue
				}
				rep, err := er.Erase(ctx, Coordinator, pid, pathway.ErasureOptions())
				require.NoError(t, err)
				require.NotEmpty(t, rep.Cases)
				erased[pid] = true
			}
			later := sim.last.AddDays(6 * 366).Start()
			ret, err := er.ApplyRetention(ctx, key, later, erasure.RetentionRule{After: coaching.Months(60), Erasure: pathway.ErasureOptions()})
			require.NoError(t, err)
			assert.Equal(t, len(sim.cohort)+len(sim.applicants)-len(erased), len(ret.Erased), "everyone not yet erased is past the period")

			after := figuresOf(t, sim)
			assert.Equal(t, before.table, after.table, "the VALO table is the same")
			assert.Equal(t, before.esf, after.esf, "the ESF indicators are the same")

			for _, c := range sim.cases {
				p, err := ct.Read(ctx, sim.eng, Coordinator, func(s *coaching.Scope) (coaching.Participant, error) {
					return s.Participant(coaching.OpReadParticipant, c.member.Participant.ID)
				})
				require.NoError(t, err)
				assert.False(t, p.ErasedOn.IsZero())
				assert.Empty(t, p.GivenNames+p.FamilyName+p.Contact.Email+p.Contact.Phone)
				assert.True(t, p.IdentityCode.IsZero())
				assert.Empty(t, p.Guardians)
				assert.Empty(t, p.ExternalIDs)
				trail, err := ct.ReadCase(ctx, sim.eng, Coordinator, coaching.OpReadCase, c.id, (*coaching.CaseView).AuditTrail)
				require.NoError(t, err)
				assert.Equal(t, coaching.AuditErased, trail[len(trail)-1].Kind)
				for _, e := range trail {
					assert.Empty(t, e.Reason, "audit reasons are cleared")
					assert.Empty(t, e.Payload, "audit payloads are cleared")
				}
				_, err = sim.plans.Current(ctx, Coordinator, c.id)
				assert.ErrorIs(t, err, coaching.ErrNotFound, "the HOKS is gone")
			}
			again, err := er.ApplyRetention(ctx, key, later, erasure.RetentionRule{After: coaching.Months(60)})
			require.NoError(t, err)
			assert.Empty(t, again.Erased, "erasing twice changes nothing")
		})
	}
}

type figureSet struct {
	table string
	esf   outcomes.ESFReport
}

func figuresOf(t *testing.T, sim *simulation) figureSet {
	t.Helper()
	valo, esf, err := sim.aggregates(context.Background())
	require.NoError(t, err)
	table, err := valo.Table(outcomes.SeedOptions())
	require.NoError(t, err)
	return figureSet{table: table.Markdown(), esf: esf.Report()}
}
