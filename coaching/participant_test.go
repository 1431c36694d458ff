package coaching_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

var participantToday = d(2026, time.September, 15)

func intPtr(v int) *int    { return &v }
func boolPtr(v bool) *bool { return &v }

// validParticipant is a minor (16) with two guardians and every optional
// field filled in.
func validParticipant(t *testing.T) coaching.Participant {
	t.Helper()
	code := mustCode(t, mkCode(t, "010510", 'A', "123"))
	return coaching.Participant{
		ID:           "p-1",
		Organisation: "org-1",
		GivenNames:   "Aino Maria",
		FamilyName:   "Virtanen",
		BirthDate:    d(2010, time.May, 1),
		IdentityCode: code,
		Contact:      coaching.Contact{Email: "aino@example.fi", Phone: "+358 40 123 4567"},
		Language:     coaching.Finnish,
		Guardians: []coaching.Guardian{
			{ID: "g-1", Name: "Eeva Virtanen", Contact: coaching.Contact{Email: "eeva@example.fi"}, Language: coaching.Finnish},
			{ID: "g-2", Name: "Erik Virtanen", Contact: coaching.Contact{Phone: "040-1234567"}, Language: coaching.Swedish},
		},
		Background: coaching.Background{
			Gender:               coaching.GenderFemale,
			EducationLevel:       coaching.EducationBasic,
			LabourStatus:         coaching.LabourInEducation,
			UnemployedMonths:     intPtr(0),
			ForeignBackground:    boolPtr(false),
			Disability:           boolPtr(false),
			ThirdCountryNational: boolPtr(false),
			Minority:             boolPtr(false),
		},
		ExternalIDs: map[string]string{"sis": "S1234", "oppija_oid": "1.2.246.562.24.00000000001"},
	}
}

func problemFields(ve *coaching.ValidationError) []string {
	out := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		out[i] = p.Field
	}
	return out
}

// requireValidationError asserts err is a *ValidationError matching
// ErrInvalid and returns it.
func requireValidationError(t *testing.T, err error) *coaching.ValidationError {
	t.Helper()
	require.Error(t, err)
	var ve *coaching.ValidationError
	require.True(t, errors.As(err, &ve), "want *coaching.ValidationError, got %T: %v", err, err)
	assert.ErrorIs(t, err, coaching.ErrInvalid)
	require.NotEmpty(t, ve.Problems)
	for _, p := range ve.Problems {
		assert.NotEmpty(t, p.Message, "problem %q has no message", p.Field)
	}
	return ve
}

func TestParticipantValidateValid(t *testing.T) {
	tests := map[string]func(p *coaching.Participant){
		"full": func(p *coaching.Participant) {},
		"minimal": func(p *coaching.Participant) {
			*p = coaching.Participant{GivenNames: "A", FamilyName: "B", BirthDate: d(2000, 1, 1), Language: coaching.English}
		},
		"no identity code":          func(p *coaching.Participant) { p.IdentityCode = coaching.IdentityCode{} },
		"swedish":                   func(p *coaching.Participant) { p.Language = coaching.Swedish },
		"no guardians":              func(p *coaching.Participant) { p.Guardians = nil },
		"guardian without language": func(p *coaching.Participant) { p.Guardians[0].Language = "" },
		"guardian without contact":  func(p *coaching.Participant) { p.Guardians[0].Contact = coaching.Contact{} },
		"born today": func(p *coaching.Participant) {
			p.BirthDate = participantToday
			p.IdentityCode = coaching.IdentityCode{}
		},
		"born 1900":                 func(p *coaching.Participant) { p.BirthDate = d(1900, 1, 1); p.IdentityCode = coaching.IdentityCode{} },
		"name of exactly 200 bytes": func(p *coaching.Participant) { p.GivenNames = strings.Repeat("a", 200) },
		"100 two-byte letters":      func(p *coaching.Participant) { p.FamilyName = strings.Repeat("ä", 100) },
		"non-ASCII names":           func(p *coaching.Participant) { p.GivenNames = "Åsa-Märta Zoë"; p.FamilyName = "Ääkkönen-O'Brien" },
		"unknown background":        func(p *coaching.Participant) { p.Background = coaching.Background{} },
		"720 unemployed months":     func(p *coaching.Participant) { p.Background.UnemployedMonths = intPtr(720) },
		"non-binary":                func(p *coaching.Participant) { p.Background.Gender = coaching.GenderNonBinary },
		"every education level": func(p *coaching.Participant) {
			p.Background.EducationLevel = coaching.EducationHigher
		},
		"phone with dashes": func(p *coaching.Participant) { p.Contact.Phone = "09-123 456" },
		"no contact":        func(p *coaching.Participant) { p.Contact = coaching.Contact{} },
		"zero today skips the future check": func(p *coaching.Participant) {
			p.BirthDate = d(2100, 1, 1)
			p.IdentityCode = coaching.IdentityCode{}
		},
	}
	for name, mut := range tests {
		t.Run(name, func(t *testing.T) {
			p := validParticipant(t)
			mut(&p)
			today := participantToday
			if name == "zero today skips the future check" {
				today = coaching.Date{}
			}
			assert.NoError(t, p.Validate(today))
		})
	}
}

func TestParticipantValidateInvalid(t *testing.T) {
	tests := []struct {
		name   string
		mut    func(p *coaching.Participant)
		fields []string // every problem's field, sorted
		msg    string   // a substring of the first problem's message
	}{
		{"missing given names", func(p *coaching.Participant) { p.GivenNames = "" }, []string{"given_names"}, "required"},
		{"blank given names", func(p *coaching.Participant) { p.GivenNames = " \u00a0 " }, []string{"given_names"}, "required"},
		{"missing family name", func(p *coaching.Participant) { p.FamilyName = "" }, []string{"family_name"}, "required"},
		{"NUL in given names", func(p *coaching.Participant) { p.GivenNames = "Aino\x00" }, []string{"given_names"}, "control"},
		{"newline in family name", func(p *coaching.Participant) { p.FamilyName = "Virta\nnen" }, []string{"family_name"}, "control"},
		{"tab in given names", func(p *coaching.Participant) { p.GivenNames = "Aino\tMaria" }, []string{"given_names"}, "control"},
		{"escape in given names", func(p *coaching.Participant) { p.GivenNames = "\x1b[31mAino" }, []string{"given_names"}, "control"},
		{"DEL in family name", func(p *coaching.Participant) { p.FamilyName = "Virtanen\x7f" }, []string{"family_name"}, "control"},
		{"C1 control in family name", func(p *coaching.Participant) { p.FamilyName = "Virtanen\u0085" }, []string{"family_name"}, "control"},
		{"invalid UTF-8 in given names", func(p *coaching.Participant) { p.GivenNames = "Aino\xff" }, []string{"given_names"}, "UTF-8"},
		{"over-long given names", func(p *coaching.Participant) { p.GivenNames = strings.Repeat("a", 201) }, []string{"given_names"}, "200"},
		{"over-long family name in bytes", func(p *coaching.Participant) { p.FamilyName = strings.Repeat("ä", 101) }, []string{"family_name"}, "200"},
		{"control character in id", func(p *coaching.Participant) { p.ID = "p\x00-1" }, []string{"id"}, "control"},
		{"over-long id", func(p *coaching.Participant) { p.ID = coaching.ParticipantID(strings.Repeat("x", 201)) }, []string{"id"}, "200"},
		{"missing birth date", func(p *coaching.Participant) { p.BirthDate = coaching.Date{} }, []string{"birth_date"}, "required"},
		{"impossible birth date", func(p *coaching.Participant) {
			p.BirthDate = d(2010, time.February, 30)
		}, []string{"birth_date"}, "calendar"},
		{"birth date in the future", func(p *coaching.Participant) {
			p.BirthDate = participantToday.AddDays(1)
			p.IdentityCode = coaching.IdentityCode{}
		}, []string{"birth_date"}, "future"},
		{"birth date before 1900", func(p *coaching.Participant) {
			p.BirthDate = d(1899, time.December, 31)
			p.IdentityCode = coaching.IdentityCode{}
		}, []string{"birth_date"}, "1900"},
		{"identity code does not match the birth date", func(p *coaching.Participant) {
			p.BirthDate = d(2010, time.May, 2)
		}, []string{"identity_code"}, "birth date"},
		{"identity code of another century", func(p *coaching.Participant) {
			p.IdentityCode = mustCode(t, mkCode(t, "010510", '-', "123"))
		}, []string{"identity_code"}, "birth date"},
		{"missing language", func(p *coaching.Participant) { p.Language = "" }, []string{"language"}, "fi, sv or en"},
		{"unknown language", func(p *coaching.Participant) { p.Language = "de" }, []string{"language"}, "fi, sv or en"},
		{"upper-case language", func(p *coaching.Participant) { p.Language = "FI" }, []string{"language"}, "fi, sv or en"},
		{"bad e-mail", func(p *coaching.Participant) { p.Contact.Email = "not-an-email" }, []string{"contact.email"}, "e-mail"},
		{"e-mail with a display name", func(p *coaching.Participant) { p.Contact.Email = "Aino <aino@example.fi>" }, []string{"contact.email"}, "e-mail"},
		{"e-mail with spaces", func(p *coaching.Participant) { p.Contact.Email = " aino@example.fi" }, []string{"contact.email"}, "e-mail"},
		{"phone with letters", func(p *coaching.Participant) { p.Contact.Phone = "040 ABC 1234" }, []string{"contact.phone"}, "phone"},
		{"phone too short", func(p *coaching.Participant) { p.Contact.Phone = "1234" }, []string{"contact.phone"}, "phone"},
		{"phone too long", func(p *coaching.Participant) { p.Contact.Phone = "+1234567890123456" }, []string{"contact.phone"}, "phone"},
		{"plus inside a phone number", func(p *coaching.Participant) { p.Contact.Phone = "040+1234567" }, []string{"contact.phone"}, "phone"},
		{"guardian without a name", func(p *coaching.Participant) { p.Guardians[1].Name = "" }, []string{"guardians[1].name"}, "required"},
		{"guardian with a blank name", func(p *coaching.Participant) { p.Guardians[1].Name = "   " }, []string{"guardians[1].name"}, "required"},
		{"guardian name with a control character", func(p *coaching.Participant) { p.Guardians[0].Name = "Eeva\x00" }, []string{"guardians[0].name"}, "control"},
		{"guardian without an id", func(p *coaching.Participant) { p.Guardians[0].ID = "" }, []string{"guardians[0].id"}, "required"},
		{"duplicate guardian ids", func(p *coaching.Participant) { p.Guardians[1].ID = "g-1" }, []string{"guardians[1].id"}, "duplicate"},
		{"guardian phone", func(p *coaching.Participant) { p.Guardians[0].Contact.Phone = "call me" }, []string{"guardians[0].contact.phone"}, "phone"},
		{"guardian e-mail", func(p *coaching.Participant) { p.Guardians[1].Contact.Email = "erik@" }, []string{"guardians[1].contact.email"}, "e-mail"},
		{"guardian language", func(p *coaching.Participant) { p.Guardians[0].Language = "de" }, []string{"guardians[0].language"}, "fi, sv or en"},
		{"unknown gender", func(p *coaching.Participant) { p.Background.Gender = "other" }, []string{"background.gender"}, "unknown"},
		{"unknown education level", func(p *coaching.Participant) { p.Background.EducationLevel = "phd" }, []string{"background.education_level"}, "unknown"},
		{"unknown labour status", func(p *coaching.Participant) { p.Background.LabourStatus = "retired" }, []string{"background.labour_status"}, "unknown"},
		{"negative unemployed months", func(p *coaching.Participant) { p.Background.UnemployedMonths = intPtr(-1) }, []string{"background.unemployed_months"}, "between"},
		{"too many unemployed months", func(p *coaching.Participant) { p.Background.UnemployedMonths = intPtr(721) }, []string{"background.unemployed_months"}, "between"},
		{"empty external system name", func(p *coaching.Participant) { p.ExternalIDs[""] = "X" }, []string{"external_ids"}, "system"},
		{"control character in an external id", func(p *coaching.Participant) { p.ExternalIDs["sis"] = "S1\n" }, []string{"external_ids.sis"}, "control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validParticipant(t)
			tt.mut(&p)
			ve := requireValidationError(t, p.Validate(participantToday))
			assert.Equal(t, tt.fields, problemFields(ve), "problems: %v", ve.Problems)
			assert.Contains(t, ve.Problems[0].Message, tt.msg)
			assert.Equal(t, "participant", ve.Subject)
			for _, f := range tt.fields {
				assert.Contains(t, ve.Error(), f)
			}
		})
	}
}

func TestParticipantValidateListsEveryProblem(t *testing.T) {
	p := validParticipant(t)
	p.GivenNames = ""
	p.FamilyName = "Virtanen\x00"
	p.BirthDate = participantToday.AddDays(10)
	p.Language = "de"
	p.Contact.Email = "nope"
	p.Contact.Phone = "x"
	p.Guardians[0].Contact.Phone = "123"
	p.Guardians[1].ID = "g-1"
	p.Guardians[1].Name = ""
	p.Background.Gender = "x"
	p.Background.UnemployedMonths = intPtr(-5)

	ve := requireValidationError(t, p.Validate(participantToday))
	want := []string{
		"background.gender",
		"background.unemployed_months",
		"birth_date",
		"contact.email",
		"contact.phone",
		"family_name",
		"given_names",
		"guardians[0].contact.phone",
		"guardians[1].id",
		"guardians[1].name",
		"identity_code", // the code says 2010-05-01
		"language",
	}
	got := problemFields(ve)
	assert.ElementsMatch(t, want, got, "problems: %v", ve.Problems)
	assert.Len(t, ve.Problems, len(want))
	msg := ve.Error()
	assert.Contains(t, msg, fmt.Sprintf("%d problem(s)", len(want)))
	for _, f := range want {
		assert.Contains(t, msg, f+":")
	}
	assert.True(t, slices.IsSorted(got), "problems are listed by field: %v", got)
}

func TestParticipantValidationDoesNotLeakIdentityCode(t *testing.T) {
	p := validParticipant(t)
	p.BirthDate = d(2010, time.May, 2)
	err := p.Validate(participantToday)
	requireValidationError(t, err)
	assertNoCodeLeak(t, err.Error(), p.IdentityCode.Reveal(), "validation error")
}

func TestParticipantMinorOnAndAgeOn(t *testing.T) {
	p := coaching.Participant{BirthDate: d(2008, time.September, 15)}
	tests := []struct {
		on    coaching.Date
		minor bool
		age   int
	}{
		{d(2026, time.September, 14), true, 17},
		{d(2026, time.September, 15), false, 18},
		{d(2026, time.September, 16), false, 18},
		{d(2025, time.September, 15), true, 17},
		{d(2030, time.January, 1), false, 21},
	}
	for _, tt := range tests {
		t.Run(tt.on.String(), func(t *testing.T) {
			assert.Equal(t, tt.minor, p.MinorOn(tt.on))
			assert.Equal(t, tt.age, p.AgeOn(tt.on))
		})
	}
	leap := coaching.Participant{BirthDate: d(2008, time.February, 29)}
	assert.True(t, leap.MinorOn(d(2026, time.February, 27)))
	assert.False(t, leap.MinorOn(d(2026, time.February, 28)))
}

func TestParticipantName(t *testing.T) {
	tests := []struct {
		given, family, want string
	}{
		{"Aino Maria", "Virtanen", "Aino Maria Virtanen"},
		{"Aino", "", "Aino"},
		{"", "Virtanen", "Virtanen"},
		{"", "", ""},
	}
	for _, tt := range tests {
		p := coaching.Participant{GivenNames: tt.given, FamilyName: tt.family}
		assert.Equal(t, tt.want, p.Name(), "%q %q", tt.given, tt.family)
	}
}

func TestParticipantLogValue(t *testing.T) {
	p := validParticipant(t)
	v := p.LogValue()
	require.Equal(t, slog.KindGroup, v.Kind())
	attrs := v.Group()
	require.Len(t, attrs, 1)
	assert.Equal(t, "participant_id", attrs[0].Key)
	assert.Equal(t, "p-1", attrs[0].Value.String())

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "participant", p, "ptr", &p)
	out := buf.String()
	assert.Contains(t, out, `"participant":{"participant_id":"p-1"}`)
	for _, secret := range []string{
		p.GivenNames, p.FamilyName, "Aino", "Virtanen", p.Contact.Email, p.Contact.Phone,
		p.Guardians[0].Name, p.Guardians[1].Contact.Phone, "S1234", "1.2.246", "2010-05-01", "female",
	} {
		assert.NotContains(t, out, secret)
	}
	assertNoCodeLeak(t, out, p.IdentityCode.Reveal(), "participant log")
}

func TestParticipantCloneIsDeep(t *testing.T) {
	orig := validParticipant(t)
	snapshot := validParticipant(t)
	require.Equal(t, snapshot, orig)

	c := orig.Clone()
	require.Equal(t, orig, c, "a clone starts equal")

	c.Guardians[0].Name = "Changed"
	c.Guardians[1].Contact.Email = "changed@example.fi"
	c.Guardians = append(c.Guardians, coaching.Guardian{ID: "g-3", Name: "New"})
	c.ExternalIDs["sis"] = "CHANGED"
	c.ExternalIDs["new"] = "X"
	*c.Background.UnemployedMonths = 99
	*c.Background.ForeignBackground = true
	*c.Background.Disability = true
	*c.Background.ThirdCountryNational = true
	*c.Background.Minority = true
	c.GivenNames = "Other"

	assert.Equal(t, snapshot, orig, "mutating the clone must not change the original")
	assert.Equal(t, "Eeva Virtanen", orig.Guardians[0].Name)
	assert.Len(t, orig.Guardians, 2)
	assert.Equal(t, "S1234", orig.ExternalIDs["sis"])
	assert.NotContains(t, orig.ExternalIDs, "new")
	assert.Equal(t, 0, *orig.Background.UnemployedMonths)
	assert.False(t, *orig.Background.ForeignBackground)
	assert.False(t, *orig.Background.Disability)
	assert.False(t, *orig.Background.ThirdCountryNational)
	assert.False(t, *orig.Background.Minority)

	// And the other way round.
	c2 := orig.Clone()
	orig.Guardians[0].ID = "mutated"
	orig.ExternalIDs["sis"] = "mutated"
	*orig.Background.UnemployedMonths = 7
	assert.Equal(t, "g-1", c2.Guardians[0].ID)
	assert.Equal(t, "S1234", c2.ExternalIDs["sis"])
	assert.Equal(t, 0, *c2.Background.UnemployedMonths)
}

func TestParticipantCloneKeepsNils(t *testing.T) {
	p := coaching.Participant{ID: "p-1"}
	c := p.Clone()
	assert.Nil(t, c.Guardians)
	assert.Nil(t, c.ExternalIDs)
	assert.Nil(t, c.Background.UnemployedMonths)
	assert.Nil(t, c.Background.ForeignBackground)
	assert.Nil(t, c.Background.Disability)
	assert.Nil(t, c.Background.ThirdCountryNational)
	assert.Nil(t, c.Background.Minority)
	assert.Equal(t, p, c)
}

func TestParticipantContactReachableAndLanguageValid(t *testing.T) {
	assert.False(t, coaching.Contact{}.Reachable())
	assert.True(t, coaching.Contact{Email: "a@b.fi"}.Reachable())
	assert.True(t, coaching.Contact{Phone: "0401234567"}.Reachable())
	for _, l := range []coaching.Language{coaching.Finnish, coaching.Swedish, coaching.English} {
		assert.True(t, l.Valid(), l)
	}
	for _, l := range []coaching.Language{"", "de", "FI", "fi "} {
		assert.False(t, l.Valid(), l)
	}
}

func TestParticipantEducationLevelISCED(t *testing.T) {
	tests := []struct {
		l      coaching.EducationLevel
		lo, hi int
		ok     bool
	}{
		{coaching.EducationBelowBasic, 0, 1, true},
		{coaching.EducationBasic, 2, 2, true},
		{coaching.EducationGeneralUpperSecondary, 3, 3, true},
		{coaching.EducationVocational, 3, 3, true},
		{coaching.EducationSpecialistVocational, 4, 4, true},
		{coaching.EducationHigher, 5, 8, true},
		{coaching.EducationUnknown, 0, 0, false},
		{"phd", 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, ok := tt.l.ISCED()
		assert.Equal(t, [3]any{tt.lo, tt.hi, tt.ok}, [3]any{lo, hi, ok}, string(tt.l))
	}
}
