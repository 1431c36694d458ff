package webuidemo_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/examples/webui/webuidemo"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// sinkFunc is a function as an outcomes.Sink.
type sinkFunc func(*outcomes.Input)

func (f sinkFunc) Add(in *outcomes.Input) { f(in) }

// TestNewWorkshop: the workshop's history, as the head of studies'
// figures read it. Eight admitted participants entered in each of the
// two years before and twelve in the year up to today (one applicant of
// this year was declined); their onward paths, by year, are the ones
// built: to work 2 + 2 + 3, to studies 1 + 2 + 1, unemployed 3 + 2 + 1,
// job seeking 1 + 0 + 1, redirected 1 + 1 + 1, outside working life
// 0 + 1 + 0, and this year's five still in their period. Each destination
// was recorded by the ending itself. The five open cases are the workshop
// coach's, none overdue, each in a phase entered before today. In the
// year up to today the workshop coach's session hours are within the
// 40–100 h allocation, the second coach's above it and the pilot staff's
// below it.
func TestNewWorkshop(t *testing.T) {
	ctx := context.Background()
	d, err := webuidemo.New(ctx, &webuidemo.Options{Now: time.Date(2026, 11, 30, 12, 0, 0, 0, coaching.Helsinki)})
	require.NoError(t, err)
	head := actorOf(t, d, webuidemo.KeyHead)
	require.Len(t, d.Workshop, 28)

	// The year of each entry: 0 the year up to today, 1 and 2 before.
	yearOf := func(entry coaching.Date) int {
		for y := range 3 {
			to := coaching.DateOf(d.Today.At(12, 0).AddDate(-y, 0, 0))
			if !entry.After(to) && entry.After(coaching.DateOf(to.At(12, 0).AddDate(-1, 0, 0))) {
				return y
			}
		}
		return -1
	}
	type key struct {
		group pathway.Group
		year  int
	}
	got, entries, declined := map[key]int{}, map[int]int{}, 0
	_, err = outcomes.FromEngine(ctx, d.Engine, head, coaching.CaseQuery{Model: coaching.ModelVALO}, sinkFunc(func(in *outcomes.Input) {
		if in.Case.State == coaching.ValoDeclined {
			declined++
			return
		}
		y := yearOf(outcomes.EntryDateOf(in))
		entries[y]++
		g := pathway.GroupUnknown
		if in.Destination != nil {
			g = in.Destination.Kind.Group()
			assert.True(t, in.Case.Closed(), "%s: a destination on leaving", in.Case.ID)
		}
		got[key{g, y}]++
	}))
	require.NoError(t, err)
	assert.Equal(t, 1, declined)
	assert.Equal(t, map[int]int{0: 12, 1: 8, 2: 8}, entries, "entries by year")
	want := map[pathway.Group][3]int{
		pathway.GroupWork:       {3, 2, 2},
		pathway.GroupStudies:    {1, 2, 1},
		pathway.GroupUnemployed: {1, 2, 3},
		pathway.GroupJobSeeking: {1, 0, 1},
		pathway.GroupRedirected: {1, 1, 1},
		pathway.GroupOutside:    {0, 1, 0},
		pathway.GroupUnknown:    {5, 0, 0},
	}
	for g, byYear := range want {
		for y, n := range byYear {
			assert.Equal(t, n, got[key{g, y}], "%s in year -%d", g, y)
			assert.Equal(t, n, d.WorkshopOnward(g, y), "WorkshopOnward(%s, %d)", g, y)
		}
		assert.Equal(t, byYear[0]+byYear[1]+byYear[2], d.WorkshopOnward(g))
	}

	cl, err := caseload.New(d.Engine, nil)
	require.NoError(t, err)
	mine, err := cl.Mine(ctx, actorOf(t, d, webuidemo.KeyWorkshopCoach), caseload.Query{})
	require.NoError(t, err)
	require.Len(t, mine.Rows, 5)
	var states []string
	for _, r := range mine.Rows {
		assert.Contains(t, d.WorkshopOpen, r.CaseID)
		assert.False(t, r.Overdue, r.Name)
		c, err := d.Engine.Case(ctx, head, r.CaseID)
		require.NoError(t, err)
		assert.True(t, coaching.DateOf(c.Phase.EnteredAt).Before(d.Today), "%s entered the phase before today", r.Name)
		assert.True(t, c.Phase.DueAt.After(d.Engine.Clock().Now()), "%s within the phase deadline", r.Name)
		states = append(states, c.State)
	}
	assert.ElementsMatch(t, []string{coaching.ValoRecruitment, coaching.ValoInduction, coaching.ValoSkillAcquisition,
		coaching.ValoDemonstration, coaching.ValoOnwardGuidance}, states, "one open case in each phase")

	ss, err := session.New(d.Engine)
	require.NoError(t, err)
	hours, err := ss.TeamHours(ctx, head, d.Today.AddDays(-364), d.Today)
	require.NoError(t, err)
	by := map[string]decimal.Decimal{}
	for _, h := range hours {
		by[h.ActorID] = by[h.ActorID].Add(h.Hours)
	}
	workshop := by[actorOf(t, d, webuidemo.KeyWorkshopCoach).ID]
	assert.True(t, workshop.GreaterThanOrEqual(decimal.NewFromInt(40)) && workshop.LessThanOrEqual(decimal.NewFromInt(100)),
		"the workshop coach's %s h within the allocation", workshop)
	assert.True(t, by["demo-workshop-coach-2"].GreaterThan(decimal.NewFromInt(100)), "the second coach's %s h above it", by["demo-workshop-coach-2"])
	assert.True(t, by[actorOf(t, d, webuidemo.KeyTutor).ID].LessThan(decimal.NewFromInt(40)), "the pilot tutor's below it")
}
