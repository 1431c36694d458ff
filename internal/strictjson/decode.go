package strictjson

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// DefaultMaxDepth is the nesting limit when [Options.MaxDepth] is 0, and
// the largest one accepted: encoding/json's.
const DefaultMaxDepth = 10000

// DuplicatePolicy says what a member given twice in one object means.
type DuplicatePolicy uint8

const (
	// RejectDuplicates reports a member given twice as a [Duplicate]
	// problem and drops the later value.
	RejectDuplicates DuplicatePolicy = iota
	// LastDuplicateWins silently keeps the last value, as most JSON
	// readers do. Only that value is decoded.
	LastDuplicateWins
	// DecodeEveryDuplicate decodes each value in turn into the same Go
	// value, as encoding/json does: the last wins for a scalar, objects
	// merge into one struct or map, and a problem in any of them counts.
	DecodeEveryDuplicate
)

// Options say what differs between callers. The zero value is the
// strictest reading: no null, no member given twice, integers written as
// integers, no size limit.
type Options struct {
	// MaxBytes refuses a longer document with a [TooLarge] problem, when
	// positive.
	MaxBytes int
	// MaxDepth limits how deeply arrays and objects nest ([TooDeep]);
	// 0 or more than [DefaultMaxDepth] means DefaultMaxDepth.
	MaxDepth int
	// MaxProblems stops decoding once this many problems are found, when
	// positive.
	MaxProblems int
	// AllowNull reads null as encoding/json does (a pointer, slice, map or
	// interface becomes nil, an UnmarshalJSON method is given it, anything
	// else is left as it is). By default null is a [NullValue] problem.
	AllowNull bool
	// Duplicates says what a member given twice means.
	Duplicates DuplicatePolicy
	// FoldCase lets a member name a struct field in another case, as
	// encoding/json does, when no field has its exact name.
	FoldCase bool
	// IntegralNumbers reads a number with a fraction or exponent into an
	// integer when its value is a whole number (5.0, 1e2), as eHOKS does.
	IntegralNumbers bool
	// SortedKeys decodes an object's members in the order of their keys
	// rather than the document's, so that problems (and the MaxProblems
	// cut) come in key order.
	SortedKeys bool
	// ExtraType is the type of a struct field (a map from a string kind to
	// a []byte kind such as json.RawMessage) that collects the members its
	// struct does not name, as compact JSON, instead of reporting them as
	// [Unknown]. The field need not be a member itself (tag it `json:"-"`).
	ExtraType reflect.Type
	// Custom decoders for Go types, tried before anything else.
	Custom []Custom
}

func (o *Options) maxDepth() int {
	if o.MaxDepth <= 0 || o.MaxDepth > DefaultMaxDepth {
		return DefaultMaxDepth
	}
	return o.MaxDepth
}

// Custom decodes the JSON values of one Go type. Make one with [Func].
type Custom struct {
	typ  reflect.Type
	want Want
	fn   func(Value) (reflect.Value, error)
}

// ErrWrongType is what a custom decoder returns for a value of a JSON type
// it does not take: the problem is then a [WrongType] with the decoder's
// Want.
var ErrWrongType = errors.New("wrong JSON type")

// Func makes a custom decoder for values of type T: want says what it
// takes (in messages), fn turns a JSON value into a T. An error from fn is
// an [Invalid] problem with the error's text, or a [WrongType] one for
// [ErrWrongType]. fn is not given null unless [Options.AllowNull] is set.
func Func[T any](want Want, fn func(Value) (T, error)) Custom {
	return Custom{typ: reflect.TypeFor[T](), want: want, fn: func(v Value) (reflect.Value, error) {
		t, err := fn(v)
		if err != nil {
			return reflect.Value{}, err
		}
		return reflect.ValueOf(&t).Elem(), nil
	}}
}

// Value is a JSON value given to a custom decoder.
type Value struct {
	data []byte
	n    *node
}

// Type returns the value's JSON type.
func (v Value) Type() Type { return v.n.typ }

// Raw returns the value's JSON text. The caller must not change it.
func (v Value) Raw() []byte { return v.data[v.n.start:v.n.end:v.n.end] }

// Text returns a string's contents (unescaped), or the JSON text of any
// other value: a number as written, "true", "null", an array or object.
func (v Value) Text() string {
	if v.n.typ == String {
		return unquote(v.data, v.n.start, v.n.end, v.n.plain)
	}
	return string(v.Raw())
}

// Decode reads data, one JSON value, into the Go value v points to, and
// reports every problem with its JSON path in one *[Error]; nil means the
// whole document was read. v must be a non-nil pointer.
//
// Go values are read as encoding/json reads them, with these differences:
//
//   - nothing is lenient unless opts says so: a member no struct field
//     names, null, a member given twice, a number with a fraction for an
//     integer are problems (see [Options]);
//   - every problem is reported, not the first, each at its path; a value
//     with a problem is left zero, so the others still decode;
//   - the syntax, the size and the depth are checked first: a document
//     that is not JSON is refused as a whole with one [Syntax] (or
//     [Truncated], [TooDeep], [Trailing], [Empty], [TooLarge]) problem;
//   - a struct field's tag may say `strictjson:"maxlen=N"` to refuse an
//     array of more than N elements ([TooLong]) without reading them;
//   - the `,string` tag option is not supported (the field is read as its
//     type).
//
// Struct fields are named as in encoding/json (the json tag's name, or the
// Go name; embedded structs' fields are promoted). UnmarshalJSON and
// UnmarshalText methods are used, and [Options.Custom] decoders before
// them. An interface{} gets what encoding/json gives it (float64 numbers).
// Decode never panics on any input, unless a method or custom decoder
// does.
func Decode(data []byte, v any, opts *Options) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("strictjson: Decode needs a non-nil pointer")
	}
	if opts == nil {
		opts = &Options{}
	}
	root, nodes, problems := parse(data, opts)
	if n := opts.MaxProblems; n > 0 && len(problems) > n {
		if root < 0 { // keep the problem that ended reading
			problems[n-1] = problems[len(problems)-1]
		}
		problems = problems[:n]
	}
	if root >= 0 {
		d := &decoder{data: data, nodes: nodes, opts: opts, problems: problems}
		d.value(root, rv.Elem())
		problems = d.problems
	}
	if len(problems) == 0 {
		return nil
	}
	for i := range problems {
		problems[i].Message = problems[i].message()
	}
	return &Error{Problems: problems}
}

type decoder struct {
	data     []byte
	nodes    []node
	opts     *Options
	path     []segment
	problems []Problem
}

func (d *decoder) full() bool {
	return d.opts.MaxProblems > 0 && len(d.problems) >= d.opts.MaxProblems
}

func (d *decoder) report(p Problem) {
	if d.full() {
		return
	}
	p.Path = formatPath(d.path)
	d.problems = append(d.problems, p)
}

func (d *decoder) text(n *node) string { return unquote(d.data, n.start, n.end, n.plain) }

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decoder) custom(t reflect.Type) *Custom {
	for i := range d.opts.Custom {
		if d.opts.Custom[i].typ == t {
			return &d.opts.Custom[i]
		}
	}
	return nil
}

// wantOf says what JSON value a Go type takes.
func (d *decoder) wantOf(t reflect.Type) Want {
	if c := d.custom(t); c != nil {
		return c.want
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
			return WantAny
		}
		if reflect.PointerTo(t).Implements(textUnmarshaler) {
			return WantString
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return d.wantOf(t.Elem())
	case reflect.String:
		return WantString
	case reflect.Bool:
		return WantBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return WantInteger
	case reflect.Float32, reflect.Float64:
		return WantNumber
	case reflect.Slice, reflect.Array:
		return WantArray
	case reflect.Struct, reflect.Map:
		return WantObject
	}
	return WantAny
}

func (d *decoder) wrongType(n *node, want Want) {
	d.report(Problem{Code: WrongType, Want: want, Got: n.typ})
}

func (d *decoder) invalid(err error) {
	d.report(Problem{Code: Invalid, Err: err})
}

// value decodes node i into dst, which is settable.
func (d *decoder) value(i int, dst reflect.Value) {
	n := &d.nodes[i]
	t := dst.Type()
	if n.typ == Null && !d.opts.AllowNull {
		d.report(Problem{Code: NullValue, Want: d.wantOf(t), Got: Null})
		return
	}
	if c := d.custom(t); c != nil {
		v, err := c.fn(Value{data: d.data, n: n})
		switch {
		case errors.Is(err, ErrWrongType):
			d.wrongType(n, c.want)
		case err != nil:
			d.invalid(err)
		default:
			dst.Set(v)
		}
		return
	}
	if n.typ == Null {
		d.null(dst)
		return
	}
	if t.Kind() != reflect.Pointer && dst.CanAddr() {
		pt := reflect.PointerTo(t)
		if pt.Implements(jsonUnmarshaler) {
			raw := bytes.Clone(d.data[n.start:n.end])
			if err := dst.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
				d.invalid(err)
			}
			return
		}
		if pt.Implements(textUnmarshaler) {
			if n.typ != String {
				d.wrongType(n, WantString)
				return
			}
			if err := dst.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(d.text(n))); err != nil {
				d.invalid(err)
			}
			return
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if dst.IsNil() {
			dst.Set(reflect.New(t.Elem()))
		}
		d.value(i, dst.Elem())
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.invalid(errors.New("cannot decode into Go type " + t.String()))
			return
		}
		var v any
		if err := json.Unmarshal(d.data[n.start:n.end], &v); err != nil {
			d.invalid(err)
			return
		}
		if v == nil {
			dst.SetZero()
		} else {
			dst.Set(reflect.ValueOf(v))
		}
	case reflect.Struct:
		if n.typ != Object {
			d.wrongType(n, WantObject)
			return
		}
		d.object(n, dst)
	case reflect.Map:
		if n.typ != Object {
			d.wrongType(n, WantObject)
			return
		}
		d.mapping(n, dst)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && n.typ == String {
			b, err := base64.StdEncoding.DecodeString(d.text(n))
			if err != nil {
				d.invalid(err)
				return
			}
			dst.SetBytes(b)
			return
		}
		if n.typ != Array {
			d.wrongType(n, WantArray)
			return
		}
		sv := reflect.MakeSlice(t, n.count, n.count)
		d.elements(n, sv)
		dst.Set(sv)
	case reflect.Array:
		if n.typ != Array {
			d.wrongType(n, WantArray)
			return
		}
		if n.count > t.Len() {
			d.report(Problem{Code: TooLong, Limit: t.Len(), Size: n.count})
			return
		}
		dst.SetZero()
		d.elements(n, dst)
	case reflect.String:
		if n.typ != String {
			d.wrongType(n, WantString)
			return
		}
		dst.SetString(d.text(n))
	case reflect.Bool:
		if n.typ != Bool {
			d.wrongType(n, WantBool)
			return
		}
		dst.SetBool(d.data[n.start] == 't')
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.typ != Number {
			d.wrongType(n, WantInteger)
			return
		}
		if v, ok := d.integer(n, t.Bits()); ok {
			dst.SetInt(v)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if n.typ != Number {
			d.wrongType(n, WantInteger)
			return
		}
		if v, ok := d.unsigned(n, t.Bits()); ok {
			dst.SetUint(v)
		}
	case reflect.Float32, reflect.Float64:
		if n.typ != Number {
			d.wrongType(n, WantNumber)
			return
		}
		lit := string(d.data[n.start:n.end])
		f, err := strconv.ParseFloat(lit, t.Bits())
		if err != nil {
			d.report(Problem{Code: OutOfRange, Want: WantNumber, Literal: lit})
			return
		}
		dst.SetFloat(f)
	default:
		d.invalid(errors.New("cannot decode into Go type " + t.String()))
	}
}

// null reads null as encoding/json does.
func (d *decoder) null(dst reflect.Value) {
	t := dst.Type()
	if t.Kind() != reflect.Pointer && dst.CanAddr() && reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		if err := dst.Addr().Interface().(json.Unmarshaler).UnmarshalJSON([]byte("null")); err != nil {
			d.invalid(err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		dst.SetZero()
	}
}

// integer reads an integer of the given size.
func (d *decoder) integer(n *node, bits int) (int64, bool) {
	lit := string(d.data[n.start:n.end])
	v, err := strconv.ParseInt(lit, 10, bits)
	switch {
	case err == nil:
		return v, true
	case errors.Is(err, strconv.ErrRange):
		d.report(Problem{Code: OutOfRange, Want: WantInteger, Literal: lit})
		return 0, false
	}
	f, ok := d.integral(lit)
	if ok && (f < math.Ldexp(-1, bits-1) || f >= math.Ldexp(1, bits-1)) {
		d.report(Problem{Code: OutOfRange, Want: WantInteger, Literal: lit})
		return 0, false
	}
	return int64(f), ok
}

// unsigned reads an unsigned integer of the given size.
func (d *decoder) unsigned(n *node, bits int) (uint64, bool) {
	lit := string(d.data[n.start:n.end])
	v, err := strconv.ParseUint(lit, 10, bits)
	switch {
	case err == nil:
		return v, true
	case errors.Is(err, strconv.ErrRange):
		d.report(Problem{Code: OutOfRange, Want: WantInteger, Literal: lit})
		return 0, false
	}
	// A sign, a fraction or an exponent.
	if i, err := strconv.ParseInt(lit, 10, 64); err == nil {
		if i == 0 {
			return 0, true // -0
		}
		d.report(Problem{Code: OutOfRange, Want: WantInteger, Literal: lit})
		return 0, false
	}
	f, ok := d.integral(lit)
	if ok && (f < 0 || f >= math.Ldexp(1, bits)) {
		d.report(Problem{Code: OutOfRange, Want: WantInteger, Literal: lit})
		return 0, false
	}
	return uint64(f), ok
}

// integral reads a number written with a fraction or an exponent for an
// integer: a problem, unless [Options.IntegralNumbers] and its value is a
// whole number (which the caller checks against its range).
func (d *decoder) integral(lit string) (float64, bool) {
	if !d.opts.IntegralNumbers {
		d.report(Problem{Code: NotInteger, Want: WantInteger, Literal: lit})
		return 0, false
	}
	f, err := strconv.ParseFloat(lit, 64)
	switch {
	case err != nil:
		d.report(Problem{Code: OutOfRange, Want: WantInteger, Literal: lit})
	case f != math.Trunc(f):
		d.report(Problem{Code: NotInteger, Want: WantInteger, Literal: lit})
	default:
		return f, true
	}
	return 0, false
}

// elements decodes an array's elements into a slice or array value.
func (d *decoder) elements(n *node, dst reflect.Value) {
	for k, c := 0, n.child; c >= 0 && !d.full(); k, c = k+1, d.nodes[c].next {
		d.path = append(d.path, segment{index: k})
		d.value(c, dst.Index(k))
		d.path = d.path[:len(d.path)-1]
	}
}

// members returns an object's members in the order they are decoded.
func (d *decoder) members(n *node) []int {
	out := make([]int, 0, n.count)
	for c := n.child; c >= 0; c = d.nodes[c].next {
		out = append(out, c)
	}
	if d.opts.SortedKeys {
		slices.SortStableFunc(out, func(a, b int) int { return strings.Compare(d.nodes[a].key, d.nodes[b].key) })
	}
	return out
}

func (d *decoder) object(n *node, dst reflect.Value) {
	info := structInfoOf(dst.Type())
	extra := -1
	if d.opts.ExtraType != nil {
		if i, ok := info.direct[d.opts.ExtraType]; ok {
			extra = i
		}
	}
	for _, c := range d.members(n) {
		if d.full() {
			return
		}
		m := &d.nodes[c]
		d.path = append(d.path, segment{key: m.key, index: -1})
		f := info.field(m.key, d.opts.FoldCase)
		switch {
		case f != nil:
			if fv, ok := fieldAlloc(dst, f.index); ok {
				if f.maxLen >= 0 && m.typ == Array && m.count > f.maxLen {
					d.report(Problem{Code: TooLong, Limit: f.maxLen, Size: m.count})
				} else {
					d.value(c, fv)
				}
			} else {
				d.invalid(errors.New("cannot set an embedded field through an unexported pointer"))
			}
		case extra >= 0:
			d.keep(dst.Field(extra), m)
		default:
			d.report(Problem{Code: Unknown, Key: m.key})
		}
		d.path = d.path[:len(d.path)-1]
	}
}

// keep stores an unknown member's JSON text, compacted, in an extra field.
func (d *decoder) keep(ev reflect.Value, m *node) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, d.data[m.start:m.end]); err != nil {
		d.invalid(err)
		return
	}
	t := ev.Type()
	if ev.IsNil() {
		ev.Set(reflect.MakeMap(t))
	}
	ev.SetMapIndex(reflect.ValueOf(m.key).Convert(t.Key()), reflect.ValueOf(buf.Bytes()).Convert(t.Elem()))
}

func (d *decoder) mapping(n *node, dst reflect.Value) {
	t := dst.Type()
	kt := t.Key()
	if dst.IsNil() {
		dst.Set(reflect.MakeMapWithSize(t, n.count))
	}
	for _, c := range d.members(n) {
		if d.full() {
			return
		}
		m := &d.nodes[c]
		d.path = append(d.path, segment{key: m.key, index: -1})
		k, err := mapKey(kt, m.key)
		if err != nil {
			d.invalid(err)
		} else {
			ev := reflect.New(t.Elem()).Elem()
			d.value(c, ev)
			dst.SetMapIndex(k, ev)
		}
		d.path = d.path[:len(d.path)-1]
	}
}

// mapKey converts an object key to a map's key type, as encoding/json does.
func mapKey(kt reflect.Type, key string) (reflect.Value, error) {
	if reflect.PointerTo(kt).Implements(textUnmarshaler) {
		kv := reflect.New(kt)
		if err := kv.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(key)); err != nil {
			return reflect.Value{}, err
		}
		return kv.Elem(), nil
	}
	switch kt.Kind() {
	case reflect.String:
		return reflect.ValueOf(key).Convert(kt), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v, err := strconv.ParseInt(key, 10, kt.Bits())
		if err != nil {
			return reflect.Value{}, errors.New("the key must be an integer")
		}
		return reflect.ValueOf(v).Convert(kt), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v, err := strconv.ParseUint(key, 10, kt.Bits())
		if err != nil {
			return reflect.Value{}, errors.New("the key must be a non-negative integer")
		}
		return reflect.ValueOf(v).Convert(kt), nil
	}
	return reflect.Value{}, errors.New("cannot decode into a map with keys of Go type " + kt.String())
}

// fieldAlloc returns the field at index, allocating nil embedded pointers
// on the way; false when one is unexported.
func fieldAlloc(v reflect.Value, index []int) (reflect.Value, bool) {
	for k, i := range index {
		if k > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// ---- struct fields, as encoding/json names them ----

type fieldInfo struct {
	name   string
	index  []int
	tagged bool
	maxLen int // -1: no limit
}

type structInfo struct {
	byName map[string]*fieldInfo
	fields []*fieldInfo
	direct map[reflect.Type]int // a direct field's index by its type (the first of each)
}

func (s *structInfo) field(key string, fold bool) *fieldInfo {
	if f, ok := s.byName[key]; ok {
		return f
	}
	if fold {
		for _, f := range s.fields {
			if strings.EqualFold(f.name, key) {
				return f
			}
		}
	}
	return nil
}

var structCache sync.Map // reflect.Type → *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	si := &structInfo{byName: map[string]*fieldInfo{}, direct: map[reflect.Type]int{}}
	for i := 0; i < t.NumField(); i++ {
		if _, ok := si.direct[t.Field(i).Type]; !ok {
			si.direct[t.Field(i).Type] = i
		}
	}
	// Breadth first through embedded structs: a shallower field hides a
	// deeper one of the same name; at one depth a tagged one wins, and two
	// of a kind hide each other.
	type level struct {
		t     reflect.Type
		index []int
	}
	current, seen := []level{{t: t}}, map[reflect.Type]bool{}
	for len(current) > 0 {
		var next []level
		found := map[string][]*fieldInfo{}
		var order []string
		for _, lv := range current {
			if seen[lv.t] {
				continue
			}
			seen[lv.t] = true
			for i := 0; i < lv.t.NumField(); i++ {
				f := lv.t.Field(i)
				tag := f.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				index := append(slices.Clip(lv.index), i)
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if f.Anonymous {
					if name == "" && ft.Kind() == reflect.Struct {
						next = append(next, level{t: ft, index: index})
						continue
					}
					if !f.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !f.IsExported() {
					continue
				}
				fi := &fieldInfo{name: name, index: index, tagged: name != "", maxLen: -1}
				if name == "" {
					fi.name = f.Name
				}
				if ml, ok := strings.CutPrefix(f.Tag.Get("strictjson"), "maxlen="); ok {
					if n, err := strconv.Atoi(ml); err == nil && n >= 0 {
						fi.maxLen = n
					}
				}
				if _, ok := found[fi.name]; !ok {
					order = append(order, fi.name)
				}
				found[fi.name] = append(found[fi.name], fi)
			}
		}
		for _, name := range order {
			if _, hidden := si.byName[name]; hidden {
				continue
			}
			cands := found[name]
			var win *fieldInfo
			switch {
			case len(cands) == 1:
				win = cands[0]
			default:
				var tagged []*fieldInfo
				for _, c := range cands {
					if c.tagged {
						tagged = append(tagged, c)
					}
				}
				if len(tagged) == 1 {
					win = tagged[0]
				}
			}
			if win == nil {
				si.byName[name] = nil // hidden: two of a kind
				continue
			}
			si.byName[name] = win
			si.fields = append(si.fields, win)
		}
		current = next
	}
	for name, f := range si.byName {
		if f == nil {
			delete(si.byName, name)
		}
	}
	v, _ := structCache.LoadOrStore(t, si)
	return v.(*structInfo)
}
