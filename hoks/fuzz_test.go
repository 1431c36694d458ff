package hoks

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// FuzzDecode: decoding never panics; whatever decodes also validates
// without panicking and encodes; encoding is a fixed point
// (encode(decode(encode(decode(x)))) == encode(decode(x))); and with
// KeepUnknown, everything strict decoding accepts is accepted too.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/ehoks/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	if b, err := os.ReadFile("testdata/valid_plan.json"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{`{}`, `[]`, `[{}]`, `null`, `{"x":1}`, `{"ensikertainen-hyvaksyminen":"2025-02-30"}`,
		`{"versio":1e400}`, `{"hyvaksytty":"2017-10-25T21:00:00.000Z"}`, `{"hankittavat-ammat-tutkinnon-osat":[{"osaamisen-hankkimistavat":[{"keskeytymisajanjaksot":[{"alku":"2024-01-01"},{"alku":"2023-01-01"}]}]}]}`} {
		f.Add([]byte(s))
	}
	today := coaching.NewDate(2025, time.June, 1)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, keep := range []bool{false, true} {
			opts := &DecodeOptions{KeepUnknown: keep}
			plans, err := DecodeAll(data, opts)
			if err != nil {
				if !errors.Is(err, coaching.ErrInvalid) {
					t.Fatalf("decode error does not match ErrInvalid: %v", err)
				}
				continue
			}
			for _, p := range plans {
				if err := ValidateWith(p, ValidateOptions{Today: today}); err != nil && !errors.Is(err, coaching.ErrInvalid) {
					t.Fatalf("validate error does not match ErrInvalid: %v", err)
				}
				out, err := Encode(p)
				if err != nil {
					t.Fatalf("encode of a decoded plan failed: %v", err)
				}
				p2, err := Decode(out, opts)
				if err != nil {
					t.Fatalf("re-decode failed: %v\n%s", err, out)
				}
				out2, err := Encode(p2)
				if err != nil {
					t.Fatalf("re-encode failed: %v", err)
				}
				if !bytes.Equal(out, out2) {
					t.Fatalf("encoding is not stable:\n%s\n%s", out, out2)
				}
			}
		}
	})
}

// FuzzOID: the OID checks never panic, and a valid OID stays valid only
// with its own check digit.
func FuzzOID(f *testing.F) {
	for _, s := range []string{"1.2.246.562.24.44651722625", "1.2.246.562.15.76811932029", "1.2.246.562.10.54453921329",
		"1.2.246.562.98.76811932029", "1.2.246.562.15.768119320610", "1.2.246.562.10.00000000001", "", "1.2.246.562.24."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, sr := ValidLearnerOID(s), ValidStudyRightOID(s)
		_ = ValidOrganisationOID(s)
		if l && sr {
			t.Fatalf("%q is both a learner and a study-right OID", s)
		}
		if (l || sr) && len(s) >= 26 {
			// Changing the last digit of an 11-digit tail must break the check.
			last := s[len(s)-1]
			if last >= '0' && last <= '9' && !(s[len(s)-2] == '1' && last == '0' && len(s) == 27) {
				alt := s[:len(s)-1] + strconv.Itoa((int(last-'0')+1)%10)
				if ValidLearnerOID(alt) == l && l || ValidStudyRightOID(alt) == sr && sr {
					t.Fatalf("%q and %q both pass the check digit", s, alt)
				}
			}
		}
	})
}

// FuzzBusinessID: the business-ID check never panics and exactly one check
// digit fits a valid prefix.
func FuzzBusinessID(f *testing.F) {
	for _, s := range []string{"1234567-1", "0149669-3", "2345678-0", "0000006-1", "", "1234567-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidBusinessID(s) {
			return
		}
		n := 0
		for c := '0'; c <= '9'; c++ {
			if ValidBusinessID(s[:8] + string(c)) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%q: %d check digits fit", s, n)
		}
	})
}
