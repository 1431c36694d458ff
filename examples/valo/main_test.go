package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/pathway"
)

func TestRunIsDeterministic(t *testing.T) {
	var first, second bytes.Buffer
	require.NoError(t, run(&first))
	require.NoError(t, run(&second))
	assert.Equal(t, first.String(), second.String())

	out := first.String()
	// 65 lines of figures, 2 of the funder's suppressed copy and 31 of
	// the coaching-elements report.
	assert.Less(t, strings.Count(out, "\n"), 99, "the report stays compact")
	for _, want := range []string{
		"**Coaching and onward paths (association, not effect)**",
		"| coaching | n | positive | % (95% CI) | retained | % (95% CI) |",
		"| trust: with | ", "| peer_support: without | ", "| hours: ≥ 40 h | ",
		"intervals are Wilson 95 %", "groups under 5 show counts only (too few)", "Association, not effect",
	} {
		assert.Contains(t, out, want)
	}
	assert.Contains(t, out, "week plan, week 19 (2015-05-04 – 2015-05-08)")
	assert.Equal(t, 6, strings.Count(out, "held\n"), "every planned item of the week was held")
	assert.NotContains(t, out, "valo-p", "no participant ids in the report")
	assert.NotContains(t, out, "valo-0", "no case ids in the report")
	for _, want := range []string{
		"| women | 51 | 66.2 |",
		"| under 30 years | 29 | 37.7 |",
		"| unemployed over 12 months | 49 | 63.6 |",
		"| education: basic | 35 | 45.5 |",
		"| education: vocational qualification | 40 | 51.9 |",
		"| education: higher | 2 | 2.6 |",
		"| after the period: continued to studies | 12 | 15.6 |",
		"| after the period: to work (incl. wage-subsidised) | 23 | 29.8 |",
		"| after the period: unemployed job seeker | 29 | 37.7 |",
		"| after the period: moved to job seeking | 12 | 15.6 |",
		"| after the period: outside working life | 1 | 1.3 |",
		"| positive onward path (studies or work) | 35 | 45.5 |\n\n" +
			"- positive onward path (studies or work) counts: studies toward a full qualification, other studies or training, " +
			"work on the open labour market, wage-subsidised work, apprenticeship, self-employed.\n" +
			"- other positive destination (redirected to a better-suited field) counts: redirected to a better-suited field " +
			"(positive, but not studies or work, so not in the positive onward path).\n",
		"entry_criteria_met: entry criteria not met",
		"HOKS approved for 72 participants",
	} {
		assert.Contains(t, out, want)
	}
}

// marginals checks that a cohort mirrors the project's reported figures.
func marginals(t *testing.T, cohort []Member) {
	t.Helper()
	require.Len(t, cohort, CohortSize)
	var women, men, young, longTerm int
	edu := map[coaching.EducationLevel]int{}
	dest := map[Destination]int{}
	for _, m := range cohort {
		p := m.Participant
		switch p.Background.Gender {
		case coaching.GenderFemale:
			women++
		case coaching.GenderMale:
			men++
		}
		age := p.AgeOn(m.Entry)
		assert.GreaterOrEqual(t, age, 18, p.ID)
		if age < 30 {
			young++
		}
		require.NotNil(t, p.Background.UnemployedMonths, p.ID)
		if *p.Background.UnemployedMonths > 12 {
			longTerm++
		}
		edu[p.Background.EducationLevel]++
		dest[m.Destination]++
	}
	assert.Equal(t, Women, women, "women")
	assert.Equal(t, CohortSize-Women, men, "men")
	assert.Equal(t, Under30, young, "under 30 at entry")
	assert.Equal(t, LongTermUnemployed, longTerm, "unemployed over 12 months")
	assert.Equal(t, map[coaching.EducationLevel]int{
		coaching.EducationBasic:      35,
		coaching.EducationVocational: 40,
		coaching.EducationHigher:     2,
	}, edu)
	assert.Equal(t, map[Destination]int{
		DestStudies:    12,
		DestWork:       23,
		DestUnemployed: 29,
		DestJobSeeking: 12,
		DestOutside:    1,
	}, dest)
	assert.Equal(t, 35, dest[DestStudies]+dest[DestWork], "positive onward paths")
}

func TestCohortMatchesSeedFigures(t *testing.T) {
	cohort := Cohort(Seed)
	marginals(t, cohort)
	assert.Equal(t, cohort, Cohort(Seed), "the same seed gives the same cohort")

	var immigrant, property int
	for _, m := range cohort {
		p := m.Participant
		assert.NoError(t, p.Validate(m.Entry), p.ID)
		assert.True(t, p.IdentityCode.Temporary(), "a synthetic identity code, never a real person's")
		assert.Equal(t, coaching.LabourUnemployed, p.Background.LabourStatus)
		assert.False(t, m.Entry.Before(FirstEntry) || m.Entry.After(LastEntry), "entry %s", m.Entry)
		require.NotNil(t, p.Background.ForeignBackground)
		if *p.Background.ForeignBackground {
			immigrant++
			assert.False(t, m.Entry.Before(ImmigrantsFrom), "immigrant background only from 2017")
		}
		if m.Field == FieldProperty {
			property++
		}
		assert.Equal(t, m.Field, m.Coach.Field, "coached by a coach of the field")
		assert.False(t, m.Entry.Before(m.Coach.Start), "the coach had started")
		assert.False(t, m.LastDay().After(ProjectEnd), "the period ends within the project")
		switch m.Outcome {
		case coaching.ValoDiscontinued:
			assert.Contains(t, []Destination{DestUnemployed, DestOutside}, m.Destination)
		case coaching.ValoRedirected:
			assert.Equal(t, DestStudies, m.Destination)
		default:
			assert.Equal(t, coaching.ValoClosed, m.Outcome)
		}
	}
	assert.Equal(t, ImmigrantBackground, immigrant)
	assert.Equal(t, PropertyServices, property)
	assert.Equal(t, FirstEntry, cohort[0].Entry)
	assert.Equal(t, LastEntry, cohort[len(cohort)-1].Entry)
}

func TestCohortMarginalsHoldForAnySeed(t *testing.T) {
	for _, seed := range []uint64{1, 2, 42, 1 << 40} {
		marginals(t, Cohort(seed))
	}
}

func TestEveryCaseEndsTerminalWithContiguousAudit(t *testing.T) {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed, memory.New())
	require.NoError(t, err)
	model, ok := sim.eng.Model(coaching.ModelVALO)
	require.True(t, ok)
	require.Len(t, sim.cases, CohortSize+DeclinedApplicants)

	participants := 0
	for _, c := range sim.cases {
		cs, err := sim.eng.Case(ctx, Coordinator, c.id)
		require.NoError(t, err)
		st, ok := model.State(cs.State)
		require.True(t, ok, cs.State)
		assert.Equal(t, coaching.Terminal, st.Kind, "case %s ends in %s", c.id, cs.State)
		assert.True(t, cs.Closed(), c.id)
		assert.Equal(t, c.member.Outcome, cs.State, c.id)
		if c.applicant {
			assert.Equal(t, coaching.ValoDeclined, cs.State, c.id)
		} else {
			participants++
			assert.NotEqual(t, coaching.ValoDeclined, cs.State, c.id)
		}

		trail, err := ct.ReadCase(ctx, sim.eng, Coordinator, coaching.OpReadCase, c.id, (*coaching.CaseView).AuditTrail)
		require.NoError(t, err)
		require.NotEmpty(t, trail, c.id)
		for i, e := range trail {
			assert.Equal(t, int64(i+1), e.Seq, "case %s entry %d", c.id, i)
		}
		assert.Equal(t, cs.Version, trail[len(trail)-1].Seq, c.id)
	}
	assert.Equal(t, CohortSize, participants)
	require.Len(t, sim.rejections, 1, "one admission rejected by the rules")
	assert.Equal(t, "entry_criteria_met", sim.rejections[0].failures[0].Rule)
}

// Every participant's destination is recorded on the case by its exit
// event, so the figures come from the engine, not from the generator.
func TestDestinationsAreRecordedOnTheCases(t *testing.T) {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed, memory.New())
	require.NoError(t, err)
	recorded := 0
	for _, c := range sim.cases {
		cs, err := sim.eng.Case(ctx, Coordinator, c.id)
		require.NoError(t, err)
		if c.applicant {
			_, ok := cs.Record(pathway.RecordDestination)
			assert.False(t, ok, "a declined applicant has no destination")
			continue
		}
		var d pathway.Destination
		require.NoError(t, cs.DecodeRecord(pathway.RecordDestination, &d), c.id)
		assert.Equal(t, c.member.Destination.Kind(0) != pathway.Unknown, d.Kind != pathway.Unknown)
		assert.Equal(t, coaching.DateOf(cs.ClosedAt), d.Date)
		recorded++
	}
	assert.Equal(t, CohortSize, recorded)
}

// README shows this program's output; it must be the output of today.
func TestREADMEShowsTheOutput(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	start := strings.Index(string(b), "<!-- output:valo -->\n```text\n")
	end := strings.Index(string(b), "```\n<!-- /output:valo -->")
	require.True(t, start >= 0 && end > start, "README has no output:valo block")
	var out bytes.Buffer
	require.NoError(t, run(&out))
	assert.Equal(t, out.String(), string(b)[start+len("<!-- output:valo -->\n```text\n"):end],
		"README's copy of the example output is stale: paste the output of go run ./examples/valo")
}

// The report is the same on the durable SQLite store as on the memory
// store (go run ./examples/valo -db FILE).
func TestSQLiteGivesTheSameReport(t *testing.T) {
	var mem, disk bytes.Buffer
	require.NoError(t, run(&mem))
	db := filepath.Join(t.TempDir(), "valo.db")
	require.NoError(t, runWith(context.Background(), &disk, db))
	assert.Equal(t, mem.String(), disk.String())
	err := runWith(context.Background(), &disk, db)
	require.Error(t, err, "a used database file is refused")
	assert.Contains(t, err.Error(), "already exists")
}
