package coaching

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"
)

// IdentityCode is a Finnish personal identity code (henkilötunnus,
// DDMMYYCZZZQ). The value is kept unexported so that printing, logging or
// marshalling a participant never shows it: String, Format, GoString,
// LogValue and MarshalJSON all write a mask. Only [IdentityCode.Reveal]
// returns the code, and callers that use it (stores, exports the access
// policy allows) take responsibility for where it goes.
//
// The zero value means "no identity code".
type IdentityCode struct {
	code string
	// held marks a code the reader was not shown: it exists, but this
	// value does not carry it (see [IdentityCode.Withheld]).
	held bool
}

// identityMask is what every printing path shows instead of the code.
const identityMask = "***********"

// checkChars maps (DDMMYYZZZ mod 31) to the check character.
const checkChars = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// ParseIdentityCode validates s and returns it as an IdentityCode. It checks
// the shape, the century sign (including the signs in use since 2023: -YXWVU
// for the 1900s and ABCDEF for the 2000s), that the date exists, that the
// individual number is 002–999, and the mod-31 check character. The century
// sign is part of the identity and is kept as given. Errors never contain the
// code itself.
func ParseIdentityCode(s string) (IdentityCode, error) {
	if len(s) != 11 {
		return IdentityCode{}, errors.New("identity code must be 11 characters (DDMMYYCZZZQ)")
	}
	for i := 0; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return IdentityCode{}, errors.New("identity code: the first six characters must be digits (DDMMYY)")
		}
	}
	century, ok := centuryOf(s[6])
	if !ok {
		return IdentityCode{}, errors.New("identity code: the seventh character is not a century sign (+, -, Y, X, W, V, U, A–F)")
	}
	for i := 7; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return IdentityCode{}, errors.New("identity code: the individual number (characters 8–10) must be digits")
		}
	}
	day := atoi2(s[0:2])
	month := atoi2(s[2:4])
	year := century + atoi2(s[4:6])
	if !(Date{Year: year, Month: time.Month(month), Day: day}).Valid() {
		return IdentityCode{}, errors.New("identity code: the date of birth does not exist")
	}
	individual := int(s[7]-'0')*100 + int(s[8]-'0')*10 + int(s[9]-'0')
	if individual < 2 {
		return IdentityCode{}, errors.New("identity code: the individual number must be 002–999")
	}
	n := 0
	for _, c := range s[0:6] + s[7:10] {
		n = n*10 + int(c-'0')
	}
	if s[10] != checkChars[n%31] {
		return IdentityCode{}, errors.New("identity code: the check character does not match")
	}
	return IdentityCode{code: s}, nil
}

func centuryOf(sign byte) (int, bool) {
	switch sign {
	case '+':
		return 1800, true
	case '-', 'Y', 'X', 'W', 'V', 'U':
		return 1900, true
	case 'A', 'B', 'C', 'D', 'E', 'F':
		return 2000, true
	}
	return 0, false
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// IsZero reports whether no code is set (a withheld code is set).
func (c IdentityCode) IsZero() bool { return c.code == "" && !c.held }

// Withheld reports whether the participant has a code that this value
// does not carry: the engine withholds codes from participant reads, and
// [Scope.IdentityCode] returns them to those the policy allows.
func (c IdentityCode) Withheld() bool { return c.held }

// withheld returns the withheld form of c (zero stays zero).
func (c IdentityCode) withheld() IdentityCode {
	if c.code == "" {
		return c
	}
	return IdentityCode{held: true}
}

// Reveal returns the code in clear ("" when none or withheld). Never log
// or print the result.
func (c IdentityCode) Reveal() string { return c.code }

// BirthDate returns the date of birth the code encodes.
func (c IdentityCode) BirthDate() Date {
	if c.code == "" {
		return Date{}
	}
	century, _ := centuryOf(c.code[6])
	return Date{Year: century + atoi2(c.code[4:6]), Month: time.Month(atoi2(c.code[2:4])), Day: atoi2(c.code[0:2])}
}

// Temporary reports whether the code is a temporary one (individual number
// 900–999), which is not a population-register identity.
func (c IdentityCode) Temporary() bool { return c.code != "" && c.code[7] == '9' }

// Equal reports whether two codes are the same identity (the century sign
// counts: 100190-999P and 100190Y999P are different people).
func (c IdentityCode) Equal(o IdentityCode) bool { return c.code == o.code }

// String returns a mask, never the code.
func (c IdentityCode) String() string {
	if c.IsZero() {
		return ""
	}
	return identityMask
}

// GoString returns a mask, never the code.
func (c IdentityCode) GoString() string {
	if c.IsZero() {
		return "coaching.IdentityCode{}"
	}
	return "coaching.IdentityCode{" + identityMask + "}"
}

// Format writes the mask for every verb, so %d, %x or %+v cannot leak the code.
func (c IdentityCode) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, c.GoString())
		return
	}
	_, _ = io.WriteString(f, c.String())
}

// LogValue implements slog.LogValuer with the mask.
func (c IdentityCode) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the mask (or null when unset). JSON output never carries
// the code; a store that must persist it uses [IdentityCode.Reveal].
func (c IdentityCode) MarshalJSON() ([]byte, error) {
	if c.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(identityMask)
}

// UnmarshalJSON parses and validates a code from JSON input.
func (c *IdentityCode) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*c = IdentityCode{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("identity code must be a JSON string")
	}
	if s == "" {
		*c = IdentityCode{}
		return nil
	}
	v, err := ParseIdentityCode(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// identityCodeShape matches anything shaped like a Finnish personal
// identity code, valid or not, in upper-cased text.
var identityCodeShape = regexp.MustCompile(`\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]`)

// ContainsIdentityCode reports whether s holds anything shaped like a
// Finnish personal identity code, valid or not. Ids that are logged and
// shown (an external id, a sign-on id) must not: a host that takes a
// sign-on broker's national identification number as the subject would
// otherwise print identity codes wherever actor ids are printed.
func ContainsIdentityCode(s string) bool {
	return identityCodeShape.MatchString(strings.ToUpper(s))
}
