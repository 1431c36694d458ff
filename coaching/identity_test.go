package coaching_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// checkChar computes the henkilötunnus check character independently of the
// package: DDMMYYZZZ as a nine-digit number mod 31.
func checkChar(t *testing.T, ddmmyy, zzz string) string {
	t.Helper()
	require.Len(t, ddmmyy, 6)
	require.Len(t, zzz, 3)
	const chars = "0123456789ABCDEFHJKLMNPRSTUVWXY"
	n := 0
	for _, c := range ddmmyy + zzz {
		require.True(t, c >= '0' && c <= '9', "digits only: %q", ddmmyy+zzz)
		n = n*10 + int(c-'0')
	}
	return string(chars[n%31])
}

// mkCode builds a code with a correct check character.
func mkCode(t *testing.T, ddmmyy string, sign byte, zzz string) string {
	t.Helper()
	return ddmmyy + string(sign) + zzz + checkChar(t, ddmmyy, zzz)
}

func mustCode(t *testing.T, s string) coaching.IdentityCode {
	t.Helper()
	c, err := coaching.ParseIdentityCode(s)
	require.NoError(t, err, "precondition: %s must parse", s)
	require.False(t, c.IsZero())
	return c
}

// assertNoCodeLeak fails when out contains the code, its date digits, or
// its hex encoding.
func assertNoCodeLeak(t *testing.T, out, code, what string) {
	t.Helper()
	require.GreaterOrEqual(t, len(code), 6)
	forbidden := []string{
		code,
		code[:6],
		hex.EncodeToString([]byte(code)),
		strings.ToUpper(hex.EncodeToString([]byte(code))),
		hex.EncodeToString([]byte(code[:6])),
	}
	for _, f := range forbidden {
		assert.NotContains(t, out, f, "%s leaks the identity code: %q", what, out)
	}
}

var validIdentityCodes = []string{
	"131052-308T",
	"311280-999J",
	"010594Y9021",
	"020594X903P",
	"030594W903B",
	"040594V9030",
	"050594U902L",
	"010516B903X",
	"020516C902J",
	"030516D9037",
	"010501E9032",
	"020503F9037",
	"020504A902E",
}

func TestIdentityCheckCharHelper(t *testing.T) {
	for _, s := range validIdentityCodes {
		assert.Equal(t, s[10:], checkChar(t, s[:6], s[7:10]), s)
	}
	assert.Equal(t, "Y", checkChar(t, "040594", "902"))
}

func TestParseIdentityCodeValid(t *testing.T) {
	extra := []string{
		"010594+9021",                   // 1800s sign
		mkCode(t, "290200", 'A', "123"), // 29 Feb 2000 (leap: divisible by 400)
		mkCode(t, "290204", 'B', "456"), // 29 Feb 2004
		mkCode(t, "290296", '-', "002"), // 29 Feb 1996, lowest individual number
		mkCode(t, "311299", 'Y', "999"),
	}
	for _, s := range append(append([]string(nil), validIdentityCodes...), extra...) {
		t.Run(s, func(t *testing.T) {
			c, err := coaching.ParseIdentityCode(s)
			require.NoError(t, err)
			assert.False(t, c.IsZero())
			assert.Equal(t, s, c.Reveal())
			assert.True(t, c.BirthDate().Valid(), "birth date %v", c.BirthDate())
		})
	}
}

func TestParseIdentityCodeInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"bad check char (should be Y)", "040594V902V"},
		{"bad check char", "131052-308A"},
		{"check char G is never used", "131052-308G"},
		{"check char I is never used", mkCode(t, "131052", '-', "308")[:10] + "I"},
		{"lower-case check char", "010516B903x"},
		{"empty", ""},
		{"too short", "131052-308"},
		{"too long", "131052-308TT"},
		{"leading space", " 131052-308T"},
		{"trailing space", "131052-308T "},
		{"letter in day", "1A1052-308T"},
		{"letter in year", "13105X-308T"},
		{"century sign G", "131052G308T"},
		{"century sign Z", "131052Z308T"},
		{"lower-case century sign", "020504a902E"},
		{"space as century sign", "131052 308T"},
		{"letter in individual number", "131052-3O8T"},
		{"31 Feb", mkCode(t, "310294", '-', "308")},
		{"29 Feb in a common year", mkCode(t, "290295", '-', "308")},
		{"29 Feb 1900 (not leap)", mkCode(t, "290200", '-', "308")},
		{"day 00", mkCode(t, "000194", '-', "308")},
		{"month 00", mkCode(t, "010094", '-', "308")},
		{"month 13", mkCode(t, "011394", '-', "308")},
		{"31 Apr", mkCode(t, "310494", '-', "308")},
		{"individual number 000", mkCode(t, "010594", '-', "000")},
		{"individual number 001", mkCode(t, "010594", 'A', "001")},
		{"non-ASCII", "131052–308T"[:11]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := coaching.ParseIdentityCode(tt.in)
			require.Error(t, err, "%q must be rejected", tt.in)
			assert.True(t, c.IsZero(), "a rejected code must give the zero value")
			msg := err.Error()
			assert.NotEmpty(t, msg)
			if len(tt.in) >= 6 {
				assertNoCodeLeak(t, msg, tt.in, "error message")
			}
			if tt.in != "" {
				assert.NotContains(t, msg, tt.in)
			}
		})
	}
}

// The rules that only one check fails: the computed check characters make
// sure the date and individual-number cases are not rejected for the
// checksum instead.
func TestParseIdentityCodeRejectsForTheRightReason(t *testing.T) {
	_, errDate := coaching.ParseIdentityCode(mkCode(t, "310294", '-', "308"))
	_, errIndividual := coaching.ParseIdentityCode(mkCode(t, "010594", '-', "001"))
	_, errCheck := coaching.ParseIdentityCode("131052-308A")
	require.Error(t, errDate)
	require.Error(t, errIndividual)
	require.Error(t, errCheck)
	assert.NotEqual(t, errCheck.Error(), errDate.Error(), "impossible date must not be reported as a checksum error")
	assert.NotEqual(t, errCheck.Error(), errIndividual.Error(), "individual number 001 must not be reported as a checksum error")
	assert.NotEqual(t, errDate.Error(), errIndividual.Error())
}

func TestIdentityCodeBirthDate(t *testing.T) {
	tests := []struct {
		code string
		want coaching.Date
	}{
		{"010594+9021", coaching.NewDate(1894, time.May, 1)},
		{"131052-308T", coaching.NewDate(1952, time.October, 13)},
		{"311280-999J", coaching.NewDate(1980, time.December, 31)},
		{"010594Y9021", coaching.NewDate(1994, time.May, 1)},
		{"020594X903P", coaching.NewDate(1994, time.May, 2)},
		{"030594W903B", coaching.NewDate(1994, time.May, 3)},
		{"040594V9030", coaching.NewDate(1994, time.May, 4)},
		{"050594U902L", coaching.NewDate(1994, time.May, 5)},
		{"020504A902E", coaching.NewDate(2004, time.May, 2)},
		{"010516B903X", coaching.NewDate(2016, time.May, 1)},
		{"020516C902J", coaching.NewDate(2016, time.May, 2)},
		{"030516D9037", coaching.NewDate(2016, time.May, 3)},
		{"010501E9032", coaching.NewDate(2001, time.May, 1)},
		{"020503F9037", coaching.NewDate(2003, time.May, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			c := mustCode(t, tt.code)
			assert.Equal(t, tt.want, c.BirthDate())
		})
	}
	assert.True(t, coaching.IdentityCode{}.BirthDate().IsZero(), "zero code has no birth date")
}

func TestIdentityCodeTemporary(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"311280-999J", true},
		{"010594Y9021", true},
		{mkCode(t, "010594", '-', "900"), true},
		{"131052-308T", false},
		{mkCode(t, "010594", '-', "899"), false},
		{mkCode(t, "010594", 'A', "002"), false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			assert.Equal(t, tt.want, mustCode(t, tt.code).Temporary())
		})
	}
	assert.False(t, coaching.IdentityCode{}.Temporary())
}

func TestIdentityCodeEqual(t *testing.T) {
	y := mustCode(t, "010594Y9021")
	dash := mustCode(t, "010594-9021") // same check char: the sign is not in the checksum
	y2 := mustCode(t, "010594Y9021")
	other := mustCode(t, "020594X903P")

	assert.True(t, y.Equal(y2))
	assert.True(t, y2.Equal(y))
	assert.False(t, y.Equal(dash), "the century sign is part of the identity")
	assert.False(t, dash.Equal(y))
	assert.Equal(t, y.BirthDate(), dash.BirthDate(), "both signs mean the 1900s")
	assert.False(t, y.Equal(other))
	assert.False(t, y.Equal(coaching.IdentityCode{}))
	assert.True(t, coaching.IdentityCode{}.Equal(coaching.IdentityCode{}))
}

func TestIdentityCodeZeroValue(t *testing.T) {
	var c coaching.IdentityCode
	assert.True(t, c.IsZero())
	assert.Equal(t, "", c.Reveal())
	assert.Equal(t, "", c.String())
	assert.Equal(t, "", fmt.Sprint(c))
	b, err := json.Marshal(c)
	require.NoError(t, err)
	assert.Equal(t, "null", string(b))
}

func maskingParticipant(code coaching.IdentityCode) coaching.Participant {
	months := 3
	return coaching.Participant{
		ID:           "p-1",
		Organisation: "org-1",
		GivenNames:   "Aino",
		FamilyName:   "Virtanen",
		BirthDate:    code.BirthDate(),
		IdentityCode: code,
		Contact:      coaching.Contact{Email: "aino@example.fi"},
		Language:     coaching.Finnish,
		Guardians:    []coaching.Guardian{{ID: "g-1", Name: "Eeva Virtanen"}},
		Background:   coaching.Background{Gender: coaching.GenderFemale, UnemployedMonths: &months},
		ExternalIDs:  map[string]string{"sis": "S1"},
	}
}

func TestIdentityCodeMaskedInFmt(t *testing.T) {
	for _, raw := range []string{"131052-308T", "010516B903X", "311280-999J"} {
		t.Run(raw, func(t *testing.T) {
			code := mustCode(t, raw)
			p := maskingParticipant(code)
			values := map[string]any{
				"code":             code,
				"*code":            &code,
				"participant":      p,
				"*participant":     &p,
				"[]code":           []coaching.IdentityCode{code},
				"map":              map[string]coaching.IdentityCode{"k": code},
				"anonymous struct": struct{ C coaching.IdentityCode }{code},
			}
			verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%10v", "%-20s", "%T"}
			for name, v := range values {
				assertNoCodeLeak(t, fmt.Sprint(v), raw, "fmt.Sprint("+name+")")
				assertNoCodeLeak(t, fmt.Sprintln(v), raw, "fmt.Sprintln("+name+")")
				for _, verb := range verbs {
					assertNoCodeLeak(t, fmt.Sprintf(verb, v), raw, verb+" of "+name)
				}
			}
			assert.NotEmpty(t, code.String(), "a set code prints a mask, not nothing")
			assert.Equal(t, code.String(), fmt.Sprint(code))
			assertNoCodeLeak(t, code.GoString(), raw, "GoString")
			assertNoCodeLeak(t, code.LogValue().String(), raw, "LogValue")
		})
	}
}

func TestIdentityCodeMaskedInJSON(t *testing.T) {
	raw := "131052-308T"
	code := mustCode(t, raw)
	p := maskingParticipant(code)

	b, err := json.Marshal(code)
	require.NoError(t, err)
	assertNoCodeLeak(t, string(b), raw, "json.Marshal(code)")
	assert.NotEqual(t, "null", string(b), "a set code marshals as a mask")

	b, err = json.Marshal(p)
	require.NoError(t, err)
	assertNoCodeLeak(t, string(b), raw, "json.Marshal(participant)")
	assert.Contains(t, string(b), `"identity_code"`)

	b, err = json.Marshal(&p)
	require.NoError(t, err)
	assertNoCodeLeak(t, string(b), raw, "json.Marshal(&participant)")

	b, err = json.MarshalIndent([]coaching.Participant{p}, "", "  ")
	require.NoError(t, err)
	assertNoCodeLeak(t, string(b), raw, "json.MarshalIndent([]participant)")
}

func TestIdentityCodeMaskedInSlog(t *testing.T) {
	raw := "131052-308T"
	code := mustCode(t, raw)
	p := maskingParticipant(code)

	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	}
	for name, mk := range handlers {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(mk(&buf))
			log.Info("code", "code", code)
			log.Info("code pointer", "code", &code)
			log.Info("participant", "participant", p)
			log.Info("participant pointer", "participant", &p)
			log.Info("attrs", slog.Any("code", code), slog.Any("p", p))
			log.Info("codes", "codes", []coaching.IdentityCode{code})
			log.With("code", code).WithGroup("g").Info("grouped", "participant", p, "code", code)
			log.Info("formatted " + fmt.Sprint(code))
			out := buf.String()
			require.NotEmpty(t, out)
			assertNoCodeLeak(t, out, raw, name+" slog output")
			assert.Contains(t, out, "p-1", "the participant id is logged")
		})
	}
}

func TestIdentityCodeUnmarshalJSON(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		var c coaching.IdentityCode
		require.NoError(t, json.Unmarshal([]byte(`"131052-308T"`), &c))
		assert.Equal(t, "131052-308T", c.Reveal())
	})
	t.Run("valid in a participant", func(t *testing.T) {
		var p coaching.Participant
		require.NoError(t, json.Unmarshal([]byte(`{"id":"p-1","identity_code":"010516B903X"}`), &p))
		assert.Equal(t, "010516B903X", p.IdentityCode.Reveal())
		assert.Equal(t, coaching.NewDate(2016, time.May, 1), p.IdentityCode.BirthDate())
	})
	invalid := []struct {
		name, in, code string
	}{
		{"bad check char", `"131052-308A"`, "131052-308A"},
		{"impossible date", `"` + mkCode(t, "310294", '-', "308") + `"`, mkCode(t, "310294", '-', "308")},
		{"mask is not a code", `"***********"`, ""},
		{"number", `131052`, "131052"},
		{"object", `{}`, ""},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			var c coaching.IdentityCode
			err := json.Unmarshal([]byte(tt.in), &c)
			require.Error(t, err)
			assert.True(t, c.IsZero())
			if tt.code != "" {
				assertNoCodeLeak(t, err.Error(), tt.code, "unmarshal error")
			}
		})
	}
	t.Run("invalid in a participant", func(t *testing.T) {
		var p coaching.Participant
		err := json.Unmarshal([]byte(`{"id":"p-1","identity_code":"131052-308A"}`), &p)
		require.Error(t, err)
		assertNoCodeLeak(t, err.Error(), "131052-308A", "unmarshal error")
	})
	for _, in := range []string{`null`, `""`} {
		t.Run("zero from "+in, func(t *testing.T) {
			c := mustCode(t, "131052-308T")
			require.NoError(t, json.Unmarshal([]byte(in), &c))
			assert.True(t, c.IsZero())
			assert.Equal(t, coaching.IdentityCode{}, c)
		})
	}
	t.Run("participant without code", func(t *testing.T) {
		var p coaching.Participant
		require.NoError(t, json.Unmarshal([]byte(`{"id":"p-1","identity_code":null}`), &p))
		assert.True(t, p.IdentityCode.IsZero())
	})
}
