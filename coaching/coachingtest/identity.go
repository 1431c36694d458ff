package coachingtest

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/valmennus/valmennus/coaching"
)

// IdentityCodePattern matches anything shaped like a Finnish personal
// identity code (DDMMYYCZZZQ, any century sign, any check character),
// valid or not: a scan for leaks should not depend on the checksum.
var IdentityCodePattern = regexp.MustCompile(`\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]`)

// SyntheticIdentityCode builds a valid identity code for a synthetic
// person born on birth, with an individual number in the 900–999 range
// that is never given to a real person (temporary codes). The century sign
// is "-" for the 1900s, "A" for the 2000s and "+" for the 1800s.
func SyntheticIdentityCode(birth coaching.Date, individual int) (coaching.IdentityCode, error) {
	if individual < 900 || individual > 999 {
		return coaching.IdentityCode{}, fmt.Errorf("coachingtest: individual number %d is outside 900–999", individual)
	}
	sign := byte('-')
	switch {
	case birth.Year >= 2000:
		sign = 'A'
	case birth.Year < 1900:
		sign = '+'
	}
	digits := fmt.Sprintf("%02d%02d%02d", birth.Day, int(birth.Month), birth.Year%100)
	num := strconv.Itoa(individual)
	n, err := strconv.Atoi(digits + num)
	if err != nil {
		return coaching.IdentityCode{}, err
	}
	const check = "0123456789ABCDEFHJKLMNPRSTUVWXY"
	return coaching.ParseIdentityCode(digits + string(sign) + num + string(check[n%31]))
}

// RequireNoIdentityCodes fails the test when text (what a program printed,
// logged or sent, named by what) contains anything shaped like an identity
// code.
// The message never repeats the match.
func RequireNoIdentityCodes(t testing.TB, what, text string) {
	t.Helper()
	requireNoIdentityCodes(t, what, text)
}

func requireNoIdentityCodes(t testingT, what, text string) {
	t.Helper()
	if m := IdentityCodePattern.FindString(text); m != "" {
		fail(t, "%s contains an identity-code-like string (%d characters at offset %d)", what, len(m), IdentityCodePattern.FindStringIndex(text)[0])
	}
}
