package coaching

import (
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"
)

// The printable-ASCII fast paths of the text checks must answer as the
// decoding checks do.
func TestTextFastPathsAgree(t *testing.T) {
	check := func(t *testing.T, s string) {
		for _, max := range []int{0, 3, len(s) - 1, len(s), 4000} {
			if max < 0 {
				continue
			}
			for _, multiline := range []bool{false, true} {
				got, want := TextProblems("f", s, max, multiline), textProblems("f", s, max, multiline)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("TextProblems(%q, %d, %v) = %v, decoding says %v", s, max, multiline, got, want)
				}
			}
			if got, want := isText(s, max), len(s) <= max && isDecodedText(s); got != want {
				t.Fatalf("isText(%q, %d) = %v, decoding says %v", s, max, got, want)
			}
		}
	}
	for b := range 256 {
		check(t, string([]byte{byte(b)}))
		check(t, "sick leave"+string([]byte{byte(b)}))
	}
	for _, s := range []string{"", "sick leave", "coach-1", "a\nb", "a\tb", "Ääkkönen", "\u2028", "\u202e", "\x7f", "~ !", string(utf8.RuneError)} {
		check(t, s)
	}
}

func FuzzTextFastPathsAgree(f *testing.F) {
	for _, s := range []string{"", "sick leave", "a\nb", "Ääkkönen", "\u202e", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, multiline := range []bool{false, true} {
			if got, want := TextProblems("f", s, 4000, multiline), textProblems("f", s, 4000, multiline); !reflect.DeepEqual(got, want) {
				t.Fatalf("TextProblems(%q, %v) = %v, decoding says %v", s, multiline, got, want)
			}
		}
		if got, want := isText(s, 1000), len(s) <= 1000 && isDecodedText(s); got != want {
			t.Fatalf("isText(%q) = %v, decoding says %v", s, got, want)
		}
	})
}

// auditRoles gives an entry the actor's roles in memory the caller cannot
// change, nor another entry's: a copy each.
func TestAuditRoles(t *testing.T) {
	for _, rs := range [][]Role{nil, {}, {RoleCoach}, {RoleSystem}, {"custom"}, {RoleCoach, RoleTeacher}} {
		mine := slices.Clone(rs)
		got := auditRoles(mine)
		if !slices.Equal(got, rs) || (rs == nil) != (got == nil) {
			t.Fatalf("auditRoles(%v) = %v", rs, got)
		}
		if len(mine) > 0 {
			mine[0] = "changed"
			if got[0] != rs[0] {
				t.Fatalf("auditRoles(%v) shares the caller's array", rs)
			}
		}
		if len(rs) > 0 {
			if again := auditRoles(rs); &again[0] == &got[0] {
				t.Fatalf("two entries of %v share one array", rs)
			}
		}
	}
}
