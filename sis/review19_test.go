package sis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/sis"
)

// enrolOne imports in (one student) into a new engine, the tutor on the
// student's team as their personal tutor, and returns the engine and the
// options, for a re-import.
func enrolOne(t *testing.T, in string) (*coaching.Engine, sis.Options) {
	t.Helper()
	eng := newEngine(t)
	opts := options()
	opts.Team = []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}
	rep, err := sis.Import(context.Background(), eng, tutor, strings.NewReader(in), opts)
	require.NoError(t, err)
	require.Len(t, rep.Enrolled, 1)
	return eng, opts
}

// A file that is UTF-8 but for one Windows-1252 byte (two exports pasted
// together) is refused as mixed encoding, naming the first line of each
// kind and no value; read as Windows-1252 as a whole, every UTF-8 "ä"
// would silently become "Ã¤".
func TestImportRefusesMixedEncodings(t *testing.T) {
	ctx := context.Background()
	in := "external_id;given_names;family_name;birth_date\n" +
		"S1;Äinö;Mäkinen;2008-01-21\n" + // UTF-8
		"S2;Elias;Lindqvist;2009-11-02\n" +
		"S3;J\xe4rvi;Sara;2010-06-30\n" // one Windows-1252 ä
	eng := newEngine(t)
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), options())
	require.Error(t, err)
	assert.Nil(t, rep)
	assert.True(t, errors.Is(err, coaching.ErrInvalid))
	assert.Contains(t, err.Error(), "mixes encodings: line 2 holds UTF-8 text and line 4 text in another encoding")
	for _, v := range []string{"Mäkinen", "Äinö", "rvi", "Sara"} {
		assert.NotContains(t, err.Error(), v)
	}
	assert.Zero(t, countCases(t, eng))

	// A file wholly in Windows-1252 is still read as such.
	rep, err = sis.Import(ctx, eng, tutor, windows1252(t, "external_id;given_names;family_name;birth_date\nS1;Äinö;Mäkinen;2008-01-21\n"), options())
	require.NoError(t, err)
	assert.Equal(t, sis.EncodingWindows1252, rep.Encoding)
	require.Len(t, rep.Enrolled, 1)
}

// Background is the facts at entry: a re-import a year later does not
// write the SIS's current labour status over it (the ESF+ form's "labour
// market status at entry" and long-term unemployment stay), reports the
// differing value as a conflict with the values in the typed fields only,
// never erases a value for an empty cell, and fills a fact unknown at
// entry.
func TestReimportKeepsBackgroundAtEntry(t *testing.T) {
	ctx := context.Background()
	header := "external_id;given_names;family_name;birth_date;gender;labour_status;unemployed_months\n"
	eng, opts := enrolOne(t, header+"S1;Aino;Virtanen;2000-03-14;;unemployed;14\n")
	esfRow := func() string {
		f, err := outcomes.ReadESFForms(ctx, eng, head, coaching.CaseQuery{}, nil)
		require.NoError(t, err)
		var b strings.Builder
		require.NoError(t, f.WriteCSV(&b))
		lines := strings.Split(b.String(), "\r\n")
		require.GreaterOrEqual(t, len(lines), 2)
		return lines[1]
	}
	before := esfRow()
	assert.Contains(t, before, ";unemployed;14;1;")

	opts.Update = true
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(header+"S1;Aino;Virtanen;2000-03-14;female;employed;\n"), opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	require.Len(t, rep.Conflicts, 1)
	c := rep.Conflicts[0]
	assert.Equal(t, "labour_status", c.Column)
	assert.Equal(t, 2, c.Line)
	assert.Equal(t, "unemployed", c.Kept)
	assert.Equal(t, "employed", c.SIS)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("conflict", "c", c)
	for _, s := range []string{c.Message, c.String(), logged.String()} {
		assert.NotContains(t, s, "employed")
	}
	require.Len(t, rep.Updated, 1, "the gender unknown at entry is filled in")
	assert.Equal(t, []sis.FieldDiff{{Column: "gender", Before: "", After: "female"}}, rep.Updated[0].Diffs)

	p, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, sis.ParticipantID(org, "S1"))
	})
	require.NoError(t, err)
	months := 14
	assert.Equal(t, coaching.Background{Gender: coaching.GenderFemale, LabourStatus: coaching.LabourUnemployed, UnemployedMonths: &months}, p.Background)
	assert.Contains(t, esfRow(), ";unemployed;14;1;", "the ESF+ entry facts are unchanged")
}

// A re-import neither writes nor silently ignores a changed name or birth
// date: each is a conflict ("not updated by an import") with both values
// in the typed fields.
func TestReimportReportsNameAndBirthDateChanges(t *testing.T) {
	f := newReconcileFixture(t)
	in := strings.Replace(firstExport, "S1;Virtanen;Aino;14.3.2010", "S1;Korhonen;Aino;15.3.2010", 1)
	rep, err := sis.Import(f.ctx, f.eng, importer, strings.NewReader(in), f.opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	assert.Empty(t, rep.Updated)
	require.Len(t, rep.Conflicts, 2)
	assert.Equal(t, "family_name", rep.Conflicts[0].Column)
	assert.Equal(t, "Virtanen", rep.Conflicts[0].Kept)
	assert.Equal(t, "Korhonen", rep.Conflicts[0].SIS)
	assert.Equal(t, "birth_date", rep.Conflicts[1].Column)
	assert.Equal(t, "2010-03-14", rep.Conflicts[1].Kept)
	assert.Equal(t, "2010-03-15", rep.Conflicts[1].SIS)
	for _, c := range rep.Conflicts {
		assert.Equal(t, 2, c.Line)
		assert.Contains(t, c.Message, "not updated by an import")
		assert.NotContains(t, c.String(), "Korhonen")
		assert.NotContains(t, c.String(), "2010")
	}
	p := f.participant(t, "S1")
	assert.Equal(t, "Virtanen", p.FamilyName)
	assert.Equal(t, coaching.NewDate(2010, 3, 14), p.BirthDate)
}

// A re-import compares the identity code without echoing it: a different
// code is a conflict naming the column only (no value in the report, its
// JSON or the log); the same code, or an empty cell, is none.
func TestReimportReportsIdentityCodeChangeWithoutTheCode(t *testing.T) {
	ctx := context.Background()
	header := "external_id;given_names;family_name;birth_date;identity_code\n"
	eng, opts := enrolOne(t, header+"S1;Aino;Virtanen;14.3.2010;140310A9013\n")
	opts.Update = true
	for _, tc := range []struct {
		code     string
		conflict bool
	}{{"140310A9013", false}, {"140310a9013", false}, {"", false}, {"140310A9024", true}} {
		rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(header+"S1;Aino;Virtanen;14.3.2010;"+tc.code+"\n"), opts)
		require.NoError(t, err)
		assert.Empty(t, rep.Problems)
		if !tc.conflict {
			assert.Empty(t, rep.Conflicts, tc.code)
			continue
		}
		require.Len(t, rep.Conflicts, 1)
		c := rep.Conflicts[0]
		assert.Equal(t, "identity_code", c.Column)
		assert.Contains(t, c.Message, "not updated by an import")
		assert.Empty(t, c.Kept)
		assert.Empty(t, c.SIS)
		js, err := json.Marshal(rep)
		require.NoError(t, err)
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("conflict", "c", c)
		for _, s := range []string{string(js), c.String(), logged.String()} {
			assert.NotContains(t, s, "140310")
		}
	}
	code, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.IdentityCode, error) {
		return s.IdentityCode(sis.ParticipantID(org, "S1"))
	})
	require.NoError(t, err)
	assert.Equal(t, "140310A9013", code.Reveal(), "the recorded code stays")
}

// A byte order mark or a zero-width character inside an id cell or a
// header name (a file saved twice by a tool that adds a BOM, a copy from a
// web page) is dropped: it does not become part of the external id, the
// participant id, or the header name.
func TestImportDropsInvisibleCharactersFromIDs(t *testing.T) {
	ctx := context.Background()
	for name, in := range map[string]string{
		"double BOM":             "\xef\xbb\xbf\xef\xbb\xbfexternal_id;given_names;family_name;birth_date\nS1;Aino;Virtanen;2008-01-21\n",
		"BOM in cell":            "\xef\xbb\xbfexternal_id;given_names;family_name;birth_date\n\ufeffS1;Aino;Virtanen;2008-01-21\n",
		"zero-width space":       "external_id;given_names;family_name;birth_date\nS\u200b1\u200c;Aino;Virtanen;2008-01-21\n",
		"joiners in header name": "external\u200d_id\u2060;given_names;family_name;birth_date\n\u2060S1;Aino;Virtanen;2008-01-21\n",
	} {
		eng := newEngine(t)
		rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), options())
		require.NoError(t, err, name)
		assert.Empty(t, rep.Problems, name)
		require.Len(t, rep.Enrolled, 1, name)
		assert.Equal(t, "S1", rep.Enrolled[0].ExternalID, name)
		assert.Equal(t, sis.ParticipantID(org, "S1"), rep.Enrolled[0].Participant, name)
	}
}

// An external id that starts with =, +, - or @ is refused: a spreadsheet
// would read it as a formula (CSV injection) when a report or the ESF+
// form listing it is opened. The problem does not repeat the value.
func TestImportRefusesFormulaLookingExternalIDs(t *testing.T) {
	ctx := context.Background()
	in := "external_id;given_names;family_name;birth_date\n" +
		"=1+2;Aino;Virtanen;2008-01-21\n" +
		"+358;Elias;Lindqvist;2009-11-02\n" +
		"-5;Sara;Ahmed;2010-06-30\n" +
		"@SUM(1);Omar;Ahmed;2010-06-30\n" +
		"S5-1;Liisa;Virtanen;2010-06-30\n" // a dash inside is fine
	eng := newEngine(t)
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), options())
	require.NoError(t, err)
	require.Len(t, rep.Enrolled, 1)
	assert.Equal(t, "S5-1", rep.Enrolled[0].ExternalID)
	require.Len(t, rep.Problems, 4)
	for i, p := range rep.Problems {
		assert.Equal(t, i+2, p.Line)
		assert.Equal(t, "external_id", p.Column)
		assert.Contains(t, p.Message, "starts with =, +, - or @")
		for _, v := range []string{"1+2", "358", "-5", "SUM"} {
			assert.NotContains(t, p.Message, v)
		}
	}
}
