package outcomes_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

var synthKinds = pathway.Kinds()

// synthInputs builds n synthetic closed VALO cases with varied facts,
// including unknowns.
func synthInputs(n int) []outcomes.Input {
	ins := make([]outcomes.Input, n)
	opened := time.Date(2024, 1, 8, 9, 0, 0, 0, coaching.Helsinki)
	genders := []coaching.Gender{coaching.GenderFemale, coaching.GenderMale, coaching.GenderNonBinary, coaching.GenderUnknown, coaching.GenderFemale}
	levels := []coaching.EducationLevel{coaching.EducationBasic, coaching.EducationVocational, coaching.EducationBelowBasic,
		coaching.EducationHigher, coaching.EducationSpecialistVocational, coaching.EducationUnknown, coaching.EducationGeneralUpperSecondary}
	months := make([]int, 40)
	for i := range months {
		months[i] = i
	}
	for i := range ins {
		in := &ins[i]
		o := opened.Add(time.Duration(i%5000) * time.Minute)
		in.Case = coaching.Case{ID: coaching.CaseID(fmt.Sprintf("c%08d", i)), ParticipantID: coaching.ParticipantID(fmt.Sprintf("p%08d", i)),
			Model: coaching.ModelVALO, State: coaching.ValoClosed, Version: 1, OpenedAt: o, ClosedAt: o.AddDate(0, 6, 0)}
		p := &in.Participant
		p.ID, p.GivenNames, p.FamilyName, p.Language = in.Case.ParticipantID, "Synth", "Etic", coaching.Finnish
		if i%97 != 0 {
			p.BirthDate = coaching.NewDate(1960+i%45, time.Month(1+i%12), 1+i%28)
		}
		p.Background.Gender = genders[i%len(genders)]
		p.Background.EducationLevel = levels[i%len(levels)]
		p.Background.LabourStatus = coaching.LabourUnemployed
		if i%13 != 0 {
			p.Background.UnemployedMonths = &months[i%len(months)]
		}
		if k := synthKinds[i%len(synthKinds)]; k != pathway.Unknown {
			in.Destination = &pathway.Destination{Kind: k, Date: coaching.DateOf(in.Case.ClosedAt)}
		}
	}
	return ins
}

// plainCounts is the hand-written loop the aggregator is measured against:
// the same categories, counted directly.
type plainCounts struct {
	n                                  int64
	gender                             [4]int64
	under30, over30, ageUnknown        int64
	unemp12, notUnemp12, unempUnknown  int64
	basic, vocational, higher, eduUnkn int64
	general                            int64
	dest                               [8]int64
	positive, posOther, notPositive    int64
	posUnknown                         int64
}

func plainLoop(ins []outcomes.Input) plainCounts {
	var c plainCounts
	for i := range ins {
		in := &ins[i]
		c.n++
		bg := &in.Participant.Background
		switch bg.Gender {
		case coaching.GenderFemale:
			c.gender[0]++
		case coaching.GenderMale:
			c.gender[1]++
		case coaching.GenderNonBinary:
			c.gender[2]++
		default:
			c.gender[3]++
		}
		entry := in.EntryDate
		if entry.IsZero() {
			entry = coaching.DateOf(in.Case.OpenedAt)
		}
		if b := in.Participant.BirthDate; !b.Valid() || !entry.Valid() || entry.Before(b) {
			c.ageUnknown++
		} else if b.AgeOn(entry) < 30 {
			c.under30++
		} else {
			c.over30++
		}
		if m := bg.UnemployedMonths; m == nil {
			c.unempUnknown++
		} else if *m > 12 {
			c.unemp12++
		} else {
			c.notUnemp12++
		}
		switch bg.EducationLevel {
		case coaching.EducationBelowBasic, coaching.EducationBasic:
			c.basic++
		case coaching.EducationVocational, coaching.EducationSpecialistVocational:
			c.vocational++
		case coaching.EducationGeneralUpperSecondary:
			c.general++
		case coaching.EducationHigher:
			c.higher++
		default:
			c.eduUnkn++
		}
		k := pathway.Unknown
		if in.Destination != nil {
			k = in.Destination.Kind
		}
		switch k.Group() {
		case pathway.GroupStudies:
			c.dest[0]++
		case pathway.GroupWork:
			c.dest[1]++
		case pathway.GroupUnemployed:
			c.dest[2]++
		case pathway.GroupJobSeeking:
			c.dest[3]++
		case pathway.GroupOutside:
			c.dest[4]++
		case pathway.GroupRedirected:
			c.dest[5]++
		case pathway.GroupOtherService:
			c.dest[6]++
		default:
			c.dest[7]++
		}
		switch k.Group() {
		case pathway.GroupUnknown:
			c.posUnknown++
		case pathway.GroupStudies, pathway.GroupWork:
			c.positive++
		case pathway.GroupRedirected:
			c.posOther++
		default:
			c.notPositive++
		}
	}
	return c
}

var (
	benchMu     sync.Mutex
	benchInputs = map[int][]outcomes.Input{}
	benchStores = map[int]*memory.Store{}
)

func benchData(b *testing.B, n int, withStore bool) ([]outcomes.Input, *memory.Store) {
	benchMu.Lock()
	defer benchMu.Unlock()
	ins, ok := benchInputs[n]
	if !ok {
		ins = synthInputs(n)
		benchInputs[n] = ins
	}
	st := benchStores[n]
	if withStore && st == nil {
		st = fillStore(b, ins)
		benchStores[n] = st
	}
	return ins, st
}

var sinkCounts plainCounts

// BenchmarkCohortReport compares, for 10 000 and 1 000 000 cases, the
// cohort (VALO) report streamed from the memory store, the aggregator fed
// from a slice of inputs, and a plain loop counting the same categories over
// the same slice.
func BenchmarkCohortReport(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("store/n=%d", n), func(b *testing.B) {
			_, st := benchData(b, n, true)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				a := outcomes.NewVALO(nil)
				got, err := outcomes.FromStore(ctx, st, coaching.CaseQuery{}, a)
				if err != nil || got != int64(n) {
					b.Fatal(got, err)
				}
				if _, err := a.Table(outcomes.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("aggregator/n=%d", n), func(b *testing.B) {
			ins, _ := benchData(b, n, false)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				a := outcomes.NewVALO(nil)
				for i := range ins {
					a.Add(&ins[i])
				}
				if _, err := a.Table(outcomes.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("loop/n=%d", n), func(b *testing.B) {
			ins, _ := benchData(b, n, false)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				sinkCounts = plainLoop(ins)
			}
		})
	}
}

// The aggregator and the plain loop agree on the synthetic data.
func TestAggregatorMatchesPlainLoop(t *testing.T) {
	ins := synthInputs(5000)
	want := plainLoop(ins)
	a := outcomes.NewVALO(nil)
	for i := range ins {
		a.Add(&ins[i])
	}
	tb, err := a.Table(outcomes.Options{})
	require.NoError(t, err)
	get := func(k string) int64 { r, _ := tb.Row(k); return r.Count }
	require.Equal(t, want.gender, [4]int64{get("gender.women"), get("gender.men"), get("gender.non_binary"), get("gender.unknown")})
	require.Equal(t, []int64{want.under30, want.over30, want.ageUnknown}, []int64{get("age.under_30"), get("age.30_or_over"), get("age.unknown")})
	require.Equal(t, []int64{want.basic, want.vocational, want.higher, want.general, want.eduUnkn},
		[]int64{get("education.basic"), get("education.vocational"), get("education.higher"), get("education.general_upper_secondary"), get("education.unknown")})
	require.Equal(t, []int64{want.positive, want.posOther, want.notPositive, want.posUnknown},
		[]int64{get("positive.yes"), get("positive.other"), get("positive.no"), get("positive.unknown")})
	require.Equal(t, want.dest[7], get("destination.unknown"))
	// unemployment: the aggregator also derives 0 months from a known
	// non-unemployed status; all synthetic cases are unemployed, so equal.
	require.Equal(t, []int64{want.unemp12, want.notUnemp12, want.unempUnknown},
		[]int64{get("unemployment.over_12_months"), get("unemployment.not_over_12_months"), get("unemployment.unknown")})

	// And allocation-free per case.
	allocs := testing.AllocsPerRun(5, func() {
		for i := range ins {
			a.Add(&ins[i])
		}
	})
	require.Zero(t, allocs)
}

// BenchmarkStoreStreamOnly is the floor of the store path: streaming the
// cases out of the memory store and nothing else.
func BenchmarkStoreStreamOnly(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			_, st := benchData(b, n, true)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				got := 0
				for _, err := range st.Cases(ctx, coaching.CaseQuery{}) {
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatal(got)
				}
			}
		})
	}
}
