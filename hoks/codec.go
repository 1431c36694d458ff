package hoks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/internal/strictjson"
)

// MaxDocumentSize is the largest eHOKS document [Decode] accepts, 2 MiB.
// The largest real plans are tens of kilobytes; the limit keeps a hostile or
// broken upload from costing memory.
const MaxDocumentSize = 2 << 20

// maxProblems caps how many decoding problems one error lists.
const maxProblems = 50

// ErrTooLarge means the document exceeds the size limit. The error returned
// is a *DecodeError that matches both ErrTooLarge and [coaching.ErrInvalid].
var ErrTooLarge = errors.New("hoks: document too large")

// DecodeOptions tune [Decode]. The zero value (or nil) is strict.
type DecodeOptions struct {
	// KeepUnknown keeps JSON members this package does not model in the
	// Extra field of the enclosing object, and [Encode] writes them back.
	// By default an unknown member is an error naming its path.
	KeepUnknown bool
	// MaxSize overrides [MaxDocumentSize] when positive.
	MaxSize int
}

// DecodeError lists what is wrong with an eHOKS document: JSON syntax,
// wrong types, impossible dates, unknown members. Each problem names the
// JSON path ("hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1].loppu").
// It matches [coaching.ErrInvalid].
type DecodeError struct {
	Problems []coaching.FieldProblem
	tooLarge bool
}

// Error implements error, listing every problem with its path.
func (e *DecodeError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Field == "" {
			parts[i] = p.Message
		} else {
			parts[i] = p.Field + ": " + p.Message
		}
	}
	return fmt.Sprintf("hoks: cannot decode eHOKS JSON: %s", strings.Join(parts, "; "))
}

// Is reports whether target is [coaching.ErrInvalid], [ErrTooLarge] (for an
// oversize document) or another *DecodeError.
func (e *DecodeError) Is(target error) bool {
	switch target {
	case coaching.ErrInvalid:
		return true
	case ErrTooLarge:
		return e.tooLarge
	}
	_, ok := target.(*DecodeError)
	return ok
}

// Decode parses one eHOKS plan (a JSON object). Keys are eHOKS's
// kebab-case Finnish names; dates are YYYY-MM-DD and must exist; instants
// are RFC 3339 or the other ISO 8601 forms eHOKS reads ("2017-10-25",
// "2017-10-25T21:00", read in UTC); integers may be written as 5.0 or 5e0, as
// eHOKS allows. JSON null is rejected (omit the member instead). A member
// given twice counts once, with its last value, as in eHOKS. Decode checks
// form only: call [Validate] for the eHOKS rules, or [Check] for them and the
// advisories. opts may be nil.
func Decode(data []byte, opts *DecodeOptions) (*Plan, error) {
	var p Plan
	if err := decode(data, &p, opts); err != nil {
		return nil, err
	}
	return &p, nil
}

// DecodeAll parses either one plan (a JSON object) or a list of plans (a
// JSON array, as eHOKS's list endpoints and demo data use). Paths in errors
// start with the index, "[2].oppija-oid", for an array.
func DecodeAll(data []byte, opts *DecodeOptions) ([]*Plan, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		var plans []*Plan
		if err := decode(data, &plans, opts); err != nil {
			return nil, err
		}
		if len(plans) == 0 {
			return nil, nil
		}
		return plans, nil
	}
	var p Plan
	if err := decode(data, &p, opts); err != nil {
		return nil, err
	}
	return []*Plan{&p}, nil
}

var (
	dateType    = reflect.TypeFor[coaching.Date]()
	instantType = reflect.TypeFor[Instant]()
	extraType   = reflect.TypeFor[Extra]()
)

// eHOKS's dates and instants, as Decode reads them.
var ehoksValues = []strictjson.Custom{
	strictjson.Func("a date string YYYY-MM-DD", func(v strictjson.Value) (coaching.Date, error) {
		if v.Type() != strictjson.String {
			return coaching.Date{}, strictjson.ErrWrongType
		}
		return coaching.ParseDate(v.Text())
	}),
	strictjson.Func("a timestamp string", func(v strictjson.Value) (Instant, error) {
		if v.Type() != strictjson.String {
			return Instant{}, strictjson.ErrWrongType
		}
		in, err := parseInstant(v.Text())
		if err != nil {
			return Instant{}, fmt.Errorf("timestamp %q: want RFC 3339, e.g. 2017-10-25T21:00:00.000Z, or another ISO 8601 form eHOKS reads (2017-10-25, 2017-10-25T21:00)", v.Text())
		}
		return in, nil
	}),
}

// decode reads data into v (a *Plan or a *[]*Plan) with eHOKS's
// strictness: null, unknown members (unless kept), wrong types and
// impossible dates and instants are problems; integral numbers with a
// fraction or exponent are integers and a member given twice keeps its last
// value, as in eHOKS's JSON coercion. Members are read in key order, so
// that the problems come in path order.
func decode(data []byte, v any, opts *DecodeOptions) error {
	limit := MaxDocumentSize
	if opts != nil && opts.MaxSize > 0 {
		limit = opts.MaxSize
	}
	so := &strictjson.Options{
		MaxBytes:        limit,
		MaxProblems:     maxProblems,
		Duplicates:      strictjson.LastDuplicateWins,
		IntegralNumbers: true,
		SortedKeys:      true,
		Custom:          ehoksValues,
	}
	if opts != nil && opts.KeepUnknown {
		so.ExtraType = extraType
	}
	err := strictjson.Decode(data, v, so)
	var se *strictjson.Error
	if !errors.As(err, &se) {
		return err
	}
	de := &DecodeError{Problems: make([]coaching.FieldProblem, len(se.Problems))}
	for i, p := range se.Problems {
		de.tooLarge = de.tooLarge || p.Code == strictjson.TooLarge
		field := p.Path
		if p.Code.Fatal() {
			field = "" // the document as a whole is refused
		}
		de.Problems[i] = coaching.FieldProblem{Field: field, Message: decodeMessage(data, p)}
	}
	return de
}

// decodeMessage words a problem as this package always has.
func decodeMessage(data []byte, p strictjson.Problem) string {
	switch p.Code {
	case strictjson.TooLarge:
		return fmt.Sprintf("document is %d bytes; the limit is %d bytes", p.Size, p.Limit)
	case strictjson.Empty, strictjson.Truncated:
		return "malformed JSON: the document is empty or ends too early"
	case strictjson.Syntax, strictjson.TooDeep:
		// Counted as encoding/json counts: the offending byte as read.
		line, col := strictjson.Position(data, p.Offset+1)
		what := "exceeded max depth"
		if p.Code == strictjson.Syntax {
			what = p.Err.Error()
		}
		return fmt.Sprintf("malformed JSON at line %d, column %d (byte %d): %s", line, col, p.Offset+1, what)
	case strictjson.Trailing:
		return fmt.Sprintf("unexpected data after the JSON value at byte %d", p.Offset)
	case strictjson.Unknown:
		return fmt.Sprintf("unknown member %q", p.Key)
	case strictjson.NullValue:
		return "null is not allowed; leave the member out instead"
	case strictjson.WrongType:
		return fmt.Sprintf("want %s, got %s", p.Want, p.Got)
	case strictjson.NotInteger, strictjson.OutOfRange:
		if p.Want == strictjson.WantInteger {
			return fmt.Sprintf("want an integer, got %s", p.Literal)
		}
		return fmt.Sprintf("number %s is out of range", p.Literal)
	}
	return p.Message
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// ---- reflection metadata, for encoding ----

type fieldInfo struct {
	name  string
	index int
	typ   reflect.Type
}

type structInfo struct {
	fields []fieldInfo
	byName map[string]int // JSON name → position in fields
	extra  int            // index of the Extra field, -1 if none
}

var structCache sync.Map // reflect.Type → *structInfo

func infoOf(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	si := &structInfo{byName: map[string]int{}, extra: -1}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type == extraType {
			si.extra = i
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		si.byName[name] = len(si.fields)
		si.fields = append(si.fields, fieldInfo{name: name, index: i, typ: f.Type})
	}
	v, _ := structCache.LoadOrStore(t, si)
	return v.(*structInfo)
}

// ---- encoding ----

// Encode writes p as compact eHOKS JSON. Absent optional members stay
// absent, empty lists stay "[]", instants keep the text they were decoded
// from, and members kept with [DecodeOptions.KeepUnknown] are written back.
func Encode(p *Plan) ([]byte, error) {
	if p == nil {
		return nil, errors.New("hoks: Encode of a nil plan")
	}
	buf := make([]byte, 0, 4096)
	return encodeValue(buf, reflect.ValueOf(p).Elem())
}

// EncodeAll writes plans as a JSON array.
func EncodeAll(plans []*Plan) ([]byte, error) {
	buf := make([]byte, 0, 4096*len(plans)+2)
	buf = append(buf, '[')
	for i, p := range plans {
		if p == nil {
			return nil, fmt.Errorf("hoks: EncodeAll: plan %d is nil", i)
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = encodeValue(buf, reflect.ValueOf(p).Elem()); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

// omitted reports whether a field value is left out of the JSON: nil
// pointers and slices, zero dates and instants, and empty required scalars.
func omitted(v reflect.Value) bool {
	switch v.Type() {
	case dateType:
		return v.Interface().(coaching.Date).IsZero()
	case instantType:
		return v.Interface().(Instant).IsZero()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return v.IsNil()
	case reflect.String:
		return v.Len() == 0
	case reflect.Int, reflect.Int64:
		return v.Int() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Float64:
		return v.Float() == 0
	}
	return false
}

func encodeValue(buf []byte, v reflect.Value) ([]byte, error) {
	switch v.Type() {
	case dateType:
		d := v.Interface().(coaching.Date)
		if !d.Valid() {
			return nil, fmt.Errorf("hoks: cannot encode impossible date %04d-%02d-%02d", d.Year, int(d.Month), d.Day)
		}
		return appendString(buf, d.String()), nil
	case instantType:
		return appendString(buf, v.Interface().(Instant).String()), nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		return encodeValue(buf, v.Elem())
	case reflect.Struct:
		si := infoOf(v.Type())
		buf = append(buf, '{')
		first := true
		for _, f := range si.fields {
			fv := v.Field(f.index)
			if omitted(fv) {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendString(buf, f.name)
			buf = append(buf, ':')
			var err error
			if buf, err = encodeValue(buf, fv); err != nil {
				return nil, err
			}
		}
		if si.extra >= 0 {
			extra := v.Field(si.extra).Interface().(Extra)
			keys := make([]string, 0, len(extra))
			for k := range extra {
				if _, known := si.byName[k]; !known {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				raw := extra[k]
				if !json.Valid(raw) {
					return nil, fmt.Errorf("hoks: extra member %q is not valid JSON", k)
				}
				if !first {
					buf = append(buf, ',')
				}
				first = false
				buf = appendString(buf, k)
				buf = append(buf, ':')
				buf = append(buf, raw...)
			}
		}
		return append(buf, '}'), nil
	case reflect.Slice:
		buf = append(buf, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = encodeValue(buf, v.Index(i)); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case reflect.String:
		return appendString(buf, v.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(buf, v.Bool()), nil
	case reflect.Int, reflect.Int64:
		return strconv.AppendInt(buf, v.Int(), 10), nil
	case reflect.Float64:
		b, err := json.Marshal(v.Float())
		if err != nil {
			return nil, fmt.Errorf("hoks: %w", err)
		}
		return append(buf, b...), nil
	}
	return nil, fmt.Errorf("hoks: cannot encode %s", v.Type())
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// in encoding/json.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}
