package hoks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/valmennus/valmennus/coaching"
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
// eHOKS allows. JSON null is rejected (omit the member instead). Decode
// checks form only: call [Validate] for the eHOKS rules, or [Check] for them
// and the advisories. opts may be nil.
func Decode(data []byte, opts *DecodeOptions) (*Plan, error) {
	root, err := parseJSON(data, opts)
	if err != nil {
		return nil, err
	}
	d := decoder{opts: opts}
	var p Plan
	d.value("", root, reflect.ValueOf(&p).Elem())
	if err := d.err(); err != nil {
		return nil, err
	}
	return &p, nil
}

// DecodeAll parses either one plan (a JSON object) or a list of plans (a
// JSON array, as eHOKS's list endpoints and demo data use). Paths in errors
// start with the index, "[2].oppija-oid", for an array.
func DecodeAll(data []byte, opts *DecodeOptions) ([]*Plan, error) {
	root, err := parseJSON(data, opts)
	if err != nil {
		return nil, err
	}
	d := decoder{opts: opts}
	var plans []*Plan
	if list, ok := root.([]any); ok {
		for i, item := range list {
			var p Plan
			d.value("["+strconv.Itoa(i)+"]", item, reflect.ValueOf(&p).Elem())
			plans = append(plans, &p)
		}
	} else {
		var p Plan
		d.value("", root, reflect.ValueOf(&p).Elem())
		plans = append(plans, &p)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return plans, nil
}

func parseJSON(data []byte, opts *DecodeOptions) (any, error) {
	limit := MaxDocumentSize
	if opts != nil && opts.MaxSize > 0 {
		limit = opts.MaxSize
	}
	if len(data) > limit {
		return nil, &DecodeError{tooLarge: true, Problems: []coaching.FieldProblem{{
			Message: fmt.Sprintf("document is %d bytes; the limit is %d bytes", len(data), limit)}}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, syntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &DecodeError{Problems: []coaching.FieldProblem{{
			Message: fmt.Sprintf("unexpected data after the JSON value at byte %d", dec.InputOffset())}}}
	}
	return root, nil
}

func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	msg := err.Error()
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		msg = fmt.Sprintf("malformed JSON at line %d, column %d (byte %d): %s", line, col, se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "malformed JSON: the document is empty or ends too early"
	}
	return &DecodeError{Problems: []coaching.FieldProblem{{Message: msg}}}
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// ---- reflection metadata ----

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

var (
	structCache sync.Map // reflect.Type → *structInfo
	dateType    = reflect.TypeFor[coaching.Date]()
	instantType = reflect.TypeFor[Instant]()
	extraType   = reflect.TypeFor[Extra]()
)

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

// ---- decoding ----

type decoder struct {
	opts     *DecodeOptions
	problems []coaching.FieldProblem
}

func (d *decoder) fail(path, format string, args ...any) {
	if len(d.problems) < maxProblems {
		d.problems = append(d.problems, coaching.FieldProblem{Field: path, Message: fmt.Sprintf(format, args...)})
	}
}

func (d *decoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	return &DecodeError{Problems: d.problems}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func (d *decoder) value(path string, src any, dst reflect.Value) {
	if src == nil {
		d.fail(path, "null is not allowed; leave the member out instead")
		return
	}
	t := dst.Type()
	switch t {
	case dateType:
		s, ok := src.(string)
		if !ok {
			d.fail(path, "want a date string YYYY-MM-DD, got %s", jsonKind(src))
			return
		}
		dt, err := coaching.ParseDate(s)
		if err != nil {
			d.fail(path, "%v", err)
			return
		}
		dst.Set(reflect.ValueOf(dt))
		return
	case instantType:
		s, ok := src.(string)
		if !ok {
			d.fail(path, "want a timestamp string, got %s", jsonKind(src))
			return
		}
		in, err := parseInstant(s)
		if err != nil {
			d.fail(path, "timestamp %q: want RFC 3339, e.g. 2017-10-25T21:00:00.000Z, or another ISO 8601 form eHOKS reads (2017-10-25, 2017-10-25T21:00)", s)
			return
		}
		dst.Set(reflect.ValueOf(in))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		nv := reflect.New(t.Elem())
		d.value(path, src, nv.Elem())
		dst.Set(nv)
	case reflect.Struct:
		obj, ok := src.(map[string]any)
		if !ok {
			d.fail(path, "want an object, got %s", jsonKind(src))
			return
		}
		si := infoOf(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fp := join(path, k)
			pos, ok := si.byName[k]
			if !ok {
				if d.opts != nil && d.opts.KeepUnknown && si.extra >= 0 {
					raw, err := json.Marshal(obj[k])
					if err != nil {
						d.fail(fp, "cannot keep unknown member: %v", err)
						continue
					}
					ev := dst.Field(si.extra)
					if ev.IsNil() {
						ev.Set(reflect.MakeMap(extraType))
					}
					ev.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(json.RawMessage(raw)))
					continue
				}
				d.fail(fp, "unknown member %q", k)
				continue
			}
			f := si.fields[pos]
			d.value(fp, obj[k], dst.Field(f.index))
		}
	case reflect.Slice:
		arr, ok := src.([]any)
		if !ok {
			d.fail(path, "want an array, got %s", jsonKind(src))
			return
		}
		sv := reflect.MakeSlice(t, len(arr), len(arr))
		for i, item := range arr {
			d.value(path+"["+strconv.Itoa(i)+"]", item, sv.Index(i))
		}
		dst.Set(sv)
	case reflect.String:
		s, ok := src.(string)
		if !ok {
			d.fail(path, "want a string, got %s", jsonKind(src))
			return
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := src.(bool)
		if !ok {
			d.fail(path, "want true or false, got %s", jsonKind(src))
			return
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, ok := src.(json.Number)
		if !ok {
			d.fail(path, "want an integer, got %s", jsonKind(src))
			return
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			// eHOKS takes a number with a fraction or exponent as an integer
			// when it has an integral value (schema.coerce safe-long-cast,
			// via ring.swagger.coerce json-coersions): 5.0 and 1e2 are 5 and 100.
			i, err = integral(n)
		}
		if err != nil || dst.OverflowInt(i) {
			d.fail(path, "want an integer, got %s", n)
			return
		}
		dst.SetInt(i)
	case reflect.Float64:
		n, ok := src.(json.Number)
		if !ok {
			d.fail(path, "want a number, got %s", jsonKind(src))
			return
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			d.fail(path, "number %s is out of range", n)
			return
		}
		dst.SetFloat(f)
	default:
		d.fail(path, "internal: cannot decode into %s", t)
	}
}

// integral reads a JSON number written with a fraction or exponent that has
// an integral value within int64.
func integral(n json.Number) (int64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("%s is not an integer", n)
	}
	return int64(f), nil
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
