package sis_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/sis"
)

// FuzzImport: Import never panics; row problems name a row after the
// header and a documented column (or none); enrolled rows have no
// problems; a strict import enrols all or nothing; and neither the report
// nor the error contains anything shaped like an identity code.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"testdata/students.csv", "testdata/students_bad.csv"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")), true)
	}
	for _, s := range []string{"", "\uFEFF", "\xFF\xFE", "external_id", "external_id,given_names,family_name,birth_date\n",
		"external_id;given_names;family_name;birth_date\r\nS1;\"A\r\nB\";C;2010-01-01\r\n;;;\r\nS1;A;B;2010-02-30\r\n",
		"external_id,given_names,family_name,birth_date,identity_code\nS1,A,B,2010-03-14,140310a9013\n\"x,\"y\n",
		"S1,Aino,Virtanen,2010-03-14,140310A9013\n", "external_id,140310A9013\n", "a,\"b\n"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, strict bool) {
		eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: ct.NewClock(ct.DefaultStart)})
		if err != nil {
			t.Fatal(err)
		}
		opts := sis.Options{Model: coaching.ModelPilot, Organisation: org, Strict: strict, MaxRows: 50}
		rep, err := sis.Import(context.Background(), eng, tutor, bytes.NewReader(data), opts)
		if err != nil {
			ct.RequireNoIdentityCodes(t, "the error", err.Error())
			if !strings.Contains(err.Error(), "valmennus: invalid") {
				t.Fatalf("an import of a byte slice stopped for another reason than the input: %v", err)
			}
			return
		}
		if rep == nil {
			t.Fatal("no error and no report")
		}
		var text strings.Builder
		problemLines := map[int]bool{}
		for _, p := range rep.Problems {
			text.WriteString(p.String() + "\n")
			if p.Line < 2 || p.Message == "" || (p.Column != "" && !slices.Contains(sis.Columns(), p.Column)) {
				t.Fatalf("bad problem %+v", p)
			}
			problemLines[p.Line] = true
		}
		ct.RequireNoIdentityCodes(t, "the report", text.String())
		if len(rep.Enrolled) > rep.Rows || len(problemLines) > rep.Rows {
			t.Fatalf("%d enrolled and %d rows with problems out of %d rows", len(rep.Enrolled), len(problemLines), rep.Rows)
		}
		for _, e := range rep.Enrolled {
			if problemLines[e.Line] || e.Line < 2 || e.Case == "" || e.Participant != sis.ParticipantID(org, e.ExternalID) {
				t.Fatalf("bad enrolled row %+v", e)
			}
		}
		if strict && len(rep.Enrolled) > 0 && len(rep.Problems) > 0 {
			t.Fatal("a strict import enrolled rows of a file with problems")
		}
	})
}
