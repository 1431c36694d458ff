package outcomes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

const formOrg coaching.OrganisationID = "org-esf"

var formHead = coaching.Actor{ID: "head", Roles: []coaching.Role{coaching.RoleHeadOfStudies}, Organisation: formOrg}

// formEngine stores three participants of formOrg: p1 employed at entry,
// left on 2024-01-31 to open-market work, every background fact known;
// p2 unemployed, still in the operation, with gender, months, education
// and the yes/no facts unknown; and a case whose participant was never
// stored. The engine's clock is at 2025-06-02.
func formEngine(t *testing.T) *coaching.Engine {
	t.Helper()
	yes, no, months := true, false, 0
	opened := time.Date(2023, 9, 4, 9, 0, 0, 0, coaching.Helsinki)
	closed := time.Date(2024, 1, 31, 15, 0, 0, 0, coaching.Helsinki)
	ins := []outcomes.Input{
		{Case: coaching.Case{ID: "c1", Organisation: formOrg, Model: coaching.ModelVALO, State: coaching.ValoClosed, OpenedAt: opened, ClosedAt: closed},
			Participant: coaching.Participant{ID: "p1", Organisation: formOrg, GivenNames: "Aino", FamilyName: "Esimerkki", Language: coaching.Finnish,
				BirthDate: coaching.NewDate(1990, time.March, 5), IdentityCode: mustCode(t, "050390-9982"),
				ExternalIDs: map[string]string{"sis": "S-1"},
				Background: coaching.Background{Gender: coaching.GenderFemale, EducationLevel: coaching.EducationHigher,
					LabourStatus: coaching.LabourEmployed, UnemployedMonths: &months, ForeignBackground: &yes, Disability: &no,
					ThirdCountryNational: &yes, Minority: &no}},
			Destination: &pathway.Destination{Kind: pathway.WorkOpen, Date: coaching.DateOf(closed)}},
		{Case: coaching.Case{ID: "c2", Organisation: formOrg, Model: coaching.ModelVALO, State: coaching.ValoSkillAcquisition, OpenedAt: opened},
			Participant: coaching.Participant{ID: "p2", Organisation: formOrg, GivenNames: "Bertta", FamilyName: "Toinen", Language: coaching.Swedish,
				BirthDate:  coaching.NewDate(2007, time.December, 1),
				Background: coaching.Background{LabourStatus: coaching.LabourUnemployed}}},
	}
	st := fillStore(t, ins)
	ctx := context.Background()
	require.NoError(t, st.Update(ctx, func(tx coaching.Tx) error {
		return insertCase(ctx, tx, coaching.Case{ID: "c3", ParticipantID: "ghost", Organisation: formOrg, Model: coaching.ModelVALO,
			State: coaching.ValoSkillAcquisition, OpenedAt: opened, Version: 1})
	}))
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(st, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}, Clock: coaching.ClockFunc(func() time.Time { return now })})
	require.NoError(t, err)
	return eng
}

func mustCode(t *testing.T, s string) coaching.IdentityCode {
	t.Helper()
	c, err := coaching.ParseIdentityCode(s)
	require.NoError(t, err)
	return c
}

func TestESFFormsRowsAndCompleteness(t *testing.T) {
	ctx := context.Background()
	eng := formEngine(t)
	forms, err := outcomes.ReadESFForms(ctx, eng, formHead, coaching.CaseQuery{}, &outcomes.FormOptions{
		Fill: func(in *outcomes.Input) {
			if in.Case.ID == "c1" {
				gained := true
				in.QualificationGained = &gained
			}
		},
	})
	require.NoError(t, err)
	require.Equal(t, 3, forms.Len())

	var js bytes.Buffer
	require.NoError(t, forms.WriteJSON(&js))
	var doc struct {
		Columns []outcomes.FormColumn `json:"columns"`
		Rows    []map[string]any      `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &doc))
	assert.Equal(t, outcomes.DefaultFormColumns(), doc.Columns)
	require.Len(t, doc.Rows, 3)
	assert.Equal(t, map[string]any{
		"participant": "S-1", "entry_date": "2023-09-04", "birth_date": "1990-03-05", "age_at_entry": 33.0,
		"gender": "female", "labour_status": "employed", "unemployed_months": 0.0, "long_term_unemployed": false,
		"isced": "5-8", "disability": false, "third_country_national": true, "foreign_background": true, "minority": false,
		"exit_date": "2024-01-31", "destination": "work_open", "status_upon_leaving": "employment",
		"qualification_gained": true, "status_six_months": nil, "improved_situation": nil,
	}, doc.Rows[0])
	assert.Equal(t, map[string]any{
		"participant": "p2", "entry_date": "2023-09-04", "birth_date": "2007-12-01", "age_at_entry": 15.0,
		"gender": nil, "labour_status": "unemployed", "unemployed_months": nil, "long_term_unemployed": nil,
		"isced": nil, "disability": nil, "third_country_national": nil, "foreign_background": nil, "minority": nil,
	}, doc.Rows[1], "no exit columns for a participant who has not left")
	assert.Equal(t, "ghost", doc.Rows[2]["participant"])
	assert.Nil(t, doc.Rows[2]["birth_date"])
	assert.NotContains(t, js.String(), "050390")
	assert.NotContains(t, js.String(), "Esimerkki")

	c := forms.Completeness()
	assert.Equal(t, 3, c.Participants)
	assert.Equal(t, 1, c.Leavers)
	entryUnknown := []outcomes.Fact{outcomes.FactGender, outcomes.FactUnemployedMonths, outcomes.FactEducationLevel,
		outcomes.FactDisability, outcomes.FactThirdCountryNational, outcomes.FactForeignBackground, outcomes.FactMinority}
	assert.Equal(t, []outcomes.MissingFacts{
		// Left over 16 months ago, employed at entry: the six-month facts are due.
		{Participant: "S-1", Case: "c1", Facts: []outcomes.Fact{outcomes.FactSixMonths, outcomes.FactImprovedSituation}},
		{Participant: "p2", Case: "c2", Facts: entryUnknown},
		{Participant: "ghost", Case: "c3", Facts: []outcomes.Fact{outcomes.FactBirthDate, outcomes.FactGender, outcomes.FactLabourStatus,
			outcomes.FactUnemployedMonths, outcomes.FactEducationLevel, outcomes.FactDisability, outcomes.FactThirdCountryNational,
			outcomes.FactForeignBackground, outcomes.FactMinority}},
	}, c.Missing)
	lacking := map[outcomes.Fact][2]int{}
	for _, n := range c.ByFact {
		lacking[n.Fact] = [2]int{n.Missing, n.Needed}
	}
	assert.Equal(t, [2]int{0, 1}, lacking[outcomes.FactQualificationGained], "the host's Fill gave it")
	assert.Equal(t, [2]int{2, 2}, lacking[outcomes.FactUnemployedMonths], "needed of the unemployed and the unknown, not of p1")
	assert.Equal(t, [2]int{2, 3}, lacking[outcomes.FactMinority])
	assert.Equal(t, [2]int{1, 1}, lacking[outcomes.FactImprovedSituation])
	for _, n := range c.Lacking() {
		assert.Positive(t, n.Missing)
	}
}

// Before the six-month window closes the six-month facts are not yet
// lacking.
func TestESFFormsSixMonthFactsDueAfterTheWindow(t *testing.T) {
	ctx := context.Background()
	eng := formEngine(t)
	for today, due := range map[coaching.Date]bool{
		coaching.NewDate(2024, time.August, 28): false, // window 2024-07-31 – 2024-08-28
		coaching.NewDate(2024, time.August, 29): true,
	} {
		forms, err := outcomes.ReadESFForms(ctx, eng, formHead, coaching.CaseQuery{}, &outcomes.FormOptions{Today: today})
		require.NoError(t, err)
		got := forms.Completeness().Missing[0].Facts
		assert.Equal(t, due, len(got) > 0 && got[len(got)-1] == outcomes.FactImprovedSituation, "%s: %v", today, got)
	}
}

func TestESFFormsCSVForFinnishExcelAndColumnOverride(t *testing.T) {
	ctx := context.Background()
	eng := formEngine(t)
	forms, err := outcomes.ReadESFForms(ctx, eng, formHead, coaching.CaseQuery{}, &outcomes.FormOptions{
		Language: coaching.English,
		Columns: []outcomes.FormColumn{
			{Key: "gender", Finnish: "Sukupuoli", English: "Sex"},
			{Key: "participant", Finnish: "Tunniste", English: "ID"},
			{Key: "exit_date", Finnish: "Päättyi", English: "Left on"},
		},
	})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, forms.WriteCSV(&out))
	assert.Equal(t, "\ufeffSex;ID;Left on\r\nfemale;S-1;2024-01-31\r\n;p2;\r\n;ghost;\r\n", out.String())

	for _, bad := range [][]outcomes.FormColumn{
		{{Key: "identity_code", Finnish: "Henkilötunnus"}},
		{{Key: "gender", Finnish: "Sukupuoli"}, {Key: "gender", Finnish: "Sukupuoli"}},
		{{Key: "gender"}},
	} {
		_, err := outcomes.ReadESFForms(ctx, eng, formHead, coaching.CaseQuery{}, &outcomes.FormOptions{Columns: bad})
		require.Error(t, err, bad)
		assert.True(t, strings.HasPrefix(err.Error(), "outcomes: ESF+ form column"), err)
	}
}

func TestESFFormsRefusals(t *testing.T) {
	ctx := context.Background()
	eng := formEngine(t)
	funder := coaching.Actor{ID: "funder", Roles: []coaching.Role{coaching.RoleFunder}}
	_, err := outcomes.ReadESFForms(ctx, eng, funder, coaching.CaseQuery{}, nil)
	assert.ErrorIs(t, err, outcomes.ErrFormsForFunder)
	teacher := coaching.Actor{ID: "t", Roles: []coaching.Role{coaching.RoleTeacher}, Organisation: formOrg}
	_, err = outcomes.ReadESFForms(ctx, eng, teacher, coaching.CaseQuery{}, nil)
	assert.ErrorIs(t, err, coaching.ErrForbidden)
	_, err = outcomes.ReadESFForms(ctx, eng, formHead, coaching.CaseQuery{Organisation: "org-other"}, nil)
	assert.ErrorIs(t, err, coaching.ErrForbidden)
	_, err = outcomes.ReadESFForms(ctx, nil, formHead, coaching.CaseQuery{}, nil)
	assert.Error(t, err)
}

// A participant identifier from an external system that a spreadsheet
// would read as a formula is written with a leading apostrophe, as is a
// caller's column label; numbers and plain text are written as they are.
func TestESFFormsCSVDefusesFormulaCells(t *testing.T) {
	ctx := context.Background()
	opened := time.Date(2023, 9, 4, 9, 0, 0, 0, coaching.Helsinki)
	st := fillStore(t, []outcomes.Input{{
		Case: coaching.Case{ID: "c1", Organisation: formOrg, Model: coaching.ModelVALO, State: coaching.ValoSkillAcquisition, OpenedAt: opened},
		Participant: coaching.Participant{ID: "p1", Organisation: formOrg, GivenNames: "Aino", FamilyName: "Virtanen", Language: coaching.Finnish,
			BirthDate: coaching.NewDate(2008, time.January, 21), ExternalIDs: map[string]string{"sis": "=1+2"}},
	}})
	eng, err := coaching.New(st, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
	require.NoError(t, err)

	forms, err := outcomes.ReadESFForms(ctx, eng, formHead, coaching.CaseQuery{}, nil)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, forms.WriteCSV(&out))
	lines := strings.Split(out.String(), "\r\n")
	require.GreaterOrEqual(t, len(lines), 2)
	assert.True(t, strings.HasPrefix(lines[1], "'=1+2;2023-09-04;2008-01-21;15;"), "row: %q", lines[1])

	forms, err = outcomes.ReadESFForms(ctx, eng, formHead, coaching.CaseQuery{}, &outcomes.FormOptions{
		Columns: []outcomes.FormColumn{{Key: "participant", Finnish: "@Tunniste"}, {Key: "age_at_entry", Finnish: "Ikä"}},
	})
	require.NoError(t, err)
	out.Reset()
	require.NoError(t, forms.WriteCSV(&out))
	assert.Equal(t, "\ufeff'@Tunniste;Ikä\r\n'=1+2;15\r\n", out.String())
}
