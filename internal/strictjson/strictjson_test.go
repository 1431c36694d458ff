package strictjson_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/internal/strictjson"
)

type inner struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

type doc struct {
	Str    string            `json:"str"`
	Int    int               `json:"int"`
	Small  int8              `json:"small"`
	Uint   uint              `json:"uint"`
	Float  float64           `json:"float"`
	Bool   bool              `json:"bool"`
	Ptr    *string           `json:"ptr"`
	Inner  inner             `json:"inner"`
	List   []inner           `json:"list" strictjson:"maxlen=2"`
	Map    map[string]int    `json:"map"`
	IntMap map[int]string    `json:"int_map"`
	Any    any               `json:"any"`
	Raw    json.RawMessage   `json:"raw"`
	Time   time.Time         `json:"time"`
	Pair   [2]int            `json:"pair"`
	Bytes  []byte            `json:"bytes"`
	Extra  map[string][]byte `json:"-"`
	Upper  upper             `json:"upper"`
	GoName string
	hidden string //nolint:unused // an unexported field is never a member
}

// upper is a type with a custom decoder: a string, stored in upper case.
type upper string

var upperDecoder = strictjson.Func[upper]("an upper-case word", func(v strictjson.Value) (upper, error) {
	if v.Type() != strictjson.String {
		return "", strictjson.ErrWrongType
	}
	if v.Text() == "" {
		return "", errors.New("must not be empty")
	}
	return upper(strings.ToUpper(v.Text())), nil
})

// problems decodes in into a fresh doc and returns its problems as
// "path: message" (a path of "" is left out) and the codes.
func problems(t *testing.T, in string, opts *strictjson.Options) ([]string, []strictjson.Code) {
	t.Helper()
	var d doc
	err := strictjson.Decode([]byte(in), &d, opts)
	if err == nil {
		return nil, nil
	}
	var se *strictjson.Error
	require.ErrorAs(t, err, &se)
	require.NotEmpty(t, se.Problems)
	var (
		out   []string
		codes []strictjson.Code
	)
	for _, p := range se.Problems {
		require.NotEmpty(t, p.Message)
		out = append(out, p.String())
		codes = append(codes, p.Code)
	}
	return out, codes
}

func TestDecodeProblems(t *testing.T) {
	custom := &strictjson.Options{Custom: []strictjson.Custom{upperDecoder}}
	tests := []struct {
		name  string
		in    string
		opts  *strictjson.Options
		want  []string
		codes []strictjson.Code
	}{
		{name: "unknown member", in: `{"str": "a", "colour": "red"}`,
			want: []string{`colour: unknown member "colour"`}, codes: []strictjson.Code{strictjson.Unknown}},
		{name: "unknown member that is not a plain name", in: `{"inner": {"two words": 1}}`,
			want: []string{`inner["two words"]: unknown member "two words"`}},
		{name: "wrong types", in: `{"str": 1, "int": "1", "bool": "yes", "inner": [], "list": {}, "float": true, "map": 1}`,
			want: []string{"str: must be a string, got a number", "int: must be an integer, got a string",
				"bool: must be true or false, got a string", "inner: must be an object, got an array",
				"list: must be an array, got an object", "float: must be a number, got a boolean", "map: must be an object, got a number"},
			codes: []strictjson.Code{strictjson.WrongType, strictjson.WrongType, strictjson.WrongType, strictjson.WrongType,
				strictjson.WrongType, strictjson.WrongType, strictjson.WrongType}},
		{name: "null", in: `{"str": null, "ptr": null, "inner": {"tags": [null]}}`,
			want:  []string{"str: must be a string, got null", "ptr: must be a string, got null", "inner.tags[0]: must be a string, got null"},
			codes: []strictjson.Code{strictjson.NullValue, strictjson.NullValue, strictjson.NullValue}},
		{name: "numbers", in: `{"int": 1.5, "small": 128, "uint": -1, "float": 1e400, "pair": [1e2, 99999999999999999999]}`,
			want: []string{"int: must be a whole number, got 1.5", "small: 128 is out of range", "uint: -1 is out of range",
				"float: 1e400 is out of range", "pair[0]: must be a whole number, got 1e2", "pair[1]: 99999999999999999999 is out of range"},
			codes: []strictjson.Code{strictjson.NotInteger, strictjson.OutOfRange, strictjson.OutOfRange, strictjson.OutOfRange,
				strictjson.NotInteger, strictjson.OutOfRange}},
		{name: "integral numbers", in: `{"int": 5.0, "small": 1e2, "uint": 2.5, "pair": [1e3, -0.0]}`, opts: &strictjson.Options{IntegralNumbers: true},
			want: []string{"uint: must be a whole number, got 2.5"}},
		{name: "integral numbers out of range", in: `{"small": 1.28e2, "int": 1e19}`, opts: &strictjson.Options{IntegralNumbers: true},
			want: []string{"small: 1.28e2 is out of range", "int: 1e19 is out of range"}},
		{name: "duplicate member", in: `{"str": "a", "inner": {"name": "x", "name": 5}, "str": 1}`,
			want:  []string{`inner.name: duplicate member "name"`, `str: duplicate member "str"`},
			codes: []strictjson.Code{strictjson.Duplicate, strictjson.Duplicate}},
		{name: "too long", in: `{"list": [{}, {}, {"name": 1}]}`,
			want: []string{"list: at most 2 elements are accepted, got 3"}, codes: []strictjson.Code{strictjson.TooLong}},
		{name: "too long for a Go array", in: `{"pair": [1, 2, 3]}`,
			want: []string{"pair: at most 2 elements are accepted, got 3"}},
		{name: "UnmarshalJSON refuses", in: `{"time": "yesterday"}`,
			want:  []string{`time: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
			codes: []strictjson.Code{strictjson.Invalid}},
		{name: "bad base64", in: `{"bytes": "!!"}`, want: []string{"bytes: illegal base64 data at input byte 0"}},
		{name: "bad map key", in: `{"int_map": {"x": "a"}}`, want: []string{"int_map.x: the key must be an integer"}},
		{name: "custom decoder", in: `{"upper": 5}`, opts: custom,
			want: []string{"upper: must be an upper-case word, got a number"}, codes: []strictjson.Code{strictjson.WrongType}},
		{name: "custom decoder refuses", in: `{"upper": ""}`, opts: custom,
			want: []string{"upper: must not be empty"}, codes: []strictjson.Code{strictjson.Invalid}},
		{name: "custom decoder and null", in: `{"upper": null}`, opts: custom,
			want: []string{"upper: must be an upper-case word, got null"}},
		{name: "not an object", in: `[1]`, want: []string{"must be an object, got an array"}},
		{name: "every problem, in document order", in: `{"str": 1, "x": 2, "list": [{"name": 1}, {"tags": [1]}], "inner": {"y": 3}}`,
			want: []string{"str: must be a string, got a number", `x: unknown member "x"`, "list[0].name: must be a string, got a number",
				"list[1].tags[0]: must be a string, got a number", `inner.y: unknown member "y"`}},
		{name: "sorted keys", in: `{"str": 1, "x": 2, "list": [{"name": 1}], "inner": {"y": 3}}`, opts: &strictjson.Options{SortedKeys: true},
			want: []string{`inner.y: unknown member "y"`, "list[0].name: must be a string, got a number", "str: must be a string, got a number", `x: unknown member "x"`}},
		{name: "at most so many problems", in: `{"a": 1, "b": 2, "c": 3}`, opts: &strictjson.Options{MaxProblems: 2},
			want: []string{`a: unknown member "a"`, `b: unknown member "b"`}},

		// Problems that end reading: the document as a whole.
		{name: "empty", in: " \n\t", want: []string{"empty document: expected a JSON value"}, codes: []strictjson.Code{strictjson.Empty}},
		{name: "too large", in: `{"str": "abcdef"}`, opts: &strictjson.Options{MaxBytes: 10},
			want: []string{"the document is 17 bytes; at most 10 are accepted"}, codes: []strictjson.Code{strictjson.TooLarge}},
		{name: "syntax", in: "{\"str\": \"a\",\n \"list\": [{\"name\": x}]}",
			want:  []string{"list[0].name: malformed JSON at line 2, column 20: invalid character 'x' looking for beginning of value"},
			codes: []strictjson.Code{strictjson.Syntax}},
		{name: "missing comma", in: `{"list": [{} {}]}`,
			want: []string{"list[1]: malformed JSON at line 1, column 14: invalid character '{' after array element"}},
		{name: "truncated", in: `{"inner": {"tags": ["a"`,
			want:  []string{"inner.tags: malformed JSON at line 1, column 24: unexpected end of the document"},
			codes: []strictjson.Code{strictjson.Truncated}},
		{name: "too deep", in: `{"any": [[[1]]]}`, opts: &strictjson.Options{MaxDepth: 3},
			want:  []string{"any[0][0]: malformed JSON at line 1, column 11: nested more than 3 levels deep"},
			codes: []strictjson.Code{strictjson.TooDeep}},
		{name: "trailing data", in: "{}\n {}",
			want: []string{"unexpected data after the JSON document at line 2, column 2"}, codes: []strictjson.Code{strictjson.Trailing}},
		{name: "duplicates before a syntax error are kept", in: `{"str": "a", "str": "b", }`,
			want:  []string{`str: duplicate member "str"`, "malformed JSON at line 1, column 26: invalid character '}' looking for beginning of object key string"},
			codes: []strictjson.Code{strictjson.Duplicate, strictjson.Syntax}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, codes := problems(t, tt.in, tt.opts)
			assert.Equal(t, tt.want, got)
			if tt.codes != nil {
				assert.Equal(t, tt.codes, codes)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	in := `{"str": "a\u00e4\ud83d\ude00", "int": -3, "small": 127, "uint": 7, "float": 2.5e-3, "bool": true, "ptr": "p",
	  "inner": {"name": "n", "tags": []}, "list": [{"name": "x"}], "map": {"a": 1}, "int_map": {"-2": "m"},
	  "any": {"k": [1, "s", null, false]}, "raw": {"x": [1, 2]}, "time": "2024-01-02T03:04:05Z", "pair": [1],
	  "bytes": "aGk=", "GoName": "g"}`
	var d doc
	d.Pair = [2]int{9, 9}
	require.NoError(t, strictjson.Decode([]byte(in), &d, nil))
	p := "p"
	assert.Equal(t, doc{
		Str: "aä😀", Int: -3, Small: 127, Uint: 7, Float: 2.5e-3, Bool: true, Ptr: &p,
		Inner: inner{Name: "n", Tags: []string{}}, List: []inner{{Name: "x"}}, Map: map[string]int{"a": 1}, IntMap: map[int]string{-2: "m"},
		Any: map[string]any{"k": []any{1.0, "s", nil, false}}, Raw: json.RawMessage(`{"x": [1, 2]}`),
		Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Pair: [2]int{1, 0}, Bytes: []byte("hi"), GoName: "g",
	}, d)
}

func TestDecodeOptions(t *testing.T) {
	t.Run("null as encoding/json reads it", func(t *testing.T) {
		d := doc{Str: "kept", Ptr: new(string), Map: map[string]int{}, Any: 1, Raw: json.RawMessage(`1`)}
		in := `{"str": null, "ptr": null, "map": null, "any": null, "raw": null, "time": null, "inner": null}`
		require.NoError(t, strictjson.Decode([]byte(in), &d, &strictjson.Options{AllowNull: true}))
		assert.Equal(t, doc{Str: "kept", Raw: json.RawMessage(`null`)}, d)
	})
	t.Run("the last duplicate wins", func(t *testing.T) {
		var d doc
		in := `{"str": 1, "inner": {"name": "a", "tags": ["x"]}, "str": "b", "inner": {"name": "c"}}`
		require.NoError(t, strictjson.Decode([]byte(in), &d, &strictjson.Options{Duplicates: strictjson.LastDuplicateWins}))
		assert.Equal(t, doc{Str: "b", Inner: inner{Name: "c"}}, d)
	})
	t.Run("every duplicate is decoded, as encoding/json does", func(t *testing.T) {
		var d doc
		in := `{"inner": {"name": "a", "tags": ["x"]}, "inner": {"name": "c"}}`
		require.NoError(t, strictjson.Decode([]byte(in), &d, &strictjson.Options{Duplicates: strictjson.DecodeEveryDuplicate}))
		assert.Equal(t, doc{Inner: inner{Name: "c", Tags: []string{"x"}}}, d)
		got, _ := problems(t, `{"int": "x", "int": 1}`, &strictjson.Options{Duplicates: strictjson.DecodeEveryDuplicate})
		assert.Equal(t, []string{"int: must be an integer, got a string"}, got)
	})
	t.Run("case folding", func(t *testing.T) {
		var d doc
		require.NoError(t, strictjson.Decode([]byte(`{"STR": "a", "goname": "g", "str": "b"}`), &d, &strictjson.Options{FoldCase: true}))
		assert.Equal(t, doc{Str: "b", GoName: "g"}, d)
		got, _ := problems(t, `{"STR": "a"}`, nil)
		assert.Equal(t, []string{`STR: unknown member "STR"`}, got)
	})
	t.Run("unknown members kept", func(t *testing.T) {
		var d doc
		in := `{"str": "a", "later": {"b": [1, 2.50, "x"]}, "inner": {"other": 1}}`
		err := strictjson.Decode([]byte(in), &d, &strictjson.Options{ExtraType: reflect.TypeFor[map[string][]byte]()})
		var se *strictjson.Error
		require.ErrorAs(t, err, &se, "a struct without the field still reports them")
		assert.Equal(t, []string{`inner.other: unknown member "other"`}, []string{se.Problems[0].String()})
		assert.Equal(t, map[string][]byte{"later": []byte(`{"b":[1,2.50,"x"]}`)}, d.Extra)
	})
}

type Base struct {
	ID   string `json:"id"`
	Note string `json:"note"`
}

type Clash struct {
	Note string `json:"note"`
}

type embedding struct {
	Base
	*Clash
	Name string `json:"name"`
	ID   int    `json:"id"` // hides Base.ID
}

func TestEmbeddedStructs(t *testing.T) {
	var e embedding
	require.NoError(t, strictjson.Decode([]byte(`{"name": "n", "id": 3}`), &e, nil))
	assert.Equal(t, embedding{Name: "n", ID: 3}, e)

	got := strictjson.Decode([]byte(`{"note": "two fields at one depth hide each other"}`), &e, nil)
	assert.ErrorContains(t, got, `note: unknown member "note"`)
}

func TestDecodeNeedsAPointer(t *testing.T) {
	var d doc
	err := strictjson.Decode([]byte(`{}`), d, nil)
	require.Error(t, err)
	assert.NotErrorAs(t, err, new(*strictjson.Error))
	assert.Error(t, strictjson.Decode([]byte(`{}`), (*doc)(nil), nil))
}

func TestErrorAndNames(t *testing.T) {
	err := strictjson.Decode([]byte(`{"str": 1, "x": 2}`), new(doc), nil)
	assert.EqualError(t, err, `strictjson: str: must be a string, got a number; x: unknown member "x"`)
	assert.Equal(t, "unknown member", strictjson.Unknown.String())
	assert.Equal(t, "Code(99)", strictjson.Code(99).String())
	assert.Equal(t, "Type(9)", strictjson.Type(9).String())
	assert.True(t, strictjson.Syntax.Fatal())
	assert.False(t, strictjson.Unknown.Fatal())
	assert.Equal(t, "events[2].title", strictjson.JoinKey(strictjson.JoinIndex("events", 2), "title"))
	assert.Equal(t, `["a.b"]`, strictjson.JoinKey("", "a.b"))
	assert.Equal(t, `x[""]`, strictjson.JoinKey("x", ""))
}

// The syntax checks agree with encoding/json's, and say what it says.
func TestSyntaxAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{`0`, `-0.5e+3`, `01`, `-`, `1.`, `1e`, `.5`, `"\u12"`, `"\q"`, "\"a\x01\"", `"\ud800"`, "\"\xff\"",
		`tru`, `nul`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `[}`, `{]`, `[1 2]`, `{"a":1 "b":2}`, `[[]`, `"x`, `{"a":[{"b":nulll}]}`} {
		t.Run(in, func(t *testing.T) {
			var raw json.RawMessage
			err := strictjson.Decode([]byte(in), &raw, &strictjson.Options{AllowNull: true})
			if json.Valid([]byte(in)) {
				assert.NoError(t, err)
				return
			}
			var se *strictjson.Error
			require.ErrorAs(t, err, &se)
			p := se.Problems[len(se.Problems)-1]
			var want *json.SyntaxError
			if errors.As(json.Unmarshal([]byte(in), &raw), &want) && p.Code == strictjson.Syntax {
				assert.Equal(t, want.Error(), p.Err.Error())
				assert.Equal(t, int(want.Offset)-1, p.Offset)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"str": "a", "list": [{"name": "x"}], "map": {`)
	for i := range 200 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"k%d": %d`, i, i)
	}
	sb.WriteString(`}, "any": [1, 2, 3], "inner": {"name": "n", "tags": ["a", "b", "c"]}}`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var d doc
		if err := strictjson.Decode(data, &d, nil); err != nil {
			b.Fatal(err)
		}
	}
}
