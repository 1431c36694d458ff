package memory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// clBench is a 100 000-case organisation: every case has two team members
// from a pool sized so that a member is on about 60 cases, a fifth of the
// cases have an early-warning flag, half have contacts, and one member
// ("a-me") is on exactly 60 cases.
type clBench struct {
	s   *Store
	now time.Time
}

const (
	clBenchCases = 100_000
	clBenchMine  = 60
)

var (
	clBenchOnce sync.Once
	clBenchData *clBench
)

func newCLBench(tb testing.TB) *clBench {
	clBenchOnce.Do(func() {
		s := New()
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(1, 2))
		base := time.Date(2025, 3, 1, 9, 0, 0, 0, coaching.Helsinki)
		actors := clBenchCases * 2 / clBenchMine
		mine := map[int]bool{}
		for len(mine) < clBenchMine {
			mine[rng.IntN(clBenchCases)] = true
		}
		const batch = 1000
		for start := 0; start < clBenchCases; start += batch {
			err := s.Update(ctx, func(u coaching.Tx) error {
				w := u.(*tx)
				for i := start; i < start+batch; i++ {
					id := coaching.CaseID(fmt.Sprintf("c-%06d", i))
					pid := coaching.ParticipantID("p-" + string(id))
					if err := w.InsertParticipant(ctx, coaching.Participant{ID: pid, GivenNames: "Etu", FamilyName: fmt.Sprintf("Suku%05d", rng.IntN(50000))}); err != nil {
						return err
					}
					team := []coaching.TeamMember{{ActorID: fmt.Sprintf("a-%04d", rng.IntN(actors)), Role: coaching.RoleCoach},
						{ActorID: fmt.Sprintf("a-%04d", rng.IntN(actors)), Role: coaching.RolePersonalTutor}}
					if mine[i] {
						team[0].ActorID = "a-me"
					}
					opened := base.Add(-time.Duration(rng.IntN(400)) * 24 * time.Hour)
					c := coaching.Case{ID: id, ParticipantID: pid, Organisation: "org-a", Model: "valo", State: "active", Version: 1,
						OpenedAt: opened, Team: team,
						Phase: coaching.PhaseClock{State: "active", EnteredAt: opened, DueAt: opened.Add(time.Duration(30+rng.IntN(400)) * 24 * time.Hour)}}
					if err := w.InsertCase(ctx, c); err != nil {
						return err
					}
					if rng.IntN(5) == 0 {
						if err := w.PutFlags(ctx, id, []attendance.RiskFlag{{Rule: "absence", Since: opened}}); err != nil {
							return err
						}
					}
					if rng.IntN(2) == 0 {
						on := coaching.DateOf(base.Add(-time.Duration(rng.IntN(60)) * 24 * time.Hour))
						if err := w.PutContact(ctx, caseload.Contact{ID: "k-" + string(id), CaseID: id, Kind: caseload.ContactPhone, On: on, At: on.At(12, 0)}); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				panic(err)
			}
		}
		clBenchData = &clBench{s: s, now: base}
	})
	return clBenchData
}

// plainLoop answers f the plain way: every case of the store is looked at,
// the matching ones summarised, sorted by Key.Less and cut at Limit — the
// baseline a store's Summaries is measured against.
func (h *clBench) plainLoop(f caseload.Filter) []caseload.Summary {
	h.s.mu.RLock()
	defer h.s.mu.RUnlock()
	t := (*readTx)(h.s)
	var out []caseload.Summary
	for _, r := range t.order {
		c := r.c
		if c.Organisation != f.Organisation || !c.ClosedAt.IsZero() || !onTeam(c.Team, f.Member, f.MemberRole) {
			continue
		}
		if f.Flagged && len(r.flags) == 0 {
			continue
		}
		out = append(out, t.summary(r))
	}
	caseload.SortSummaries(out, f.Sort, f.Now)
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

func (h *clBench) summaries(f caseload.Filter) []caseload.Summary {
	var out []caseload.Summary
	err := h.s.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		out, err = tx.(caseload.Reader).Summaries(context.Background(), f)
		return err
	})
	if err != nil {
		panic(err)
	}
	return out
}

// BenchmarkMyCaseload measures "my caseload" (Member, Flagged or not,
// SortUrgency, Limit 50) over a 100 000-case organisation where the member
// is on 60 cases: the store's Summaries (from the member index) against a
// plain loop over every case producing the same rows, the two taking
// turns op by op in the same run, at 1 and 8 concurrent readers. It
// reports each side's p50 and the ratio of the medians (x-plain).
func BenchmarkMyCaseload(b *testing.B) {
	h := newCLBench(b)
	for _, flagged := range []bool{false, true} {
		f := caseload.Filter{Organisation: "org-a", Member: "a-me", Status: caseload.StatusOpen, Flagged: flagged,
			Now: h.now, Sort: caseload.SortUrgency, Limit: 50}
		got, want := h.summaries(f), h.plainLoop(f)
		if !slices.EqualFunc(got, want, func(a, b caseload.Summary) bool { return a.CaseID == b.CaseID }) || len(got) == 0 {
			b.Fatalf("flagged=%v: Summaries and the plain loop differ: %d and %d rows", flagged, len(got), len(want))
		}
		for _, readers := range []int{1, 8} {
			b.Run(fmt.Sprintf("flagged=%v/readers=%d", flagged, readers), func(b *testing.B) {
				lat := make([][2][]time.Duration, readers)
				var wg sync.WaitGroup
				b.ResetTimer()
				for g := range readers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := g; i < b.N; i += readers {
							t0 := time.Now()
							h.summaries(f)
							t1 := time.Now()
							h.plainLoop(f)
							lat[g][0] = append(lat[g][0], t1.Sub(t0))
							lat[g][1] = append(lat[g][1], time.Since(t1))
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				var store, plain []time.Duration
				for _, l := range lat {
					store, plain = append(store, l[0]...), append(plain, l[1]...)
				}
				p50 := func(d []time.Duration) float64 {
					slices.Sort(d)
					return float64(d[len(d)/2])
				}
				ps, pp := p50(store), p50(plain)
				b.ReportMetric(ps, "p50-ns")
				b.ReportMetric(pp, "plain-p50-ns")
				b.ReportMetric(ps/pp, "x-plain")
			})
		}
	}
}
