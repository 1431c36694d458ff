package outcomes_test

import (
	"context"
	"encoding/json"
	"iter"
	"testing"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/outcomes/figurestest"
)

// factsStore gives the memory store a figures port the way the SQL stores
// do: from the JSON documents (odd rows) or from values and JSON members
// (even rows).
type factsStore struct{ *memory.Store }

func (s factsStore) CaseFacts(ctx context.Context, q coaching.CaseQuery) iter.Seq2[*outcomes.CaseFacts, error] {
	return func(yield func(*outcomes.CaseFacts, error) bool) {
		var f outcomes.CaseFacts
		i := 0
		for row, err := range s.CasesWithParticipants(ctx, q) {
			if err != nil {
				yield(nil, err)
				return
			}
			c := row.Case
			f = outcomes.CaseFacts{ID: c.ID, ParticipantID: c.ParticipantID, Organisation: c.Organisation, Model: c.Model,
				State: c.State, HasParticipant: row.HasParticipant}
			if i%2 == 1 {
				f.Case, _ = json.Marshal(c)
				if row.HasParticipant {
					f.Participant, _ = json.Marshal(row.Participant)
				}
			} else {
				f.OpenedAt, f.ClosedAt = c.OpenedAt, c.ClosedAt
				if c.Records != nil {
					f.Records, _ = json.Marshal(c.Records)
				}
				if row.HasParticipant {
					p := row.Participant
					if !p.BirthDate.IsZero() {
						f.BirthDate, _ = json.Marshal(p.BirthDate)
					}
					f.Background, _ = json.Marshal(p.Background)
				}
			}
			i++
			if !yield(&f, nil) {
				return
			}
		}
	}
}

// The figures through the port equal the figures from whole cases, on a
// varied cohort, for every query.
func TestFactsStreamerFiguresEqualWholeCases(t *testing.T) {
	figurestest.Check(t, factsStore{memory.New()}, 600)
}
