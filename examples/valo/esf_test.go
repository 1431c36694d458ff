package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// unknownInCohort are the entry facts the cohort leaves unknown for every
// participant (cohort.go's person sets no disability, nationality or
// minority); every other entry fact it sets for all.
var unknownInCohort = map[string]bool{"disability": true, "third_country_national": true, "minority": true}

// The ESF+ participant forms of the cohort: one row per admitted
// participant, every EECO column derived where the cohort has the fact,
// and a completeness report that lists exactly the facts the example
// leaves unknown.
func TestESFFormsOfTheCohort(t *testing.T) {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed, memory.New())
	require.NoError(t, err)
	forms, err := sim.esfForms(ctx)
	require.NoError(t, err)
	require.Equal(t, CohortSize, forms.Len())
	require.Equal(t, 77, forms.Len())

	var csvOut, jsonOut bytes.Buffer
	require.NoError(t, forms.WriteCSV(&csvOut))
	require.NoError(t, forms.WriteJSON(&jsonOut))
	require.True(t, bytes.HasPrefix(csvOut.Bytes(), []byte("\ufeff")), "the CSV starts with a byte-order mark")
	cr := csv.NewReader(bytes.NewReader(csvOut.Bytes()[len("\ufeff"):]))
	cr.Comma = ';'
	records, err := cr.ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 1+77, "a header and 77 rows")
	cols := forms.Columns()
	for j, c := range cols {
		assert.Equal(t, c.Finnish, records[0][j])
	}
	assert.Contains(t, records[0], "Osallistujan syntymäaika")

	// Every EECO column is derived for every participant, except the
	// facts the cohort does not hold, which are empty for all.
	eeco := 0
	for j, c := range cols {
		if !strings.HasPrefix(c.Codes, "EECO") {
			continue
		}
		eeco++
		for i, rec := range records[1:] {
			if unknownInCohort[c.Key] {
				assert.Empty(t, rec[j], "row %d: %s", i, c.Key)
			} else {
				assert.NotEmpty(t, rec[j], "row %d: %s", i, c.Key)
			}
		}
	}
	assert.Equal(t, 11, eeco, "the EECO columns: birth date, age, gender, labour status, months, LTU, ISCED and EECO12–15")

	var doc struct {
		Rows []map[string]any `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(jsonOut.Bytes(), &doc))
	require.Len(t, doc.Rows, 77)

	// The rows match the cohort: by the SIS id, or the participant id.
	members := map[string]*Member{}
	for i := range sim.cohort {
		m := &sim.cohort[i]
		members[string(m.Participant.ID)] = m
		if sis := m.Participant.ExternalIDs["sis"]; sis != "" {
			members[sis] = m
		}
	}
	for _, row := range doc.Rows {
		m := members[row["participant"].(string)]
		require.NotNil(t, m, row["participant"])
		assert.Equal(t, m.Participant.BirthDate.String(), row["birth_date"])
		assert.Equal(t, string(m.Participant.Background.Gender), row["gender"])
		assert.Equal(t, *m.Participant.Background.ForeignBackground, row["foreign_background"])
		assert.Equal(t, "unemployed", row["labour_status"])
		assert.Nil(t, row["minority"])
	}

	// No identity code, no name in either output.
	for _, m := range sim.cohort {
		code := m.Participant.IdentityCode.Reveal()
		require.NotEmpty(t, code)
		for _, out := range []string{csvOut.String(), jsonOut.String()} {
			assert.NotContains(t, out, code)
			assert.NotContains(t, out, m.Participant.FamilyName)
		}
	}

	// Completeness: the entry facts the cohort lacks, for all; of the exit
	// facts, the qualification (never recorded) for every leaver and the
	// six-month status (never recorded) for those whose six-month window
	// has closed by the end of the simulation. Destinations are recorded
	// on the closing day, so the status upon leaving is known for all.
	today := coaching.DateOf(sim.eng.Clock().Now())
	c := forms.Completeness()
	assert.Equal(t, 77, c.Participants)
	assert.Equal(t, 77, c.Leavers)
	require.Len(t, c.Missing, 77)
	due := 0
	for _, miss := range c.Missing {
		m := members[miss.Participant]
		require.NotNil(t, m)
		cs, err := sim.eng.Case(ctx, Coordinator, miss.Case)
		require.NoError(t, err)
		want := []outcomes.Fact{outcomes.FactDisability, outcomes.FactThirdCountryNational, outcomes.FactMinority, outcomes.FactQualificationGained}
		closes := pathway.AddPeriod(coaching.DateOf(cs.ClosedAt), coaching.Months(6)).AddDays(pathway.UponLeavingDays)
		if closes.Before(today) {
			want = append(want, outcomes.FactSixMonths)
			due++
		}
		assert.Equal(t, want, miss.Facts, miss.Participant)
	}
	assert.Positive(t, due)
	assert.Less(t, due, 77, "some six-month windows are still open at the end")
	lacking := map[outcomes.Fact]int{}
	for _, n := range c.Lacking() {
		lacking[n.Fact] = n.Missing
	}
	assert.Equal(t, map[outcomes.Fact]int{outcomes.FactDisability: 77, outcomes.FactThirdCountryNational: 77,
		outcomes.FactMinority: 77, outcomes.FactQualificationGained: 77, outcomes.FactSixMonths: due}, lacking)
}

// The forms are personal data: a funder, who reads the ESF indicators
// across organisations, is refused them; so is a coach, who may not read
// the organisation's figures.
func TestESFFormsRefusedToFunderAndCoach(t *testing.T) {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed, memory.New())
	require.NoError(t, err)
	funder := coaching.Actor{ID: "esr-rahoittaja", Roles: []coaching.Role{coaching.RoleFunder}}
	_, err = outcomes.ReadESFForms(ctx, sim.eng, funder, coaching.CaseQuery{Model: coaching.ModelVALO}, nil)
	require.ErrorIs(t, err, outcomes.ErrFormsForFunder)
	require.ErrorIs(t, err, coaching.ErrForbidden)
	funder.Organisation = Workshop
	_, err = outcomes.ReadESFForms(ctx, sim.eng, funder, coaching.CaseQuery{Model: coaching.ModelVALO}, nil)
	require.ErrorIs(t, err, outcomes.ErrFormsForFunder)
	// The funder still reads the indicators in aggregate.
	_, err = outcomes.FromEngine(ctx, sim.eng, funder, coaching.CaseQuery{Model: coaching.ModelVALO}, outcomes.NewESF())
	require.NoError(t, err)

	_, err = outcomes.ReadESFForms(ctx, sim.eng, sim.cohort[0].Coach.Actor(), coaching.CaseQuery{Model: coaching.ModelVALO}, nil)
	require.ErrorIs(t, err, coaching.ErrForbidden)

	other := Coordinator
	_, err = outcomes.ReadESFForms(ctx, sim.eng, other, coaching.CaseQuery{Model: coaching.ModelVALO, Organisation: "1.2.246.562.10.99999999999"}, nil)
	require.ErrorIs(t, err, coaching.ErrForbidden)
}
