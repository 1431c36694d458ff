package sis_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/sis"
)

const org = coaching.OrganisationID("1.2.246.562.10.00000000001")

var (
	tutor = coaching.Actor{ID: "tutor-1", Organisation: org, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	head  = coaching.Actor{ID: "head-1", Organisation: org, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
)

// engineStores remembers each test engine's store, for countCases.
var engineStores sync.Map

func newEngine(t *testing.T) *coaching.Engine {
	t.Helper()
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: ct.NewClock(ct.DefaultStart)})
	require.NoError(t, err)
	engineStores.Store(eng, store)
	return eng
}

func options() sis.Options {
	return sis.Options{Model: coaching.ModelPilot, Organisation: org}
}

func importFile(t *testing.T, eng *coaching.Engine, name string, opts sis.Options) *sis.Report {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	rep, err := sis.Import(context.Background(), eng, tutor, f, opts)
	require.NoError(t, err)
	return rep
}

// requireNoCodes checks every message of the report for identity codes.
func requireNoCodes(t *testing.T, rep *sis.Report, codes ...string) {
	t.Helper()
	var b strings.Builder
	for _, p := range rep.Problems {
		b.WriteString(p.String() + "\n")
	}
	ct.RequireNoIdentityCodes(t, "the report", b.String())
	for _, c := range codes {
		assert.NotContains(t, b.String(), c)
	}
}

func countCases(t *testing.T, eng *coaching.Engine) int {
	t.Helper()
	n := 0
	store, _ := engineStores.Load(eng)
	for _, err := range store.(*memory.Store).Cases(context.Background(), coaching.CaseQuery{}) {
		require.NoError(t, err)
		n++
	}
	return n
}

func TestImportGoodFile(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t)
	rep := importFile(t, eng, "testdata/students.csv", options())
	assert.Empty(t, rep.Problems)
	assert.Equal(t, 4, rep.Rows)
	require.Len(t, rep.Enrolled, 4)
	for i, e := range rep.Enrolled {
		assert.Equal(t, i+2, e.Line)
		assert.Equal(t, sis.ParticipantID(org, e.ExternalID), e.Participant)
		assert.NotEmpty(t, e.Case)
	}
	assert.Equal(t, []string{"S1001", "S1002", "S1003", "S1004"},
		[]string{rep.Enrolled[0].ExternalID, rep.Enrolled[1].ExternalID, rep.Enrolled[2].ExternalID, rep.Enrolled[3].ExternalID})

	// The first row in full.
	p, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, rep.Enrolled[0].Participant)
	})
	require.NoError(t, err)
	assert.Equal(t, coaching.ParticipantID("sis:1.2.246.562.10.00000000001:S1001"), p.ID)
	assert.Equal(t, org, p.Organisation)
	assert.Equal(t, "Aino Maria", p.GivenNames)
	assert.Equal(t, "Virtanen", p.FamilyName)
	assert.Equal(t, coaching.NewDate(2010, 3, 14), p.BirthDate)
	assert.Equal(t, coaching.Contact{Email: "aino.virtanen@example.fi", Phone: "+358 40 123 4567"}, p.Contact)
	assert.Equal(t, coaching.Finnish, p.Language)
	assert.Equal(t, map[string]string{"sis": "S1001", "oppija_oid": "1.2.246.562.24.10000000016"}, p.ExternalIDs)
	assert.Equal(t, []coaching.Guardian{
		{ID: "sis:1.2.246.562.10.00000000001:S1001:guardian1", Name: "Pekka Virtanen",
			Contact:    coaching.Contact{Email: "pekka.virtanen@example.fi", Phone: "+358 40 765 4321"},
			SISContact: coaching.Contact{Email: "pekka.virtanen@example.fi", Phone: "+358 40 765 4321"}},
		{ID: "sis:1.2.246.562.10.00000000001:S1001:guardian2", Name: "Liisa Virtanen",
			Contact: coaching.Contact{Email: "liisa.virtanen@example.fi"}, Language: coaching.Finnish,
			SISContact: coaching.Contact{Email: "liisa.virtanen@example.fi"}},
	}, p.Guardians)
	assert.Equal(t, p.Contact, p.SISContact, "the values the SIS gave are kept, for a re-import to compare")
	code, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.IdentityCode, error) { return s.IdentityCode(p.ID) })
	require.NoError(t, err)
	want, err := coaching.ParseIdentityCode("140310A9013")
	require.NoError(t, err)
	assert.True(t, want.Equal(code))

	c, err := eng.Case(ctx, head, rep.Enrolled[0].Case)
	require.NoError(t, err)
	assert.Equal(t, p.ID, c.ParticipantID)
	assert.Equal(t, coaching.ModelPilot, c.Model)
	rec, ok := c.Record(sis.RecordName)
	require.True(t, ok)
	assert.JSONEq(t, `{"group":"TVO25A","start_date":"2026-08-10"}`, string(rec.Data))
	assert.Equal(t, tutor.ID, rec.By, "the importer wrote the record, though not on the team")
	assert.EqualValues(t, 1, rec.Seq, "the record came with the opening")
	trail, err := ct.ReadCase(ctx, eng, head, coaching.OpReadCase, c.ID, (*coaching.CaseView).AuditTrail)
	require.NoError(t, err)
	require.Len(t, trail, 1)
	assert.Equal(t, tutor.ID, trail[0].ActorID, "the importer opened the case")
	assert.Equal(t, "SIS import, line 2", trail[0].Reason)

	// A quoted group with the delimiter in it; English.
	c, err = eng.Case(ctx, head, rep.Enrolled[2].Case)
	require.NoError(t, err)
	var er sis.EnrolmentRecord
	require.NoError(t, c.DecodeRecord(sis.RecordName, &er))
	assert.Equal(t, sis.EnrolmentRecord{Group: "SÄH25, group B", StartDate: coaching.NewDate(2026, 8, 17)}, er)
	p, err = ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, rep.Enrolled[2].Participant)
	})
	require.NoError(t, err)
	assert.Equal(t, coaching.English, p.Language)
	assert.Equal(t, map[string]string{"sis": "S1003", "oppija_oid": "1.2.246.562.24.10000000029"}, p.ExternalIDs)

	// No group and no start date: no record; no language: Finnish; no
	// guardians.
	c, err = eng.Case(ctx, head, rep.Enrolled[3].Case)
	require.NoError(t, err)
	_, ok = c.Record(sis.RecordName)
	assert.False(t, ok)
	p, err = ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, rep.Enrolled[3].Participant)
	})
	require.NoError(t, err)
	assert.Equal(t, coaching.Finnish, p.Language)
	assert.Empty(t, p.Guardians)
	assert.True(t, p.IdentityCode.IsZero())
}

// wantBad is what testdata/students_bad.csv must produce.
var wantBad = []sis.RowProblem{
	{Line: 3, Column: "birth_date", Message: "not a calendar date"},
	{Line: 4, Column: "identity_code", Message: "identity code: the check character does not match"},
	{Line: 5, Column: "email", Message: "not a valid e-mail address"},
	{Line: 6, Column: "language", Message: "must be fi, sv or en"},
	{Line: 7, Column: "family_name", Message: "required"},
	{Line: 8, Column: "given_names", Message: "contains a control character"},
	{Line: 10, Column: "email", Message: "not a valid e-mail address"},
	{Line: 10, Column: "learner_oid", Message: "not a learner OID (1.2.246.562.24. and eleven digits with a valid check digit)"},
	{Line: 11, Column: "", Message: "has 5 fields, the header has 12"},
	{Line: 13, Column: "external_id", Message: "the same external id is on line 16"},
	{Line: 15, Column: "identity_code", Message: "does not match the birth date"},
	{Line: 15, Column: "start_date", Message: "must be a date d.m.yyyy or YYYY-MM-DD"},
	{Line: 16, Column: "external_id", Message: "the same external id is on line 13"},
	{Line: 17, Column: "guardian1_name", Message: "required"},
	{Line: 17, Column: "guardian1_email", Message: "not a valid e-mail address"},
	{Line: 18, Column: "external_id", Message: "looks like a personal identity code: use the student's id in the SIS"},
}

func TestImportBadRows(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t)
	rep := importFile(t, eng, "testdata/students_bad.csv", options())
	assert.Equal(t, wantBad, rep.Problems)
	assert.Equal(t, 15, rep.Rows, "the continuation line and the empty row are not rows")
	requireNoCodes(t, rep, "021109A902X", "050510A9051")

	require.Len(t, rep.Enrolled, 2)
	assert.Equal(t, 2, rep.Enrolled[0].Line)
	assert.Equal(t, "S2001", rep.Enrolled[0].ExternalID)
	assert.Equal(t, 12, rep.Enrolled[1].Line)
	assert.Equal(t, "S2010", rep.Enrolled[1].ExternalID)
	assert.Equal(t, 2, countCases(t, eng))

	// The good rows map back to the file through ExternalIDs.
	for _, e := range rep.Enrolled {
		c, err := eng.Case(ctx, head, e.Case)
		require.NoError(t, err)
		p, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
			return s.Participant(coaching.OpReadParticipant, c.ParticipantID)
		})
		require.NoError(t, err)
		assert.Equal(t, e.ExternalID, p.ExternalIDs[sis.ExternalIDSIS])
	}
	p, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, sis.ParticipantID(org, "S2010"))
	})
	require.NoError(t, err)
	assert.Equal(t, "Iida", p.GivenNames, "columns are found by name, in any order")
	assert.Equal(t, "Järvinen", p.FamilyName)
	require.Len(t, p.Guardians, 1)
	assert.Equal(t, "Maija Järvinen", p.Guardians[0].Name)
	_, err = ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, sis.ParticipantID(org, "S2011"))
	})
	assert.ErrorIs(t, err, coaching.ErrNotFound, "neither of two rows with the same external id is enrolled")
}

func TestImportStrict(t *testing.T) {
	ctx := context.Background()
	opts := options()
	opts.Strict = true

	t.Run("a bad row enrols nothing", func(t *testing.T) {
		eng := newEngine(t)
		rep := importFile(t, eng, "testdata/students_bad.csv", opts)
		assert.Equal(t, wantBad, rep.Problems)
		assert.Empty(t, rep.Enrolled)
		assert.Equal(t, 0, countCases(t, eng))
		_, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
			return s.Participant(coaching.OpReadParticipant, sis.ParticipantID(org, "S2001"))
		})
		assert.ErrorIs(t, err, coaching.ErrNotFound)
	})
	t.Run("a good file is enrolled whole", func(t *testing.T) {
		eng := newEngine(t)
		rep := importFile(t, eng, "testdata/students.csv", opts)
		assert.Empty(t, rep.Problems)
		assert.Len(t, rep.Enrolled, 4)
		assert.Equal(t, 4, countCases(t, eng))

		// Again: every row is already enrolled, and nothing is written.
		rep = importFile(t, eng, "testdata/students.csv", opts)
		assert.Empty(t, rep.Enrolled)
		assert.Equal(t, []sis.RowProblem{
			{Line: 2, Column: "external_id", Message: "already enrolled"},
			{Line: 3, Column: "external_id", Message: "already enrolled"},
			{Line: 4, Column: "external_id", Message: "already enrolled"},
			{Line: 5, Column: "external_id", Message: "already enrolled"},
		}, rep.Problems)
		assert.Equal(t, 4, countCases(t, eng))
	})
	t.Run("one row enrolled already enrols none", func(t *testing.T) {
		eng := newEngine(t)
		in := "external_id,given_names,family_name,birth_date\nS1,Aino,Virtanen,2010-01-01\n"
		_, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), opts)
		require.NoError(t, err)
		in += "S2,Eino,Laine,2010-02-02\n"
		rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), opts)
		require.NoError(t, err)
		assert.Equal(t, []sis.RowProblem{{Line: 2, Column: "external_id", Message: "already enrolled"}}, rep.Problems)
		assert.Empty(t, rep.Enrolled)
		assert.Equal(t, 1, countCases(t, eng))
	})
}

func TestReimportReportsAlreadyEnrolled(t *testing.T) {
	eng := newEngine(t)
	first := importFile(t, eng, "testdata/students.csv", options())
	require.Len(t, first.Enrolled, 4)
	again := importFile(t, eng, "testdata/students.csv", options())
	assert.Empty(t, again.Enrolled)
	assert.Equal(t, 4, again.Rows)
	require.Len(t, again.Problems, 4)
	for i, p := range again.Problems {
		assert.Equal(t, sis.RowProblem{Line: i + 2, Column: "external_id", Message: "already enrolled"}, p)
	}
	assert.Equal(t, 4, countCases(t, eng), "no duplicates")
}

// What Finnish Excel writes: a byte order mark, semicolons, CRLF.
func TestImportExcelFile(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t)
	in := "\uFEFFexternal_id;given_names;family_name;birth_date;email;group\r\n" +
		"E1;Aino;Virtanen;2010-03-14;aino@example.fi;\"TVO;A\"\r\n" +
		"E2;\"Anna\r\nMaria\";Laine;2010-07-07;;\r\n" +
		";;;;;\r\n" +
		"E3;Eino;Saarinen;2010-12-12;eino(at)example.fi;\r\n" +
		"E4,Onni,Mäkinen,2010-01-01,,\r\n" +
		"E5;Venla;Mäkelä;2010-05-05;;\r\n"
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), options())
	require.NoError(t, err)
	assert.Equal(t, []sis.RowProblem{
		{Line: 3, Column: "given_names", Message: "contains a control character"},
		{Line: 6, Column: "email", Message: "not a valid e-mail address"},
		{Line: 7, Column: "", Message: "has 1 field, the header has 6"},
	}, rep.Problems)
	require.Len(t, rep.Enrolled, 2)
	assert.Equal(t, sis.Enrolled{Line: 2, ExternalID: "E1", Participant: sis.ParticipantID(org, "E1"), Case: rep.Enrolled[0].Case}, rep.Enrolled[0])
	assert.Equal(t, 8, rep.Enrolled[1].Line)
	assert.Equal(t, 5, rep.Rows)
	c, err := eng.Case(ctx, head, rep.Enrolled[0].Case)
	require.NoError(t, err)
	var er sis.EnrolmentRecord
	require.NoError(t, c.DecodeRecord(sis.RecordName, &er))
	assert.Equal(t, "TVO;A", er.Group)
	p, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, sis.ParticipantID(org, "E1"))
	})
	require.NoError(t, err)
	assert.Equal(t, "Aino", p.GivenNames, "the byte order mark is not part of the first column's name or value")
}

// Empty lines before the header are skipped and counted.
func TestLeadingEmptyLines(t *testing.T) {
	in := "\r\n\nexternal_id;given_names;family_name;birth_date\nS1;Aino;Virtanen,Laine;2010-02-30\n"
	rep, err := sis.Import(context.Background(), newEngine(t), tutor, strings.NewReader(in), options())
	require.NoError(t, err)
	assert.Equal(t, []sis.RowProblem{{Line: 4, Column: "birth_date", Message: "not a calendar date"}}, rep.Problems)
}

// A reader that must not be read.
type untouched struct{ read bool }

func (u *untouched) Read([]byte) (int, error) { u.read = true; return 0, io.EOF }

func TestImportForbiddenActor(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		actor coaching.Actor
		rule  string
	}{
		{"no opener role", coaching.Actor{ID: "teacher-1", Organisation: org, Roles: []coaching.Role{coaching.RoleTeacher}}, "model_openers"},
		{"another organisation", coaching.Actor{ID: "tutor-9", Organisation: "1.2.246.562.10.99999999999", Roles: []coaching.Role{coaching.RolePersonalTutor}}, coaching.RuleOrganisation},
		{"no identity", coaching.Actor{Roles: []coaching.Role{coaching.RolePersonalTutor}}, coaching.RuleAuthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t)
			r := &untouched{}
			rep, err := sis.Import(ctx, eng, tc.actor, r, options())
			fe := ct.RequireForbidden(t, err)
			assert.Equal(t, tc.rule, fe.Rule)
			assert.Nil(t, rep)
			assert.False(t, r.read, "the file is not read for a forbidden actor")
			assert.Equal(t, 0, countCases(t, eng))
		})
	}
	t.Run("a policy denial is in the access log", func(t *testing.T) {
		eng := newEngine(t)
		other := coaching.Actor{ID: "tutor-9", Organisation: "1.2.246.562.10.99999999999", Roles: []coaching.Role{coaching.RolePersonalTutor}}
		_, err := sis.Import(ctx, eng, other, strings.NewReader(""), options())
		require.ErrorIs(t, err, coaching.ErrForbidden)
		log, err := ct.Read(ctx, eng, head, func(s *coaching.Scope) ([]coaching.AccessEntry, error) {
			return s.AccessLog(coaching.AccessQuery{ActorID: other.ID})
		})
		require.NoError(t, err)
		require.Len(t, log, 1)
		assert.Equal(t, coaching.OpEnrol, log[0].Operation)
		assert.False(t, log[0].Allowed)
	})
}

// Problems with the file as a whole stop the import with an error that
// matches coaching.ErrInvalid, and nothing is enrolled.
func TestImportFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // fragments of the error
	}{
		{"empty", "", []string{"empty: a header row is required"}},
		{"only a byte order mark", "\uFEFF", []string{"empty"}},
		{"only blank lines", "\n\r\n\n", []string{"empty"}},
		{"unknown column", "external_id,given_names,family_name,birth_date,nickname,Shoe Size\nS1,A,B,2010-01-01,x,42\n",
			[]string{`"nickname": unknown column`, `"shoe size": unknown column`}},
		{"missing required columns", "external_id,given_names\n", []string{"family_name: required column missing", "birth_date: required column missing"}},
		{"column twice", "external_id,given_names,family_name,birth_date,EMAIL,email\n", []string{"email: named twice (columns 5 and 6)"}},
		{"column without a name", "external_id,given_names,family_name,birth_date,\n", []string{"column 5: has no name"}},
		{"UTF-16", "\xFF\xFEe\x00x\x00", []string{"UTF-16"}},
		{"bad quotes in the header", "external_id,\"given_names\n", []string{"header row (line 1) is not valid CSV"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t)
			rep, err := sis.Import(context.Background(), eng, tutor, strings.NewReader(tc.in), options())
			require.ErrorIs(t, err, coaching.ErrInvalid)
			assert.Nil(t, rep)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	t.Run("a file without a header row is not echoed", func(t *testing.T) {
		eng := newEngine(t)
		in := "S1,Aino,Virtanen,2010-03-14,140310A9013\n"
		_, err := sis.Import(context.Background(), eng, tutor, strings.NewReader(in), options())
		require.ErrorIs(t, err, coaching.ErrInvalid)
		assert.Contains(t, err.Error(), "line 1 is not a header row")
		assert.NotContains(t, err.Error(), "Virtanen")
		ct.RequireNoIdentityCodes(t, "the error", err.Error())
	})
	t.Run("an unknown column shaped like an identity code is not echoed", func(t *testing.T) {
		eng := newEngine(t)
		in := "external_id,given_names,family_name,birth_date,140310a9013\n"
		_, err := sis.Import(context.Background(), eng, tutor, strings.NewReader(in), options())
		require.ErrorIs(t, err, coaching.ErrInvalid)
		assert.NotContains(t, strings.ToUpper(err.Error()), "140310A9013")
	})
	t.Run("too many rows", func(t *testing.T) {
		eng := newEngine(t)
		opts := options()
		opts.MaxRows = 3
		f, err := os.Open("testdata/students.csv")
		require.NoError(t, err)
		defer f.Close()
		_, err = sis.Import(context.Background(), eng, tutor, f, opts)
		require.ErrorIs(t, err, coaching.ErrInvalid)
		assert.Contains(t, err.Error(), "more than 3 rows")
		assert.Equal(t, 0, countCases(t, eng))
	})
}

func TestImportHeaderOnly(t *testing.T) {
	for in, enc := range map[string]string{
		"external_id,given_names,family_name,birth_date":                            sis.EncodingUTF8,
		"external_id;given_names;family_name;birth_date\r\n":                        sis.EncodingUTF8,
		"\uFEFFExternal_ID, Given_Names ,family_name,birth_date\n,,,\n\n":           sis.EncodingUTF8BOM,
		"Opiskelijanumero;Etunimet;Sukunimi;Syntym\xe4aika;Kutsumanimi\r\n;;;;\r\n": sis.EncodingWindows1252,
	} {
		eng := newEngine(t)
		rep, err := sis.Import(context.Background(), eng, tutor, strings.NewReader(in), options())
		require.NoError(t, err, in)
		assert.Equal(t, &sis.Report{Encoding: enc}, rep, in)
	}
}

func TestImportOptions(t *testing.T) {
	eng := newEngine(t)
	for _, tc := range []struct {
		name string
		opts sis.Options
		want string
	}{
		{"no model", sis.Options{}, `model: the engine has no model ""`},
		{"unknown model", sis.Options{Model: "valo"}, `model: the engine has no model "valo"`},
		{"negative rows", sis.Options{Model: coaching.ModelPilot, MaxRows: -1}, "max_rows: must not be negative"},
		{"colon in the organisation", sis.Options{Model: coaching.ModelPilot, Organisation: "a:b"}, "organisation: must not contain ':'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sis.Import(context.Background(), eng, tutor, strings.NewReader(""), tc.opts)
			require.ErrorIs(t, err, coaching.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := sis.Import(context.Background(), nil, tutor, strings.NewReader(""), options())
	assert.Error(t, err)
	_, err = sis.Import(context.Background(), eng, tutor, nil, options())
	assert.Error(t, err)
}

func TestImportTeam(t *testing.T) {
	ctx := context.Background()
	in := "external_id,given_names,family_name,birth_date\nS1,Aino,Virtanen,2010-01-01\nS2,Eino,Laine,2010-02-02\n"
	t.Run("every case gets the team", func(t *testing.T) {
		eng := newEngine(t)
		opts := options()
		opts.Team = []coaching.TeamMember{ct.TeamMember(tutor, coaching.RolePersonalTutor)}
		rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), opts)
		require.NoError(t, err)
		require.Len(t, rep.Enrolled, 2)
		c, err := eng.Case(ctx, tutor, rep.Enrolled[1].Case)
		require.NoError(t, err, "the tutor is on the team")
		assert.Equal(t, opts.Team, c.Team)
	})
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("a bad team stops the import (strict %v)", strict), func(t *testing.T) {
			eng := newEngine(t)
			opts := options()
			opts.Strict = strict
			opts.Team = []coaching.TeamMember{{ActorID: "x", Role: "janitor", Name: "X"}}
			rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(in), opts)
			require.ErrorIs(t, err, coaching.ErrInvalid)
			assert.Contains(t, err.Error(), "line 2")
			require.NotNil(t, rep)
			assert.Empty(t, rep.Enrolled)
			assert.Equal(t, 0, countCases(t, eng))
		})
	}
}

// failingStore fails every Update after the first ok ones.
type failingStore struct {
	*memory.Store
	ok int
}

var errStoreDown = errors.New("the store is down")

func (s *failingStore) Update(ctx context.Context, fn func(tx coaching.Tx) error) error {
	if s.ok == 0 {
		return errStoreDown
	}
	s.ok--
	return s.Store.Update(ctx, fn)
}

func TestImportStoreFailure(t *testing.T) {
	store := &failingStore{Store: memory.New(), ok: 2}
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: ct.NewClock(ct.DefaultStart)})
	require.NoError(t, err)
	f, err := os.Open("testdata/students.csv")
	require.NoError(t, err)
	defer f.Close()
	rep, err := sis.Import(context.Background(), eng, tutor, f, options())
	require.ErrorIs(t, err, errStoreDown)
	assert.Contains(t, err.Error(), "line 4")
	require.NotNil(t, rep, "the report says what was enrolled before the failure")
	require.Len(t, rep.Enrolled, 2)
	assert.Equal(t, "S1002", rep.Enrolled[1].ExternalID)
}

func TestImportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	eng := newEngine(t)
	f, err := os.Open("testdata/students.csv")
	require.NoError(t, err)
	defer f.Close()
	_, err = sis.Import(ctx, eng, tutor, f, options())
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, countCases(t, eng))
}

// Row checks, one row at a time, under a header with every column.
func TestRowProblems(t *testing.T) {
	header := strings.Join(sis.Columns(), ",") + "\n"
	// row builds a row from column=value pairs; the rest are empty.
	row := func(pairs ...string) string {
		vals := map[string]string{"external_id": "S1", "given_names": "Aino", "family_name": "Virtanen", "birth_date": "2010-03-14"}
		for i := 0; i+1 < len(pairs); i += 2 {
			vals[pairs[i]] = pairs[i+1]
		}
		out := make([]string, len(sis.Columns()))
		for i, c := range sis.Columns() {
			out[i] = vals[c]
		}
		return strings.Join(out, ",") + "\n"
	}
	for _, tc := range []struct {
		name string
		row  string
		want []sis.RowProblem
	}{
		{"good", row(), nil},
		{"lower-case identity code and language", row("identity_code", "140310a9013", "language", "SV"), nil},
		{"spaces around values", row("given_names", "  Aino  ", "email", " a@example.fi "), nil},
		{"every problem of a row", row("external_id", "", "given_names", "", "birth_date", "14/3/2010", "email", "x", "phone", "abc", "language", "de"),
			[]sis.RowProblem{
				{Line: 2, Column: "external_id", Message: "required"},
				{Line: 2, Column: "given_names", Message: "required"},
				{Line: 2, Column: "birth_date", Message: "must be a date d.m.yyyy or YYYY-MM-DD"},
				{Line: 2, Column: "email", Message: "not a valid e-mail address"},
				{Line: 2, Column: "phone", Message: "not a valid phone number (digits, spaces and an optional leading +)"},
				{Line: 2, Column: "language", Message: "must be fi, sv or en"},
			}},
		{"birth date in the future", row("birth_date", "2030-01-01"), []sis.RowProblem{{Line: 2, Column: "birth_date", Message: "is in the future"}}},
		{"identity code of the wrong length", row("identity_code", "140310A901"),
			[]sis.RowProblem{{Line: 2, Column: "identity_code", Message: "identity code must be 11 characters (DDMMYYCZZZQ)"}}},
		{"start date", row("start_date", "2026-13-01"), []sis.RowProblem{{Line: 2, Column: "start_date", Message: "not a calendar date"}}},
		{"guardian2 alone", row("guardian2_name", "Liisa", "guardian2_email", "liisa@", "guardian2_language", "de"),
			[]sis.RowProblem{
				{Line: 2, Column: "guardian2_email", Message: "not a valid e-mail address"},
				{Line: 2, Column: "guardian2_language", Message: "must be fi, sv or en"},
			}},
		{"guardian without a name", row("guardian1_phone", "040 123 4567"), []sis.RowProblem{{Line: 2, Column: "guardian1_name", Message: "required"}}},
		{"name without a letter", row("family_name", "123"), []sis.RowProblem{{Line: 2, Column: "family_name", Message: "must contain a letter"}}},
		{"external id too long", row("external_id", strings.Repeat("x", 101)), []sis.RowProblem{{Line: 2, Column: "external_id", Message: "longer than 100 bytes"}}},
		{"external id holding an identity code", row("external_id", "x140310-901Xy"),
			[]sis.RowProblem{{Line: 2, Column: "external_id", Message: "looks like a personal identity code: use the student's id in the SIS"}}},
		{"Windows-1252 text", row("family_name", "M\xe4kinen"), nil},
		{"Finnish dates", row("birth_date", "14.3.2010", "start_date", "01.08.2026", "updated_on", "1.8.2026"), nil},
		{"a two-digit year", row("birth_date", "14.3.10"), []sis.RowProblem{{Line: 2, Column: "birth_date", Message: "the year has two digits: write it in full (d.m.yyyy)"}}},
		{"not a Finnish calendar date", row("start_date", "31.2.2026"), []sis.RowProblem{{Line: 2, Column: "start_date", Message: "not a calendar date"}}},
		{"a three-digit day", row("start_date", "001.2.2026"), []sis.RowProblem{{Line: 2, Column: "start_date", Message: "must be a date d.m.yyyy or YYYY-MM-DD"}}},
		{"language names", row("language", "Ruotsi", "guardian1_name", "Pekka", "guardian1_language", "svenska"), nil},
		{"bidi override", row("group", "A\u202eB"), []sis.RowProblem{{Line: 2, Column: "group", Message: "contains a bidirectional-override character"}}},
		{"bare quote", `S1,Ai"no` + strings.Repeat(",", len(sis.Columns())-2) + "\n",
			[]sis.RowProblem{{Line: 2, Message: `not valid CSV: bare " in non-quoted-field`}}},
		{"unterminated quote", "S1,\"Aino\n\nx\n", []sis.RowProblem{{Line: 2, Message: `not valid CSV: extraneous or missing " in quoted-field (the row was read up to line 4)`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t)
			rep, err := sis.Import(context.Background(), eng, tutor, strings.NewReader(header+tc.row), options())
			require.NoError(t, err)
			assert.Equal(t, tc.want, rep.Problems)
			assert.Equal(t, 1, rep.Rows)
			assert.Len(t, rep.Enrolled, 1-min(len(tc.want), 1))
			requireNoCodes(t, rep)
		})
	}
}

func TestDuplicateIdentityCodes(t *testing.T) {
	in := "external_id,given_names,family_name,birth_date,identity_code\n" +
		"S1,Aino,Virtanen,2010-03-14,140310A9013\n" +
		"S2,Aino,Virtanen,2010-03-14,140310A9013\n" +
		"S3,Aino,Virtanen,2010-03-14,140310a9013\n" +
		"S1,Eino,Laine,2010-02-02,\n"
	rep, err := sis.Import(context.Background(), newEngine(t), tutor, strings.NewReader(in), options())
	require.NoError(t, err)
	assert.Empty(t, rep.Enrolled)
	assert.Equal(t, []sis.RowProblem{
		{Line: 2, Column: "external_id", Message: "the same external id is on line 5"},
		{Line: 2, Column: "identity_code", Message: "the same identity code is on lines 3, 4"},
		{Line: 3, Column: "identity_code", Message: "the same identity code is on lines 2, 4"},
		{Line: 4, Column: "identity_code", Message: "the same identity code is on lines 2, 3"},
		{Line: 5, Column: "external_id", Message: "the same external id is on line 2"},
	}, rep.Problems)
	requireNoCodes(t, rep)
}

func TestRowProblemString(t *testing.T) {
	assert.Equal(t, "line 4, email: not a valid e-mail address", sis.RowProblem{Line: 4, Column: "email", Message: "not a valid e-mail address"}.String())
	assert.Equal(t, "line 5: has 1 field, the header has 4", sis.RowProblem{Line: 5, Message: "has 1 field, the header has 4"}.String())
}
