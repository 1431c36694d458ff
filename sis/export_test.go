package sis_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/sis"
)

// A Wilma-style export as Finnish Excel saves "CSV (semicolon delimited)":
// Finnish headers, d.m.yyyy dates, language names, Windows-1252 bytes
// (ä = 0xE4, and an en dash 0x96 that ISO-8859-1 would read as a control
// character).
func TestImportFinnishWindows1252Export(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile("testdata/wilma_fi_windows1252.csv")
	require.NoError(t, err)
	require.False(t, utf8.Valid(raw), "the test file is Windows-1252, not UTF-8")

	eng := newEngine(t)
	rep := importFile(t, eng, "testdata/wilma_fi_windows1252.csv", options())
	assert.Equal(t, sis.EncodingWindows1252, rep.Encoding)
	assert.Equal(t, 4, rep.Rows)
	require.Len(t, rep.Enrolled, 3)
	assert.Equal(t, []sis.RowProblem{
		{Line: 5, Column: "birth_date", Message: "not a calendar date"},
		{Line: 5, Column: "identity_code", Message: "identity code: the date of birth does not exist"},
	}, rep.Problems)
	requireNoCodes(t, rep, "310210A901X")

	p, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, sis.ParticipantID(org, "S3001"))
	})
	require.NoError(t, err)
	assert.Equal(t, "Mäkinen", p.FamilyName)
	assert.Equal(t, "Aino Märta", p.GivenNames, "the calling name is read, not stored")
	assert.Equal(t, coaching.NewDate(2010, 3, 14), p.BirthDate)
	assert.Equal(t, coaching.Contact{Email: "aino.makinen@example.fi", Phone: "040 123 4567"}, p.Contact)
	assert.Equal(t, coaching.Finnish, p.Language)
	require.Len(t, p.Guardians, 2)
	assert.Equal(t, "Pekka Mäkinen", p.Guardians[0].Name)
	assert.Equal(t, "040 765 4321", p.Guardians[0].Contact.Phone)
	assert.Equal(t, "Åsa Öhman", p.Guardians[1].Name)
	assert.Equal(t, "asa.ohman@example.fi", p.Guardians[1].Contact.Email)
	code, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.IdentityCode, error) { return s.IdentityCode(p.ID) })
	require.NoError(t, err)
	assert.Equal(t, "140310A9013", code.Reveal())

	p2, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, sis.ParticipantID(org, "S3002"))
	})
	require.NoError(t, err)
	assert.Equal(t, "Söderström", p2.FamilyName)
	assert.Equal(t, coaching.Swedish, p2.Language, "ruotsi")

	groups := map[string]sis.EnrolmentRecord{}
	for _, e := range rep.Enrolled {
		c, err := eng.Case(ctx, head, e.Case)
		require.NoError(t, err)
		var er sis.EnrolmentRecord
		require.NoError(t, c.DecodeRecord(sis.RecordName, &er))
		groups[e.ExternalID] = er
	}
	assert.Equal(t, sis.EnrolmentRecord{Group: "SÄH25A", StartDate: coaching.NewDate(2026, 8, 10)}, groups["S3001"])
	assert.Equal(t, sis.EnrolmentRecord{Group: "TVO25 – ryhmä B", StartDate: coaching.NewDate(2026, 8, 17)}, groups["S3003"])
}

// Swedish headers, in UTF-8 with a byte order mark (Excel's "CSV UTF-8"),
// headers written in any case, spacing and punctuation.
func TestImportSwedishHeaders(t *testing.T) {
	ctx := context.Background()
	in := "\uFEFFElevnummer;EFTERNAMN;förnamn;Tilltalsnamn;Födelsedatum;Personbeteckning;E-post;Mobiltelefon;Grupp;Modersmål;Vårdnadshavare;Vårdnadshavarens e-post;Vårdnadshavare 2;Vårdnadshavare 2 telefon;Senast ändrad\n" +
		"S4001;Lindqvist;Elias;;2.11.2009;021109A902K;elias@example.fi;;TVO25A;svenska;Karin Lindqvist;karin@example.fi;Johan Lindqvist;050 111 2222;05.08.2026\n"
	eng := newEngine(t)
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), options())
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	assert.Equal(t, sis.EncodingUTF8BOM, rep.Encoding)
	require.Len(t, rep.Enrolled, 1)
	p, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, rep.Enrolled[0].Participant)
	})
	require.NoError(t, err)
	assert.Equal(t, "Lindqvist", p.FamilyName)
	assert.Equal(t, coaching.Swedish, p.Language)
	require.Len(t, p.Guardians, 2)
	assert.Equal(t, "050 111 2222", p.Guardians[1].Contact.Phone)
}

// A host adds its own header names, or skips a column; its aliases are
// checked before anything is read.
func TestImportHostAliases(t *testing.T) {
	ctx := context.Background()
	in := "Oppilaan ID;Sukunimi;Etunimet;Syntymäaika;Luokanvalvoja\nS5001;Virtanen;Aino;14.3.2010;Opettaja Olli\n"
	eng := newEngine(t)
	_, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), options())
	ct.RequireInvalid(t, err, `"oppilaan id"`, `"luokanvalvoja"`)

	opts := options()
	opts.Aliases = map[string]string{"Oppilaan ID": "external_id", "luokanvalvoja": sis.Ignore}
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	require.Len(t, rep.Enrolled, 1)
	assert.Equal(t, "S5001", rep.Enrolled[0].ExternalID)

	// Two headers meaning one column are refused, naming the column.
	_, err = sis.Import(ctx, eng, tutor, strings.NewReader("Opiskelijanumero;external_id;Sukunimi;Etunimet;Syntymäaika\n"), options())
	ct.RequireInvalid(t, err, "external_id")

	opts.Aliases = map[string]string{"Oppilaan ID": "student_number", "--": "external_id"}
	_, err = sis.Import(ctx, eng, tutor, strings.NewReader(in), opts)
	ct.RequireInvalid(t, err, `aliases."Oppilaan ID"`, `aliases."--"`)

	// Every default alias names a documented column, and no two aliases
	// that normalise alike disagree.
	seen := map[string]string{}
	for alias, col := range sis.Aliases() {
		assert.Contains(t, sis.Columns(), col, alias)
		key := strings.ToLower(alias)
		if prev, ok := seen[key]; ok {
			assert.Equal(t, prev, col, alias)
		}
		seen[key] = col
	}
	assert.Equal(t, "family_name", sis.Aliases()["Sukunimi"])
	assert.Equal(t, "guardian2_email", sis.Aliases()["Huoltaja 2 sähköposti"])
}

// Input that is neither UTF-8 nor Windows-1252 — a byte Windows-1252
// leaves undefined — is refused before anything is read, the value not
// echoed.
func TestImportRefusesOtherCodePages(t *testing.T) {
	in := "external_id;given_names;family_name;birth_date\nS1;A\x81ino;Virtanen;14.3.2010\n"
	eng := newEngine(t)
	_, err := sis.Import(context.Background(), eng, tutor, strings.NewReader(in), options())
	ct.RequireInvalid(t, err)
	assert.Contains(t, err.Error(), "neither UTF-8 nor Windows-1252")
	assert.NotContains(t, err.Error(), "ino")
	assert.Equal(t, 0, countCases(t, eng))
	b, _ := json.Marshal(err.Error())
	assert.True(t, utf8.Valid(b))
}

// The background columns, under Finnish headers with Finnish values: an
// empty cell is unknown (nil, never "no"); a value none of the column's is
// a problem that does not repeat it; a re-import keeps the facts at entry
// (a differing value is a conflict, an empty cell erases nothing) and
// fills a fact unknown at entry, with a diff.
func TestImportBackgroundColumns(t *testing.T) {
	ctx := context.Background()
	header := "Opiskelijanumero;Sukunimi;Etunimet;Syntymäaika;Sukupuoli;Koulutustaso;Työmarkkina-asema;Työttömyyden kesto (kk);Maahanmuuttajatausta;Vamma;Kolmannen maan kansalainen;Vähemmistö\n"
	in := header +
		"S6001;Virtanen;Aino;14.3.2000;Nainen;peruskoulu;työtön;14;Kyllä;;ei;\n" +
		"S6002;Ahmed;Sara;30.6.2001;xyzzy;tohtori;;-3;ehkä;;;\n"
	eng := newEngine(t)
	opts := options()
	opts.Team = []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}
	rep, err := sis.Import(ctx, eng, tutor, windows1252(t, in), opts)
	require.NoError(t, err)
	require.Len(t, rep.Enrolled, 1)
	assert.Equal(t, []sis.RowProblem{
		{Line: 3, Column: "gender", Message: "must be female, male or non_binary (nainen, mies; kvinna, man; 2, 1)"},
		{Line: 3, Column: "education_level", Message: "must be below_basic, basic, general_upper_secondary, vocational, specialist_vocational or higher (or a Finnish or Swedish name of one)"},
		{Line: 3, Column: "unemployed_months", Message: "must be whole months from 0 to 720"},
		{Line: 3, Column: "foreign_background", Message: "must be yes or no (kyllä, ei; ja, nej; 1, 0), or empty for unknown"},
	}, rep.Problems)
	p, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, rep.Enrolled[0].Participant)
	})
	require.NoError(t, err)
	yes, no, months := true, false, 14
	assert.Equal(t, coaching.Background{Gender: coaching.GenderFemale, EducationLevel: coaching.EducationBasic, LabourStatus: coaching.LabourUnemployed,
		UnemployedMonths: &months, ForeignBackground: &yes, ThirdCountryNational: &no}, p.Background, "disability and minority unknown")

	opts.Update = true
	again := header + "S6001;Virtanen;Aino;14.3.2000;Nainen;peruskoulu;työllinen;;Kyllä;kyllä;ei;\n"
	rep, err = sis.Import(ctx, eng, tutor, windows1252(t, again), opts)
	require.NoError(t, err)
	require.Len(t, rep.Conflicts, 1)
	assert.Equal(t, "labour_status", rep.Conflicts[0].Column)
	assert.Equal(t, "unemployed", rep.Conflicts[0].Kept)
	assert.Equal(t, "employed", rep.Conflicts[0].SIS)
	require.Len(t, rep.Updated, 1)
	assert.Equal(t, []sis.FieldDiff{{Column: "disability", Before: "", After: "yes"}}, rep.Updated[0].Diffs)
	p, err = ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, rep.Updated[0].Participant)
	})
	require.NoError(t, err)
	assert.Equal(t, coaching.Background{Gender: coaching.GenderFemale, EducationLevel: coaching.EducationBasic, LabourStatus: coaching.LabourUnemployed,
		UnemployedMonths: &months, ForeignBackground: &yes, Disability: &yes, ThirdCountryNational: &no}, p.Background, "the facts at entry kept, the unknown disability filled")
}
