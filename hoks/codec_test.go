package hoks

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

func fixtureFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/ehoks/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ehoks", name))
	require.NoError(t, err)
	return b
}

// semantic unmarshals into any, so key order and whitespace do not matter.
func semantic(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}

func TestRoundTripFixtures(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			in, err := os.ReadFile(file)
			require.NoError(t, err)
			plans, err := DecodeAll(in, nil)
			require.NoError(t, err)
			var out []byte
			if strings.HasPrefix(strings.TrimSpace(string(in)), "[") {
				out, err = EncodeAll(plans)
			} else {
				require.Len(t, plans, 1)
				out, err = Encode(plans[0])
			}
			require.NoError(t, err)
			assert.Equal(t, semantic(t, in), semantic(t, out))
		})
	}
}

func TestRoundTripFixturesAsArray(t *testing.T) {
	// The fixtures as one array of plans, as eHOKS lists them.
	var parts []string
	for _, file := range fixtureFiles(t) {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		parts = append(parts, string(b))
	}
	in := []byte("[" + strings.Join(parts, ",") + "]")
	plans, err := DecodeAll(in, nil)
	require.NoError(t, err)
	require.Len(t, plans, len(parts))
	out, err := EncodeAll(plans)
	require.NoError(t, err)
	assert.Equal(t, semantic(t, in), semantic(t, out))
}

func TestDecodeFields(t *testing.T) {
	p, err := Decode(readFixture(t, "hoksit.json"), nil)
	require.NoError(t, err)
	assert.Equal(t, "1.2.246.562.24.44651722625", *p.LearnerOID)
	assert.Equal(t, "1.2.246.562.15.76811932029", *p.StudyRightOID)
	assert.Equal(t, "2017-10-25", p.FirstApproved.String())
	assert.Equal(t, "2020-10-19", p.CompetenceReached.String())
	assert.Equal(t, "2017-10-25T21:00:00.000Z", p.Approved.String())
	assert.True(t, *p.NeedsCompetence)
	require.Len(t, p.VocationalUnits, 7)
	m := p.VocationalUnits[6].Methods[0]
	assert.Equal(t, "oht4", *m.PeriodID)
	assert.True(t, m.IsWorkplacePeriod())
	assert.Equal(t, "Terraframe", *m.Workplace.WorkplaceName)
	assert.Equal(t, 5, *m.PartTimePercent)
	require.Len(t, p.CommonUnits, 4)
	assert.Equal(t, "ammatillisenoppiaineet_ytou", *p.CommonUnits[2].SubAreas[0].SubAreaCodeURI)
	assert.Empty(t, p.PriorLocalUnits)
	assert.NotNil(t, p.PriorLocalUnits, "an empty array stays an empty array")
	assert.Nil(t, p.TUVAParts, "an absent array stays absent")
}

func TestInstantEncoding(t *testing.T) {
	in := []byte(`{"oppija-oid":"1.2.246.562.24.44651722625","hyvaksytty":"2024-01-02T10:20:30+02:00","paivitetty":"2024-01-02T08:20:30.5Z"}`)
	p, err := Decode(in, nil)
	require.NoError(t, err)
	out, err := Encode(p)
	require.NoError(t, err)
	assert.Equal(t, semantic(t, in), semantic(t, out))
	// A changed instant is written in eHOKS's own form.
	p.Approved = InstantOf(p.Approved.Time.Add(1e9))
	out, err = Encode(p)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"hyvaksytty":"2024-01-02T08:20:31.000Z"`)
}

func decodeProblems(t *testing.T, in string, opts *DecodeOptions) []coaching.FieldProblem {
	t.Helper()
	p, err := Decode([]byte(in), opts)
	require.Error(t, err)
	assert.Nil(t, p)
	assert.ErrorIs(t, err, coaching.ErrInvalid)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	return de.Problems
}

func TestDecodeBadInput(t *testing.T) {
	cases := []struct {
		name, in  string
		field     string
		msgSubstr string
	}{
		{"malformed", `{"oppija-oid": "x",}`, "", "malformed JSON at line 1, column 21 (byte 20)"},
		{"truncated", `{"oppija-oid": "x"`, "", "malformed JSON"},
		{"empty", ``, "", "malformed JSON"},
		{"trailing data", `{} {}`, "", "unexpected data after the JSON value"},
		{"not an object", `[1]`, "", "want an object, got an array"},
		{"wrong type string", `{"oppija-oid": 5}`, "oppija-oid", "want a string, got a number"},
		{"wrong type bool", `{"osaamisen-hankkimisen-tarve": "true"}`, "osaamisen-hankkimisen-tarve", "want true or false"},
		{"wrong type int", `{"versio": 1.5}`, "versio", "want an integer, got 1.5"},
		{"int overflow", `{"versio": 99999999999999999999}`, "versio", "want an integer"},
		{"wrong type array", `{"hankittavat-ammat-tutkinnon-osat": {}}`, "hankittavat-ammat-tutkinnon-osat", "want an array, got an object"},
		{"impossible date", `{"ensikertainen-hyvaksyminen": "2025-02-30"}`, "ensikertainen-hyvaksyminen", `date "2025-02-30" does not exist`},
		{"bad date format", `{"ensikertainen-hyvaksyminen": "30.1.2025"}`, "ensikertainen-hyvaksyminen", "want YYYY-MM-DD"},
		{"empty date", `{"ensikertainen-hyvaksyminen": ""}`, "ensikertainen-hyvaksyminen", "want YYYY-MM-DD"},
		{"date not a string", `{"ensikertainen-hyvaksyminen": 20250101}`, "ensikertainen-hyvaksyminen", "want a date string"},
		{"bad instant", `{"hyvaksytty": "yesterday"}`, "hyvaksytty", "want RFC 3339"},
		{"null", `{"sahkoposti": null}`, "sahkoposti", "null is not allowed"},
		{"nested date", `{"hankittavat-ammat-tutkinnon-osat":[{"osaamisen-hankkimistavat":[{},{"loppu":"2023-13-01"}]}]}`,
			"hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1].loppu", "does not exist"},
		{"unknown top-level key", `{"oppija-oid":"1.2.246.562.24.44651722625","sukunimi":"X"}`, "sukunimi", `unknown member "sukunimi"`},
		{"unknown nested key", `{"hankittavat-yhteiset-tutkinnon-osat":[{"osa-alueet":[{"osa-alue-koodi-uri":"ammatillisenoppiaineet_vvai","arvosana":5}]}]}`,
			"hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet[0].arvosana", `unknown member "arvosana"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probs := decodeProblems(t, tc.in, nil)
			require.NotEmpty(t, probs)
			assert.Equal(t, tc.field, probs[0].Field)
			assert.Contains(t, probs[0].Message, tc.msgSubstr)
		})
	}
}

func TestDecodeListsEveryProblem(t *testing.T) {
	probs := decodeProblems(t, `{"x":1,"versio":"1","hankittavat-koulutuksen-osat":[{"alku":"2025-02-29"}]}`, nil)
	assert.Equal(t, []coaching.FieldProblem{
		{Field: "hankittavat-koulutuksen-osat[0].alku", Message: `date "2025-02-29" does not exist`},
		{Field: "versio", Message: "want an integer, got a string"},
		{Field: "x", Message: `unknown member "x"`},
	}, probs)
}

func TestDecodeAllArrayPaths(t *testing.T) {
	_, err := DecodeAll([]byte(`[{}, {"oppija-oid": true}]`), nil)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "[1].oppija-oid", de.Problems[0].Field)
}

func TestDecodeOversize(t *testing.T) {
	big := make([]byte, MaxDocumentSize+1)
	_, err := Decode(big, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.ErrorIs(t, err, coaching.ErrInvalid)
	assert.Contains(t, err.Error(), "the limit is 2097152 bytes")

	_, err = Decode(readFixture(t, "hoksit.json"), &DecodeOptions{MaxSize: 100})
	assert.ErrorIs(t, err, ErrTooLarge)

	// Under the limit, not too large.
	_, err = Decode([]byte(`{`), nil)
	assert.False(t, errors.Is(err, ErrTooLarge))
}

func TestDecodeDeepNesting(t *testing.T) {
	deep := `{"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`
	_, err := Decode([]byte(deep), &DecodeOptions{KeepUnknown: true})
	require.Error(t, err) // encoding/json refuses nesting this deep; no panic
}

func TestKeepUnknown(t *testing.T) {
	in := []byte(`{"oppija-oid":"1.2.246.562.24.44651722625","tulevaisuuden-kentta":{"a":[1,2.5,"x",null]},
	  "hankittavat-ammat-tutkinnon-osat":[{"tutkinnon-osa-koodi-uri":"tutkinnonosat_1","uusi":true,
	    "osaamisen-hankkimistavat":[{"alku":"2024-01-01","lisatieto":"x"}]}]}`)
	_, err := Decode(in, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0].lisatieto: unknown member "lisatieto"`)

	p, err := Decode(in, &DecodeOptions{KeepUnknown: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":[1,2.5,"x",null]}`, string(p.Extra["tulevaisuuden-kentta"]))
	assert.Equal(t, "true", string(p.VocationalUnits[0].Extra["uusi"]))
	out, err := Encode(p)
	require.NoError(t, err)
	assert.Equal(t, semantic(t, in), semantic(t, out))
}

func TestEncodeErrors(t *testing.T) {
	_, err := Encode(nil)
	assert.Error(t, err)
	_, err = Encode(&Plan{FirstApproved: coaching.NewDate(2025, 2, 30)})
	assert.ErrorContains(t, err, "impossible date")
	_, err = Encode(&Plan{Extra: Extra{"x": []byte("{")}})
	assert.ErrorContains(t, err, "not valid JSON")
	_, err = EncodeAll([]*Plan{nil})
	assert.Error(t, err)
}

func TestEncodeEscaping(t *testing.T) {
	s := "a\"b\\c\n\t\x01 ä \u2028 \xff"
	p := &Plan{Email: &s}
	out, err := Encode(p)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, "a\"b\\c\n\t\x01 ä \u2028 \ufffd", back["sahkoposti"])
}
