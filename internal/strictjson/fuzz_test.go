package strictjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/valmennus/valmennus/internal/strictjson"
)

// fuzzDoc has a field of every kind Decode reads. Fields that can be nil
// are omitted when empty, so that what json.Marshal writes reads back
// under every option set.
type fuzzDoc struct {
	S   string            `json:"s"`
	I   int8              `json:"i"`
	U   uint16            `json:"u"`
	F   float64           `json:"f"`
	B   *bool             `json:"b,omitempty"`
	L   []int32           `json:"l,omitempty" strictjson:"maxlen=8"`
	M   map[string]string `json:"m,omitempty"`
	K   map[int]bool      `json:"k,omitempty"`
	N   *fuzzDoc          `json:"n,omitempty"`
	E   []fuzzDoc         `json:"e,omitempty"`
	A   any               `json:"a,omitempty"`
	R   json.RawMessage   `json:"r,omitempty"`
	Up  upper             `json:"up,omitempty"`
	Arr [2]string         `json:"arr"`
}

var fuzzOptions = []*strictjson.Options{
	{Custom: []strictjson.Custom{upperDecoder}},
	{AllowNull: true, Duplicates: strictjson.DecodeEveryDuplicate, FoldCase: true, IntegralNumbers: true, Custom: []strictjson.Custom{upperDecoder}},
	{Duplicates: strictjson.LastDuplicateWins, SortedKeys: true, MaxProblems: 3, Custom: []strictjson.Custom{upperDecoder}},
}

var fuzzSeeds = []string{
	`{"s":"a","i":-5,"u":7,"f":1.5,"b":true,"l":[1,2],"m":{"x":"y"},"k":{"3":false},"n":{"s":"b","e":[{}]},"a":[1,"x",null,{"q":[]}],"r":{"z":1},"up":"word","arr":["p","q"]}`,
	`{"s":null,"i":1e2,"u":-1,"f":1e400,"l":[1,2,3,4,5,6,7,8,9],"m":{"x":1},"k":{"x":true},"up":5,"S":"fold","s":"dup"}`,
	`{"a":{"a":{"a":{"a":[[[[1]]]]}}}}`, `[]`, `null`, `""`, `{"x":1}`, `{"s":"\ud800\u00e4\"\\\/\b\f\n\r\t"}`, "{\"s\":\"\xff\"}",
	`{"s":"a",}`, `{"s" "a"}`, `{"s":"a"} x`, `{"e":[{"e":[{"n":{"i":1.0}}]}]}`, `{"r":null,"a":null,"n":null}`, ` `, `{"arr":["a","b","c"]}`,
}

// FuzzDecode: Decode never panics; a refused document has at least one
// problem, each with a message, and a problem that ends reading is the
// last; a document is refused as malformed exactly when encoding/json
// finds it malformed, with encoding/json's words; and every accepted
// document round-trips: what json.Marshal writes of the value decodes to a
// value that marshals to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecode)
}

func checkDecode(t *testing.T, data []byte) {
	for i, opts := range fuzzOptions {
		var d fuzzDoc
		err := strictjson.Decode(data, &d, opts)
		if err != nil {
			checkError(t, data, err, opts)
			continue
		}
		out, err := json.Marshal(&d)
		if err != nil {
			t.Fatalf("options %d: marshal of an accepted value: %v", i, err)
		}
		var again fuzzDoc
		if err := strictjson.Decode(out, &again, opts); err != nil {
			t.Fatalf("options %d: %s was accepted, but its value written back is not:\n%s\n%v", i, data, out, err)
		}
		out2, err := json.Marshal(&again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("options %d: no round trip (%v):\n%s\n%s", i, err, out, out2)
		}
	}
	// Any JSON value at all: refused exactly when encoding/json refuses it.
	if len(data) < strictjson.DefaultMaxDepth {
		var raw json.RawMessage
		err := strictjson.Decode(data, &raw, &strictjson.Options{AllowNull: true, Duplicates: strictjson.DecodeEveryDuplicate})
		if valid := json.Valid(data); valid != (err == nil) {
			t.Fatalf("%q: json.Valid says %v, Decode %v", data, valid, err)
		}
	}
}

func checkError(t *testing.T, data []byte, err error, opts *strictjson.Options) {
	var se *strictjson.Error
	if !errors.As(err, &se) || len(se.Problems) == 0 {
		t.Fatalf("want a *strictjson.Error with problems, got %T: %v", err, err)
	}
	if opts.MaxProblems > 0 && len(se.Problems) > opts.MaxProblems {
		t.Fatalf("%d problems, at most %d wanted", len(se.Problems), opts.MaxProblems)
	}
	for k, p := range se.Problems {
		if p.Message == "" || p.Code == 0 {
			t.Fatalf("problem without a message or code: %+v", p)
		}
		if p.Code.Fatal() && k != len(se.Problems)-1 {
			t.Fatalf("a problem that ends reading is not the last: %v", se)
		}
		if p.Code != strictjson.Syntax {
			continue
		}
		var want *json.SyntaxError
		var raw json.RawMessage
		if !errors.As(json.NewDecoder(bytes.NewReader(data)).Decode(&raw), &want) {
			t.Fatalf("%q: a syntax error encoding/json does not see: %v", data, err)
		}
		if want.Error() != p.Err.Error() || int(want.Offset)-1 != p.Offset || strings.Contains(p.Message, "%!") {
			t.Fatalf("%q: syntax error %q at %d, encoding/json says %q at %d", data, p.Err, p.Offset, want, want.Offset-1)
		}
	}
}

// The fuzz target's checks, on mutations of its seeds: what a short fuzz
// run does, in every test run.
func TestDecodeMutations(t *testing.T) {
	tokens := []string{"{", "}", "[", "]", ",", ":", `"`, "null", "true", "1.0", "1e2", "-0", "99999999999999999999", " ", `\u00e4`, `\`, "x", `"s":`, `"a":`, "{}", "[]", "\xff", "1e400"}
	r := rand.New(rand.NewSource(1))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		b := []byte(fuzzSeeds[r.Intn(len(fuzzSeeds))])
		for edits := r.Intn(4) + 1; edits > 0; edits-- {
			pos := r.Intn(len(b) + 1)
			switch r.Intn(3) {
			case 0:
				b = append(b[:pos:pos], b[min(len(b), pos+r.Intn(6)+1):]...)
			default:
				b = append(b[:pos:pos], append([]byte(tokens[r.Intn(len(tokens))]), b[pos:]...)...)
			}
		}
		checkDecode(t, b)
	}
}
